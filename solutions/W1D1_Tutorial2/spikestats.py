"""The statistical tier: is a spike train from another random stream still the right model?

Each trial's spike train is reduced to four statistics, transformed so that their distribution
over random streams is close to normal:

* ``sqrt_count``  square root of the spike count (variance-stabilised count);
* ``log_isi_mean`` log of the mean inter-spike interval;
* ``log_isi_cv``  log of the ISI coefficient of variation;
* ``isi_shape``   Wilson-Hilferty cube-root transform of the chi-square distance between the
  ISI histogram and the reference's ISI distribution (one-sided: only "too far" fails).

Their mean, standard deviation and skewness come from simulating the reference itself
(:mod:`.calibration`). The acceptance range of a statistic is the central part of
a Pearson type III (skewed gamma) distribution with those moments, with the skewness widened by
``SKEW_MARGIN`` towards the heavier tail and the standard deviation by ``SD_INFLATION``; its tail
probability is chosen so that a correct model fails any statistic of any trial of one exercise
with probability at most ``FALSE_REJECT_BUDGET`` (Bonferroni split). See
docs/how-grading-works.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from solutions.W1D1_Tutorial2.isi import inter_spike_intervals

#: The probability with which a correct answer to one exercise may fail the statistical tier.
FALSE_REJECT_BUDGET = 1e-6
#: Widening of the simulated standard deviations, for their sampling error (under 5% at 99.9%
#: confidence with 2000 runs).
SD_INFLATION = 1.1
#: Widening of the simulated skewness, about 3.6 standard errors of a skewness measured on 2000
#: runs: the tail model is never lighter than the data suggest.
SKEW_MARGIN = 0.2

STATISTICS = ("sqrt_count", "log_isi_mean", "log_isi_cv", "isi_shape")
ONE_SIDED = frozenset({"isi_shape"})


def tail_alpha(n_tests: int, one_sided: bool) -> float:
    """Probability allowed in each rejected tail of one statistic."""
    alpha = FALSE_REJECT_BUDGET / n_tests
    return alpha if one_sided else alpha / 2


def critical_z(n_tests: int, one_sided: bool) -> float:
    """The normal-theory threshold (used only to scale "how far" in diagnoses). The standard
    library's normal quantile, so that the grader needs no scipy.stats to name a mistake."""
    return -NormalDist().inv_cdf(tail_alpha(n_tests, one_sided))


#: Ranges computed elsewhere with the same constants (the stored runs, :mod:`.stored`), by
#: (skewness, n_tests, one_sided): scipy.stats costs half a second of a grading run's start.
_KNOWN_RANGES: dict[tuple[float, int, bool], tuple[float, float]] = {}


def remember_z_ranges(entries) -> None:
    """Take ``(skewness, n_tests, one_sided, low, high)`` ranges that :func:`z_range` would
    compute (the caller vouches for it: the stored runs' digest covers this module)."""
    for skewness, n_tests, one_sided, low, high in entries:
        _KNOWN_RANGES[float(skewness), int(n_tests), bool(one_sided)] = (float(low), float(high))


def z_range(skewness: float, n_tests: int, one_sided: bool) -> tuple[float, float]:
    """Accepted range of a standardised statistic under the widened Pearson III tail model."""
    known = _KNOWN_RANGES.get((float(skewness), int(n_tests), bool(one_sided)))
    return known if known is not None else pearson3_range(skewness, n_tests, one_sided)


@lru_cache(maxsize=256)
def pearson3_range(skewness: float, n_tests: int, one_sided: bool) -> tuple[float, float]:
    from scipy import stats as scipy_stats  # here: half a second of the grader's start otherwise

    alpha = tail_alpha(n_tests, one_sided)
    high = float(scipy_stats.pearson3(skewness + SKEW_MARGIN).isf(alpha))
    if one_sided:
        return -math.inf, high
    low = float(scipy_stats.pearson3(skewness - SKEW_MARGIN).ppf(alpha))
    return low, high


def isi_histogram(isi: np.ndarray, edges: list[float]) -> np.ndarray:
    """Counts of ISIs in the bins [edges[k], edges[k+1]); the last bin is open-ended."""
    closed = np.asarray(list(edges) + [np.inf], dtype=float)
    counts, _ = np.histogram(isi, bins=closed)
    return counts


