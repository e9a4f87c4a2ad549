"""The bonus assignment's reference model: the Euler simulation follows the analytic f-I curve,
the master's solutions are the reference, and the hidden trials and known mistakes do their job."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from solutions.W1D1_Tutorial2_Bonus import models
from solutions.W1D1_Tutorial2_Bonus.context import ReferenceContext
from solutions.W1D1_Tutorial2_Bonus.mistakes import MISTAKES, build_mutant
from solutions.W1D1_Tutorial2_Bonus.notebook_checks import judge_lif_rate, judge_simulate_lif
from solutions.W1D1_Tutorial2_Bonus.trials import RATE_PARAMETERS, SIMULATION_TRIALS
from tests.bonus import MASTER, cell, read

DEFAULTS = {name: p.default for name, p in
            inspect.signature(models.simulate_lif).parameters.items() if name != "I"}
NEURONS = {
    "the default neuron": {},
    "a fast membrane with the reset above rest": dict(C_m=0.1, R_m=80.0, V_rest=-65.0,
                                                      V_th=-50.0, V_reset=-60.0, t_ref=1.0),
    "a slow membrane with a long refractory period": dict(C_m=0.5, R_m=40.0, V_rest=-72.0,
                                                          V_th=-54.0, V_reset=-78.0, t_ref=4.0),
}


def euler_tolerance(period: float, dt: float, params: dict) -> float:
    """The notebook's tolerance: one time step, plus dt / tau_m of the climb, plus how far the
    refractory period is from a whole number of steps."""
    p = {**DEFAULTS, **params}
    tau_m = p["R_m"] * p["C_m"]
    n_ref = int(round(p["t_ref"] / dt))
    return dt + (period - p["t_ref"]) * dt / tau_m + abs(n_ref * dt - p["t_ref"])


def simulated_period(current: float, dt: float, params: dict) -> float:
    period = 1000.0 / models.lif_rate(current, **params)
    v, spike_times = models.simulate_lif(np.full(int(round(8 * period / dt)), current), dt=dt,
                                         **params)
    return float(np.mean(np.diff(spike_times)))


@pytest.mark.parametrize("neuron", sorted(NEURONS))
@pytest.mark.parametrize("dt", [0.25, 0.1, 0.0625, 0.01], ids=lambda dt: f"dt = {dt} ms")
@pytest.mark.parametrize("multiple", [1.02, 1.2, 2.0, 6.0],
                         ids=lambda m: f"{m} times the rheobase")
def test_the_euler_simulation_follows_the_analytic_rate_within_its_tolerance(neuron, dt,
                                                                              multiple):
    params = NEURONS[neuron]
    p = {**DEFAULTS, **params}
    current = multiple * (p["V_th"] - p["V_rest"]) / p["R_m"]
    period = 1000.0 / models.lif_rate(current, **params)
    simulated = simulated_period(current, dt, params)
    assert abs(simulated - period) <= euler_tolerance(period, dt, params)


@pytest.mark.parametrize("neuron", sorted(NEURONS))
def test_the_euler_error_shrinks_with_the_time_step(neuron):
    params = NEURONS[neuron]
    p = {**DEFAULTS, **params}
    currents = [m * (p["V_th"] - p["V_rest"]) / p["R_m"] for m in (1.1, 1.5, 3.0)]
    errors = {dt: max(abs(simulated_period(i, dt, params) - 1000.0 / models.lif_rate(i, **params))
                      for i in currents) for dt in (0.2, 0.02)}
    assert errors[0.02] < errors[0.2] / 3


@pytest.mark.parametrize("neuron", sorted(NEURONS))
def test_below_the_rheobase_the_neuron_never_fires_and_the_rate_is_zero(neuron):
    params = NEURONS[neuron]
    p = {**DEFAULTS, **params}
    current = 0.98 * (p["V_th"] - p["V_rest"]) / p["R_m"]
    v, spike_times = models.simulate_lif(np.full(20000, current), **params)
    assert spike_times == [] and models.lif_rate(current, **params) == 0.0
    assert v[-1] == pytest.approx(p["V_rest"] + p["R_m"] * current, abs=1e-6)


def master_function(name: str):
    source = cell(read(MASTER), {"simulate_lif": "ex1_simulate_lif", "firing_rate":
                                 "ex2_firing_rate", "lif_rate": "ex3_lif_rate"}[name]).source
    namespace = {"np": np}
    exec(source[: source.index("\n\n\n# Example")], namespace)
    return namespace[name]


@pytest.mark.parametrize("trial", SIMULATION_TRIALS, ids=lambda t: f"on {t.id}")
def test_the_masters_simulate_lif_is_the_reference(trial):
    ours = master_function("simulate_lif")(**trial.kwargs())
    ref = models.simulate_lif(**trial.kwargs())
    assert np.array_equal(ours[0], ref[0]) and ours[1] == ref[1]


def test_the_masters_firing_rate_and_lif_rate_are_the_reference():
    rate, theory = master_function("firing_rate"), master_function("lif_rate")
    for train in ([], [3.0], [1.0, 4.0, 20.0], list(np.cumsum(np.arange(1.0, 30.0)))):
        assert rate(train) == models.firing_rate(train)
    for params in RATE_PARAMETERS:
        for current in np.linspace(0.0, 2.0, 41):
            assert theory(current, **params) == models.lif_rate(current, **params)


# --- the hidden trials and the known mistakes --------------------------------------------------

@pytest.mark.parametrize("trial", SIMULATION_TRIALS, ids=lambda t: f"{t.id} avoids the defaults")
def test_hidden_trials_avoid_the_defaults_and_make_the_neuron_fire(trial):
    for name, value in trial.params.items():
        assert value != DEFAULTS[name], f"{name} is the default"
    assert trial.dt in (0.25, 0.125, 0.0625), "time steps are exact binary fractions"
    assert (trial.params["t_ref"] / trial.dt).is_integer()
    ratio = trial.params["R_m"] / trial.params["C_m"]
    assert abs(ratio - 1000) > 100, "confusing R_m with C_m must differ from mixing mV with V"
    assert len(models.simulate_lif(**trial.kwargs())[1]) >= 5


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.function}: {m.key} is named")
def test_each_known_mistake_is_named_as_itself(mistake):
    judge = judge_simulate_lif if mistake.function == "simulate_lif" else judge_lif_rate
    verdict = judge(build_mutant(mistake), ReferenceContext())
    assert not verdict.passed
    assert verdict.mistake == mistake, f"named {verdict.mistake}"
