"""``make demo`` builds its own course in a folder of its own and never touches a real one."""

from __future__ import annotations

import csv
import re

import pytest

from tests.helpers import REPO, run_module

pytestmark = pytest.mark.slow


def demo(folder, cwd=REPO):
    return run_module("autograder", "demo", str(folder), cwd=cwd)


def test_the_demo_is_built_in_its_own_folder_and_rebuilt_only_there(tmp_path):
    folder = tmp_path / "demo"
    done = demo(folder)
    assert done.returncode == 0, done.stderr
    students = sorted(p.name for p in (folder / "submitted").iterdir())
    assert students == ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
    assert (folder / "source").is_dir() and (folder / "nbgrader_config.py").is_file()
    (folder / "submitted" / "alice" / "marker").write_text("from the first run")
    again = demo(folder)
    assert again.returncode == 0 and "replacing the demonstration course" in again.stdout
    assert not (folder / "submitted" / "alice" / "marker").exists()


@pytest.mark.parametrize("make", ["a course with submissions", "a stray file"])
def test_a_folder_the_demo_did_not_make_is_left_alone(tmp_path, make):
    folder = tmp_path / "course"
    folder.mkdir()
    keep = folder / ("submitted" if make == "a course with submissions" else "notes.txt")
    keep.mkdir() if keep.name == "submitted" else keep.write_text("mine")
    done = demo(folder)
    assert done.returncode == 2
    assert "was not made by `python -m autograder demo`" in done.stderr
    assert keep.exists() and sorted(p.name for p in folder.iterdir()) == [keep.name]


def test_the_course_root_itself_is_refused(tmp_path):
    done = demo(REPO)
    assert done.returncode == 2 and "holds the course itself" in done.stderr


def test_the_demo_class_of_every_assignment_of_the_makefile_is_graded(tmp_path):
    assignments = re.search(r"^ASSIGNMENTS\s*:=\s*(.+)$", (REPO / "Makefile").read_text(),
                            re.M).group(1).split()
    assert len(assignments) >= 2, "make demo grades every assignment"
    folder = tmp_path / "demo"
    assert demo(folder).returncode == 0
    for assignment in assignments:
        done = run_module("autograder", "grade", assignment, "--course-dir", str(folder),
                          "--no-progress", cwd=REPO)
        assert done.returncode == 0, done.stderr
        rows = {r["student"]: r for r in
                csv.DictReader((folder / "grades" / f"{assignment}.csv").open())}
        assert sorted(rows) == ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
        scores = {s: float(r["score"]) for s, r in rows.items()}
        assert scores["alice"] == max(scores.values()) > 0, f"{assignment}: {scores}"
        assert scores["erin"] == 0 and rows["frank"]["error"], f"{assignment}: {scores}"
