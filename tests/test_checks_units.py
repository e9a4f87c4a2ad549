"""The pieces of the hidden checks and of the sandbox protocol, one behaviour at a time."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from autograder.execute.job import clean_output
from autograder.execute.observe import Observation, decode_array, encode_array, observe
from autograder.execute.protocol import MessageBuffer, ProtocolError, encode
from solutions.W1D1_Tutorial2 import models
from solutions.W1D1_Tutorial2.calibration import load_calibration, simulate_spike_trains
from solutions.W1D1_Tutorial2.catalogue import ANSWERS
from solutions.W1D1_Tutorial2.public import judge_public
from solutions.W1D1_Tutorial2.spikestats import compare_statistics
from solutions.W1D1_Tutorial2.spiketrain import from_observation, observe_trial
from solutions.W1D1_Tutorial2.trials import (
    HIDDEN_TRIALS,
    PUBLIC_TRIALS,
    Trial,
    seeded_trial,
    trials_digest,
)
from solutions.W1D1_Tutorial2.verdict import judge_trial
from tests.helpers import REPO
from tests.selfchecks import define, self_check_verdict

TRIAL = HIDDEN_TRIALS["lif_neuron"][0]


def test_observation_survives_a_round_trip_through_json():
    obs = observe(models.lif_neuron, TRIAL.probe())
    again = Observation.from_dict(json.loads(json.dumps(obs.to_dict())))
    first, second = from_observation(obs), from_observation(again)
    assert np.array_equal(first.v, second.v)
    assert np.array_equal(first.spike_times, second.spike_times)
    assert again.rng_state == obs.rng_state and second.result_type == "tuple"


@pytest.mark.parametrize("record, problem", [
    ({"shape": [2], "base64": "AAAAAAAAAAA="}, "does not match"),
    ({"shape": [10**7], "base64": ""}, "invalid shape"),
    ({"shape": ["x"], "base64": ""}, "invalid shape"),
    ({"shape": [1], "base64": "AAAAAAAAAAA=", "dtype": "<f4"}, "not an array record"),
    ("a string", "not an array record"),
], ids=["too few bytes", "a huge shape", "a bad shape", "an unknown field", "not a record"])
def test_decoding_refuses_arrays_that_are_not_what_they_claim(record, problem):
    with pytest.raises(ValueError, match=problem):
        decode_array(record)


def test_arrays_are_never_unpickled():
    assert set(encode_array(np.arange(3.0))) == {"shape", "base64"}
    assert np.array_equal(decode_array(encode_array(np.arange(3.0))), [0.0, 1.0, 2.0])


def test_an_object_with_rigged_equality_becomes_plain_numbers():
    class AlwaysEqual(list):
        def __eq__(self, other):
            return True

    def rigged(n_steps=1000, alpha=0.01, rate=10):
        return np.zeros(n_steps), AlwaysEqual([])

    train = observe_trial(rigged, TRIAL)
    assert type(train.spike_times) is np.ndarray and train.spike_times.size == 0


@pytest.mark.parametrize("func, expected", [
    (None, "NameError"),
    (lambda **kw: (_ for _ in ()).throw(NotImplementedError("x")), "NotImplementedError"),
    (lambda **kw: np.zeros(3) + ..., "TypeError"),
], ids=["a missing function", "the stub", "the placeholder"])
def test_failures_of_the_call_are_recorded_not_raised(func, expected):
    assert observe_trial(func, TRIAL).error.startswith(expected)


def test_values_that_are_not_numbers_are_recorded():
    train = observe_trial(lambda **kw: (["a", "b"], []), TRIAL)
    assert "could not be read as numbers" in train.conversion_error


def test_nothing_the_student_prints_or_warns_escapes(capfd):
    def noisy(**kwargs):
        import os
        import sys

        print("to stdout")
        print("to stderr", file=sys.stderr)
        os.write(2, b"straight to fd 2\n")
        warnings.warn("a warning", stacklevel=1)
        return models.lif_neuron(**kwargs)

    obs = observe_trial(noisy, TRIAL)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert obs.error is None


def test_the_same_seed_leaves_the_same_random_state():
    first = observe_trial(models.lif_neuron, TRIAL)
    second = observe_trial(models.lif_neuron, TRIAL)
    other = observe_trial(models.lif_neuron, HIDDEN_TRIALS["lif_neuron"][1])
    assert first.rng_state == second.rng_state != other.rng_state


@pytest.mark.parametrize("function", sorted(HIDDEN_TRIALS))
def test_each_exercise_has_its_own_calibration_matching_its_trials(function):
    data = load_calibration(function)
    assert data["function"] == function and data["trials_digest"] == trials_digest(function)
    assert set(data["trials"]) == {t.id for t in HIDDEN_TRIALS[function]}
    assert data["runs"] >= 2000


def test_planning_a_batch_loads_neither_the_reference_nor_scipy_stats():
    """Half a second of every grading run's start: the plan skips a trial's whole call when the
    first call left the reference's random state, which the stored runs hold
    (tests/test_stored_runs.py checks them)."""
    code = textwrap.dedent("""
        import sys
        from solutions.W1D1_Tutorial2 import CHECKS
        for check in CHECKS.checks.values():
            check.prepare()
            probes = check.probes()
            assert probes and all(p.function for p in probes)
        skippable = [p for c in CHECKS.checks.values() for p in c.probes() if p.skip_if_state]
        assert skippable and all(p.skip_if_state[1] for p in skippable)
        loaded = sorted(m for m in ("scipy.stats", "solutions.W1D1_Tutorial2.models")
                        if m in sys.modules)
        print(",".join(loaded) or "none")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert out.strip() == "none"


