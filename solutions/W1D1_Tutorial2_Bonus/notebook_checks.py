"""Entry points of the hidden checks for the master's hidden test cells: plain asserts.

In the master notebook they run inside the student's kernel (as nbgrader runs every test), so they
are only as trustworthy as that kernel; ``python -m autograder grade`` and ``check`` instead judge
plain data outside the student's process, with the same verdict code.
"""

from __future__ import annotations

from collections.abc import Callable

from solutions.W1D1_Tutorial2_Bonus.context import ReferenceContext
from solutions.W1D1_Tutorial2_Bonus.rates import RateVerdict, judge_rates
from solutions.W1D1_Tutorial2_Bonus.readings import observe_call, rate_from, trace_from
from solutions.W1D1_Tutorial2_Bonus.simulation import SimulationVerdict, judge_simulation
from solutions.W1D1_Tutorial2_Bonus.trials import RATE_TRIALS, SIMULATION_TRIALS


def _context(context: ReferenceContext | None) -> ReferenceContext:
    return context if context is not None else ReferenceContext()


def judge_simulate_lif(func: Callable, context: ReferenceContext | None = None
                       ) -> SimulationVerdict:
    """Call ``func`` on every hidden trial, as the sandbox would, and judge the traces."""
    traces = {t.id: trace_from(observe_call(func, t.probe())) for t in SIMULATION_TRIALS}
    return judge_simulation(traces, _context(context))


def judge_lif_rate(func: Callable, context: ReferenceContext | None = None) -> RateVerdict:
    """Call ``func`` at every hidden current, as the sandbox would, and judge the rates."""
    rates = {t.id: rate_from(observe_call(func, t.probe())) for t in RATE_TRIALS}
    return judge_rates(rates, _context(context))


def _assert_passes(verdict) -> None:
    if not verdict.passed:
        raise AssertionError(verdict.render()) from None
    print(verdict.render())


def check_simulate_lif(func: Callable) -> None:
    """Hidden checks of Exercise 1: raise AssertionError naming the problem, else print a pass."""
    _assert_passes(judge_simulate_lif(func))


def check_lif_rate(func: Callable) -> None:
    """Hidden checks of Exercise 3: raise AssertionError naming the problem, else print a pass."""
    _assert_passes(judge_lif_rate(func))
