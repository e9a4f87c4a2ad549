"""Reading a submission folder once, safely, with a one-line reason for everything wrong.

A submission is read into memory in one pass, and everything later (the digest that says
whether it changed, the files the sandbox gets, the copies in ``autograded/``) uses that
snapshot, never the folder again. The pass only takes regular files: a symbolic link is never
followed (it could point at the master, the gradebook or a root-only file), a FIFO never opened
(it would block), a device never read; each is skipped and noted. The number of files, each
file's size and the total are bounded (nbgrader's ``CourseDirectory.max_file_size`` and
``max_dir_size``, and ``Autograder.max_files``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.errors import SubmissionError, first_line  # noqa: F401  (re-exported)
from autograder.execute.observe import clean_text

#: Nesting of folders inside a submission that is still read.
MAX_DEPTH = 16
TIMESTAMP = "timestamp.txt"


@dataclass
class SubmissionLimits:
    max_files: int = 1000
    max_file_bytes: int = 100_000 * 1024
    max_total_bytes: int = 100_000 * 1024
    max_cells: int = 2000
    max_notebook_bytes: int = 50 * 1024 * 1024


@dataclass
class Submission:
    """One student's submitted assignment folder, as read."""

    student: str
    assignment: str
    folder: Path
    #: Every regular file read, by path relative to the folder ('/'-separated).
    files: dict[str, bytes] = field(default_factory=dict)
    #: What was skipped or capped, in one line each.
    notes: list[str] = field(default_factory=list)
    timestamp: datetime | None = None
    timestamp_text: str | None = None
    #: Notebooks too large to be read, with their sizes.
    oversized: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.student}/{self.assignment}"

    def digest(self) -> str:
        """Fingerprint of everything submitted, to know whether a saved result is current."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode("utf-8", "surrogatepass"))
            digest.update(hashlib.sha256(self.files[name]).digest())
        for name, size in sorted(self.oversized.items()):
            digest.update(f"{name}:{size}".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:24]

    def notebooks(self) -> list[str]:
        """Names (without .ipynb) of the notebooks at the top of the folder."""
        names = [n for n in self.files if "/" not in n and n.endswith(".ipynb")]
        return sorted(n[: -len(".ipynb")] for n in names + list(self.oversized))

    def other_files(self, ignore: list[str]) -> dict[str, bytes]:
        """The files nbgrader copies into autograded/: all but notebooks and ignored ones."""
        return {name: data for name, data in self.files.items()
                if not name.endswith(".ipynb") and not _ignored(name, ignore)}

    def read_notebook(self, name: str, max_cells: int) -> NotebookNode:
        """The submitted notebook ``name``, or SubmissionError saying what is wrong with it."""
        filename = f"{name}.ipynb"
        if filename in self.oversized:
            raise SubmissionError(f"{filename} is {self.oversized[filename] // 2**20} MiB, over "
                                  "the size limit (Autograder.max_notebook_mb)")
        if filename not in self.files:
            others = [f"{n}.ipynb" for n in self.notebooks()]
            found = f"; found {', '.join(others)}" if others else "; the folder has no notebook"
            raise SubmissionError(f"{filename} is missing{found} (was it renamed?)")
        return parse_notebook(filename, self.files[filename], max_cells)


def _ignored(rel: str, ignore: list[str]) -> bool:
    parts = rel.split("/")
    return any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in ignore)


def _clean_strings(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_strings(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _clean_strings(v) for k, v in value.items()}
    return value


def parse_notebook(filename: str, raw: bytes, max_cells: int) -> NotebookNode:
    """A notebook from its bytes, or SubmissionError naming the file and the problem."""
    if not raw:
        raise SubmissionError(f"{filename} is empty (0 bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{filename} is not a notebook: it is binary, not UTF-8 "
                              "text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"{filename} is not valid notebook JSON: {exc.msg} at line "
                              f"{exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise SubmissionError(f"{filename} is not a notebook: its JSON is nested too "
                              "deeply") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError(f"{filename} is JSON but not a notebook (no cells)")
    major = data.get("nbformat")
    if major != 4:
        raise SubmissionError(f"{filename} is in notebook format {major}; only format 4 "
                              "can be graded (open and save it with a current Jupyter)")
    cells = data.get("cells")
    if isinstance(cells, list) and len(cells) > max_cells:
        raise SubmissionError(f"{filename} has {len(cells)} cells, more than the limit of "
                              f"{max_cells} (Autograder.max_cells)")
    if "\\ud" in text or "\\uD" in text:  # maybe a lone surrogate escape: no encoder takes it
        data = _clean_strings(data)
    try:  # what nbformat.reads does, from the JSON already parsed, validating once
        notebook = nbformat.versions[4].to_notebook_json(data, minor=data.get("nbformat_minor"))
        nbformat.validate(notebook)
    except Exception as exc:
        raise SubmissionError(f"{filename} is not a valid notebook: {first_line(exc)}"
                              ) from None
    return notebook


def read_timestamp(text: str | None) -> tuple[datetime | None, str | None, str | None]:
    """The submission time from timestamp.txt as nbgrader reads it: (time, text, problem)."""
    from nbgrader.utils import parse_utc

    if text is None:
        return None, None, None
    text = text.strip()
    if not text:
        return None, None, f"{TIMESTAMP} is empty"
    try:
        return parse_utc(text), text, None
    except (ValueError, OverflowError):
        return None, None, f"{TIMESTAMP} is not a date ({text[:40]!r}); ignored"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def read_submission(student: str, assignment: str, folder: Path,
                    limits: SubmissionLimits | None = None) -> Submission:
    """Read ``folder`` into a :class:`Submission` (see the module docstring)."""
    limits = limits or SubmissionLimits()
    submission = Submission(student, assignment, folder)
    total = 0

    def note(text: str) -> None:
        if len(submission.notes) < 50:
            submission.notes.append(clean_text(text, 300))

    def walk(directory: Path, prefix: str, depth: int) -> None:
        nonlocal total
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            note(f"{prefix or '.'}: cannot be listed ({exc.strerror})")
            return
        for entry in entries:
            rel = prefix + entry.name
            shown = clean_text(rel, 200)
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                note(f"{shown} is a symbolic link; it was not followed")
                continue
            if stat.S_ISDIR(info.st_mode):
                if depth >= MAX_DEPTH:
                    note(f"{shown}: folders nested deeper than {MAX_DEPTH} were skipped")
                else:
                    walk(Path(entry.path), rel + "/", depth + 1)
                continue
            if not stat.S_ISREG(info.st_mode):
                note(f"{shown} is {_kind(info.st_mode)}; it was skipped")
                continue
            if len(submission.files) >= limits.max_files:
                note(f"more than {limits.max_files} files; the rest were skipped")
                return
            notebook = rel.endswith(".ipynb") and "/" not in rel
            if notebook and info.st_size > limits.max_notebook_bytes:
                submission.oversized[rel] = info.st_size
                continue
            if info.st_size > limits.max_file_bytes:
                if notebook:
                    submission.oversized[rel] = info.st_size
                else:
                    note(f"{shown} is larger than {limits.max_file_bytes // 2**20} MiB; skipped")
                continue
            if total + info.st_size > limits.max_total_bytes:
                note(f"{shown} skipped: the submission is larger than "
                     f"{limits.max_total_bytes // 2**20} MiB in all")
                continue
            data = _read_regular(Path(entry.path))
            if data is None:
                note(f"{shown} could not be read as a regular file; skipped")
                continue
            total += len(data)
            submission.files[rel] = data

    walk(folder, "", 0)
    raw_time = submission.files.get(TIMESTAMP)
    text = raw_time.decode("utf-8", "replace") if raw_time is not None else None
    submission.timestamp, submission.timestamp_text, problem = read_timestamp(text)
    if problem:
        note(problem)
    return submission


def _read_regular(path: Path) -> bytes | None:
    """Read a file that must still be a regular file when it is opened (no race with a swap for
    a FIFO or a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
