"""Trusted checks are an explicit plug-in, checked against the master before grading starts."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from autograder.config import Settings
from autograder.errors import GraderError
from autograder.master import NotebookMaster
from autograder.plugins import (
    AssignmentChecks,
    PluginError,
    TrustedCheck,
    Verdict,
    load_plugins,
    source_fingerprint,
    validate,
)
from solutions.W1D1_Tutorial2 import CHECKS
from solutions.W1D1_Tutorial2.checks import HiddenModelCheck
from tests.helpers import ASSIGNMENT, MASTER, REPO, run_module, submit


class CallsA(TrustedCheck):
    """A check that calls one named function and passes."""

    def __init__(self, function: str):
        self.functions = (function,)

    def probes(self):
        return []

    def judge(self, observations):
        return Verdict(True, "")


@pytest.fixture(scope="module")
def masters():
    settings = Settings.load(REPO)
    return {"W1D1_Tutorial2": NotebookMaster.from_master(MASTER, ASSIGNMENT, settings.config,
                                                         REPO)}


def declaration(checks: dict, notebook: str = "W1D1_Tutorial2") -> AssignmentChecks:
    return AssignmentChecks(ASSIGNMENT, notebook, checks, origin="tests:CHECKS")


def test_the_courses_own_declaration_matches_its_master(masters):
    validate([CHECKS], ASSIGNMENT, masters)


@pytest.mark.parametrize("checks, notebook, problem", [
    ({"ex3_hidden": CallsA("lif_neuron")}, "W1D1_Tutorial2",
     "has no autograded test cell 'ex3_hidden' (its test cells: ex1_public, ex1_hidden"),
    ({"ex1_lif_neuron": CallsA("lif_neuron")}, "W1D1_Tutorial2",
     "has no autograded test cell 'ex1_lif_neuron'"),
    ({"ex1_hidden": CallsA("firing_rate")}, "W1D1_Tutorial2",
     "calls firing_rate(), which W1D1_Tutorial2.ipynb never defines before that cell"),
    ({"ex1_public": CallsA("lif_neuron_inh")}, "W1D1_Tutorial2",
     "calls lif_neuron_inh(), which W1D1_Tutorial2.ipynb never defines before that cell"),
    ({"ex1_hidden": HiddenModelCheck("lif_neuron")}, "Tutorial3",
     "assignment W1D1_Tutorial2 has no notebook Tutorial3.ipynb (it has: W1D1_Tutorial2)"),
], ids=["a cell the master does not have is refused",
        "an answer cell is not a test cell",
        "a function the exercise never defines is refused",
        "a function defined only after the cell is refused",
        "a notebook the assignment does not have is refused"])
def test_a_declaration_that_does_not_match_the_master_fails_naming_the_problem(
        masters, checks, notebook, problem):
    with pytest.raises(PluginError) as caught:
        validate([declaration(checks, notebook)], ASSIGNMENT, masters)
    assert problem in str(caught.value)
    assert str(caught.value).startswith("tests:CHECKS: ")


def test_declarations_of_other_assignments_are_not_applied(masters):
    other = AssignmentChecks("W9_other", "W1D1_Tutorial2", {"nope": CallsA("x")})
    validate([other], ASSIGNMENT, masters)


@pytest.mark.parametrize("spec, problem", [
    ("solutions.W1D1_Tutorial2", "is not of the form 'package.module:NAME'"),
    ("no_such_package.checks:CHECKS", "cannot import no_such_package.checks"),
    ("solutions.W1D1_Tutorial2:NOPE", "solutions.W1D1_Tutorial2 has no NOPE"),
    ("solutions.W1D1_Tutorial2:lif_neuron", "is not an AssignmentChecks declaration"),
], ids=["a spec without a name", "a module that does not exist", "a name that does not exist",
        "an object that is not a declaration"])
def test_a_plugin_that_cannot_be_loaded_says_why(spec, problem):
    with pytest.raises(PluginError, match=problem):
        load_plugins([spec])


BAD_PLUGIN = '''
from autograder.plugins import AssignmentChecks, TrustedCheck, Verdict


class Rate(TrustedCheck):
    functions = ("firing_rate",)

    def probes(self):
        return []

    def judge(self, observations):
        return Verdict(True, "")


CHECKS = AssignmentChecks("W1D1_Tutorial2", "W1D1_Tutorial2", {"ex1_hidden": Rate()})
'''


@pytest.mark.slow
def test_grade_refuses_a_bad_declaration_before_grading_anything(course, tmp_path, release_nb):
    (tmp_path / "badplugin.py").write_text(BAD_PLUGIN)
    config = (course / "nbgrader_config.py").read_text().replace(
        '"solutions.W1D1_Tutorial2:CHECKS"', '"badplugin:CHECKS"')
    (course / "nbgrader_config.py").write_text(config)
    submit(course, "alice", release_nb)
    done = run_module("autograder", "grade", ASSIGNMENT, "--no-progress", cwd=course,
                      env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == ("error: badplugin:CHECKS: the check of ex1_hidden calls firing_rate(), "
                         "which W1D1_Tutorial2.ipynb never defines before that cell")
    assert not (course / "autograded").exists(), "nothing was graded"


def test_a_plugin_option_must_be_a_list_of_names(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n"
                                                 "c.Autograder.plugins = 'oops'\n")
    with pytest.raises(GraderError, match="nbgrader_config.py: c.Autograder.plugins must be a "
                                          "list of 'package.module:NAME' strings"):
        Settings.load(tmp_path)


def test_command_line_options_override_the_configuration_file(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n"
                                                 "c.Autograder.timeout = 50.0\n"
                                                 "c.Execute.timeout = 7\n")
    settings = Settings.load(tmp_path)
    assert settings.limits().notebook_timeout == 50 and settings.limits().cell_timeout == 7
    overridden = Settings.load(tmp_path, Config({"Autograder": {"cell_timeout": 3.0}}))
    assert overridden.limits().cell_timeout == 3


def test_a_configuration_file_that_fails_is_named(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Oops = 1/0\n")
    with pytest.raises(GraderError, match="nbgrader_config.py: cannot be read"):
        Settings.load(tmp_path)


WARMING_PLUGIN = '''
import os
from pathlib import Path

from autograder.plugins import AssignmentChecks, TrustedCheck, Verdict


class Warming(TrustedCheck):
    """Counts its warm-ups in a file; fails to warm when told to."""

    functions = ("lif_neuron",)

    def probes(self):
        return []

    def warm(self):
        with Path(os.environ["WARM_LOG"]).open("a") as log:
            log.write("warm\\n")
        if os.environ.get("WARM_FAILS"):
            raise RuntimeError("the reference is broken")

    def judge(self, observations):
        return Verdict(True, "")


CHECKS = AssignmentChecks("W1D1_Tutorial2", "W1D1_Tutorial2", {"ex1_hidden": Warming()})
'''


@pytest.mark.slow
@pytest.mark.parametrize("fails", [False, True],
                         ids=["a check warms up once per batch with work, not once per submission",
                              "a check that fails to warm up is named and the batch goes on"])
def test_a_checks_warm_up_runs_once_per_batch(course, tmp_path, release_nb, fails):
    (tmp_path / "warmingplugin.py").write_text(WARMING_PLUGIN)
    config = (course / "nbgrader_config.py").read_text().replace(
        '"solutions.W1D1_Tutorial2:CHECKS"', '"warmingplugin:CHECKS"')
    (course / "nbgrader_config.py").write_text(config)
    for student in ("ann", "bo", "cy"):
        submit(course, student, release_nb)
    log = tmp_path / "warm.log"
    env = {"PYTHONPATH": str(tmp_path), "WARM_LOG": str(log)}
    if fails:
        env["WARM_FAILS"] = "1"
    done = run_module("autograder", "grade", ASSIGNMENT, "--no-progress", cwd=course, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert log.read_text() == "warm\n"
    for student in ("ann", "bo", "cy"):
        assert (course / "autograded" / student / ASSIGNMENT / "results.json").exists()
    said = ("the trusted check of W1D1_Tutorial2/ex1_hidden could not warm up: the reference "
            "is broken")
    assert (said in done.stderr) == fails, done.stderr
    again = run_module("autograder", "grade", ASSIGNMENT, "--no-progress", cwd=course, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert log.read_text() == "warm\n", again.stdout + again.stderr


@pytest.mark.parametrize("layout", ["module", "package"],
                         ids=["a check module outside any package is digested alone",
                              "a check package is digested with its data files"])
def test_what_a_checks_fingerprint_covers(tmp_path, monkeypatch, layout):
    """The fingerprint decides what regrades: the checks' own files, never files next to a
    lone module (a course root, where each run writes results.json)."""
    import importlib

    monkeypatch.syspath_prepend(str(tmp_path))
    if layout == "module":
        code, data, name = tmp_path / "lonechecks.py", tmp_path / "results.json", "lonechecks"
    else:
        (tmp_path / "packchecks").mkdir()
        (tmp_path / "packchecks" / "__init__.py").write_text("")
        code, data = tmp_path / "packchecks" / "checks.py", tmp_path / "packchecks" / "cal.json"
        name = "packchecks.checks"
    code.write_text("CHECKS = None\n")
    data.write_text("{}")
    importlib.invalidate_caches()
    first = source_fingerprint(name.split(".")[0], name)
    data.write_text('{"changed": 1}')
    after_data = source_fingerprint(name.split(".")[0], name)
    code.write_text("CHECKS = None  # edited\n")
    after_code = source_fingerprint(name.split(".")[0], name)
    assert first and after_code != after_data
    assert (after_data != first) == (layout == "package")
