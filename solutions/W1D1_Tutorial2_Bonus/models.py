"""Reference implementations of the bonus assignment: the leaky integrate-and-fire neuron in
physical units (mV, ms, nA, MOhm, nF).

This module is the single source of truth: the master notebook's solutions must agree with it
(a test checks), the trusted checks compare students against it, and the known mistakes are built
by editing its source one line at a time (:mod:`.mistakes`), so keep one statement per line.

Units: MOhm x nA = mV and MOhm x nF = ms, so with voltages in mV, times in ms, currents in nA,
resistances in MOhm and capacitances in nF no conversion factor appears anywhere.
"""

import numpy as np


def simulate_lif(I, dt=0.1, C_m=0.2, R_m=50.0, V_rest=-70.0,  # noqa: E741 (I: the current)
                 V_th=-55.0, V_reset=-75.0, t_ref=2.0):
    """Simulate a leaky integrate-and-fire neuron with the Euler method.

    Args:
      I (ndarray): input current at each time step (nA)
      dt (float): time step (ms)
      C_m (float): membrane capacitance (nF)
      R_m (float): membrane resistance (MOhm)
      V_rest (float): resting potential (mV)
      V_th (float): spike threshold (mV)
      V_reset (float): potential right after a spike (mV)
      t_ref (float): refractory period (ms)

    Returns:
      v (ndarray): membrane potential at each time step (mV)
      spike_times (list): times of the spikes (ms)
    """
    n_steps = len(I)
    n_ref = int(round(t_ref / dt))  # the refractory period, in time steps
    v = np.zeros(n_steps)
    v[0] = V_rest  # the neuron starts at rest
    spike_times = []
    refractory = 0  # time steps left in the current refractory period

    for i in range(n_steps - 1):
        if refractory > 0:
            v[i + 1] = V_reset
            refractory -= 1
            continue
        dv = dt / (R_m * C_m) * (-(v[i] - V_rest) + R_m * I[i])
        v[i + 1] = v[i] + dv
        if v[i + 1] >= V_th:
            spike_times.append((i + 1) * dt)
            v[i + 1] = V_reset
            refractory = n_ref

    return v, spike_times


def firing_rate(spike_times):
    """Firing rate of a spike train (Hz): one over its mean inter-spike interval.

    Args:
      spike_times (sequence): times of the spikes (ms), increasing

    Returns:
      rate (float): 1000 / mean ISI in Hz; 0.0 for fewer than two spikes
    """
    if len(spike_times) < 2:
        return 0.0
    isi = np.diff(spike_times)
    return 1000.0 / np.mean(isi)


def lif_rate(I, C_m=0.2, R_m=50.0, V_rest=-70.0,  # noqa: E741 (I: the current)
             V_th=-55.0, V_reset=-75.0, t_ref=2.0):
    """Analytic firing rate (Hz) of the leaky integrate-and-fire neuron for a constant current.

    Args:
      I (float): constant input current (nA)
      C_m, R_m, V_rest, V_th, V_reset, t_ref: as in simulate_lif (nF, MOhm, mV, mV, mV, ms)

    Returns:
      rate (float): 0.0 at or below the rheobase (the potential never reaches V_th), else
      1000 / (t_ref + tau_m ln((V_inf - V_reset) / (V_inf - V_th))) in Hz
    """
    tau_m = R_m * C_m
    V_inf = V_rest + R_m * I
    if V_inf <= V_th:
        return 0.0
    period = t_ref + tau_m * np.log((V_inf - V_reset) / (V_inf - V_th))
    return 1000.0 / period
