"""Record a graded submission where nbgrader's tools expect it.

* the gradebook rows ``nbgrader autograde`` writes, by nbgrader's own preprocessors after the
  execution step (IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
  AssignLatePenalties), so scores follow nbgrader's rule to the letter;
* ``autograded/<student>/<assignment>/`` as nbgrader lays it out: the submitted files, then the
  source files over them, then the graded notebooks. Everything is written from the submission
  as it was read (regular files only), never copied from the folder again;
* ``results.json`` in Gradescope's format, strict JSON, written last: its presence marks the
  submission done.
"""

from __future__ import annotations

import ctypes
import functools
import json
import math
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Comment, Grade, Gradebook, MissingEntry
from nbgrader.preprocessors import (
    AssignLatePenalties,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SAWarning
from sqlalchemy.orm import joinedload
from traitlets.config import Config

from autograder.course import sqlite_file
from autograder.execute.job import clean_output
from autograder.hidden import scrub
from autograder.judge import IN_PROCESS, MANUAL, TRUSTED, JudgedNotebook
from autograder.submission import Submission

RESULTS_FILE = "results.json"
#: The output of a test cell waiting for a grader (its points in the gradebook are not set yet).
AWAITS_GRADER = "graded by hand (nbgrader's formgrader)"
#: The output of an answer for a grader that was left as released (nbgrader scores it 0).
UNANSWERED = "not answered: an answer left as released scores 0"


def strict_json(value):
    """The value with every non-finite number replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def dumps_strict(value, **kwargs) -> str:
    return json.dumps(strict_json(value), allow_nan=False, **kwargs)


@dataclass
class TestResult:
    """One graded cell, in Gradescope's terms."""

    grade_id: str
    score: float
    max_score: float
    output: str
    hidden: bool
    notebook: str = ""
    #: TRUSTED, IN_PROCESS or MANUAL (see autograder.judge).
    judged_by: str = IN_PROCESS

    @property
    def awaits_grader(self) -> bool:
        return self.judged_by == MANUAL and self.output == AWAITS_GRADER

    def name(self, multiple_notebooks: bool) -> str:
        return f"{self.notebook}: {self.grade_id}" if multiple_notebooks and self.notebook \
            else self.grade_id

    def as_gradescope(self, multiple_notebooks: bool = False) -> dict:
        data = {"name": self.name(multiple_notebooks), "score": self.score,
                "max_score": self.max_score, "output": self.output,
                "visibility": "after_published" if self.hidden else "visible",
                "extra_data": {"grade_id": self.grade_id, "notebook": self.notebook,
                               "judged_by": self.judged_by}}
        if self.judged_by != MANUAL:
            data["status"] = "passed" if self.score >= self.max_score else "failed"
        return data

    @classmethod
    def from_gradescope(cls, data: dict) -> TestResult:
        extra = data.get("extra_data") or {}
        return cls(grade_id=str(extra.get("grade_id") or data["name"]),
                   score=float(data["score"]), max_score=float(data["max_score"]),
                   output=str(data.get("output", "")),
                   hidden=data.get("visibility") != "visible",
                   notebook=str(extra.get("notebook", "")),
                   judged_by=str(extra.get("judged_by", IN_PROCESS)))


@dataclass
class GradeResult:
    """A submission's grade, as recorded."""

    student: str
    assignment: str
    score: float
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def multiple_notebooks(self) -> bool:
        return len({t.notebook for t in self.tests}) > 1

    def as_gradescope(self) -> dict:
        summary = self.error or f"{self.score:g} / {self.max_score:g}"
        return strict_json({
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 3),
            "output": summary + ("\n" + "\n".join(self.notes) if self.notes else ""),
            "visibility": "visible",
            "tests": [t.as_gradescope(self.multiple_notebooks) for t in self.tests],
            "extra_data": {"student": self.student, "assignment": self.assignment,
                           "error": self.error, "notes": self.notes, **self.extra},
        })

    @classmethod
    def from_gradescope(cls, data: dict) -> GradeResult:
        extra = dict(data.get("extra_data", {}))
        tests = [TestResult.from_gradescope(t) for t in data.get("tests", [])]
        return cls(student=extra.pop("student", ""), assignment=extra.pop("assignment", ""),
                   score=float(data["score"]), max_score=float(data["max_score"]), tests=tests,
                   error=extra.pop("error", None), notes=extra.pop("notes", []),
                   seconds=float(data.get("execution_time") or 0.0), extra=extra)