@pytest.mark.parametrize("trial", [g[0] for g in HIDDEN_TRIALS.values()] +
                         [HIDDEN_TRIALS["lif_neuron_inh"][1]], ids=lambda t: t.id)
def test_the_reference_on_fresh_random_streams_passes_the_statistical_tier(trial,
                                                                          reference_context):
    for seed in range(40):
        shifted = trial.__class__(trial.id, trial.function, 900_000 + seed, trial.kwargs)
        func = getattr(models, trial.function)
        first = observe_trial(func, seeded_trial(shifted))
        verdict = judge_trial(first, observe_trial(func, shifted), trial, reference_context)
        assert verdict.passed and verdict.tier == "statistical", verdict.message


def test_new_simulations_fall_inside_the_calibrated_ranges():
    trial = HIDDEN_TRIALS["lif_neuron_inh"][3]
    record = load_calibration(trial.function)["trials"][trial.id]
    for train in simulate_spike_trains(trial, 25, seed_base=77_000_000):
        assert all(r.passed for r in compare_statistics(train, record, 16))


@pytest.mark.parametrize("ans", ANSWERS, ids=lambda a: a.label.replace(" is ", " & public "))
def test_trusted_public_checks_agree_with_the_notebooks_self_check(release_nb, ans):
    """Same verdict and the same words: the mirror's message is what the student reads in the
    feedback, the notebook's what they read in the notebook."""
    func = define(release_nb, ans)
    notebook = self_check_verdict(release_nb, ans.function, func)
    observations = {t.id: observe_trial(func, t) for t in PUBLIC_TRIALS[ans.function]}
    finding = judge_public(ans.function, observations)
    assert (finding.message if finding else None) == notebook


def test_message_buffer_reassembles_split_frames_and_refuses_garbage():
    frames = encode({"t": "start", "i": 3}) + encode({"t": "end"})
    buffer = MessageBuffer(1024)
    assert buffer.feed(frames[:5]) == []
    assert buffer.feed(frames[5:]) == [{"t": "start", "i": 3}, {"t": "end"}]
    with pytest.raises(ProtocolError):
        MessageBuffer(1024).feed(struct.pack(">I", 10**6) + b"x")
    with pytest.raises(ProtocolError):
        MessageBuffer(1024).feed(struct.pack(">I", 3) + b"{{{")


@pytest.mark.parametrize("output, kept", [
    ({"output_type": "stream", "name": "stderr", "text": "x"}, True),
    ({"output_type": "stream", "name": "/etc/passwd", "text": "x"}, False),
    ({"output_type": "display_data", "data": {"text/plain": "1"}, "metadata": {}}, True),
    ({"output_type": "update_display_data", "data": {}}, False),
    ({"output_type": "error", "ename": "E", "evalue": "v", "traceback": "not a list"}, True),
    ("not a dict", False),
], ids=["a stderr stream", "an unknown stream", "display data", "an unknown type",
        "an error with a bad traceback", "a string"])
def test_outputs_from_the_sandbox_are_rebuilt_or_dropped(output, kept):
    cleaned = clean_output(output)
    assert (cleaned is not None) == kept
    if cleaned and cleaned["output_type"] == "error":
        assert cleaned["traceback"] == []


def test_trials_avoid_the_defaults_and_threshold_ties():
    for trial in HIDDEN_TRIALS["lif_neuron"]:
        alpha = trial.kwargs["alpha"]
        assert alpha != 0.01 and min(abs(alpha * k - 1) for k in range(1, 400)) > 1e-6
    rates = {(t.kwargs["exc_rate"], t.kwargs["inh_rate"]) for t in HIDDEN_TRIALS["lif_neuron_inh"]}
    assert any(e == i for e, i in rates) and any(e > i for e, i in rates) \
        and any(e < i for e, i in rates)
    assert isinstance(PUBLIC_TRIALS["lif_neuron"][0], Trial)
