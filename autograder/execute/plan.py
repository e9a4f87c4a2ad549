"""Decide, in the trusted coordinator, how worker processes confine student code."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.course import sqlite_file
from autograder.execute.isolation import SandboxPlan

if TYPE_CHECKING:
    from autograder.config import GradeOptions

#: ``uid`` value asking for a user id per job (100000 + the process id of its supervisor).
AUTO_UID = -1


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # finds without importing
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parent


def hidden_paths(course_root: Path, extra: tuple[Path, ...] = ()) -> tuple[str, ...]:
    """Everything student code must not see: the course directory (master notebooks, the
    gradebook, other submissions), the checkouts holding our packages, and ``extra`` files.
    The Python environment is mounted back inside them (see :mod:`.isolation`)."""
    hidden = {course_root.resolve()}
    for package in ("autograder", "solutions"):
        folder = _package_dir(package)
        if folder is None:
            continue
        site = folder.parent.name in ("site-packages", "dist-packages")
        hidden.add(folder if site else folder.parent)
    hidden.update(p.resolve() for p in extra if p.exists())
    return tuple(sorted(str(p) for p in hidden if p != Path("/")))


def sandbox_plan(course_root: Path, enabled: bool = True, extra: tuple[Path, ...] = ()
                 ) -> SandboxPlan:
    """The plan for every worker of this run."""
    if not enabled:
        return SandboxPlan(namespaces=False)
    uid = AUTO_UID if os.geteuid() == 0 else None
    exposed = sorted({str(Path(p).resolve()) for p in (sys.base_prefix, sys.prefix)})
    return SandboxPlan(hidden_paths=hidden_paths(course_root, extra), uid=uid, gid=uid,
                       namespaces=True, exposed_paths=tuple(exposed))


def worker_pool(options: GradeOptions, course_root: Path, db_url: str):
    """The pool a batch runs on: warm local workers, or a Dask cluster with ``--scheduler``.
    Entering it starts the workers."""
    database = sqlite_file(db_url)  # hidden from student code wherever it lives
    plan = sandbox_plan(course_root, options.sandbox, extra=(database,) if database else ())
    if options.scheduler:
        from autograder.execute.dask_pool import DaskPool

        return DaskPool(options.scheduler, plan)
    from autograder.execute.pool import LocalPool

    return LocalPool([plan] * max(1, options.workers))
