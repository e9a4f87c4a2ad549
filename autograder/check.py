"""``python -m autograder check NOTEBOOK``: grade one notebook and say what is wrong.

For instructors trying a notebook and for GitHub Classroom-style autograding: the notebook runs
in a sandboxed worker, exactly as in a batch, and the verdicts are computed here. No gradebook
is needed: tests and points are restored from the master in source/, processed as ``nbgrader
generate_assignment`` would store it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment
from autograder.config import Settings
from autograder.course import Course
from autograder.errors import GraderError
from autograder.execute.job import COMPLETED, ExecutionRecord
from autograder.isolation import describe_missing
from autograder.judge import JudgedNotebook
from autograder.record import TestResult, scores_from_notebook
from autograder.submission import read_submission
from autograder.workers import worker_pool


class CheckError(GraderError):
    """The notebook cannot be matched to an assignment: exit status 2."""


@dataclass
class CheckResult:
    notebook: Path
    tests: list[TestResult]
    judged: list[JudgedNotebook]
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    @property
    def passed(self) -> bool:
        return self.error is None and all(t.score >= t.max_score for t in self.tests
                                          if t.judged_by != "by hand")


def find_assignment(course: Course, notebook: Path, assignment: str | None) -> tuple[str, str]:
    """(assignment, master notebook name) for a notebook to check."""
    if assignment:
        names = sorted(p.stem for p in course.source_dir(assignment).glob("*.ipynb"))
        if not names:
            raise CheckError(f"no assignment {assignment!r}: {course.source_dir(assignment)} "
                             "holds no notebook")
        if notebook.stem in names:
            return assignment, notebook.stem
        if len(names) == 1:
            return assignment, names[0]
        raise CheckError(f"{assignment} has notebooks {', '.join(names)}; rename the file to "
                         "one of them")
    matches = sorted(a for a in course.assignments()
                     if (course.source_dir(a) / notebook.name).is_file())
    if len(matches) != 1:
        found = ", ".join(matches) if matches else "none"
        raise CheckError(f"cannot tell which assignment {notebook.name} belongs to (assignments "
                         f"with a notebook of that name: {found}); pass --assignment")
    return matches[0], notebook.stem


def check_notebook(settings: Settings, notebook: Path, assignment_name: str | None
                   ) -> CheckResult:
    path = notebook.resolve()
    if path.is_symlink() or not path.is_file():
        raise CheckError(f"{notebook}: no such notebook file")
    course = Course.from_settings(settings)
    name, master_name = find_assignment(course, path, assignment_name)
    assignment = Assignment.load(settings, course, name)
    submission = read_submission("check", name, path.parent, assignment.submission_limits())
    prepared = assignment.prepare(submission, only=master_name,
                                  rename={path.stem: master_name})
    if master_name in prepared.failed:
        raise CheckError(prepared.failed[master_name])
    job = assignment.job_for(prepared)
    with worker_pool(settings) as pool:
        missing = describe_missing(pool.isolation(), settings)
        if settings.options.require_isolation and missing:
            raise GraderError("--require-isolation: " + "; ".join(missing))
        record = next(r for _, r in pool.run(iter([job])))
    judged = assignment.judge(prepared, record.notebooks)
    notes = list(prepared.notes)
    for nb_record in record.notebooks.values():
        if nb_record.status != COMPLETED:
            notes.append(f"execution stopped: {nb_record.reason}")
    if record.status == "worker_error":
        raise GraderError(f"the grader could not run {notebook.name}: {record.reason}")
    tests = [t for j in judged for t in scores_from_notebook(j, assignment.secrets,
                                                               assignment.hidden_cells)]
    notes.extend(f"sandbox limit missing: {m}" for m in missing)
    return CheckResult(path, tests, judged, notes)


def render(result: CheckResult) -> str:
    """The verdict per test, for a terminal."""
    lines = [f"{result.notebook.name}: {result.score:g} / {result.max_score:g} points"]
    for test in result.tests:
        if test.judged_by == "by hand":
            lines.append(f"  [HAND] {test.grade_id} ({test.score:g}/{test.max_score:g}): "
                         f"{test.output}")
            continue
        mark = "PASS" if test.score >= test.max_score else "FAIL"
        lines.append(f"  [{mark}] {test.grade_id} ({test.score:g}/{test.max_score:g})")
        if test.output and (mark == "FAIL" or test.hidden):
            lines.extend("         " + line for line in test.output.splitlines())
    lines.extend(f"  note: {note}" for note in result.notes)
    return "\n".join(lines)


__all__ = ["CheckError", "CheckResult", "ExecutionRecord", "check_notebook", "render"]
