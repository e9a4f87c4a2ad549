"""Record a graded submission where nbgrader's tools expect it.

* the gradebook rows ``nbgrader autograde`` writes, by nbgrader's own SaveAutoGrades and
  AssignLatePenalties preprocessors (so scores follow nbgrader's rule to the letter);
* ``autograded/<student>/<assignment>/`` with the executed notebook and the submitted and source
  files, as nbgrader lays it out;
* ``results.json`` in Gradescope's format, written last: its presence marks the submission done.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SAWarning
from traitlets.config import Config

from autograder.course import Course, sqlite_file
from autograder.judge import JudgedNotebook
from autograder.submission import Submission

RESULTS_FILE = "results.json"


@dataclass
class TestResult:
    """One graded cell, in Gradescope's terms."""

    grade_id: str
    score: float
    max_score: float
    output: str
    hidden: bool

    def as_gradescope(self) -> dict:
        return {"name": self.grade_id, "score": self.score, "max_score": self.max_score,
                "status": "passed" if self.score >= self.max_score else "failed",
                "output": self.output,
                "visibility": "after_published" if self.hidden else "visible"}


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

    def as_gradescope(self) -> dict:
        summary = self.error or f"{self.score:g} / {self.max_score:g}"
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 3),
            "output": summary + ("\n" + "\n".join(self.notes) if self.notes else ""),
            "visibility": "visible",
            "tests": [t.as_gradescope() for t in self.tests],
            "extra_data": {"student": self.student, "assignment": self.assignment,
                           "error": self.error, "notes": self.notes, **self.extra},
        }

    @classmethod
    def from_gradescope(cls, data: dict) -> GradeResult:
        extra = dict(data.get("extra_data", {}))
        tests = [TestResult(t["name"], float(t["score"]), float(t["max_score"]),
                            t.get("output", ""), t.get("visibility") != "visible")
                 for t in data.get("tests", [])]
        return cls(student=extra.pop("student", ""), assignment=extra.pop("assignment", ""),
                   score=float(data["score"]), max_score=float(data["max_score"]), tests=tests,
                   error=extra.pop("error", None), notes=extra.pop("notes", []),
                   seconds=float(data.get("execution_time", 0.0)), extra=extra)


def _resources(submission: Submission, notebook: str, db_url: str) -> dict:
    return {"nbgrader": {"notebook": notebook, "assignment": submission.assignment,
                         "student": submission.student, "db_url": db_url}}


class SaveAutoGradesInto(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, writing through an open gradebook instead of opening one per
    notebook (each new connection recompiles every query: ten times the cost of the writes)."""

    def __init__(self, gradebook: Gradebook, **kwargs):
        super().__init__(**kwargs)
        self.open_gradebook = gradebook

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.gradebook = self.open_gradebook
        return super(SaveAutoGrades, self).preprocess(nb, resources)


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

    def close(self) -> None:
        if self._journal is not None:  # leave the file as we found it
            self.gradebook.db.commit()
            self.gradebook.db.execute(text(f"PRAGMA journal_mode={self._journal}"))
        self.gradebook.close()

    def __enter__(self) -> GradebookWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
                      graded: NotebookNode) -> None:
        """The cells' scores by nbgrader's SaveAutoGrades (and AssignLatePenalties)."""
        self.open_submission(submission)
        resources = _resources(submission, notebook_name, self.db_url)
        SaveAutoGradesInto(self.gradebook, config=self.config).preprocess(graded, resources)
        if self.has_due_date:
            AssignLatePenalties(config=self.config).preprocess(graded, resources)

    def record_zero(self, submission: Submission, notebook_name: str) -> dict[str, float]:
        """A notebook that cannot be graded scores 0, as nbgrader scores a missing notebook;
        returns the points each test was worth."""
        self.open_submission(submission)
        notebook = self.gradebook.find_submission_notebook(notebook_name, submission.assignment,
                                                           submission.student)
        for grade in notebook.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        self.gradebook.db.commit()
        return {g.name: float(g.max_score) for g in notebook.grades}


def scores_from_notebook(judged: JudgedNotebook) -> list[TestResult]:
    """Per graded cell: nbgrader's score and what the student should read about it."""
    tests = []
    for cell in judged.notebook.cells:
        if not utils.is_grade(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        score, max_score = utils.determine_grade(cell)
        verdict = judged.verdicts.get(grade_id)
        if verdict is not None:
            output, hidden = verdict.message, verdict.hidden
        else:
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            output = f"{errors[0].ename}: {errors[0].evalue}" if errors else ""
            hidden = False
        tests.append(TestResult(grade_id, float(score or 0.0), float(max_score), output, hidden))
    return tests


def write_autograded(course: Course, submission: Submission, notebook_name: str,
                     graded: NotebookNode | None) -> Path:
    """autograded/<student>/<assignment>/: submitted files, then source files, then the notebook."""
    target = course.autograded_dir(submission.student, submission.assignment)
    if target.exists():
        shutil.rmtree(target)
    # the submitted files but the notebooks (a broken one would trip nbgrader's own tools)
    shutil.copytree(submission.folder, target, ignore=shutil.ignore_patterns(".*", "*.ipynb"))
    source = course.source_dir(submission.assignment)
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        if path.is_file() and path.suffix != ".ipynb" and not any(
                p.startswith(".") for p in rel.parts):
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    if graded is not None:
        nbformat.write(graded, str(target / f"{notebook_name}.ipynb"))
    return target


def write_results(folder: Path, result: GradeResult) -> None:
    """results.json, atomically: it is the marker that this submission is done."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (RESULTS_FILE + ".tmp")
    tmp.write_text(json.dumps(result.as_gradescope(), indent=1))
    os.replace(tmp, folder / RESULTS_FILE)


def read_results(folder: Path) -> GradeResult | None:
    path = folder / RESULTS_FILE
    if not path.exists():
        return None
    try:
        return GradeResult.from_gradescope(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError):
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
