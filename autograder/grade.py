"""``python -m autograder grade``: a drop-in for ``nbgrader autograde``, in parallel and sandboxed.

submission -> read (regular files only) -> sanitize (restore tests from the master) -> execute
(sandboxed worker, cell by cell) -> judge (trusted process) -> record (gradebook, autograded/,
results.json) -> the class CSV.

Each submission is committed as soon as it is judged; ``results.json`` is written last and marks
it done, together with the fingerprints of what was graded (the submission's files, the master,
the trusted checks). A later run grades only what is missing or changed: a resubmission, or any
submission graded against an older master. ``--force`` regrades everything; interrupted, it
resumes where it stopped.

Whatever goes wrong with one submission (an unreadable notebook, a sandbox that dies, a check or a
write that fails) is recorded for that submission with a one-line reason, and the batch goes on.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError

from autograder import __version__
from autograder.assignment import Assignment, Prepared, read_source_masters
from autograder.config import GradeOptions, Settings
from autograder.course import Course, ensure_tools_on_path
from autograder.errors import GraderError, SubmissionError, first_line
from autograder.execute.job import COMPLETED, WORKER_ERROR, ExecutionRecord, Job
from autograder.isolation import describe_missing
from autograder.judge import IN_PROCESS, MANUAL, TRUSTED
from autograder.record import (
    GradebookWriter,
    GradeResult,
    TestResult,
    dumps_strict,
    read_results,
    scores_from_notebook,
    submitted_students,
    write_autograded,
    write_results,
)
from autograder.register import current_masters
from autograder.submission import Submission, read_submission
from autograder.workers import worker_pool


@dataclass
class BatchSummary:
    """What a run did, for the closing table and the exit status."""

    results: list[GradeResult] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    #: Folders that were not submissions (symbolic links...), one line each.
    notes: list[str] = field(default_factory=list)
    #: Limits of the sandbox that do not hold on this machine.
    missing_limits: list[str] = field(default_factory=list)
    #: Test cells by how they were judged.
    test_kinds: dict[str, list[str]] = field(default_factory=dict)
    #: Submissions whose previous results were replaced (regraded).
    replaced: int = 0
    interrupted: bool = False

    @property
    def errors(self) -> list[GradeResult]:
        return [r for r in self.results if r.error]

    @property
    def graded(self) -> list[GradeResult]:
        return [r for r in self.results if not r.error]

    def mean_score(self) -> float:
        return sum(r.score for r in self.results) / len(self.results) if self.results else 0.0


class ForceState:
    """A ``--force`` run in progress: submissions graded before it started are regraded, and an
    interrupted run picks up where it stopped (the state file survives until it completes)."""

    def __init__(self, path):
        self.path = path
        self.epoch: str | None = None
        try:
            data = json.loads(path.read_text())
            self.epoch = str(data["force_epoch"])
        except (OSError, ValueError, KeyError, TypeError):
            self.epoch = None

    def start(self) -> bool:
        """Begin a forced run; True if it resumes an interrupted one."""
        if self.epoch is not None:
            return True
        self.epoch = uuid.uuid4().hex[:12]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"force_epoch": self.epoch}))
        return False

    def finish(self) -> None:
        self.epoch = None
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class Grader:
    """Grades every submission of one assignment into the gradebook."""

    def __init__(self, settings: Settings, options: GradeOptions,
                 log: Callable[[str], None] | None = None, pool=None):
        """``pool``: workers already started (and closed) by the caller, or None to start them
        here for the batch."""
        self.settings = settings
        self.options = options
        self.pool = pool
        self.log = log or (lambda message: print(message, file=sys.stderr))
        self.course = Course.from_settings(settings)
        self.name = options.assignment
        self.db_url = options.db_url or settings.db_url()
        self.assignment: Assignment | None = None
        self.writer: GradebookWriter | None = None
        self.force = ForceState(self.course.state_file(self.name))

    # -- setting up ----------------------------------------------------------------------------
    def load(self) -> Assignment:
        """Masters from the gradebook (recorded or updated from source/ when needed), checks
        validated and prepared: everything that can stop the batch happens here, first."""
        ensure_tools_on_path()
        from_source = read_source_masters(self.settings, self.course.source_dir(self.name),
                                          self.name)
        try:
            masters = current_masters(self.settings.root, self.settings.config, self.name,
                                      self.db_url, self.settings.course_id(), from_source,
                                      self.log)
        except OperationalError as exc:
            raise GraderError(f"cannot open the gradebook {self.db_url}: "
                              f"{first_line(exc.orig or exc)}") from None
        self.assignment = Assignment.load(self.settings, self.course, self.name, masters,
                                          from_source)
        return self.assignment

    def _say_if_nobody(self, students: list[str]) -> None:
        """A --student pattern that matches nobody is most likely a typo: say so and stop. An
        assignment nobody submitted yet is only worth a line."""
        if students:
            return
        submitted = self.course.students(self.name)[0]
        if self.options.students != "*":
            some = ", ".join(submitted[:5]) + (", ..." if len(submitted) > 5 else "")
            raise GraderError(f"--student {self.options.students!r} matches none of the "
                              f"{len(submitted)} submission(s) of {self.name}"
                              + (f" ({some})" if submitted else ""))
        self.log(f"no submission of {self.name} in {self.course.coursedir.submitted_directory}/: "
                 "nothing to grade")

    def is_done(self, student: str, digest: str, in_gradebook: set[str]) -> bool:
        result = read_results(self.course.autograded_dir(student, self.name))
        if result is None or student not in in_gradebook:
            return False
        extra = result.extra
        return (extra.get("submission_digest") == digest
                and extra.get("master_digest") == self.assignment.digest
                and (self.force.epoch is None or extra.get("force_epoch") == self.force.epoch))

    # -- one submission ------------------------------------------------------------------------
    def read(self, student: str) -> Submission:
        return read_submission(student, self.name, self.course.submitted_dir(student, self.name),
                               self.assignment.submission_limits())

    def finish(self, prepared: Prepared, record: ExecutionRecord, started: float,
               timing: dict) -> GradeResult:
        """Judge in this (trusted) process, then record everything."""
        judge_started = time.monotonic()
        submission = prepared.submission
        judged = self.assignment.judge(prepared, record.notebooks)
        with self.writer.transaction():
            self.writer.open_submission(submission)
            saved = {j.name: self.writer.record_scores(submission, j.name, j.notebook)
                     for j in judged}
            zeros = self._zero_failed(prepared)
        tests: list[TestResult] = []
        for j in judged:
            tests.extend(scores_from_notebook(j, self.assignment.secrets,
                                              self.assignment.hidden_cells))
        tests.extend(zeros)
        notes = list(prepared.notes) + self._extra_notebooks(prepared)
        for name, nb_record in record.notebooks.items():
            if nb_record.status != COMPLETED:
                prefix = f"{name}.ipynb: " if len(self.assignment.master.notebooks) > 1 else ""
                notes.append(f"{prefix}execution stopped: {nb_record.reason}")
        result = self._result(submission, tests, notes, prepared.failed)
        result.extra["execution"] = _execution_summary(record)
        result.extra["checks"] = {f"{j.name}/{gid}" if len(judged) > 1 else gid: {
            "title": v.title, "passed": v.verdict.passed, "label": v.verdict.label,
            "label_text": v.verdict.label_text, "details": v.verdict.details,
            "data": v.verdict.data} for j in judged for gid, v in j.verdicts.items()}
        folder = self.course.autograded_dir(submission.student, self.name)
        timing["judge_and_record"] = round(time.monotonic() - judge_started, 4)
        result.seconds = time.monotonic() - started
        result.extra["timing"] = timing
        write_autograded(folder, submission, self.assignment.master.files,
                         self.assignment.master.keep_students, self.course.ignore, saved, result)
        return result

    def _zero_failed(self, prepared: Prepared) -> list[TestResult]:
        tests = []
        for name, reason in prepared.failed.items():
            points = self.writer.record_zero(prepared.submission, name)
            tests.extend(TestResult(gid, 0.0, p, reason, False, name, IN_PROCESS)
                         for gid, p in points.items())
        return tests

    def _extra_notebooks(self, prepared: Prepared) -> list[str]:
        known = set(self.assignment.master.notebooks)
        return [f"{n}.ipynb is not part of the assignment; it was not graded"
                for n in prepared.submission.notebooks() if n not in known and
                not any(n in reason for reason in prepared.failed.values())]

    def _result(self, submission: Submission, tests: list[TestResult], notes: list[str],
                failed: dict[str, str]) -> GradeResult:
        error = "; ".join(failed[n] for n in sorted(failed)) if failed else None
        max_scores = self.assignment.max_scores()
        return GradeResult(
            student=submission.student, assignment=self.name,
            score=sum(t.score for t in tests),
            max_score=sum(sum(p.values()) for p in max_scores.values()),
            tests=tests, error=error, notes=notes,
            extra={"submission_digest": submission.digest(),
                   "master_digest": self.assignment.digest,
                   "force_epoch": self.force.epoch, "grader_version": __version__})

    def record_failure(self, submission: Submission, reason: str, started: float
                       ) -> GradeResult:
        """A submission the grader could not grade at all: every test scores 0, with the
        reason. Nothing is left half-written in the gradebook; if the gradebook refuses even
        the zeros (a student id it cannot store, say), results.json still says why."""
        tests, notes = [], list(submission.notes)
        self.writer.rollback()
        try:
            with self.writer.transaction():
                self.writer.open_submission(submission)
                for name in sorted(self.assignment.master.notebooks):
                    points = self.writer.record_zero(submission, name)
                    tests.extend(TestResult(gid, 0.0, p, reason, False, name, IN_PROCESS)
                                 for gid, p in points.items())
        except OperationalError:
            raise
        except Exception as exc:
            notes.append(f"not recorded in the gradebook: {first_line(exc)}")
            tests = [TestResult(gid, 0.0, p, reason, False, name, IN_PROCESS)
                     for name, points in self.assignment.max_scores().items()
                     for gid, p in points.items()]
        result = self._result(submission, tests, notes, {"": reason})
        result.error = reason
        result.seconds = time.monotonic() - started
        folder = self.course.autograded_dir(submission.student, self.name)
        try:
            write_autograded(folder, submission, self.assignment.master.files,
                             self.assignment.master.keep_students, self.course.ignore, {},
                             result)
        except OSError as exc:
            result.notes.append(f"autograded/ could not be written: {first_line(exc)}")
            try:
                write_results(folder, result)
            except OSError as again:
                self.log(f"{submission.student}: results.json could not be written: "
                         f"{first_line(again)}")
        return result

    # -- the batch -----------------------------------------------------------------------------
    def run(self, progress: Callable[[GradeResult], None] | None = None,
            on_total: Callable[[int], None] | None = None) -> BatchSummary:
        started = time.monotonic()
        summary = BatchSummary()
        with ExitStack() as stack:
            pool = self.pool or stack.enter_context(worker_pool(
                self.settings, self.options.scheduler, self.options.assignment))
            assignment = self.load()
            summary.test_kinds = assignment.test_kinds()
            students, skipped_folders = self.course.students(self.name, self.options.students)
            summary.notes.extend(skipped_folders)
            self._say_if_nobody(students)
            resuming = self.force.epoch is not None
            todo = self._plan(students, summary, everything=self.options.force and not resuming)
            if todo:  # while the workers warm up (both take about as long)
                self.assignment.warm_checks(self.log)
            summary.missing_limits = describe_missing(pool.isolation(), self.settings)
            if self.settings.options.require_isolation and summary.missing_limits:
                raise GraderError("--require-isolation: the sandbox is incomplete on this "
                                  "machine: " + "; ".join(summary.missing_limits))
            if resuming:
                self.log("an earlier --force run was interrupted: regrading what it had not "
                         "reached (what it regraded is kept)")
            elif self.options.force:
                self.force.start()
            previously = [s for s in todo
                          if (self.course.autograded_dir(s, self.name) / "results.json").exists()]
            summary.replaced = len(previously)
            if previously:
                self.log(f"regrading {len(previously)} submission(s) graded before (changed "
                         "since, or --force): their autograded/ folders are replaced")
            if on_total:
                on_total(len(todo))
            if todo:
                self._grade(todo, pool, summary, progress)
            if self.force.epoch is not None:
                self.force.finish()
        write_class_csv(self.course, self.name)
        summary.seconds = time.monotonic() - started
        return summary

    def _plan(self, students: list[str], summary: BatchSummary, everything: bool
              ) -> dict[str, Submission]:
        """The submissions to grade: changed since their last grading, or never graded (or
        all of them, ``everything``); the others are counted as skipped."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.settings.course_id() or None) as gb:
            in_gradebook = submitted_students(gb, self.name)
        todo: dict[str, Submission] = {}
        for student in students:
            submission = self.read(student)
            if not everything and self.is_done(student, submission.digest(), in_gradebook):
                summary.skipped += 1
            else:
                todo[student] = submission
        return todo

    def _grade(self, todo: dict[str, Submission], pool, summary: BatchSummary,
               progress: Callable[[GradeResult], None] | None) -> None:
        prepared: dict[str, tuple[Prepared, float, dict]] = {}
        retries: list[Job] = []

        def done(result: GradeResult) -> None:
            summary.results.append(result)
            if progress:
                progress(result)

        def jobs() -> Iterator[Job]:
            for submission in todo.values():
                started = time.monotonic()
                try:
                    item = self.assignment.prepare(submission)
                    if not item.notebooks:  # nothing can run: record it without a worker
                        result = self.finish(item, ExecutionRecord(COMPLETED), started, {})
                        done(result)
                        continue
                    job = self.assignment.job_for(item)
                except (SubmissionError, OSError, ValueError, RuntimeError) as exc:
                    done(self._failure(submission, exc, started))
                    continue
                prepared[job.submission_id] = (item, started,
                                               {"prepare": round(time.monotonic() - started, 4)})
                yield job

        def handle(job: Job, record: ExecutionRecord, last_try: bool) -> None:
            item, started, timing = prepared[job.submission_id]
            if record.status == WORKER_ERROR and not last_try:
                retries.append(job)
                return
            prepared.pop(job.submission_id)
            timing["sandbox"] = round(record.seconds, 4)
            try:
                if record.status == WORKER_ERROR:
                    raise GraderRunError(f"the grader could not run this submission: "
                                         f"{record.reason}")
                result = self.finish(item, record, started, timing)
            except OperationalError:
                raise  # the gradebook itself is gone: nothing more can be recorded
            except Exception as exc:  # a grader bug, or a write that failed: this one only
                result = self._failure(item.submission, exc, started)
            done(result)

        try:
            with GradebookWriter(self.db_url, self.settings.config, self.settings.course_id(),
                                 self.name) as self.writer:
                for job, record in pool.run(jobs()):
                    handle(job, record, last_try=False)
                if retries:
                    for job, record in pool.run(iter(retries)):
                        handle(job, record, last_try=True)
        except OperationalError as exc:
            raise GraderError(f"the gradebook stopped answering ({first_line(exc.orig or exc)})"
                              f"; {len(summary.results)} submission(s) were recorded, run again "
                              "to grade the rest") from None

    def _failure(self, submission: Submission, exc: Exception, started: float) -> GradeResult:
        reason = str(exc) if isinstance(exc, (SubmissionError, GraderRunError)) else \
            f"the grader failed on this submission: {type(exc).__name__}: {first_line(exc)}"
        if not isinstance(exc, (SubmissionError, GraderRunError)):
            self.log(f"{submission.student}: {reason}")
        return self.record_failure(submission, reason, started)


