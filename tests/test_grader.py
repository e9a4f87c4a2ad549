"""``python -m autograder grade``: outputs, bad input, crashes, resuming, exit status."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from autograder.config import Settings
from autograder.grade import GradeOptions, Grader
from tests.classes import UNREADABLE, student_nb
from tests.helpers import (
    ASSIGNMENT,
    NOTEBOOK,
    cell_scores,
    copy_course,
    grade,
    gradebook_scores,
    results,
    submit,
    summary_counts,
)

pytestmark = pytest.mark.slow

FULL = {"ex1_public": 2.0, "ex1_hidden": 3.0, "ex2_public": 2.0, "ex2_hidden": 3.0}
EX1_ONLY = {**FULL, "ex2_public": 0.0, "ex2_hidden": 0.0}


def test_batch_exits_zero_and_prints_a_summary(graded_class):
    _, done = graded_class
    assert done.returncode == 0, done.stderr
    assert summary_counts(done.stdout) == {"graded": 8, "not gradable": 5, "skipped": 0}
    assert "mean score" in done.stdout and "submissions/s" in done.stdout


@pytest.mark.parametrize("student, expected", [
    ("alice", FULL),
    ("carol", {**FULL, "ex2_public": 0.0, "ex2_hidden": 0.0}),
    ("dave", {"ex1_public": 0.0, "ex1_hidden": 0.0, "ex2_public": 0.0, "ex2_hidden": 0.0}),
], ids=["a correct answer scores 10", "a partly correct answer scores 5",
        "a wrong answer scores 0"])
def test_scores_go_to_results_gradebook_and_autograded(graded_class, student, expected):
    root, _ = graded_class
    assert cell_scores(results(root, student)) == expected
    assert gradebook_scores(root, student) == expected
    folder = root / "autograded" / student / ASSIGNMENT
    graded_nb = nbformat.read(str(folder / NOTEBOOK), 4)
    assert all(c.execution_count for c in graded_nb.cells if c.cell_type == "code")
    assert (folder / "nma.mplstyle").exists() and (folder / "timestamp.txt").exists()


def test_results_json_follows_gradescope_format(graded_class):
    root, _ = graded_class
    result = results(root, "carol")
    assert result["score"] == 5 and result["max_score"] == 10 and result["execution_time"] > 0
    hidden = next(t for t in result["tests"] if t["name"] == "ex2_hidden")
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(hidden)
    assert hidden["status"] == "failed" and hidden["visibility"] == "after_published"
    assert "the leak has no effect" in hidden["output"]


def test_class_csv_and_nbgrader_export_agree(graded_class):
    root, _ = graded_class
    rows = {r["student"]: r for r in csv.DictReader((root / "grades" / f"{ASSIGNMENT}.csv").open())}
    assert float(rows["alice"]["score"]) == 10 and float(rows["carol"]["ex2_hidden"]) == 0
    assert "not valid notebook JSON" in rows["malformed"]["error"]
    export = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--log-level=ERROR"],
                            cwd=root, capture_output=True, text=True)
    assert export.returncode == 0, export.stderr
    exported = {r["student_id"]: float(r["score"]) for r in
                csv.DictReader((root / "grades.csv").open())}
    assert exported == {s: float(r["score"]) for s, r in rows.items()}


@pytest.mark.parametrize("student", sorted(UNREADABLE), ids=lambda s: f"a {s} notebook")
def test_unreadable_submission_scores_zero_with_a_reason(graded_class, student):
    root, done = graded_class
    reason = UNREADABLE[student][1]
    result = results(root, student)
    assert result["score"] == 0 and reason in result["extra_data"]["error"]
    assert reason in done.stdout, "the summary names the problem"
    assert set(gradebook_scores(root, student).values()) == {0}


def test_renamed_notebook_scores_zero_and_says_what_was_found(graded_class):
    root, _ = graded_class
    error = results(root, "renamer")["extra_data"]["error"]
    assert f"{NOTEBOOK} is missing; found my_homework.ipynb" in error


def test_edited_deleted_and_reweighted_tests_are_restored(graded_class):
    root, _ = graded_class
    result = results(root, "mallory")
    assert cell_scores(result) == {**FULL, "ex1_public": 0.0, "ex1_hidden": 0.0}
    assert result["max_score"] == 10
    notes = "\n".join(result["extra_data"]["notes"])
    assert "ex1_public was edited" in notes and "Missing grade cell ex1_hidden" in notes
    assert "worth 100 points; restored to 2" in notes and "grade was False" in notes


@pytest.mark.parametrize("student, status", [("crasher", "died"), ("hanger", "timeout")],
                         ids=["a crash", "a hang that ignores signals"])
def test_a_submission_that_dies_keeps_the_points_of_earlier_cells(graded_class, student,
                                                                   status):
    root, _ = graded_class
    result = results(root, student)
    assert cell_scores(result) == EX1_ONLY
    assert gradebook_scores(root, student) == EX1_ONLY
    assert result["extra_data"]["execution"]["status"] == status
    assert any("execution stopped" in note for note in result["extra_data"]["notes"])


def test_huge_outputs_are_truncated_and_the_notebook_still_graded(graded_class):
    root, _ = graded_class
    folder = root / "autograded" / "flood" / ASSIGNMENT
    assert (folder / NOTEBOOK).stat().st_size < 8 * 2**20
    graded_nb = nbformat.read(str(folder / NOTEBOOK), 4)
    cell = next(c for c in graded_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "ex2_lif_neuron_inh")
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert "output truncated" in text
    assert any("omitted" in o.get("data", {}).get("text/plain", "") for o in cell.outputs)
    assert results(root, "flood")["score"] == 10


def test_memory_exhaustion_is_an_error_in_its_cell_only(graded_class):
    root, _ = graded_class
    graded_nb = nbformat.read(str(root / "autograded" / "hog" / ASSIGNMENT / NOTEBOOK), 4)
    cell = next(c for c in graded_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "ex2_lif_neuron_inh")
    assert any(o.output_type == "error" and o.ename == "MemoryError" for o in cell.outputs)
    assert results(root, "hog")["score"] == 10


def test_killed_batch_resumes_with_only_the_missing_submissions(course, release_nb):
    for k in range(6):
        submit(course, f"s{k}", student_nb(release_nb))
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT,
                                "--no-progress", "--workers", "1"], cwd=course,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.time() + 120
    done_dir = course / "autograded"
    while time.time() < deadline:
        if len(list(done_dir.glob(f"*/{ASSIGNMENT}/results.json"))) >= 2:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p.parts[-3] for p in done_dir.glob(f"*/{ASSIGNMENT}/results.json")}
    assert 2 <= len(finished) < 6
    mtimes = {s: (done_dir / s / ASSIGNMENT / "results.json").stat().st_mtime for s in finished}

    again = grade(course)
    assert again.returncode == 0, again.stderr
    assert summary_counts(again.stdout)["skipped"] == len(finished)
    for k in range(6):
        assert results(course, f"s{k}")["score"] == 10
        assert gradebook_scores(course, f"s{k}") == FULL
    for student, mtime in mtimes.items():
        assert (done_dir / student / ASSIGNMENT / "results.json").stat().st_mtime == mtime

    forced = grade(course, "--force")
    assert summary_counts(forced.stdout) == {"graded": 6, "not gradable": 0, "skipped": 0}


def run_grader(root: Path, **options):
    settings = Settings.load(root, Config({"Autograder": {"workers": 1}}))
    return Grader(settings, GradeOptions(assignment=ASSIGNMENT, progress=False, **options)).run()


def test_a_resubmission_is_graded_again(course, release_nb):
    submit(course, "eve", student_nb(release_nb, "missing alpha"))
    run_grader(course)
    assert results(course, "eve")["score"] == 5
    submit(course, "eve", student_nb(release_nb))
    summary = run_grader(course)
    assert summary.skipped == 0 and results(course, "eve")["score"] == 10


def test_the_gradebook_learns_the_assignment_from_source(tmp_path, release_nb):
    root = copy_course(tmp_path / "course")
    submit(root, "alice", student_nb(release_nb), timestamp=None)
    run_grader(root, students="alice")
    assert gradebook_scores(root, "alice") == FULL
    assert not (root / "release" / ASSIGNMENT / "gradebook.db").exists()


def test_student_glob_selects_submissions(course, release_nb):
    for student in ("ann", "bert", "anton"):
        submit(course, student, student_nb(release_nb))
    summary = run_grader(course, students="an*")
    assert sorted(r.student for r in summary.results) == ["ann", "anton"]


def test_the_grader_failing_itself_exits_non_zero(course, release_nb):
    submit(course, "alice", student_nb(release_nb))
    done = grade(course, "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert done.returncode != 0 and "error" in done.stderr.lower()
    missing = grade(course, "--course-dir", str(course / "nowhere"))
    assert missing.returncode != 0 and "does not exist" in missing.stderr


def test_a_submission_graded_against_an_older_master_is_regraded_without_force(course,
                                                                              release_nb):
    import nbformat as nbf

    submit(course, "alice", student_nb(release_nb))
    first = grade(course)
    assert first.returncode == 0 and results(course, "alice")["max_score"] == 10
    master_path = course / "source" / ASSIGNMENT / NOTEBOOK
    master = nbf.read(str(master_path), 4)
    cell = next(c for c in master.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "ex1_hidden")
    cell.metadata.nbgrader["points"] = 4
    cell.source = cell.source.replace("(3 points)", "(4 points)")
    nbf.write(master, str(master_path))
    again = grade(course)
    assert again.returncode == 0, again.stderr
    assert summary_counts(again.stdout) == {"graded": 1, "not gradable": 0, "skipped": 0}
    assert "changed since the gradebook recorded it" in again.stderr
    assert results(course, "alice")["max_score"] == 11
    assert gradebook_scores(course, "alice")["ex1_hidden"] == 4
    unchanged = grade(course)
    assert summary_counts(unchanged.stdout)["skipped"] == 1


def test_an_interrupted_force_run_resumes_where_it_stopped(course, release_nb):
    import json

    for k in range(5):
        submit(course, f"s{k}", student_nb(release_nb))
    assert grade(course).returncode == 0
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT,
                                "--no-progress", "--workers", "1", "--force"], cwd=course,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    state = course / ".autograder" / f"{ASSIGNMENT}.json"
    deadline = time.time() + 120

    def regraded() -> list[str]:
        if not state.exists():
            return []
        epoch = json.loads(state.read_text())["force_epoch"]
        return [s for s in (f"s{k}" for k in range(5))
                if results(course, s)["extra_data"].get("force_epoch") == epoch]

    while time.time() < deadline and len(regraded()) < 2:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = regraded()
    assert 2 <= len(done_before) < 5 and state.exists()
    resumed = grade(course)
    assert resumed.returncode == 0, resumed.stderr
    assert summary_counts(resumed.stdout)["skipped"] == len(done_before)
    assert "an earlier --force run was interrupted" in resumed.stderr
    epochs = {results(course, f"s{k}")["extra_data"]["force_epoch"] for k in range(5)}
    assert len(epochs) == 1 and None not in epochs, "every submission was regraded once"
    assert not state.exists(), "the finished run leaves no state behind"


def test_the_class_csv_holds_the_whole_class_whatever_student_selected(course, release_nb):
    for student in ("ann", "bert", "carl"):
        submit(course, student, student_nb(release_nb))
    assert grade(course).returncode == 0
    submit(course, "bert", student_nb(release_nb, "missing alpha"))
    assert grade(course, "--student", "bert").returncode == 0
    rows = {r["student"]: r for r in csv.DictReader((course / "grades" / f"{ASSIGNMENT}.csv")
                                                   .open())}
    assert set(rows) == {"ann", "bert", "carl"}
    assert float(rows["bert"]["score"]) == 5 and float(rows["ann"]["score"]) == 10
