"""What the judge compares against: the reference's and the mutants' behaviour on each trial.

Read from the stored runs (:mod:`.stored`) when they are current, computed otherwise; either way
in the trusted process only, once per grading run, and never handed to a process that runs
student code.
"""

from __future__ import annotations

from functools import cache

from solutions.W1D1_Tutorial2.calibration import load_calibration, reference_function
from solutions.W1D1_Tutorial2.mistakes import Mistake, build_mutant, mistakes_for
from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain, observe_trial
from solutions.W1D1_Tutorial2.stored import MutantSummary, StoredRuns, load_runs, summarize
from solutions.W1D1_Tutorial2.trials import (
    HIDDEN_TRIALS,
    Trial,
    seeded_trials,
)


class ReferenceContext:
    """Reference and mutant runs per trial, computed (or read) on first use and kept.

    ``stored=False`` ignores the stored runs: what writes and tests them computes them live.
    """

    def __init__(self, stored: bool = True):
        self.stored = stored
        self._reference: dict[str, SpikeTrain] = {}
        self._mutants: dict[tuple[str, str], SpikeTrain] = {}
        self._summaries: dict[tuple[str, str], MutantSummary] = {}

    def _store(self, function: str) -> StoredRuns | None:
        return load_runs(function) if self.stored else None

    def reference(self, trial: Trial) -> SpikeTrain:
        if trial.id not in self._reference:
            store = self._store(trial.function)
            train = store.trains.get((trial.id, None)) if store else None
            self._reference[trial.id] = train or observe_trial(
                reference_function(trial.function), trial)
        return self._reference[trial.id]

    def mutant(self, trial: Trial, mistake: Mistake) -> SpikeTrain:
        """What the reference with this known mistake does on the trial (computed once)."""
        key = (trial.id, mistake.key)
        if key not in self._mutants:
            store = self._store(trial.function)
            train = store.trains.get(key) if store else None
            self._mutants[key] = train or observe_trial(build_mutant(mistake), trial)
        return self._mutants[key]

    def mutant_summary(self, trial: Trial, mistake: Mistake) -> MutantSummary:
        """The mutant's whole trial as far as naming a mistake by statistics needs it."""
        key = (trial.id, mistake.key)
        if key not in self._summaries:
            store = self._store(trial.function)
            summary = store.summaries.get(key) if store else None
            self._summaries[key] = summary or summarize(self.mutant(trial, mistake), trial)
        return self._summaries[key]

    def calibration_for(self, trial: Trial) -> dict:
        return load_calibration(trial.function)["trials"][trial.id]

    def warm_up(self, functions=None, with_mutants: bool = True) -> ReferenceContext:
        """Have everything ready now (the checks' ``warm``, once per grading run, so that no
        submission's time includes it): read from the stored runs, or computed."""
        for function in functions or HIDDEN_TRIALS:
            load_calibration(function)
            for run in seeded_trials(function):
                self.reference(run)
                if with_mutants:
                    for mistake in mistakes_for(function):
                        self.mutant(run, mistake)
            if with_mutants:
                for trial in HIDDEN_TRIALS[function]:
                    for mistake in mistakes_for(function):
                        self.mutant_summary(trial, mistake)
        return self


@cache
def shared_context() -> ReferenceContext:
    """One context per process: every check of a grading run compares against the same runs."""
    return ReferenceContext()
