"""One configuration: the grader's options are traitlets, read from ``nbgrader_config.py``.

The grader reads the configuration once per command, where nbgrader reads it (the Jupyter config
folders, then the course root), so one file serves both::

    c.Autograder.timeout = 300          # the grader's own options
    c.Execute.timeout = 60              # nbgrader's, honoured: the per-cell time limit
    c.ClearHiddenTests.begin_test_delimeter = "BEGIN SECRET TESTS"

Command-line flags override the file. nbgrader's options that apply (``Execute.timeout``, the
solution and hidden-test delimiters, ``IncludeHeaderFooter``, ``CourseDirectory``'s folder
names, ``ignore`` patterns and size limits, ``Autograde.exclude_overwriting``, the gradebook URL)
are read from the same configuration through nbgrader's own classes, never restated here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

from traitlets import Bool, Float, Integer, List, TraitError, Unicode, validate
from traitlets.config import Config, Configurable, PyFileConfigLoader

from autograder.errors import GraderError
from autograder.execute.job import Limits

CONFIG_FILE = "nbgrader_config.py"


class Autograder(Configurable):
    """Options of ``python -m autograder``; set them as ``c.Autograder.<name>``."""

    cell_timeout = Float(None, allow_none=True, help=dedent("""
        Seconds a cell may run before it is interrupted (KeyboardInterrupt, a CellTimeoutError
        output, then the next cell), as nbgrader's Execute does. Unset: nbgrader's
        Execute.timeout.""")).tag(config=True)
    timeout = Float(600.0, help=dedent("""
        Seconds one notebook may run in all. It is then stopped: the cells that ran keep their
        results, the others score nothing.""")).tag(config=True)
    interrupt_grace = Float(5.0, help=dedent("""
        Seconds an interrupted cell may take to stop before its notebook is killed.""")
    ).tag(config=True)
    memory_mb = Integer(1024, help=dedent("""
        Memory (MiB) all processes of one notebook may use together (with control groups), and
        each process on top of the warm worker (always).""")).tag(config=True)
    scratch_mb = Integer(256, help=dedent("""
        Size (MiB) of the private in-memory file system a notebook runs in (its working
        folder, /tmp and /dev/shm).""")).tag(config=True)
    max_processes = Integer(64, help="Processes one notebook may run at once.").tag(config=True)
    output_mb = Integer(16, help="Outputs (MiB) kept per notebook; more is cut.").tag(config=True)
    workers = Integer(0, help="Notebooks graded in parallel; 0: one per core.").tag(config=True)
    render_figures = Bool(False, help=dedent("""
        Draw figures into the autograded notebooks (about 0.1 s each). Off: a placeholder; the
        feedback step draws them instead.""")).tag(config=True)
    feedback_figures = Bool(True, help=dedent("""
        Draw the students' figures into their feedback pages: ``feedback`` runs each notebook
        again in the sandbox, up to its last figure (a few tenths of a second per student).
        Off: a note stands where each figure was shown.""")).tag(config=True)
    sandbox = Bool(True, help=dedent("""
        Run notebooks in a sandbox (namespaces, a new root, control groups). Off only for
        debugging: student code then sees the whole machine.""")).tag(config=True)
    require_isolation = Bool(False, help=dedent("""
        Refuse to grade unless every limit of the sandbox holds on this machine (namespaces,
        a private /proc, control groups, a user per job).""")).tag(config=True)
    plugins = List(Unicode(), [], help=dedent("""
        Trusted checks of this course, as 'package.module:NAME' of an AssignmentChecks
        declaration (or a list of them). See docs/authoring.md.""")).tag(config=True)
    max_cells = Integer(2000, help="Cells a submitted notebook may have.").tag(config=True)
    max_notebook_mb = Integer(50, help="Size (MiB) of the largest notebook read.").tag(config=True)
    max_files = Integer(1000, help="Files a submission folder may hold.").tag(config=True)

    @validate("plugins")
    def _plugins_are_a_list(self, proposal):
        value = proposal["value"]
        if isinstance(value, str) or not all(isinstance(v, str) and ":" in v for v in value):
            raise TraitError("c.Autograder.plugins must be a list of 'package.module:NAME' "
                             f"strings, like ['mycourse.week1:CHECKS'] (got {value!r})")
        return value


def config_paths(root: Path) -> list[Path]:
    """Where ``nbgrader_config.py`` is read from, lowest priority first (nbgrader's order:
    system and user Jupyter folders, then the course root)."""
    try:
        from jupyter_core.paths import jupyter_config_path

        folders = [Path(p) for p in reversed(jupyter_config_path())]
    except Exception:
        folders = []
    return [f / CONFIG_FILE for f in folders] + [root / CONFIG_FILE]


def load_config(root: Path, overrides: Config | None = None) -> Config:
    """The merged configuration, read once; command-line ``overrides`` win."""
    config = Config()
    for path in config_paths(root):
        if not path.is_file():
            continue
        try:
            loaded = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
        except Exception as exc:
            raise GraderError(f"{path}: cannot be read as a configuration file "
                              f"({type(exc).__name__}: {exc})") from None
        config.merge(loaded)
    if overrides:
        config.merge(overrides)
    return config


@dataclass
class GradeOptions:
    """What one ``grade`` command was asked (the rest comes from the configuration)."""

    assignment: str
    students: str = "*"
    force: bool = False
    scheduler: str | None = None
    db_url: str | None = None
    progress: bool = True


@dataclass
class Settings:
    """What every command needs from the course and its configuration."""

    root: Path
    config: Config
    options: Autograder

    @classmethod
    def load(cls, course_dir: str | os.PathLike, overrides: Config | None = None) -> Settings:
        root = Path(course_dir).resolve()
        if not root.is_dir():
            raise GraderError(f"course directory {root} does not exist")
        config = load_config(root, overrides)
        try:
            options = Autograder(config=config)
        except TraitError as exc:
            raise GraderError(f"{root / CONFIG_FILE}: {exc}") from None
        return cls(root, config, options)

    def cell_timeout(self) -> float:
        """Ours when set, else nbgrader's Execute.timeout (None there: the notebook's limit)."""
        if self.options.cell_timeout is not None:
            return float(self.options.cell_timeout)
        from nbgrader.preprocessors import Execute

        timeout = Execute(config=self.config).timeout
        return float(timeout) if timeout is not None else float(self.options.timeout)

    def limits(self) -> Limits:
        options = self.options
        return Limits(cell_timeout=min(self.cell_timeout(), options.timeout),
                      notebook_timeout=options.timeout, interrupt_grace=options.interrupt_grace,
                      memory_mb=options.memory_mb, max_processes=options.max_processes,
                      scratch_mb=options.scratch_mb, output_bytes=options.output_mb * 2**20,
                      render_figures=options.render_figures)

    def workers(self) -> int:
        return self.options.workers or os.cpu_count() or 1

    # -- nbgrader's side of the configuration (imports nbgrader: call after workers start) -----
    def coursedir(self):
        from nbgrader.coursedir import CourseDirectory

        config = Config(self.config)
        config.CourseDirectory.root = str(self.root)
        return CourseDirectory(config=config)

    def db_url(self) -> str:
        return str(self.coursedir().db_url)

    def course_id(self) -> str:
        return str(self.config.get("CourseDirectory", {}).get("course_id", "") or "")
