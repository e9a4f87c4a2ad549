"""Entry points of the hidden checks, written pytest-style: plain asserts with messages.

In the master notebook they run inside the student's kernel (as nbgrader runs every test), so they
are only as trustworthy as that kernel; ``python -m autograder grade`` and ``check`` instead judge
plain data outside the student's process, with the same verdict code.
"""

from __future__ import annotations

from collections.abc import Callable

from solutions.W1D1_Tutorial2.context import ReferenceContext
from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain, observe_trial
from solutions.W1D1_Tutorial2.trials import (
    HIDDEN_TRIALS,
    IDENTIFICATION_TRIALS,
    Trial,
    seeded_trial,
)
from solutions.W1D1_Tutorial2.verdict import ExerciseVerdict, judge_function, judge_trial


def _context(context: ReferenceContext | None) -> ReferenceContext:
    return context if context is not None else ReferenceContext()


def observe_calls(func: Callable, trial: Trial, context: ReferenceContext
                  ) -> tuple[SpikeTrain, SpikeTrain | None]:
    """The calls the grader's sandbox makes for a trial: its first steps, and the whole trial
    only when those drew other random numbers than the reference."""
    short = seeded_trial(trial)
    first = observe_trial(func, short)
    if first.rng_state == context.reference(short).rng_state:
        return first, None
    return first, observe_trial(func, trial)


def check_function(name: str, func: Callable, context: ReferenceContext | None = None
                   ) -> ExerciseVerdict:
    """Run every hidden trial of exercise function ``name`` on ``func`` and judge them."""
    context = _context(context)
    first, whole = {}, {}
    for trial in HIDDEN_TRIALS[name]:
        first[trial.id], whole[trial.id] = observe_calls(func, trial, context)
    for trial in IDENTIFICATION_TRIALS[name]:
        first[trial.id] = observe_trial(func, trial)
    return judge_function(name, first, whole, context)


def _assert_passes(verdict: ExerciseVerdict) -> None:
    """What the student reads in nbgrader's feedback: the same words as in ours."""
    if not verdict.passed:
        raise AssertionError(verdict.student_message()) from None
    print(verdict.student_message())


def check_lif_neuron(func: Callable) -> None:
    """Hidden checks of Exercise 1: raise AssertionError naming the problem, else print a pass."""
    _assert_passes(check_function("lif_neuron", func))


def check_lif_neuron_inh(func: Callable) -> None:
    """Hidden checks of Exercise 2: raise AssertionError naming the problem, else print a pass."""
    _assert_passes(check_function("lif_neuron_inh", func))


def assert_trial_passes(func: Callable, trial: Trial, context: ReferenceContext | None = None
                        ) -> None:
    """One trial as a pytest assertion (for parametrised test sessions)."""
    context = _context(context)
    verdict = judge_trial(*observe_calls(func, trial, context), trial, context)
    assert verdict.passed, verdict.message