def chi_square_z(isi: np.ndarray, edges: list[float], probabilities: list[float]) -> float:
    """Wilson-Hilferty z of the chi-square distance between an ISI sample and a distribution."""
    p = np.asarray(probabilities, dtype=float)
    n = isi.size
    if n == 0:
        return math.inf
    observed = isi_histogram(isi, edges)
    expected = n * p
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    dof = p.size - 1
    return ((chi2 / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))


def raw_statistics(spike_times: np.ndarray) -> dict[str, float]:
    """Untransformed, human-readable statistics: spike count, mean ISI, ISI CV."""
    isi = inter_spike_intervals(spike_times)
    mean = float(isi.mean()) if isi.size else math.nan
    cv = float(isi.std(ddof=1) / mean) if isi.size >= 2 and mean > 0 else math.nan
    return {"count": float(np.size(spike_times)), "isi_mean": mean, "isi_cv": cv}


def transformed_statistics(spike_times: np.ndarray, edges: list[float],
                           probabilities: list[float]) -> dict[str, float]:
    """The four near-normal statistics of a spike train (NaN/inf where undefined)."""
    raw = raw_statistics(spike_times)
    isi = inter_spike_intervals(spike_times)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "sqrt_count": math.sqrt(raw["count"]),
            "log_isi_mean": math.log(raw["isi_mean"]) if raw["isi_mean"] > 0 else -math.inf,
            "log_isi_cv": math.log(raw["isi_cv"]) if raw["isi_cv"] > 0 else -math.inf,
            "isi_shape": chi_square_z(isi, edges, probabilities),
        }


@dataclass(frozen=True)
class StatisticResult:
    """One statistic of one trial, compared with the reference's distribution."""

    name: str
    value: float
    mean: float
    sd: float
    low_z: float
    high_z: float

    @property
    def z(self) -> float:
        """Distance from the reference mean in (inflated) reference standard deviations."""
        if not math.isfinite(self.value):
            return math.inf if self.value > 0 or math.isnan(self.value) else -math.inf
        return (self.value - self.mean) / (self.sd * SD_INFLATION)

    @property
    def passed(self) -> bool:
        return self.low_z <= self.z <= self.high_z

    def allowed_range(self) -> tuple[float, float]:
        scale = self.sd * SD_INFLATION
        return self.mean + self.low_z * scale, self.mean + self.high_z * scale


def compare_statistics(spike_times: np.ndarray, calibration: dict, n_tests: int
                       ) -> list[StatisticResult]:
    """Compare a spike train's statistics with one trial's calibration record."""
    values = transformed_statistics(spike_times, calibration["isi_edges"],
                                    calibration["isi_probabilities"])
    results = []
    for name in STATISTICS:
        record = calibration["stats"][name]
        low, high = z_range(float(record["skewness"]), n_tests, name in ONE_SIDED)
        results.append(StatisticResult(name=name, value=values[name], mean=float(record["mean"]),
                                       sd=float(record["sd"]), low_z=low, high_z=high))
    return results


def describe(results: list[StatisticResult], spike_times: np.ndarray,
             reference_raw: dict[str, float]) -> str:
    """A sentence naming the statistics that are off, in the units students know."""
    raw = raw_statistics(spike_times)
    labels = {"sqrt_count": ("spike count", "count", "{:.0f}"),
              "log_isi_mean": ("mean ISI", "isi_mean", "{:.2f} steps"),
              "log_isi_cv": ("ISI CV", "isi_cv", "{:.2f}"),
              "isi_shape": ("ISI histogram shape", None, None)}
    parts = []
    for result in results:
        if result.passed:
            continue
        label, key, fmt = labels[result.name]
        if key is None:
            parts.append(f"the {label} differs from the reference's")
            continue
        yours = raw[key]
        expected = reference_raw.get(key, math.nan)
        yours_text = fmt.format(yours) if math.isfinite(yours) else "undefined"
        parts.append(f"{label} {yours_text} (the reference gives about {fmt.format(expected)})")
    return "; ".join(parts)
