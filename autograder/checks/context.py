"""What the judge compares against: the reference's and the mutants' behaviour on each trial.

Computed in the trusted process only, once per grading run, and never handed to a process
that runs student code.
"""

from __future__ import annotations

from autograder.checks.calibration import load_calibration, reference_function
from autograder.checks.mistakes import Mistake, build_mutant, mistakes_for
from autograder.checks.observe import Observation, observe
from autograder.checks.trials import HIDDEN_TRIALS, Trial


class ReferenceContext:
    """Reference and mutant observations per trial, computed on first use and kept."""

    def __init__(self, calibration: dict | None = None):
        self.calibration = calibration if calibration is not None else load_calibration()
        self._reference: dict[str, Observation] = {}
        self._mutants: dict[tuple[str, str], Observation] = {}

    def reference(self, trial: Trial) -> Observation:
        if trial.id not in self._reference:
            self._reference[trial.id] = observe(reference_function(trial.function), trial)
        return self._reference[trial.id]

    def mutant(self, trial: Trial, mistake: Mistake) -> Observation:
        """What the reference with this known mistake does on the trial (computed once)."""
        key = (trial.id, mistake.key)
        if key not in self._mutants:
            self._mutants[key] = observe(build_mutant(mistake), trial)
        return self._mutants[key]

    def calibration_for(self, trial: Trial) -> dict:
        return self.calibration["trials"][trial.id]

    def warm_up(self, with_mutants: bool = True) -> ReferenceContext:
        """Compute everything now (before forking workers or timing submissions)."""
        for trials in HIDDEN_TRIALS.values():
            for trial in trials:
                self.reference(trial)
                if with_mutants:
                    for mistake in mistakes_for(trial.function):
                        self.mutant(trial, mistake)
        return self
