"""``python -m autograder grade``: a drop-in for ``nbgrader autograde``, in parallel and sandboxed.

submission -> sanitize (restore tests from the master) -> execute (isolated worker)
-> judge (trusted process) -> record (gradebook, autograded/, results.json) -> report.

Each submission is committed as soon as it is judged; ``results.json`` is written last and marks
it done, so a batch killed at any point and started again grades only what is missing.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.checks.context import ReferenceContext
from autograder.config import GradeOptions
from autograder.course import Course, ensure_tools_on_path
from autograder.execute.job import COMPLETED, WORKER_ERROR, ExecutionRecord, Job
from autograder.execute.plan import worker_pool
from autograder.judge import judge
from autograder.record import (
    GradebookWriter,
    GradeResult,
    TestResult,
    read_results,
    scores_from_notebook,
    submitted_students,
    write_autograded,
    write_results,
)
from autograder.register import ensure_assignment
from autograder.sanitize import SourceIndex, plan_cells, sanitize
from autograder.submission import Submission, SubmissionError, find_submission, first_line


class GraderError(RuntimeError):
    """The grader itself cannot go on (as opposed to a bad submission, which is recorded)."""


@dataclass
class Prepared:
    """A submission ready to execute: what was submitted and its sanitized notebook."""

    submission: Submission
    digest: str
    notebook: object
    notes: list[str]
    started: float
    #: Time spent in this process reading, sanitizing and packing it (wall clock, CPU).
    prepare_seconds: float = 0.0
    prepare_cpu: float = 0.0
    cpu_started: float = 0.0


@dataclass
class BatchSummary:
    """What a run did, for the closing table and the exit status."""

    results: list[GradeResult] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    #: Submissions the grader failed to run (its own fault): not recorded, retried next time.
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[GradeResult]:
        return [r for r in self.results if r.error]

    def mean_score(self) -> float:
        return sum(r.score for r in self.results) / len(self.results) if self.results else 0.0


class Grader:
    """Grades every submission of one assignment into the gradebook."""

    def __init__(self, options: GradeOptions, log: Callable[[str], None] | None = None,
                 pool=None):
        """``pool``: workers already started (and closed) by the caller, or None to start them
        here for the batch."""
        self.options = options
        self.pool = pool
        self.course = Course.at(options.course_dir)
        self.assignment = options.assignment
        self.db_url = options.db_url or self.course.db_url()
        self.config = self.course.nbgrader_config()
        self.log = log or (lambda message: print(message, file=sys.stderr))
        masters = self.course.master_notebooks(self.assignment)
        if len(masters) != 1:
            raise GraderError(f"{self.course.source_dir(self.assignment)} has {len(masters)} "
                              "notebooks; this grader handles one notebook per assignment")
        self.notebook_name = masters[0].stem
        self.writer: GradebookWriter | None = None  # open while a batch runs
        self.assignment_files = self.course.assignment_files(self.assignment)

    # -- stages ---------------------------------------------------------------------------------
    def load_index(self) -> SourceIndex:
        ensure_tools_on_path()
        ensure_assignment(self.course, self.assignment, self.db_url, self.config, self.log)
        with Gradebook(self.db_url, self.course.course_id() or None) as gb:
            return SourceIndex.from_gradebook(gb, self.assignment, self.notebook_name)

    def is_done(self, student: str, digest: str, in_gradebook: set[str]) -> bool:
        result = read_results(self.course.autograded_dir(student, self.assignment))
        return (result is not None and student in in_gradebook
                and result.extra.get("submission_digest") == digest)

    def prepare(self, student: str, digest: str, index: SourceIndex) -> Prepared | GradeResult:
        """Read and sanitize one submission; a bad one becomes a zero-score result right away."""
        started, cpu_started = time.monotonic(), time.thread_time()
        folder = self.course.submitted_dir(student, self.assignment)
        submission = find_submission(student, self.assignment, folder, self.notebook_name)
        try:
            nb = submission.read_notebook()
            graded_nb, notes = sanitize(nb, index)
        except SubmissionError as exc:
            return self.record_failure(submission, digest, str(exc), started)
        except Exception as exc:  # whatever else is wrong with it must not stop the batch
            return self.record_failure(submission, digest, f"{submission.notebook_path.name}: "
                                       f"{first_line(exc)}", started)
        return Prepared(submission, digest, graded_nb, submission.notes + notes, started,
                        cpu_started=cpu_started)

    def job_for(self, prepared: Prepared, index: SourceIndex) -> Job:
        files = prepared.submission.auxiliary_files()
        files.update(self.assignment_files)  # the course's copies win over a student's
        return Job(prepared.submission.id, plan_cells(prepared.notebook, index), files,
                   self.options.limits)

    def finish(self, prepared: Prepared, record: ExecutionRecord, index: SourceIndex,
               context: ReferenceContext) -> GradeResult:
        """Judge in this (trusted) process, then record everything."""
        started, cpu_started = time.monotonic(), time.thread_time()
        submission = prepared.submission
        judged = judge(prepared.notebook, record, index, context)
        self.writer.record_scores(submission, self.notebook_name, judged.notebook)
        tests = scores_from_notebook(judged)
        notes = list(prepared.notes)
        if record.status != COMPLETED:
            notes.append(f"execution stopped: {record.reason}")
        result = GradeResult(
            student=submission.student, assignment=self.assignment,
            score=sum(t.score for t in tests), max_score=sum(t.max_score for t in tests),
            tests=tests, notes=notes,
            extra={"submission_digest": prepared.digest, "execution": {
                "status": record.status, "reason": record.reason,
                "seconds": round(record.seconds, 3), "max_rss_mb": round(record.max_rss_mb, 1),
                "isolation": record.isolation},
                "exercises": {v.function: v.exercise.summary()
                              for v in judged.verdicts.values() if v.exercise is not None}})
        folder = write_autograded(self.course, submission, self.notebook_name, judged.notebook)
        finish_seconds = time.monotonic() - started
        coordinator_cpu = prepared.prepare_cpu + time.thread_time() - cpu_started
        cells = sum(c.seconds for c in record.cells.values())
        result.seconds = prepared.prepare_seconds + record.seconds + finish_seconds
        result.extra["timing"] = {"prepare": round(prepared.prepare_seconds, 4),
                                  "sandbox": round(record.seconds, 4), "cells": round(cells, 4),
                                  "judge_and_record": round(finish_seconds, 4),
                                  "coordinator_cpu": round(coordinator_cpu, 4)}
        write_results(folder, result)
        return result

    def record_failure(self, submission: Submission, digest: str, reason: str, started: float
                       ) -> GradeResult:
        """A submission that cannot be executed: every test scores 0, and the reason is kept."""
        max_scores = self.writer.record_zero(submission, self.notebook_name)
        tests = [TestResult(name, 0.0, points, reason, False) for name, points in
                 max_scores.items()]
        result = GradeResult(student=submission.student, assignment=self.assignment, score=0.0,
                             max_score=sum(max_scores.values()), tests=tests, error=reason,
                             notes=list(submission.notes), seconds=time.monotonic() - started,
                             extra={"submission_digest": digest})
        folder = write_autograded(self.course, submission, self.notebook_name, None)
        write_results(folder, result)
        return result

    # -- the batch ------------------------------------------------------------------------------
    def run(self, progress: Callable[[GradeResult], None] | None = None,
            on_total: Callable[[int], None] | None = None) -> BatchSummary:
        started = time.monotonic()
        summary = BatchSummary()
        with ExitStack() as stack:
            pool = self.pool or stack.enter_context(  # workers warm up meanwhile
                worker_pool(self.options, self.course.root, self.db_url))
            index = self.load_index()
            students = self.course.students(self.assignment, self.options.students)
            with Gradebook(self.db_url, self.course.course_id() or None) as gb:
                in_gradebook = submitted_students(gb, self.assignment)
            todo = {}
            for student in students:
                digest = Submission(student, self.assignment,
                                    self.course.submitted_dir(student, self.assignment),
                                    self.notebook_name).digest()
                if not self.options.force and self.is_done(student, digest, in_gradebook):
                    summary.skipped += 1
                else:
                    todo[student] = digest
            if on_total:
                on_total(len(todo))
            if todo:
                self._grade(todo, index, pool, summary, progress)
        write_class_csv(self.course, self.assignment, students)
        summary.seconds = time.monotonic() - started
        return summary

    def _grade(self, todo: dict[str, str], index: SourceIndex, pool, summary: BatchSummary,
               progress: Callable[[GradeResult], None] | None) -> None:
        context = ReferenceContext().warm_up(with_mutants=False)
        prepared: dict[str, Prepared] = {}

        def jobs() -> Iterator[Job]:
            for student, digest in todo.items():
                item = self.prepare(student, digest, index)
                if isinstance(item, GradeResult):
                    summary.results.append(item)
                    if progress:
                        progress(item)
                    continue
                prepared[item.submission.id] = item
                job = self.job_for(item, index)
                item.prepare_seconds = time.monotonic() - item.started
                item.prepare_cpu = time.thread_time() - item.cpu_started
                yield job

        with GradebookWriter(self.db_url, self.config, self.course.course_id(),
                             self.assignment) as self.writer:
            for job, record in pool.run(jobs()):
                item = prepared.pop(job.submission_id)
                if record.status == WORKER_ERROR:
                    summary.failures.append((job.submission_id, record.reason))
                    continue
                result = self.finish(item, record, index, context)
                summary.results.append(result)
                if progress:
                    progress(result)


def write_class_csv(course: Course, assignment: str, students: list[str]) -> Path:
    """grades/<assignment>.csv: one row per student from their results.json files."""
    path = course.grades_csv(assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, test_names = [], []
    for student in students:
        result = read_results(course.autograded_dir(student, assignment))
        if result is None:
            continue
        for test in result.tests:
            if test.grade_id not in test_names:
                test_names.append(test.grade_id)
        rows.append(result)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *test_names, "error"])
        for result in rows:
            by_name = {t.grade_id: t.score for t in result.tests}
            writer.writerow([result.student, f"{result.score:g}", f"{result.max_score:g}",
                             *[f"{by_name.get(n, 0):g}" for n in test_names], result.error or ""])
    return path
