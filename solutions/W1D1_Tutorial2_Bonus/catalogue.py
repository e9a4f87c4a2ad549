"""A catalogue of student answers to the bonus assignment, with their expected verdicts.

Used by the test suite (every answer must be classified right, directly and through both
graders; the self-checks must give the expected hint) and by ``make demo`` (a small sample
class). An answer is what a student types in place of an exercise's stub (``body``: a few lines,
indented as the stub was) or a whole rewritten function (``whole``).

Expected verdicts:

* ``correct``: the exercise's hidden test cell passes (for ``firing_rate``, whose hidden tests
  are plain asserts, that is their verdict; for the others, the trusted check's);
* ``mistake``: the known mistake the trusted check names (:mod:`.mistakes`), when it is one;
* ``hint``: a phrase of the public self-check's failure message, or None when the self-check
  passes (the mistake does not show at the public parameters, or the answer is correct).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import nbformat
from nbformat.notebooknode import NotebookNode

#: The release's stub that a student replaces (written by ClearSolutions.code_stub).
STUB = re.compile(r"^(?P<indent>[ \t]*)# TODO: write your answer here.*\n"
                  r"[ \t]*raise NotImplementedError\(.*\)$", re.M)
STUB_LINES = ('# TODO: write your answer here (see the exercise above), then delete the next '
              'line\nraise NotImplementedError("Exercise: write your answer here")')
#: Where each exercise's function ends in its cell (the example run follows).
EXAMPLE = "\n\n\n# Example"

EXERCISE_CELLS = {"simulate_lif": "ex1_simulate_lif", "firing_rate": "ex2_firing_rate",
                  "lif_rate": "ex3_lif_rate"}
HIDDEN_CELLS = {"simulate_lif": "ex1_hidden", "firing_rate": "ex2_hidden",
                "lif_rate": "ex3_hidden"}
PUBLIC_CELLS = {"simulate_lif": "ex1_public", "firing_rate": "ex2_public",
                "lif_rate": "ex3_public"}
E1, E2, E3 = "simulate_lif", "firing_rate", "lif_rate"


@dataclass(frozen=True)
class Answer:
    """One way a student may answer one exercise."""

    key: str
    function: str
    correct: bool
    body: str = ""
    whole: str = ""
    mistake: str | None = None
    hint: str | None = None

    @property
    def label(self) -> str:
        verdict = "accepted" if self.correct else "rejected"
        return f"{self.function}: {self.key} is {verdict}"


def _ok(function: str, key: str, body: str = "", whole: str = "") -> Answer:
    return Answer(key, function, True, textwrap.dedent(body).strip("\n"),
                  textwrap.dedent(whole).strip("\n"))


def _bad(function: str, key: str, body: str = "", whole: str = "", mistake: str | None = None,
         hint: str | None = None) -> Answer:
    return Answer(key, function, False, textwrap.dedent(body).strip("\n"),
                  textwrap.dedent(whole).strip("\n"), mistake, hint)


# --- Exercise 1: simulate_lif ---------------------------------------------------------------

def _lif_body(euler: str = "dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])\n"
                           "v[i + 1] = v[i] + dv",
              clamp: str = "v[i + 1] = V_reset", reset: str = "v[i + 1] = V_reset",
              threshold: str = "if v[i + 1] >= V_th:", record: str = "(i + 1) * dt",
              start: str = "refractory = n_ref", refractory: str = "if refractory > 0:") -> str:
    """The reference's loop body with one part written another way (or wrongly)."""
    euler = "\n".join(line for line in euler.splitlines())
    return "\n".join([
        refractory, f"    {clamp}", "    refractory -= 1", "    continue", euler, threshold,
        f"    spike_times.append({record})", f"    {reset}", f"    {start}"])


_SIGNATURE = ("def simulate_lif(I, dt=0.1, C_m=0.2, R_m=50.0, V_rest=-70.0, V_th=-55.0, "
              "V_reset=-75.0,\n                 t_ref=2.0):")

