"""Course authoring: example figures, the student release, and a demonstration course.

``python -m autograder release ASSIGNMENT`` executes the master notebooks, saves the figure of
every answer cell that defines a function as ``example_<function>.png`` beside the master (the
student notebook shows it as the example output), then runs nbgrader's own
``generate_assignment``.

``python -m autograder demo FOLDER`` builds a throwaway course in FOLDER: a copy of the course's
source/, release/ and configuration, and, for every assignment whose trusted-check declaration
offers one, a sample class of submissions. Grading, reports and feedback then happen there; the
course itself is never touched. FOLDER is only ever replaced if this command made it.
"""

from __future__ import annotations

import ast
import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.notebooknode import NotebookNode

from autograder.config import CONFIG_FILE, Settings
from autograder.course import Course, ensure_tools_on_path
from autograder.errors import GraderError
from autograder.master import master_notebooks
from autograder.plugins import load_plugins

EXAMPLE_PREFIX = "example_"
DEMO_MARKER = ".autograder-demo"


def execute_notebook(path: Path, timeout: int = 300) -> NotebookNode:
    """Run a notebook top to bottom in a fresh kernel, in its own folder."""
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _functions_defined(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def example_figures(executed: NotebookNode) -> dict[str, bytes]:
    """PNG of each answer cell's figure, named after the function the cell defines."""
    figures = {}
    for cell in executed.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        functions = _functions_defined(cell.source)
        if not functions:
            continue
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                figures[f"{EXAMPLE_PREFIX}{functions[0]}.png"] = base64.b64decode(png)
                break
    return figures


def regenerate_release(settings: Settings, assignment: str) -> Path:
    """Example figures from the masters, then ``nbgrader generate_assignment --force``."""
    ensure_tools_on_path()
    course = Course.from_settings(settings)
    for master in master_notebooks(course.source_dir(assignment), assignment):
        for name, data in example_figures(execute_notebook(master)).items():
            (master.parent / name).write_bytes(data)
            print(f"wrote {master.parent / name}")
    release = course.release_dir(assignment)
    if release.exists():
        print(f"replacing {release} (nbgrader generate_assignment --force)")
    generate_assignment(settings, assignment)
    print(f"wrote {release}")
    return release


def generate_assignment(settings: Settings, assignment: str, release_dir: Path | None = None,
                        db_url: str | None = None) -> None:
    """nbgrader's GenerateAssignment with the course's configuration."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config(settings.config)
    config.CourseDirectory.root = str(settings.root)
    config.CourseDirectory.assignment_id = assignment
    if release_dir is not None:
        config.CourseDirectory.release_directory = str(release_dir)
    if db_url is not None:
        config.CourseDirectory.db_url = db_url
    converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config)
    converter.force = True
    converter.create_assignment = True
    converter.start()


def _prepare_demo_folder(folder: Path) -> Iterator[str]:
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise GraderError(f"{folder} exists and is not a folder; choose another one")
    if folder.exists():
        if not (folder / DEMO_MARKER).is_file():
            if any(folder.iterdir()):
                raise GraderError(f"{folder} exists and was not made by `python -m autograder "
                                  "demo`: it is left alone (choose another folder, or empty "
                                  "it yourself)")
        else:
            yield f"replacing the demonstration course in {folder} (made by an earlier run)"
            shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARKER).write_text("made by `python -m autograder demo`; safe to delete\n")


def build_demo(settings: Settings, folder: Path) -> Iterator[str]:
    """A demonstration course in ``folder`` (see the module docstring); yields what it did."""
    folder = folder.resolve()
    if folder == settings.root or settings.root.is_relative_to(folder):
        raise GraderError(f"{folder} holds the course itself; choose a folder of its own")
    course = Course.from_settings(settings)
    yield from _prepare_demo_folder(folder)
    coursedir = course.coursedir
    for step in (coursedir.source_directory, coursedir.release_directory):
        if (settings.root / step).is_dir():
            shutil.copytree(settings.root / step, folder / step, symlinks=False)
    if (settings.root / CONFIG_FILE).is_file():
        shutil.copy2(settings.root / CONFIG_FILE, folder / CONFIG_FILE)
    demo = Course.from_settings(Settings.load(folder))
    for declaration in load_plugins(settings.options.plugins):
        if declaration.sample_class is None:
            continue
        assignment = declaration.assignment
        students = declaration.sample_class(demo.release_dir(assignment))
        for student, files in students.items():
            target = demo.submitted_dir(student, assignment)
            target.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (target / name).write_bytes(data)
        yield f"{assignment}: {len(students)} sample submissions in {folder}"
    yield f"demonstration course: {folder}"
