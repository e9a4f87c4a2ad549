"""Helpers of the bonus assignment's tests (W1D1_Tutorial2_Bonus): its notebooks, its helpers
as a student's kernel defines them, and its submissions and grades in a course folder."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import nbformat
import numpy as np

from solutions.W1D1_Tutorial2_Bonus import ASSIGNMENT
from solutions.W1D1_Tutorial2_Bonus.catalogue import Answer, function_source
from tests.helpers import REPO, TIMESTAMP

matplotlib.use("Agg")

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
MASTER = REPO / "source" / ASSIGNMENT / NOTEBOOK
RELEASE = REPO / "release" / ASSIGNMENT / NOTEBOOK
SETUP_CELLS = ("setup_imports", "setup_figures", "setup_helpers", "setup_checks")
SELF_CHECKS = {"simulate_lif": "self_check_simulate_lif", "firing_rate": "self_check_firing_rate",
               "lif_rate": "self_check_lif_rate"}


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def cell(nb, gid: str):
    return next(c for c in nb.cells if grade_id(c) == gid)


def setup_namespace(nb) -> dict:
    """What the notebook's setup cells define, as a student's kernel gets it (IPython magics
    left out; figures drawn off screen)."""
    namespace: dict = {}
    for gid in SETUP_CELLS:
        source = "\n".join(line for line in cell(nb, gid).source.splitlines()
                           if not line.lstrip().startswith("%"))
        exec(compile(source, f"<{gid}>", "exec"), namespace)
    return namespace


def define(release_nb, ans: Answer, namespace: dict | None = None):
    """The student's function, defined as their exercise cell would define it."""
    namespace = dict(namespace) if namespace is not None else {"np": np}
    exec(compile(function_source(release_nb, ans), f"<answer {ans.key}>", "exec"), namespace)
    return namespace[ans.function]


def submit(course_root: Path, student: str, nb_or_bytes) -> Path:
    """Put a submission of the bonus assignment where nbgrader's collect would put it."""
    folder = course_root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else \
        nbformat.writes(nb_or_bytes).encode()
    (folder / NOTEBOOK).write_bytes(data)
    (folder / "timestamp.txt").write_text(TIMESTAMP)
    return folder


def results(course_root: Path, student: str) -> dict:
    path = course_root / "autograded" / student / ASSIGNMENT / "results.json"
    return json.loads(path.read_text())


def gradebook_scores(course_root: Path, student: str) -> dict[str, float | None]:
    """Per-cell auto scores of a bonus submission as nbgrader's gradebook holds them."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {g.name: g.auto_score for g in notebook.grades}