_WHILE_LOOP = f'''
{_SIGNATURE}
    """A while loop, v as a list and spike times as an array."""
    n_steps = len(I)
    n_ref = int(round(t_ref / dt))
    v = [V_rest] * n_steps
    spike_times = []
    refractory = 0
    i = 0
    while i < n_steps - 1:
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
        else:
            v[i + 1] = v[i] + dt / C_m * (I[i] - (v[i] - V_rest) / R_m)
            if v[i + 1] >= V_th:
                spike_times.append((i + 1) * dt)
                v[i + 1] = V_reset
                refractory = n_ref
        i += 1
    return v, np.array(spike_times)
'''

_FLOAT32 = f'''
{_SIGNATURE}
    """Every quantity in single precision."""
    n_steps = len(I)
    n_ref = int(round(t_ref / dt))
    current = np.asarray(I, dtype=np.float32)
    dt32, tau32, r32 = np.float32(dt), np.float32(R_m * C_m), np.float32(R_m)
    v = np.zeros(n_steps, dtype=np.float32)
    v[0] = V_rest
    spike_times = []
    refractory = 0
    for i in range(n_steps - 1):
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
            continue
        v[i + 1] = v[i] + dt32 / tau32 * (-(v[i] - np.float32(V_rest)) + r32 * current[i])
        if v[i + 1] >= np.float32(V_th):
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
            refractory = n_ref
    return v, spike_times
'''

_PRINTS = f'''
{_SIGNATURE}
    """Prints and warns while it runs."""
    import warnings
    warnings.warn("simulating a LIF neuron")
    n_steps = len(I)
    n_ref = int(round(t_ref / dt))
    v = np.zeros(n_steps)
    v[0] = V_rest
    spike_times = []
    refractory = 0
    for i in range(n_steps - 1):
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
            continue
        v[i + 1] = v[i] + dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
        if v[i + 1] >= V_th:
            print("spike at", (i + 1) * dt, "ms")
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
            refractory = n_ref
    return v, spike_times
'''

_DRIVE = f'''
{_SIGNATURE}
    """The input's drive R_m I computed for all steps at once, the leak as a factor."""
    n_steps = len(I)
    n_ref = int(round(t_ref / dt))
    drive = R_m * np.asarray(I)
    decay = 1 - dt / (R_m * C_m)
    v = np.full(n_steps, float(V_rest))
    spike_times = []
    refractory = 0
    for i in range(n_steps - 1):
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
            continue
        v[i + 1] = V_rest + decay * (v[i] - V_rest) + dt / (R_m * C_m) * drive[i]
        if v[i + 1] >= V_th:
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
            refractory = n_ref
    return v, spike_times
'''

_RESET_LATE = f'''
{_SIGNATURE}
    """The threshold checked on v[i] at the start of the next step: the reset comes one step
    late, and v is left above threshold for a step."""
    n_steps = len(I)
    n_ref = int(round(t_ref / dt))
    v = np.zeros(n_steps)
    v[0] = V_rest
    spike_times = []
    refractory = 0
    for i in range(n_steps - 1):
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
            continue
        if v[i] >= V_th:
            spike_times.append(i * dt)
            v[i + 1] = V_reset
            refractory = n_ref
            continue
        v[i + 1] = v[i] + dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
    return v, spike_times
'''

_EULER = "dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])\nv[i + 1] = v[i] + dv"

