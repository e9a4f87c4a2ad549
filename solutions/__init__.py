"""The reference model of the "How models" tutorial: the single source of truth.

Everything that needs the right answer (the master notebook's tests, the hidden checks, the
mistake catalogue, the class report) imports it from here instead of restating it.
"""

from solutions.isi import SpikeStatistics, inter_spike_intervals, spike_statistics
from solutions.models import lif_neuron, lif_neuron_inh

__all__ = [
    "SpikeStatistics",
    "inter_spike_intervals",
    "lif_neuron",
    "lif_neuron_inh",
    "spike_statistics",
]
