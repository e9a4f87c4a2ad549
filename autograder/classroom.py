"""``python -m autograder classroom ASSIGNMENT FOLDER``: a GitHub Classroom template repository.

FOLDER receives what students get and nothing more: the assignment's released files (exactly
``release/ASSIGNMENT/``, as ``nbgrader generate_assignment`` wrote them), a README for
students, and a workflow that scores the PUBLIC test cells on every push, the way GitHub
Classroom's autograding expects: one ``education/autograding-command-grader@v1`` step per
public test cell, with that cell's points as ``max-score``, and
``education/autograding-grading-reporter@v1`` reporting the total to Classroom. That is the
workflow GitHub Classroom itself writes into ``.github/workflows/classroom.yml`` since its 2024
autograding update. GitHub's documentation of autograding:
https://docs.github.com/en/education/manage-coursework-with-github-classroom/teach-with-github-classroom/use-autograding
and the actions' inputs: https://github.com/education/autograding-command-grader and
https://github.com/education/autograding-grading-reporter (``max-score`` is parsed as a whole
number; the reporter reads each step's result from ``<STEP ID>_RESULTS`` and posts the total to
the check run of the job ``run-autograding-tests``). The older ``.github/classroom/
autograding.json`` read by ``education/autograding`` is retired (that repository is archived).

The public checks run without the grader or the course: ``.github/classroom/public_checks.py``
(a copy of :mod:`autograder.classroom_checks`) executes the notebooks with nbclient and scores
each public test cell as nbgrader does. A test cell is public when its master holds no
hidden-tests region; its points are the master's. The master notebooks, the hidden tests, the
trusted checks and the course's reference code never enter FOLDER: the hidden checks run only
when the instructor collects the repositories and grades them with ``python -m autograder
grade`` (see docs/github-classroom.md).

Nothing is overwritten: FOLDER must be new or empty.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import re
import shlex
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import nbformat
import yaml
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets import List, Unicode
from traitlets.config import Configurable

from autograder.config import Settings
from autograder.course import Course
from autograder.errors import GraderError
from autograder.master import NotebookMaster, master_notebooks

RUNNER = Path(__file__).with_name("classroom_checks.py")
CLASSROOM_DIR = Path(".github") / "classroom"
WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
#: What the public checks themselves need (nbclient runs the notebooks in an ipykernel).
RUNNER_PACKAGES = ("nbclient", "nbformat", "ipykernel")
COMMAND_GRADER = "education/autograding-command-grader@v1"
DOCS_URL = ("https://docs.github.com/en/education/manage-coursework-with-github-classroom/"
            "teach-with-github-classroom/use-autograding")
REPORTER = "education/autograding-grading-reporter@v1"


class Classroom(Configurable):
    """Options of ``python -m autograder classroom``; set them as ``c.Classroom.<name>``."""

    packages = List(Unicode(), ["numpy", "scipy", "matplotlib", "ipywidgets"], help=dedent("""
        The packages the students' notebooks import. The template's requirements pin each,
        and the public checks' own (nbclient, nbformat, ipykernel), to the version installed
        where the template is made: students are checked with what the course was tested
        with.""")).tag(config=True)
    python_version = Unicode(f"{sys.version_info.major}.{sys.version_info.minor}", help=dedent("""
        The Python the workflow installs (actions/setup-python); by default the one the
        template is made with, so that the pinned versions exist for it.""")).tag(config=True)


@dataclass(frozen=True)
class PublicTest:
    """A test cell students may see and run, and its points."""

    notebook: str  # file name, e.g. "hw1.ipynb"
    grade_id: str
    points: int


def _read_release(path: Path, config) -> nbformat.NotebookNode:
    """A released notebook, refused if it still holds a solution or a hidden test."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:
        raise GraderError(f"{path}: not a readable notebook ({type(exc).__name__})") from None
    markers = (ClearSolutions(config=config).begin_solution_delimeter,
               ClearHiddenTests(config=config).begin_test_delimeter)
    for cell in nb.cells:
        for marker in markers:
            if marker in cell.source:
                raise GraderError(f"{path}: cell {_cell_name(cell)} still holds "
                                  f"{marker!r}: not a student version; run `python -m "
                                  "autograder release` first")
    return nb


def _cell_name(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or "without a grade id"


def _grade_cells(nb) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata.nbgrader["grade_id"]: c for c in nb.cells if utils.is_grade(c)}