SIMULATION_ANSWERS: tuple[Answer, ...] = (
    # ---- correct -----------------------------------------------------------------------------
    _ok(E1, "the reference form", _lif_body()),
    _ok(E1, "the equation's form",
        _lif_body(euler="dv = dt / C_m * (-(v[i] - V_rest) / R_m + I[i])\n"
                        "v[i + 1] = v[i] + dv")),
    _ok(E1, "a tau_m variable",
        _lif_body(euler="tau_m = R_m * C_m\n"
                        "v[i + 1] = v[i] + dt / tau_m * (V_rest - v[i] + R_m * I[i])")),
    _ok(E1, "relaxation toward V_inf",
        _lif_body(euler="v_inf = V_rest + R_m * I[i]\n"
                        "v[i + 1] = v[i] + (v_inf - v[i]) * dt / (R_m * C_m)")),
    _ok(E1, "a strict threshold", _lif_body(threshold="if v[i + 1] > V_th:")),
    _ok(E1, "the spike time as i dt plus dt", _lif_body(record="i * dt + dt")),
    _ok(E1, "units converted to SI and back",
        _lif_body(euler="dv_volts = (dt * 1e-3) / (C_m * 1e-9) * (\n"
                        "    -(v[i] - V_rest) * 1e-3 / (R_m * 1e6) + I[i] * 1e-9)\n"
                        "v[i + 1] = v[i] + dv_volts * 1e3")),
    _ok(E1, "an exactly rounded sum",
        _lif_body(euler="import math\n"
                        "v[i + 1] = math.fsum([v[i], -dt / (R_m * C_m) * (v[i] - V_rest),\n"
                        "                      dt / C_m * I[i]])")),
    _ok(E1, "if and else instead of continue", """
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
        else:
            v[i + 1] = v[i] + dt / C_m * (I[i] - (v[i] - V_rest) / R_m)
            if v[i + 1] >= V_th:
                spike_times.append((i + 1) * dt)
                v[i + 1] = V_reset
                refractory = n_ref
        """),
    _ok(E1, "the step computed first and overridden while refractory", """
        v[i + 1] = v[i] + dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
        elif v[i + 1] >= V_th:
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
            refractory = n_ref
        """),
    _ok(E1, "the refractory period from the last spike time", """
        if spike_times and (i + 1) * dt - spike_times[-1] <= t_ref + dt / 2:
            v[i + 1] = V_reset
            continue
        v[i + 1] = v[i] + dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
        if v[i + 1] >= V_th:
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
        """),
    _ok(E1, "the refractory period from the last spike step", """
        if spike_times and i + 1 - round(spike_times[-1] / dt) <= n_ref:
            v[i + 1] = V_reset
            continue
        v[i + 1] = v[i] + dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
        if v[i + 1] >= V_th:
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
        """),
    _ok(E1, "the counter as a truth value", _lif_body(refractory="if refractory:")),
    _ok(E1, "the current as a float", _lif_body(
        euler="current = float(I[i])\n"
              "v[i + 1] = v[i] + dt * (current - (v[i] - V_rest) / R_m) / C_m")),
    _ok(E1, "a while loop with v as a list", whole=_WHILE_LOOP),
    _ok(E1, "everything in float32", whole=_FLOAT32),
    _ok(E1, "printing and warning", whole=_PRINTS),
    _ok(E1, "the drive precomputed and the leak as a factor", whole=_DRIVE),
    # ---- mistakes ----------------------------------------------------------------------------
    _bad(E1, "dt missing",
         _lif_body(euler="dv = 1 / C_m * (-(v[i] - V_rest) / R_m + I[i])\nv[i + 1] = v[i] + dv"),
         mistake="missing_dt", hint="is dt missing"),
    _bad(E1, "the leak toward 0",
         _lif_body(euler="dv = dt / C_m * (-v[i] / R_m + I[i])\nv[i + 1] = v[i] + dv"),
         mistake="leak_toward_zero", hint="climbs toward 0 mV"),
    _bad(E1, "R_m and C_m swapped",
         _lif_body(euler="dv = dt / R_m * (-(v[i] - V_rest) / C_m + I[i])\nv[i + 1] = v[i] + dv"),
         mistake="rm_cm_confused", hint="R_m and C_m swapped"),
    _bad(E1, "the drive converted to volts",
         _lif_body(euler="drive = R_m * I[i] / 1000  # MOhm x nA = 1e-3 V\n"
                         "v[i + 1] = v[i] + dt / (R_m * C_m) * (-(v[i] - V_rest) + drive)"),
         mistake="mv_mixed_with_v", hint="1000 times too weak"),
    _bad(E1, "the leak with the wrong sign",
         _lif_body(euler="dv = dt / C_m * ((v[i] - V_rest) / R_m + I[i])\nv[i + 1] = v[i] + dv"),
         mistake="leak_wrong_sign", hint="sign of the leak"),
    _bad(E1, "tau_m as R_m over C_m",
         _lif_body(euler="tau_m = R_m / C_m\n"
                         "v[i + 1] = v[i] + dt / tau_m * (-(v[i] - V_rest) + R_m * I[i])"),
         mistake="tau_r_over_c", hint="not R_m / C_m"),
    _bad(E1, "the next step's current",
         _lif_body(euler="dv = dt / C_m * (-(v[i] - V_rest) / R_m + I[i + 1])\n"
                         "v[i + 1] = v[i] + dv"),
         mistake="input_next_step", hint="uses I[i], not I[i + 1]"),
    _bad(E1, "dt hard-coded",
         _lif_body(euler="dv = 0.1 / C_m * (-(v[i] - V_rest) / R_m + I[i])\nv[i + 1] = v[i] + dv"),
         mistake="hardcoded_dt"),
    _bad(E1, "no refractory period", """
        dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
        v[i + 1] = v[i] + dv
        if v[i + 1] >= V_th:
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
        """, mistake="no_refractory", hint="no refractory period"),
    _bad(E1, "a refractory period one step too long", _lif_body(start="refractory = n_ref + 1"),
         mistake="refractory_too_long", hint="for 21 step(s)"),
    _bad(E1, "a refractory period one step too short",
         _lif_body(start="refractory = n_ref - 1"),
         mistake="refractory_too_short", hint="for 19 step(s)"),
    _bad(E1, "held at rest while refractory", _lif_body(clamp="v[i + 1] = V_rest"),
         mistake="refractory_at_rest", hint="held at V_reset, not V_rest"),
    _bad(E1, "reset to rest", _lif_body(reset="v[i + 1] = V_rest"),
         mistake="reset_to_rest", hint="not to V_rest"),
    _bad(E1, "no reset", _lif_body(reset="pass"), mistake="no_reset",
         hint="Is v reset at all?"),
    _bad(E1, "the threshold hard-coded", _lif_body(threshold="if v[i + 1] >= -55:"),
         mistake="hardcoded_threshold"),
    _bad(E1, "spike times as step numbers", _lif_body(record="i + 1"), mistake="spike_steps",
         hint="look like step numbers"),
    _bad(E1, "spike times one step early", _lif_body(record="i * dt"),
         mistake="spike_one_step_early", hint="one step early"),
    _bad(E1, "the threshold in volts", _lif_body(threshold="if v[i + 1] >= V_th / 1000:"),
         hint="never fires"),
    _bad(E1, "the exact exponential update instead of the Euler step",
         _lif_body(euler="v_inf = V_rest + R_m * I[i]\n"
                         "v[i + 1] = v_inf + (v[i] - v_inf) * np.exp(-dt / (R_m * C_m))"),
         hint="check the Euler step dv"),
    _bad(E1, "the reset one step late", whole=_RESET_LATE, hint="Is v reset at all?"),
    _bad(E1, "the refractory counter never decremented", """
        if refractory > 0:
            v[i + 1] = V_reset
            continue
        v[i + 1] = v[i] + dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
        if v[i + 1] >= V_th:
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
            refractory = n_ref
        """, hint="It should stay there for n_ref"),
    _bad(E1, "the stub left in", STUB_LINES, hint="still raises NotImplementedError"),
    _bad(E1, "the placeholder left in", "dv = ...\nv[i + 1] = v[i] + dv",
         hint="placeholder `...`"),
)

