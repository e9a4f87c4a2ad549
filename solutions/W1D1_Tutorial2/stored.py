"""The runs the judge compares against, computed once and stored next to the calibration.

What the reference and each known mistake's mutant do on the trials is deterministic: the same
seeds, the same model and the same edits give the same runs. Computing them in every grading run
costs its start about half a second (the reference's Poisson draws need ``scipy.stats``), and the
first wrong answer the mutants' runs: both on the same two cores as the notebooks. So
``python -m solutions.W1D1_Tutorial2 runs`` (and ``calibrate``, after it) computes them once and
stores, per exercise, ``calibration/<function>.runs.npz``:

* the reference's and every mutant's whole :class:`.SpikeTrain` on each seeded trial (the first
  steps of a hidden trial, and the identification trials): what the seeded tier and the exact
  naming of a mistake compare with;
* each mutant's :class:`MutantSummary` on each whole hidden trial: what naming a mistake by its
  statistics needs, without its 3,000-step trace;
* the accepted range of each calibrated statistic (a Pearson III quantile from ``scipy.stats``).

The file carries a digest of what it was computed from: every module of this package (so any
edit here asks for the command again), the engine's modules that make a call and build a mutant,
the trials, the mistakes' edits and the calibration. A file whose digest differs, or that cannot
be read, is ignored and everything is computed live, as without it: a stale file costs time, not
a verdict. A test compares the committed files with live runs and names the command.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder import mutation
from autograder.execute import observe
from solutions.W1D1_Tutorial2.calibration import (
    CALIBRATION_FOLDER,
    calibration_file,
    load_calibration,
    n_statistical_tests,
)
from solutions.W1D1_Tutorial2.mistakes import mistakes_for
from solutions.W1D1_Tutorial2.spikestats import ONE_SIDED, pearson3_range, remember_z_ranges
from solutions.W1D1_Tutorial2.spiketrain import SpikeTrain
from solutions.W1D1_Tutorial2.structure import returned_values, structure_key
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS, Trial, seeded_trials

HERE = Path(__file__).parent
#: The code a stored value may depend on: every module of this exercise package (the reference,
#: the trials, the mistakes, how a call is read and summarised; listing only some would let an
#: edit of another slip by), and the engine's modules that make the call and build a mutant.
#: NumPy's and scipy's versions are left out: NumPy keeps the legacy random stream the trials
#: draw from stable by policy, and the test that compares the files with live runs runs on the
#: versions CI installs.
SOURCES = (*sorted(HERE.glob("*.py")), Path(observe.__file__), Path(mutation.__file__))
#: The scalar fields of a stored SpikeTrain (its arrays are stored apart).
_FIELDS = ("error", "result_type", "result_length", "v_dtype", "conversion_error", "rng_state")


@dataclass(frozen=True)
class MutantSummary:
    """What naming a mistake by its statistics needs from a mutant's whole trial."""

    returned: str | None  # the returned-values problem, if the mutant has one
    structure: str | None  # the structural finding's key, if any
    spike_times: np.ndarray | None


def summarize(train: SpikeTrain, trial: Trial) -> MutantSummary:
    returned = returned_values(train, trial)
    if returned is not None:
        return MutantSummary(returned.key, None, None)
    return MutantSummary(None, structure_key(train, trial), train.spike_times)


@dataclass
class StoredRuns:
    """One exercise's stored runs, by (trial id, mistake key or None for the reference)."""

    trains: dict[tuple[str, str | None], SpikeTrain]
    summaries: dict[tuple[str, str], MutantSummary]
    #: (skewness, n_tests, one_sided, low, high) of each calibrated statistic
    z_ranges: list[tuple[float, int, bool, float, float]] = field(default_factory=list)


def runs_file(function: str) -> Path:
    return CALIBRATION_FOLDER / f"{function}.runs.npz"


def runs_digest(function: str) -> str:
    """A fingerprint of everything the stored runs of one exercise are computed from."""
    load_calibration(function)  # a missing or stale calibration says so, and which command
    digest = hashlib.sha256()  # the trials and the mistakes are in the sources
    for path in (*SOURCES, calibration_file(function)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def compute_runs(function: str) -> StoredRuns:
    """Everything the file stores, computed live: the runs, and the statistics' ranges."""
    from solutions.W1D1_Tutorial2.context import ReferenceContext

    context = ReferenceContext(stored=False)
    trains, summaries = {}, {}
    ids = [t.id for t in (*seeded_trials(function), *HIDDEN_TRIALS[function])]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"{function}: two trials share an id; the stored runs are by id")
    for trial in seeded_trials(function):
        trains[trial.id, None] = context.reference(trial)
        for mistake in mistakes_for(function):
            trains[trial.id, mistake.key] = context.mutant(trial, mistake)
    for trial in HIDDEN_TRIALS[function]:
        for mistake in mistakes_for(function):
            summaries[trial.id, mistake.key] = context.mutant_summary(trial, mistake)
    return StoredRuns(trains, summaries, _z_ranges(function))


