"""The trials the checks run a student's function on.

A trial is one call with fixed parameters under a fixed seed. Hidden trials avoid the defaults on
purpose (hard-coded defaults fail), use alphas for which no sum of inputs lands exactly on the
threshold (so that `v > 1` never depends on rounding), include equal and unequal excitatory and
inhibitory rates (equal rates alone cannot tell swapped signs apart), and only parameter sets at
which the reference fires hundreds of times.

Each trial is first called for its first ``SEEDED_STEPS`` steps only (:func:`seeded_trial`):
that is enough to compare, step by step, an answer that draws the reference's random numbers.
The whole trial, long enough for spike statistics, is only called when the first call shows
another random stream.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from autograder.execute.observe import Probe


@dataclass(frozen=True)
class Trial:
    """One seeded call of an exercise function."""

    id: str
    function: str
    seed: int
    kwargs: dict = field(default_factory=dict)

    @property
    def n_steps(self) -> int:
        return int(self.kwargs["n_steps"])

    def as_dict(self) -> dict:
        return asdict(self)

    def probe(self) -> Probe:
        """The call the grader's sandbox makes for this trial."""
        return Probe(id=self.id, function=self.function, kwargs=dict(self.kwargs), seed=self.seed)

    @classmethod
    def from_dict(cls, data: dict) -> Trial:
        return cls(id=str(data["id"]), function=str(data["function"]), seed=int(data["seed"]),
                   kwargs=dict(data["kwargs"]))


def _trial(function: str, seed: int, **kwargs) -> Trial:
    label = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return Trial(id=f"{function}({label})", function=function, seed=seed, kwargs=kwargs)


#: Hidden trials per exercise function.
HIDDEN_TRIALS: dict[str, tuple[Trial, ...]] = {
    "lif_neuron": (
        _trial("lif_neuron", 7101, n_steps=3000, alpha=0.0137, rate=10),
        _trial("lif_neuron", 7102, n_steps=3000, alpha=0.031, rate=7),
        _trial("lif_neuron", 7103, n_steps=3000, alpha=0.0083, rate=17),
    ),
    "lif_neuron_inh": (
        _trial("lif_neuron_inh", 7201, n_steps=3000, alpha=0.37, beta=0.13, exc_rate=12,
               inh_rate=7),
        _trial("lif_neuron_inh", 7202, n_steps=3000, alpha=0.53, beta=0.071, exc_rate=10,
               inh_rate=10),
        _trial("lif_neuron_inh", 7203, n_steps=3000, alpha=0.29, beta=0.23, exc_rate=17,
               inh_rate=9),
        _trial("lif_neuron_inh", 7204, n_steps=3000, alpha=1.3, beta=0.4, exc_rate=9,
               inh_rate=12),
    ),
}

#: Steps of a trial's first, seeded call.
SEEDED_STEPS = 600


def seeded_trial(trial: Trial) -> Trial:
    """The trial's first ``SEEDED_STEPS`` steps: same parameters and seed, a shorter run."""
    kwargs = dict(trial.kwargs, n_steps=SEEDED_STEPS)
    label = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return Trial(id=f"{trial.function}({label})", function=trial.function, seed=trial.seed,
                 kwargs=kwargs)


#: Seeded-only trials that tell every known mistake apart from the others and from the reference:
#: a weak input or a low rate, at which no mistake makes the neuron fire at every step (two
#: mistakes that both do leave identical traces). Judged only when the student draws the
#: reference's random numbers; a test checks that the mistakes are told apart.
IDENTIFICATION_TRIALS: dict[str, tuple[Trial, ...]] = {
    "lif_neuron": (_trial("lif_neuron", 7151, n_steps=SEEDED_STEPS, alpha=0.3, rate=2),),
    "lif_neuron_inh": (_trial("lif_neuron_inh", 7251, n_steps=SEEDED_STEPS, alpha=0.05,
                              beta=0.12, exc_rate=15, inh_rate=9),),
}


def seeded_trials(function: str) -> tuple[Trial, ...]:
    """Every trial judged step by step when the student draws the reference's numbers."""
    return tuple(seeded_trial(t) for t in HIDDEN_TRIALS[function]) + \
        IDENTIFICATION_TRIALS[function]


#: The calls the notebook's public self-checks make (`self_check` in the setup section), all with
#: seed 2021: the default parameters, which are the ones the student sees, then a second set
#: that moves every argument (a number hard-coded in place of an argument, or two arguments in
#: each other's roles, behave like the model at the defaults only). With equal excitatory and
#: inhibitory rates the defaults cannot tell the inputs apart: the second set's rates differ.
#: The second set is short (500 steps), and far enough from the defaults that the mistakes it is
#: there for land well outside the model's range (see tests/test_self_checks.py).
PUBLIC_SEED = 2021
PUBLIC_PARAMETERS: dict[str, tuple[dict, ...]] = {
    "lif_neuron": ({"n_steps": 1000}, {"n_steps": 500, "alpha": 0.02, "rate": 15}),
    "lif_neuron_inh": ({"n_steps": 1000},
                       {"n_steps": 500, "alpha": 0.1, "beta": 0.8, "exc_rate": 12, "inh_rate": 8}),
}
PUBLIC_TRIALS: dict[str, tuple[Trial, ...]] = {
    name: tuple(_trial(name, PUBLIC_SEED, **kwargs) for kwargs in sets)
    for name, sets in PUBLIC_PARAMETERS.items()
}


def trials_digest(function: str) -> str:
    """A fingerprint of one exercise's hidden trials, stored with its calibration to detect
    staleness (each exercise has its own: adding one never touches another's)."""
    payload = json.dumps([t.as_dict() for t in HIDDEN_TRIALS[function]], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
