"""Course authoring: example figures, the student release, and a sample class.

``make release`` runs :func:`regenerate_release`: it executes the master notebook, saves the
figure of every exercise cell as ``example_<function>.png`` next to the master (the student
notebook shows it as the example output), then runs nbgrader's own ``generate_assignment``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.notebooknode import NotebookNode

from autograder.course import Course, ensure_tools_on_path
from autograder.samples import answer, fill_in

EXAMPLE_PREFIX = "example_"


def execute_notebook(path: Path, timeout: int = 300) -> NotebookNode:
    """Run a notebook top to bottom in a fresh kernel, in its own folder."""
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def example_figures(executed: NotebookNode) -> dict[str, bytes]:
    """PNG of each exercise (solution) cell's figure, named example_<function>.png."""
    figures = {}
    for cell in executed.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        function = meta["grade_id"].split("_", 1)[1]
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                figures[f"{EXAMPLE_PREFIX}{function}.png"] = base64.b64decode(png)
                break
    return figures


def regenerate_release(course_dir: Path | str, assignment: str) -> Path:
    """Example figures from the master, then ``nbgrader generate_assignment --force``."""
    ensure_tools_on_path()
    course = Course.at(course_dir)
    master = course.master_notebooks(assignment)[0]
    for name, data in example_figures(execute_notebook(master)).items():
        (master.parent / name).write_bytes(data)
        print(f"wrote {master.parent / name}")
    generate_assignment(course, assignment)
    release = course.release_dir(assignment)
    print(f"wrote {release}")
    return release


def generate_assignment(course: Course, assignment: str, release_dir: Path | None = None,
                        db_url: str | None = None) -> None:
    """nbgrader's GenerateAssignment with the course's configuration."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config(course.nbgrader_config())
    config.CourseDirectory.root = str(course.root)
    config.CourseDirectory.assignment_id = assignment
    if release_dir is not None:
        config.CourseDirectory.release_directory = str(release_dir)
    if db_url is not None:
        config.CourseDirectory.db_url = db_url
    converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config)
    converter.force = True
    converter.create_assignment = True
    converter.start()


#: The demo class: (student, exercise-1 answer, exercise-2 answer, what it shows).
DEMO_CLASS = (
    ("alice", "the reference form", "the reference form", "correct"),
    ("bob", "a fresh numpy sample per step", "fresh numpy samples per step",
     "correct, on another random stream"),
    ("carol", "a while loop", "a missing leak", "partly correct"),
    ("dave", "missing alpha", "the inputs' signs swapped", "wrong"),
    ("erin", "the stub left in", "the stub left in", "not attempted"),
)


def write_demo_class(course_dir: Path | str, assignment: str) -> list[Path]:
    """submitted/<student>/<assignment>/ for a small class: correct, partial, wrong, broken."""
    course = Course.at(course_dir)
    release = course.release_dir(assignment)
    notebook_name = course.master_notebooks(assignment)[0].name
    release_nb = nbformat.read(str(release / notebook_name), as_version=4)
    written = []
    for student, first, second, _ in DEMO_CLASS:
        nb = fill_in(release_nb, answer("lif_neuron", first), answer("lif_neuron_inh", second))
        written.append(_submit(course, student, assignment, notebook_name,
                               nbformat.writes(nb).encode()))
    # broken submissions: truncated JSON, and a hand-edited test cell (points and deletion)
    text = nbformat.writes(fill_in(release_nb, answer("lif_neuron", "the reference form"),
                                   answer("lif_neuron_inh", "the reference form")))
    written.append(_submit(course, "frank", assignment, notebook_name,
                           text[: len(text) // 2].encode()))
    tampered = json.loads(text)
    tampered["cells"] = [c for c in tampered["cells"]
                         if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                         != "ex2_hidden"]
    for cell in tampered["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") == "ex1_public":
            meta["points"] = 50
            cell["source"] = "print('all good')"
    written.append(_submit(course, "grace", assignment, notebook_name,
                           json.dumps(tampered).encode()))
    return written


def _submit(course: Course, student: str, assignment: str, notebook_name: str, data: bytes
            ) -> Path:
    folder = course.submitted_dir(student, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / notebook_name
    path.write_bytes(data)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
    return path
