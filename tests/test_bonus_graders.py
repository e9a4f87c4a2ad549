"""The bonus assignment's whole answer catalogue, graded by ``nbgrader autograde`` and by
``python -m autograder grade``: every answer classified right by both, every cell scored alike
(the written answer left for grading by hand by both), every mistake named.

Each submission pairs one answer to each of the three exercises, so the class is as large as the
longest list. nbgrader grades two halves of the class in two course copies at once; ours grades
the whole class in a third copy.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from solutions.W1D1_Tutorial2_Bonus import ASSIGNMENT
from solutions.W1D1_Tutorial2_Bonus.catalogue import (
    HIDDEN_CELLS,
    PUBLIC_CELLS,
    Answer,
    answers_for,
    fill_in,
)
from tests.bonus import RELEASE, gradebook_scores, read, results, submit
from tests.helpers import copy_course, nbgrader_autograde, register_assignment, run_module

pytestmark = pytest.mark.slow

FUNCTIONS = ("simulate_lif", "firing_rate", "lif_rate")
POINTS = {"ex1_public": 2, "ex1_hidden": 4, "ex2_public": 1, "ex2_hidden": 1, "ex3_public": 1,
          "ex3_hidden": 2}
WRITTEN = "The Euler step and the time grid; below 0.3 nA V_inf stays below V_th."


def catalogue_class() -> dict[str, tuple[Answer, ...]]:
    lists = [answers_for(f) for f in FUNCTIONS]
    return {f"answer{k:03d}": tuple(a[k % len(a)] for a in lists)
            for k in range(max(len(a) for a in lists))}


def answers_in_writing(student: str) -> bool:
    """Every other student answers the written question; the others leave the release's text."""
    return int(student.removeprefix("answer")) % 2 == 1


@pytest.fixture(scope="module")
def graded_catalogue(tmp_path_factory):
    template = copy_course(tmp_path_factory.mktemp("template") / "course")
    register_assignment(template, ASSIGNMENT)
    release_nb = read(RELEASE)
    students = catalogue_class()
    names = sorted(students)
    halves = [names[0::2], names[1::2]]
    roots = {}
    for tool, group in (("ours", names), ("nbgrader-a", halves[0]), ("nbgrader-b", halves[1])):
        root = tmp_path_factory.mktemp(tool) / "course"
        shutil.copytree(template, root)
        for student in group:
            submit(root, student, fill_in(release_nb, *students[student],
                                          written=WRITTEN if answers_in_writing(student) else None))
        roots[tool] = root
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as both:
        runs = list(both.map(partial(nbgrader_autograde, assignment=ASSIGNMENT),
                             [roots["nbgrader-a"], roots["nbgrader-b"]]))
    theirs_seconds = time.perf_counter() - start
    for done in runs:
        assert done.returncode == 0, done.stderr[-2000:]
    start = time.perf_counter()
    ours = run_module("autograder", "grade", ASSIGNMENT, "--no-progress", cwd=roots["ours"],
                      timeout=1200)
    ours_seconds = time.perf_counter() - start
    assert ours.returncode == 0, ours.stderr
    print(f"\n{len(names)} submissions: nbgrader autograde {theirs_seconds:.0f} s (two at once), "
          f"python -m autograder grade {ours_seconds:.0f} s")
    theirs = {s: roots["nbgrader-a" if s in halves[0] else "nbgrader-b"] for s in names}
    return students, roots["ours"], theirs


def test_the_class_holds_every_catalogue_answer():
    paired = {a for answers in catalogue_class().values() for a in answers}
    assert paired == {a for f in FUNCTIONS for a in answers_for(f)}


@pytest.mark.parametrize("student", sorted(catalogue_class()),
                         ids=lambda s: "; ".join(a.label for a in catalogue_class()[s]) +
                         "; by both graders")
def test_both_graders_classify_each_answer_right(graded_catalogue, student):
    students, ours_root, theirs_root = graded_catalogue
    ours = gradebook_scores(ours_root, student)
    theirs = gradebook_scores(theirs_root[student], student)
    assert ours == theirs, "the two graders scored some cell differently"
    if answers_in_writing(student):
        assert ours["ex3_written"] is None, "a written answer is left for grading by hand"
    else:
        assert ours["ex3_written"] == 0, "an unanswered question scores 0, as nbgrader has it"
    checks = results(ours_root, student)["extra_data"]["checks"]
    for ans in students[student]:
        hidden, public = HIDDEN_CELLS[ans.function], PUBLIC_CELLS[ans.function]
        assert (ours[hidden] == POINTS[hidden]) == ans.correct, f"{hidden} misjudged {ans.label}"
        assert (ours[public] == POINTS[public]) == (ans.hint is None), \
            f"{public} misjudged {ans.label}"
        if ans.mistake:
            assert checks[hidden]["label"] == ans.mistake, \
                f"{ans.label} was named {checks[hidden]['label']!r}"
    if all(a.correct for a in students[student]):
        assert ours["ex3_euler"] == 1, "three right answers agree with each other"
