"""The whole loop through a real nbgrader exchange: release, fetch, submit, collect, grade with
``python -m autograder``, feedback, release the feedback, and each student fetches their own.

The instructor's course and each student's folder are separate folders with their own
``nbgrader_config.py``, all pointing at one exchange folder and one course id. All students run
as the same system user here, so each names itself the way nbgrader 0.9's exchange reads a
student id for ``submit`` and ``fetch_feedback``: ``CourseDirectory.student_id`` when it is set
(what ``nbgrader submit --student`` sets), else the system user name. Each also has its own
``Exchange.cache``: ``fetch_feedback`` finds a student's submissions (and their
``submission_secret.txt``, which names the feedback file) in that cache, as it would in each
student's own home folder.

For comparison, nbgrader's own ``nbgrader autograde`` grades the same collected submissions.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.helpers import ASSIGNMENT, MASTER, NOTEBOOK, grade, gradebook_scores, run_module

pytestmark = pytest.mark.slow

COURSE_ID = "how-models-exchange-test"
#: student -> (exercise 1's answer, exercise 2's answer), from the answer catalogue.
STUDENTS = {
    "alice": ("np.dot", "the reference form"),
    "bob": ("missing alpha", "the reference form"),
}
#: Points of each test cell (the master's): public self-checks 2, hidden checks 3.
HIDDEN = {"lif_neuron": "ex1_hidden", "lif_neuron_inh": "ex2_hidden"}


def answers(student: str):
    first, second = STUDENTS[student]
    return answer("lif_neuron", first), answer("lif_neuron_inh", second)


def nbgrader(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """A real nbgrader command, as a user types it."""
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stderr}"
    return done


def write_config(folder: Path, lines: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" +
                                               "\n".join(lines) + "\n")


def hidden_test_lines() -> list[str]:
    """The master's hidden-test lines (longer than trivial ones like ``else:``)."""
    found, inside = [], False
    for cell in nbformat.read(str(MASTER), 4).cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) >= 12:
                found.append(line.strip())
    assert found, "the master has no hidden tests to look for"
    return found


def page_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture(scope="module")
def loop(registered_course, tmp_path_factory):
    """Runs the whole loop once; returns the folders and how long it took."""
    base = tmp_path_factory.mktemp("exchange-loop")
    exchange = base / "exchange"
    exchange.mkdir()
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["JUPYTER_CONFIG_DIR"] = str(base / "jupyter-config")  # no user-level nbgrader config
    env["JUPYTER_DATA_DIR"] = str(base / "jupyter-data")

    course = base / "instructor"
    shutil.copytree(registered_course, course)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n"
                     f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")

    students = {}
    for student in STUDENTS:
        home = base / "students" / student
        write_config(home, [f"c.Exchange.root = {str(exchange)!r}",
                            f"c.CourseDirectory.course_id = {COURSE_ID!r}",
                            f"c.CourseDirectory.student_id = {student!r}",
                            f"c.Exchange.cache = {str(home / '.nbgrader_cache')!r}"])
        students[student] = home

    start = time.perf_counter()
    nbgrader("release_assignment", ASSIGNMENT, cwd=course, env=env)
    for student, home in students.items():
        nbgrader("fetch_assignment", ASSIGNMENT, cwd=home, env=env)
        path = home / ASSIGNMENT / NOTEBOOK
        nbformat.write(fill_in(nbformat.read(str(path), 4), *answers(student)), str(path))
        nbgrader("submit", ASSIGNMENT, cwd=home, env=env)
    nbgrader("collect", ASSIGNMENT, cwd=course, env=env)
    collected = base / "collected"  # nbgrader's own autograde, on a copy, for comparison
    shutil.copytree(course, collected)
    graded = grade(course)
    assert graded.returncode == 0, graded.stderr
    feedback = run_module("autograder", "feedback", ASSIGNMENT, cwd=course, env=env)
    assert feedback.returncode == 0, feedback.stderr
    nbgrader("release_feedback", ASSIGNMENT, cwd=course, env=env)
    for home in students.values():
        nbgrader("fetch_feedback", ASSIGNMENT, cwd=home, env=env)
    seconds = time.perf_counter() - start
    print(f"\nthe exchange loop took {seconds:.1f} s for {len(students)} students")

    nbgrader("autograde", ASSIGNMENT, "--log-level=ERROR", cwd=collected, env=env)
    return {"course": course, "students": students, "collected": collected,
            "seconds": seconds}


def fetched_pages(home: Path) -> list[Path]:
    return sorted((home / ASSIGNMENT / "feedback").glob("*/*.html"))


@pytest.mark.parametrize("student", sorted(STUDENTS),
                         ids=lambda s: f"{s} fetches exactly the page made for {s}")
def test_each_student_fetches_their_own_feedback_into_their_own_folder(loop, student):
    pages = fetched_pages(loop["students"][student])
    assert [p.name for p in pages] == [f"{ASSIGNMENT}.html"]
    made = loop["course"] / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert pages[0].read_bytes() == made.read_bytes()
    submitted = loop["course"] / "submitted" / student / ASSIGNMENT / "timestamp.txt"
    assert pages[0].parent.name == submitted.read_text().strip(), \
        "the feedback is filed under the submission's own timestamp"


@pytest.mark.parametrize("student", sorted(STUDENTS),
                         ids=lambda s: f"{s}'s page shows {s}'s work and score")
def test_the_fetched_page_holds_the_students_own_work_and_score(loop, student):
    text = page_text(fetched_pages(loop["students"][student])[0].read_text())
    assert f"feedback for {student}" in text
    others = set(STUDENTS) - {student}
    assert not any(f"feedback for {other}" in text for other in others)
    first, _ = answers(student)
    assert first.dv in text, "the student's own answer is shown"
    total = sum(gradebook_scores(loop["course"], student).values())
    assert f"{ASSIGNMENT}: {total:g} / 10 points" in text


@pytest.mark.parametrize("student", sorted(STUDENTS),
                         ids=lambda s: f"{s}'s page holds no hidden test")
def test_the_fetched_page_holds_no_hidden_test_source(loop, student):
    page = fetched_pages(loop["students"][student])[0].read_text()
    for secret in ["BEGIN HIDDEN TESTS", "from solutions", *hidden_test_lines()]:
        assert secret not in page and secret not in page_text(page), \
            f"feedback reveals {secret!r}"


@pytest.mark.parametrize("student", sorted(STUDENTS),
                         ids=lambda s: f"{s}'s grades are nbgrader autograde's, cell for cell")
def test_the_gradebook_holds_the_grades_nbgrader_autograde_gives(loop, student):
    ours = gradebook_scores(loop["course"], student)
    assert ours == gradebook_scores(loop["collected"], student)
    for ans in answers(student):
        assert (ours[HIDDEN[ans.function]] == 3) == ans.correct, ans.label


def test_the_mistake_is_named_on_the_page_of_the_student_who_made_it(loop):
    bob = page_text(fetched_pages(loop["students"]["bob"])[0].read_text())
    alice = page_text(fetched_pages(loop["students"]["alice"])[0].read_text())
    assert "not scaled by alpha" in bob
    assert "not scaled by alpha" not in alice
