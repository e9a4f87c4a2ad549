"""Inter-spike-interval (ISI) statistics shared by the hidden checks and the class report.

The tutorial judges its models by their ISI histograms; these helpers reduce a spike train to
the few numbers the checks compare (spike count, ISI mean, ISI coefficient of variation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def inter_spike_intervals(spike_times) -> np.ndarray:
    """Return the intervals between consecutive spikes, in time steps, as a float array."""
    times = np.asarray(spike_times, dtype=float).ravel()
    return np.diff(times)


@dataclass(frozen=True)
class SpikeStatistics:
    """Summary of one spike train. ISI fields are NaN when there are fewer than two spikes
    (mean) or three spikes (CV), because they are undefined there."""

    count: int
    isi_mean: float
    isi_cv: float

    def as_dict(self) -> dict[str, float]:
        return {"count": self.count, "isi_mean": self.isi_mean, "isi_cv": self.isi_cv}


def spike_statistics(spike_times) -> SpikeStatistics:
    """Spike count, mean ISI and ISI coefficient of variation (std / mean) of a spike train."""
    isi = inter_spike_intervals(spike_times)
    count = int(np.asarray(spike_times).size)
    mean = float(isi.mean()) if isi.size >= 1 else math.nan
    cv = float(isi.std(ddof=1) / mean) if isi.size >= 2 and mean > 0 else math.nan
    return SpikeStatistics(count=count, isi_mean=mean, isi_cv=cv)
