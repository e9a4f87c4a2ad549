"""The bonus assignment's checks: every catalogue answer gets its verdict from the trusted checks
(Exercises 1 and 3) or the plain hidden asserts (Exercise 2), every known mistake is named, and
the notebook's self-checks give their hint for each mistake that shows at their parameters."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from solutions.W1D1_Tutorial2_Bonus import models
from solutions.W1D1_Tutorial2_Bonus.catalogue import ANSWERS, answer, answers_for
from solutions.W1D1_Tutorial2_Bonus.context import ReferenceContext
from solutions.W1D1_Tutorial2_Bonus.mistakes import MISTAKES
from solutions.W1D1_Tutorial2_Bonus.notebook_checks import judge_lif_rate, judge_simulate_lif
from tests.bonus import MASTER, RELEASE, SELF_CHECKS, cell, define, read, setup_namespace

TRUSTED = {"simulate_lif": judge_simulate_lif, "lif_rate": judge_lif_rate}


@pytest.fixture(scope="module")
def release():
    return read(RELEASE)


@pytest.fixture(scope="module")
def master():
    return read(MASTER)


@pytest.fixture(scope="module")
def context():
    return ReferenceContext().warm_up()


@pytest.fixture(scope="module")
def helpers(release):
    return setup_namespace(release)


# --- the catalogue -------------------------------------------------------------------------------

@pytest.mark.parametrize("correct", [True, False], ids=["correct answers", "mistakes"])
@pytest.mark.parametrize("function, least", [("simulate_lif", 15), ("firing_rate", 8),
                                             ("lif_rate", 8)])
def test_the_catalogue_has_enough_answers_of_each_kind(function, least, correct):
    assert len(answers_for(function, correct)) >= least


def test_every_known_mistake_is_made_by_an_answer_of_the_catalogue():
    made = {(a.function, a.mistake) for a in ANSWERS if a.mistake}
    missing = [(m.function, m.key) for m in MISTAKES if (m.function, m.key) not in made]
    assert not missing, f"no catalogue answer makes these mistakes: {missing}"


@pytest.mark.parametrize("ans", [a for a in ANSWERS if a.function in TRUSTED],
                         ids=lambda a: f"{a.label} by the trusted check")
def test_the_trusted_check_gives_each_answer_its_verdict(release, context, ans):
    verdict = TRUSTED[ans.function](define(release, ans), context)
    text = verdict.render()
    assert verdict.passed == ans.correct, text
    if not ans.correct:
        assert verdict.diagnosis, "a rejection must say what is wrong"
        assert "def " not in text and "solutions" not in text
    if ans.mistake:
        assert verdict.mistake is not None and verdict.mistake.key == ans.mistake, \
            f"expected the mistake {ans.mistake}, got:\n{text}"
        assert verdict.mistake.description in text
    elif verdict.mistake is not None:
        pytest.fail(f"{ans.label} was named as {verdict.mistake.key}")


@pytest.mark.parametrize("ans", answers_for("firing_rate"),
                         ids=lambda a: f"{a.label} by the plain hidden asserts")
def test_the_plain_hidden_asserts_give_each_firing_rate_answer_its_verdict(master, release,
                                                                            ans):
    namespace = {"np": np, "firing_rate": define(release, ans)}
    hidden = cell(master, "ex2_hidden").source
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # the mean of no interval, in a wrong answer
            exec(compile(hidden, "<ex2_hidden>", "exec"), namespace)
        passed = True
    except Exception:  # an AssertionError, or the answer's own error
        passed = False
    assert passed == ans.correct


REJECTIONS = {
    ("simulate_lif", "no refractory period"): [
        "v stays at V_reset for 0 time step(s)", "is 12 steps of dt = 0.125 ms",
        "v first differs from the reference at t ="],
    ("simulate_lif", "the threshold in volts"): ["the reference spikes and yours does not"],
    ("simulate_lif", "the reset one step late"): ["should be reset to V_reset"],
    ("simulate_lif", "spike times as step numbers"): ["look like step numbers"],
    ("simulate_lif", "the stub left in"): ["still raises NotImplementedError"],
    ("lif_rate", "the period returned"): ["the analytic rate there is"],
    ("lif_rate", "no rheobase"): ["returned nan; the analytic rate there is 0 Hz"],
}


@pytest.mark.parametrize("function, key", sorted(REJECTIONS), ids=lambda v: v.replace(" ", "-"))
def test_a_rejection_says_what_differs_from_the_reference(release, context, function, key):
    text = TRUSTED[function](define(release, answer(function, key)), context).render()
    for phrase in REJECTIONS[function, key]:
        assert phrase in text, f"{phrase!r} missing from:\n{text}"


def test_a_near_tie_at_the_threshold_is_accepted_and_a_real_difference_is_not(context):
    """A trace that stops a rounding error below the threshold where the reference spikes is
    correct; one a whole millivolt below is not."""
    from solutions.W1D1_Tutorial2_Bonus.readings import Trace
    from solutions.W1D1_Tutorial2_Bonus.simulation import compare
    from solutions.W1D1_Tutorial2_Bonus.trials import SIMULATION_TRIALS

    trial = SIMULATION_TRIALS[0]
    ref = context.trace(trial)
    k = int(round(ref.spike_times[0] / trial.dt))
    for below, same in ((1e-9, True), (1.0, False)):
        v = ref.v.copy()
        v[k:] = trial.params["V_th"] - below  # stops below threshold, and stays there
        obs = Trace(trial.id, result_type="tuple", result_length=2, v=v,
                    spike_times=ref.spike_times[ref.spike_times < k * trial.dt])
        assert compare(obs, ref, trial).same is same


# --- the self-checks of the notebook -------------------------------------------------------------

@pytest.mark.parametrize("ans", ANSWERS, ids=lambda a: a.label + (
    f", and its self-check says {a.hint!r}" if a.hint else ", and its self-check passes"
    if a.correct else ", and its self-check cannot see it"))
def test_the_self_checks_give_the_expected_hint(release, helpers, ans):
    func = define(release, ans, helpers)
    try:
        helpers[SELF_CHECKS[ans.function]](func)
        message = None
    except AssertionError as exc:
        message = str(exc)
    if ans.hint is None:
        assert message is None, f"the self-check of {ans.label} failed: {message}"
    else:
        assert message is not None and ans.hint in message, message


def test_self_check_messages_give_no_solution_code(release, helpers):
    for ans in ANSWERS:
        if ans.hint:
            try:
                helpers[SELF_CHECKS[ans.function]](define(release, ans, helpers))
            except AssertionError as exc:
                assert not re.search(r"v\[i \+ 1\] = v\[i\] \+", str(exc)), str(exc)


def test_the_notebooks_reference_numbers_are_the_reference_models(helpers):
    """The self-checks' literal numbers come from solutions/ (one source of truth)."""
    current = np.zeros(1000)
    current[100:] = 0.5
    v, spikes = models.simulate_lif(current)
    assert np.allclose(spikes, helpers["STEP_SPIKE_TIMES"], atol=1e-9)
    assert np.isclose(v[101] - v[100], helpers["FIRST_STEP"])
    v_low, spikes_low = models.simulate_lif(np.full(2000, 0.25))
    assert not spikes_low and v_low[-1] == helpers["SUBTHRESHOLD_END"]
    assert helpers["N_REF"] == int(round(2.0 / 0.1))
    for current, rate in helpers["RATE_THEORY"].items():
        assert models.lif_rate(current) == pytest.approx(rate, rel=1e-12)
    for spike_times, rate, _ in helpers["RATE_CASES"]:
        assert models.firing_rate(spike_times) == pytest.approx(rate, rel=1e-12)
