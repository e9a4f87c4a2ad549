"""The bonus assignment's notebooks: the master runs, the release is current, students get what
they need and nothing that gives an answer away."""

from __future__ import annotations

import contextlib
import io
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.validator import Validator

from autograder.authoring import example_figures, execute_notebook
from solutions.W1D1_Tutorial2_Bonus import CHECKS
from solutions.W1D1_Tutorial2_Bonus.catalogue import EXERCISE_CELLS, answer, fill_in
from tests.bonus import MASTER, RELEASE, cell, grade_id, read, setup_namespace
from tests.helpers import REPO, assert_example_figures_current

STUB_RAISE = 'raise NotImplementedError("Exercise: write your answer here")'
GRADE_IDS = ["ex1_simulate_lif", "ex1_public", "ex1_hidden", "ex2_firing_rate", "ex2_public",
             "ex2_hidden", "ex3_lif_rate", "ex3_public", "ex3_hidden", "ex3_euler", "ex3_written"]


@pytest.fixture(scope="module")
def master():
    return read(MASTER)


@pytest.fixture(scope="module")
def release():
    return read(RELEASE)


def run(nb) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel beside the release, continuing past errors, as a
    student's run-all (the kernel inherits this process's environment)."""
    nb = nbformat.from_dict(nb)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(RELEASE.parent)}}).execute()
    return nb


def errors(c) -> list:
    return [o for o in c.get("outputs", []) if o.output_type == "error"]


def text(c) -> str:
    return "".join(o.get("text", "") for o in c.get("outputs", []))


def solution_lines(nb) -> list[str]:
    lines = []
    for c in nb.cells:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", c.source, re.S):
            lines += [line.strip() for line in region.splitlines() if line.strip()]
    return lines


def finished(release_nb):
    return fill_in(release_nb, answer("simulate_lif", "the reference form"),
                   answer("firing_rate", "the reference form"),
                   answer("lif_rate", "the reference form"))


# --- the master ----------------------------------------------------------------------------

def test_the_master_has_three_exercises_of_three_kinds(master):
    ids = [grade_id(c) for c in master.cells if grade_id(c) and grade_id(c).startswith("ex")]
    assert ids == GRADE_IDS
    assert set(CHECKS.checks) == {"ex1_hidden", "ex3_hidden"}, \
        "Exercises 1 and 3 are judged by trusted checks, Exercise 2 by plain asserts"
    hidden2 = cell(master, "ex2_hidden").source
    assert "import" not in hidden2 and hidden2.count("assert ") >= 5, \
        "Exercise 2's hidden tests are plain asserts, no Python from outside the notebook"
    written = cell(master, "ex3_written")
    meta = written.metadata["nbgrader"]
    assert written.cell_type == "markdown" and meta["solution"] and meta["grade"] \
        and meta["points"] == 2, "the written question is a manually graded answer"


def test_the_master_states_the_equations_and_where_each_parameter_comes_from(master):
    markdown = "\n".join(c.source for c in master.cells if c.cell_type == "markdown")
    for equation in (r"C_m \frac{dV}{dt} = -\frac{V - V_{\mathrm{rest}}}{R_m} + I",
                     r"\tau_m = R_m C_m",
                     r"V[i+1] = V[i] + \frac{dt}{C_m}",
                     r"T = \tau_m \ln\frac{V_\infty - V_{\mathrm{reset}}}"
                     r"{V_\infty - V_{\mathrm{th}}}",
                     r"|T_{\mathrm{sim}} - T| \le dt + (T - t_{\mathrm{ref}})\,\frac{dt}{\tau_m}"):
        assert equation in markdown, f"the equation {equation} is missing"
    table = next(c.source for c in master.cells if c.id == "parameters")
    for value in ("$-70$ mV", "$-55$ mV", "$-75$ mV", "$0.2$ nF", "$50$ M$\\Omega$", "$10$ ms",
                  "$2$ ms", "$0.1$ ms"):
        assert value in table, f"the parameter value {value} is missing from the table"
    assert "Dayan & Abbott" in table and "Gerstner et al." in table
    assert "http" not in markdown.replace("](data:", "")


def test_provided_code_is_locked_and_points_are_stated(master):
    for c in master.cells:
        meta = c.metadata.get("nbgrader", {})
        if c.cell_type == "code" and not meta.get("solution"):
            assert meta.get("locked"), f"code cell {c.id} should be read-only (locked)"
        if meta.get("grade") and c.cell_type == "code":
            assert f"({meta['points']:g} point" in c.source, \
                f"test cell {meta['grade_id']} should state its points"


def test_discussions_are_folded_away(master):
    discussion = next(c.source for c in master.cells if c.id == "demo1_discussion")
    assert discussion.lstrip().startswith("<details>") and "</details>" in discussion


@pytest.mark.slow
def test_the_master_runs_clean_and_its_hidden_checks_pass():
    executed = execute_notebook(MASTER)
    for c in executed.cells:
        assert not errors(c), f"cell {c.id} of the master failed: {errors(c)[0].evalue}"
    assert "passes the hidden checks" in text(cell(executed, "ex1_hidden"))
    assert "passes the hidden checks" in text(cell(executed, "ex3_hidden"))
    assert "Simulation and theory agree" in text(cell(executed, "ex3_euler"))
    figures = example_figures(executed)
    assert set(figures) == {"example_simulate_lif.png", "example_lif_rate.png"}
    assert_example_figures_current(figures, MASTER.parent)


@pytest.mark.slow
def test_nbgrader_validator_passes_the_master_and_fails_the_release():
    assert Validator().validate(str(MASTER)) == {}
    failed = Validator().validate(str(RELEASE)).get("failed", [])
    assert failed and any("NotImplementedError" in f["raw_error"] for f in failed)


# --- the release --------------------------------------------------------------------------
# (that it is current: tests/test_notebooks.py checks the release of every assignment)

def test_the_release_gives_no_answer_away(master, release):
    code = "\n".join(c.source for c in release.cells if c.cell_type == "code")
    for line in solution_lines(master):
        assert line not in code, f"the release contains the solution line {line!r}"
    for secret in ("HIDDEN TESTS", "import check_", "autograder", "solutions", "np.log(",
                   "np.diff(", "/ (R_m * C_m)"):
        assert secret not in code, f"the release mentions {secret!r}"
    assert code.count(STUB_RAISE) == 3
    assert cell(release, "ex3_written").source == "YOUR ANSWER HERE"


def test_the_release_needs_nothing_but_its_folder_and_three_libraries(release):
    code = "\n".join(c.source for c in release.cells if c.cell_type == "code")
    imported = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
    assert imported <= {"numpy", "matplotlib", "ipywidgets", "logging", "os", "contextlib", "io",
                        "warnings"}, imported
    assert not re.search(r"https?://", code) and "pip install" not in code
    assert (RELEASE.parent / "nma.mplstyle").read_bytes() == \
        (REPO / "source" / "W1D1_Tutorial2" / "nma.mplstyle").read_bytes()
    markdown = "\n".join(c.source for c in release.cells if c.cell_type == "markdown")
    assert markdown.count("](data:image/png;base64,") == 2, "both example outputs are embedded"


# --- what a student sees ------------------------------------------------------------------

def test_the_demo_says_what_to_do_first_until_simulate_lif_works(release, monkeypatch):
    helpers = setup_namespace(release)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)

    def unfinished(I, **kwargs):  # noqa: E741 (the exercise's signature)
        raise NotImplementedError("Exercise: write your answer here")

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        helpers["lif_demo"](unfinished)
    assert "does not work yet" in out.getvalue() and "NotImplementedError" in out.getvalue()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert helpers["lif_demo"](unfinished) is None
    assert out.getvalue() == "", "while autograding the demo does nothing"


@pytest.mark.slow
def test_an_unfinished_release_fails_only_in_the_stubs_and_what_calls_them(release):
    ran = run(release)
    failing = {grade_id(c) or c.id for c in ran.cells if c.cell_type == "code" and errors(c)}
    assert failing == {"ex1_simulate_lif", "ex1_public", "ex2_firing_rate", "ex2_public",
                       "ex3_lif_rate", "ex3_public", "ex3_euler"}
    for gid in EXERCISE_CELLS.values():
        assert errors(cell(ran, gid))[0].ename == "NotImplementedError"
    for gid in ("ex1_public", "ex2_public", "ex3_public", "ex3_euler"):
        assert "still raises NotImplementedError" in errors(cell(ran, gid))[0].evalue
    assert "Complete Coding Exercise 1" in text(cell(ran, "demo1"))


@pytest.mark.slow
def test_a_finished_release_runs_clean_and_shows_its_sliders(release):
    ran = run(finished(release))
    for c in ran.cells:
        if c.cell_type == "code":
            assert not errors(c), f"cell {c.id} failed: {errors(c)[0].evalue}"
    for gid in ("ex1_public", "ex2_public", "ex3_public"):
        assert "self-checks passed" in text(cell(ran, gid))
        assert "Not checked here" in text(cell(ran, gid))
    assert "Simulation and theory agree" in text(cell(ran, "ex3_euler"))
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in cell(ran, "demo1").outputs), "the demo shows no sliders"
    for gid in ("ex1_simulate_lif", "ex3_lif_rate", "ex3_euler"):
        assert any("image/png" in o.get("data", {}) for o in cell(ran, gid).outputs)


@pytest.mark.slow
def test_while_autograding_the_demo_shows_no_sliders(release, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # as both graders set it
    ran = run(finished(release))
    demo = cell(ran, "demo1")
    assert not errors(demo) and not demo.outputs
