"""The notebook's public self-checks, re-judged from plain data in the trusted process.

The release's ``self_check`` (setup section of the notebook) runs in the student's process, where
the student's code could rig it. The batch grader therefore applies the same checks here to the
values the student's function returned for the same calls (:data:`PUBLIC_TRIALS`), with the same
messages: they are what students read in their feedback. Keep the two in step: a test runs both
on the whole answer catalogue and requires the same verdict and the same message.

The self-checks compare a few statistics of one seeded run (spike count, mean ISI, ISI coefficient
of variation, lowest v) with the model's range. A correct answer that draws its random numbers
differently gets another run, so the ranges come from the reference's spread across seeds
(:func:`measure_ranges`): they are stored in ``calibration/self_checks.json`` and, as plain
numbers, in the notebook (a test keeps the three in agreement). The messages name a likely cause
in plain words without giving the update rule away; each is written for the mistakes it fires
on (tests/test_self_checks.py holds one per known mistake).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain
from solutions.W1D1_Tutorial2.structure import Finding
from solutions.W1D1_Tutorial2.trials import PUBLIC_PARAMETERS, PUBLIC_SEED, PUBLIC_TRIALS, Trial

RANGES_FILE = Path(__file__).with_name("calibration") / "self_checks.json"
#: Runs of the reference per public call, and the first of their seeds (far from every trial's).
RANGE_RUNS = 2000
RANGE_SEED_BASE = 20_000_000
#: The statistics compared, and the decimals each range is rounded (outwards) to.
DECIMALS = {"spikes": 0, "mean ISI": 2, "ISI CV": 3, "lowest v": 2}
#: |v| beyond this is a potential running away (the model's stays within a few tens).
RUNAWAY = 1e6

EXERCISE = {"lif_neuron": 1, "lif_neuron_inh": 2}
NAMES = {"lif_neuron": "exc, alpha, rate, v and i",
         "lif_neuron_inh": "exc, inh, alpha, beta, v and i"}
STEP_VALUES = {
    "lif_neuron": "this step's input, exc[i]",
    "lif_neuron_inh": "this step's inputs, exc[i] and inh[i], and the potential before the "
                      "update, v[i - 1]",
}
ROLES = {
    "lif_neuron": "alpha scales the input, and rate is the mean number of input spikes per step",
    "lif_neuron_inh": "alpha scales the input, beta sets the leak, and exc_rate and inh_rate are "
                      "the mean numbers of excitatory and inhibitory input spikes per step "
                      "(excitation pushes v up, inhibition pushes it down)",
}
EQUATION_2 = "compare each term of your dv with the equation dV_m = -βV_m + α(I_exc - I_inh)."


# --- the model's ranges ---------------------------------------------------------------------------

def statistics(v: np.ndarray, spike_times: np.ndarray) -> dict[str, float]:
    """The compared statistics of one run (computed as the notebook computes them)."""
    times = np.asarray(spike_times, dtype=np.float64)
    isi = np.diff(times)
    count = int(times.size)
    mean_isi = float(isi.mean()) if count >= 2 else math.nan
    cv = float(isi.std(ddof=1) / isi.mean()) if count >= 3 and isi.mean() > 0 else math.nan
    return {"spikes": count, "mean ISI": mean_isi, "ISI CV": cv,
            "lowest v": float(np.min(v))}


def _outwards(low: float, high: float, decimals: int) -> list[float]:
    scale = 10.0 ** decimals
    low, high = math.floor(low * scale) / scale, math.ceil(high * scale) / scale
    return [int(low), int(high)] if decimals == 0 else [round(low, decimals),
                                                        round(high, decimals)]


def measure_range(trial: Trial, runs: int = RANGE_RUNS, seed_base: int = RANGE_SEED_BASE
                  ) -> dict[str, list[float]]:
    """The model's range of each statistic on one public call: the lowest and highest value in
    ``runs`` runs of the reference with other seeds, widened by one standard deviation on each
    side (a correct answer on another random stream falls outside with a probability of the order
    of 1/runs times a normal tail beyond one more standard deviation), rounded outwards."""
    from solutions.W1D1_Tutorial2.calibration import reference_function

    func = reference_function(trial.function)
    table: dict[str, list[float]] = {name: [] for name in DECIMALS}
    for run in range(runs):
        np.random.seed(seed_base + run)
        v, spike_times = func(**trial.kwargs)
        for name, value in statistics(np.asarray(v), np.asarray(spike_times)).items():
            table[name].append(value)
    ranges = {}
    for name, values in table.items():
        values = np.asarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise RuntimeError(f"{trial.id}: the reference gives an undefined {name}")
        sd = float(values.std(ddof=1))
        ranges[name] = _outwards(values.min() - sd, values.max() + sd, DECIMALS[name])
    return ranges


def measure_ranges(runs: int = RANGE_RUNS) -> dict:
    """The ranges of every public call, as stored in :data:`RANGES_FILE`."""
    return {"runs": runs, "seed_base": RANGE_SEED_BASE, "seed": PUBLIC_SEED,
            "functions": {name: [{"kwargs": t.kwargs, "ranges": measure_range(t, runs)}
                                 for t in trials] for name, trials in PUBLIC_TRIALS.items()}}


def write_ranges(data: dict) -> Path:
    RANGES_FILE.write_text(json.dumps(data, indent=1) + "\n")
    load_ranges.cache_clear()
    return RANGES_FILE


@lru_cache(maxsize=1)
def load_ranges() -> dict[str, list[dict[str, list[float]]]]:
    """The committed ranges, per function in the order of its public calls; refuses ranges
    measured for other calls."""
    data = json.loads(RANGES_FILE.read_text())
    stored = {name: [tuple(c["kwargs"].items()) for c in calls]
              for name, calls in data["functions"].items()}
    wanted = {name: [tuple(kw.items()) for kw in sets] for name, sets in PUBLIC_PARAMETERS.items()}
    if stored != wanted or data["seed"] != PUBLIC_SEED:
        raise RuntimeError(f"{RANGES_FILE} was measured for other self-check calls: run "
                           "`python -m solutions.W1D1_Tutorial2 self-checks` and update the "
                           "notebook")
    return {name: [c["ranges"] for c in calls] for name, calls in data["functions"].items()}


def notebook_literal() -> str:
    """The ``SELF_CHECK_CALLS`` assignment of the notebook's setup section, from the ranges."""
    ranges = load_ranges()

    def pairs(mapping: dict) -> list[str]:
        return [f"{json.dumps(k)}: {tuple(v) if isinstance(v, list) else v!r}"
                for k, v in mapping.items()]

    lines = ["SELF_CHECK_CALLS = {"]
    for name, sets in PUBLIC_PARAMETERS.items():
        lines.append(f"    {json.dumps(name)}: [")
        for kwargs, found in zip(sets, ranges[name], strict=True):
            numbers = pairs(found)
            lines.append(f"        ({{{', '.join(pairs(kwargs))}}},")
            lines.append(f"         {{{', '.join(numbers[:2])},")
            lines.append(f"          {', '.join(numbers[2:])}}}),")
        lines.append("    ],")
    lines.append("}")
    return "\n".join(lines)


