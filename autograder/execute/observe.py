"""Probes: calls of a student's function that a trusted check asks the sandbox to make.

A :class:`Probe` names a function of the notebook, keyword arguments and a seed. After the cell
it belongs to, the sandbox seeds Python's and NumPy's global random generators, calls the
function with everything it prints or warns hidden, and keeps an :class:`Observation`: whether it
raised, what it returned as plain data (:class:`Value`), and a fingerprint of NumPy's global
random state afterwards (two calls that leave the same state drew the same random numbers).

Only plain data crosses from the sandbox to the grader: JSON with numbers as float64 arrays
encoded as bytes. Nothing the student returned survives as an object, so a rigged ``__eq__`` or
an ndarray subclass never reaches the check. On the grader's side everything is validated again
(types, shapes, sizes, nesting) before a check sees it.

Nothing here knows any exercise: what a returned value means is for the check to say.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

#: Elements of one array, items of one sequence kept, and nesting depth of a returned value.
MAX_ARRAY_LENGTH = 1_000_000
MAX_ITEMS = 64
MAX_DEPTH = 4
MAX_TEXT = 2000


# --- what the check asks -------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One call of a notebook function: ``function(**kwargs)`` after seeding with ``seed``.

    A keyword argument may be a NumPy array: it crosses to the sandbox as float64 numbers and
    the function receives a float64 array of its own (so an answer that changes its argument in
    place changes nothing the check keeps).

    ``skip_if_state``: ``(probe id, fingerprint)``: the call is not made when that earlier probe
    of the same cell left NumPy's random state at that fingerprint (so a check can ask for an
    expensive call only when a cheap one showed it is needed).
    """

    id: str
    function: str
    kwargs: dict = field(default_factory=dict)
    seed: int | None = None
    skip_if_state: tuple[str, str] | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "function": self.function,
                "kwargs": {k: encode_argument(v) for k, v in self.kwargs.items()},
                "seed": self.seed,
                "skip_if_state": list(self.skip_if_state) if self.skip_if_state else None}

    @classmethod
    def from_dict(cls, data: dict) -> Probe:
        seed = data.get("seed")
        skip = data.get("skip_if_state")
        return cls(id=str(data["id"]), function=str(data["function"]),
                   kwargs={str(k): decode_argument(v)
                           for k, v in dict(data.get("kwargs") or {}).items()},
                   seed=int(seed) if seed is not None else None,
                   skip_if_state=(str(skip[0]), str(skip[1])) if skip else None)


# --- what comes back -----------------------------------------------------------------------------

