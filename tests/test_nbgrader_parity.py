"""Same grades as ``nbgrader autograde`` on the same class, except where nbgrader is fooled or
loses a submission; there ours is right.

One class of cheats, a dead kernel and tampered tests is graded twice, by real ``nbgrader
autograde`` (hidden tests running inside each student's kernel) and by ``python -m autograder
grade``, each into its own SQLite gradebook. Honest answers, the whole catalogue of them, are
compared cell for cell in tests/test_catalogue_graders.py.
"""

from __future__ import annotations

import shutil

import pytest

from tests.classes import tampered
from tests.helpers import ASSIGNMENT, grade, gradebook_scores, nbgrader_autograde, submit
from tests.hostile import cheating_notebook, sabotaging_notebook

pytestmark = pytest.mark.slow

#: Cheats that fool nbgrader, which runs the hidden tests in the student's kernel.
FOOLS_NBGRADER = ("imports the reference solution", "reads the master notebook from disk",
                  "disables the hidden checker")


@pytest.fixture(scope="module")
def two_gradebooks(registered_course, tmp_path_factory, release_nb):
    roots = {}
    for tool in ("nbgrader", "ours"):
        root = tmp_path_factory.mktemp(tool) / "course"
        shutil.copytree(registered_course, root)
        roots[tool] = root
        for cheat in FOOLS_NBGRADER:
            submit(root, "cheat-" + cheat.split()[0], cheating_notebook(release_nb, cheat,
                                                                        str(root)))
        submit(root, "dead-kernel", sabotaging_notebook(release_nb, "import os; os._exit(1)",
                                                        str(root)))
        submit(root, "tampered-tests", tampered(release_nb, flags=False))
        submit(root, "tampered-flags", tampered(release_nb, flags=True))
    nbgrader = nbgrader_autograde(roots["nbgrader"], ASSIGNMENT, timeout=900)
    ours = grade(roots["ours"])
    assert ours.returncode == 0, ours.stderr
    return roots, nbgrader


@pytest.mark.parametrize("cheat", FOOLS_NBGRADER, ids=lambda c: f"a student who {c}")
def test_where_nbgrader_is_fooled_ours_is_right(two_gradebooks, cheat):
    roots, _ = two_gradebooks
    student = "cheat-" + cheat.split()[0]
    assert gradebook_scores(roots["nbgrader"], student)["ex1_hidden"] == 3, \
        "this trick is expected to fool nbgrader; if it no longer does, drop it from the list"
    assert gradebook_scores(roots["ours"], student)["ex1_hidden"] == 0


def test_where_nbgrader_loses_a_dead_kernel_ours_keeps_the_earlier_cells(two_gradebooks):
    roots, nbgrader = two_gradebooks
    ours = gradebook_scores(roots["ours"], "dead-kernel")
    assert ours == {"ex1_public": 2, "ex1_hidden": 3, "ex2_public": 0, "ex2_hidden": 0}
    try:
        theirs = gradebook_scores(roots["nbgrader"], "dead-kernel")
    except Exception:
        theirs = None
    assert theirs != ours, "nbgrader was expected to lose this submission"


def test_edited_deleted_and_reweighted_tests_are_restored_as_nbgrader_restores_them(
        two_gradebooks):
    roots, _ = two_gradebooks
    ours = gradebook_scores(roots["ours"], "tampered-tests")
    assert ours == gradebook_scores(roots["nbgrader"], "tampered-tests")
    assert ours == {"ex1_public": 0, "ex1_hidden": 0, "ex2_public": 2, "ex2_hidden": 3}


def test_where_nbgrader_loses_a_test_marked_ungraded_ours_restores_and_grades_it(
        two_gradebooks):
    roots, nbgrader = two_gradebooks
    ours = gradebook_scores(roots["ours"], "tampered-flags")
    assert ours == {"ex1_public": 0, "ex1_hidden": 0, "ex2_public": 2, "ex2_hidden": 3}
    assert "Inconsistent checksums for cell ex2_public" in nbgrader.stdout + nbgrader.stderr
    assert set(gradebook_scores(roots["nbgrader"], "tampered-flags").values()) == {None}, \
        "nbgrader was expected to lose this submission"
