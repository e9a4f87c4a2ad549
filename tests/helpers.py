"""Helpers of the test suite: course folders, submissions, running the commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "W1D1_Tutorial2"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
MASTER = REPO / "source" / ASSIGNMENT / NOTEBOOK
RELEASE = REPO / "release" / ASSIGNMENT / NOTEBOOK
TIMESTAMP = "2026-11-20 12:00:00.000000 UTC\n"


def copy_course(target: Path) -> Path:
    """A course root with what an instructor keeps in the repository."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "source", target / "source")
    shutil.copytree(REPO / "release", target / "release")
    shutil.copy2(REPO / "nbgrader_config.py", target / "nbgrader_config.py")
    return target


def register_assignment(root: Path, assignment: str) -> None:
    """Record the assignment in the course's gradebook, as generate_assignment does."""
    from autograder.config import Settings
    from autograder.register import register

    settings = Settings.load(root)
    register(root, settings.config, assignment, settings.db_url())


def submit(course_root: Path, student: str, nb_or_bytes, name: str = NOTEBOOK,
           timestamp: str | None = TIMESTAMP) -> Path:
    """Put a submission where nbgrader's collect would put it."""
    folder = course_root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else \
        nbformat.writes(nb_or_bytes).encode()
    (folder / name).write_bytes(data)
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp)
    return folder


def run_module(*args: str, cwd: Path, timeout: float = 600, env: dict | None = None
               ) -> subprocess.CompletedProcess:
    """Run ``python -m <args>`` as a user would, capturing its output."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=full_env)


def grade(course_root: Path, *extra: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return run_module("autograder", "grade", ASSIGNMENT, "--no-progress", *extra,
                      cwd=course_root, timeout=timeout)


def results(course_root: Path, student: str, assignment: str = ASSIGNMENT) -> dict:
    import json

    path = course_root / "autograded" / student / assignment / "results.json"
    return json.loads(path.read_text())


def cell_scores(result: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in result["tests"]}


def gradebook_scores(course_root: Path, student: str, db_url: str | None = None
                     ) -> dict[str, float | None]:
    """Per-cell auto scores as nbgrader's gradebook holds them."""
    from nbgrader.api import Gradebook

    url = db_url or f"sqlite:///{course_root / 'gradebook.db'}"
    with Gradebook(url) as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {g.name: g.auto_score for g in notebook.grades}


def summary_counts(stdout: str) -> dict[str, int]:
    """The closing counts of ``grade``'s summary: graded, not gradable, skipped."""
    counts = {}
    for line in stdout.splitlines():
        for label in ("graded", "not gradable", "skipped"):
            if line.startswith(label + " ") and line[len(label):].split()[:1][0].isdigit():
                counts[label] = int(line[len(label):].split()[0])
    return counts


def outputs_text(course_root: Path, student: str, assignment: str = ASSIGNMENT) -> str:
    """Every output of a student's autograded notebook, as text (never the cells' source)."""
    graded = nbformat.read(str(course_root / "autograded" / student / assignment /
                               f"{assignment}.ipynb"), 4)
    text = []
    for cell in graded.cells:
        for output in cell.get("outputs", []):
            text.append(str(output.get("text", "")) + str(output.get("evalue", "")))
    return "\n".join(text)


def nbgrader_autograde(root: Path, assignment: str = ASSIGNMENT, timeout: float = 1800
                       ) -> subprocess.CompletedProcess:
    """Real ``nbgrader autograde`` of a whole assignment in the course at ``root``."""
    return subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment,
                           "--log-level=ERROR"], cwd=root, capture_output=True, text=True,
                          timeout=timeout)


def assert_example_figures_current(figures: dict[str, bytes], folder: Path) -> None:
    """The example figures a master draws look like the committed ones in ``folder`` (on
    average within 1% per pixel: fonts may render a little differently)."""
    import io

    import matplotlib.image
    import numpy as np

    for name, png in figures.items():
        fresh = matplotlib.image.imread(io.BytesIO(png))
        committed = matplotlib.image.imread(folder / name)
        assert fresh.shape == committed.shape, f"{name} is stale: run `make release`"
        assert np.abs(fresh - committed).mean() < 0.01, f"{name} is stale: run `make release`"
