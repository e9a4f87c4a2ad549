"""The hidden checks' verdict on ``simulate_lif``: the student's traces against the reference's.

The model is deterministic given its input current, so on every hidden trial the student's
voltage trace and spike times must agree with the reference's step by step, up to rounding
(``RTOL`` of the potentials' scale: float32 arithmetic, a rearranged formula or potentials kept
in volts and converted back are all correct). The only other difference accepted is a near-tie:
a step where one trace reaches the threshold and the other stops within rounding of it (a
``>`` instead of ``>=``, say), after which the two traces part.

A failed trial gets a sentence a student can act on: a problem with what was returned, a broken
property of the trace (the start at rest, the reset, the refractory period, the threshold), and
where the trace first departs from the reference. When the student's traces equal a known
mistake's on every trial, the mistake is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solutions.W1D1_Tutorial2_Bonus.context import ReferenceContext
from solutions.W1D1_Tutorial2_Bonus.mistakes import Mistake, mistakes_for
from solutions.W1D1_Tutorial2_Bonus.readings import Trace
from solutions.W1D1_Tutorial2_Bonus.trials import SIMULATION_TRIALS, CurrentTrial

#: Rounding a correct answer may show, relative to the scale of the values.
RTOL = 1e-5
FUNCTION = "simulate_lif"


@dataclass(frozen=True)
class Finding:
    """A failed property: a short key for grouping and a sentence for the student."""

    key: str
    message: str


def voltage_tolerance(trial: CurrentTrial) -> float:
    p = trial.params
    return RTOL * max(1.0, abs(p["V_rest"]), abs(p["V_th"]), abs(p["V_reset"]))


def time_tolerance(trial: CurrentTrial) -> float:
    return RTOL * max(1.0, trial.duration)


def _error(error: str) -> Finding:
    if error.startswith("NotImplementedError"):
        return Finding("not_implemented", f"{FUNCTION} still raises NotImplementedError: the "
                       "`raise` line of the exercise is still there.")
    if "ellipsis" in error or "Ellipsis" in error:
        return Finding("ellipsis", f"{FUNCTION} failed with {error}: a placeholder `...` is "
                       "still in the code.")
    return Finding("exception", f"{FUNCTION} raised {error}.")


def returned_values(trace: Trace, trial: CurrentTrial) -> Finding | None:
    """The call worked and returned ``v`` (one finite value per step) and spike times in ms."""
    if trace.error:
        return _error(trace.error)
    if trace.result_type not in ("tuple", "list") or trace.result_length != 2:
        return Finding("return_value", f"{FUNCTION} should return two values, "
                       f"`v, spike_times`; it returned {trace.result_type or 'nothing'}.")
    if trace.conversion_error or trace.v is None or trace.spike_times is None:
        return Finding("return_value", f"{FUNCTION} returned values that are not numbers: "
                       f"{trace.conversion_error}.")
    n = trial.n_steps
    if trace.v.shape != (n,):
        return Finding("v_shape", f"v should hold one value per time step, shape ({n},) for an "
                       f"input current of {n} values; it has shape {trace.v.shape}.")
    if not np.all(np.isfinite(trace.v)):
        return Finding("v_not_finite", "v contains NaN or infinite values: the potential ran "
                       "away.")
    times = trace.spike_times
    if times.ndim != 1:
        return Finding("spike_times", "spike_times should be a flat list of spike times.")
    if times.size and np.all(times == np.round(times)) and times.max() > trial.duration:
        return Finding("spike_steps", f"spike_times should hold times in ms (step x dt); they "
                       f"look like step numbers (up to {times.max():g} in a trial of "
                       f"{trial.duration:g} ms).")
    if times.size and (times.min() <= 0 or times.max() > trial.duration + time_tolerance(trial)
                       or np.any(np.diff(times) <= 0)):
        return Finding("spike_times", "spike_times should be increasing times (ms) after 0 and "
                       "within the simulated time.")
    return None


def spike_steps(trace: Trace, trial: CurrentTrial) -> np.ndarray:
    return np.round(trace.spike_times / trial.dt).astype(int)


def _clamp_length(v: np.ndarray, k: int, v_reset: float, tol: float) -> int:
    """How many steps after step k the trace stays at ``v_reset``."""
    after = np.abs(v[k + 1:] - v_reset) > tol
    return int(np.argmax(after)) if after.any() else v.size - k - 1


def properties(trace: Trace, trial: CurrentTrial) -> Finding | None:
    """The start at rest, spikes on the time grid, the reset, the refractory period and the
    threshold: each broken one makes a precise sentence."""
    p, v, tol = trial.params, trace.v, voltage_tolerance(trial)
    dt, n_ref = trial.dt, int(round(p["t_ref"] / trial.dt))
    if abs(v[0] - p["V_rest"]) > tol:
        return Finding("initial_v", f"v[0] should be V_rest = {p['V_rest']:g} mV (the neuron "
                       f"starts at rest); it is {v[0]:.6g} mV.")
    steps = spike_steps(trace, trial)
    off_grid = np.abs(steps * dt - trace.spike_times) > time_tolerance(trial)
    if off_grid.any():
        t = trace.spike_times[off_grid][0]
        return Finding("off_grid", f"the spike time {t:.6g} ms is not on the time grid: a spike "
                       f"at step i happens at t = i dt (dt = {dt:g} ms).")
    steps = steps[steps < v.size]
    for k in steps:
        if abs(v[k] - p["V_reset"]) > tol:
            return Finding("reset", f"at the spike at t = {k * dt:g} ms, v is {v[k]:.6g} mV; it "
                           f"should be reset to V_reset = {p['V_reset']:g} mV at that step.")
    for k in steps:
        clamped = _clamp_length(v, k, p["V_reset"], tol)
        if clamped > n_ref or clamped < n_ref and k + clamped + 1 < v.size:
            return Finding("refractory", f"after the spike at t = {k * dt:g} ms, v stays at "
                           f"V_reset for {clamped} time step(s); the refractory period "
                           f"t_ref = {p['t_ref']:g} ms is {n_ref} steps of dt = {dt:g} ms.")
    quiet = np.ones(v.size, dtype=bool)
    quiet[steps] = False
    above = np.flatnonzero(quiet & (v >= p["V_th"] + tol))
    if above.size:
        k = int(above[0])
        return Finding("threshold", f"v is {v[k]:.6g} mV at t = {k * dt:g} ms without a spike: "
                       f"the neuron should spike, and reset, whenever v reaches "
                       f"V_th = {p['V_th']:g} mV.")
    return None


@dataclass(frozen=True)
class Comparison:
    """A student's trace against the reference's on one trial."""

    same: bool
    step: int | None = None
    sentence: str | None = None


def _first_spike_difference(obs: Trace, ref: Trace, trial: CurrentTrial
                            ) -> tuple[float, bool] | None:
    """Where the spike times first differ: the earlier of the two differing times, and whether
    it is the student's (True) or the reference's; None when they agree up to rounding."""
    a, b = obs.spike_times, ref.spike_times
    common = min(a.size, b.size)
    apart = np.flatnonzero(np.abs(a[:common] - b[:common]) > time_tolerance(trial))
    if apart.size == 0 and a.size == b.size:
        return None
    j = int(apart[0]) if apart.size else common
    times = [(float(a[j]), True)] if j < a.size else []
    times += [(float(b[j]), False)] if j < b.size else []
    return min(times)


def compare(obs: Trace, ref: Trace, trial: CurrentTrial) -> Comparison:
    """Step by step, up to rounding; a spike only one of the two fired is accepted where the
    other stopped within rounding of the threshold (a near-tie), after which the traces part."""
    if obs.v is None or ref.v is None or obs.v.shape != ref.v.shape \
            or obs.spike_times is None or ref.spike_times is None or obs.spike_times.ndim != 1:
        return Comparison(False)
    tol, dt, n = voltage_tolerance(trial), trial.dt, ref.v.size
    differs = np.flatnonzero(np.abs(obs.v - ref.v) > tol)
    k_v = int(differs[0]) if differs.size else None
    spike = _first_spike_difference(obs, ref, trial)
    if spike is None and k_v is None:
        return Comparison(True)
    if spike is not None:
        t, yours = spike
        k = min(int(round(t / dt)), n - 1)
        if k_v is None or k <= k_v:
            silent = ref.v[k] if yours else obs.v[k]
            if abs(silent - trial.params["V_th"]) <= tol:
                return Comparison(True, k)
            who = "yours spikes and the reference does not" if yours else \
                "the reference spikes and yours does not"
            return Comparison(False, k, f"At t = {t:g} ms {who} (your v at that step: "
                                        f"{obs.v[k]:.6g} mV, the reference's: "
                                        f"{ref.v[k]:.6g} mV).")
    return Comparison(False, k_v, f"v first differs from the reference at t = {k_v * dt:g} ms "
                                  f"(step {k_v}): yours is {obs.v[k_v]:.6g} mV, the "
                                  f"reference's {ref.v[k_v]:.6g} mV.")


@dataclass
class TrialResult:
    trial: CurrentTrial
    passed: bool
    finding: Finding | None = None
    divergence: str | None = None
    spikes: int | None = None
    first_spike: float | None = None

    @property
    def message(self) -> str:
        lead = f"{self.trial.id} ({self.trial.describe()}): "
        if self.passed:
            return lead + "agrees with the reference."
        parts = [self.finding.message] if self.finding else []
        if self.divergence:
            parts.append(self.divergence)
        return lead + " ".join(parts or ["differs from the reference."])


def judge_trial(obs: Trace, trial: CurrentTrial, context: ReferenceContext) -> TrialResult:
    finding = returned_values(obs, trial)
    if finding:
        return TrialResult(trial, False, finding)
    spikes = int(obs.spike_times.size)
    first = float(obs.spike_times[0]) if spikes else None
    comparison = compare(obs, context.trace(trial), trial)
    if comparison.same:
        return TrialResult(trial, True, spikes=spikes, first_spike=first)
    return TrialResult(trial, False, properties(obs, trial), comparison.sentence, spikes, first)


@dataclass
class SimulationVerdict:
    """The hidden checks' verdict on ``simulate_lif``."""

    trials: list[TrialResult]
    mistake: Mistake | None = None
    reference_spikes: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.trials)

    @property
    def finding_key(self) -> str | None:
        return next((t.finding.key for t in self.trials if t.finding), None)

    @property
    def diagnosis(self) -> str | None:
        """The mistake in plain words, or the first problem found."""
        if self.passed:
            return None
        if self.mistake is not None:
            return f"This matches a known mistake: {self.mistake.description}."
        failed = next(t for t in self.trials if not t.passed)
        return failed.finding.message if failed.finding else failed.divergence

    def render(self) -> str:
        total = len(self.trials)
        if self.passed:
            return (f"{FUNCTION} passes the hidden checks: on all {total} trials (other time "
                    "steps, membrane constants, potentials and refractory periods, with a "
                    "current that changes at every step) its voltage trace and spike times "
                    "agree with the reference.")
        agree = sum(t.passed for t in self.trials)
        lines = [f"{FUNCTION} fails the hidden checks: {agree} of {total} trials agree with the "
                 "reference."]
        if self.diagnosis:
            lines.append(self.diagnosis)
        lines.extend(f"- {t.message}" for t in self.trials if not t.passed)
        return "\n".join(lines)

    def summary(self) -> dict:
        """Plain data for results files and the class report."""
        return {"function": FUNCTION, "passed": self.passed,
                "mistake": self.mistake.key if self.mistake else None,
                "finding": self.finding_key, "diagnosis": self.diagnosis,
                "trials": [{"trial": t.trial.id, "passed": t.passed, "spikes": t.spikes,
                            "first_spike": t.first_spike,
                            "reference_spikes": self.reference_spikes.get(t.trial.id)}
                           for t in self.trials]}


def match_mistake(observed: dict[str, Trace], context: ReferenceContext) -> Mistake | None:
    """The known mistake whose traces equal the student's on every trial, if any."""
    for mistake in mistakes_for(FUNCTION):
        if all(compare(observed[t.id], context.trace(t, mistake), t).same
               for t in SIMULATION_TRIALS):
            return mistake
    return None


def judge_simulation(observed: dict[str, Trace], context: ReferenceContext) -> SimulationVerdict:
    """Judge every hidden trial (``observed``: the student's traces by trial id)."""
    results = []
    for trial in SIMULATION_TRIALS:
        obs = observed.get(trial.id) or Trace(trial.id, error="the trial did not run")
        results.append(judge_trial(obs, trial, context))
    verdict = SimulationVerdict(results, reference_spikes={
        t.id: int(context.trace(t).spike_times.size) for t in SIMULATION_TRIALS})
    if not verdict.passed and all(t.id in observed for t in SIMULATION_TRIALS):
        verdict.mistake = match_mistake(observed, context)
    return verdict
