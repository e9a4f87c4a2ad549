"""The hidden checks' verdict on ``lif_rate``: the student's analytic rate against the reference.

``lif_rate`` is a formula, so at every hidden call it must agree with the reference up to
rounding (``RTOL``), including the 0 Hz below the rheobase. When the student's answers equal a
known mistake's at every call (an error or a non-number counting as "no rate" on both sides), the
mistake is named.
"""

from __future__ import annotations

from dataclasses import dataclass

from solutions.W1D1_Tutorial2_Bonus.context import ReferenceContext
from solutions.W1D1_Tutorial2_Bonus.mistakes import Mistake, mistakes_for
from solutions.W1D1_Tutorial2_Bonus.readings import Rate
from solutions.W1D1_Tutorial2_Bonus.trials import RATE_MULTIPLES, RATE_TRIALS, RateTrial

RTOL = 1e-5
FUNCTION = "lif_rate"


def agree(a: Rate, b: Rate) -> bool:
    """Two answers agree: both a number within rounding of each other, or both no number."""
    if a.value is None or b.value is None:
        return a.value is None and b.value is None
    return abs(a.value - b.value) <= RTOL * max(1.0, abs(b.value))


def problem(obs: Rate, trial: RateTrial, expected: float) -> str:
    """What is wrong with one call, in a sentence."""
    call = trial.describe()
    if obs.error:
        if obs.error.startswith("NotImplementedError"):
            return (f"{FUNCTION} still raises NotImplementedError: the `raise` line of the "
                    "exercise is still there.")
        if "ellipsis" in obs.error or "Ellipsis" in obs.error:
            return f"{call} failed with {obs.error}: a placeholder `...` is still in the code."
        return f"{call} raised {obs.error}; the analytic rate there is {expected:.6g} Hz."
    if obs.problem:
        return f"{call} {obs.problem}; the analytic rate there is {expected:.6g} Hz."
    return f"{call} returned {obs.value:.6g} Hz; the analytic rate there is {expected:.6g} Hz."


@dataclass
class RateVerdict:
    """The hidden checks' verdict on ``lif_rate``."""

    observed: dict[str, Rate]
    expected: dict[str, Rate]
    mistake: Mistake | None = None

    def failures(self) -> list[RateTrial]:
        return [t for t in RATE_TRIALS if not agree(self._obs(t), self.expected[t.id])]

    def _obs(self, trial: RateTrial) -> Rate:
        return self.observed.get(trial.id) or Rate(trial.id, error="the call was not made")

    @property
    def passed(self) -> bool:
        return not self.failures()

    @property
    def diagnosis(self) -> str | None:
        if self.passed:
            return None
        if self.mistake is not None:
            return f"This matches a known mistake: {self.mistake.description}."
        first = self.failures()[0]
        return problem(self._obs(first), first, self.expected[first.id].value)

    def render(self) -> str:
        total = len(RATE_TRIALS)
        if self.passed:
            return (f"{FUNCTION} passes the hidden checks: at {total} calls (other membrane "
                    "constants, potentials and refractory periods; currents below, just above "
                    "and well above the rheobase) it agrees with the analytic rate.")
        failed = self.failures()
        lines = [f"{FUNCTION} fails the hidden checks: {total - len(failed)} of {total} calls "
                 "agree with the analytic rate."]
        lines.append(self.diagnosis)
        lines.extend(f"- {problem(self._obs(t), t, self.expected[t.id].value)}"
                     for t in failed[:3])
        if len(failed) > 3:
            lines.append(f"- ... and {len(failed) - 3} more.")
        return "\n".join(lines)

    def summary(self) -> dict:
        return {"function": FUNCTION, "passed": self.passed,
                "mistake": self.mistake.key if self.mistake else None,
                "diagnosis": self.diagnosis,
                "calls": [{"call": t.id, "current": t.current,
                           "set": RATE_TRIALS.index(t) // len(RATE_MULTIPLES),
                           "rate": self._obs(t).value, "expected": self.expected[t.id].value}
                          for t in RATE_TRIALS]}


def judge_rates(observed: dict[str, Rate], context: ReferenceContext) -> RateVerdict:
    verdict = RateVerdict(observed, {t.id: context.rate(t) for t in RATE_TRIALS})
    if not verdict.passed and all(t.id in observed for t in RATE_TRIALS):
        for mistake in mistakes_for(FUNCTION):
            if all(agree(observed[t.id], context.rate(t, mistake)) for t in RATE_TRIALS):
                verdict.mistake = mistake
                break
    return verdict
