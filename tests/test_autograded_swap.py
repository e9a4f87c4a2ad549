"""autograded/<student>/<assignment>/ is replaced whole: a reader (the formgrader, a script, a
concurrent ``feedback``) finds the old results or the new ones, never none and never a mix."""

from __future__ import annotations

import json
import threading

import nbformat
import pytest

from autograder import record
from autograder.record import GradeResult, write_autograded
from autograder.submission import Submission


def _write(target, score: float, extra_file: str) -> None:
    submission = Submission("ann", "ps1", target.parent, files={extra_file: b"data"})
    result = GradeResult("ann", "ps1", score, 10.0)
    graded = {"ps1": nbformat.v4.new_notebook()}
    write_autograded(target, submission, {}, frozenset(), [], graded, result)


def _score(target) -> float:
    return json.loads((target / "results.json").read_text())["score"]


def _leftovers(target) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


@pytest.fixture
def target(tmp_path):
    return tmp_path / "autograded" / "ann" / "ps1"


def test_a_regrade_replaces_the_whole_folder_and_leaves_nothing_beside_it(target):
    _write(target, 3, "old.csv")
    _write(target, 7, "new.csv")
    assert _score(target) == 7
    assert (target / "new.csv").exists() and not (target / "old.csv").exists()
    assert _leftovers(target) == []


def test_a_reader_never_finds_the_results_missing_while_regrades_run(target):
    _write(target, 0, "f.csv")
    stop = threading.Event()
    missing = []

    def read_all_the_time():
        while not stop.is_set():
            if not (target / "results.json").exists():
                missing.append(1)

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        for k in range(200):
            _write(target, k % 10, "f.csv")
    finally:
        stop.set()
        reader.join()
    assert not missing, f"results.json was missing {len(missing)} times"


def test_without_an_atomic_swap_the_two_step_rename_still_leaves_only_the_new_folder(
        target, monkeypatch):
    monkeypatch.setattr(record, "_exchange", lambda a, b: False)
    _write(target, 3, "old.csv")
    _write(target, 7, "new.csv")
    assert _score(target) == 7 and not (target / "old.csv").exists()
    assert _leftovers(target) == []


@pytest.mark.parametrize("killed", ["between the two renames", "while writing the new folder"])
def test_a_run_killed_mid_swap_is_cleaned_up_by_the_next_one(target, killed):
    _write(target, 3, "old.csv")
    if killed == "between the two renames":
        target.rename(target.with_name("ps1.autograder-old"))
    else:
        partial = target.with_name("ps1.autograder-new")
        partial.mkdir()
        (partial / "half.ipynb").write_text("{")
    _write(target, 7, "new.csv")
    assert _score(target) == 7 and not (target / "half.ipynb").exists()
    assert _leftovers(target) == []
