"""A catalogue of student answers to the tutorial's exercises, with their expected verdicts.

Used by the test suite (every answer must be classified right, directly and through both
graders), by ``make demo`` (a small sample class) and by the benchmarks (a class of a hundred or
more). An answer is what a student types in place of the exercise's stub: usually the ``dv``
line(s), sometimes a whole rewritten function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat
from nbformat.notebooknode import NotebookNode

#: The release's stub that a student replaces (written by ClearSolutions.code_stub).
STUB = re.compile(r"^(?P<indent>[ \t]*)# TODO: write your answer here.*\n"
                  r"[ \t]*raise NotImplementedError\(.*\)$", re.M)
#: The stub's lines, as a student who left it in submits them.
STUB_LINES = ('# TODO: write your answer here (see the exercise above), then delete the next '
              'line\nraise NotImplementedError("Exercise: write your answer here")')

EXERCISE_CELLS = {"lif_neuron": "ex1_lif_neuron", "lif_neuron_inh": "ex2_lif_neuron_inh"}


@dataclass(frozen=True)
class Answer:
    """One way a student may answer one exercise."""

    key: str
    function: str
    correct: bool
    dv: str = ""  # lines replacing the stub (may be several, may refer to exc, inh, v, i, ...)
    whole_function: str = ""  # or: a complete replacement of the function definition
    mistake: str | None = None  # the mistake the hidden checks should name, when known

    @property
    def label(self) -> str:
        verdict = "accepted" if self.correct else "rejected"
        return f"{self.function}: {self.key.replace('_', ' ')} is {verdict}"


def _ok(function: str, key: str, dv: str = "", whole: str = "") -> Answer:
    return Answer(key, function, True, dv=dv, whole_function=whole)


def _bad(function: str, key: str, dv: str = "", whole: str = "", mistake: str | None = None
         ) -> Answer:
    return Answer(key, function, False, dv=dv, whole_function=whole, mistake=mistake)


E1, E2 = "lif_neuron", "lif_neuron_inh"

_WHILE_LOOP_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    """Linear integrate-and-fire neuron, written with a while loop."""
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    i = 1
    while i < n_steps:
        v[i] = v[i - 1] + alpha * exc[i]
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
        i += 1
    return v, spike_times
'''

_ARRAY_RETURN_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spikes = np.zeros(n_steps, dtype=bool)
    for i in range(1, n_steps):
        dv = alpha * exc[i]
        v[i] = v[i - 1] + dv
        if v[i] > 1:
            spikes[i] = True
            v[i] = 0
    return v, np.flatnonzero(spikes)
'''

_LIST_V_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    exc = stats.poisson(rate).rvs(n_steps)
    v = [0.0] * n_steps
    spike_times = []
    for i in range(1, n_steps):
        v[i] = v[i - 1] + alpha * exc[i]
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0.0
    return v, tuple(spike_times)
'''

_PRINTS_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    import sys
    import warnings
    warnings.warn("checking my neuron")
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        dv = alpha * exc[i]
        v[i] = v[i - 1] + dv
        if v[i] > 1:
            print("spike at", i)
            print("debug", file=sys.stderr)
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_GREATER_EQUAL_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        v[i] = v[i - 1] + alpha * exc[i]
        if v[i] >= 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_WHILE_LOOP_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    exc = stats.poisson(exc_rate).rvs(n_steps)
    inh = stats.poisson(inh_rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    i = 1
    while i < n_steps:
        v[i] = v[i - 1] - beta * v[i - 1] + alpha * (exc[i] - inh[i])
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
        i += 1
    return v, np.array(spike_times)
'''

_LIST_V_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    exc = stats.poisson(exc_rate).rvs(n_steps)
    inh = stats.poisson(inh_rate).rvs(n_steps)
    v = [0.0] * n_steps
    spike_times = []
    for i in range(1, n_steps):
        v[i] = (1 - beta) * v[i - 1] + alpha * (exc[i] - inh[i])
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0.0
    return v, spike_times
'''

_PRINTS_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    import warnings
    exc = stats.poisson(exc_rate).rvs(n_steps)
    inh = stats.poisson(inh_rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])
        v[i] = v[i - 1] + dv
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    print(f"{len(spike_times)} spikes")
    warnings.warn("this neuron is leaky", RuntimeWarning)
    return v, spike_times
'''

_DEFAULTS_HARDCODED_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    exc = stats.poisson(10).rvs(n_steps)
    inh = stats.poisson(10).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])
        v[i] = v[i - 1] + dv
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_FLOAT32_V_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    """The voltage kept in single precision (float32)."""
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps, dtype=np.float32)
    spike_times = []
    for i in range(1, n_steps):
        v[i] = v[i - 1] + alpha * exc[i]
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_ALL_FLOAT32_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    """Every quantity in single precision."""
    exc = stats.poisson(rate).rvs(n_steps).astype(np.float32)
    alpha = np.float32(alpha)
    v = np.zeros(n_steps, dtype=np.float32)
    spike_times = []
    for i in range(1, n_steps):
        v[i] = v[i - 1] + alpha * exc[i]
        if v[i] > np.float32(1):
            spike_times.append(i)
            v[i] = np.float32(0)
    return v, spike_times
'''

_ROUNDED_V_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    """The voltage rounded to 8 decimals at every step."""
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        dv = alpha * exc[i]
        v[i] = round(v[i - 1] + dv, 8)
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_FSUM_V_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    """Each voltage an exactly rounded sum of the inputs since the last spike."""
    import math
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    last = 0
    for i in range(1, n_steps):
        v[i] = math.fsum(alpha * exc[j] for j in range(last + 1, i + 1))
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
            last = i
    return v, spike_times
'''

_FLOAT32_V_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    """The voltage kept in single precision (float32)."""
    exc = stats.poisson(exc_rate).rvs(n_steps)
    inh = stats.poisson(inh_rate).rvs(n_steps)
    v = np.zeros(n_steps, dtype=np.float32)
    spike_times = []
    for i in range(1, n_steps):
        dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])
        v[i] = v[i - 1] + dv
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_ALL_FLOAT32_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    """Every quantity in single precision."""
    exc = stats.poisson(exc_rate).rvs(n_steps).astype(np.float32)
    inh = stats.poisson(inh_rate).rvs(n_steps).astype(np.float32)
    alpha, beta = np.float32(alpha), np.float32(beta)
    v = np.zeros(n_steps, dtype=np.float32)
    spike_times = []
    for i in range(1, n_steps):
        dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])
        v[i] = v[i - 1] + dv
        if v[i] > np.float32(1):
            spike_times.append(i)
            v[i] = np.float32(0)
    return v, spike_times
'''

_ROUNDED_V_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    """The voltage rounded to 8 decimals at every step."""
    exc = stats.poisson(exc_rate).rvs(n_steps)
    inh = stats.poisson(inh_rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])
        v[i] = round(v[i - 1] + dv, 8)
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_FSUM_V_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    """The update as an exactly rounded sum of its three terms."""
    import math
    exc = stats.poisson(exc_rate).rvs(n_steps)
    inh = stats.poisson(inh_rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        v[i] = math.fsum([(1 - beta) * v[i - 1], alpha * exc[i], -alpha * inh[i]])
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''

_RIGGED_EQ = '''
class _AlwaysEqual(list):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False


def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    v = np.zeros(n_steps)
    return v, _AlwaysEqual([])
'''

ANSWERS: tuple[Answer, ...] = (
    # ---- Exercise 1: correct -------------------------------------------------------------------
    _ok(E1, "the reference form", "dv = alpha * exc[i]"),
    _ok(E1, "factors swapped", "dv = exc[i] * alpha"),
    _ok(E1, "float conversion", "dv = alpha * float(exc[i])"),
    _ok(E1, "np.multiply", "dv = np.multiply(alpha, exc[i])"),
    _ok(E1, "np.dot", "dv = np.dot(alpha, exc[i])"),
    _ok(E1, "a temporary for the input", "I = exc[i]\ndv = alpha * I"),
    _ok(E1, "several temporaries", "current = exc[i]\nscale = alpha\ndv = scale * current"),
    _ok(E1, "division by the inverse", "dv = exc[i] / (1 / alpha)"),
    _ok(E1, "repeated addition", "dv = sum(alpha for _ in range(exc[i]))"),
    _ok(E1, "math.fsum", "import math\ndv = math.fsum([alpha] * int(exc[i]))"),
    _ok(E1, "indexing a scaled array", "dv = (alpha * exc)[i]"),
    _ok(E1, "item()", "dv = alpha * exc[i].item()"),
    _ok(E1, "int conversion", "dv = alpha * int(exc[i])"),
    _ok(E1, "float32 alpha", "dv = np.float32(alpha) * exc[i]"),
    _ok(E1, "a fresh scipy sample per step", "dv = alpha * stats.poisson(rate).rvs()"),
    _ok(E1, "a fresh numpy sample per step", "dv = alpha * np.random.poisson(rate)"),
    _ok(E1, "scipy rvs with the rate as argument", "dv = alpha * stats.poisson.rvs(rate)"),

    _ok(E1, "a while loop", whole=_WHILE_LOOP_1),
    _ok(E1, "spike times as an array", whole=_ARRAY_RETURN_1),
    _ok(E1, "v as a list and spike times as a tuple", whole=_LIST_V_1),
    _ok(E1, "printing and warning", whole=_PRINTS_1),
    _ok(E1, "a greater-or-equal threshold", whole=_GREATER_EQUAL_1),
    _ok(E1, "a print inside the dv region", 'dv = alpha * exc[i]\nif i == 1:\n    print("dv", dv)'),
    # precision: float32, rounding to a few millionths, exactly rounded sums
    _ok(E1, "v kept in float32", whole=_FLOAT32_V_1),
    _ok(E1, "everything in float32", whole=_ALL_FLOAT32_1),
    _ok(E1, "dv in float32", "dv = np.float32(alpha) * np.float32(exc[i])"),
    _ok(E1, "dv rounded to 9 decimals", "dv = round(alpha * exc[i], 9)"),
    _ok(E1, "v rounded to 8 decimals", whole=_ROUNDED_V_1),
    _ok(E1, "dv printed to 12 digits and read back", 'dv = float(f"{alpha * exc[i]:.12g}")'),
    _ok(E1, "v as an fsum since the last spike", whole=_FSUM_V_1),
    _ok(E1, "dv as an fsum of two halves",
        "import math\ndv = math.fsum([alpha * exc[i] / 2, alpha * exc[i] / 2])"),
    _ok(E1, "dv as an fsum of repeated alphas",
        "import math\ndv = math.fsum(alpha for _ in range(int(exc[i])))"),
    _ok(E1, "a warning inside the dv region",
        'import warnings\ndv = alpha * exc[i]\nif i == 1:\n    warnings.warn("first step")'),
    # ---- Exercise 1: mistakes ------------------------------------------------------------------
    _bad(E1, "missing alpha", "dv = exc[i]", mistake="missing_alpha"),
    _bad(E1, "the mean rate instead of the samples", "dv = alpha * rate",
         mistake="mean_rate_input"),
    _bad(E1, "a constant input", "dv = alpha", mistake="constant_input"),
    _bad(E1, "a constant of 0.1", "dv = 0.1"),
    _bad(E1, "a wrong sign", "dv = -alpha * exc[i]", mistake="wrong_sign"),
    _bad(E1, "a leak added", "dv = -0.1 * v[i - 1] + alpha * exc[i]", mistake="leak_added"),
    _bad(E1, "v counted twice", "dv = v[i - 1] + alpha * exc[i]", mistake="v_counted_twice"),
    _bad(E1, "gaussian noise with the right mean", "dv = alpha * np.random.normal(rate, 1)",
         mistake="gaussian_input"),
    _bad(E1, "gaussian noise with a small variance",
         "dv = alpha * np.random.normal(rate, 0.5)"),
    _bad(E1, "uniform noise with the right mean", "dv = alpha * np.random.uniform(0, 2 * rate)"),
    _bad(E1, "hard-coded alpha", "dv = 0.01 * exc[i]", mistake="hardcoded_alpha"),
    _bad(E1, "hard-coded rate in fresh draws", "dv = alpha * np.random.poisson(10)",
         mistake="hardcoded_rate"),
    _bad(E1, "rate times the samples", "dv = alpha * rate * exc[i]", mistake="rate_times_input"),
    _bad(E1, "alpha added", "dv = alpha + exc[i]", mistake="alpha_added"),
    _bad(E1, "input multiplied by v", "dv = alpha * exc[i] * v[i - 1]",
         mistake="multiplicative_input"),
    _bad(E1, "alpha divided", "dv = exc[i] / alpha"),
    _bad(E1, "the whole input array", "dv = alpha * exc"),
    _bad(E1, "a sum of past inputs", "dv = alpha * np.sum(exc[:i])"),
    _bad(E1, "the squared input", "dv = alpha * exc[i] ** 2"),
    _bad(E1, "fresh draws and no alpha", "dv = np.random.poisson(rate)"),
    _bad(E1, "fresh draws with a doubled rate", "dv = alpha * np.random.poisson(2 * rate)"),
    _bad(E1, "the stub left in", STUB_LINES),
    _bad(E1, "the placeholder left in", "dv = ..."),
    _bad(E1, "a name error", "dv = alpha * excitation[i]"),
    _bad(E1, "reset by subtraction",
         whole=_GREATER_EQUAL_1.replace("v[i] >= 1", "v[i] > 1").replace("v[i] = 0", "v[i] -= 1"),
         mistake="reset_by_subtraction"),
    _bad(E1, "no reset", whole=_GREATER_EQUAL_1.replace("v[i] >= 1", "v[i] > 1")
         .replace("            v[i] = 0\n", ""), mistake="no_reset"),
    _bad(E1, "a lowered threshold", whole=_GREATER_EQUAL_1.replace("v[i] >= 1", "v[i] > 0.9"),
         mistake="lower_threshold"),
    _bad(E1, "an object whose equality is rigged", whole=_RIGGED_EQ),
    _bad(E1, "the previous step's input", "dv = alpha * exc[i - 1]",
         mistake="input_index_shifted"),
    _bad(E1, "inputs drawn before the loop but a separate generator used",
         "rng = np.random.default_rng(i)\ndv = alpha * rng.poisson(rate)"),
    # ---- Exercise 2: correct -------------------------------------------------------------------
    _ok(E2, "the reference form", "dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])"),
    _ok(E2, "input first", "dv = alpha * (exc[i] - inh[i]) - beta * v[i - 1]"),
    _ok(E2, "alpha distributed", "dv = alpha * exc[i] - alpha * inh[i] - beta * v[i - 1]"),
    _ok(E2, "negated product", "dv = -(beta * v[i - 1]) + alpha * exc[i] - alpha * inh[i]"),
    _ok(E2, "temporaries", "leak = beta * v[i - 1]\ndrive = alpha * (exc[i] - inh[i])\n"
        "dv = drive - leak"),
    _ok(E2, "np.multiply",
        "dv = np.multiply(-beta, v[i - 1]) + np.multiply(alpha, exc[i] - inh[i])"),
    _ok(E2, "np.dot", "dv = np.dot([-beta, alpha, -alpha], [v[i - 1], exc[i], inh[i]])"),
    _ok(E2, "negative inhibition added",
        "dv = -beta * v[i - 1] + alpha * exc[i] + alpha * (-inh[i])"),
    _ok(E2, "np.subtract", "dv = -beta * v[i - 1] + alpha * np.subtract(exc[i], inh[i])"),
    _ok(E2, "indexing a difference array", "dv = -beta * v[i - 1] + alpha * (exc - inh)[i]"),
    _ok(E2, "a sum of terms", "dv = sum([-beta * v[i - 1], alpha * exc[i], -alpha * inh[i]])"),
    _ok(E2, "factors swapped", "dv = -v[i - 1] * beta + (exc[i] - inh[i]) * alpha"),
    _ok(E2, "float conversions",
        "dv = -float(beta) * float(v[i - 1]) + float(alpha) * float(exc[i] - inh[i])"),
    _ok(E2, "a negative beta added", "dv = (-beta) * v[i - 1] + alpha * (exc[i] - inh[i])"),
    _ok(E2, "parenthesised differently",
        "dv = (alpha * exc[i] - beta * v[i - 1]) - alpha * inh[i]"),
    _ok(E2, "fresh scipy samples per step",
        "dv = -beta * v[i - 1] + alpha * (stats.poisson(exc_rate).rvs() - "
        "stats.poisson(inh_rate).rvs())"),
    _ok(E2, "fresh numpy samples per step",
        "dv = -beta * v[i - 1] + alpha * (np.random.poisson(exc_rate) - "
        "np.random.poisson(inh_rate))"),

    _ok(E2, "a while loop and an array of spike times", whole=_WHILE_LOOP_2),
    _ok(E2, "v as a list and the leak as a factor", whole=_LIST_V_2),
    _ok(E2, "printing and warning", whole=_PRINTS_2),
    _ok(E2, "float32 parameters",
        "dv = -np.float32(beta) * v[i - 1] + np.float32(alpha) * (exc[i] - inh[i])"),
    _ok(E2, "int conversions", "dv = -beta * v[i - 1] + alpha * (int(exc[i]) - int(inh[i]))"),
    _ok(E2, "a print inside the dv region",
        'dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])\nif i == 1:\n    print("dv =", dv)'),
    _ok(E2, "the net input named", "net = exc[i] - inh[i]\ndv = alpha * net - beta * v[i - 1]"),
    # precision: float32, rounding to a few millionths, exactly rounded sums
    _ok(E2, "v kept in float32", whole=_FLOAT32_V_2),
    _ok(E2, "everything in float32", whole=_ALL_FLOAT32_2),
    _ok(E2, "dv in float32",
        "dv = np.float32(-beta * v[i - 1] + alpha * (exc[i] - inh[i]))"),
    _ok(E2, "dv rounded to 9 decimals",
        "dv = round(-beta * v[i - 1] + alpha * (exc[i] - inh[i]), 9)"),
    _ok(E2, "v rounded to 8 decimals", whole=_ROUNDED_V_2),
    _ok(E2, "dv printed to 12 digits and read back",
        'dv = float(f"{-beta * v[i - 1] + alpha * (exc[i] - inh[i]):.12g}")'),
    _ok(E2, "the update as an fsum of three terms", whole=_FSUM_V_2),
    _ok(E2, "dv as an fsum of three terms",
        "import math\ndv = math.fsum([-beta * v[i - 1], alpha * exc[i], -alpha * inh[i]])"),
    _ok(E2, "dv as an fsum of the leak and the net input",
        "import math\ndv = math.fsum([-beta * v[i - 1], alpha * (exc[i] - inh[i])])"),
    # ---- Exercise 2: mistakes ------------------------------------------------------------------
    _bad(E2, "a leak of the wrong sign", "dv = beta * v[i - 1] + alpha * (exc[i] - inh[i])",
         mistake="leak_wrong_sign"),
    _bad(E2, "a missing leak", "dv = alpha * (exc[i] - inh[i])", mistake="leak_missing"),
    _bad(E2, "the leak on v[i]", "dv = -beta * v[i] + alpha * (exc[i] - inh[i])",
         mistake="leak_missing"),
    _bad(E2, "inhibition missing", "dv = -beta * v[i - 1] + alpha * exc[i]",
         mistake="inhibition_missing"),
    _bad(E2, "inhibition added", "dv = -beta * v[i - 1] + alpha * (exc[i] + inh[i])",
         mistake="inhibition_added"),
    _bad(E2, "the inputs' signs swapped", "dv = -beta * v[i - 1] + alpha * (inh[i] - exc[i])",
         mistake="inputs_swapped"),
    _bad(E2, "alpha only on excitation", "dv = -beta * v[i - 1] + alpha * exc[i] - inh[i]",
         mistake="alpha_on_exc_only"),
    _bad(E2, "alpha only on inhibition", "dv = -beta * v[i - 1] + exc[i] - alpha * inh[i]",
         mistake="alpha_on_inh_only"),
    _bad(E2, "alpha on the leak", "dv = alpha * (-beta * v[i - 1] + exc[i] - inh[i])",
         mistake="alpha_on_leak"),
    _bad(E2, "alpha times beta on the leak",
         "dv = -alpha * beta * v[i - 1] + alpha * (exc[i] - inh[i])", mistake="alpha_on_leak"),
    _bad(E2, "the rates instead of the samples",
         "dv = -beta * v[i - 1] + alpha * (exc_rate - inh_rate)",
         mistake="rates_instead_of_samples"),
    _bad(E2, "the excitatory rate for inhibition",
         "dv = -beta * v[i - 1] + alpha * (exc[i] - np.random.poisson(exc_rate))",
         mistake="exc_rate_for_inhibition"),
    _bad(E2, "hard-coded alpha", "dv = -beta * v[i - 1] + 0.5 * (exc[i] - inh[i])",
         mistake="hardcoded_alpha"),
    _bad(E2, "hard-coded beta", "dv = -0.1 * v[i - 1] + alpha * (exc[i] - inh[i])",
         mistake="hardcoded_beta"),
    _bad(E2, "hard-coded rates in fresh draws",
         "dv = -beta * v[i - 1] + alpha * (np.random.poisson(10) - np.random.poisson(10))",
         mistake="hardcoded_rates"),
    _bad(E2, "hard-coded rates in the precomputed inputs", whole=_DEFAULTS_HARDCODED_2),
    _bad(E2, "v counted twice", "dv = v[i - 1] - beta * v[i - 1] + alpha * (exc[i] - inh[i])",
         mistake="v_counted_twice"),
    _bad(E2, "a constant leak", "dv = -beta + alpha * (exc[i] - inh[i])",
         mistake="leak_not_proportional"),
    _bad(E2, "gaussian noise with the right mean",
         "dv = -beta * v[i - 1] + alpha * np.random.normal(exc_rate - inh_rate, 1)",
         mistake="gaussian_input"),
    _bad(E2, "exercise 1's answer", "dv = alpha * exc[i]"),
    _bad(E2, "fresh draws with inputs swapped",
         "dv = -beta * v[i - 1] + alpha * (np.random.poisson(inh_rate) - "
         "np.random.poisson(exc_rate))"),
    _bad(E2, "fresh draws without inhibition",
         "dv = -beta * v[i - 1] + alpha * np.random.poisson(exc_rate)"),
    _bad(E2, "fresh draws without the leak",
         "dv = alpha * (np.random.poisson(exc_rate) - np.random.poisson(inh_rate))"),
    _bad(E2, "leak without v", "dv = -beta * v + alpha * (exc[i] - inh[i])"),
    _bad(E2, "the stub left in", STUB_LINES),
    _bad(E2, "the placeholder left in", "dv = ..."),
    _bad(E2, "reset by subtraction", whole=_LIST_V_2.replace("v[i] = 0.0", "v[i] -= 1"),
         mistake="reset_by_subtraction"),
    _bad(E2, "no reset", whole=_LIST_V_2.replace("            v[i] = 0.0\n", ""),
         mistake="no_reset"),
    _bad(E2, "the previous step's excitation",
         "dv = -beta * v[i - 1] + alpha * (exc[i - 1] - inh[i])", mistake="exc_index_shifted"),
    _bad(E2, "the previous step's inhibition",
         "dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i - 1])", mistake="inh_index_shifted"),
    _bad(E2, "the previous step's inputs",
         "dv = -beta * v[i - 1] + alpha * (exc[i - 1] - inh[i - 1])",
         mistake="inputs_index_shifted"),
    _bad(E2, "inputs drawn before the loop but a separate generator used",
         "rng = np.random.default_rng(1000 + i)\n"
         "dv = -beta * v[i - 1] + alpha * (rng.poisson(exc_rate) - rng.poisson(inh_rate))"),
    _bad(E2, "the previous step's inputs as a named difference",
         "net = exc[i - 1] - inh[i - 1]\ndv = alpha * net - beta * v[i - 1]",
         mistake="inputs_index_shifted"),
)


def answers_for(function: str, correct: bool | None = None) -> tuple[Answer, ...]:
    return tuple(a for a in ANSWERS if a.function == function
                 and (correct is None or a.correct == correct))


def answer(function: str, key: str) -> Answer:
    return next(a for a in ANSWERS if a.function == function and a.key == key)


# --- putting answers into notebooks ---------------------------------------------------------------

def fill_in_cell(source: str, ans: Answer) -> str:
    """A release exercise cell with the stub replaced by the answer."""
    if ans.whole_function:
        start = source.index(f"def {ans.function}(")
        end = source.index("\n# Set random seed")
        return source[:start] + ans.whole_function.strip("\n") + "\n\n" + source[end:]
    match = STUB.search(source)
    if match is None:
        raise ValueError(f"no exercise stub found in the cell for {ans.function}")
    indent = match.group("indent")
    lines = "\n".join(indent + line if line else line for line in ans.dv.splitlines())
    return source[: match.start()] + lines + source[match.end():]


def fill_in(release_nb: NotebookNode, *answers: Answer) -> NotebookNode:
    """A copy of the release notebook as a student who gave these answers would submit it."""
    nb = nbformat.from_dict(release_nb)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    for ans in answers:
        grade_id = EXERCISE_CELLS[ans.function]
        cell = next(c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell.source = fill_in_cell(cell.source, ans)
    return nb


def function_source(release_nb: NotebookNode, ans: Answer) -> str:
    """Just the answered function's definition (no example run), for direct calls."""
    cell = next(c for c in release_nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == EXERCISE_CELLS[ans.function])
    filled = fill_in_cell(cell.source, ans)
    return filled[: filled.index("\n# Set random seed")]