class GraderRunError(Exception):
    """The grader's own failure on one submission (recorded for it, the batch goes on)."""


def _execution_summary(record: ExecutionRecord) -> dict:
    return {"status": record.status, "reason": record.reason,
            "seconds": round(record.seconds, 3), "isolation": record.isolation,
            "notebooks": {name: {"status": nb.status, "reason": nb.reason,
                                 "seconds": round(nb.seconds, 3),
                                 "peak_memory_mb": nb.peak_memory_mb,
                                 "cells": round(sum(c.seconds for c in nb.cells.values()), 4)}
                          for name, nb in record.notebooks.items()}}


def _csv_points(test: TestResult) -> str:
    """A test's points for the class CSV; empty while it waits for a grader (the gradebook and
    nbgrader's formgrader hold the manual grade)."""
    if test.awaits_grader:
        return ""
    return f"{test.score:g}"


def write_class_csv(course: Course, assignment: str) -> os.PathLike:
    """grades/<assignment>.csv: one row per graded student of the whole class (whatever
    ``--student`` selected), from their results.json files."""
    path = course.grades_csv(assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, test_names = [], []
    for student in course.graded_students(assignment):
        result = read_results(course.autograded_dir(student, assignment))
        if result is None:
            continue
        for test in result.tests:
            name = test.name(result.multiple_notebooks)
            if name not in test_names:
                test_names.append(name)
        rows.append(result)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *test_names, "error"])
        for result in rows:
            by_name = {t.name(result.multiple_notebooks): _csv_points(t) for t in result.tests}
            writer.writerow([result.student, f"{result.score:g}", f"{result.max_score:g}",
                             *[by_name.get(n, "0") for n in test_names], result.error or ""])
    os.replace(tmp, path)
    return path


__all__ = ["BatchSummary", "GradeOptions", "Grader", "GraderError", "MANUAL", "TRUSTED",
           "IN_PROCESS", "dumps_strict", "write_class_csv"]