# --- Exercise 2: firing_rate ----------------------------------------------------------------

_GUARD = "if len(spike_times) < 2:\n    return 0.0\n"

RATE_OF_TRAIN_ANSWERS: tuple[Answer, ...] = (
    _ok(E2, "the reference form", _GUARD + "isi = np.diff(spike_times)\n"
                                           "return 1000.0 / np.mean(isi)"),
    _ok(E2, "intervals over the span", _GUARD + "n_intervals = len(spike_times) - 1\n"
        "return 1000.0 * n_intervals / (spike_times[-1] - spike_times[0])"),
    _ok(E2, "the mean interval in seconds", _GUARD + "mean_isi_s = np.mean(np.diff(spike_times)) "
                                                    "/ 1000\nreturn 1 / mean_isi_s"),
    _ok(E2, "a loop over the intervals", """
        if len(spike_times) <= 1:
            return 0
        total = 0.0
        for a, b in zip(spike_times[:-1], spike_times[1:]):
            total += b - a
        return 1e3 * (len(spike_times) - 1) / total
        """),
    _ok(E2, "the statistics module", _GUARD + "import statistics\n"
        "return 1000 / statistics.mean(np.diff(spike_times))"),
    _ok(E2, "an array first", "times = np.asarray(spike_times, dtype=float)\n"
        "if times.size < 2:\n    return 0.0\nreturn float(1e3 / np.diff(times).mean())"),
    _ok(E2, "a conditional expression", "isi = np.diff(spike_times)\n"
        "return 1000.0 / isi.mean() if len(isi) > 0 else 0.0"),
    _ok(E2, "the intervals by slicing", _GUARD + "times = np.array(spike_times)\n"
        "return 1000.0 / np.mean(times[1:] - times[:-1])"),
    # ---- mistakes ----------------------------------------------------------------------------
    _bad(E2, "spikes per ms", _GUARD + "return 1.0 / np.mean(np.diff(spike_times))",
         hint="spikes per ms"),
    _bad(E2, "the count over the last spike time",
         _GUARD + "return 1000.0 * len(spike_times) / spike_times[-1]",
         hint="over the last spike time"),
    _bad(E2, "the count over the span",
         _GUARD + "return 1000.0 * len(spike_times) / (spike_times[-1] - spike_times[0])",
         hint="make only 3 intervals"),
    _bad(E2, "the mean instantaneous rate",
         _GUARD + "return np.mean(1000.0 / np.diff(spike_times))",
         hint="average instantaneous rate"),
    _bad(E2, "the median interval", _GUARD + "return 1000.0 / np.median(np.diff(spike_times))",
         hint="median interval"),
    _bad(E2, "no guard for short trains", "return 1000.0 / np.mean(np.diff(spike_times))",
         hint="fewer than two spikes"),
    _bad(E2, "the mean of the spike times", _GUARD + "return 1000.0 / np.mean(spike_times)",
         hint="1000 / (mean inter-spike interval in ms)"),
    _bad(E2, "the intervals returned", _GUARD + "return np.diff(spike_times)",
         hint="should return one number"),
    _bad(E2, "the intervals reversed", _GUARD + "isi = np.array(spike_times[:-1]) - "
         "np.array(spike_times[1:])\nreturn 1000.0 / np.mean(isi)",
         hint="1000 / (mean inter-spike interval in ms)"),
    _bad(E2, "the stub left in", STUB_LINES, hint="still raises NotImplementedError"),
)

