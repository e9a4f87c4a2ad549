"""Any nbgrader course grades as ``nbgrader autograde`` grades it, cell for cell.

Two courses this repository did not write the grader for are graded twice, by real ``nbgrader
autograde`` and by ``python -m autograder grade``, each into its own SQLite gradebook, and every
cell's recorded score and "needs manual grading" flag must be equal, wherever nbgrader does not
lose the submission. See tests/courses.py for the courses and their students.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from nbgrader.api import Gradebook, MissingEntry

from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.courses import (
    SECOND_ASSIGNMENT,
    WRONG_ADDED,
    add_plain_assignment,
    course_with_added_exercise,
    ps1_course,
    release_of,
    write_submission,
)
from tests.helpers import nbgrader_autograde, results, run_module

pytestmark = pytest.mark.slow


def our_grade(root: Path, assignment: str) -> subprocess.CompletedProcess:
    done = run_module("autograder", "grade", assignment, "--no-progress", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def recorded(root: Path, assignment: str, comments: bool = False
             ) -> dict[tuple[str, str], dict]:
    """{(student, notebook): {cell: (auto score, needs manual grade)}} from a gradebook; with
    ``comments``, each comment's automatic text under ("comment", cell) too."""
    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return out
        for submission in submissions:
            for notebook in submission.notebooks:
                out[(submission.student.id, notebook.name)] = {
                    **{g.name: (g.auto_score, g.needs_manual_grade) for g in notebook.grades},
                    **{("comment", c.name): c.auto_comment
                       for c in (notebook.comments if comments else [])}}
    return out


def graded_by_nbgrader(root: Path, assignment: str, student: str) -> bool:
    """nbgrader keeps an autograded folder only for submissions it did not lose."""
    return (root / "autograded" / student / assignment).is_dir()


def both_ways(template: Path, assignment: str, tmp: Path):
    roots = {}
    for tool in ("nbgrader", "ours"):
        roots[tool] = tmp / tool
        shutil.copytree(template, roots[tool])
    theirs = nbgrader_autograde(roots["nbgrader"], assignment, timeout=1200)
    ours = our_grade(roots["ours"], assignment)
    return roots, theirs, ours


# --- nbgrader's documentation course ps1 ----------------------------------------------------------

PS1_STUDENTS = ("bitdiddle", "hacker", "right", "half-right", "raising", "stub", "one-notebook")


@pytest.fixture(scope="module")
def ps1(tmp_path_factory):
    template = ps1_course(tmp_path_factory.mktemp("ps1") / "course")
    return both_ways(template, "ps1", tmp_path_factory.mktemp("ps1-graded"))


@pytest.mark.parametrize("student", PS1_STUDENTS, ids=lambda s: f"{s} gets nbgrader's scores")
def test_ps1_scores_equal_nbgraders_cell_for_cell(ps1, student):
    roots, theirs, _ = ps1
    assert graded_by_nbgrader(roots["nbgrader"], "ps1", student), theirs.stderr[-2000:]
    ours = recorded(roots["ours"], "ps1", comments=True)
    nbgrader = recorded(roots["nbgrader"], "ps1", comments=True)
    for notebook in ("problem1", "problem2"):
        assert ours[(student, notebook)] == nbgrader[(student, notebook)], notebook


def test_ps1_keeps_manual_and_task_cells_for_the_formgrader(ps1):
    roots, _, _ = ps1
    cells = recorded(roots["ours"], "ps1")[("hacker", "problem1")]
    assert cells["sum_of_squares_equation"] == (None, True)
    assert cells["cell-938593c4a215c6cc"] == (None, True), "the task cell waits for a grader"
    assert recorded(roots["ours"], "ps1")[("hacker", "problem2")] == {
        "part-a": (None, True), "part-b": (None, True)}


def test_ps1_right_answers_score_every_autograded_point(ps1):
    roots, _, _ = ps1
    cells = recorded(roots["ours"], "ps1")[("right", "problem1")]
    assert cells["correct_squares"] == (1.0, False)
    assert cells["correct_sum_of_squares"] == (0.5, False)
    result = results(roots["ours"], "right", "ps1")
    names = {t["name"] for t in result["tests"]}
    assert "problem1: correct_squares" in names and "problem2: part-a" in names


def test_ps1_a_dead_kernel_loses_nothing_where_nbgrader_loses_the_submission(ps1):
    roots, _, _ = ps1
    assert not graded_by_nbgrader(roots["nbgrader"], "ps1", "dead-kernel"), \
        "nbgrader was expected to lose this submission"
    ours = recorded(roots["ours"], "ps1")
    assert ours[("dead-kernel", "problem1")]["correct_squares"] == (0.0, False)
    assert ours[("dead-kernel", "problem2")] == {"part-a": (None, True), "part-b": (None, True)}


def test_ps1_a_missing_notebook_scores_zero_as_nbgrader_scores_it(ps1):
    roots, _, _ = ps1
    ours = recorded(roots["ours"], "ps1")
    assert set(ours[("one-notebook", "problem2")].values()) == {(0.0, False)}
    assert "problem2.ipynb is missing" in results(roots["ours"], "one-notebook",
                                                  "ps1")["extra_data"]["error"]


def test_ps1_summary_says_how_each_test_was_judged(ps1):
    _, _, ours = ps1
    assert "run in the student's process, as trustworthy as under nbgrader: problem1: " \
           "correct_squares" in ours.stdout
    assert "left for grading by hand" in ours.stdout and "problem2: part-a" in ours.stdout


def test_ps1_autograded_folder_holds_the_header_and_the_source_files(ps1):
    roots, _, _ = ps1
    folder = roots["ours"] / "autograded" / "right" / "ps1"
    assert (folder / "jupyter.png").is_file() and (folder / "timestamp.txt").is_file()
    import nbformat

    nb = nbformat.read(str(folder / "problem1.ipynb"), 4)
    assert "NAME = " in nb.cells[1].source, "the header's cells are graded too"


