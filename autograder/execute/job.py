"""Plain-data types of one execution: the job sent to a worker and the record it returns.

Everything here crosses process boundaries as JSON. Records are built by the supervisor from
what the sandbox reported, after checking every field; :func:`clean_output` turns an untrusted
output into one that nbformat's schema accepts, or drops it.
"""

from __future__ import annotations

import base64
import math
from dataclasses import asdict, dataclass, field

from autograder.execute.observe import Observation, Probe, clean_text


@dataclass(frozen=True)
class Limits:
    """Limits enforced on one notebook (memory and processes: on the whole submission)."""

    #: A cell running longer is interrupted (KeyboardInterrupt), as nbgrader's Execute does.
    cell_timeout: float = 30.0
    #: A notebook running longer than this in all is stopped.
    notebook_timeout: float = 600.0
    #: How long an interrupted cell may take to stop before the notebook is killed.
    interrupt_grace: float = 5.0
    #: Memory of all the notebook's processes together (cgroups), and of each one's address
    #: space on top of the warm worker's (MiB).
    memory_mb: int = 1024
    #: Processes the notebook may run at once (cgroups, or as root its own user's limit).
    max_processes: int = 64
    #: Size of the private in-memory file system the notebook runs in (MiB).
    scratch_mb: int = 256
    #: Bytes of outputs kept per cell and per notebook; rich outputs count too.
    cell_output_bytes: int = 2 * 1024 * 1024
    output_bytes: int = 16 * 1024 * 1024
    #: Largest file the notebook may write (MiB).
    file_mb: int = 64
    #: Render figures to PNG (slow: about 0.1 s each) instead of a text placeholder.
    render_figures: bool = False

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Limits:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class CellTask:
    """One code cell to run (hidden tests removed only where a trusted check replaces them),
    and the probes to make after it."""

    index: int
    source: str
    grade_id: str | None = None
    probes: list[Probe] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"index": self.index, "source": self.source, "grade_id": self.grade_id,
                "probes": [p.as_dict() for p in self.probes]}

    @classmethod
    def from_dict(cls, data: dict) -> CellTask:
        return cls(index=int(data["index"]), source=str(data["source"]),
                   grade_id=data.get("grade_id"),
                   probes=[Probe.from_dict(p) for p in data.get("probes", [])])


@dataclass
class NotebookTask:
    """One notebook of a submission: its code cells in order."""

    name: str
    cells: list[CellTask]

    def as_dict(self) -> dict:
        return {"name": self.name, "cells": [c.as_dict() for c in self.cells]}

    @classmethod
    def from_dict(cls, data: dict) -> NotebookTask:
        return cls(name=str(data["name"]), cells=[CellTask.from_dict(c) for c in data["cells"]])


@dataclass
class Job:
    """Everything a worker needs to run one submission, and nothing else."""

    submission_id: str
    notebooks: list[NotebookTask]
    files: dict[str, bytes] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)

    def as_dict(self) -> dict:
        return {
            "submission_id": self.submission_id,
            "notebooks": [n.as_dict() for n in self.notebooks],
            "files": {name: base64.b64encode(data).decode("ascii")
                      for name, data in self.files.items()},
            "limits": self.limits.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        return cls(
            submission_id=str(data["submission_id"]),
            notebooks=[NotebookTask.from_dict(n) for n in data["notebooks"]],
            files={str(k): base64.b64decode(v) for k, v in data.get("files", {}).items()},
            limits=Limits.from_dict(data.get("limits", {})),
        )


#: How a notebook's execution ended.
COMPLETED, TIMEOUT, DIED, OUT_OF_MEMORY, OUTPUT_LIMIT, PROTOCOL, WORKER_ERROR = (
    "completed", "timeout", "died", "out_of_memory", "output_limit", "protocol_error",
    "worker_error")
STATUSES = (COMPLETED, TIMEOUT, DIED, OUT_OF_MEMORY, OUTPUT_LIMIT, PROTOCOL, WORKER_ERROR)


@dataclass
class CellResult:
    """A cell that ran to its end (possibly with an error, or interrupted at its time limit)."""

    index: int
    outputs: list[dict]
    execution_count: int | None
    seconds: float
    observations: dict[str, Observation] = field(default_factory=dict)
    interrupted: bool = False

    def as_dict(self) -> dict:
        return {"index": self.index, "outputs": self.outputs,
                "execution_count": self.execution_count, "seconds": self.seconds,
                "observations": [o.to_dict() for o in self.observations.values()],
                "interrupted": self.interrupted}

    @classmethod
    def from_dict(cls, data: dict) -> CellResult:
        observations = [Observation.from_dict(o) for o in data.get("observations", [])]
        return cls(index=int(data["index"]), outputs=list(data["outputs"]),
                   execution_count=data.get("execution_count"),
                   seconds=float(data.get("seconds", 0.0)),
                   observations={o.probe_id: o for o in observations},
                   interrupted=bool(data.get("interrupted", False)))


@dataclass
class NotebookRecord:
    """What came back for one notebook: the cells that ran, and how the run ended."""

    name: str
    status: str = COMPLETED
    reason: str = ""
    cells: dict[int, CellResult] = field(default_factory=dict)
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    #: The cell that was running when the notebook stopped (None if it completed).
    stopped_at: int | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "reason": self.reason,
                "cells": [c.as_dict() for c in self.cells.values()], "seconds": self.seconds,
                "peak_memory_mb": self.peak_memory_mb, "stopped_at": self.stopped_at}

    @classmethod
    def from_dict(cls, data: dict) -> NotebookRecord:
        cells = [CellResult.from_dict(c) for c in data.get("cells", [])]
        status = str(data.get("status", WORKER_ERROR))
        return cls(name=str(data["name"]), status=status if status in STATUSES else WORKER_ERROR,
                   reason=str(data.get("reason", "")), cells={c.index: c for c in cells},
                   seconds=float(data.get("seconds", 0.0)),
                   peak_memory_mb=float(data.get("peak_memory_mb", 0.0)),
                   stopped_at=data.get("stopped_at"))