# --- Exercise 3: lif_rate -------------------------------------------------------------------

_RATE = ("tau_m = R_m * C_m\nV_inf = V_rest + R_m * I\nif V_inf <= V_th:\n    return 0.0\n"
         "period = t_ref + tau_m * np.log((V_inf - V_reset) / (V_inf - V_th))\n"
         "return 1000.0 / period")

ANALYTIC_RATE_ANSWERS: tuple[Answer, ...] = (
    _ok(E3, "the reference form", _RATE),
    _ok(E3, "the rheobase as a current", """
        if I <= (V_th - V_rest) / R_m:
            return 0.0
        tau_m = R_m * C_m
        T = tau_m * np.log((V_rest + R_m * I - V_reset) / (V_rest + R_m * I - V_th))
        return 1000.0 / (t_ref + T)
        """),
    _ok(E3, "math.log", _RATE.replace("np.log", "math.log").replace("tau_m = R_m", "import math\n"
                                                                     "tau_m = R_m", 1)),
    _ok(E3, "a difference of logarithms",
        _RATE.replace("np.log((V_inf - V_reset) / (V_inf - V_th))",
                      "(np.log(V_inf - V_reset) - np.log(V_inf - V_th))")),
    _ok(E3, "the inverted ratio with a minus sign",
        _RATE.replace("tau_m * np.log((V_inf - V_reset) / (V_inf - V_th))",
                      "-tau_m * np.log((V_inf - V_th) / (V_inf - V_reset))")),
    _ok(E3, "log1p", _RATE.replace("np.log((V_inf - V_reset) / (V_inf - V_th))",
                                   "np.log1p((V_th - V_reset) / (V_inf - V_th))")),
    _ok(E3, "the period in seconds", _RATE.replace("return 1000.0 / period",
                                                   "return 1.0 / (period * 1e-3)")),
    _ok(E3, "a strict rheobase test", _RATE.replace("if V_inf <= V_th:", "if V_inf < V_th:")),
    _ok(E3, "a float returned", _RATE.replace("return 1000.0 / period",
                                              "return float(1000.0 / period)")),
    _ok(E3, "everything in SI units", """
        tau_s = (R_m * 1e6) * (C_m * 1e-9)
        v_inf = (V_rest + R_m * I) * 1e-3
        if v_inf <= V_th * 1e-3:
            return 0.0
        climb = tau_s * np.log((v_inf - V_reset * 1e-3) / (v_inf - V_th * 1e-3))
        return 1.0 / (t_ref * 1e-3 + climb)
        """),
    # ---- mistakes ----------------------------------------------------------------------------
    _bad(E3, "spikes per ms", _RATE.replace("return 1000.0 / period", "return 1 / period"),
         mistake="rate_per_ms", hint="spikes per ms"),
    _bad(E3, "the refractory period left out",
         _RATE.replace("period = t_ref + tau_m", "period = tau_m"),
         mistake="no_refractory_in_period", hint="t_ref is missing"),
    _bad(E3, "the climb from rest",
         _RATE.replace("(V_inf - V_reset)", "(V_inf - V_rest)"),
         mistake="climb_from_rest", hint="starts from V_rest"),
    _bad(E3, "the ratio upside down",
         _RATE.replace("np.log((V_inf - V_reset) / (V_inf - V_th))",
                       "np.log((V_inf - V_th) / (V_inf - V_reset))"),
         mistake="ratio_inverted", hint="upside down"),
    _bad(E3, "log10", _RATE.replace("np.log(", "np.log10("), mistake="log10",
         hint="uses log10"),
    _bad(E3, "no rheobase", _RATE.replace("if V_inf <= V_th:\n    return 0.0\n", ""),
         mistake="no_rheobase", hint="Below the rheobase"),
    _bad(E3, "only positive currents tested",
         _RATE.replace("if V_inf <= V_th:", "if I <= 0:"),
         mistake="no_rheobase", hint="Below the rheobase"),
    _bad(E3, "the rheobase from V_reset",
         _RATE.replace("if V_inf <= V_th:", "if V_reset + R_m * I <= V_th:"),
         mistake="rheobase_from_reset", hint="V_reset does not enter the rheobase"),
    _bad(E3, "tau_m as R_m over C_m", _RATE.replace("tau_m = R_m * C_m", "tau_m = R_m / C_m"),
         mistake="rate_tau_r_over_c", hint="not R_m / C_m"),
    _bad(E3, "the period returned", _RATE.replace("return 1000.0 / period", "return period"),
         hint="check the period"),
    _bad(E3, "the stub left in", STUB_LINES, hint="still raises NotImplementedError"),
)

