"""The hidden checks' verdict: does a student's function implement the tutorial's model?

Per trial, in order:

1. the call must work and return ``v`` and valid spike times;
2. *seeded tier*: if the student's call left NumPy's global random state exactly where the
   reference's call did, they drew the same inputs; identical spikes and ``v`` pass at once;
3. otherwise (fresh draws, another generator, or a tie at the threshold) every correct model still
   has the exact properties of :mod:`autograder.checks.structure`;
4. *statistical tier*: its spike statistics must lie within the reference's calibrated spread.

A failed exercise is then matched against the known mistakes to name what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from solutions.W1D1_Tutorial2.calibration import n_statistical_tests
from solutions.W1D1_Tutorial2.context import ReferenceContext
from solutions.W1D1_Tutorial2.mistakes import MISTAKES, Mistake
from solutions.W1D1_Tutorial2.spikestats import (
    StatisticResult,
    compare_statistics,
    critical_z,
    describe,
    raw_statistics,
    transformed_statistics,
)
from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain
from solutions.W1D1_Tutorial2.structure import (
    VALUE_TOLERANCE,
    Finding,
    input_in_whole_spikes,
    reset_after_spikes,
    returned_values,
)
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS, Trial


@dataclass
class TrialVerdict:
    """How one trial went."""

    trial: Trial
    passed: bool
    tier: str  # "seeded", "statistical" or "failed"
    finding: Finding | None = None
    statistics: list[StatisticResult] = field(default_factory=list)
    divergence: str | None = None
    detail: str = ""
    raw: dict | None = None  # spike count, ISI mean and CV of the student's train

    @property
    def message(self) -> str:
        if self.passed:
            return f"{self.trial.id}: matches the reference ({self.tier})."
        parts = [self.finding.message] if self.finding else []
        if self.detail:
            parts.append(self.detail)
        if self.divergence:
            parts.append(self.divergence)
        return f"{self.trial.id}: " + " ".join(parts)


@dataclass
class ExerciseVerdict:
    """The hidden checks' verdict on one exercise function."""

    function: str
    trials: list[TrialVerdict]
    mistake: Mistake | None = None
    mistake_exact: bool = False

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.trials)

    @property
    def finding_key(self) -> str | None:
        for t in self.trials:
            if t.finding:
                return t.finding.key
        return None if self.passed else "statistics"

    @property
    def diagnosis(self) -> str | None:
        """The plain-words name of the mistake, or the first problem found."""
        if self.passed:
            return None
        if self.mistake is not None:
            lead = "This matches a known mistake" if self.mistake_exact else \
                "This looks like a known mistake"
            return f"{lead}: {self.mistake.description}."
        failed = next(t for t in self.trials if not t.passed)
        return failed.finding.message if failed.finding else failed.detail

    def render(self) -> str:
        n_pass = sum(t.passed for t in self.trials)
        total = len(self.trials)
        if self.passed:
            tiers = sorted({t.tier for t in self.trials})
            how = " and ".join(tiers)
            return (f"{self.function} passes the hidden checks: all {total} trials agree with "
                    f"the reference ({how}).")
        lines = [f"{self.function} fails the hidden checks ({n_pass} of {total} trials passed)."]
        if self.diagnosis:
            lines.append(self.diagnosis)
        lines.extend(f"- {t.message}" for t in self.trials if not t.passed)
        return "\n".join(lines)

    def summary(self) -> dict:
        """Plain data for results files and reports."""
        return {
            "function": self.function,
            "passed": self.passed,
            "trials_passed": sum(t.passed for t in self.trials),
            "trials": len(self.trials),
            "tiers": [t.tier for t in self.trials],
            "mistake": self.mistake.key if self.mistake else None,
            "finding": self.finding_key,
            "diagnosis": self.diagnosis,
            "trial_statistics": [{"trial": t.trial.id, "tier": t.tier, "passed": t.passed,
                                  **(t.raw or {})} for t in self.trials],
        }


def same_spike_train(obs: SpikeTrain, ref: SpikeTrain) -> bool:
    """Same spike times and the same voltage trace, up to rounding."""
    if obs.v is None or ref.v is None or obs.spike_times is None or ref.spike_times is None:
        return False
    return (obs.v.shape == ref.v.shape and obs.spike_times.shape == ref.spike_times.shape
            and bool(np.array_equal(obs.spike_times, ref.spike_times))
            and bool(np.allclose(obs.v, ref.v, rtol=0, atol=VALUE_TOLERANCE, equal_nan=True)))


def first_divergence(obs: SpikeTrain, ref: SpikeTrain) -> str | None:
    """Where v leaves the reference's trace when both drew the same random inputs."""
    if obs.v is None or ref.v is None or obs.v.shape != ref.v.shape:
        return None
    differs = np.flatnonzero(np.abs(obs.v - ref.v) > VALUE_TOLERANCE)
    if differs.size == 0:
        return None
    step = int(differs[0])
    return (f"With the same random inputs as the reference, v first differs at step {step} "
            f"(yours: {obs.v[step]:.6g}, expected: {ref.v[step]:.6g}).")


