"""Decide, in the trusted coordinator, how worker processes confine student code."""

from __future__ import annotations

import importlib.util
import os
import site
import sys
from pathlib import Path

from autograder.execute.sandbox import SandboxPlan


def package_dir(name: str) -> Path | None:
    """Where an importable package lives, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]).resolve()
    return Path(spec.origin).resolve().parent if spec.origin else None


def python_environment() -> tuple[str, ...]:
    """The folders of the running Python: its installation, the virtual environment and every
    site-packages folder on the path (a .pth file may add one from elsewhere)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    with_site = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE and site.getusersitepackages():
        with_site.append(site.getusersitepackages())
    paths.update(with_site)
    paths.update(p for p in sys.path if p and Path(p).name in ("site-packages", "dist-packages"))
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    resolved = {str(Path(p).resolve()) for p in paths if p and os.path.isdir(p)}
    return tuple(sorted(resolved))


def sandbox_plan(enabled: bool = True, hidden_packages: tuple[str, ...] = ("autograder",),
                 hidden_files: tuple[Path, ...] = ()) -> SandboxPlan:
    """The plan for every worker of this run.

    Inside the sandbox only the operating system and the Python environment exist. Where the
    environment itself holds the grader or the course's checks (installed rather than run from
    a checkout), those folders are covered too, and so are ``hidden_files`` (the course, the
    gradebook file) should they lie inside it.
    """
    if not enabled:
        return SandboxPlan(namespaces=False)
    hidden = set()
    for name in hidden_packages:
        folder = package_dir(name)
        if folder is not None:
            hidden.add(str(folder))
    hidden.update(str(Path(p).resolve()) for p in hidden_files if Path(p).exists())
    return SandboxPlan(namespaces=True, exposed_paths=python_environment(),
                       hidden_paths=tuple(sorted(hidden)), user_per_job=os.geteuid() == 0)
