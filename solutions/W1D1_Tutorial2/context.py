"""What the judge compares against: the reference's and the mutants' behaviour on each trial.

Computed in the trusted process only, once per grading run, and never handed to a process
that runs student code.
"""

from __future__ import annotations

from functools import cache

from solutions.W1D1_Tutorial2.calibration import load_calibration, reference_function
from solutions.W1D1_Tutorial2.mistakes import Mistake, build_mutant, mistakes_for
from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain, observe_trial
from solutions.W1D1_Tutorial2.trials import (
    HIDDEN_TRIALS,
    IDENTIFICATION_TRIALS,
    Trial,
    seeded_trial,
)


class ReferenceContext:
    """Reference and mutant runs per trial, computed on first use and kept."""

    def __init__(self):
        self._reference: dict[str, SpikeTrain] = {}
        self._mutants: dict[tuple[str, str], SpikeTrain] = {}

    def reference(self, trial: Trial) -> SpikeTrain:
        if trial.id not in self._reference:
            self._reference[trial.id] = observe_trial(reference_function(trial.function), trial)
        return self._reference[trial.id]

    def mutant(self, trial: Trial, mistake: Mistake) -> SpikeTrain:
        """What the reference with this known mistake does on the trial (computed once)."""
        key = (trial.id, mistake.key)
        if key not in self._mutants:
            self._mutants[key] = observe_trial(build_mutant(mistake), trial)
        return self._mutants[key]

    def calibration_for(self, trial: Trial) -> dict:
        return load_calibration(trial.function)["trials"][trial.id]

    def warm_up(self, functions=None, with_mutants: bool = True) -> ReferenceContext:
        """Compute everything now (the checks' ``warm``, once per grading run, so that no
        submission's time includes it)."""
        for function in functions or HIDDEN_TRIALS:
            load_calibration(function)
            runs = [r for t in HIDDEN_TRIALS[function] for r in (seeded_trial(t), t)]
            for run in runs + list(IDENTIFICATION_TRIALS[function]):
                self.reference(run)
                if with_mutants:
                    for mistake in mistakes_for(function):
                        self.mutant(run, mistake)
        return self


@cache
def shared_context() -> ReferenceContext:
    """One context per process: every check of a grading run compares against the same runs."""
    return ReferenceContext()
