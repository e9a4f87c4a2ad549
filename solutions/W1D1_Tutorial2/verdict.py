"""The hidden checks' verdict: does a student's function implement the tutorial's model?

Each hidden trial is judged by the random stream the student's function drew:

1. the call must work and return ``v`` and valid spike times;
2. it is first made for the trial's first steps only (:func:`.trials.seeded_trial`). If it left
   NumPy's global random state exactly where the reference's call did, the student drew the same
   inputs, so the model is compared step by step with the reference (*seeded tier*): ``v`` must
   agree up to rounding (``RTOL`` of the values' scale: float32 arithmetic and values rounded to
   a few millionths are correct), and so must every spike, except at a true near-tie with the
   threshold. Any other difference is a mistake: an index shifted by one step is invisible in
   spike statistics, which is why this comparison exists;
3. on another random stream (fresh draws, another generator), the whole trial is called; every
   correct model still has the exact properties of :mod:`.structure`, and its spike statistics
   must lie within the reference's calibrated spread (*statistical tier*).

A failed exercise is then matched against the known mistakes to name what is wrong: exactly, when
a mutant of the reference gives the same trace on the same random stream, or by its statistics.
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
    RTOL,
    Finding,
    returned_values,
    structure_finding,
    structure_key,
    tolerance,
)
from solutions.W1D1_Tutorial2.trials import (
    HIDDEN_TRIALS,
    IDENTIFICATION_TRIALS,
    Trial,
    seeded_trial,
)


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
    comparison: Comparison | None = None  # the seeded comparison, when it failed
    first_raw: dict | None = None  # the statistics of the first (seeded-length) call
    reference_raw: dict | None = None  # the reference's typical raw statistics (other stream)

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

    def evidence(self) -> str:
        """One or two plain sentences on what went wrong in this run (for the student)."""
        if self.passed:
            return ""
        run = f"In a test run with {_parameters(self.trial)}, "
        diverged = self.comparison is not None and self.comparison.step is not None
        if self.finding is not None and not (diverged and self.finding.key == "input_term"):
            return plain_finding(self.finding)
        if diverged:
            c = self.comparison
            return (f"{run}given the same random input spikes as the model answer, your v first "
                    f"differs at time step {c.step}: yours is {c.yours:.4g}, the model "
                    f"answer's is {c.expected:.4g}.")
        if self.raw and self.reference_raw:
            return run + plain_statistics(self.raw, self.reference_raw, self.trial)
        return ""


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
        if failed.finding:
            return failed.finding.message
        if failed.divergence:
            return ("It draws the same random inputs as the reference but computes something "
                    "else with them. " + failed.divergence)
        return failed.detail

    def student_message(self) -> str:
        """What the student reads: the verdict and the named mistake, then at most two plain
        sentences of evidence from the first test run that went wrong. No statistics jargon,
        nothing said twice; :meth:`render` keeps every run's detail for the instructor."""
        total = len(self.trials)
        if self.passed:
            return (f"Passed: {self.function} behaves like the model answer in all {total} test "
                    "runs, which use other parameter values and other random inputs than the "
                    "notebook.")
        failed = next(t for t in self.trials if not t.passed)
        evidence = failed.evidence()
        if self.mistake is not None:
            lead = "" if self.mistake_exact else "this looks like "
            sentences = [f"Not yet right: {lead}{self.mistake.description}."]
        elif evidence:
            sentences = [f"Not yet right. {evidence}"]
            evidence = ""
        else:
            sentences = [f"Not yet right: {self.function} does not behave like the model answer."]
        if evidence:
            sentences.append(evidence)
        n_failed = total - sum(t.passed for t in self.trials)
        if total > 1:
            share = f"All {total}" if n_failed == total else f"{n_failed} of the {total}"
            sentences.append(f"{share} test runs disagree with the model answer.")
        return " ".join(sentences)

    def render(self) -> str:
        """Every test run's result, for the instructor (the class report)."""
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
                                  **(t.raw or {}), "first": t.first_raw}
                                 for t in self.trials],
        }


@dataclass(frozen=True)
class Comparison:
    """A student's trace against the reference's, drawn from the same random numbers."""

    same: bool
    step: int | None = None  # the first step that differs (or the near-tie)
    near_tie: bool = False
    yours: float = math.nan
    expected: float = math.nan

    def sentence(self) -> str | None:
        if self.same or self.step is None:
            return None
        return (f"With the same random inputs as the reference, v first differs at step "
                f"{self.step} (yours: {self.yours:.6g}, expected: {self.expected:.6g}).")