# --- the judgement --------------------------------------------------------------------------------

def passed_message(function: str) -> str:
    """What the notebook's ``self_check`` prints when every self-check passes (word for word: a
    test compares them), shown under the cell, which the grader does not run itself."""
    other = ", ".join(f"{k}={v}" for k, v in PUBLIC_PARAMETERS[function][1].items())
    return (f"Exercise {EXERCISE[function]} self-checks passed. {function} runs, returns "
            f"`v, spike_times` and resets v to 0 after each spike; with the seed {PUBLIC_SEED}, "
            "its spike count, mean ISI, ISI coefficient of variation and lowest v are in the "
            f"model's range, at the default parameters and at {other}.\nNot checked here: these "
            "statistics cannot tell whether each step uses the right input sample (exc[i] "
            "rather than exc[i - 1], for instance). The hidden checks compare your model with "
            "the reference step by step, on other parameters, when the notebook is graded.")


def judge_public(function: str, observations: Mapping[str, SpikeTrain]) -> Finding | None:
    """None when every public self-check passes, else the first failure (the notebook's
    message)."""
    for index, (trial, ranges) in enumerate(zip(PUBLIC_TRIALS[function], load_ranges()[function],
                                                strict=True)):
        obs = observations.get(trial.id)
        if obs is None:
            return Finding("not_run", f"{function} was not called by the self-checks.")
        finding = _returned(function, trial, obs) or _values(function, trial, obs)
        if finding:
            return finding
        judge = _first_call if index == 0 else _other_call
        finding = judge(function, trial, obs.v, obs.spike_times, ranges)
        if finding:
            return finding
    return None


