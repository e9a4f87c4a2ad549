"""The authoring guide's worked example of a trusted check runs as written."""

from __future__ import annotations

import re
import types

import numpy as np
import pytest

from autograder.config import Settings
from autograder.execute.observe import observe
from autograder.master import NotebookMaster
from autograder.plugins import AssignmentChecks, PluginError, validate
from tests.courses import WRONG_ADDED, course_with_added_exercise
from tests.helpers import ASSIGNMENT, REPO

GUIDE = REPO / "docs" / "authoring.md"


def example_check_module() -> types.ModuleType:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    source = next(b for b in blocks if "class IsiCvCheck(TrustedCheck)" in b)
    module = types.ModuleType("isi_cv_check")
    exec(compile(source, str(GUIDE), "exec"), module.__dict__)
    return module


def define(source: str):
    namespace = {"np": np}
    exec(source, namespace)
    return namespace["isi_cv"]


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    root = course_with_added_exercise(tmp_path_factory.mktemp("guide") / "course")
    settings = Settings.load(root)
    path = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return {ASSIGNMENT: NotebookMaster.from_master(path, ASSIGNMENT, settings.config, root)}


def judge(check, func):
    return check.judge({p.id: observe(func, p) for p in check.probes()})


@pytest.mark.slow
def test_the_guides_check_binds_to_the_added_exercise_and_judges_it(master):
    check = example_check_module().IsiCvCheck()
    validate([AssignmentChecks(ASSIGNMENT, ASSIGNMENT, {"ex3_tests": check})], ASSIGNMENT,
             master)
    right = define("def isi_cv(spike_times):\n    isi = np.diff(spike_times)\n"
                   "    return np.std(isi) / np.mean(isi)")
    assert judge(check, right).passed
    verdict = judge(check, define(WRONG_ADDED))
    assert not verdict.passed and verdict.label == "wrong_cv"
    assert "should be" in verdict.message


@pytest.mark.slow
def test_the_guides_error_messages_are_the_graders(master):
    check = example_check_module().IsiCvCheck()
    with pytest.raises(PluginError) as caught:
        validate([AssignmentChecks(ASSIGNMENT, ASSIGNMENT, {"ex3_test": check},
                                   origin="solutions.W1D1_Tutorial2:CHECKS")],
                 ASSIGNMENT, master)
    assert f"error: {caught.value}" in GUIDE.read_text()
