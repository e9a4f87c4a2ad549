"""Run a student's function on one trial and keep only plain data.

An :class:`Observation` is what crosses from the process that ran student code to the process
that judges it: numbers, strings and float64 arrays, serialised as JSON. Nothing the student
returned is kept as an object, so a rigged ``__eq__`` or a subclass cannot reach the judge.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from autograder.checks.trials import Trial

#: Arrays longer than this are refused when decoding (a trial never needs more).
MAX_ARRAY_LENGTH = 1_000_000


@dataclass
class Observation:
    """What one call of the student's function produced."""

    trial_id: str
    error: str | None = None
    result_type: str = ""
    result_length: int | None = None
    v: np.ndarray | None = None
    spike_times: np.ndarray | None = None
    conversion_error: str | None = None
    rng_state: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "trial_id": self.trial_id,
            "error": self.error,
            "result_type": self.result_type,
            "result_length": self.result_length,
            "v": encode_array(self.v),
            "spike_times": encode_array(self.spike_times),
            "conversion_error": self.conversion_error,
            "rng_state": self.rng_state,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Observation:
        """Rebuild an observation from untrusted JSON data, checking every field's type."""
        if not isinstance(data, dict):
            raise ValueError("observation is not a JSON object")
        length = data.get("result_length")
        return cls(
            trial_id=_as_str(data.get("trial_id")),
            error=_as_optional_str(data.get("error")),
            result_type=_as_str(data.get("result_type")),
            result_length=int(length) if isinstance(length, int) else None,
            v=decode_array(data.get("v")),
            spike_times=decode_array(data.get("spike_times")),
            conversion_error=_as_optional_str(data.get("conversion_error")),
            rng_state=_as_str(data.get("rng_state")),
            seconds=float(data.get("seconds") or 0.0),
        )


def _as_str(value) -> str:
    return value[:2000] if isinstance(value, str) else ""


def _as_optional_str(value) -> str | None:
    return value[:2000] if isinstance(value, str) else None


def encode_array(array: np.ndarray | None) -> dict | None:
    if array is None:
        return None
    data = np.ascontiguousarray(array, dtype="<f8")
    return {"dtype": "<f8", "shape": list(data.shape),
            "base64": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_array(data) -> np.ndarray | None:
    """Decode an array written by :func:`encode_array`; never unpickles anything."""
    if data is None:
        return None
    if not isinstance(data, dict) or data.get("dtype") != "<f8":
        raise ValueError("array is not a float64 array record")
    shape = data.get("shape")
    if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise ValueError("array record has an invalid shape")
    size = int(np.prod(shape)) if shape else 1
    if size > MAX_ARRAY_LENGTH:
        raise ValueError(f"array of {size} values is larger than any trial needs")
    raw = base64.b64decode(str(data.get("base64", "")), validate=True)
    if len(raw) != 8 * size:
        raise ValueError("array record's data does not match its shape")
    return np.frombuffer(raw, dtype="<f8").reshape(shape).copy()


def rng_fingerprint() -> str:
    """A digest of NumPy's legacy global random state (what ``np.random.seed`` sets)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    digest = hashlib.sha256()
    digest.update(str(name).encode())
    digest.update(np.asarray(keys, dtype=np.uint32).tobytes())
    digest.update(f"{int(pos)}:{int(has_gauss)}:{float(cached)!r}".encode())
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Hide everything the student's code prints or warns, down to the file descriptors.

    nbgrader scores a test cell 0 when anything reaches stderr, so a correct answer that prints
    or calls ``warnings.warn`` must not leak output into the test cell.
    """
    saved_fds = []
    sys_streams = (sys.stdout, sys.stderr)
    for stream in sys_streams:
        with contextlib.suppress(Exception):
            stream.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            try:
                saved_fds.append((fd, os.dup(fd)))
                os.dup2(devnull, fd)
            except OSError:
                pass
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                yield
    finally:
        for fd, saved in saved_fds:
            os.dup2(saved, fd)
            os.close(saved)
        os.close(devnull)
        sys.stdout, sys.stderr = sys_streams


def _describe_exception(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _to_float_array(value, what: str) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)
    except Exception as exc:  # any failure of a student object to become numbers
        raise ValueError(f"{what} could not be read as numbers ({_describe_exception(exc)})"
                         ) from None
    if array.size > MAX_ARRAY_LENGTH:
        raise ValueError(f"{what} has {array.size} values, far more than the trial's steps")
    return array


def observe(func: Callable | None, trial: Trial) -> Observation:
    """Call ``func(**trial.kwargs)`` after ``np.random.seed(trial.seed)`` and record the result.

    Exceptions, odd return values and values that are not numbers are recorded, never raised:
    judging what happened is the judge's job.
    """
    obs = Observation(trial_id=trial.id)
    if func is None or not callable(func):
        obs.error = f"NameError: {trial.function} is not defined (run its cell first)"
        return obs
    np.random.seed(trial.seed)
    start = time.perf_counter()
    try:
        with silenced():
            result = func(**trial.kwargs)
    except (Exception, SystemExit) as exc:
        obs.seconds = time.perf_counter() - start
        obs.error = _describe_exception(exc)
        obs.rng_state = rng_fingerprint()
        return obs
    obs.seconds = time.perf_counter() - start
    obs.rng_state = rng_fingerprint()
    obs.result_type = type(result).__name__
    try:
        with silenced():
            obs.result_length = len(result) if isinstance(result, (tuple, list)) else None
            if obs.result_length == 2:
                obs.v = _to_float_array(result[0], "v")
                obs.spike_times = _to_float_array(result[1], "spike_times")
    except ValueError as exc:
        obs.conversion_error = str(exc)
    except Exception as exc:
        obs.conversion_error = f"the returned values could not be read ({_describe_exception(exc)})"
    return obs
