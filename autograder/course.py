"""Where things are in an nbgrader course directory, and which submissions there are."""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config, PyFileConfigLoader


def sqlite_file(db_url: str) -> Path | None:
    """The file of a ``sqlite:///`` gradebook URL; None for any other database."""
    prefix = "sqlite:///"
    return Path(db_url[len(prefix):]) if db_url.startswith(prefix) else None


@dataclass(frozen=True)
class Course:
    """An nbgrader course root: source/, release/, submitted/, autograded/, feedback/, ..."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike) -> Course:
        path = Path(root).resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"course directory {path} does not exist")
        return cls(path)

    def source_dir(self, assignment: str) -> Path:
        return self.root / "source" / assignment

    def release_dir(self, assignment: str) -> Path:
        return self.root / "release" / assignment

    def submitted_dir(self, student: str, assignment: str) -> Path:
        return self.root / "submitted" / student / assignment

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.root / "autograded" / student / assignment

    def feedback_dir(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment

    def report_dir(self, assignment: str) -> Path:
        return self.root / "reports" / assignment

    def grades_csv(self, assignment: str) -> Path:
        return self.root / "grades" / f"{assignment}.csv"

    def master_notebooks(self, assignment: str) -> list[Path]:
        """The assignment's notebooks in source/ (the master copies with solutions)."""
        folder = self.source_dir(assignment)
        if not folder.is_dir():
            raise FileNotFoundError(f"no assignment {assignment!r}: {folder} does not exist")
        notebooks = sorted(p for p in folder.glob("*.ipynb")
                           if not p.name.startswith(".") and ".ipynb_checkpoints" not in p.parts)
        if not notebooks:
            raise FileNotFoundError(f"{folder} contains no notebook")
        return notebooks

    def assignment_files(self, assignment: str) -> dict[str, bytes]:
        """The files every submission runs with (style file, example figures, data): everything
        in source/<assignment>/ but notebooks and hidden files."""
        folder = self.source_dir(assignment)
        files = {}
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and path.suffix != ".ipynb" and not any(
                    part.startswith(".") for part in rel.parts):
                files[str(rel)] = path.read_bytes()
        return files

    def students(self, assignment: str, pattern: str = "*") -> list[str]:
        """Students with a submitted/<student>/<assignment>/ folder, matching a glob."""
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(entry.name for entry in base.iterdir()
                      if (entry / assignment).is_dir() and fnmatch.fnmatch(entry.name, pattern))

    def db_url(self) -> str:
        """The gradebook URL nbgrader would use for this course."""
        config = self.nbgrader_config()
        url = config.get("CourseDirectory", {}).get("db_url")
        return str(url) if url else f"sqlite:///{self.root / 'gradebook.db'}"

    def nbgrader_config(self) -> Config:
        """The course's nbgrader_config.py, loaded as nbgrader loads it."""
        path = self.root / "nbgrader_config.py"
        if not path.exists():
            return Config()
        return PyFileConfigLoader(path.name, path=str(self.root)).load_config()

    def course_id(self) -> str:
        return str(self.nbgrader_config().get("CourseDirectory", {}).get("course_id", ""))


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` when it creates a gradebook: put our environment's bin/ first."""
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
