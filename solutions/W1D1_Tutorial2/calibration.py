"""Tolerances of the statistical tier, measured by simulating the reference itself.

``python -m solutions.W1D1_Tutorial2 calibrate`` runs the reference model many times on every
hidden trial's parameters (with seeds unrelated to the trials' own), and stores, per trial, the
mean and standard deviation of each statistic of :mod:`.spikestats` and the ISI distribution the
histogram statistic compares against. Each exercise has its own file,
``calibration/<function>.json``: adding or recalibrating an exercise leaves every other
exercise's tolerances as they are. A test fails when a file no longer matches its trials.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from solutions.W1D1_Tutorial2.isi import inter_spike_intervals
from solutions.W1D1_Tutorial2.spikestats import (
    STATISTICS,
    raw_statistics,
    transformed_statistics,
)
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS, Trial, trials_digest

CALIBRATION_FOLDER = Path(__file__).with_name("calibration")
DEFAULT_RUNS = 2000
#: Seeds of calibration runs start here, far from any trial seed.
SEED_BASE = 10_000_000
MAX_BINS = 15


def reference_function(name: str) -> Callable:
    from solutions.W1D1_Tutorial2 import models

    return getattr(models, name)


def simulate_spike_trains(trial: Trial, runs: int, seed_base: int = SEED_BASE
                          ) -> list[np.ndarray]:
    """Spike trains of the reference on the trial's parameters, one per seed."""
    func = reference_function(trial.function)
    trains = []
    for run in range(runs):
        np.random.seed(seed_base + run)
        _, spike_times = func(**trial.kwargs)
        trains.append(np.asarray(spike_times, dtype=float))
    return trains


def isi_bins(isi: np.ndarray, typical_count: float) -> tuple[list[float], list[float]]:
    """Bins of whole-step ISIs, merged until each expects at least 5 intervals per train."""
    values, counts = np.unique(isi.astype(int), return_counts=True)
    probabilities = counts / counts.sum()
    minimum = max(5.0 / max(typical_count, 1.0), 1.0 / MAX_BINS)
    edges, probs, current = [], [], 0.0
    start = None
    for value, p in zip(values, probabilities, strict=True):
        if start is None:
            start = int(value)
        current += p
        if current >= minimum:
            edges.append(float(start))
            probs.append(current)
            start, current = None, 0.0
    if current > 0 and probs:  # fold a thin tail into the last bin
        probs[-1] += current
    edges[0] = 1.0
    total = sum(probs)
    return edges, [p / total for p in probs]


def calibrate_trial(trial: Trial, runs: int = DEFAULT_RUNS) -> dict:
    """One trial's calibration record."""
    trains = simulate_spike_trains(trial, runs)
    pooled = np.concatenate([inter_spike_intervals(t) for t in trains])
    counts = [inter_spike_intervals(t).size for t in trains]
    edges, probabilities = isi_bins(pooled, float(np.mean(counts)))
    table = {name: [] for name in STATISTICS}
    raw = {"count": [], "isi_mean": [], "isi_cv": []}
    for train in trains:
        for name, value in transformed_statistics(train, edges, probabilities).items():
            table[name].append(value)
        for name, value in raw_statistics(train).items():
            raw[name].append(value)
    stats = {}
    for name, values in table.items():
        values = np.asarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise RuntimeError(f"{trial.id}: the reference gives an undefined {name}; choose "
                               "parameters at which it fires steadily")
        mean, sd = float(values.mean()), float(values.std(ddof=1))
        stats[name] = {"mean": mean, "sd": sd,
                       "max_abs_z": float(np.max(np.abs(values - mean)) / sd),
                       "skewness": float(np.mean(((values - mean) / sd) ** 3))}
    return {
        "id": trial.id,
        "runs": runs,
        "stats": stats,
        "raw_means": {name: float(np.mean(values)) for name, values in raw.items()},
        "isi_edges": edges,
        "isi_probabilities": probabilities,
    }


def calibrate(function: str, runs: int = DEFAULT_RUNS, workers: int | None = None,
              progress: Callable[[str], None] = print) -> dict:
    """Calibrate every hidden trial of one exercise (in parallel processes)."""
    trials = HIDDEN_TRIALS[function]
    records = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {t.id: pool.submit(calibrate_trial, t, runs) for t in trials}
        for trial_id, future in futures.items():
            records[trial_id] = future.result()
            worst = max(s["max_abs_z"] for s in records[trial_id]["stats"].values())
            progress(f"calibrated {trial_id}: {runs} runs, largest |z| seen {worst:.2f}")
    return {"function": function, "trials_digest": trials_digest(function), "runs": runs,
            "trials": records}


def calibration_file(function: str) -> Path:
    return CALIBRATION_FOLDER / f"{function}.json"


def write_calibration(data: dict) -> Path:
    path = calibration_file(data["function"])
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    load_calibration.cache_clear()
    return path


@lru_cache(maxsize=8)
def load_calibration(function: str) -> dict:
    """An exercise's committed calibration; refuses one made for other hidden trials."""
    path = calibration_file(function)
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `python -m solutions.W1D1_Tutorial2 "
                           f"calibrate {function}`")
    data = json.loads(path.read_text())
    if data.get("trials_digest") != trials_digest(function):
        raise RuntimeError(f"{path} was made for other hidden trials: run `python -m "
                           f"solutions.W1D1_Tutorial2 calibrate {function}` and commit it")
    return data


def n_statistical_tests(function: str) -> int:
    """How many statistics share one exercise's false-reject budget."""
    return len(HIDDEN_TRIALS[function]) * len(STATISTICS)


def worst_case_z(data: dict) -> float:
    return max(s["max_abs_z"] for rec in data["trials"].values() for s in rec["stats"].values()
               if math.isfinite(s["max_abs_z"]))
