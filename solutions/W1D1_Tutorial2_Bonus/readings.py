"""What one call of a student's function returned, read the way each exercise answers.

The grader's sandbox hands back a generic :class:`~autograder.execute.observe.Observation` (the
returned value as plain data). ``simulate_lif`` answers with a pair ``v, spike_times`` (a voltage
trace in mV and spike times in ms); ``lif_rate`` with one number (Hz).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograder.execute.observe import Observation, Probe, observe


@dataclass
class Trace:
    """What one call of ``simulate_lif`` produced."""

    trial_id: str
    error: str | None = None
    result_type: str = ""
    result_length: int | None = None
    v: np.ndarray | None = None
    spike_times: np.ndarray | None = None
    conversion_error: str | None = None


def trace_from(obs: Observation) -> Trace:
    """Read a generic observation as ``v, spike_times``."""
    trace = Trace(trial_id=obs.probe_id, error=obs.error)
    value = obs.value
    if obs.error or value is None:
        trace.result_type = value.type if value is not None else ""
        return trace
    trace.result_type = value.type
    trace.result_length = value.length if value.kind in ("tuple", "list") else None
    pair = value.array_pair(("v", "spike_times"))
    if pair is not None:
        trace.conversion_error = pair.problem
        trace.v, trace.spike_times = pair.first, pair.second
    return trace


@dataclass
class Rate:
    """What one call of ``lif_rate`` returned: a finite number, or why not."""

    probe_id: str
    value: float | None = None
    error: str | None = None
    problem: str | None = None  # returned something that is not one finite number


def rate_from(obs: Observation) -> Rate:
    rate = Rate(probe_id=obs.probe_id, error=obs.error)
    value = obs.value
    if obs.error or value is None:
        return rate
    array = value.as_array()
    if array is None:
        rate.problem = f"returned {value.type or 'nothing'}, not a number"
    elif array.size != 1:
        rate.problem = f"returned {array.size} numbers instead of one"
    elif not math.isfinite(float(array.reshape(-1)[0])):
        rate.problem = f"returned {float(array.reshape(-1)[0])}"
    else:
        rate.value = float(array.reshape(-1)[0])
    return rate


def observe_call(func: Callable | None, probe: Probe) -> Observation:
    """Call ``func`` directly with the same probe the sandbox would make (the master's in-kernel
    checks, the tests, the reference runs)."""
    return observe(func, probe)
