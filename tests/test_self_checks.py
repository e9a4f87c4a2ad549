"""What students get from the notebook itself: self-checks that catch the common mistakes with a
hint right for each, no update rule in any provided cell, demos that run the student's own
functions, and text that matches what the model does.

The self-checks run in-process here, from the release's own setup cell (tests/selfchecks.py);
tests/test_checks_units.py holds the trusted mirror to the same words, and
tests/test_notebooks.py runs the whole notebook in a real kernel.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import re

import matplotlib
import numpy as np
import pytest

from solutions.W1D1_Tutorial2 import models
from solutions.W1D1_Tutorial2.catalogue import ANSWERS, Answer, answer, answers_for
from solutions.W1D1_Tutorial2.isi import spike_statistics
from solutions.W1D1_Tutorial2.public import (
    RUNAWAY,
    judge_public,
    load_ranges,
    measure_ranges,
    passed_message,
    statistics,
)
from solutions.W1D1_Tutorial2.spiketrain import observe_trial
from solutions.W1D1_Tutorial2.trials import PUBLIC_PARAMETERS, PUBLIC_SEED, PUBLIC_TRIALS
from tests.selfchecks import define, notebook_namespace, run_self_check, setup_source

matplotlib.use("Agg")

E1, E2 = "lif_neuron", "lif_neuron_inh"
PAGE = "https://compneuro.neuromatch.io/tutorials/W1D1_ModelTypes/student/W1D1_Tutorial2.html"

#: Every mistake of the catalogue that the self-checks catch: the check that fails first (the
#: mirror's key) and words of the hint the student reads, which must fit that mistake. The
#: "parameters" ones behave like the model at the default parameters and are caught by the
#: second public call.
HINTS: dict[tuple[str, str], tuple[str, str]] = {
    (E1, "missing alpha"): ("far_too_many", "spiked at every time step"),
    (E1, "the mean rate instead of the samples"): ("regular", "same input at every step"),
    (E1, "a constant input"): ("regular", "same input at every step"),
    (E1, "a constant of 0.1"): ("regular", "same input at every step"),
    (E1, "a wrong sign"): ("below_zero", "Check the sign of dv"),
    (E1, "a leak added"): ("spikes", "there is no leak"),
    (E1, "v counted twice"): ("far_too_many", "each step's change of v is far too large"),
    (E1, "gaussian noise with the right mean"): ("ISI CV", "the input varies too little"),
    (E1, "gaussian noise with a small variance"): ("ISI CV", "the input varies too little"),
    (E1, "uniform noise with the right mean"): ("ISI CV", "the input varies too much"),
    (E1, "hard-coded alpha"): ("parameters", "rather than a fixed number"),
    (E1, "hard-coded rate in fresh draws"): ("parameters", "rather than a fixed number"),
    (E1, "rate times the samples"): ("far_too_many", "each step's change of v is far too large"),
    (E1, "alpha added"): ("far_too_many", "spiked at every time step"),
    (E1, "input multiplied by v"): ("v_zero", "dv is always 0"),
    (E1, "alpha divided"): ("far_too_many", "each step's change of v is far too large"),
    (E1, "the whole input array"): ("array_dv", "dv is an array"),
    (E1, "a sum of past inputs"): ("far_too_many", "each step's change of v is far too large"),
    (E1, "the squared input"): ("far_too_many", "each step's change of v is far too large"),
    (E1, "fresh draws and no alpha"): ("far_too_many", "Compare your dv with the equation"),
    (E1, "fresh draws with a doubled rate"): ("spikes", "it climbs too fast"),
    (E1, "the stub left in"): ("not_implemented", "run the cell of Coding Exercise 1 again"),
    (E1, "the placeholder left in"): ("placeholder", "dv is still the placeholder"),
    (E1, "a name error"): ("name_error", "'excitation', which is not defined"),
    (E1, "reset by subtraction"): ("reset", "reset to 0 at every spike"),
    (E1, "no reset"): ("reset", "reset to 0 at every spike"),
    (E1, "a lowered threshold"): ("spikes", "the spike test was changed"),
    (E1, "an object whose equality is rigged"): ("v_zero", "v stays at 0 at every step"),
    (E2, "a leak of the wrong sign"): ("runaway", "check the sign of the leak term"),
    (E2, "a missing leak"): ("sinks", "The leak should pull v back towards 0"),
    (E2, "the leak on v[i]"): ("sinks", "acts on v[i - 1], the potential before the update"),
    (E2, "inhibition missing"): ("far_too_many", "inhibition should cancel excitation"),
    (E2, "inhibition added"): ("far_too_many", "inhibition should cancel excitation"),
    (E2, "the inputs' signs swapped"): ("parameters", "inhibition pushes it down"),
    (E2, "alpha only on excitation"): ("silent", "the input pushes it down on average"),
    (E2, "alpha only on inhibition"): ("far_too_many", "check how exc[i] and inh[i] enter dv"),
    (E2, "alpha on the leak"): ("parameters", "beta sets the leak"),
    (E2, "alpha times beta on the leak"): ("parameters", "beta sets the leak"),
    (E2, "the rates instead of the samples"): ("v_zero", "dv is always 0"),
    (E2, "the excitatory rate for inhibition"): ("parameters", "exc_rate and inh_rate"),
    (E2, "hard-coded alpha"): ("parameters", "rather than a fixed number"),
    (E2, "hard-coded beta"): ("parameters", "rather than a fixed number"),
    (E2, "hard-coded rates in fresh draws"): ("parameters", "rather than a fixed number"),
    (E2, "hard-coded rates in the precomputed inputs"): ("parameters",
                                                         "rather than a fixed number"),
    (E2, "v counted twice"): ("runaway", "dv holds only the change of v"),
    (E2, "a constant leak"): ("sinks", "in proportion to v"),
    (E2, "gaussian noise with the right mean"): ("too_still", "whose variance equals their mean"),
    (E2, "exercise 1's answer"): ("far_too_many", "inhibition should cancel excitation"),
    (E2, "fresh draws with inputs swapped"): ("parameters", "inhibition pushes it down"),
    (E2, "fresh draws without inhibition"): ("far_too_many", "inhibition should cancel excitation"),
    (E2, "fresh draws without the leak"): ("sinks", "The leak should pull v back towards 0"),
    (E2, "leak without v"): ("array_dv", "dv is an array"),
    (E2, "the stub left in"): ("not_implemented", "run the cell of Coding Exercise 2 again"),
    (E2, "the placeholder left in"): ("placeholder", "dv is still the placeholder"),
    (E2, "reset by subtraction"): ("reset", "reset to 0 at every spike"),
    (E2, "no reset"): ("reset", "reset to 0 at every spike"),
}

#: Mistakes the self-checks cannot see, and why: they left to the hidden checks, which compare
#: the trace step by step with the reference under the same seed.
UNSEEN = {
    (E1, "the previous step's input"): "the same distribution, shifted by one step",
    (E1, "inputs drawn before the loop but a separate generator used"):
        "Poisson input of the right rate, from a generator the seed does not control",
    (E2, "the previous step's excitation"): "the same distribution, shifted by one step",
    (E2, "the previous step's inhibition"): "the same distribution, shifted by one step",
    (E2, "the previous step's inputs"): "the same distribution, shifted by one step",
    (E2, "the previous step's inputs as a named difference"):
        "the same distribution, shifted by one step",
    (E2, "inputs drawn before the loop but a separate generator used"):
        "Poisson input of the right rates, from a generator the seed does not control",
}

MISTAKES = [a for a in ANSWERS if not a.correct]


def label(ans: Answer) -> str:
    return f"{ans.function}: {ans.key}"


def test_every_mistake_of_the_catalogue_is_either_caught_or_known_to_pass():
    keys = {(a.function, a.key) for a in MISTAKES}
    assert set(HINTS) | set(UNSEEN) == keys
    assert not set(HINTS) & set(UNSEEN)


# --- the self-checks over the answer catalogue --------------------------------------------------

@pytest.mark.parametrize("ans", answers_for(E1, True) + answers_for(E2, True),
                         ids=lambda a: f"{label(a)} passes the self-checks")
def test_a_correct_answer_passes_and_hears_what_was_checked(release_nb, ans):
    problem, printed = run_self_check(release_nb, ans.function, define(release_nb, ans))
    assert problem is None, problem
    assert f"self-checks passed. {ans.function} runs" in printed
    assert "Not checked here" in printed and "hidden checks" in printed
    # the grader does not run the cell (the mirror replaces it): it shows the same words
    assert printed.strip() == passed_message(ans.function)


@pytest.mark.parametrize("ans", [a for a in MISTAKES if (a.function, a.key) in HINTS],
                         ids=lambda a: f"{label(a)} fails with its hint")
def test_a_mistake_fails_a_self_check_with_its_hint(release_nb, ans):
    key, words = HINTS[ans.function, ans.key]
    func = define(release_nb, ans)
    problem, _ = run_self_check(release_nb, ans.function, func)
    assert problem is not None, "the self-checks passed a mistake"
    assert words in problem, problem
    assert "\n" not in problem and "Traceback" not in problem
    finding = judge_public(ans.function, {t.id: observe_trial(func, t)
                                          for t in PUBLIC_TRIALS[ans.function]})
    assert finding is not None and finding.key == key, finding


@pytest.mark.parametrize("ans", [a for a in MISTAKES if (a.function, a.key) in UNSEEN],
                         ids=lambda a: f"{label(a)} is left to the hidden checks")
def test_a_mistake_the_statistics_cannot_see_passes_and_is_said_to_be_unchecked(release_nb, ans):
    problem, printed = run_self_check(release_nb, ans.function, define(release_nb, ans))
    assert problem is None, f"now caught ({problem}): move it to HINTS"
    assert "cannot tell whether each step uses the right input sample" in printed


@pytest.mark.parametrize("function", [E1, E2])
def test_every_mistake_that_shows_at_the_defaults_fails_there(release_nb, function):
    """The second call is only for arguments used out of their role: every other mistake
    fails at the default parameters, where the student is."""
    for ans in answers_for(function, False):
        if (function, ans.key) in UNSEEN:
            continue
        func = define(release_nb, ans)
        first = PUBLIC_TRIALS[function][0]
        finding = judge_public(function, {first.id: observe_trial(func, first)})
        at_defaults = finding is not None and finding.key != "not_run"
        assert at_defaults == (HINTS[function, ans.key][0] != "parameters"), label(ans)


def dv_answer(function: str, dv: str) -> Answer:
    return Answer("synthetic", function, False, dv=dv)


@pytest.mark.parametrize("function, dv, words", [
    (E1, "pass", "lif_neuron never gives dv a value: write your line `dv = ...`"),
    (E1, "dv = alpha * int(exc[i]) / 0", "lif_neuron(n_steps=1000) raised ZeroDivisionError: float "
                                    "division by zero."),
    (E2, "dv = -beta * v + alpha * (exc[i] - inh[i])", "needs only this step's inputs, exc[i] "
                                                       "and inh[i], and the potential before"),
    (E2, "dv = -beta * v[i - 1] + alpha * (exc[i] - inhibition[i])",
     "uses the name 'inhibition', which is not defined"),
], ids=["the raise line deleted and nothing written is one sentence",
        "any other error is one sentence naming the call",
        "an array dv names the values a step needs",
        "an unknown name is named"])
def test_a_runtime_error_becomes_one_sentence(release_nb, function, dv, words):
    func = define(release_nb, dv_answer(function, dv))
    problem, _ = run_self_check(release_nb, function, func)
    assert words in problem and "\n" not in problem
    finding = judge_public(function, {t.id: observe_trial(func, t)
                                      for t in PUBLIC_TRIALS[function]})
    assert finding.message == problem


@pytest.mark.parametrize("function, exercise", [(E1, 1), (E2, 2)])
def test_a_function_never_defined_is_a_sentence_not_a_name_error(release_nb, function, exercise):
    problem, _ = run_self_check(release_nb, function, None)
    assert problem == (f"{function} is not defined: run the cell of Coding Exercise {exercise} "
                       "first (and fix any error it shows).")
    finding = judge_public(function, {t.id: observe_trial(None, t)
                                      for t in PUBLIC_TRIALS[function]})
    assert finding.message == problem


def test_a_failure_shows_its_sentence_in_place_of_a_traceback(release_nb):
    namespace = notebook_namespace(release_nb)
    failure = namespace["SelfCheckFailed"]("v should be reset to 0 at every spike. " * 5)
    lines = failure._render_traceback_()
    assert "Self-check failed" in lines[0]
    assert " ".join(lines[1:]) == str(failure).strip()
    assert all(len(line) <= 96 for line in lines[1:])


# --- the same calls as the trusted mirror, few of them, and the ranges they compare with ---------

@pytest.mark.parametrize("function", [E1, E2])
def test_the_self_checks_make_the_mirrors_calls_and_no_more(release_nb, function):
    reference = getattr(models, function)
    calls = []

    def recorded(**kwargs):
        state = np.random.get_state()[1][:4].tolist()
        calls.append((kwargs, state))
        return reference(**kwargs)

    problem, _ = run_self_check(release_nb, function, recorded)
    assert problem is None
    np.random.seed(PUBLIC_SEED)
    seeded = np.random.get_state()[1][:4].tolist()
    assert calls == [(t.kwargs, seeded) for t in PUBLIC_TRIALS[function]]
    steps = sum(kwargs["n_steps"] for kwargs, _ in calls)
    assert len(calls) == 2 and steps <= 1500, "the self-checks call the student's function " \
        "in every graded notebook: keep them cheap"


@pytest.mark.parametrize("nb", ["master", "release"])
def test_the_notebooks_ranges_are_the_measured_ones(master_nb, release_nb, nb):
    namespace = notebook_namespace(master_nb if nb == "master" else release_nb)
    assert namespace["SELF_CHECK_SEED"] == PUBLIC_SEED and namespace["_RUNAWAY"] == RUNAWAY
    stored = load_ranges()
    for function, calls in namespace["SELF_CHECK_CALLS"].items():
        assert [kwargs for kwargs, _ in calls] == list(PUBLIC_PARAMETERS[function])
        for (_, ranges), measured in zip(calls, stored[function], strict=True):
            assert {k: list(v) for k, v in ranges.items()} == measured, \
                "the notebook's ranges are stale: paste `python -m solutions.W1D1_Tutorial2 " \
                "self-checks`'s output into the master's setup_checks cell"
    assert "SELF_CHECK_CALLS = {" in setup_source(release_nb)


@pytest.mark.slow
def test_the_measured_ranges_are_what_the_reference_gives():
    import json

    from solutions.W1D1_Tutorial2.public import RANGES_FILE

    assert measure_ranges() == json.loads(RANGES_FILE.read_text()), \
        "run `python -m solutions.W1D1_Tutorial2 self-checks` and update the notebook"


def test_the_statistics_are_those_of_the_class_report():
    times = np.array([3.0, 10.0, 14.0, 30.0])
    ours = statistics(np.zeros(40), times)
    theirs = spike_statistics(times)
    assert (ours["spikes"], ours["mean ISI"], ours["ISI CV"]) == \
        (theirs.count, theirs.isi_mean, theirs.isi_cv)


# --- no provided cell gives an update rule away ------------------------------------------------

#: Algebraic forms of either model's update, in code, comments or strings.
ALGEBRA = (
    r"\balpha\s*\*\s*\(?\s*(exc|inh|drive|current|I\b)",
    r"\balpha\s*\*[^\n]*poisson",
    r"\b(exc|inh)\w*(\[[^\]]*\])?\s*\*\s*alpha\b",
    r"\bbeta\s*\*\s*v\b",
    r"\bv(\[[^\]]*\])?\s*\*\s*beta\b",
    r"\(\s*1\s*-\s*(beta|leak)\s*\)",
    r"\bexc\w*(\[[^\]]*\])?\s*-\s*inh",
    r"\bleak\s*=\s*beta\b",
)


def update_rules(source: str) -> list[str]:
    """What in a code cell looks like an update rule: an array element computed from the same
    array (v[i] from v[i-1]), a value given to dv, or an algebraic form of either model."""
    found = [f"matches {p!r}" for p in ALGEBRA if re.search(p, source)]
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [node.target], node.value
        else:
            continue
        used = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} if value else set()
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and \
                    (target.value.id in used or isinstance(node, ast.AugAssign)):
                found.append(f"{target.value.id}[...] computed from {target.value.id}")
            if isinstance(target, ast.Name) and target.id == "dv":
                found.append("a value given to dv")
    return found


#: What the detector must catch: the helpers and demos that gave the answers away before,
#: and the original tutorial's demo model.
GIVEAWAYS = {
    "a shared simulator with a leak": '''
def _simulate_demo(drive, leak=0.0):
    v = np.zeros(len(drive))
    for i in range(1, len(drive)):
        v[i] = (1 - leak) * v[i - 1] + drive[i]
    return v
''',
    "a demo feeding scaled input to it": "drive = alpha * stats.poisson(rate).rvs(2000)\n"
                                         "v, spike_times = _simulate_demo(drive)\n",
    "a demo feeding balanced input to it": "v, spike_times = _simulate_demo(alpha * (exc - inh), "
                                           "leak=beta)\n",
    "the original demo's model": "for i in range(1, n_steps):\n    dv = -beta * v[i-1] + alpha "
                                 "* (exc[i] - inh[i])\n    v[i] = v[i-1] + dv\n",
    "an update written in place": "for i in range(1, n):\n    v[i] += drive[i]\n",
}


@pytest.mark.parametrize("name", sorted(GIVEAWAYS), ids=lambda n: f"{n} is detected")
def test_the_detector_finds_an_update_rule(name):
    assert update_rules(GIVEAWAYS[name])


@pytest.mark.parametrize("grade_id", ["ex1_lif_neuron", "ex2_lif_neuron_inh"],
                         ids=lambda g: f"the master's solution in {g} is detected")
def test_the_detector_finds_the_masters_solutions(master_nb, grade_id):
    cell = next(c for c in master_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert "a value given to dv" in update_rules(cell.source)


def locked_code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("locked")]


def test_no_locked_cell_of_the_release_contains_an_update_rule(release_nb):
    cells = locked_code_cells(release_nb)
    assert {"setup_helpers", "setup_checks", "demo1", "demo2", "ex1_public", "ex2_public"} <= \
        {c.metadata["nbgrader"]["grade_id"] for c in cells}
    for cell in cells:
        assert update_rules(cell.source) == [], cell.metadata["nbgrader"]["grade_id"]


# --- the demos run the student's function ---------------------------------------------------

def release_cell(release_nb, grade_id: str) -> str:
    return next(c.source for c in release_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def run_demo(release_nb, demo: str, **functions) -> tuple[str, dict]:
    namespace = notebook_namespace(release_nb, **functions)
    exec(release_cell(release_nb, "setup_helpers"), namespace)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(release_cell(release_nb, demo), namespace)
    return printed.getvalue(), namespace


DEMOS = {"demo1": (E1, {"n_steps": 2000, "alpha": 0.01, "rate": 10}),
         "demo2": (E2, {"n_steps": 2000, "alpha": 0.5, "beta": 0.1, "exc_rate": 12,
                        "inh_rate": 12})}


@pytest.mark.parametrize("demo", sorted(DEMOS), ids=lambda d: f"{d} runs the student's function")
def test_a_demo_runs_the_students_own_function_at_its_sliders(release_nb, monkeypatch, demo):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    function, sliders = DEMOS[demo]
    calls = []

    def student(**kwargs):
        calls.append(kwargs)
        return getattr(models, function)(**kwargs)

    printed, _ = run_demo(release_nb, demo, **{function: student})
    assert "interactive(children=" in printed, "no sliders were shown"
    assert function not in printed, "the demo complained about a working function"
    assert calls and all(c == sliders for c in calls), calls


@pytest.mark.parametrize("demo", sorted(DEMOS), ids=lambda d: f"{d} with the stub says what "
                         "to do first")
def test_a_demo_with_the_stub_says_what_to_do_first_and_raises_nothing(release_nb, monkeypatch,
                                                                      demo):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    function, _ = DEMOS[demo]
    stub = define(release_nb, answer(function, "the stub left in"))
    printed, _ = run_demo(release_nb, demo, **{function: stub})
    exercise = 1 if function == E1 else 2
    assert printed == (f"{function} is not finished yet (it still raises NotImplementedError): "
                       f"complete Coding Exercise {exercise}, run its cell, then run this cell "
                       "again to get the sliders.\n")


def test_a_demo_before_its_exercise_ran_says_so(release_nb, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    printed, _ = run_demo(release_nb, "demo1")
    assert printed.startswith("lif_neuron is not defined yet: complete Coding Exercise 1")


def test_a_broken_function_gets_a_sentence_in_the_demo(release_nb, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    broken = define(release_nb, answer(E2, "leak without v"))
    printed, _ = run_demo(release_nb, "demo2", lif_neuron_inh=broken)
    assert printed.startswith("lif_neuron_inh does not run yet (ValueError: setting an array "
                              "element with a sequence")
    assert printed.count("\n") == 1


@pytest.mark.parametrize("demo", sorted(DEMOS), ids=lambda d: f"{d} is skipped while grading")
def test_a_demo_calls_nothing_while_autograded(release_nb, monkeypatch, demo):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    function, _ = DEMOS[demo]
    calls = []
    printed, _ = run_demo(release_nb, demo, **{function: lambda **kw: calls.append(kw)})
    assert printed == "" and calls == []


def test_grading_guards_are_out_of_sight_of_the_cells_students_run(release_nb):
    for cell in release_nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and gid != "setup_checks":
            assert "NBGRADER" not in cell.source and "os.environ" not in cell.source, gid


# --- the text says what the model does --------------------------------------------------------

def markdown(nb, cell_id: str) -> str:
    return next(c.source for c in nb.cells if c.id == cell_id)


def mean_over_seeds(function: str, statistic: str, seeds: int = 100, **kwargs) -> float:
    values = []
    for seed in range(seeds):
        np.random.seed(seed)
        _, spike_times = getattr(models, function)(n_steps=2000, **kwargs)
        values.append(getattr(spike_statistics(spike_times), statistic))
    return float(np.mean(values))


#: Each number quoted in a demo's discussion: the phrase it is quoted in, and how to compute it
#: with the reference (2000 steps, as the demos run).
QUOTED = {
    "demo1_discussion": [
        (r"CV grows from about ([\d.]+) at `alpha` = 0\.01",
         lambda: mean_over_seeds(E1, "isi_cv", alpha=0.01, rate=10), 0.01),
        (r"to about ([\d.]+) at\s+`alpha` = 0\.1\b",
         lambda: mean_over_seeds(E1, "isi_cv", alpha=0.1, rate=10), 0.01),
        (r"from about ([\d.]+)\s+steps at `rate` = 5",
         lambda: mean_over_seeds(E1, "isi_mean", alpha=0.01, rate=5), 0.5),
        (r"to about ([\d.]+) steps at `rate` = 20",
         lambda: mean_over_seeds(E1, "isi_mean", alpha=0.01, rate=20), 0.1),
        (r"while the CV stays about ([\d.]+)",
         lambda: mean_over_seeds(E1, "isi_cv", alpha=0.01, rate=20), 0.01),
        (r"while the CV stays about ([\d.]+)",
         lambda: mean_over_seeds(E1, "isi_cv", alpha=0.01, rate=5), 0.01),
    ],
    "demo2_discussion": [
        (r"the CV of the intervals is about ([\d.]+)",
         lambda: mean_over_seeds(E2, "isi_cv", alpha=0.5, beta=0.1, exc_rate=12, inh_rate=12),
         0.06),
    ],
}


@pytest.mark.parametrize("cell_id, k", [(c, k) for c, claims in QUOTED.items()
                                        for k in range(len(claims))],
                         ids=lambda v: str(v))
def test_a_number_quoted_in_a_discussion_is_what_the_model_gives(master_nb, cell_id, k):
    phrase, compute, tolerance = QUOTED[cell_id][k]
    found = re.search(phrase, markdown(master_nb, cell_id))
    assert found, f"the discussion no longer quotes {phrase!r}: update QUOTED"
    quoted, measured = float(found.group(1)), compute()
    assert abs(quoted - measured) <= tolerance, f"the text says {quoted}, the model gives " \
        f"{measured:.3f}"


def test_bonus_two_matches_the_exercises_parameters(master_nb):
    text = markdown(master_nb, "bonus2")
    example = re.search(r"\$dt = ([\d.]+)\$,\s+\$C_m = ([\d.]+)\$ and \$R_m = ([\d.]+)\$", text)
    dt, c_m, r_m = map(float, example.groups())
    defaults = inspect.signature(models.lif_neuron_inh).parameters
    assert dt / (r_m * c_m) == pytest.approx(defaults["beta"].default)
    assert dt / c_m == pytest.approx(defaults["alpha"].default)
    linear = re.search(r"corresponds to \$C_m = ([\d.]+)\$ with \$dt = ([\d.]+)\$", text)
    alpha = inspect.signature(models.lif_neuron).parameters["alpha"].default
    assert float(linear.group(2)) / float(linear.group(1)) == pytest.approx(alpha)
    assert r"\beta = \frac{dt}{R_m C_m}" in text and r"\alpha = \frac{dt}{C_m}" in text
    assert "play the roles" not in text


def test_the_linear_neuron_is_never_called_lif(master_nb, release_nb):
    for nb in (master_nb, release_nb):
        ids = [c.id for c in nb.cells]
        linear = nb.cells[ids.index("section1"): ids.index("section2")]
        for cell in linear:
            assert not re.search(r"\bLIF\b", cell.source), cell.id
    assert "leaky* integrate-and-fire (LIF)" in markdown(master_nb, "section2")


@pytest.mark.parametrize("demo", ["demo1", "demo2"])
def test_a_discussion_is_folded_right_under_its_demo(master_nb, demo):
    ids = [c.id for c in master_nb.cells]
    discussion = master_nb.cells[ids.index(demo) + 1]
    assert discussion.id == f"{demo}_discussion"
    text = discussion.source.strip()
    assert text.startswith("<details>\n<summary>") and text.endswith("</details>")


def test_the_original_its_licence_and_its_videos_are_linked(release_nb):
    credits = markdown(release_nb, "title")
    for link in (PAGE, "https://github.com/NeuromatchAcademy/course-content",
                 "https://creativecommons.org/licenses/by/4.0/"):
        assert f"]({link})" in credits, link
    ids = [c.id for c in release_nb.cells]
    for video, anchor, after in (("video1", "video-1-how-models", "setup_checks"),
                                 ("video2", "video-2-linear-if-models", "demo1_discussion"),
                                 ("video3", "video-3-lif-inhibition", "demo2_discussion")):
        assert f"]({PAGE}#{anchor})" in markdown(release_nb, video)
        assert "Optional" in markdown(release_nb, video)
        assert ids.index(video) == ids.index(after) + 1, f"{video} is out of place"
