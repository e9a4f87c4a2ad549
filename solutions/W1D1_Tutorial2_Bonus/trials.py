"""The calls the hidden checks make of the students' functions.

``simulate_lif`` is deterministic given its input current, so each trial is one call with an
input current generated here, in the grader's process, from the trial's seed, and passed as an
argument (the student never sees it). Trials avoid the defaults on purpose (other time steps,
capacitances, resistances, potentials and refractory periods: a hard-coded default fails) and
use time steps that are exact binary fractions (1/4, 1/8, 1/16 ms), so that every way of
counting the refractory period in time (``t - t_spike < t_ref``) or in steps agrees exactly.
Their membrane capacitance and resistance differ by other factors than 1000, so that confusing
the two is not the same mistake as mixing mV with V.

``lif_rate`` is a formula: it is called at several parameter sets, at currents just below and
just above the rheobase (never on it: there the answer hangs on rounding) and well above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from autograder.execute.observe import Probe


@dataclass(frozen=True)
class CurrentTrial:
    """One call of ``simulate_lif`` on a seeded input current.

    The current is ``mean`` nA from ``onset`` ms on (0 before), plus Gaussian noise of standard
    deviation ``noise`` nA drawn anew at every step: a current that changes at every step shows
    which step's input each update uses.
    """

    id: str
    seed: int
    duration: float  # ms
    mean: float  # nA
    noise: float  # nA
    onset: float = 0.0  # ms
    params: dict = field(default_factory=dict)

    @property
    def dt(self) -> float:
        return float(self.params["dt"])

    @property
    def n_steps(self) -> int:
        return int(round(self.duration / self.dt))

    @cached_property
    def current(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        t = np.arange(self.n_steps) * self.dt
        current = self.mean + self.noise * rng.standard_normal(self.n_steps)
        current[t < self.onset] = 0.0
        return current

    def kwargs(self) -> dict:
        return {"I": self.current, **self.params}

    def probe(self) -> Probe:
        return Probe(id=self.id, function="simulate_lif", kwargs=self.kwargs())

    def describe(self) -> str:
        """The trial in words, for messages (the current itself stays hidden)."""
        params = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        onset = f" from t = {self.onset:g} ms" if self.onset else ""
        return (f"{self.duration:g} ms of a noisy current of mean {self.mean:g} nA{onset}, "
                f"with {params}")


SIMULATION_TRIALS: tuple[CurrentTrial, ...] = (
    CurrentTrial("trial 1", seed=8101, duration=300.0, mean=0.45, noise=0.3, params=dict(
        dt=0.125, C_m=0.25, R_m=40.0, V_rest=-65.0, V_th=-50.0, V_reset=-70.0, t_ref=1.5)),
    CurrentTrial("trial 2", seed=8102, duration=200.0, mean=0.25, noise=0.15, onset=20.0,
                 params=dict(dt=0.0625, C_m=0.15, R_m=100.0, V_rest=-72.0, V_th=-54.0,
                             V_reset=-77.0, t_ref=2.5)),
    CurrentTrial("trial 3", seed=8103, duration=400.0, mean=0.7, noise=0.2, onset=100.0,
                 params=dict(dt=0.25, C_m=0.5, R_m=40.0, V_rest=-68.0, V_th=-52.0,
                             V_reset=-60.0, t_ref=3.0)),
)


@dataclass(frozen=True)
class RateTrial:
    """One call of ``lif_rate`` at a constant current."""

    id: str
    current: float  # nA
    params: dict = field(default_factory=dict)

    def kwargs(self) -> dict:
        return {"I": self.current, **self.params}

    def probe(self) -> Probe:
        return Probe(id=self.id, function="lif_rate", kwargs=self.kwargs())

    def describe(self) -> str:
        return "lif_rate(" + ", ".join(f"{k}={v:g}" for k, v in self.kwargs().items()) + ")"


def _rheobase(params: dict) -> float:
    return (params["V_th"] - params["V_rest"]) / params["R_m"]


#: Parameter sets of the rate checks (none of them the defaults).
RATE_PARAMETERS: tuple[dict, ...] = (
    dict(C_m=0.25, R_m=40.0, V_rest=-65.0, V_th=-50.0, V_reset=-70.0, t_ref=1.5),
    dict(C_m=0.15, R_m=100.0, V_rest=-72.0, V_th=-54.0, V_reset=-77.0, t_ref=2.5),
    dict(C_m=0.5, R_m=40.0, V_rest=-68.0, V_th=-52.0, V_reset=-60.0, t_ref=3.0),
)
#: Currents, as multiples of each parameter set's rheobase.
RATE_MULTIPLES: tuple[float, ...] = (0.5, 0.97, 1.03, 1.3, 2.0, 5.0)

RATE_TRIALS: tuple[RateTrial, ...] = tuple(
    RateTrial(f"set {n + 1}, {m:g} x rheobase", round(m * _rheobase(p), 6), p)
    for n, p in enumerate(RATE_PARAMETERS) for m in RATE_MULTIPLES)
