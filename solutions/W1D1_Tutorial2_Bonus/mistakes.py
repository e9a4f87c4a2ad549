"""Known mistakes, as one-line edits of the reference, run as mutants to name what went wrong.

Each mutant is a reference function of :mod:`.models` with a line or two changed, built from its
source: the model is never restated here, only the mistake. When a student's function gives the
same results as a mutant on every hidden trial, the verdict names the mistake in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from autograder.mutation import compile_edited
from solutions.W1D1_Tutorial2_Bonus import models

#: The reference's lines the mistakes edit (a test fails when the reference no longer has them).
EULER = "dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])"
CLAMP, RESET = ("v[i + 1] = V_reset", 0), ("v[i + 1] = V_reset", 1)
PERIOD = "period = t_ref + tau_m * np.log((V_inf - V_reset) / (V_inf - V_th))"


@dataclass(frozen=True)
class Mistake:
    """A known mistake: which function, what it changes, and how to say it.

    ``edits``: ``(old line, new line)``, or ``((old line, n), new line)`` for the n-th of several
    equal lines (comments ignored).
    """

    key: str
    function: str
    description: str
    edits: tuple = ()


def _sim(key: str, old, new: str, description: str) -> Mistake:
    return Mistake(key, "simulate_lif", description, ((old, new),))


def _rate(key: str, old, new: str, description: str) -> Mistake:
    return Mistake(key, "lif_rate", description, ((old, new),))


MISTAKES: tuple[Mistake, ...] = (
    # --- Exercise 1: simulate_lif -------------------------------------------------------------
    _sim("missing_dt", EULER, "dv = 1 / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])",
         "dt is missing from the Euler step: each step adds the whole rate of change dV/dt to v "
         "instead of dt times it"),
    _sim("leak_toward_zero", EULER, "dv = dt / (R_m * C_m) * (-v[i] + R_m * I[i])",
         "the leak pulls v toward 0 mV instead of toward V_rest: the leak term is "
         "-(V - V_rest) / R_m, not -V / R_m"),
    _sim("rm_cm_confused", EULER, "dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + C_m * I[i])",
         "R_m and C_m are confused in the input term: the current should move v by "
         "dt I / C_m per step, and here it moves v by dt I / R_m"),
    _sim("mv_mixed_with_v", EULER,
         "dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i] * 1e-3)",
         "mV are mixed with V: R_m I is already in mV (MOhm x nA = mV), but it is converted to "
         "volts (x 1e-3) and then added to potentials in mV, so the input is 1000 times too weak"),
    _sim("leak_wrong_sign", EULER, "dv = dt / (R_m * C_m) * ((v[i] - V_rest) + R_m * I[i])",
         "the leak has the wrong sign: it pushes v away from V_rest instead of back toward it"),
    _sim("tau_r_over_c", EULER, "dv = dt / (R_m / C_m) * (-(v[i] - V_rest) + R_m * I[i])",
         "the membrane time constant is R_m / C_m; it is tau_m = R_m C_m"),
    _sim("input_next_step", EULER, "dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i + 1])",
         "the input of the next step, I[i + 1], is used: the Euler step from v[i] to v[i + 1] "
         "uses the current at step i, I[i]"),
    _sim("hardcoded_dt", EULER, "dv = 0.1 / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])",
         "dt is hard-coded as 0.1 ms in the Euler step instead of using the argument dt"),
    _sim("no_refractory", "if refractory > 0:", "if False:",
         "there is no refractory period: after a spike, v should stay at V_reset for t_ref "
         "before it integrates its input again"),
    _sim("refractory_too_long", "refractory = n_ref", "refractory = n_ref + 1",
         "the refractory period lasts one time step too long: v should stay at V_reset for "
         "n_ref = t_ref / dt steps after the spike's own step"),
    _sim("refractory_too_short", "refractory = n_ref", "refractory = n_ref - 1",
         "the refractory period is one time step too short: v should stay at V_reset for "
         "n_ref = t_ref / dt steps after the spike's own step"),
    _sim("refractory_at_rest", CLAMP, "v[i + 1] = V_rest",
         "during the refractory period v is held at V_rest instead of V_reset"),
    _sim("reset_to_rest", RESET, "v[i + 1] = V_rest",
         "after a spike v is reset to V_rest instead of V_reset"),
    _sim("no_reset", RESET, "pass",
         "v is not reset to V_reset when it reaches the threshold"),
    _sim("hardcoded_threshold", "if v[i + 1] >= V_th:", "if v[i + 1] >= -55.0:",
         "the threshold is hard-coded as -55 mV instead of using the argument V_th"),
    _sim("spike_steps", "spike_times.append((i + 1) * dt)", "spike_times.append(i + 1)",
         "spike_times holds step numbers; it should hold times in ms (step number x dt)"),
    _sim("spike_one_step_early", "spike_times.append((i + 1) * dt)",
         "spike_times.append(i * dt)",
         "each spike time is one step early: the spike happens at step i + 1, at time "
         "(i + 1) dt"),
    # --- Exercise 3: lif_rate -------------------------------------------------------------------
    _rate("rate_per_ms", "return 1000.0 / period", "return 1.0 / period",
          "the rate is in spikes per ms: with the period in ms, the rate in Hz is 1000 / period"),
    _rate("no_refractory_in_period", PERIOD,
          "period = tau_m * np.log((V_inf - V_reset) / (V_inf - V_th))",
          "the refractory period is missing: one period is t_ref plus the time to climb from "
          "V_reset to V_th"),
    _rate("climb_from_rest", PERIOD,
          "period = t_ref + tau_m * np.log((V_inf - V_rest) / (V_inf - V_th))",
          "the climb to threshold starts from V_rest; after a spike it starts from V_reset"),
    _rate("ratio_inverted", PERIOD,
          "period = t_ref + tau_m * np.log((V_inf - V_th) / (V_inf - V_reset))",
          "the ratio inside the logarithm is upside down, so the time to threshold comes out "
          "negative"),
    _rate("log10", PERIOD,
          "period = t_ref + tau_m * np.log10((V_inf - V_reset) / (V_inf - V_th))",
          "the logarithm is log10; the exponential approach to V_inf needs the natural "
          "logarithm, ln (np.log)"),
    _rate("no_rheobase", "if V_inf <= V_th:", "if False:",
          "the formula is used below the rheobase too: when V_rest + R_m I does not exceed "
          "V_th the neuron never fires, and the rate is 0"),
    _rate("rheobase_from_reset", "if V_inf <= V_th:", "if V_reset + R_m * I <= V_th:",
          "the rheobase is computed from V_reset: the neuron fires when V_inf = V_rest + R_m I "
          "exceeds V_th"),
    _rate("rate_tau_r_over_c", "tau_m = R_m * C_m", "tau_m = R_m / C_m",
          "the membrane time constant is R_m / C_m; it is tau_m = R_m C_m"),
)


def mistakes_for(function: str) -> tuple[Mistake, ...]:
    return tuple(m for m in MISTAKES if m.function == function)


def mistake(function: str, key: str) -> Mistake:
    return next(m for m in MISTAKES if m.function == function and m.key == key)


@cache
def build_mutant(mistake: Mistake) -> Callable:
    """The reference with the mistake's lines replaced, compiled (:mod:`autograder.mutation`)."""
    return compile_edited(getattr(models, mistake.function), mistake.edits, mistake.key)
