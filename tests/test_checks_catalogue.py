"""Every answer of the catalogue is classified right, and every known mistake is named."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from solutions.W1D1_Tutorial2.catalogue import (
    ANSWERS,
    Answer,
    answer,
    answers_for,
    function_source,
)
from solutions.W1D1_Tutorial2.mistakes import MISTAKES
from solutions.W1D1_Tutorial2.notebook_checks import assert_trial_passes, check_function
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS

FUNCTIONS = ("lif_neuron", "lif_neuron_inh")


def define(release_nb, ans: Answer):
    """The student's function, defined as their exercise cell would define it."""
    namespace = {"np": np, "stats": stats}
    exec(compile(function_source(release_nb, ans), f"<answer {ans.key}>", "exec"), namespace)
    return namespace[ans.function]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("correct", [True, False], ids=["correct answers", "mistakes"])
def test_catalogue_has_at_least_25_answers_per_kind(function, correct):
    assert len(answers_for(function, correct)) >= 25


def test_every_known_mistake_appears_in_the_catalogue():
    named = {(a.function, a.mistake) for a in ANSWERS if a.mistake}
    missing = [(m.function, m.key) for m in MISTAKES if (m.function, m.key) not in named]
    assert not missing, f"no catalogue answer exercises these mutants: {missing}"


PER_TRIAL = {
    "the reference form passes": ({"lif_neuron": "the reference form",
                                   "lif_neuron_inh": "the reference form"}, True),
    "a shifted input index fails": ({"lif_neuron": "the previous step's input",
                                     "lif_neuron_inh": "the previous step's inputs"}, False),
    "float32 arithmetic passes": ({"lif_neuron": "everything in float32",
                                   "lif_neuron_inh": "everything in float32"}, True),
    "hard-coded alpha fails": ({"lif_neuron": "hard-coded alpha",
                                "lif_neuron_inh": "hard-coded alpha"}, False),
}


@pytest.mark.parametrize("trial", [t for group in HIDDEN_TRIALS.values() for t in group],
                         ids=lambda t: f"on {t.id}")
@pytest.mark.parametrize("case", sorted(PER_TRIAL))
def test_hidden_checks_run_trial_by_trial_in_pytest(release_nb, reference_context, trial, case):
    keys, passes = PER_TRIAL[case]
    func = define(release_nb, answer(trial.function, keys[trial.function]))
    if passes:
        assert_trial_passes(func, trial, reference_context)
    else:
        with pytest.raises(AssertionError, match=re.escape(trial.id)):
            assert_trial_passes(func, trial, reference_context)


@pytest.mark.parametrize("ans", ANSWERS, ids=lambda a: a.label)
def test_answer_gets_the_expected_verdict(release_nb, reference_context, ans):
    verdict = check_function(ans.function, define(release_nb, ans), reference_context)
    assert verdict.passed == ans.correct, verdict.render()
    if not ans.correct:
        assert verdict.diagnosis, "a rejection must say what is wrong"
        assert "def " not in verdict.render() and "solutions" not in verdict.render()
    if ans.mistake:
        assert verdict.mistake is not None and verdict.mistake.key == ans.mistake, \
            f"expected the mistake {ans.mistake}, got:\n{verdict.render()}"
        assert verdict.mistake.description in verdict.render()


REJECTIONS = {
    ("lif_neuron", "missing alpha"): ["v first differs at step 1", "not scaled by alpha"],
    ("lif_neuron", "reset by subtraction"): ["reset to 0 at every spike",
                                             "v first differs at step"],
    ("lif_neuron", "fresh draws with a doubled rate"): ["spike count", "mean ISI", "ISI histogram",
                                                        "the reference gives about"],
    ("lif_neuron_inh", "the leak on v[i]"): ["uses v[i], which is still 0 when dv is computed"],
}


@pytest.mark.parametrize("function, key", sorted(REJECTIONS),
                         ids=lambda v: v.replace(" ", "-"))
def test_a_rejection_says_what_differs_from_the_reference(release_nb, reference_context, function,
                                                          key):
    text = check_function(function, define(release_nb, answer(function, key)),
                          reference_context).render()
    for phrase in REJECTIONS[function, key]:
        assert phrase in text, f"{phrase!r} missing from:\n{text}"
