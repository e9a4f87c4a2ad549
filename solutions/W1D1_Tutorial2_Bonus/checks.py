"""The trusted checks of the bonus assignment, as the grader's plug-in sees them.

* :class:`SimulationCheck` judges Exercise 1's hidden test cell: ``simulate_lif`` on the hidden
  trials (input currents generated here and passed as arguments), compared step by step with the
  reference (:mod:`.simulation`).
* :class:`RateCheck` judges Exercise 3's hidden test cell: ``lif_rate`` at hidden parameter sets
  and currents, compared with the reference formula (:mod:`.rates`).

Exercise 2 has no trusted check: it is graded by plain nbgrader asserts in the notebook.
"""

from __future__ import annotations

from collections.abc import Mapping

from autograder.execute.observe import Observation, Probe
from autograder.plugins import TrustedCheck, Verdict
from solutions.W1D1_Tutorial2_Bonus.context import shared_context
from solutions.W1D1_Tutorial2_Bonus.rates import judge_rates
from solutions.W1D1_Tutorial2_Bonus.readings import rate_from, trace_from
from solutions.W1D1_Tutorial2_Bonus.simulation import judge_simulation
from solutions.W1D1_Tutorial2_Bonus.trials import RATE_TRIALS, SIMULATION_TRIALS


class SimulationCheck(TrustedCheck):
    """The hidden checks of ``simulate_lif``."""

    functions = ("simulate_lif",)
    hidden = True
    title = "hidden checks of simulate_lif against the reference"

    def probes(self) -> list[Probe]:
        return [t.probe() for t in SIMULATION_TRIALS]

    def warm(self) -> None:
        shared_context().warm_up(["simulate_lif"])

    def judge(self, observations: Mapping[str, Observation]) -> Verdict:
        traces = {t.id: trace_from(observations[t.id]) for t in SIMULATION_TRIALS
                  if t.id in observations}
        verdict = judge_simulation(traces, shared_context())
        return Verdict(passed=verdict.passed, message=verdict.render(),
                       label=verdict.mistake.key if verdict.mistake else None,
                       label_text=verdict.mistake.description if verdict.mistake else None,
                       data=verdict.summary())


class RateCheck(TrustedCheck):
    """The hidden checks of ``lif_rate``."""

    functions = ("lif_rate",)
    hidden = True
    title = "hidden checks of lif_rate against the analytic rate"

    def probes(self) -> list[Probe]:
        return [t.probe() for t in RATE_TRIALS]

    def warm(self) -> None:
        shared_context().warm_up(["lif_rate"])

    def judge(self, observations: Mapping[str, Observation]) -> Verdict:
        rates = {t.id: rate_from(observations[t.id]) for t in RATE_TRIALS
                 if t.id in observations}
        verdict = judge_rates(rates, shared_context())
        return Verdict(passed=verdict.passed, message=verdict.render(),
                       label=verdict.mistake.key if verdict.mistake else None,
                       label_text=verdict.mistake.description if verdict.mistake else None,
                       data=verdict.summary())
