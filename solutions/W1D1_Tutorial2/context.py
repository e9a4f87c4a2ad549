"""What the judge compares against: the reference's and the mutants' behaviour on each trial.

Read from the stored runs (:mod:`.stored`) when they are current, computed otherwise; either way
in the trusted process only, once per grading run, and never handed to a process that runs
student code.
"""

from __future__ import annotations

from collections.abc import Callable
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
        #: by (trial id, mistake key, None for the reference), as in :class:`.StoredRuns`
        self._trains: dict[tuple[str, str | None], SpikeTrain] = {}
        self._summaries: dict[tuple[str, str], MutantSummary] = {}

    def _store(self, function: str) -> StoredRuns | None:
        return load_runs(function) if self.stored else None

    def _kept(self, kept: dict, key: tuple, trial: Trial, stored: str, compute: Callable):
        """``kept[key]``: from the stored runs' table ``stored`` if there, else computed."""
        if key not in kept:
            store = self._store(trial.function)
            found = getattr(store, stored).get(key) if store is not None else None
            kept[key] = found if found is not None else compute()
        return kept[key]

    def reference(self, trial: Trial) -> SpikeTrain:
        return self._kept(self._trains, (trial.id, None), trial, "trains",
                          lambda: observe_trial(reference_function(trial.function), trial))

    def mutant(self, trial: Trial, mistake: Mistake) -> SpikeTrain:
        """What the reference with this known mistake does on the trial (computed once)."""
        return self._kept(self._trains, (trial.id, mistake.key), trial, "trains",
                          lambda: observe_trial(build_mutant(mistake), trial))

    def mutant_summary(self, trial: Trial, mistake: Mistake) -> MutantSummary:
        """The mutant's whole trial as far as naming a mistake by statistics needs it."""
        return self._kept(self._summaries, (trial.id, mistake.key), trial, "summaries",
                          lambda: summarize(self.mutant(trial, mistake), trial))

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