def assignment_tests(settings: Settings, assignment: str,
                     releases: dict[str, nbformat.NotebookNode]) -> tuple[list[PublicTest], float]:
    """The public tests (every autograded test cell whose master holds no hidden-tests region,
    with the master's points, checked against the release: a stale release would score other
    tests) and the points of everything else that is graded (hidden tests, manual grading)."""
    course = Course.from_settings(settings)
    begin = ClearHiddenTests(config=settings.config).begin_test_delimeter
    tests, other = [], 0.0
    for path in master_notebooks(course.source_dir(assignment), assignment):
        master = NotebookMaster.from_master(path, assignment, settings.config, settings.root)
        release = releases.get(path.name)
        if release is None:
            raise GraderError(f"{course.release_dir(assignment) / path.name} is missing: run "
                              f"`python -m autograder release {assignment}` first")
        released = _grade_cells(release)
        sources = {c.name: c.source for c in master.source_cells}
        points = master.max_scores()
        public = [g for g in master.autograded_tests() if begin not in sources[g]]
        other += sum(v for k, v in points.items() if k not in public)
        for grade_id in public:
            cell = released.get(grade_id)
            if cell is None or cell.source != sources[grade_id]:
                raise GraderError(f"{course.release_dir(assignment) / path.name}: test cell "
                                  f"{grade_id} differs from the master: run `python -m "
                                  f"autograder release {assignment}` first")
            if points[grade_id] != math.floor(points[grade_id]):
                raise GraderError(f"{path}: test cell {grade_id} is worth {points[grade_id]:g} "
                                  "points; GitHub Classroom's command grader awards whole "
                                  "points only")
            tests.append(PublicTest(path.name, grade_id, int(points[grade_id])))
    return tests, other


def locked_cells(nb) -> dict[str, dict]:
    """The released read-only cells (tests included), which the public checks put back before
    they run a student's notebook."""
    return {c.metadata.nbgrader["grade_id"]: {"cell_type": c.cell_type, "source": c.source}
            for c in nb.cells if utils.is_locked(c)}


def requirements(packages: list[str]) -> str:
    """``name==version`` for each package, as installed here."""
    lines = []
    for name in [*packages, *RUNNER_PACKAGES]:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            raise GraderError(f"Classroom.packages: {name} is not installed here, so its "
                              "version cannot be pinned; install it or leave it out") from None
    return "\n".join(dict.fromkeys(lines)) + "\n"


def step_ids(tests: list[PublicTest]) -> list[str]:
    """Step ids the reporter accepts (letters and digits) and that name the cell."""
    several = len({t.notebook for t in tests}) > 1
    ids: list[str] = []
    for test in tests:
        name = f"{Path(test.notebook).stem}_{test.grade_id}" if several else test.grade_id
        base = re.sub(r"[^A-Za-z0-9]", "", name) or "test"
        base = base if base[0].isalpha() else f"t{base}"
        candidate, n = base, 1
        while candidate in ids:
            n += 1
            candidate = f"{base}{n}"
        ids.append(candidate)
    return ids


def _test_name(test: PublicTest) -> str:
    return f"{test.notebook}: {test.grade_id}"


def workflow(tests: list[PublicTest], python_version: str, run_minutes: int) -> str:
    """``.github/workflows/classroom.yml`` as GitHub Classroom's autograding expects it."""
    runner = (CLASSROOM_DIR / "public_checks.py").as_posix()
    steps = [
        {"name": "Checkout code", "uses": "actions/checkout@v4"},
        {"name": "Set up Python", "uses": "actions/setup-python@v5",
         "with": {"python-version": python_version}},
        {"name": "Install the notebooks' packages",
         "run": f"python -m pip install -r {(CLASSROOM_DIR / 'requirements.txt').as_posix()}"},
        {"name": "Run the notebooks and their public checks", "run": f"python {runner} run",
         "timeout-minutes": run_minutes, "continue-on-error": True},
    ]
    ids = step_ids(tests)
    for test, step_id in zip(tests, ids, strict=True):
        command = shlex.join(["python", runner, "score", test.notebook, test.grade_id])
        steps.append({"name": _test_name(test), "id": step_id, "uses": COMMAND_GRADER,
                      "with": {"test-name": _test_name(test), "command": command,
                               "timeout": 1, "max-score": test.points}})
    steps.append({"name": "Autograding Reporter", "uses": REPORTER,
                  "env": {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}"
                          for i in ids},
                  "with": {"runners": ",".join(ids)}})
    document = {
        "name": "Autograding Tests",
        "on": ["push", "repository_dispatch", "workflow_dispatch"],
        "permissions": {"checks": "write", "actions": "read", "contents": "read"},
        # The reporter posts the points to the check run of this job: keep its name.
        "jobs": {"run-autograding-tests": {
            "runs-on": "ubuntu-latest",
            "if": "github.actor != 'github-classroom[bot]'",
            "steps": steps}},
    }
    header = dedent(f"""\
        # GitHub Classroom autograding: the PUBLIC checks of this assignment, on every push.
        # One command-grader step per public test cell (max-score: its points), then the
        # reporter sends the total to GitHub Classroom. See
        # {DOCS_URL}
        # and https://github.com/education/autograding-command-grader.
        # The hidden checks are not here: they run when your instructor grades your work.
        # Written by `python -m autograder classroom`; please do not edit.
        """)
    return header + yaml.safe_dump(document, sort_keys=False, width=100)


