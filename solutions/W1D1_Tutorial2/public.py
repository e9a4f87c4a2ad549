"""The notebook's public self-checks, re-judged from plain data in the trusted process.

The release's ``self_check`` helper runs inside the student's process, where the student's code
could rig it. The batch grader therefore also applies the same conditions here, to the values the
student's function returned for the same calls (:data:`PUBLIC_TRIALS`). Keep the two in step: a
test runs both on the whole answer catalogue and requires the same result.
"""

from __future__ import annotations

import numpy as np

from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain
from solutions.W1D1_Tutorial2.structure import Finding, returned_values
from solutions.W1D1_Tutorial2.trials import PUBLIC_TRIALS


def judge_public(function: str, observations: dict[str, SpikeTrain]) -> Finding | None:
    """None when every public self-check passes, else the first failure."""
    for trial in PUBLIC_TRIALS[function]:
        obs = observations.get(trial.id)
        if obs is None:
            return Finding("not_run", f"{function} was not called by the self-checks.")
        finding = returned_values(obs, trial, require_tuple=True)
        if finding:
            return finding
        v, times = obs.v, obs.spike_times.astype(int)
        if not np.all(v[times] == 0):
            return Finding("reset", "v should be reset to 0 at every spike time.")
        if times.size == 0:
            return Finding("silent", f"{function} never spiked in {trial.n_steps} steps.")
        if times.size >= trial.n_steps - 1:
            return Finding("always", f"{function} spiked at every time step.")
    return None