def clean_text(text: str, limit: int | None = None) -> str:
    """Text that survives any encoder: lone surrogates (from a student's ``print('\\udcff')``, or
    a notebook's JSON) become U+FFFD."""
    if limit is not None:
        text = text[:limit]
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def encode_array(array) -> dict:
    data = np.ascontiguousarray(array, dtype="<f8")
    return {"shape": list(data.shape), "base64": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_array(data) -> np.ndarray:
    """An array written by :func:`encode_array`, checked against its shape; never unpickled."""
    if not isinstance(data, dict) or set(data) != {"shape", "base64"}:
        raise ValueError("not an array record")
    shape = data["shape"]
    if not (isinstance(shape, list) and len(shape) <= 8
            and all(type(n) is int and 0 <= n <= MAX_ARRAY_LENGTH for n in shape)):
        raise ValueError("an array record has an invalid shape")
    size = math.prod(shape)
    if size > MAX_ARRAY_LENGTH:
        raise ValueError(f"an array of {size} values is larger than allowed")
    if not isinstance(data["base64"], str):
        raise ValueError("an array record's data is not text")
    raw = base64.b64decode(data["base64"], validate=True)
    if len(raw) != 8 * size:
        raise ValueError("an array record's data does not match its shape")
    return np.frombuffer(raw, dtype="<f8").reshape(shape).copy()


#: The key of a keyword argument that is an array, as it crosses to the sandbox.
ARRAY_ARGUMENT = "__ndarray__"


def encode_argument(value):
    """A probe's keyword argument as JSON: an array as float64 numbers, anything else as is."""
    if isinstance(value, np.ndarray):
        return {ARRAY_ARGUMENT: encode_array(value)}
    return value


def decode_argument(value):
    """The inverse of :func:`encode_argument`."""
    if isinstance(value, dict) and set(value) == {ARRAY_ARGUMENT}:
        return decode_array(value[ARRAY_ARGUMENT])
    return value


@dataclass
class ArrayPair:
    """Two returned arrays (:meth:`Value.array_pair`), or the problem that kept them unread."""

    first: np.ndarray | None = None
    second: np.ndarray | None = None
    #: The first array's own dtype, before it was read as float64.
    first_dtype: str | None = None
    problem: str | None = None


@dataclass
class Value:
    """A returned Python value as plain data.

    ``kind`` is one of none, bool, number, str, tuple, list, dict, ndarray, object; ``type`` is
    the exact type's name (a list subclass is kind list, type its own name). ``array`` is the
    value as float64 numbers when it converts to them (numbers, sequences and arrays of numbers);
    ``items`` are the first elements of a sequence that does not (each a Value), or a dict's
    (key, value) pairs.
    """

    kind: str
    type: str
    length: int | None = None
    array: np.ndarray | None = None
    dtype: str | None = None
    text: str | None = None
    items: list = field(default_factory=list)

    def as_array(self) -> np.ndarray | None:
        return self.array

    def array_pair(self, names: tuple[str, str]) -> ArrayPair | None:
        """A returned pair of arrays (``return times, values``, say) as two float64 arrays,
        or why one cannot be read; None when the value is not a sequence of two. ``names``
        name the two in the problem."""
        if self.kind not in ("tuple", "list") or self.length != 2:
            return None
        if len(self.items) == 2:
            first, second = self.items
            for item, name in ((first, names[0]), (second, names[1])):
                if item.array is None:
                    return ArrayPair(problem=f"{name} could not be read as numbers")
            return ArrayPair(first.array, second.array, first.dtype)
        if self.array is not None and self.array.ndim == 2:  # two of the same length: one array
            return ArrayPair(self.array[0], self.array[1], self.dtype)
        return None

    def to_dict(self) -> dict:
        data: dict = {"kind": self.kind, "type": self.type}
        if self.length is not None:
            data["length"] = self.length
        if self.array is not None:
            data["array"] = encode_array(self.array)
        if self.dtype is not None:
            data["dtype"] = self.dtype
        if self.text is not None:
            data["text"] = self.text
        if self.items:
            data["items"] = [[k.to_dict(), v.to_dict()] for k, v in self.items] \
                if self.kind == "dict" else [i.to_dict() for i in self.items]
        return data

    @classmethod
    def from_dict(cls, data, depth: int = 0) -> Value:
        """Rebuild from untrusted data, checking every field."""
        if depth > MAX_DEPTH:
            raise ValueError("a returned value is nested too deeply")
        if not isinstance(data, dict):
            raise ValueError("a returned value is not an object")
        allowed = {"kind", "type", "length", "array", "dtype", "text", "items"}
        if not set(data) <= allowed:
            raise ValueError(f"a returned value has unknown fields {sorted(set(data) - allowed)}")
        kind = data.get("kind")
        if kind not in ("none", "bool", "number", "str", "tuple", "list", "dict", "ndarray",
                        "object"):
            raise ValueError(f"a returned value has an unknown kind {kind!r}")
        length = data.get("length")
        if length is not None and not (type(length) is int and 0 <= length):
            raise ValueError("a returned value has an invalid length")
        for name in ("type", "dtype", "text"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise ValueError(f"a returned value's {name} is not text")
        items_data = data.get("items", [])
        if not isinstance(items_data, list) or len(items_data) > MAX_ITEMS:
            raise ValueError("a returned value has too many items")
        if kind == "dict":
            items = []
            for pair in items_data:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError("a dict item is not a pair")
                items.append((cls.from_dict(pair[0], depth + 1), cls.from_dict(pair[1], depth + 1)))
        else:
            items = [cls.from_dict(i, depth + 1) for i in items_data]
        return cls(kind=kind, type=clean_text(str(data.get("type", "")), 200), length=length,
                   array=decode_array(data["array"]) if "array" in data else None,
                   dtype=data.get("dtype"),
                   text=clean_text(data["text"], MAX_TEXT) if data.get("text") is not None
                   else None, items=items)


def _float_array(obj) -> np.ndarray | None:
    try:
        if isinstance(obj, np.ndarray) and obj.size > MAX_ARRAY_LENGTH or \
                isinstance(obj, (list, tuple)) and len(obj) > MAX_ARRAY_LENGTH:
            return None
        array = np.array(obj, dtype=np.float64)
    except Exception:  # any failure of a student's object to become numbers
        return None
    if array.size > MAX_ARRAY_LENGTH or array.dtype != np.float64:
        return None
    return array


def _short_repr(obj) -> str:
    try:
        return clean_text(repr(obj), MAX_TEXT)
    except Exception as exc:  # a rigged __repr__
        return f"<unprintable {type(obj).__name__}: {type(exc).__name__}>"


def encode_value(obj, depth: int = 0) -> Value:
    """Plain data for a value a student's function returned (in the sandbox)."""
    type_name = type(obj).__name__
    if obj is None:
        return Value("none", type_name)
    if isinstance(obj, (bool, np.bool_)):
        return Value("bool", type_name, array=np.array(float(bool(obj))))
    if isinstance(obj, (int, float, np.integer, np.floating)):
        try:
            number = np.array(float(obj))
        except (OverflowError, ValueError):
            number = np.array(math.inf if obj > 0 else -math.inf)
        return Value("number", type_name, array=number,
                     dtype=str(getattr(obj, "dtype", type_name)))
    if isinstance(obj, str):
        return Value("str", type_name, length=len(obj), text=clean_text(obj, MAX_TEXT))
    if isinstance(obj, np.ndarray):
        return Value("ndarray", type_name, length=len(obj) if obj.ndim else None,
                     array=_float_array(obj), dtype=str(obj.dtype))
    if isinstance(obj, (tuple, list)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        array = _float_array(obj)
        # A sequence of numbers is its array; the items are kept only when it is not one.
        items = [encode_value(x, depth + 1) for x in list(obj[:MAX_ITEMS])] \
            if array is None and depth < MAX_DEPTH else []
        return Value(kind, type_name, length=len(obj), array=array, items=items)
    if isinstance(obj, dict):
        pairs = list(obj.items())[:MAX_ITEMS] if depth < MAX_DEPTH else []
        return Value("dict", type_name, length=len(obj),
                     items=[(encode_value(k, depth + 1), encode_value(v, depth + 1))
                            for k, v in pairs])
    return Value("object", type_name, array=_float_array(obj), text=_short_repr(obj))


@dataclass
class Observation:
    """What one probe saw: the call raised (``error``) or returned ``value``; or it was not made
    (``skipped``, as its ``skip_if_state`` asked)."""

    probe_id: str
    error: str | None = None
    value: Value | None = None
    rng_state: str = ""
    seconds: float = 0.0
    skipped: bool = False

    def to_dict(self) -> dict:
        return {"probe": self.probe_id, "error": self.error,
                "value": self.value.to_dict() if self.value is not None else None,
                "rng_state": self.rng_state, "seconds": self.seconds, "skipped": self.skipped}

    @classmethod
    def from_dict(cls, data) -> Observation:
        if not isinstance(data, dict) or set(data) != {"probe", "error", "value", "rng_state",
                                                        "seconds", "skipped"}:
            raise ValueError("an observation does not have the expected fields")
        if not isinstance(data["skipped"], bool):
            raise ValueError("an observation's skipped flag is not a boolean")
        seconds = data["seconds"]
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
                or not math.isfinite(seconds) or seconds < 0:
            raise ValueError("an observation's time is not a duration")
        for name in ("probe", "rng_state"):
            if not isinstance(data[name], str):
                raise ValueError(f"an observation's {name} is not text")
        if data["error"] is not None and not isinstance(data["error"], str):
            raise ValueError("an observation's error is not text")
        return cls(probe_id=clean_text(data["probe"], 500),
                   error=clean_text(data["error"], MAX_TEXT) if data["error"] is not None
                   else None,
                   value=Value.from_dict(data["value"]) if data["value"] is not None else None,
                   rng_state=clean_text(data["rng_state"], 200), seconds=float(seconds),
                   skipped=data["skipped"])


# --- making the call (inside the sandbox) ---------------------------------------------------

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


def describe_exception(exc: BaseException) -> str:
    text = ""
    with contextlib.suppress(Exception):
        text = str(exc).strip()
    message = text.splitlines()[0] if text else ""
    name = type(exc).__name__
    return clean_text(f"{name}: {message}" if message else name, MAX_TEXT)


def skipped(probe: Probe, earlier: dict[str, Observation]) -> bool:
    """Whether ``probe`` is not to be made, given the cell's earlier observations."""
    if probe.skip_if_state is None:
        return False
    before = earlier.get(probe.skip_if_state[0])
    return before is not None and not before.skipped \
        and before.rng_state == probe.skip_if_state[1]


def observe_all(namespace: dict, probes: list[Probe]) -> list[Observation]:
    """Every probe of a cell, in order, skipping what the earlier ones made unnecessary."""
    made: dict[str, Observation] = {}
    for probe in probes:
        if skipped(probe, made):
            made[probe.id] = Observation(probe_id=probe.id, skipped=True)
        else:
            made[probe.id] = observe(namespace.get(probe.function), probe)
    return list(made.values())


def observe(func: Callable | None, probe: Probe) -> Observation:
    """Make the probe's call and record what happened; never raises."""
    obs = Observation(probe_id=probe.id)
    if func is None or not callable(func):
        obs.error = f"NameError: {probe.function} is not defined (run its cell first)"
        return obs
    if probe.seed is not None:
        random.seed(probe.seed)
        np.random.seed(probe.seed)
    start = time.perf_counter()
    try:
        with silenced():
            result = func(**{k: v.copy() if isinstance(v, np.ndarray) else v
                             for k, v in probe.kwargs.items()})
    except (Exception, SystemExit) as exc:
        obs.seconds = time.perf_counter() - start
        obs.error = describe_exception(exc)
        obs.rng_state = rng_fingerprint()
        return obs
    obs.seconds = time.perf_counter() - start
    obs.rng_state = rng_fingerprint()
    try:
        with silenced():
            obs.value = encode_value(result)
    except Exception as exc:  # a returned object that resists even inspection
        obs.value = Value("object", "?", text=f"could not be read: {describe_exception(exc)}")
    return obs