def _resources(submission: Submission, notebook: str, db_url: str) -> dict:
    return {"nbgrader": {"notebook": notebook, "assignment": submission.assignment,
                         "student": submission.student, "db_url": db_url}}


class SaveAutoGradesInto(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, writing through an open gradebook instead of opening one per
    notebook (each new connection recompiles every query: ten times the cost of the writes),
    and finding the submission's grade and comment rows with one query each instead of one per
    cell. What it writes, and when, is nbgrader's own code (its ``_add_score`` and
    ``_add_comment``): only their ``find_grade`` and ``find_comment`` look here first."""

    def __init__(self, gradebook: Gradebook, **kwargs):
        super().__init__(**kwargs)
        self.open_gradebook = gradebook

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.gradebook = _RowsOfOneNotebook(self.open_gradebook, self.notebook_id,
                                            self.assignment_id, self.student_id)
        return super(SaveAutoGrades, self).preprocess(nb, resources)


class _RowsOfOneNotebook:
    """A gradebook whose ``find_grade`` and ``find_comment`` answer for one submitted notebook
    from rows loaded together (with their cells); anything else goes to the gradebook."""

    def __init__(self, gradebook: Gradebook, notebook: str, assignment: str, student: str):
        self._gradebook = gradebook
        self._key = (notebook, assignment, student)
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        db = gradebook.db
        self._grades = {g.cell.name: g for g in db.query(Grade).options(
            joinedload(Grade.cell)).filter(Grade.notebook_id == submitted.id)}
        self._comments = {c.cell.name: c for c in db.query(Comment).options(
            joinedload(Comment.cell)).filter(Comment.notebook_id == submitted.id)}

    def find_grade(self, grade_cell: str, notebook: str, assignment: str, student: str):
        if (notebook, assignment, student) == self._key and grade_cell in self._grades:
            return self._grades[grade_cell]
        return self._gradebook.find_grade(grade_cell, notebook, assignment, student)

    def find_comment(self, solution_cell: str, notebook: str, assignment: str, student: str):
        if (notebook, assignment, student) == self._key and solution_cell in self._comments:
            return self._comments[solution_cell]
        return self._gradebook.find_comment(solution_cell, notebook, assignment, student)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


def _fast_sqlite_journal(gb: Gradebook) -> str | None:
    """Switch a SQLite gradebook to write-ahead logging for the batch; returns the mode to
    restore. Each submission commits several times (nbgrader commits every grade): with WAL and
    synchronous=NORMAL a commit costs microseconds instead of milliseconds, and a killed batch
    still loses nothing it committed (the log is replayed when the file is next opened)."""
    if gb.engine.dialect.name != "sqlite":
        return None
    try:
        previous = gb.db.execute(text("PRAGMA journal_mode")).scalar()
        gb.db.execute(text("PRAGMA journal_mode=WAL"))
        gb.db.execute(text("PRAGMA synchronous=NORMAL"))
        gb.db.commit()
    except OperationalError:  # someone else holds the file: stay with its journal
        gb.db.rollback()
        return None
    return previous if previous and previous.lower() != "wal" else None


class _CommitsAsFlushes:
    """A gradebook session whose ``commit`` only flushes. nbgrader commits after every row it
    writes; each commit ends the transaction and expires every loaded object, so the next
    grade reloads them. Writing a submission through this costs one commit, not a dozen, and
    the submission's rows land together or not at all."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