def compare_seeded(obs: SpikeTrain, ref: SpikeTrain) -> Comparison:
    """Step by step, up to rounding; a spike only one of them fired is accepted where the other
    was within rounding of the threshold (a true near-tie), after which the traces part."""
    if obs.v is None or ref.v is None or obs.v.shape != ref.v.shape \
            or obs.spike_times is None or ref.spike_times is None:
        return Comparison(False)
    v, r = obs.v, ref.v
    differs = np.abs(v - r) > tolerance(r)
    flipped = np.zeros(v.size, dtype=bool)
    only_one = np.setxor1d(obs.spike_times.astype(int), ref.spike_times.astype(int))
    flipped[only_one[(only_one >= 0) & (only_one < v.size)]] = True
    bad = np.flatnonzero(differs | flipped)
    if bad.size == 0:
        return Comparison(True)
    step = int(bad[0])
    if flipped[step]:
        silent = v[step] if step in set(ref.spike_times.astype(int)) else r[step]
        if abs(1.0 - silent) <= RTOL:
            return Comparison(True, step, near_tie=True)
    return Comparison(False, step, yours=float(v[step]), expected=float(r[step]))


def judge_trial(first: SpikeTrain, whole: SpikeTrain | None, trial: Trial,
                context: ReferenceContext, n_tests: int | None = None) -> TrialVerdict:
    """Judge one trial from its first (seeded) call and, on another stream, its whole call;
    see the module docstring for the tiers."""
    short = seeded_trial(trial)
    finding = returned_values(first, short)
    if finding:
        return TrialVerdict(trial, False, "failed", finding=finding)
    verdict = _judge_calls(first, whole, trial, short, context, n_tests)
    verdict.first_raw = raw_statistics(first.spike_times)
    return verdict


def _judge_calls(first: SpikeTrain, whole: SpikeTrain | None, trial: Trial, short: Trial,
                 context: ReferenceContext, n_tests: int | None) -> TrialVerdict:
    ref = context.reference(short)
    if first.rng_state and first.rng_state == ref.rng_state:  # the same random numbers
        comparison = compare_seeded(first, ref)
        raw = raw_statistics(first.spike_times)
        if comparison.same:
            return TrialVerdict(trial, True, "seeded", raw=raw)
        finding = structure_finding(first, short)
        return TrialVerdict(trial, False, "failed", finding=finding,
                            divergence=comparison.sentence(), raw=raw, comparison=comparison)
    if whole is None:
        return TrialVerdict(trial, False, "failed", finding=Finding(
            "not_observed", f"{trial.function} could not be observed on a whole trial."))
    finding = returned_values(whole, trial)
    if finding:
        return TrialVerdict(trial, False, "failed", finding=finding)
    raw = raw_statistics(whole.spike_times)
    finding = structure_finding(whole, trial)
    if finding:
        return TrialVerdict(trial, False, "failed", finding=finding, raw=raw)
    calibration = context.calibration_for(trial)
    results = compare_statistics(whole.spike_times, calibration,
                                 n_tests or n_statistical_tests(trial.function))
    if all(r.passed for r in results):
        return TrialVerdict(trial, True, "statistical", statistics=results, raw=raw)
    detail = ("Its spike statistics are outside the range of the reference model: "
              + describe(results, whole.spike_times, calibration["raw_means"]) + ".")
    return TrialVerdict(trial, False, "failed", statistics=results, detail=detail, raw=raw,
                        reference_raw=calibration["raw_means"])


def judge_identification(obs: SpikeTrain | None, trial: Trial, context: ReferenceContext
                         ) -> TrialVerdict | None:
    """A seeded-only trial: compared step by step when the student drew the reference's random
    numbers; nothing to say on another stream (its statistics are not calibrated)."""
    if obs is None:
        return None
    ref = context.reference(trial)
    if not obs.rng_state or obs.rng_state != ref.rng_state:
        return None
    finding = returned_values(obs, trial)
    if finding:
        return TrialVerdict(trial, False, "failed", finding=finding)
    comparison = compare_seeded(obs, ref)
    if comparison.same:
        return TrialVerdict(trial, True, "seeded", raw=raw_statistics(obs.spike_times))
    finding = structure_finding(obs, trial)
    return TrialVerdict(trial, False, "failed", finding=finding,
                        divergence=comparison.sentence(), raw=raw_statistics(obs.spike_times),
                        comparison=comparison)


def judge_function(function: str, first: dict[str, SpikeTrain],
                   whole: dict[str, SpikeTrain | None], context: ReferenceContext
                   ) -> ExerciseVerdict:
    """Judge every hidden trial of one exercise function, then name the mistake if it fails.

    ``first``: the seeded calls, by the (whole) trial's id, and by their own id for the
    identification trials; ``whole``: the whole calls (None where not made).
    """
    verdicts = []
    for trial in HIDDEN_TRIALS[function]:
        obs = first.get(trial.id) or SpikeTrain(
            trial_id=trial.id, error="the trial did not run (the notebook stopped before it)")
        verdicts.append(judge_trial(obs, whole.get(trial.id), trial, context))
    for trial in IDENTIFICATION_TRIALS[function]:
        judged = judge_identification(first.get(trial.id), trial, context)
        if judged is not None:
            verdicts.append(judged)
    verdict = ExerciseVerdict(function, verdicts)
    if not verdict.passed:
        verdict.mistake, verdict.mistake_exact = match_mistake(function, first, whole, context)
    return verdict


def _same_as_mutant(obs: SpikeTrain, run: Trial, mistake: Mistake,
                    context: ReferenceContext) -> bool:
    mutant = context.mutant(run, mistake)
    return bool(obs.rng_state) and obs.rng_state == mutant.rng_state \
        and compare_seeded(obs, mutant).same


