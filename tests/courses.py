"""Courses this repository did not write, and students for them, to grade both ways.

* nbgrader's own documentation course ``ps1``, as the nbgrader package ships it
  (``nbgrader/docs/source/user_guide``): two notebooks, a header notebook, manually graded
  answers and a task cell, the two students nbgrader ships, and students of our own.
* this course with an exercise an instructor added the ordinary nbgrader way (a solution region,
  a test cell with public asserts and a hidden-tests region), and a second assignment whose cell
  names look like this course's (``ex1_...``) but which has no trusted checks at all.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import nbgrader

from tests.helpers import REPO, copy_course, register_assignment

USER_GUIDE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"
DEAD_KERNEL = "import os\nos._exit(1)"


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answered(release_nb, master_nb, ids: set[str] | None = None, change=None):
    """The release notebook with its answer cells filled in from the master's solutions
    (``ids``: only those; ``change``: a function applied to each answer's source)."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(release_nb)))
    solutions = {_grade_id(c): c.source for c in master_nb.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in solutions and (ids is None or gid in ids):
            source = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", solutions[gid],
                            flags=re.M)
            cell.source = change(source) if change else source
    return nb


def write_submission(root: Path, assignment: str, student: str, notebooks: dict) -> Path:
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        data = nb if isinstance(nb, bytes) else nbformat.writes(nb).encode()
        (folder / f"{name}.ipynb").write_bytes(data)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
    return folder


# --- nbgrader's documentation course ----------------------------------------------------------

PS1_CONFIG = '''c = get_config()
c.CourseDirectory.course_id = "example_course"
c.IncludeHeaderFooter.header = "source/header.ipynb"
'''


def ps1_course(root: Path) -> Path:
    """ps1 from nbgrader's docs, released (and recorded in the gradebook) as nbgrader does, with
    its two students and ours: right, half right, raising everywhere, a dead kernel, the
    untouched release, a missing notebook."""
    root.mkdir(parents=True)
    shutil.copytree(USER_GUIDE / "source" / "ps1", root / "source" / "ps1")
    shutil.copy2(USER_GUIDE / "source" / "header.ipynb", root / "source" / "header.ipynb")
    shutil.copytree(USER_GUIDE / "submitted", root / "submitted")
    (root / "nbgrader_config.py").write_text(PS1_CONFIG)
    from autograder.authoring import generate_assignment
    from autograder.config import Settings

    generate_assignment(Settings.load(root), "ps1")
    release = {n: nbformat.read(str(root / "release" / "ps1" / f"{n}.ipynb"), 4)
               for n in ("problem1", "problem2")}
    master = {n: nbformat.read(str(root / "source" / "ps1" / f"{n}.ipynb"), 4)
              for n in ("problem1", "problem2")}
    right = {n: answered(release[n], master[n]) for n in release}
    write_submission(root, "ps1", "right", right)
    write_submission(root, "ps1", "half-right", {"problem1": right["problem1"],
                                                 "problem2": release["problem2"]})
    write_submission(root, "ps1", "raising", {
        n: answered(release[n], master[n], change=lambda s: s + "\nraise RuntimeError('oops')")
        for n in release})
    dead = answered(release["problem1"], master["problem1"], ids={"squares"},
                    change=lambda s: s + "\n" + DEAD_KERNEL)
    write_submission(root, "ps1", "dead-kernel", {"problem1": dead, "problem2": right["problem2"]})
    write_submission(root, "ps1", "stub", release)
    write_submission(root, "ps1", "one-notebook", {"problem1": right["problem1"]})
    return root


# --- this course, with an exercise an instructor added -----------------------------------------

ADDED_MARKDOWN = """## Added exercise: the ISI coefficient of variation

Write `isi_cv(spike_times)`: the standard deviation of the inter-spike intervals divided by
their mean."""

ADDED_ANSWER = '''def isi_cv(spike_times):
    """Coefficient of variation of the intervals between consecutive spikes."""
    ### BEGIN SOLUTION
    isi = np.diff(spike_times)
    return np.std(isi) / np.mean(isi)
    ### END SOLUTION'''

ADDED_TEST = '''# Tests of isi_cv (2 points)
assert isi_cv([1, 2, 3, 4]) == 0
### BEGIN HIDDEN TESTS
assert abs(isi_cv([0, 1, 3, 6]) - np.std([1, 2, 3]) / 2) < 1e-12
assert abs(isi_cv([10, 11, 13]) - 1 / 3) < 1e-12
### END HIDDEN TESTS'''

WRONG_ADDED = '''def isi_cv(spike_times):
    """Coefficient of variation (with the spread and the mean swapped)."""
    isi = np.diff(spike_times)
    return np.mean(isi) / np.std(isi) if np.std(isi) else 0.0'''


def _added_cells() -> list:
    def meta(gid: str, **flags) -> dict:
        return {"nbgrader": {"grade_id": gid, "schema_version": 3, "grade": False,
                             "solution": False, "locked": False, "task": False, **flags}}

    return [nbformat.v4.new_markdown_cell(ADDED_MARKDOWN),
            nbformat.v4.new_code_cell(ADDED_ANSWER, metadata=meta("ex3_isi_cv", solution=True)),
            nbformat.v4.new_code_cell(ADDED_TEST, metadata=meta("ex3_tests", grade=True,
                                                                locked=True, points=2))]


def course_with_added_exercise(root: Path) -> Path:
    """This course, with a third exercise inserted after Exercise 2 (plain nbgrader asserts,
    public and hidden), released and recorded like any master."""
    copy_course(root)
    path = root / "source" / "W1D1_Tutorial2" / "W1D1_Tutorial2.ipynb"
    master = nbformat.read(str(path), 4)
    after = next(k for k, c in enumerate(master.cells) if _grade_id(c) == "ex2_hidden")
    master.cells[after + 1:after + 1] = _added_cells()
    nbformat.write(master, str(path))
    from autograder.authoring import generate_assignment
    from autograder.config import Settings

    generate_assignment(Settings.load(root), "W1D1_Tutorial2")
    return root


SECOND_ASSIGNMENT = "W2_plain"


def add_plain_assignment(root: Path) -> None:
    """A second assignment whose cell ids look like the first's but are plain asserts."""
    folder = root / "source" / SECOND_ASSIGNMENT
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}

    def meta(gid: str, **flags) -> dict:
        return {"nbgrader": {"grade_id": gid, "schema_version": 3, "grade": False,
                             "solution": False, "locked": False, "task": False, **flags}}

    nb.cells = [
        nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                  "    ### END SOLUTION", metadata=meta("ex1_double",
                                                                        solution=True)),
        nbformat.v4.new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\n"
                                  "assert double(-3) == -6\n### END HIDDEN TESTS",
                                  metadata=meta("ex1_hidden", grade=True, locked=True,
                                                points=1))]
    nbformat.write(nb, str(folder / "plain.ipynb"))
    register_assignment(root, SECOND_ASSIGNMENT)


def release_of(root: Path, assignment: str, notebook: str):
    from autograder.authoring import generate_assignment
    from autograder.config import Settings

    target = root / "release" / assignment / f"{notebook}.ipynb"
    if not target.exists():
        generate_assignment(Settings.load(root), assignment)
    return nbformat.read(str(target), 4)


__all__ = ["REPO", "USER_GUIDE", "answered", "course_with_added_exercise", "ps1_course"]