class GradebookWriter:
    """Writes a batch's grades the way ``nbgrader autograde`` does, through one connection."""

    def __init__(self, db_url: str, config: Config, course_id: str | None, assignment: str):
        self.db_url = db_url
        self.config = config
        self.gradebook = Gradebook(db_url, course_id or None)
        self._journal = _fast_sqlite_journal(self.gradebook)
        # Late penalties are nbgrader's own (AssignLatePenalties); without a due date they
        # are always none, so the extra pass is only made when there is one.
        self.has_due_date = self.gradebook.find_assignment(assignment).duedate is not None
        self._task_cells: dict[str, set[str]] = {}
        self.after_execution = [IgnorePattern(config=config),
                                ClearMetadataPreprocessor(config=config),
                                LimitOutput(config=config)]

    def close(self) -> None:
        if self._journal is not None:  # leave the file as we found it
            self.gradebook.db.commit()
            self.gradebook.db.execute(text(f"PRAGMA journal_mode={self._journal}"))
        self.gradebook.close()

    def __enter__(self) -> GradebookWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def rollback(self) -> None:
        """Forget a submission's half-written rows (its recording failed)."""
        self.gradebook.db.rollback()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside is committed once at the end, or rolled back."""
        gb = self.gradebook
        session = gb.db
        gb.db = _CommitsAsFlushes(session)
        try:
            yield
        except BaseException:
            session.rollback()
            raise
        else:
            session.commit()
        finally:
            gb.db = session

    def open_submission(self, submission: Submission) -> None:
        """Create or update the student and the submission, as nbgrader's autograde does."""
        gb = self.gradebook
        with warnings.catch_warnings():
            # nbgrader's add_submission trips SQLAlchemy 2's autoflush warnings; harmless.
            warnings.simplefilter("ignore", SAWarning)
            gb.update_or_create_student(submission.student)
            if submission.timestamp_text:
                gb.update_or_create_submission(submission.assignment, submission.student,
                                               timestamp=submission.timestamp_text)
            else:
                gb.update_or_create_submission(submission.assignment, submission.student)

    def record_scores(self, submission: Submission, notebook_name: str,
                      graded: NotebookNode) -> NotebookNode:
        """The cells' scores by nbgrader's own preprocessors; returns the notebook as saved."""
        resources = _resources(submission, notebook_name, self.db_url)
        for step in self.after_execution:
            graded, resources = step(graded, resources)
        self._reset_task_grades(submission, notebook_name)
        SaveAutoGradesInto(self.gradebook, config=self.config).preprocess(graded, resources)
        if self.has_due_date:
            AssignLatePenalties(config=self.config).preprocess(graded, resources)
        return graded

    def _reset_task_grades(self, submission: Submission, notebook_name: str) -> None:
        """Task cells are never scored by SaveAutoGrades: an earlier run's zero (a notebook
        that was missing then) must not outlive a resubmission. Back to what a first
        ``nbgrader autograde`` leaves: waiting for a grader, unless one graded it already."""
        if notebook_name not in self._task_cells:  # the master's: the same all batch long
            master = self.gradebook.find_notebook(notebook_name, submission.assignment)
            self._task_cells[notebook_name] = {c.name for c in master.task_cells}
        tasks = self._task_cells[notebook_name]
        if not tasks:
            return
        notebook = self.gradebook.find_submission_notebook(notebook_name, submission.assignment,
                                                           submission.student)
        for grade in notebook.grades:
            if grade.name in tasks and grade.manual_score is None:
                grade.auto_score = None
                grade.needs_manual_grade = True

    def record_zero(self, submission: Submission, notebook_name: str) -> dict[str, float]:
        """A notebook that cannot be graded scores 0, as nbgrader scores a missing notebook;
        returns the points each test was worth."""
        notebook = self.gradebook.find_submission_notebook(notebook_name, submission.assignment,
                                                           submission.student)
        for grade in notebook.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        self.gradebook.db.commit()  # a flush inside transaction()
        return {g.name: float(g.max_score) for g in notebook.grades}


