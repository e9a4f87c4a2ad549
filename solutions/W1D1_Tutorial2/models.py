"""Reference implementations of the tutorial's two exercises.

They keep the tutorial's exact structure (Poisson inputs precomputed with
``stats.poisson(rate).rvs(n_steps)``, a spike when ``v[i] > 1``, reset to 0) because the hidden
checks compare students against them draw for draw under the same seed, and because the mistake
catalogue builds its mutants by editing this source one line at a time.
"""

import numpy as np
from scipy import stats


def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    """Simulate a linear integrate-and-fire neuron.

    Args:
      n_steps (int): The number of time steps to simulate the neuron's activity.
      alpha (float): The input scaling factor
      rate (int): The mean rate of incoming spikes

    Returns:
      v (ndarray): membrane potential at each step
      spike_times (list): steps at which the neuron spiked
    """
    # Precompute Poisson samples for speed
    exc = stats.poisson(rate).rvs(n_steps)

    # Initialize voltage and spike storage
    v = np.zeros(n_steps)
    spike_times = []

    # Loop over steps
    for i in range(1, n_steps):
        # Update v
        dv = alpha * exc[i]
        v[i] = v[i - 1] + dv

        # If spike happens, reset voltage and record
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0

    return v, spike_times


def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    """Simulate a simplified leaky integrate-and-fire neuron with both excitatory
    and inhibitory inputs.

    Args:
      n_steps (int): The number of time steps to simulate the neuron's activity.
      alpha (float): The input scaling factor
      beta (float): The membrane potential leakage factor
      exc_rate (int): The mean rate of the incoming excitatory spikes
      inh_rate (int): The mean rate of the incoming inhibitory spikes

    Returns:
      v (ndarray): membrane potential at each step
      spike_times (list): steps at which the neuron spiked
    """
    # Precompute Poisson samples for speed
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

    return v, spike_times
