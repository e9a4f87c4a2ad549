"""The hidden checks' tiers: the random stream decides, rounding is not a mistake, and every
known mistake is told apart from the others."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from solutions.W1D1_Tutorial2 import models
from solutions.W1D1_Tutorial2.calibration import reference_function
from solutions.W1D1_Tutorial2.mistakes import build_mutant, mistakes_for
from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain, observe_trial
from solutions.W1D1_Tutorial2.structure import input_in_whole_spikes, reset_after_spikes
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS, seeded_trials
from solutions.W1D1_Tutorial2.verdict import compare_seeded

FUNCTIONS = ("lif_neuron", "lif_neuron_inh")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_seeded_trials_tell_every_known_mistake_apart(function):
    """Two mutants (or a mutant and the reference) that left identical traces on every seeded
    trial could not be named apart: there must be none."""
    runs = {"the reference": reference_function(function)}
    runs.update({m.key: build_mutant(m) for m in mistakes_for(function)})
    traces = {name: [observe_trial(f, t) for t in seeded_trials(function)]
              for name, f in runs.items()}
    alike = [(a, b) for a, b in itertools.combinations(traces, 2)
             if all(x.rng_state == y.rng_state and x.v is not None and y.v is not None
                    and compare_seeded(x, y).same
                    for x, y in zip(traces[a], traces[b], strict=True))]
    assert not alike, f"indistinguishable on the seeded trials: {alike}"


def fresh_stream(function: str, seed: int) -> SpikeTrain:
    """The reference on another random stream (a student's fresh draws)."""
    trial = HIDDEN_TRIALS[function][0]
    np.random.seed(seed)
    v, spikes = getattr(models, function)(**trial.kwargs)
    return SpikeTrain(trial.id, result_type="tuple", result_length=2,
                      v=np.asarray(v, float), spike_times=np.asarray(spikes, float))


ROUNDINGS = {
    "float32": lambda v: v.astype(np.float32).astype(float),
    "8 decimals": lambda v: np.round(v, 8),
    "7 significant digits": lambda v: np.array([float(f"{x:.7g}") for x in v]),
    "fsum-style exact sums": lambda v: np.array([math.fsum([x]) for x in v]),
}


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("rounding", sorted(ROUNDINGS),
                         ids=lambda r: f"a trace rounded to {r} keeps the exact properties")
def test_the_exact_properties_allow_rounding(function, rounding):
    train = fresh_stream(function, 31)
    train.v = ROUNDINGS[rounding](train.v)
    trial = HIDDEN_TRIALS[function][0]
    assert reset_after_spikes(train, trial) is None
    assert input_in_whole_spikes(train, trial) is None


@pytest.mark.parametrize("function", FUNCTIONS)
def test_rounding_to_a_thousandth_is_a_mistake(function):
    train = fresh_stream(function, 31)
    train.v = np.round(train.v, 3)
    finding = input_in_whole_spikes(train, HIDDEN_TRIALS[function][0])
    assert finding is not None and finding.key == "input_term"


def trace(values, spikes) -> SpikeTrain:
    return SpikeTrain("t", result_type="tuple", result_length=2, v=np.asarray(values, float),
                      spike_times=np.asarray(spikes, float))


@pytest.mark.parametrize("yours, theirs, same, near_tie", [
    (trace([0, 0.5, 0.0], [2]), trace([0, 0.5, 0.0], [2]), True, False),
    (trace([0, 0.5 + 3e-6, 0.0], [2]), trace([0, 0.5, 0.0], [2]), True, False),
    (trace([0, 0.5, 1 - 2e-6], []), trace([0, 0.5, 0.0], [2]), True, True),
    (trace([0, 0.5, 0.9], []), trace([0, 0.5, 0.0], [2]), False, False),
    (trace([0, 0.51, 0.0], [2]), trace([0, 0.5, 0.0], [2]), False, False),
    (trace([0, 2e-5 * 40, 0], []), trace([0, 0.0, 0], []), False, False),
], ids=["identical traces are the same",
        "rounding well under a hundred-thousandth is the same",
        "a spike flipped at a true near-tie with the threshold is the same",
        "a spike flipped far from the threshold differs",
        "a value off by a hundredth differs",
        "a value off by 8e-4 differs"])
def test_the_seeded_comparison_allows_rounding_and_near_ties_only(yours, theirs, same,
                                                                  near_tie):
    comparison = compare_seeded(yours, theirs)
    assert comparison.same == same and comparison.near_tie == near_tie
    if not same:
        assert comparison.step is not None and "first differs at step" in comparison.sentence()
