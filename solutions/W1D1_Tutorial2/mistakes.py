"""Known mistakes, as one-line edits of the reference, run as mutants to name what went wrong.

Each mutant is the reference function from `solutions` with one or two lines changed, built
from its source: the model is never restated here, only the mistake. When a student's spike
trains match a mutant's under the same seeds (or its statistics, on another random stream),
the verdict names the mistake in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from autograder.mutation import compile_edited
from solutions.W1D1_Tutorial2.calibration import reference_function


@dataclass(frozen=True)
class Mistake:
    """A known mistake: which function, what it changes, and how to say it."""

    key: str
    function: str
    description: str
    edits: tuple[tuple[str, str], ...] = ()


def _dv(function: str, key: str, expression: str, description: str) -> Mistake:
    reference_dv = {"lif_neuron": "dv = alpha * exc[i]",
                    "lif_neuron_inh": "dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])"}
    return Mistake(key, function, description, ((reference_dv[function], f"dv = {expression}"),))


def _edit(function: str, key: str, old: str, new: str, description: str) -> Mistake:
    return Mistake(key, function, description, ((old, new),))


MISTAKES: tuple[Mistake, ...] = (
    # Exercise 1: dV = alpha * I, I ~ Poisson(rate)
    _dv("lif_neuron", "missing_alpha", "exc[i]",
        "the input is not scaled by alpha (dv = exc[i])"),
    _dv("lif_neuron", "mean_rate_input", "alpha * rate",
        "the mean rate is used instead of the Poisson samples, so the input never varies"),
    _dv("lif_neuron", "constant_input", "alpha",
        "a constant input is used instead of the Poisson samples"),
    _dv("lif_neuron", "wrong_sign", "-alpha * exc[i]",
        "the input has the wrong sign, so v goes down instead of up"),
    _dv("lif_neuron", "leak_added", "-0.1 * v[i - 1] + alpha * exc[i]",
        "a leak (-beta * v) was added; the linear neuron of exercise 1 has none"),
    _dv("lif_neuron", "v_counted_twice", "v[i - 1] + alpha * exc[i]",
        "v is counted twice: dv contains v[i-1], and the update adds v[i-1] again"),
    _dv("lif_neuron", "gaussian_input", "alpha * np.random.normal(rate, 1)",
        "the input is Gaussian noise with the right mean but the wrong variance, instead of "
        "Poisson samples (whose variance equals the rate)"),
    _dv("lif_neuron", "hardcoded_alpha", "0.01 * exc[i]",
        "alpha is hard-coded as 0.01 instead of using the argument `alpha`"),
    _dv("lif_neuron", "hardcoded_rate", "alpha * np.random.poisson(10)",
        "the rate is hard-coded as 10 instead of using the argument `rate`"),
    _dv("lif_neuron", "rate_times_input", "alpha * rate * exc[i]",
        "the Poisson samples are multiplied by the rate again"),
    _dv("lif_neuron", "alpha_added", "alpha + exc[i]",
        "alpha is added to the input instead of multiplying it"),
    _dv("lif_neuron", "multiplicative_input", "alpha * exc[i] * v[i - 1]",
        "the input is multiplied by v, so v never leaves 0"),
    _edit("lif_neuron", "reset_by_subtraction", "v[i] = 0", "v[i] -= 1",
          "after a spike v is reduced by 1 instead of being reset to 0"),
    _edit("lif_neuron", "no_reset", "v[i] = 0", "pass",
          "v is not reset to 0 after a spike"),
    _edit("lif_neuron", "lower_threshold", "if v[i] > 1:", "if v[i] > 0.9:",
          "the threshold was changed from 1"),
    _dv("lif_neuron", "input_index_shifted", "alpha * exc[i - 1]",
        "the input of the previous step, exc[i-1], is used instead of this step's exc[i]"),
    # Exercise 2: dV = -beta V + alpha (I_exc - I_inh)
    _dv("lif_neuron_inh", "leak_wrong_sign", "beta * v[i - 1] + alpha * (exc[i] - inh[i])",
        "the leak has the wrong sign: it pushes v away from rest instead of back towards 0"),
    # -beta * v[i] behaves exactly like no leak at all (v[i] is still 0 when dv is computed), so
    # one description covers both.
    _dv("lif_neuron_inh", "leak_missing", "alpha * (exc[i] - inh[i])",
        "the leak has no effect: either the term -beta * v[i-1] is missing, or it uses v[i], "
        "which is still 0 when dv is computed, instead of v[i-1]"),
    _dv("lif_neuron_inh", "inhibition_missing", "-beta * v[i - 1] + alpha * exc[i]",
        "the inhibitory input is missing"),
    _dv("lif_neuron_inh", "inhibition_added", "-beta * v[i - 1] + alpha * (exc[i] + inh[i])",
        "the inhibitory input is added instead of subtracted"),
    _dv("lif_neuron_inh", "inputs_swapped", "-beta * v[i - 1] + alpha * (inh[i] - exc[i])",
        "the signs of the inputs are swapped: excitation should push v up, inhibition down"),
    _dv("lif_neuron_inh", "alpha_on_exc_only", "-beta * v[i - 1] + alpha * exc[i] - inh[i]",
        "alpha scales only the excitatory input; it should scale exc[i] - inh[i]"),
    _dv("lif_neuron_inh", "alpha_on_inh_only", "-beta * v[i - 1] + exc[i] - alpha * inh[i]",
        "alpha scales only the inhibitory input; it should scale exc[i] - inh[i]"),
    _dv("lif_neuron_inh", "alpha_on_leak", "alpha * (-beta * v[i - 1] + exc[i] - inh[i])",
        "alpha also scales the leak; it should scale only the input"),
    _dv("lif_neuron_inh", "rates_instead_of_samples",
        "-beta * v[i - 1] + alpha * (exc_rate - inh_rate)",
        "the mean rates are used instead of the Poisson samples"),
    _dv("lif_neuron_inh", "exc_rate_for_inhibition",
        "-beta * v[i - 1] + alpha * (exc[i] - np.random.poisson(exc_rate))",
        "the inhibitory input is drawn with the excitatory rate"),
    _dv("lif_neuron_inh", "hardcoded_alpha", "-beta * v[i - 1] + 0.5 * (exc[i] - inh[i])",
        "alpha is hard-coded as 0.5 instead of using the argument `alpha`"),
    _dv("lif_neuron_inh", "hardcoded_beta", "-0.1 * v[i - 1] + alpha * (exc[i] - inh[i])",
        "beta is hard-coded as 0.1 instead of using the argument `beta`"),
    _dv("lif_neuron_inh", "hardcoded_rates",
        "-beta * v[i - 1] + alpha * (np.random.poisson(10) - np.random.poisson(10))",
        "the rates are hard-coded as 10 instead of using `exc_rate` and `inh_rate`"),
    _dv("lif_neuron_inh", "v_counted_twice",
        "v[i - 1] - beta * v[i - 1] + alpha * (exc[i] - inh[i])",
        "v is counted twice: dv contains v[i-1], and the update adds v[i-1] again"),
    _dv("lif_neuron_inh", "leak_not_proportional", "-beta + alpha * (exc[i] - inh[i])",
        "the leak is a constant -beta instead of -beta * v[i-1]"),
    _dv("lif_neuron_inh", "gaussian_input",
        "-beta * v[i - 1] + alpha * np.random.normal(exc_rate - inh_rate, 1)",
        "the input is Gaussian noise with the right mean but the wrong variance, instead of "
        "the difference of two Poisson samples"),
    _dv("lif_neuron_inh", "exc_index_shifted",
        "-beta * v[i - 1] + alpha * (exc[i - 1] - inh[i])",
        "the excitatory input of the previous step, exc[i-1], is used instead of exc[i]"),
    _dv("lif_neuron_inh", "inh_index_shifted",
        "-beta * v[i - 1] + alpha * (exc[i] - inh[i - 1])",
        "the inhibitory input of the previous step, inh[i-1], is used instead of inh[i]"),
    _dv("lif_neuron_inh", "inputs_index_shifted",
        "-beta * v[i - 1] + alpha * (exc[i - 1] - inh[i - 1])",
        "the inputs of the previous step, exc[i-1] and inh[i-1], are used instead of this "
        "step's"),
    _edit("lif_neuron_inh", "reset_by_subtraction", "v[i] = 0", "v[i] -= 1",
          "after a spike v is reduced by 1 instead of being reset to 0"),
    _edit("lif_neuron_inh", "no_reset", "v[i] = 0", "pass",
          "v is not reset to 0 after a spike"),
)


def mistakes_for(function: str) -> tuple[Mistake, ...]:
    return tuple(m for m in MISTAKES if m.function == function)


@cache
def build_mutant(mistake: Mistake) -> Callable:
    """The reference with the mistake's lines replaced, compiled (:mod:`autograder.mutation`)."""
    return compile_edited(reference_function(mistake.function), mistake.edits, mistake.key)