def _args(kwargs: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs.items())


def _between(band) -> str:
    return f"between {band[0]:g} and {band[1]:g}"


def error_finding(function: str, trial: Trial, error: str) -> Finding:
    """A call that raised, in one sentence."""
    exercise = EXERCISE[function]
    if error == f"NameError: {function} is not defined (run its cell first)":
        return Finding("not_defined", f"{function} is not defined: run the cell of Coding "
                       f"Exercise {exercise} first (and fix any error it shows).")
    if error.startswith("NotImplementedError"):
        return Finding("not_implemented", f"{function} still raises NotImplementedError. Replace "
                       "the line `raise NotImplementedError(...)` with your own `dv = ...` line, "
                       f"then run the cell of Coding Exercise {exercise} again: the checks use the "
                       f"version of {function} you ran last.")
    if error.startswith("TypeError") and "ellipsis" in error:
        return Finding("placeholder", "dv is still the placeholder `...`: replace it with your "
                       "expression for the change of the membrane potential in one time step.")
    if error == "NameError: name 'dv' is not defined":
        return Finding("dv_undefined", f"{function} never gives dv a value: write your line "
                       "`dv = ...` where the `raise` line was.")
    if error.startswith("NameError: name '") and error.count("'") >= 2:
        missing = error.split("'")[1]
        return Finding("name_error", f"{function} uses the name {missing!r}, which is not "
                       f"defined: check its spelling (the names you can use are "
                       f"{NAMES[function]}).")
    if error.startswith("ValueError: setting an array element with a sequence"):
        return Finding("array_dv", "dv is an array (one value for every time step) instead of a "
                       f"single number: the update of step i needs only {STEP_VALUES[function]}.")
    return Finding("exception", f"{function}({_args(trial.kwargs)}) raised {error}.")


def _returned(function: str, trial: Trial, obs: SpikeTrain) -> Finding | None:
    """The call worked and returned ``v, spike_times`` as numbers of the right shape."""
    if obs.error:
        return error_finding(function, trial, obs.error)
    if obs.result_type != "tuple" or obs.result_length != 2:
        what = "nothing" if obs.result_type == "NoneType" else \
            f"a tuple of {obs.result_length} values" if obs.result_type == "tuple" else \
            f"a {obs.result_type}"
        return Finding("return_value", f"{function} should return two values, `v, spike_times`; "
                       f"it returned {what}.")
    if obs.conversion_error or obs.v is None or obs.spike_times is None:
        what = "spike_times" if obs.conversion_error and "spike_times" in obs.conversion_error \
            else "v"
        return Finding("not_numbers", f"{what} could not be read as numbers: v should be an "
                       "array of voltages and spike_times a list of time steps.")
    n = trial.n_steps
    if obs.v.shape != (n,):
        return Finding("v_shape", f"v should hold one value per time step, shape ({n},) for "
                       f"n_steps={n}; its shape is {obs.v.shape}.")
    times = obs.spike_times
    if times.ndim != 1 or not np.all(times == np.round(times)):
        return Finding("spike_times", "spike_times should be a flat list of time steps (whole "
                       "numbers).")
    if times.size and (times.min() < 1 or times.max() > n - 1 or np.any(np.diff(times) <= 0)):
        return Finding("spike_times", "spike_times should be increasing time steps between 1 "
                       "and n_steps - 1.")
    return None


