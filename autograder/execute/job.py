"""Plain-data types of one execution: the job sent to a worker and the record it returns."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field

from autograder.checks.observe import Observation
from autograder.checks.trials import Trial


@dataclass(frozen=True)
class Limits:
    """Limits enforced on one submission, from outside its process where it matters."""

    cell_timeout: float = 60.0
    total_timeout: float = 300.0
    #: Address space the notebook may add on top of the warm worker's (MiB).
    memory_mb: int = 1024
    #: Processes the sandbox user may run at once (only when the grader runs as root).
    max_processes: int = 32
    #: Bytes of outputs kept per cell and per submission; rich outputs count too.
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
    """One code cell to run, hidden tests already removed, and the trials to observe after it."""

    index: int
    source: str
    grade_id: str | None = None
    probes: list[Trial] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"index": self.index, "source": self.source, "grade_id": self.grade_id,
                "probes": [t.as_dict() for t in self.probes]}

    @classmethod
    def from_dict(cls, data: dict) -> CellTask:
        return cls(index=int(data["index"]), source=str(data["source"]),
                   grade_id=data.get("grade_id"),
                   probes=[Trial.from_dict(t) for t in data.get("probes", [])])


@dataclass
class Job:
    """Everything a worker needs to run one submission, and nothing else."""

    submission_id: str
    cells: list[CellTask]
    files: dict[str, bytes] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)

    def as_dict(self) -> dict:
        return {
            "submission_id": self.submission_id,
            "cells": [c.as_dict() for c in self.cells],
            "files": {name: base64.b64encode(data).decode("ascii")
                      for name, data in self.files.items()},
            "limits": self.limits.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        return cls(
            submission_id=str(data["submission_id"]),
            cells=[CellTask.from_dict(c) for c in data["cells"]],
            files={str(k): base64.b64decode(v) for k, v in data.get("files", {}).items()},
            limits=Limits.from_dict(data.get("limits", {})),
        )


@dataclass
class CellResult:
    index: int
    outputs: list[dict]
    execution_count: int | None
    seconds: float


#: How a submission's execution ended.
COMPLETED, TIMEOUT, DIED, OUTPUT_LIMIT, PROTOCOL, WORKER_ERROR = (
    "completed", "timeout", "died", "output_limit", "protocol_error", "worker_error")


@dataclass
class ExecutionRecord:
    """What came back: outputs per executed cell and observations per graded cell."""

    status: str
    reason: str = ""
    cells: dict[int, CellResult] = field(default_factory=dict)
    observations: dict[str, dict[str, Observation]] = field(default_factory=dict)
    seconds: float = 0.0
    max_rss_mb: float = 0.0
    isolation: str = ""
    stopped_at: int | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "cells": [asdict(c) for c in self.cells.values()],
            "observations": {g: {t: o.to_dict() for t, o in obs.items()}
                             for g, obs in self.observations.items()},
            "seconds": self.seconds,
            "max_rss_mb": self.max_rss_mb,
            "isolation": self.isolation,
            "stopped_at": self.stopped_at,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ExecutionRecord:
        """Rebuild a record written by a supervisor (trusted code, but still checked)."""
        cells = {}
        for c in data.get("cells", []):
            result = CellResult(index=int(c["index"]), outputs=list(c["outputs"]),
                                execution_count=c.get("execution_count"),
                                seconds=float(c.get("seconds", 0.0)))
            cells[result.index] = result
        observations = {
            str(g): {str(t): Observation.from_dict(o) for t, o in obs.items()}
            for g, obs in data.get("observations", {}).items()}
        return cls(status=str(data["status"]), reason=str(data.get("reason", "")), cells=cells,
                   observations=observations, seconds=float(data.get("seconds", 0.0)),
                   max_rss_mb=float(data.get("max_rss_mb", 0.0)),
                   isolation=str(data.get("isolation", "")),
                   stopped_at=data.get("stopped_at"))


# --- validation of outputs produced inside the sandbox ------------------------------------------

_MIME_LIMIT = 64


def clean_output(output) -> dict | None:
    """Return a well-formed nbformat output built from untrusted data, or None to drop it."""
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name")
        text = output.get("text")
        if name in ("stdout", "stderr") and isinstance(text, str):
            return {"output_type": "stream", "name": name, "text": text}
        return None
    if kind in ("display_data", "execute_result"):
        data = output.get("data")
        if not isinstance(data, dict) or len(data) > _MIME_LIMIT:
            return None
        clean = {str(k): v for k, v in data.items()
                 if isinstance(k, str) and isinstance(v, (str, dict, list))}
        metadata = output.get("metadata")
        result = {"output_type": kind, "data": clean,
                  "metadata": metadata if isinstance(metadata, dict) else {}}
        if kind == "execute_result":
            count = output.get("execution_count")
            result["execution_count"] = count if isinstance(count, int) else None
        return result
    if kind == "error":
        traceback = output.get("traceback")
        if not isinstance(traceback, list):
            traceback = []
        return {"output_type": "error", "ename": str(output.get("ename", "Error"))[:200],
                "evalue": str(output.get("evalue", ""))[:20000],
                "traceback": [str(line) for line in traceback[:1000]]}
    return None
