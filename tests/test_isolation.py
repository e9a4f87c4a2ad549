"""Hostile submissions: the verdict is computed outside the student's process and cannot be faked,
nothing outside the sandbox can be read or written, and nothing outlives the submission."""

from __future__ import annotations

import os
import shutil

import nbformat
import pytest

from tests.helpers import ASSIGNMENT, NOTEBOOK, cell_scores, grade, results, submit
from tests.hostile import (
    CHEATS,
    ESCAPES_AND_LINGERS,
    INSPECTS_THE_WARM_CELLS,
    KILLS_THE_GRADER,
    SNOOPS_AROUND,
    cheating_notebook,
    sabotaging_notebook,
)

pytestmark = pytest.mark.slow

CAUGHT = {"ex1_public": 0.0, "ex1_hidden": 0.0, "ex2_public": 2.0, "ex2_hidden": 3.0}
SABOTAGE = {"killer": KILLS_THE_GRADER, "lingerer": ESCAPES_AND_LINGERS, "snoop": SNOOPS_AROUND,
            "warm-snoop": INSPECTS_THE_WARM_CELLS}


def student_id(cheat: str) -> str:
    return "cheat-" + cheat.replace(" ", "-").replace("'", "")


def lingering_sleepers() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if handle.read().split(b"\0")[:2] == [b"sleep", b"300"]:
                    pids.append(int(entry))
        except (OSError, ValueError):
            continue
    return pids


@pytest.fixture(scope="module")
def hostile_class(registered_course, tmp_path_factory, release_nb):
    root = tmp_path_factory.mktemp("hostile") / "course"
    shutil.copytree(registered_course, root)
    for cheat in CHEATS:
        submit(root, student_id(cheat), cheating_notebook(release_nb, cheat, str(root)))
    for student, code in SABOTAGE.items():
        submit(root, student, sabotaging_notebook(release_nb, code, str(root)))
    submit(root, "neighbour", sabotaging_notebook(release_nb, "", str(root)))
    before = set(lingering_sleepers())
    done = grade(root, "--workers", "2")
    return root, done, before


@pytest.mark.parametrize("cheat", sorted(CHEATS), ids=lambda c: f"a student who {c}")
def test_cheating_does_not_pass_the_hidden_checks(hostile_class, cheat):
    root, done, _ = hostile_class
    assert done.returncode == 0, done.stderr
    scores = cell_scores(results(root, student_id(cheat)))
    assert scores["ex1_hidden"] == 0 and scores["ex1_public"] == 0
    if "forges" not in cheat:  # forged messages cut the submission's own protocol short
        assert scores == CAUGHT


@pytest.mark.skipif(os.geteuid() != 0, reason="killing other processes is only contained when "
                    "the grader runs as root (student code then runs as its own user)")
def test_student_code_cannot_kill_the_grader(hostile_class):
    root, done, _ = hostile_class
    assert done.returncode == 0
    killer = results(root, "killer")
    assert cell_scores(killer)["ex1_hidden"] == 3, "cells before the kill keep their points"
    assert cell_scores(results(root, "neighbour")) == {
        "ex1_public": 2.0, "ex1_hidden": 3.0, "ex2_public": 2.0, "ex2_hidden": 3.0}


def test_nothing_outlives_the_submission(hostile_class):
    root, _, before = hostile_class
    assert set(lingering_sleepers()) <= before, "processes started by student code survived"
    assert results(root, "lingerer")["score"] == 10


def test_student_code_sees_no_course_files_and_cannot_write_them(hostile_class):
    root, _, _ = hostile_class
    graded_nb = nbformat.read(str(root / "autograded" / "snoop" / ASSIGNMENT / NOTEBOOK), 4)
    cell = next(c for c in graded_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_lif_neuron_inh")
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert "FOUND 0 []" in text and "cannot write" in text
    assert not (root / "autograded" / "pwned.txt").exists()
    assert results(root, "snoop")["score"] == 10


def test_the_cells_warmed_up_in_every_sandbox_are_the_releases_only(hostile_class):
    """The warm worker reads the release's cells in advance (the same in every submission); the
    source's solutions and hidden tests must never be there, where student code can look."""
    root, _, _ = hostile_class
    graded_nb = nbformat.read(str(root / "autograded" / "warm-snoop" / ASSIGNMENT / NOTEBOOK), 4)
    cell = next(c for c in graded_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_lif_neuron_inh")
    text = "".join(o.get("text", "") for o in cell.outputs)
    counts = text.split("WARM CELLS", 1)[1].split()
    assert int(counts[0]) > 5, text  # the release's code cells
    assert counts[1:] == ["WITH", "MASTER", "TEXT", "0", "WITH", "THE", "EXERCISE", "1"], text
    assert results(root, "warm-snoop")["score"] == 10