def match_mistake(function: str, first: dict[str, SpikeTrain],
                  whole: dict[str, SpikeTrain | None], context: ReferenceContext
                  ) -> tuple[Mistake | None, bool]:
    """The known mistake the student's trials resemble most, and whether exactly (the same
    trace as the mutant's from the same random numbers)."""
    trials = [t for t in HIDDEN_TRIALS[function] if t.id in first]
    runs = [(first[t.id], seeded_trial(t)) for t in trials]
    runs += [(first[t.id], t) for t in IDENTIFICATION_TRIALS[function] if t.id in first]
    returned = [(obs, run) for obs, run in runs
                if obs.v is not None and obs.spike_times is not None]
    candidates = [m for m in MISTAKES if m.function == function]
    # Exact: checked run by run, so most mutants are only ever run on the first one.
    for mistake in candidates:
        if returned and all(_same_as_mutant(obs, run, mistake, context)
                            for obs, run in returned):
            return mistake, True
    usable = [t for t in trials if whole.get(t.id) is not None
              and returned_values(whole[t.id], t) is None]
    if not usable:
        return None, False
    # Approximate: the same structural problem and the closest spike statistics.
    n_tests = n_statistical_tests(function)
    z_crit = critical_z(n_tests, one_sided=False)
    best, best_distance = None, math.inf
    for mistake in candidates:
        distance = 0.0
        for trial in usable:
            obs, mutant = whole[trial.id], context.mutant_summary(trial, mistake)
            if mutant.returned is not None or structure_key(obs, trial) != mutant.structure:
                distance = math.inf
                break
            distance = max(distance, _statistics_distance(obs.spike_times, mutant.spike_times,
                                                          context.calibration_for(trial)))
        if distance < best_distance:
            best, best_distance = mistake, distance
    if best is not None and best_distance <= 2 * z_crit:
        return best, False
    return None, False


def _statistics_distance(spikes: np.ndarray, mutant_spikes: np.ndarray, calibration: dict
                         ) -> float:
    """Largest difference between two spike trains' statistics, in reference standard deviations.

    Silent or always-firing trains have undefined ISI statistics; they are compared by count.
    """
    edges, probs = calibration["isi_edges"], calibration["isi_probabilities"]
    a = transformed_statistics(spikes, edges, probs)
    b = transformed_statistics(mutant_spikes, edges, probs)
    worst = 0.0
    for name, record in calibration["stats"].items():
        x, y = a[name], b[name]
        if not (math.isfinite(x) and math.isfinite(y)):
            if math.isfinite(x) != math.isfinite(y):
                return math.inf
            continue
        worst = max(worst, abs(x - y) / float(record["sd"]))
    return worst


# -- plain words for students --------------------------------------------------------------------

#: Runtime errors students meet, as one sentence each (matched on "ExceptionType: message").
ERROR_HINTS = (
    ("ValueError: setting an array element with a sequence",
     "dv must be one number for the current time step, but it is a whole array: use the input "
     "at step i (for example exc[i]), not the whole array."),
    ("TypeError: unsupported operand type(s) for +: 'float' and 'ellipsis'",
     "`...` is still in your code: replace it with your expression for dv."),
    ("NameError: name 'dv' is not defined",
     "dv is never given a value: write the line `dv = ...` with your expression."),
    ("IndexError", "an index went past the end of an array: the loop runs over steps 1 to "
     "n_steps - 1, so use index i (or i - 1), never i + 1."),
)


def plain_finding(finding: Finding) -> str:
    """The finding as a student reads it: runtime errors translated into what to change."""
    if finding.key in ("exception", "ellipsis"):
        for start, hint in ERROR_HINTS:
            if start in finding.message:
                return f"Your function stopped with an error: {hint}"
        error = finding.message.split(" raised ", 1)[-1].rstrip(".")
        return f"Your function stopped with an error ({error})."
    if finding.key == "not_implemented":
        return (finding.message + " Replace it with your `dv = ...`, then run the exercise "
                "cell again before the checks.")
    return finding.message


def _parameters(trial: Trial) -> str:
    shown = {k: v for k, v in trial.kwargs.items() if k != "n_steps"}
    return ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                     for k, v in shown.items())


def plain_statistics(raw: dict, reference: dict, trial: Trial) -> str:
    """How the spike train differs from the model answer's, in everyday words."""
    parts = []
    count, expected = raw.get("count"), reference.get("count")
    if count is not None and expected is not None and math.isfinite(expected):
        parts.append(f"your neuron spiked {count:.0f} times in {trial.n_steps} steps, where the "
                     f"model answer spikes about {expected:.0f} times")
    mean, expected_mean = raw.get("isi_mean"), reference.get("isi_mean")
    if mean is not None and expected_mean is not None and math.isfinite(mean) \
            and math.isfinite(expected_mean):
        parts.append(f"the time between two spikes is {mean:.1f} steps on average instead of "
                     f"about {expected_mean:.1f}")
    if not parts:
        return "its spikes come at other times than the model answer's would."
    return "; ".join(parts) + "."
