"""An assignment ready to grade: everything read once per command, used for every submission.

:meth:`Assignment.load` reads the masters, loads and validates the course's trusted-check
declarations, prepares the checks (reference runs), reads the source folder's files and computes
the digest a grade depends on. Then, per submission, :meth:`prepare` restores every notebook
from the master (:mod:`.sanitize`) and plans its cells (:mod:`.plan`), and :meth:`judge` fills the
notebooks with what the sandbox reported (:mod:`.judge`). The batch grader and ``check`` share
all of it; only where the master comes from (the gradebook or ``source/``) and where results go
differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests

from autograder.config import Settings
from autograder.course import Course
from autograder.errors import GraderError, SubmissionError, first_line
from autograder.execute.job import Job, NotebookRecord
from autograder.hidden import cells_with_hidden_tests, hidden_lines
from autograder.judge import IN_PROCESS, MANUAL, TRUSTED, JudgedNotebook, judge_notebook
from autograder.master import AssignmentMaster, NotebookMaster, master_notebooks, source_files
from autograder.plan import plan_notebook
from autograder.plugins import AssignmentChecks, TrustedCheck, checks_for, load_plugins, validate
from autograder.sanitize import sanitize
from autograder.submission import Submission, SubmissionLimits


@dataclass
class Prepared:
    """A submission ready to execute: its sanitized notebooks, and those that cannot be."""

    submission: Submission
    notebooks: dict[str, NotebookNode] = field(default_factory=dict)
    #: Notebooks of the assignment that cannot be graded, with the one-line reason.
    failed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Assignment:
    name: str
    course: Course
    settings: Settings
    master: AssignmentMaster
    declarations: list[AssignmentChecks]
    checks: dict[tuple[str, str], TrustedCheck]
    digest: str
    hider: ClearHiddenTests
    source_notebooks: dict[str, NotebookMaster]

    @classmethod
    def load(cls, settings: Settings, course: Course, name: str,
             masters: dict[str, NotebookMaster] | None = None,
             from_source: dict[str, NotebookMaster] | None = None) -> Assignment:
        """``masters``: the notebooks as the gradebook has them (grade); None: from source/
        (check). ``from_source``: the masters already read from source/ (read here if None)."""
        source_dir = course.source_dir(name)
        if from_source is None:
            from_source = read_source_masters(settings, source_dir, name)
        declarations = load_plugins(settings.options.plugins)
        validate(declarations, name, from_source)
        if masters is None:
            masters = from_source
        else:
            for notebook, master in masters.items():
                if notebook in from_source:
                    master.cells_in_order = from_source[notebook].cells_in_order
        checks = checks_for(declarations, name)
        for check in checks.values():
            try:
                check.prepare()
            except Exception as exc:
                raise GraderError(f"a trusted check of {name} failed to prepare: "
                                  f"{first_line(exc)}") from exc
        coursedir = course.coursedir
        files = source_files(source_dir, course.ignore, coursedir.max_dir_size * 1024)
        keep = frozenset(_exclude_overwriting(settings).get(name, []))
        master = AssignmentMaster(name, masters, files, keep)
        digest = master.digest(f"{nb}/{gid}:{check.fingerprint()}"
                               for (nb, gid), check in checks.items())
        return cls(name, course, settings, master, declarations, checks, digest,
                   ClearHiddenTests(config=settings.config), from_source)

    # -- what students may read --------------------------------------------------------------
    @cached_property
    def secrets(self) -> set[str]:
        """The masters' hidden-test lines, scrubbed from every output a student may read."""
        return hidden_lines(self.master.notebooks, self.settings.config)

    @cached_property
    def hidden_cells(self) -> set[tuple[str, str]]:
        """(notebook, grade id) of the test cells that hold hidden tests."""
        return cells_with_hidden_tests(self.master.notebooks, self.settings.config)

    # -- what a submission becomes -------------------------------------------------------------
    def submission_limits(self) -> SubmissionLimits:
        coursedir = self.course.coursedir
        return SubmissionLimits(max_files=self.settings.options.max_files,
                                max_file_bytes=coursedir.max_file_size * 1024,
                                max_total_bytes=coursedir.max_dir_size * 1024,
                                max_cells=self.settings.options.max_cells,
                                max_notebook_bytes=self.settings.options.max_notebook_mb * 2**20)

    def checks_of(self, notebook: str) -> dict[str, TrustedCheck]:
        return {gid: check for (nb, gid), check in self.checks.items() if nb == notebook}

    def prepare(self, submission: Submission, only: str | None = None,
                rename: dict[str, str] | None = None) -> Prepared:
        """Read and sanitize every notebook of the assignment (``only``: just that one);
        ``rename``: submitted file stem -> master notebook name (``check`` of a renamed file)."""
        prepared = Prepared(submission, notes=list(submission.notes))
        limit = self.settings.options.max_cells
        for name, master in sorted(self.master.notebooks.items()):
            if only is not None and name != only:
                continue
            submitted = next((s for s, m in (rename or {}).items() if m == name), name)
            try:
                nb = submission.read_notebook(submitted, limit)
                sanitized, notes = sanitize(nb, master, self.settings.config)
            except SubmissionError as exc:
                prepared.failed[name] = str(exc)
                continue
            except Exception as exc:  # whatever else is wrong with it must not stop the batch
                prepared.failed[name] = f"{submitted}.ipynb: {first_line(exc)}"
                continue
            prepared.notebooks[name] = sanitized
            prepared.notes.extend(notes)
        return prepared

    def job_for(self, prepared: Prepared) -> Job:
        files = dict(prepared.submission.other_files(self.course.ignore))
        for rel, data in self.master.files.items():
            if rel not in self.master.keep_students or rel not in files:
                files[rel] = data
        notebooks = [plan_notebook(name, nb, self.checks_of(name), self.hider)
                     for name, nb in prepared.notebooks.items()]
        return Job(prepared.submission.id, notebooks, files, self.settings.limits())

    def warm_checks(self, log) -> None:
        """Each trusted check's one-time work (:meth:`TrustedCheck.warm`). A check that fails
        here is logged; its verdicts then fail with the reason, submission by submission."""
        for (notebook, grade_id), check in self.checks.items():
            try:
                check.warm()
            except Exception as exc:  # the check's own bug: its cells say so when judged
                log(f"the trusted check of {notebook}/{grade_id} could not warm up: "
                    f"{first_line(exc)}")

    def judge(self, prepared: Prepared, records: dict[str, NotebookRecord]
              ) -> list[JudgedNotebook]:
        return [judge_notebook(name, nb, records.get(name), self.checks_of(name))
                for name, nb in prepared.notebooks.items()]

    # -- how each test cell is judged ------------------------------------------------------------
    def test_kinds(self) -> dict[str, list[str]]:
        """Test cells by how they are judged: by a trusted check, in the student's process
        (as nbgrader does), or by hand."""
        kinds: dict[str, list[str]] = {TRUSTED: [], IN_PROCESS: [], MANUAL: []}
        several = len(self.master.notebooks) > 1
        for name, master in sorted(self.master.notebooks.items()):
            bound = self.checks_of(name)
            for cell in master.grade_cells:
                label = f"{name}: {cell.name}" if several else cell.name
                if cell.name in bound:
                    kinds[TRUSTED].append(label)
                elif cell.cell_type != "code" or master.is_solution(cell.name):
                    kinds[MANUAL].append(label)
                else:
                    kinds[IN_PROCESS].append(label)
        return kinds

    def max_scores(self) -> dict[str, dict[str, float]]:
        return {name: master.max_scores() for name, master in self.master.notebooks.items()}


def _exclude_overwriting(settings: Settings) -> dict[str, list[str]]:
    value = settings.config.get("Autograde", {}).get("exclude_overwriting", {})
    return dict(value) if isinstance(value, dict) else {}


def read_source_masters(settings: Settings, source_dir: Path, name: str
                        ) -> dict[str, NotebookMaster]:
    """Every master notebook of ``name`` in source/, by notebook name."""
    return {p.stem: NotebookMaster.from_master(p, name, settings.config, settings.root)
            for p in master_notebooks(source_dir, name)}
