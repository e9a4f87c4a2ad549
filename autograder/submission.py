"""Reading a submitted notebook, with a one-line reason for everything that can be wrong."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

#: Submitted files larger than this are not copied into the sandbox.
MAX_AUX_FILE_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


class SubmissionError(Exception):
    """A submission that cannot be graded; the message is the one-line reason recorded."""


def first_line(exc: BaseException) -> str:
    """An exception as a one-line reason (its message's first line, or its type)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class Submission:
    """One student's submitted assignment folder."""

    student: str
    assignment: str
    folder: Path
    notebook_name: str
    timestamp: datetime | None = None
    timestamp_text: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def notebook_path(self) -> Path:
        return self.folder / f"{self.notebook_name}.ipynb"

    @property
    def id(self) -> str:
        return f"{self.student}/{self.assignment}"

    def digest(self) -> str:
        """Fingerprint of everything submitted, to know whether a saved result is still current."""
        digest = hashlib.sha256()
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(self.folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()[:24]

    def read_notebook(self) -> NotebookNode:
        """The submitted notebook, or SubmissionError saying what is wrong with it."""
        path = self.notebook_path
        if not path.exists():
            others = sorted(p.name for p in self.folder.glob("*.ipynb"))
            found = f"; found {', '.join(others)}" if others else "; the folder has no notebook"
            raise SubmissionError(f"{path.name} is missing{found} (was it renamed?)")
        size = path.stat().st_size
        if size == 0:
            raise SubmissionError(f"{path.name} is empty (0 bytes)")
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"{path.name} is {size // 2**20} MiB, over the "
                                  f"{MAX_NOTEBOOK_BYTES // 2**20} MiB limit")
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SubmissionError(f"{path.name} is not a notebook: it is binary, not UTF-8 "
                                  "text") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SubmissionError(f"{path.name} is not valid notebook JSON: {exc.msg} at line "
                                  f"{exc.lineno}, column {exc.colno}") from None
        if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
            raise SubmissionError(f"{path.name} is JSON but not a notebook (no cells)")
        major = data.get("nbformat")
        if major != 4:
            raise SubmissionError(f"{path.name} is in notebook format {major}; only format 4 "
                                  "can be graded (open and save it with a current Jupyter)")
        try:
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
        except Exception as exc:
            raise SubmissionError(f"{path.name} is not a valid notebook: {first_line(exc)}"
                                  ) from None
        return notebook

    def auxiliary_files(self) -> dict[str, bytes]:
        """Other files the student submitted (data, modules), small ones only."""
        files = {}
        for path in sorted(self.folder.rglob("*")):
            rel = path.relative_to(self.folder)
            if not path.is_file() or path.suffix == ".ipynb" or rel.name == "timestamp.txt" \
                    or any(part.startswith(".") for part in rel.parts):
                continue
            if path.stat().st_size > MAX_AUX_FILE_BYTES:
                self.notes.append(f"{rel} not copied: larger than "
                                  f"{MAX_AUX_FILE_BYTES // 2**20} MiB")
                continue
            files[str(rel)] = path.read_bytes()
        return files


def read_timestamp(folder: Path) -> tuple[datetime | None, str | None, str | None]:
    """The submission time from timestamp.txt as nbgrader reads it: (time, text, problem)."""
    from nbgrader.utils import parse_utc

    path = folder / "timestamp.txt"
    if not path.exists():
        return None, None, None
    text = path.read_text(errors="replace").strip()
    if not text:
        return None, None, "timestamp.txt is empty"
    try:
        return parse_utc(text), text, None
    except (ValueError, OverflowError):
        return None, None, f"timestamp.txt is not a date ({text[:40]!r}); ignored"


def find_submission(student: str, assignment: str, folder: Path, notebook_name: str
                    ) -> Submission:
    timestamp, text, problem = read_timestamp(folder)
    submission = Submission(student, assignment, folder, notebook_name, timestamp, text)
    if problem:
        submission.notes.append(problem)
    return submission