def judge_trial(obs: SpikeTrain, trial: Trial, context: ReferenceContext,
                n_tests: int | None = None) -> TrialVerdict:
    """Judge one trial; see the module docstring for the tiers."""
    finding = returned_values(obs, trial)
    if finding:
        return TrialVerdict(trial, False, "failed", finding=finding)
    raw = raw_statistics(obs.spike_times)
    ref = context.reference(trial)
    same_inputs = bool(obs.rng_state) and obs.rng_state == ref.rng_state
    if same_inputs and same_spike_train(obs, ref):
        return TrialVerdict(trial, True, "seeded", raw=raw)
    divergence = first_divergence(obs, ref) if same_inputs else None
    finding = reset_after_spikes(obs, trial) or input_in_whole_spikes(obs, trial)
    if finding:
        return TrialVerdict(trial, False, "failed", finding=finding, divergence=divergence,
                            raw=raw)
    calibration = context.calibration_for(trial)
    results = compare_statistics(obs.spike_times, calibration,
                                 n_tests or n_statistical_tests(trial.function))
    if all(r.passed for r in results):
        return TrialVerdict(trial, True, "statistical", statistics=results, raw=raw)
    detail = ("Its spike statistics are outside the range of the reference model: "
              + describe(results, obs.spike_times, calibration["raw_means"]) + ".")
    return TrialVerdict(trial, False, "failed", statistics=results, detail=detail,
                        divergence=divergence, raw=raw)


def judge_function(function: str, observations: dict[str, SpikeTrain],
                   context: ReferenceContext) -> ExerciseVerdict:
    """Judge every hidden trial of one exercise function, then name the mistake if it fails."""
    verdicts = []
    for trial in HIDDEN_TRIALS[function]:
        obs = observations.get(trial.id) or SpikeTrain(
            trial_id=trial.id, error="the trial did not run (the notebook stopped before it)")
        verdicts.append(judge_trial(obs, trial, context))
    verdict = ExerciseVerdict(function, verdicts)
    if not verdict.passed:
        verdict.mistake, verdict.mistake_exact = match_mistake(function, observations, context)
    return verdict


def match_mistake(function: str, observations: dict[str, SpikeTrain],
                  context: ReferenceContext) -> tuple[Mistake | None, bool]:
    """The known mistake the student's trials resemble most, and whether exactly (same seed)."""
    trials = [t for t in HIDDEN_TRIALS[function] if t.id in observations]
    returned = [t for t in trials if observations[t.id].v is not None
                and observations[t.id].spike_times is not None]
    candidates = [m for m in MISTAKES if m.function == function]
    # Exact: the mutant drew the same inputs and produced the same spike train on every trial
    # (checked trial by trial, so most mutants are only ever run on the first one).
    for mistake in candidates:
        if returned and all(
                observations[t.id].rng_state == context.mutant(t, mistake).rng_state
                and same_spike_train(observations[t.id], context.mutant(t, mistake))
                for t in returned):
            return mistake, True
    usable = [t for t in returned if returned_values(observations[t.id], t) is None]
    if not usable:
        return None, False
    # Approximate: the same structural problem and the closest spike statistics.
    n_tests = n_statistical_tests(function)
    z_crit = critical_z(n_tests, one_sided=False)
    best, best_distance = None, math.inf
    for mistake in candidates:
        distance = 0.0
        for trial in usable:
            obs, mutant = observations[trial.id], context.mutant(trial, mistake)
            if returned_values(mutant, trial) is not None:
                distance = math.inf
                break
            if _structure_key(obs, trial) != _structure_key(mutant, trial):
                distance = math.inf
                break
            distance = max(distance, _statistics_distance(obs, mutant, trial, context))
        if distance < best_distance:
            best, best_distance = mistake, distance
    if best is not None and best_distance <= 2 * z_crit:
        return best, False
    return None, False


def _structure_key(obs: SpikeTrain, trial: Trial) -> str | None:
    finding = reset_after_spikes(obs, trial) or input_in_whole_spikes(obs, trial)
    return finding.key if finding else None


def _statistics_distance(obs: SpikeTrain, mutant: SpikeTrain, trial: Trial,
                         context: ReferenceContext) -> float:
    """Largest difference between two spike trains' statistics, in reference standard deviations.

    Silent or always-firing trains have undefined ISI statistics; they are compared by count.
    """
    calibration = context.calibration_for(trial)
    edges, probs = calibration["isi_edges"], calibration["isi_probabilities"]
    a = transformed_statistics(obs.spike_times, edges, probs)
    b = transformed_statistics(mutant.spike_times, edges, probs)
    worst = 0.0
    for name, record in calibration["stats"].items():
        x, y = a[name], b[name]
        if not (math.isfinite(x) and math.isfinite(y)):
            if math.isfinite(x) != math.isfinite(y):
                return math.inf
            continue
        worst = max(worst, abs(x - y) / float(record["sd"]))
    return worst
