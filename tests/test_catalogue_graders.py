"""The whole answer catalogue, graded by ``nbgrader autograde`` and by ``python -m autograder
grade``: every answer classified right by both, every cell scored alike, every mistake named.

Each submission pairs one answer to Exercise 1 with one to Exercise 2, so the class is as large
as the longer list. nbgrader grades two halves of the class in two course copies at once (it
takes about 3 s a submission); ours grades the whole class in a third copy.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from solutions.W1D1_Tutorial2.catalogue import Answer, answers_for, fill_in
from tests.helpers import (
    ASSIGNMENT,
    grade,
    gradebook_scores,
    nbgrader_autograde,
    results,
    submit,
)

pytestmark = pytest.mark.slow

HIDDEN = {"lif_neuron": "ex1_hidden", "lif_neuron_inh": "ex2_hidden"}


def catalogue_class() -> dict[str, tuple[Answer, Answer]]:
    first, second = answers_for("lif_neuron"), answers_for("lif_neuron_inh")
    return {f"answer{k:03d}": (first[k % len(first)], second[k % len(second)])
            for k in range(max(len(first), len(second)))}


@pytest.fixture(scope="module")
def graded_catalogue(registered_course, tmp_path_factory, release_nb):
    students = catalogue_class()
    names = sorted(students)
    halves = [names[0::2], names[1::2]]
    roots = {}
    for tool, group in (("ours", names), ("nbgrader-a", halves[0]), ("nbgrader-b", halves[1])):
        root = tmp_path_factory.mktemp(tool) / "course"
        shutil.copytree(registered_course, root)
        for student in group:
            submit(root, student, fill_in(release_nb, *students[student]))
        roots[tool] = root
    with ThreadPoolExecutor(2) as both:
        runs = list(both.map(partial(nbgrader_autograde, assignment=ASSIGNMENT),
                             [roots["nbgrader-a"], roots["nbgrader-b"]]))
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    ours = grade(roots["ours"], timeout=1200)
    assert ours.returncode == 0, ours.stderr
    theirs = {s: roots["nbgrader-a" if s in halves[0] else "nbgrader-b"] for s in names}
    return students, roots["ours"], theirs


def test_the_class_holds_every_catalogue_answer():
    paired = {a for pair in catalogue_class().values() for a in pair}
    assert paired == set(answers_for("lif_neuron")) | set(answers_for("lif_neuron_inh"))


@pytest.mark.parametrize("student", sorted(catalogue_class()),
                         ids=lambda s: "{}; {}; by both graders".format(
                             *(a.label for a in catalogue_class()[s])))
def test_both_graders_classify_each_answer_right(graded_catalogue, student):
    students, ours_root, theirs_root = graded_catalogue
    ours = gradebook_scores(ours_root, student)
    theirs = gradebook_scores(theirs_root[student], student)
    assert ours == theirs, "the two graders scored some cell differently"
    checks = results(ours_root, student)["extra_data"]["checks"]
    for ans in students[student]:
        cell = HIDDEN[ans.function]
        assert (ours[cell] == 3) == ans.correct, f"{cell} misjudged {ans.label}"
        if ans.mistake:
            assert checks[cell]["label"] == ans.mistake, \
                f"{ans.label} was named {checks[cell]['label']!r}"
