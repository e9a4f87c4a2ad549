"""``python -m autograder check NOTEBOOK``: grade one notebook and say what is wrong.

For instructors trying a notebook and for GitHub Classroom-style autograding: the notebook runs
in a sandboxed worker process, exactly as in a batch; the verdict is computed here. No gradebook
is needed: tests and points are restored from the master in source/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.checks.context import ReferenceContext
from autograder.config import CheckOptions
from autograder.course import Course
from autograder.execute.job import COMPLETED, Job
from autograder.execute.plan import sandbox_plan
from autograder.execute.pool import Worker
from autograder.judge import JudgedNotebook, judge
from autograder.record import TestResult, scores_from_notebook
from autograder.sanitize import SourceIndex, plan_cells, sanitize
from autograder.submission import Submission


class CheckError(Exception):
    """The notebook cannot be matched to an assignment: exit status 2."""


@dataclass
class CheckResult:
    notebook: Path
    tests: list[TestResult]
    judged: JudgedNotebook
    notes: list[str]

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    @property
    def passed(self) -> bool:
        return all(t.score >= t.max_score for t in self.tests)


def find_assignment(course: Course, notebook: Path, assignment: str | None) -> str:
    """The assignment whose master has the same notebook name (unless given)."""
    if assignment:
        return assignment
    source = course.root / "source"
    matches = sorted(p.parent.name for p in source.glob(f"*/{notebook.name}"))
    if len(matches) != 1:
        raise CheckError(f"cannot tell which assignment {notebook.name} belongs to "
                         f"(found {matches or 'none'} in {source}); pass --assignment")
    return matches[0]


def check_notebook(options: CheckOptions) -> CheckResult:
    course = Course.at(options.course_dir)
    path = options.notebook.resolve()
    assignment = find_assignment(course, path, options.assignment)
    master = course.master_notebooks(assignment)[0]
    index = SourceIndex.from_master(master, assignment, course.nbgrader_config())
    submission = Submission("check", assignment, path.parent, path.stem)
    if path.stem != master.stem:
        submission.notebook_name = path.stem
    nb = submission.read_notebook()
    sanitized, notes = sanitize(nb, index)
    job = Job("check", plan_cells(sanitized, index), course.assignment_files(assignment),
              options.limits)
    worker = Worker(sandbox_plan(course.root, options.sandbox, extra=(path.parent,))).start()
    try:
        record = worker.run(job)
    finally:
        worker.close()
    judged = judge(sanitized, record, index, ReferenceContext())
    if record.status != COMPLETED:
        notes.append(f"execution stopped: {record.reason}")
    return CheckResult(path, scores_from_notebook(judged), judged, notes)


def render(result: CheckResult) -> str:
    """The verdict per exercise, for a terminal."""
    lines = [f"{result.notebook.name}: {result.score:g} / {result.max_score:g} points"]
    for test in result.tests:
        mark = "PASS" if test.score >= test.max_score else "FAIL"
        lines.append(f"  [{mark}] {test.grade_id} ({test.score:g}/{test.max_score:g})")
        if test.output and mark == "FAIL" or test.output and test.hidden:
            lines.extend("         " + line for line in test.output.splitlines())
    lines.extend(f"  note: {note}" for note in result.notes)
    return "\n".join(lines)
