"""Hostile and careless submissions, one class of the red-team report per test.

One class of attackers and a few well-behaved neighbours is graded once, as root and in two
workers. Every test checks its attacker's score; every attacker is also covered by the checks
that the batch exits 0, that every neighbour still gets full marks, and that nothing is left
behind: no process, no SysV IPC object, no scratch folder, no control group.
"""

from __future__ import annotations

import glob
import os
import shutil
import stat

import nbformat
import pytest

from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests import redteam
from tests.helpers import (
    ASSIGNMENT,
    NOTEBOOK,
    cell_scores,
    grade,
    outputs_text,
    results,
    run_module,
    submit,
)

pytestmark = pytest.mark.slow

FULL = {"ex1_public": 2.0, "ex1_hidden": 3.0, "ex2_public": 2.0, "ex2_hidden": 3.0}
NOTHING = dict.fromkeys(FULL, 0.0)
NEIGHBOURS = ("neighbour-1", "neighbour-2", "neighbour-3")
ROOT_ONLY_SECRET = "/root/.autograder-test-secret"


def sleepers() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if handle.read().split(b"\0")[:2] == [b"sleep", b"300"]:
                    found.add(int(entry))
        except (OSError, ValueError):
            continue
    return found


def sysv_segments() -> set[str]:
    with open("/proc/sysvipc/shm") as handle:
        return {line.split()[1] for line in handle.readlines()[1:]}


def scratch_folders() -> set[str]:
    return set(glob.glob("/tmp/autograder-root-*"))


def job_cgroups() -> set[str]:
    return set(glob.glob("/sys/fs/cgroup/*/**/autograder-*/job-*", recursive=True))


STUBS = {
    "forger": redteam.FORGES_EVERY_ANSWER,
    "impersonator": redteam.IMPERSONATES_THE_NOTEBOOK,
    "job-emptier": redteam.EMPTIES_THE_JOB,
    "early-exit": redteam.ENDS_EARLY,
    "garbage": redteam.WRITES_GARBAGE,
    "huge-message": redteam.CLAIMS_A_HUGE_MESSAGE,
}
CORRECT = {
    "unencodable-print": redteam.PRINTS_UNENCODABLE,
    "disk-filler": redteam.FILLS_THE_DISK,
    "memory-hog": redteam.HOGS_MEMORY_IN_CHILDREN,
    "shm-leaver": redteam.LEAVES_SHARED_MEMORY,
    "shm-finder": redteam.LOOKS_FOR_SHARED_MEMORY,
    "process-lister": redteam.LISTS_PROCESSES,
    "lingerer": redteam.LINGERS,
    "env-writer": redteam.WRITES_THE_ENVIRONMENT,
}


def folder_attacks(root, release_nb) -> None:
    """Submissions whose folder, not notebook, is the problem."""
    correct = fill_in(release_nb, answer("lif_neuron", "the reference form"),
                      answer("lif_neuron_inh", "the reference form"))
    folder = submit(root, "links", correct)
    os.symlink(ROOT_ONLY_SECRET, folder / "data.txt")
    os.symlink(root / "source" / ASSIGNMENT / NOTEBOOK, folder / "master.ipynb")
    os.symlink("/nonexistent/file", folder / "dangling.txt")
    (folder / "sub").mkdir()
    os.symlink("/etc", folder / "sub" / "etc")
    folder = submit(root, "fifo", correct)
    os.mkfifo(folder / "pipe.txt")
    folder = submit(root, "planted-results", correct)
    (folder / "results.json").write_text('{"score": 10, "max_score": 10, "tests": []}')
    folder = submit(root, "odd-names", correct)
    (folder / os.fsdecode(b"caf\xe9-\xff.txt")).write_bytes(b"latin-1 name")
    submit(root, "unencodable-markdown", redteam.with_unencodable_markdown(correct))
    linked = root / "submitted" / "linked-folder"
    linked.mkdir(parents=True)
    os.symlink(root / "submitted" / "neighbour-1" / ASSIGNMENT, linked / ASSIGNMENT)