ANSWERS: tuple[Answer, ...] = SIMULATION_ANSWERS + RATE_OF_TRAIN_ANSWERS + ANALYTIC_RATE_ANSWERS


def answers_for(function: str, correct: bool | None = None) -> tuple[Answer, ...]:
    return tuple(a for a in ANSWERS if a.function == function
                 and (correct is None or a.correct == correct))


def answer(function: str, key: str) -> Answer:
    return next(a for a in ANSWERS if a.function == function and a.key == key)


# --- putting answers into notebooks -------------------------------------------------------------

def fill_in_cell(source: str, ans: Answer) -> str:
    """A release exercise cell with the stub replaced by the answer."""
    if ans.whole:
        start = source.index(f"def {ans.function}(")
        end = source.index(EXAMPLE)
        return source[:start] + ans.whole + source[end:]
    match = STUB.search(source)
    if match is None:
        raise ValueError(f"no exercise stub found in the cell for {ans.function}")
    indent = match.group("indent")
    lines = "\n".join(indent + line if line else line for line in ans.body.splitlines())
    return source[: match.start()] + lines + source[match.end():]


def _cell(nb: NotebookNode, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def fill_in(release_nb: NotebookNode, *answers: Answer, written: str | None = None
            ) -> NotebookNode:
    """A copy of the release notebook as a student who gave these answers would submit it
    (``written``: the answer to the written question, if any)."""
    nb = nbformat.reads(nbformat.writes(nbformat.from_dict(release_nb)), as_version=4)
    for ans in answers:
        cell = _cell(nb, EXERCISE_CELLS[ans.function])
        cell.source = fill_in_cell(cell.source, ans)
    if written is not None:
        _cell(nb, "ex3_written").source = written
    return nb


def function_source(release_nb: NotebookNode, ans: Answer) -> str:
    """Just the answered function's definition (no example run), for direct calls."""
    filled = fill_in_cell(_cell(release_nb, EXERCISE_CELLS[ans.function]).source, ans)
    return filled[: filled.index(EXAMPLE)]