def _values(function: str, trial: Trial, obs: SpikeTrain) -> Finding | None:
    """No NaN, no potential running away, and v back at 0 at every spike."""
    v, times = obs.v, obs.spike_times.astype(int)
    if np.any(np.isnan(v)):
        step = int(np.flatnonzero(np.isnan(v))[0])
        return Finding("v_nan", f"v becomes NaN ('not a number') at step {step}: some arithmetic "
                       "in the update is undefined there (such as 0/0 or inf - inf).")
    if np.any(np.abs(v) > RUNAWAY):
        step = int(np.flatnonzero(np.abs(v) > RUNAWAY)[0])
        extreme = float(v[np.argmax(np.abs(v))])
        tail = ("In the linear neuron v only climbs by the input and goes back to 0 at every "
                "spike: dv should hold only the change of v, since the update "
                "`v[i] = v[i - 1] + dv` adds v[i - 1] to it." if function == "lif_neuron" else
                "The leak should pull v back towards 0: check the sign of the leak term, and "
                "that dv holds only the change of v (the update `v[i] = v[i - 1] + dv` adds "
                "v[i - 1] to it).")
        return Finding("runaway", f"v runs away: its size passes {RUNAWAY:g} at step {step} and "
                       f"reaches {extreme:.3g}, instead of staying near the threshold. {tail}")
    not_reset = times[v[times] != 0]
    if not_reset.size:
        step = int(not_reset[0])
        return Finding("reset", f"v should be reset to 0 at every spike; at the spike at step "
                       f"{step} it is {v[step]:.4g}.")
    return None


def _first_call(function: str, trial: Trial, v: np.ndarray, spike_times: np.ndarray,
                ranges: dict) -> Finding | None:
    """The default parameters: each failure with a hint for the mistakes that cause it."""
    s = statistics(v, spike_times)
    n, linear = trial.n_steps, function == "lif_neuron"
    spikes, lowest = ranges["spikes"], ranges["lowest v"]
    model = f"the model spikes {spikes[0]} to {spikes[1]} times"
    if s["spikes"] == 0 and np.all(v == 0):
        return Finding("v_zero", "v stays at 0 at every step, so dv is always 0: v should change "
                       "at each step by the input that arrives in that step.")
    if linear and s["lowest v"] < lowest[0]:
        return Finding("below_zero", f"v goes below 0 (down to {s['lowest v']:.3g}): in the "
                       "linear neuron the input can only push v up, because the number of input "
                       "spikes is never negative and alpha is positive. Check the sign of dv.")
    if s["spikes"] == 0:
        silent = f"{function} never spiked in {n} steps ({model})"
        if linear:
            return Finding("silent", f"{silent}: v climbs far too slowly to reach the threshold "
                           "of 1.")
        mean_v = float(np.mean(v))
        if mean_v < 0:
            return Finding("silent", f"{silent}: v stays below the threshold, at {mean_v:.3g} on "
                           "average, so the input pushes it down on average. With equal "
                           "excitatory and inhibitory rates the net input should be zero on "
                           "average: check how alpha, exc[i] and inh[i] enter dv.")
        return Finding("silent", f"{silent}: v never reaches the threshold of 1.")
    if s["spikes"] > 2 * spikes[1]:
        fired = f"{function} spiked at every time step" if s["spikes"] == n - 1 else \
            f"{function} spiked {s['spikes']} times in {n} steps"
        if linear:
            return Finding("far_too_many", f"{fired} ({model}): each step's change of v is far "
                           "too large. Compare your dv with the equation dV_m = αI: alpha is "
                           "small, so each step adds only a little to v.")
        return Finding("far_too_many", f"{fired} ({model}): the net input pushes v up far too "
                       "strongly. With equal excitatory and inhibitory rates, inhibition should "
                       "cancel excitation on average: check how exc[i] and inh[i] enter dv.")
    if not linear and s["lowest v"] < lowest[0]:
        return Finding("sinks", f"v sinks far below 0 (down to {s['lowest v']:.3g}; in the model "
                       f"its lowest value is {_between(lowest)}): nothing pulls it back up "
                       "towards rest. The leak should pull v back towards 0 at every step, in "
                       "proportion to v: check the leak term, which acts on v[i - 1], the "
                       "potential before the update.")
    if not linear and s["lowest v"] > lowest[1]:
        return Finding("too_still", f"v never goes far below 0 (its lowest value is "
                       f"{s['lowest v']:.3g}; in the model {_between(lowest)}): the input "
                       "fluctuates less than it should. exc[i] and inh[i] are Poisson counts, "
                       "whose variance equals their mean: check that dv uses them as they are.")
    isi = np.diff(spike_times)
    if s["spikes"] >= 3 and np.all(isi == isi[0]):
        sample = " (exc[i])" if linear else ""
        return Finding("regular", f"all intervals between spikes are exactly {isi[0]:g} steps "
                       "long: the neuron gets the same input at every step. The input should "
                       "vary at random from step to step: the number of input spikes of each "
                       f"step is a fresh Poisson sample{sample}.")
    return _band(function, n, s, ranges, model)