@pytest.fixture(scope="module")
def hostile(registered_course, tmp_path_factory, release_nb):
    if os.geteuid() != 0:
        pytest.skip("the full sandbox (a user per job, control groups) needs root; "
                    "tests/test_nonroot.py covers an ordinary user")
    root = tmp_path_factory.mktemp("hostile") / "course"
    shutil.copytree(registered_course, root)
    with open(ROOT_ONLY_SECRET, "w") as handle:
        handle.write("root's secret")
    os.chmod(ROOT_ONLY_SECRET, 0o600)
    for student in NEIGHBOURS:
        submit(root, student, fill_in(release_nb, answer("lif_neuron", "the reference form"),
                                      answer("lif_neuron_inh", "the reference form")))
    submit(root, "stub", redteam.release_copy(release_nb))
    submit(root, "flat-trace", redteam.flat_traces(release_nb))
    for student, code in STUBS.items():
        submit(root, student, redteam.stubs_with(release_nb, code))
    submit(root, "interrupt-ignorer", redteam.correct_with(release_nb, redteam.IGNORES_INTERRUPTS,
                                                           after="ex1_hidden"))
    for student, code in CORRECT.items():
        submit(root, student, redteam.correct_with(release_nb, code))
    folder_attacks(root, release_nb)
    before = (sleepers(), sysv_segments(), scratch_folders())
    done = grade(root, "--workers", "2", "--cell-timeout", "3", "--memory-mb", "512")
    after = (sleepers(), sysv_segments(), scratch_folders())
    os.unlink(ROOT_ONLY_SECRET)
    return root, done, before, after


def test_the_batch_exits_zero_and_every_neighbour_gets_full_marks(hostile):
    root, done, _, _ = hostile
    assert done.returncode == 0, done.stdout + done.stderr
    for student in NEIGHBOURS:
        assert cell_scores(results(root, student)) == FULL, student


def test_nothing_outlives_the_batch(hostile):
    _, _, before, after = hostile
    assert after[0] <= before[0], "processes started by student code survived"
    assert after[1] <= before[1], "a SysV shared-memory segment survived"
    assert after[2] <= before[2], "a sandbox's scratch folder was left behind"
    assert not job_cgroups(), "a job's control group was left behind"


# --- no free points from inside the sandbox ----------------------------------------------------

@pytest.mark.parametrize("student", sorted(STUBS), ids=lambda s: f"the stubs plus a {s} score "
                                                                  "nothing")
def test_tricks_from_inside_the_notebook_earn_nothing_on_top_of_the_stubs(hostile, student):
    root, _, _, _ = hostile
    assert cell_scores(results(root, "stub")) == NOTHING
    expected = cell_scores(results(root, "flat-trace")) if student == "impersonator" \
        else NOTHING
    assert cell_scores(results(root, student)) == expected


def test_impersonating_the_notebook_earns_no_more_than_returning_the_same_values(hostile):
    root, _, _, _ = hostile
    honest = cell_scores(results(root, "flat-trace"))
    assert honest["ex1_hidden"] == honest["ex2_hidden"] == 0
    assert cell_scores(results(root, "impersonator")) == honest


def test_a_broken_conversation_is_the_submissions_own_failure(hostile):
    root, _, _, _ = hostile
    for student in ("forger", "garbage", "huge-message"):
        notes = " ".join(results(root, student)["extra_data"]["notes"])
        assert "broke the grading protocol" in notes, student


def test_time_limits_hold_whatever_the_notebook_does(hostile):
    root, _, _, _ = hostile
    result = results(root, "interrupt-ignorer")
    assert cell_scores(result) == {**FULL, "ex2_public": 0.0, "ex2_hidden": 0.0}
    assert "did not stop when interrupted" in " ".join(result["extra_data"]["notes"])
    assert result["extra_data"]["execution"]["seconds"] < 3 + 5 + 15


# --- one notebook never stops the class ------------------------------------------------------