def scores_from_notebook(judged: JudgedNotebook, secrets: set[str] = frozenset(),
                         hidden_cells: set[tuple[str, str]] = frozenset()) -> list[TestResult]:
    """Per graded cell: nbgrader's score and what the student should read about it, with any
    line that repeats a hidden test scrubbed; a cell with hidden tests is marked hidden."""
    tests = []
    for cell in judged.notebook.cells:
        if not utils.is_grade(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        score, max_score = utils.determine_grade(cell)
        verdict = judged.verdicts.get(grade_id)
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        error = f"{errors[0].ename}: {errors[0].evalue}" if errors else ""
        if score is None:
            output, hidden, judged_by = AWAITS_GRADER, False, MANUAL
        elif utils.is_solution(cell) and verdict is None:  # an answer for a grader to read
            output, hidden, judged_by = UNANSWERED, False, MANUAL
        elif verdict is not None:
            output = verdict.verdict.message or error
            hidden, judged_by = verdict.hidden, TRUSTED
        else:
            output, judged_by = error, IN_PROCESS
            hidden = (judged.name, grade_id) in hidden_cells
        tests.append(TestResult(grade_id, float(score or 0.0), float(max_score),
                                scrub(output, secrets), hidden, judged.name, judged_by))
    return tests


def notebook_text(nb: NotebookNode) -> str:
    """The notebook as JSON text, valid nbformat even if a cell's outputs are not (they are
    dropped with a note): an autograded notebook must always open. nbformat validates while it
    writes; the outputs are only cleaned when that found a problem."""
    problem: dict = {}
    text = nbformat.writes(nb, capture_validation_error=problem)
    if not problem:
        return text
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = [o for o in (clean_output(dict(o)) for o in cell.get("outputs", [])) if o]
        cell.outputs = [nbformat.from_dict(o) for o in kept]
        try:
            nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
        except nbformat.ValidationError:
            cell.outputs = [nbformat.from_dict({
                "output_type": "stream", "name": "stdout",
                "text": "(outputs removed: they were not valid notebook outputs)\n"})]
    return nbformat.writes(nb)


def _safe_target(folder: Path, rel: str) -> Path | None:
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return folder.joinpath(*parts)


def write_autograded(target: Path, submission: Submission, source_files: dict[str, bytes],
                     keep_students: frozenset[str], ignore: list[str],
                     graded: dict[str, NotebookNode], result: GradeResult) -> None:
    """autograded/<student>/<assignment>/: submitted files, then source files, then the graded
    notebooks, and results.json last. Everything is written into a fresh folder beside the old
    one, which is then swapped in: a batch killed at any moment leaves either the old results
    or the new ones, never a mix."""
    fresh = target.with_name(target.name + ".autograder-new")
    old = target.with_name(target.name + ".autograder-old")
    if old.is_dir() and not old.is_symlink() and not target.exists() and not target.is_symlink():
        os.rename(old, target)  # a run killed between the two renames: the old results stay
    for leftover in (fresh, old):  # from a run killed mid-swap
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink()
        elif leftover.exists():
            shutil.rmtree(leftover)
    if target.exists() and not target.is_symlink() and not (target / RESULTS_FILE).exists():
        result.notes.append(f"replaced {target}, which an earlier run (not this grader) wrote")
    fresh.mkdir(parents=True)
    files = dict(submission.other_files(ignore))
    for reserved in (RESULTS_FILE, RESULTS_FILE + ".tmp"):
        if files.pop(reserved, None) is not None:
            result.notes.append(f"the submitted {reserved} was not copied: the grader writes "
                                "its own")
    files.update({k: v for k, v in source_files.items()
                  if k not in keep_students or k not in files})
    for rel, data in files.items():
        path = _safe_target(fresh, rel)
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for name, nb in graded.items():
        (fresh / f"{name}.ipynb").write_text(notebook_text(nb), encoding="utf-8")
    write_results(fresh, result)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        if _exchange(fresh, target):  # one step: a reader never finds the folder missing
            shutil.rmtree(fresh)
            return
        os.rename(target, old)
    os.rename(fresh, target)
    if old.exists():
        shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system cannot, and the caller renames in two steps."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError):  # no C library to load this way (not a POSIX system)
        return None


def write_results(folder: Path, result: GradeResult) -> None:
    """results.json, atomically: it is the marker that this submission is done."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (RESULTS_FILE + ".tmp")
    tmp.write_text(dumps_strict(result.as_gradescope(), indent=1))
    os.replace(tmp, folder / RESULTS_FILE)


def read_results(folder: Path) -> GradeResult | None:
    path = folder / RESULTS_FILE
    if path.is_symlink() or not path.is_file():
        return None
    try:
        return GradeResult.from_gradescope(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def submitted_students(gb: Gradebook, assignment: str) -> set[str]:
    try:
        return {s.student.id for s in gb.find_assignment(assignment).submissions}
    except MissingEntry:
        return set()


def gradebook_totals(url: str, assignment: str) -> dict[str, float]:
    """Each student's total in the gradebook (manual grades included), in one query.

    A SQLite gradebook that does not exist yet reads as empty instead of being created.
    """
    database = sqlite_file(url)
    if database is not None and not database.exists():
        return {}
    try:
        with Gradebook(url) as gb:
            return {row["student"]: float(row["score"]) for row in gb.submission_dicts(assignment)}
    except MissingEntry:
        return {}
