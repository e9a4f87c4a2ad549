"""What one call of an exercise function returned, read as the tutorial's ``v, spike_times``.

The grader's sandbox hands back a generic :class:`~autograder.execute.observe.Observation` (the
returned value as plain data). Here it is read the way this tutorial's functions are meant to
answer: a pair of a voltage trace and a list of spike times, both as float64 arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograder.execute.observe import Observation, observe
from solutions.W1D1_Tutorial2.trials import Trial


@dataclass
class SpikeTrain:
    """What one call of the student's function produced."""

    trial_id: str
    error: str | None = None
    result_type: str = ""
    result_length: int | None = None
    v: np.ndarray | None = None
    spike_times: np.ndarray | None = None
    #: The dtype of the returned v (lower precision than float64 is allowed, up to rounding).
    v_dtype: str | None = None
    conversion_error: str | None = None
    rng_state: str = ""
    seconds: float = 0.0


def from_observation(obs: Observation, trial_id: str | None = None) -> SpikeTrain:
    """Read a generic observation as ``v, spike_times``."""
    train = SpikeTrain(trial_id=trial_id or obs.probe_id, error=obs.error,
                       rng_state=obs.rng_state, seconds=obs.seconds)
    value = obs.value
    if obs.error or value is None:
        train.result_type = value.type if value is not None else ""
        return train
    train.result_type = value.type
    train.result_length = value.length if value.kind in ("tuple", "list") else None
    pair = value.array_pair(("v", "spike_times"))
    if pair is not None:
        train.conversion_error = pair.problem
        train.v, train.spike_times, train.v_dtype = pair.first, pair.second, pair.first_dtype
    return train


def observe_trial(func: Callable | None, trial: Trial) -> SpikeTrain:
    """Call ``func`` on a trial directly (the master's in-kernel checks, the tests, the
    reference runs) with the same probe the sandbox would make."""
    return from_observation(observe(func, trial.probe()), trial.id)
