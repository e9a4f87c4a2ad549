"""Every machine-readable file the grader writes passes a strict JSON parser: no NaN, no
Infinity (Gradescope's parser, and most others, reject them)."""

from __future__ import annotations

import json
import math

import pytest

from autograder import record
from tests.helpers import ASSIGNMENT, run_module

pytestmark = pytest.mark.slow


def strict_load(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def written(graded_class):
    root = graded_class[0]
    for command in ("feedback", "report"):
        done = run_module("autograder", command, ASSIGNMENT, cwd=root)
        assert done.returncode == 0, done.stderr
    return root


def test_every_json_file_of_a_graded_class_is_strict(written):
    files = [p for p in written.rglob("*") if p.suffix in (".json", ".ipynb") and p.is_file()
             and "submitted" not in p.relative_to(written).parts
             and "source" not in p.relative_to(written).parts]
    results = [p for p in files if p.name == "results.json"]
    assert len(results) >= 10, "the class's results are among the files checked"
    for path in files:
        strict_load(path.read_text())


def test_statistics_that_are_undefined_are_written_as_null():
    test = record.TestResult("t", 0.0, 1.0, "no spikes", True, "nb", "trusted")
    result = record.GradeResult(student="s", assignment="a", score=0.0, max_score=1.0,
                                tests=[test], extra={"checks": {"t": {"data": {
                                    "isi_mean": math.nan, "rate": math.inf}}}})
    data = strict_load(record.dumps_strict(result.as_gradescope()))
    assert data["extra_data"]["checks"]["t"]["data"] == {"isi_mean": None, "rate": None}