def _band(function: str, n: int, s: dict, ranges: dict, model: str) -> Finding | None:
    """Spike count, mean ISI and ISI CV against the model's ranges (the default parameters)."""
    linear = function == "lif_neuron"
    for name in ("spikes", "mean ISI", "ISI CV"):
        value, band = s[name], ranges[name]
        if band[0] <= value <= band[1]:
            continue
        low = value < band[0]
        if name == "ISI CV":
            measured = (f"the intervals between spikes vary {'less' if low else 'more'} than in "
                        "the model: their coefficient of variation (standard deviation / mean) "
                        f"is {value:.3g}, in the model {_between(band)}")
            hint = (f"the input varies too {'little' if low else 'much'} from step to step. The "
                    "number of input spikes of a step is a Poisson count, whose variance equals "
                    "its mean." if linear else EQUATION_2)
            return Finding(name, f"{measured}: {hint}")
        if name == "spikes":
            measured = f"{function} spiked {int(value)} times in {n} steps ({model})"
        else:
            measured = (f"the mean interval between spikes is {value:.3g} steps (in the model "
                        f"{_between(band)})")
        too_often = low if name == "mean ISI" else not low
        if not linear:
            hint = EQUATION_2
        elif too_often:
            hint = ("v reaches the threshold too soon: either it climbs too fast (compare your "
                    "dv with dV_m = αI) or the spike test was changed (the neuron spikes when v "
                    "goes above 1).")
        else:
            hint = ("v reaches the threshold too late: it climbs too slowly, or something pulls "
                    "it back down. In the linear neuron v changes only by the input, "
                    "dV_m = αI: there is no leak.")
        return Finding(name, f"{measured}: {hint}")
    return None


def _other_call(function: str, trial: Trial, v: np.ndarray, spike_times: np.ndarray,
                ranges: dict) -> Finding | None:
    """The second parameter set: a failure here (after the defaults passed) means an argument
    is not used in its role."""
    s = statistics(v, spike_times)
    n = trial.n_steps
    spikes = ranges["spikes"]
    if not spikes[0] <= s["spikes"] <= spikes[1]:
        did = "it never spiked" if s["spikes"] == 0 else f"it spiked {s['spikes']} times"
        symptom = f"{did} in {n} steps (the model spikes {spikes[0]} to {spikes[1]} times)"
    elif not ranges["lowest v"][0] <= s["lowest v"] <= ranges["lowest v"][1]:
        symptom = (f"its lowest v is {s['lowest v']:.3g} (in the model "
                   f"{_between(ranges['lowest v'])})")
    elif not ranges["mean ISI"][0] <= s["mean ISI"] <= ranges["mean ISI"][1]:
        symptom = (f"its mean interval between spikes is {s['mean ISI']:.3g} steps (in the "
                   f"model {_between(ranges['mean ISI'])})")
    elif not ranges["ISI CV"][0] <= s["ISI CV"] <= ranges["ISI CV"][1]:
        symptom = (f"the coefficient of variation of its intervals is {s['ISI CV']:.3g} (in the "
                   f"model {_between(ranges['ISI CV'])})")
    else:
        return None
    args = _args(trial.kwargs)
    return Finding("parameters", f"With the default parameters {function} behaves like the "
                   f"model, but with {args} it does not: {symptom}. Check that {function} uses "
                   f"each argument in its own role rather than a fixed number: "
                   f"{ROLES[function]}.")