# --- this course with an added exercise, and a second plain assignment --------------------------

def added_exercise_students(root: Path) -> dict[str, tuple]:
    release = release_of(root, "W1D1_Tutorial2", "W1D1_Tutorial2")
    import nbformat

    master = nbformat.read(str(root / "source" / "W1D1_Tutorial2" / "W1D1_Tutorial2.ipynb"), 4)
    from tests.courses import answered

    base = fill_in(release, answer("lif_neuron", "the reference form"),
                   answer("lif_neuron_inh", "the reference form"))
    right = answered(base, master, ids={"ex3_isi_cv"})
    wrong = nbformat.reads(nbformat.writes(right), 4)
    next(c for c in wrong.cells if c.metadata.get("nbgrader", {}).get("grade_id")
         == "ex3_isi_cv").source = WRONG_ADDED
    half = fill_in(release, answer("lif_neuron", "missing alpha"),
                   answer("lif_neuron_inh", "a missing leak"))
    half = answered(half, master, ids={"ex3_isi_cv"})
    return {"right": right, "wrong-added": wrong, "stub-added": base, "half": half,
            "untouched": release}


ADDED_STUDENTS = ("right", "wrong-added", "stub-added", "half", "untouched")

#: A function that raises the source of the cell that calls it: the hidden tests, in the error.
LEAKER = """def double(x):
    import inspect, linecache
    raise ValueError("".join(linecache.getlines(inspect.stack()[1].filename)))
"""


@pytest.fixture(scope="module")
def added(tmp_path_factory):
    template = course_with_added_exercise(tmp_path_factory.mktemp("added") / "course")
    for student, nb in added_exercise_students(template).items():
        write_submission(template, "W1D1_Tutorial2", student, {"W1D1_Tutorial2": nb})
    add_plain_assignment(template)
    release = release_of(template, SECOND_ASSIGNMENT, "plain")
    master = __import__("nbformat").read(
        str(template / "source" / SECOND_ASSIGNMENT / "plain.ipynb"), 4)
    from tests.courses import answered

    write_submission(template, SECOND_ASSIGNMENT, "right", {"plain": answered(release, master)})
    write_submission(template, SECOND_ASSIGNMENT, "stub", {"plain": release})
    leaker = __import__("nbformat").reads(__import__("nbformat").writes(release), 4)
    leaker.cells[0].source = LEAKER
    write_submission(template, SECOND_ASSIGNMENT, "leaker", {"plain": leaker})
    roots, theirs, ours = both_ways(template, "W1D1_Tutorial2",
                                    tmp_path_factory.mktemp("added-graded"))
    plain = {"nbgrader": nbgrader_autograde(roots["nbgrader"], SECOND_ASSIGNMENT, timeout=1200),
             "ours": our_grade(roots["ours"], SECOND_ASSIGNMENT)}
    return roots, theirs, ours, plain


@pytest.mark.parametrize("student", ADDED_STUDENTS,
                         ids=lambda s: f"{s} gets nbgrader's scores, the added cell included")
def test_an_added_plain_exercise_scores_as_under_nbgrader(added, student):
    roots = added[0]
    ours = recorded(roots["ours"], "W1D1_Tutorial2", comments=True)[(student, "W1D1_Tutorial2")]
    theirs = recorded(roots["nbgrader"], "W1D1_Tutorial2",
                      comments=True)[(student, "W1D1_Tutorial2")]
    assert ours == theirs


@pytest.mark.parametrize("student, points", [("right", 2.0), ("wrong-added", 0.0),
                                             ("stub-added", 0.0), ("untouched", 0.0)],
                         ids=["a right answer gets the points", "a wrong answer gets none",
                              "the stub gets none", "an untouched notebook gets none"])
def test_hidden_asserts_of_an_added_exercise_are_run_never_skipped(added, student, points):
    roots = added[0]
    cells = recorded(roots["ours"], "W1D1_Tutorial2")[(student, "W1D1_Tutorial2")]
    assert cells["ex3_tests"] == (points, False)


def test_the_summary_names_the_added_test_as_run_in_the_students_process(added):
    ours = added[2]
    assert "run in the student's process, as trustworthy as under nbgrader: ex3_tests" \
        in ours.stdout
    assert "trusted checks, in the grader's process: ex1_public, ex1_hidden, ex2_public, " \
           "ex2_hidden" in ours.stdout


@pytest.mark.parametrize("student, points", [("right", 1.0), ("stub", 0.0)])
def test_a_second_assignment_with_familiar_cell_names_gets_no_neuron_checks(added, student,
                                                                            points):
    roots, _, _, plain = added
    assert "trusted" not in plain["ours"].stdout.split("How the test cells were judged:")[1] \
        .split("\n")[1]
    ours = recorded(roots["ours"], SECOND_ASSIGNMENT)[(student, "plain")]
    assert ours == recorded(roots["nbgrader"], SECOND_ASSIGNMENT)[(student, "plain")]
    assert ours["ex1_hidden"] == (points, False)


def test_results_never_show_a_hidden_test_a_student_function_printed(added):
    roots = added[0]
    path = roots["ours"] / "autograded" / "leaker" / SECOND_ASSIGNMENT / "results.json"
    test = next(t for t in json.loads(path.read_text())["tests"]
                if t["extra_data"]["grade_id"] == "ex1_hidden")
    assert test["score"] == 0
    assert "assert double(-3) == -6" not in path.read_text()
    assert "[hidden test]" in test["output"], "the student still sees that a line was there"
    assert test["visibility"] == "after_published", "a cell with hidden tests is hidden"