@pytest.mark.parametrize("student", ["unencodable-print", "unencodable-markdown", "odd-names",
                                     "fifo", "links"],
                         ids=lambda s: f"a submission with {s.replace('-', ' ')} is graded")
def test_ordinary_accidents_are_graded_like_any_submission(hostile, student):
    root, _, _, _ = hostile
    assert cell_scores(results(root, student)) == FULL
    graded_nb = root / "autograded" / student / ASSIGNMENT / NOTEBOOK
    nbformat.validate(nbformat.read(str(graded_nb), 4))


def test_skipped_files_are_named_in_the_notes(hostile):
    root, done, _, _ = hostile
    notes = " ".join(results(root, "links")["extra_data"]["notes"])
    for name in ("data.txt", "master.ipynb", "dangling.txt", "sub/etc"):
        assert f"{name} is a symbolic link; it was not followed" in notes
    assert "pipe.txt is a FIFO; it was skipped" in " ".join(results(root, "fifo")["extra_data"]
                                                            ["notes"])
    assert "linked-folder" in done.stdout and "symbolic link" in done.stdout


def test_a_planted_results_file_is_not_taken_for_a_grade(hostile):
    root, _, _, _ = hostile
    result = results(root, "planted-results")
    assert result["tests"] and cell_scores(result) == FULL
    assert "submission_digest" in result["extra_data"]


# --- nothing read or kept from outside the submission ---------------------------------------------

def test_links_are_never_followed_into_autograded_or_feedback(hostile):
    root, _, _, _ = hostile
    done = run_module("autograder", "feedback", ASSIGNMENT, cwd=root)
    assert done.returncode == 0, done.stderr
    for step in ("autograded", "feedback"):
        folder = root / step / "links" / ASSIGNMENT
        for path in folder.rglob("*"):
            assert not path.is_symlink(), path
            if path.is_file():
                assert b"root's secret" not in path.read_bytes(), path
                if step == "feedback":
                    assert b"BEGIN HIDDEN TESTS" not in path.read_bytes(), path
        assert not (folder / "data.txt").exists() and not (folder / "master.ipynb").exists()


def test_the_notebook_sees_no_other_process_and_no_earlier_students_memory(hostile):
    root, _, _, _ = hostile
    text = outputs_text(root, "process-lister")
    assert "GRADER VISIBLE False" in text
    count = int(text.split("PROCESSES ")[1].split()[0])
    assert count <= 3, text
    assert "no earlier segment" in outputs_text(root, "shm-finder")


# --- resources are capped per submission ----------------------------------------------------------

def test_the_scratch_space_is_capped_and_private(hostile):
    root, _, _, _ = hostile
    text = outputs_text(root, "disk-filler")
    written = int(text.split("stopped after ")[1].split()[0])
    assert written <= 256 and "No space left on device" in text
    assert cell_scores(results(root, "disk-filler")) == FULL


def test_memory_is_capped_for_the_whole_process_tree(hostile):
    root, _, _, _ = hostile
    result = results(root, "memory-hog")
    notebook = result["extra_data"]["execution"]["notebooks"][ASSIGNMENT]
    assert notebook["peak_memory_mb"] <= 512 + 1
    text = outputs_text(root, "memory-hog")
    if "children killed" in text:  # the kernel killed children, the notebook went on
        assert int(text.split("children killed: ")[1].split()[0]) >= 2
    else:  # or it killed the notebook process itself
        assert "memory limit" in " ".join(result["extra_data"]["notes"])


def test_the_python_environment_is_read_only_in_the_sandbox(hostile):
    root, _, _, _ = hostile
    text = outputs_text(root, "env-writer")
    assert "WROTE" not in text and "Read-only file system" in text
    assert not os.path.exists("/tmp/planted")


def test_a_fifo_is_never_opened(hostile):
    root, _, _, _ = hostile
    assert stat.S_ISFIFO(os.lstat(root / "submitted" / "fifo" / ASSIGNMENT / "pipe.txt")
                         .st_mode)
    assert not (root / "autograded" / "fifo" / ASSIGNMENT / "pipe.txt").exists()
