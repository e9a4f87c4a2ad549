"""Where things are in an nbgrader course, by nbgrader's own ``CourseDirectory`` settings."""

from __future__ import annotations

import fnmatch
import glob
import os
import sys
from dataclasses import dataclass
from pathlib import Path


def sqlite_file(db_url: str) -> Path | None:
    """The file of a ``sqlite:///`` gradebook URL; None for any other database."""
    prefix = "sqlite:///"
    return Path(db_url[len(prefix):]) if db_url.startswith(prefix) else None


@dataclass
class Course:
    """An nbgrader course: its folders as nbgrader's CourseDirectory names them."""

    root: Path
    coursedir: object  # nbgrader.coursedir.CourseDirectory

    @classmethod
    def from_settings(cls, settings) -> Course:
        return cls(settings.root, settings.coursedir())

    def _path(self, step: str, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(step, student, assignment))

    def source_dir(self, assignment: str) -> Path:
        return self._path(self.coursedir.source_directory, ".", assignment)

    def release_dir(self, assignment: str) -> Path:
        return self._path(self.coursedir.release_directory, ".", assignment)

    def submitted_dir(self, student: str, assignment: str) -> Path:
        return self._path(self.coursedir.submitted_directory, student, assignment)

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self._path(self.coursedir.autograded_directory, student, assignment)

    def feedback_dir(self, student: str, assignment: str) -> Path:
        return self._path(self.coursedir.feedback_directory, student, assignment)

    def report_dir(self, assignment: str) -> Path:
        return self.root / "reports" / assignment

    def grades_csv(self, assignment: str) -> Path:
        return self.root / "grades" / f"{assignment}.csv"

    def state_file(self, assignment: str) -> Path:
        """The grader's own bookkeeping of a batch (a --force run in progress)."""
        return self.root / ".autograder" / f"{assignment}.json"

    @property
    def ignore(self) -> list[str]:
        return list(self.coursedir.ignore)

    def assignments(self) -> list[str]:
        base = self.source_dir("*")
        return sorted(Path(p).name for p in glob.glob(str(base)) if os.path.isdir(p))

    def _students_in(self, step: str, assignment: str) -> tuple[list[str], list[str]]:
        pattern = self._path(step, "*", assignment)
        prefix, _, suffix = str(self._path(step, "\0", assignment)).partition("\0")
        found, notes = [], []
        excluded = set(filter(None, self.coursedir.student_id_exclude.split(",")))
        for path in sorted(glob.glob(str(pattern))):
            if not (path.startswith(prefix) and path.endswith(suffix)):
                continue
            student = path[len(prefix): len(path) - len(suffix)]
            if not student or "/" in student:
                continue
            if student in excluded or student.startswith("."):
                continue
            if os.path.islink(path) or os.path.islink(os.path.dirname(path)):
                notes.append(f"{path} is a symbolic link; that submission was not graded")
                continue
            if os.path.isdir(path):
                found.append(student)
        return found, notes

    def students(self, assignment: str, pattern: str = "*") -> tuple[list[str], list[str]]:
        """Students with a submitted folder for the assignment matching a glob, and notes on
        folders that were skipped."""
        found, notes = self._students_in(self.coursedir.submitted_directory, assignment)
        return [s for s in found if fnmatch.fnmatchcase(s, pattern)], notes

    def graded_students(self, assignment: str) -> list[str]:
        return self._students_in(self.coursedir.autograded_directory, assignment)[0]


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` when it creates a gradebook: put our environment's bin/ first."""
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