def _z_ranges(function: str) -> list[tuple[float, int, bool, float, float]]:
    """(skewness, n_tests, one_sided, low, high) of each statistic the calibration holds."""
    n_tests = n_statistical_tests(function)
    ranges = []
    for record in load_calibration(function)["trials"].values():
        for name, stat in sorted(record["stats"].items()):
            key = (float(stat["skewness"]), n_tests, name in ONE_SIDED)
            ranges.append((*key, *pearson3_range(*key)))
    return ranges


class _Arrays:
    """Arrays packed end to end into one, each remembered by its [start, stop)."""

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, array: np.ndarray | None) -> list[int] | None:
        if array is None:
            return None
        array = np.asarray(array, dtype=float).ravel()
        self.parts.append(array)
        self.size += array.size
        return [self.size - array.size, self.size]

    def packed(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0)


def write_runs(function: str) -> Path:
    """Compute and store one exercise's runs (``python -m solutions.W1D1_Tutorial2 runs``)."""
    runs = compute_runs(function)
    values, spikes = _Arrays(), _Arrays()
    trains = []
    for (trial_id, mistake), train in runs.trains.items():
        if train.v is not None and train.v.ndim != 1:
            raise RuntimeError(f"{trial_id} {mistake}: a stored v must be one-dimensional")
        trains.append({"trial": trial_id, "mistake": mistake,
                       **{name: getattr(train, name) for name in _FIELDS},
                       "v": values.add(train.v), "spike_times": spikes.add(train.spike_times)})
    summaries = [{"trial": trial_id, "mistake": mistake, "returned": summary.returned,
                  "structure": summary.structure, "spike_times": spikes.add(summary.spike_times)}
                 for (trial_id, mistake), summary in runs.summaries.items()]
    meta = {"function": function, "digest": runs_digest(function), "trains": trains,
            "summaries": summaries, "z_ranges": runs.z_ranges}
    path = runs_file(function)
    _write_npz(path, {"v": values.packed(), "spike_times": spikes.packed(),
                      "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)})
    load_runs.cache_clear()
    return path


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` with a fixed date on every entry: the same runs give the same
    file, byte for byte, so rewriting them shows no change to review or commit."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as handle:
                np.lib.format.write_array(handle, array, allow_pickle=False)


def _slice(array: np.ndarray, span: list[int] | None) -> np.ndarray | None:
    return None if span is None else array[span[0]:span[1]]


def read_runs(function: str) -> StoredRuns | None:
    """One exercise's stored runs; None when the file is missing, stale or unreadable (a
    truncated download, a Git LFS pointer...): the runs are then computed live."""
    path = runs_file(function)
    if not path.exists():
        return None
    digest = runs_digest(function)
    try:
        runs = _read(path, function, digest)
    except Exception:  # noqa: BLE001 (zip, zlib, npy, JSON or shape errors alike: no file)
        return None
    if runs is not None:
        remember_z_ranges(runs.z_ranges)
    return runs


def _read(path: Path, function: str, digest: str) -> StoredRuns | None:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(data["meta"].tobytes())
        if meta.get("function") != function or meta.get("digest") != digest:
            return None
        values, spikes = data["v"], data["spike_times"]
    values.flags.writeable = spikes.flags.writeable = False  # shared by every verdict
    trains = {}
    for entry in meta["trains"]:
        train = SpikeTrain(trial_id=entry["trial"], v=_slice(values, entry["v"]),
                           spike_times=_slice(spikes, entry["spike_times"]),
                           **{name: entry[name] for name in _FIELDS})
        trains[entry["trial"], entry["mistake"]] = train
    summaries = {(e["trial"], e["mistake"]): MutantSummary(
        e["returned"], e["structure"], _slice(spikes, e["spike_times"]))
        for e in meta["summaries"]}
    ranges = [(float(s), int(n), bool(o), float(low), float(high))
              for s, n, o, low, high in meta["z_ranges"]]
    return StoredRuns(trains, summaries, ranges)


@lru_cache(maxsize=8)
def load_runs(function: str) -> StoredRuns | None:
    """One exercise's stored runs, or None when the file is missing or stale (then the runs
    are computed live). Loaded once per process."""
    return read_runs(function)
