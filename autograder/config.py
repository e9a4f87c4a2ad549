"""Typed options of the grader's commands (one frozen dataclass per command)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder.execute.job import Limits


@dataclass(frozen=True)
class GradeOptions:
    """``python -m autograder grade``."""

    assignment: str
    course_dir: Path = Path(".")
    students: str = "*"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    db_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    force: bool = False
    scheduler: str | None = None
    progress: bool = True
    #: Confine student code with namespaces (and a separate user when running as root).
    sandbox: bool = True


@dataclass(frozen=True)
class CheckOptions:
    """``python -m autograder check``."""

    notebook: Path
    assignment: str | None = None
    course_dir: Path = Path(".")
    limits: Limits = field(default_factory=Limits)
    sandbox: bool = True
