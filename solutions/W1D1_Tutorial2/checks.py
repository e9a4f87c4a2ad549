"""The trusted checks of the tutorial's two exercises, as the grader's plug-in sees them.

* :class:`HiddenModelCheck` judges an exercise's hidden test cell: the student's function on the
  hidden trials, compared with the reference (:mod:`.verdict`), the mistake named if it is a
  known one.
* :class:`SelfCheckMirror` re-judges an exercise's public self-check cell from the values the
  student's function returned for the calls the notebook's ``self_check`` makes (:mod:`.public`),
  so that a rigged ``self_check`` in the student's process earns nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from autograder.execute.observe import Observation, Probe
from autograder.plugins import TrustedCheck, Verdict
from solutions.W1D1_Tutorial2.calibration import load_calibration
from solutions.W1D1_Tutorial2.context import shared_context
from solutions.W1D1_Tutorial2.public import judge_public, passed_message
from solutions.W1D1_Tutorial2.spiketrain import from_observation
from solutions.W1D1_Tutorial2.trials import (
    HIDDEN_TRIALS,
    IDENTIFICATION_TRIALS,
    PUBLIC_TRIALS,
    seeded_trial,
)
from solutions.W1D1_Tutorial2.verdict import judge_function


class HiddenModelCheck(TrustedCheck):
    """The hidden checks of one exercise function."""

    hidden = True

    def __init__(self, function: str):
        self.function = function
        self.functions = (function,)
        self.title = f"hidden checks of {function} against the reference"

    def probes(self) -> list[Probe]:
        """Per trial, its first steps, then the whole trial unless those drew the reference's
        random numbers (the seeded comparison then decides, and the statistics are not
        needed)."""
        probes = []
        for trial in HIDDEN_TRIALS[self.function]:
            short = seeded_trial(trial)
            probes.append(short.probe())
            whole = trial.probe()
            state = shared_context().reference(short).rng_state  # stored: no reference run
            probes.append(Probe(whole.id, whole.function, whole.kwargs, whole.seed,
                                skip_if_state=(short.id, state)))
        probes.extend(t.probe() for t in IDENTIFICATION_TRIALS[self.function])
        return probes

    def prepare(self) -> None:
        """Refuse a stale calibration before grading starts (the plan needs no reference run)."""
        load_calibration(self.function)

    def warm(self) -> None:
        """The reference's runs ready (read from the stored runs, or computed), while the
        workers start up."""
        shared_context().warm_up([self.function], with_mutants=False)

    def judge(self, observations: Mapping[str, Observation]) -> Verdict:
        first, whole = {}, {}
        for trial in HIDDEN_TRIALS[self.function]:
            short = seeded_trial(trial)
            if short.id in observations:
                first[trial.id] = from_observation(observations[short.id], short.id)
            made = observations.get(trial.id)
            whole[trial.id] = None if made is None or made.skipped else \
                from_observation(made, trial.id)
        for trial in IDENTIFICATION_TRIALS[self.function]:
            if trial.id in observations:
                first[trial.id] = from_observation(observations[trial.id], trial.id)
        verdict = judge_function(self.function, first, whole, shared_context())
        return Verdict(passed=verdict.passed, message=verdict.student_message(),
                       details=verdict.render(),
                       label=verdict.mistake.key if verdict.mistake else None,
                       label_text=verdict.mistake.description if verdict.mistake else None,
                       data=verdict.summary())


class SelfCheckMirror(TrustedCheck):
    """The notebook's public self-checks of one function, re-judged outside its process. Its
    probes are the self-checks' own calls and its verdicts their words, so the grader need not
    run the cell's ``self_check(...)`` as well (:attr:`replaces_cell`)."""

    hidden = False
    replaces_cell = True

    def __init__(self, function: str):
        self.function = function
        self.functions = (function,)
        self.title = f"self-checks of {function}, re-judged by the grader"

    def probes(self) -> list[Probe]:
        return [t.probe() for t in PUBLIC_TRIALS[self.function]]

    def judge(self, observations: Mapping[str, Observation]) -> Verdict:
        trains = {t.id: from_observation(observations[t.id], t.id)
                  for t in PUBLIC_TRIALS[self.function] if t.id in observations}
        finding = judge_public(self.function, trains)
        if finding is None:
            return Verdict(passed=True, message=passed_message(self.function))
        return Verdict(passed=False, message=finding.message, label=None)
