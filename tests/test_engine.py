"""The engine is generic: it names no exercise, and it plans and judges any notebook alike."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.preprocessors import ClearHiddenTests
from traitlets.config import Config

from autograder.execute.observe import Probe, encode_value
from autograder.mutation import compile_edited
from autograder.plan import plan_notebook
from autograder.plugins import TrustedCheck, Verdict
from tests.helpers import REPO

#: Words that belong to this course's tutorial, never to the grader.
COURSE_WORDS = re.compile(r"lif_neuron|W1D1|neuron|spike|membrane|solutions[./]|Tutorial2",
                          re.I)


@pytest.mark.parametrize("path", sorted((REPO / "autograder").rglob("*.py")),
                         ids=lambda p: f"{p.relative_to(REPO)} names no exercise")
def test_the_engine_names_no_exercise(path: Path):
    hits = [f"line {n}: {line.strip()}" for n, line in
            enumerate(path.read_text().splitlines(), 1) if COURSE_WORDS.search(line)]
    assert not hits, "\n".join(hits)


class Probing(TrustedCheck):
    functions = ("f",)

    def probes(self):
        return [Probe("p", "f", {"x": 1}, seed=3)]

    def judge(self, observations):
        return Verdict(True, "")


def notebook_with(test_source: str):
    nb = nbformat.v4.new_notebook()

    def meta(gid: str) -> dict:
        return {"nbgrader": {"grade_id": gid, "grade": True, "solution": False,
                             "locked": True, "points": 1, "schema_version": 3}}

    nb.cells = [nbformat.v4.new_code_cell("def f(x):\n    return x"),
                nbformat.v4.new_code_cell(test_source, metadata=meta("bound")),
                nbformat.v4.new_code_cell(test_source, metadata=meta("plain"))]
    return nb


@pytest.mark.parametrize("begin, end", [("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
                                        ("# SECRET {", "# } SECRET")],
                         ids=["nbgrader's delimiters", "a course's own delimiters"])
def test_only_a_cell_bound_to_a_trusted_check_loses_its_hidden_tests(begin, end):
    config = Config({"ClearHiddenTests": {"begin_test_delimeter": begin,
                                          "end_test_delimeter": end}})
    source = f"assert f(1) == 1\n{begin}\nassert f(2) == 2\n{end}"
    task = plan_notebook("nb", notebook_with(source), {"bound": Probing()},
                         ClearHiddenTests(config=config))
    bound, plain = task.cells[1], task.cells[2]
    assert "f(2)" not in bound.source and "f(1)" in bound.source
    assert [p.id for p in bound.probes] == ["p"]
    assert plain.source == source and not plain.probes, "every other cell runs as the master has it"


@pytest.mark.parametrize("returned, expected", [
    (([0.0, 0.5, 0.0], [2]), ([0.0, 0.5, 0.0], [2.0], None)),
    ((np.zeros(3, dtype=np.float32), np.array([1, 2, 3])), ([0.0] * 3, [1.0, 2.0, 3.0], None)),
    ([[0.1, 0.2], ["a", "b"]], "second could not be read as numbers"),
    ((None, [1]), "first could not be read as numbers"),
    ((1, 2, 3), None),
    ("ab", None),
], ids=["two arrays of different lengths are read apart",
        "two arrays of the same length (one 2-d array) are read apart",
        "an array of text is named as unreadable",
        "a missing array is named as unreadable",
        "three values are not a pair",
        "a string is not a pair"])
def test_a_returned_pair_of_arrays_is_read_as_two_arrays_or_says_which_is_unreadable(
        returned, expected):
    pair = encode_value(returned).array_pair(("first", "second"))
    if expected is None:
        assert pair is None
    elif isinstance(expected, str):
        assert pair.problem == expected and pair.first is None
    else:
        first, second, problem = expected
        assert pair.problem is problem
        assert pair.first.tolist() == first and pair.second.tolist() == second


def test_a_returned_pair_keeps_the_first_arrays_own_precision():
    pair = encode_value((np.zeros(4, dtype=np.float32), [1, 2])).array_pair(("v", "t"))
    assert pair.first_dtype == "float32" and pair.first.dtype == np.float64


def _reference(x):
    y = np.asarray(x) * 2  # doubled
    y = y + 1
    y = y + 1
    return y


@pytest.mark.parametrize("edits, expected", [
    ((("y = np.asarray(x) * 2", "y = np.asarray(x) * 3"),), 5.0),
    (((("y = y + 1", 1), "y = y - 1"),), 2.0),
    (((("y = y + 1", 0), "pass"), (("y = y + 1", 0), "pass")), 2.0),
], ids=["a line is matched without its comment",
        "the n-th of equal lines is picked",
        "edits apply in turn, each to the source as the last left it"])
def test_a_mutant_is_the_reference_with_lines_replaced_seeing_its_modules_globals(
        edits, expected):
    mutant = compile_edited(_reference, edits, "test")
    assert float(mutant(1)) == expected
    assert float(_reference(1)) == 4.0, "the reference itself is untouched"


@pytest.mark.parametrize("old", ["y = y + 1", "y = y * 7"],
                         ids=["an ambiguous line is refused", "a missing line is refused"])
def test_an_edit_that_does_not_match_exactly_one_line_names_the_mistake(old):
    with pytest.raises(ValueError, match=f"mistake wrong_one: the reference _reference has "
                                         f"\\d lines `{re.escape(old)}`"):
        compile_edited(_reference, ((old, "pass"),), "wrong_one")