@dataclass
class ExecutionRecord:
    """What came back for a whole submission: one record per notebook."""

    status: str
    reason: str = ""
    notebooks: dict[str, NotebookRecord] = field(default_factory=dict)
    seconds: float = 0.0
    #: What the sandbox achieved, as the trusted side saw it (see execute.sandbox).
    isolation: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason,
                "notebooks": [n.as_dict() for n in self.notebooks.values()],
                "seconds": self.seconds, "isolation": self.isolation}

    @classmethod
    def from_dict(cls, data: dict) -> ExecutionRecord:
        notebooks = [NotebookRecord.from_dict(n) for n in data.get("notebooks", [])]
        status = str(data["status"])
        return cls(status=status if status in STATUSES else WORKER_ERROR,
                   reason=str(data.get("reason", "")), notebooks={n.name: n for n in notebooks},
                   seconds=float(data.get("seconds", 0.0)),
                   isolation=dict(data.get("isolation") or {}))


# --- validation of outputs produced inside the sandbox ------------------------------------------

_MIME_LIMIT = 64


def _json_safe(value, depth: int = 0):
    """Plain JSON (no NaN or infinity, string keys, bounded nesting), or a ValueError."""
    if depth > 32:
        raise ValueError("nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_json_safe(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): _json_safe(v, depth + 1) for k, v in value.items()}
    raise ValueError("not JSON")


def _mime_value(mime: str, value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return clean_text("".join(value))
    if mime == "application/json" or mime.endswith("+json"):
        return _json_safe(value)
    raise ValueError("not text")


def clean_output(output) -> dict | None:
    """A well-formed nbformat output built from untrusted data, or None to drop it."""
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    try:
        if kind == "stream":
            name, text = output.get("name"), output.get("text")
            if name in ("stdout", "stderr") and isinstance(text, str):
                return {"output_type": "stream", "name": name, "text": clean_text(text)}
            return None
        if kind in ("display_data", "execute_result"):
            data = output.get("data")
            if not isinstance(data, dict) or len(data) > _MIME_LIMIT:
                return None
            clean = {}
            for mime, value in data.items():
                if isinstance(mime, str) and "/" in mime:
                    try:
                        clean[clean_text(mime, 200)] = _mime_value(mime, value)
                    except ValueError:
                        continue
            metadata = output.get("metadata")
            try:
                metadata = _json_safe(metadata) if isinstance(metadata, dict) else {}
            except ValueError:
                metadata = {}
            result = {"output_type": kind, "data": clean, "metadata": metadata}
            if kind == "execute_result":
                count = output.get("execution_count")
                result["execution_count"] = count if type(count) is int and count >= 0 else None
            return result
        if kind == "error":
            traceback = output.get("traceback")
            if not isinstance(traceback, list):
                traceback = []
            return {"output_type": "error",
                    "ename": clean_text(str(output.get("ename", "Error")), 200),
                    "evalue": clean_text(str(output.get("evalue", "")), 20000),
                    "traceback": [clean_text(str(line), 20000) for line in traceback[:1000]]}
    except (TypeError, ValueError, RecursionError):
        return None
    return None
