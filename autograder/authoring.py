"""Course authoring: example figures, the student release, and a demonstration course.

``python -m autograder release ASSIGNMENT`` executes the master notebooks, saves the figure of
every answer cell that defines a function as ``example_<function>.png`` beside the master (the
student notebook shows it as the example output), then runs nbgrader's own
``generate_assignment`` and embeds every image the released notebooks link to in the notebooks
themselves (Colab shows no file that sits beside a notebook).

``python -m autograder demo FOLDER`` builds a throwaway course in FOLDER: a copy of the course's
source/, release/ and configuration, and, for every assignment whose trusted-check declaration
offers one, a sample class of submissions. Grading, reports and feedback then happen there; the
course itself is never touched. FOLDER is only ever replaced if this command made it.
"""

from __future__ import annotations

import ast
import base64
import io
import json
import mimetypes
import re
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
                figures[f"{EXAMPLE_PREFIX}{functions[0]}.png"] = compact_png(
                    base64.b64decode(png))
                break
    return figures


def compact_png(data: bytes, colors: int = 32) -> bytes:
    """The figure with a palette of ``colors``: a third of the size, and no visible change for
    line plots. Example figures are embedded in every student notebook, and so in every
    submission the grader reads."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(
            out, "PNG", optimize=True)
    return out.getvalue()


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
    for line in release_assignment(settings, assignment):
        print(line)
    print(f"wrote {release}")
    return release


def release_assignment(settings: Settings, assignment: str, release_dir: Path | None = None,
                       db_url: str | None = None) -> list[str]:
    """The student version: nbgrader's generate_assignment, then the linked images embedded.
    Returns what was embedded, one line each."""
    generate_assignment(settings, assignment, release_dir, db_url)
    root = Path(release_dir) if release_dir is not None else \
        Course.from_settings(settings).release_dir(assignment).parent
    folder = root / assignment
    done = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        files = embed_images(nb, folder)
        if files:
            nbformat.write(nb, str(path))
            done.append(f"embedded {', '.join(sorted(f.name for f in files))} in {path.name}")
    return done


#: A markdown image (``![alt](target)``) or an HTML one (``<img ... src="target"``).
_IMAGE = re.compile(r'(?P<md>!\[[^\]]*\]\()(?P<md_target>[^)\s]+)(?=[)\s])'
                    r'|(?P<html><img\b[^>]*?\bsrc=["\'])(?P<html_target>[^"\']+)')


def embed_images(nb: NotebookNode, folder: Path) -> set[Path]:
    """Replace links to image files beside the notebook, in its markdown cells, by the images
    themselves (data URIs): Jupyter, JupyterLab, VS Code and Colab all show those, and the
    notebook keeps its figures wherever it is copied. Returns the files embedded."""
    embedded: set[Path] = set()

    def inline(match: re.Match) -> str:
        prefix = match.group("md") or match.group("html")
        target = match.group("md_target") or match.group("html_target")
        path = (folder / target).resolve()
        kind = mimetypes.guess_type(target)[0] or ""
        if ":" in target or not kind.startswith("image/") or not path.is_file() or \
                not path.is_relative_to(folder.resolve()):
            return match.group(0)
        embedded.add(path)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{prefix}data:{kind};base64,{data}"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _IMAGE.sub(inline, cell.source)
    return embedded


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


# -- files for a course's sample class (``sample_class`` of a plug-in) ---------------------------
#: The submission time the sample students' ``timestamp.txt`` hold.
DEMO_TIMESTAMP = b"2026-11-20 12:00:00.000000 UTC\n"


def demo_submission(notebook_name: str, content: str | bytes) -> dict[str, bytes]:
    """One sample student's files: the notebook and nbgrader's ``timestamp.txt``."""
    data = content.encode() if isinstance(content, str) else content
    return {notebook_name: data, "timestamp.txt": DEMO_TIMESTAMP}


def truncated_notebook(text: str) -> bytes:
    """The first half of a notebook file: a submission that is not valid JSON."""
    return text[: len(text) // 2].encode()


def tampered_notebook(text: str, delete: str, rewrite: str) -> bytes:
    """A notebook whose tests a student edited by hand: the test cell ``delete`` removed, the
    test cell ``rewrite`` worth 50 points and printing "all good" (both graders restore the
    master's cells and points)."""
    nb = json.loads(text)
    nb["cells"] = [c for c in nb["cells"]
                   if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != delete]
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") == rewrite:
            meta["points"] = 50
            cell["source"] = "print('all good')"
    return json.dumps(nb).encode()