README = """\
# {assignment}

Your work for this assignment goes in {notebooks}.
Open it in Jupyter (or VS Code), complete each exercise where it says so, and run the whole
notebook: its self-check cells tell you what is wrong, if anything.

## Handing in

Commit your notebook and push it to this repository, as often as you like. Every push runs the
**public checks** on GitHub (the *Actions* tab shows the run, and GitHub Classroom records the
points). What you have pushed at the deadline is what gets graded.

| notebook | public check | points |
|---|---|---|
{checks}
{hidden}
Before the checks run, every read-only cell (the tests included) is put back as it was handed
out, so change only the cells meant for your answers. Do not change `.github/`: it is how your
work is checked.

To run the public checks on your own computer:

    python -m pip install -r .github/classroom/requirements.txt
    python .github/classroom/public_checks.py run
"""


HIDDEN = """
The assignment's other {points:g} points come from **hidden checks** (and anything graded by
hand). They are not in this repository: they run only when your instructor grades the work
collected at the deadline, and your feedback then shows what they found.
"""


def readme(assignment: str, notebooks: list[str], tests: list[PublicTest],
           hidden: float) -> str:
    checks = "\n".join(f"| `{t.notebook}` | `{t.grade_id}` | {t.points} |" for t in tests)
    return README.format(assignment=assignment, checks=checks,
                         hidden=HIDDEN.format(points=hidden) if hidden else "",
                         notebooks=", ".join(f"`{n}`" for n in notebooks))


def _prepare(folder: Path) -> None:
    if folder.is_symlink() or folder.is_file():
        raise GraderError(f"{folder} exists and is not a folder: give a new folder")
    if folder.exists() and any(folder.iterdir()):
        raise GraderError(f"{folder} exists and is not empty: give a new folder (nothing was "
                          "written)")
    folder.mkdir(parents=True, exist_ok=True)


def _release_files(release: Path) -> list[Path]:
    """The release's regular files, relative to it (no link is followed)."""
    found = []
    for root, dirs, names in os.walk(release, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in names:
            path = Path(root, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                found.append(path.relative_to(release))
    return sorted(found)


def write_template(settings: Settings, assignment: str, folder: Path) -> list[str]:
    """Write the template repository into ``folder``; returns a line per thing written."""
    course = Course.from_settings(settings)
    release = course.release_dir(assignment)
    if not course.source_dir(assignment).is_dir():
        raise GraderError(f"no assignment {assignment!r}: {course.source_dir(assignment)} "
                          "does not exist")
    if not release.is_dir():
        raise GraderError(f"{release} does not exist: run `python -m autograder release "
                          f"{assignment}` first")
    files = _release_files(release)
    releases = {str(p): _read_release(release / p, settings.config)
                for p in files if p.suffix == ".ipynb" and len(p.parts) == 1}
    tests, hidden = assignment_tests(settings, assignment, releases)
    options = Classroom(config=settings.config)
    for clash in files:
        if clash in (Path("README.md"), Path(".gitignore")) or clash.parts[0] == ".github":
            raise GraderError(f"{release / clash}: the template writes its own; rename that "
                              "file in source/")
    reqs = requirements(list(options.packages))
    folder = Path(folder)
    _prepare(folder)
    for rel in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(release / rel, folder / rel, follow_symlinks=False)
    manifest = {"assignment": assignment, "cell_timeout": settings.cell_timeout(),
                "notebooks": {name: {"public": {t.grade_id: t.points for t in tests
                                                if t.notebook == name},
                                     "locked": locked_cells(nb)}
                              for name, nb in releases.items()}}
    checks = folder / CLASSROOM_DIR
    checks.mkdir(parents=True)
    shutil.copyfile(RUNNER, checks / "public_checks.py")
    (checks / "public_tests.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (checks / "requirements.txt").write_text(reqs)
    run_minutes = math.ceil(len(releases) * settings.options.timeout / 60) + 2
    (folder / WORKFLOW).parent.mkdir(parents=True)
    (folder / WORKFLOW).write_text(workflow(tests, options.python_version, run_minutes))
    (folder / "README.md").write_text(readme(assignment, sorted(releases), tests, hidden))
    (folder / ".gitignore").write_text(f"{(CLASSROOM_DIR / 'results.json').as_posix()}\n"
                                       ".ipynb_checkpoints/\n__pycache__/\n")
    points = sum(t.points for t in tests)
    return [f"copied {len(files)} released file(s) of {assignment} into {folder}",
            f"workflow {WORKFLOW}: {len(tests)} public check(s), {points} point(s)",
            "hidden checks are not in the template: they run when you grade the collected "
            "work (docs/github-classroom.md)"]
