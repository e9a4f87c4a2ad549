"""What the judges compare against: the reference's and the mutants' results on each trial.

Computed in the trusted process only, on first use (or all at once by :meth:`warm_up`, the
checks' ``warm``, once per grading run), and never handed to a process that runs student code.
"""

from __future__ import annotations

from functools import cache

from solutions.W1D1_Tutorial2_Bonus import models
from solutions.W1D1_Tutorial2_Bonus.mistakes import Mistake, build_mutant, mistakes_for
from solutions.W1D1_Tutorial2_Bonus.readings import Rate, Trace, observe_call, rate_from, trace_from
from solutions.W1D1_Tutorial2_Bonus.trials import (
    RATE_TRIALS,
    SIMULATION_TRIALS,
    CurrentTrial,
    RateTrial,
)


class ReferenceContext:
    """Reference and mutant results per trial, computed once and kept."""

    def __init__(self):
        self._traces: dict[tuple[str, str], Trace] = {}
        self._rates: dict[tuple[str, str], Rate] = {}

    def trace(self, trial: CurrentTrial, mistake: Mistake | None = None) -> Trace:
        """The reference's trace on the trial, or a mutant's."""
        key = (trial.id, mistake.key if mistake else "")
        if key not in self._traces:
            func = build_mutant(mistake) if mistake else models.simulate_lif
            self._traces[key] = trace_from(observe_call(func, trial.probe()))
        return self._traces[key]

    def rate(self, trial: RateTrial, mistake: Mistake | None = None) -> Rate:
        """The reference's analytic rate at the trial's current, or a mutant's."""
        key = (trial.id, mistake.key if mistake else "")
        if key not in self._rates:
            func = build_mutant(mistake) if mistake else models.lif_rate
            self._rates[key] = rate_from(observe_call(func, trial.probe()))
        return self._rates[key]

    def warm_up(self, functions=("simulate_lif", "lif_rate"), with_mutants: bool = True
                ) -> ReferenceContext:
        if "simulate_lif" in functions:
            for trial in SIMULATION_TRIALS:
                self.trace(trial)
                for mistake in mistakes_for("simulate_lif") if with_mutants else ():
                    self.trace(trial, mistake)
        if "lif_rate" in functions:
            for trial in RATE_TRIALS:
                self.rate(trial)
                for mistake in mistakes_for("lif_rate") if with_mutants else ():
                    self.rate(trial, mistake)
        return self


@cache
def shared_context() -> ReferenceContext:
    """One context per process: every check of a grading run compares against the same runs."""
    return ReferenceContext()
