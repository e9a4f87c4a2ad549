"""One source of truth: the master's solutions agree with solutions/ (the demos run the
student's own functions: tests/test_self_checks.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from solutions.W1D1_Tutorial2 import isi, models

PARAMETERS = {
    "lif_neuron": [dict(), dict(n_steps=1500, alpha=0.0137, rate=10),
                   dict(n_steps=800, alpha=0.031, rate=7)],
    "lif_neuron_inh": [dict(), dict(n_steps=1500, alpha=0.37, beta=0.13, exc_rate=12, inh_rate=7),
                       dict(n_steps=800, alpha=1.3, beta=0.4, exc_rate=9, inh_rate=12)],
}
SEEDS = (12, 2021, 7)


def master_function(master_nb, name: str):
    """Define the master's exercise function (its code up to the example run)."""
    cell = next(c for c in master_nb.cells if f"def {name}(" in c.source
                and c.metadata.get("nbgrader", {}).get("solution"))
    source = cell.source[: cell.source.index("\n# Set random seed")]
    namespace = {"np": np, "stats": stats}
    exec(compile(source, f"<master {name}>", "exec"), namespace)
    return namespace[name]


def run_seeded(func, seed: int, **kwargs):
    np.random.seed(seed)
    v, spike_times = func(**kwargs)
    return np.asarray(v), np.asarray(spike_times)


@pytest.mark.parametrize("name", sorted(PARAMETERS))
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed {s}")
def test_master_solution_matches_the_reference(master_nb, name, seed):
    ours = master_function(master_nb, name)
    for kwargs in PARAMETERS[name]:
        v_master, s_master = run_seeded(ours, seed, **kwargs)
        v_ref, s_ref = run_seeded(getattr(models, name), seed, **kwargs)
        assert np.array_equal(s_master, s_ref), f"{name}{kwargs}: spike times differ"
        assert np.array_equal(v_master, v_ref), f"{name}{kwargs}: voltage traces differ"


def test_isi_statistics_of_a_regular_train():
    result = isi.spike_statistics([10, 20, 30, 40])
    assert (result.count, result.isi_mean, result.isi_cv) == (4, 10.0, 0.0)
    assert np.isnan(isi.spike_statistics([5]).isi_mean)
    assert np.array_equal(isi.inter_spike_intervals([3, 7, 12]), [4.0, 5.0])
