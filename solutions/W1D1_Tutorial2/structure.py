"""Exact properties every correct spike train has, whatever random stream produced it.

These hold for any correct answer: the reference, a rearranged formula, a student who draws
fresh Poisson samples, arithmetic in float32 or rounded to a few millionths. They turn most
mistakes into a precise sentence ("v is not reset to 0 after the spike at step 57") before any
statistics are needed.

"Exact" means up to rounding: a value may be off by ``RTOL`` times the scale of the values it was
computed from (at least 1, the threshold), about what float32 arithmetic loses in a few hundred
steps. Every mistake the checks know changes the values by orders of magnitude more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain
from solutions.W1D1_Tutorial2.trials import Trial

#: Rounding a correct answer may show, relative to the scale of the values (at least 1).
RTOL = 1e-5


def tolerance(*values) -> np.ndarray:
    """The rounding slack of values computed from ``values``: RTOL times their scale."""
    scale = np.ones_like(np.asarray(values[0], dtype=float))
    for value in values:
        scale = np.maximum(scale, np.abs(value))
    return RTOL * scale


@dataclass(frozen=True)
class Finding:
    """A failed property: a short key for grouping and a sentence for the student."""

    key: str
    message: str


def returned_values(obs: SpikeTrain, trial: Trial, *, require_tuple: bool = False
                    ) -> Finding | None:
    """The call worked and returned `v` (one finite value per step) and valid spike times."""
    name = trial.function
    if obs.error:
        if obs.error.startswith("NotImplementedError"):
            return Finding("not_implemented", f"{name} still raises NotImplementedError: the "
                           "`raise` line of the exercise is still there.")
        if obs.error.startswith("TypeError") and "ellipsis" in obs.error:
            return Finding("ellipsis", f"{name} failed with {obs.error}: `dv = ...` is still "
                           "the placeholder `...`.")
        return Finding("exception", f"{name}{_call(trial)} raised {obs.error}.")
    kind_ok = obs.result_type == "tuple" if require_tuple else obs.result_type in ("tuple", "list")
    if not kind_ok or obs.result_length != 2:
        return Finding("return_value", f"{name} should return two values, `v, spike_times`; it "
                       f"returned {obs.result_type or 'nothing'}.")
    if obs.conversion_error or obs.v is None or obs.spike_times is None:
        return Finding("return_value", f"{name} returned values that are not numbers: "
                       f"{obs.conversion_error}.")
    if obs.v.shape != (trial.n_steps,):
        return Finding("v_shape", f"v should hold one value per time step, shape "
                       f"({trial.n_steps},) for n_steps={trial.n_steps}; it has shape "
                       f"{obs.v.shape}.")
    if not np.all(np.isfinite(obs.v)):
        return Finding("v_not_finite", "v contains NaN or infinite values.")
    times = obs.spike_times
    if times.ndim != 1 or not np.all(times == np.round(times)):
        return Finding("spike_times", "spike_times should be a flat list of time steps "
                       "(whole numbers).")
    if times.size and (times.min() < 1 or times.max() > trial.n_steps - 1
                       or np.any(np.diff(times) <= 0)):
        return Finding("spike_times", "spike_times should be increasing time steps between 1 "
                       "and n_steps - 1.")
    return None


def _call(trial: Trial) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in trial.kwargs.items()) + ")"


def reset_after_spikes(obs: SpikeTrain, trial: Trial) -> Finding | None:
    """v is exactly 0 at every spike (the reset) and never above 1 otherwise (the threshold)."""
    v = obs.v
    spikes = obs.spike_times.astype(int)
    if v[0] != 0:
        return Finding("initial_v", f"v[0] should be 0 (the neuron starts at rest); it is "
                       f"{v[0]:.4g}.")
    not_reset = spikes[np.abs(v[spikes]) > RTOL]
    if not_reset.size:
        step = int(not_reset[0])
        return Finding("reset", f"v should be reset to 0 at every spike; at the spike at time "
                       f"step {step} it is {v[step]:.4g}.")
    quiet = np.ones(v.size, dtype=bool)
    quiet[spikes] = False
    above = np.flatnonzero(quiet & (v > 1 + tolerance(v)))
    if above.size:
        step = int(above[0])
        return Finding("threshold", f"v is {v[step]:.4g} at time step {step} without a spike: "
                       "the neuron should spike (and reset) whenever v goes above 1.")
    return None


def input_in_whole_spikes(obs: SpikeTrain, trial: Trial) -> Finding | None:
    """Between spikes, the input term of each update is alpha times a whole number of spikes.

    For `lif_neuron` the update is v[i] - v[i-1] = alpha * k with k >= 0; for `lif_neuron_inh`
    it is v[i] - (1 - beta) v[i-1] = alpha * k with k any integer (excitatory minus inhibitory).
    """
    v = obs.v
    alpha = float(trial.kwargs.get("alpha", 0.01))
    beta = float(trial.kwargs.get("beta", 0.0))
    steps = np.arange(1, v.size)
    quiet = np.ones(v.size, dtype=bool)
    quiet[obs.spike_times.astype(int)] = False
    steps = steps[quiet[1:]]
    if steps.size == 0:
        return None
    change = v[steps] - (1 - beta) * v[steps - 1]
    counts = np.round(change / alpha)
    off = np.abs(change - alpha * counts) > tolerance(v[steps], v[steps - 1])
    if trial.function == "lif_neuron":
        off |= counts < 0
    bad = steps[off]
    if bad.size:
        i = int(bad[0])
        if trial.function == "lif_neuron":
            return Finding("input_term", f"At time step {i} your v changed by "
                           f"{v[i] - v[i - 1]:.4g}. Each input spike should raise v by exactly "
                           f"alpha ({alpha:g}), so a step can only change v by a whole number of "
                           f"times {alpha:g}.")
        return Finding("input_term", f"At time step {i}, apart from the leak, your v changed by "
                       f"{v[i] - (1 - beta) * v[i - 1]:.4g}. Each excitatory input spike should "
                       f"raise v by alpha ({alpha:g}) and each inhibitory one lower it by alpha, "
                       f"so this can only be a whole number of times {alpha:g}.")
    return None


def structure_finding(obs: SpikeTrain, trial: Trial) -> Finding | None:
    """The first exact property a train with valid returned values breaks, if any."""
    return reset_after_spikes(obs, trial) or input_in_whole_spikes(obs, trial)


def structure_key(obs: SpikeTrain, trial: Trial) -> str | None:
    """The key of :func:`structure_finding`: two trains with the same key fail alike."""
    finding = structure_finding(obs, trial)
    return finding.key if finding else None
