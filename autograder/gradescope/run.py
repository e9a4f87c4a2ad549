"""Inside Gradescope: ``prepare`` once (from setup.sh), ``run`` per submission (run_autograder).

``run`` grades the upload with ``python -m autograder grade`` in a throwaway copy of the packed
course and writes ``results/results.json`` whatever happens: a broken upload or a grader that
cannot start still gives a valid file with score 0 and a one-line reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from autograder import __version__
from autograder.config import Settings
from autograder.errors import GraderError, first_line
from autograder.gradescope import COURSE, MADE_BY, MANIFEST, STUDENT
from autograder.gradescope.upload import place, read_upload

#: What results.json keeps of the grader's extra data: nothing the instructor alone may read.
STUDENT_EXTRA = ("assignment", "error", "grader_version", "execution")


@dataclass
class Layout:
    """Gradescope's folders: ``source`` (the unpacked zip), ``submission``, ``results``."""

    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def course(self) -> Path:
        return self.source / COURSE

    def manifest(self) -> dict:
        try:
            data = json.loads((self.source / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise GraderError(f"{self.source / MANIFEST} cannot be read ({first_line(exc)}): "
                              f"rebuild the zip with `{MADE_BY}`") from None
        if not isinstance(data, dict) or not isinstance(data.get("assignment"), str):
            raise GraderError(f"{self.source / MANIFEST} names no assignment: rebuild the zip "
                              f"with `{MADE_BY}`")
        return data


def protect(folder: Path) -> None:
    """Readable by its owner (root) only. Where the container allows no namespaces, student code
    runs as another user on this machine's files: it must not read the masters or checks."""
    if folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.geteuid():
        os.chmod(folder, 0o700)


def gradebook_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def prepare(layout: Layout) -> list[str]:
    """At image build: record the assignment in the course's gradebook and prepare its checks,
    exactly as ``grade`` will (each submission then starts from a copy)."""
    from autograder.config import GradeOptions
    from autograder.course import ensure_tools_on_path
    from autograder.grade import Grader

    protect(layout.source)
    assignment = layout.manifest()["assignment"]
    ensure_tools_on_path()
    settings = Settings.load(layout.course)
    options = GradeOptions(assignment=assignment, db_url=gradebook_url(layout.course))
    loaded = Grader(settings, options, log=print).load()
    kinds = ", ".join(f"{k}: {len(v)}" for k, v in loaded.test_kinds().items() if v)
    return [f"{assignment} is ready to grade ({kinds})"]


def _upload_limits(settings: Settings) -> tuple[int, int]:
    """(files, bytes) an upload may hold: the grader's own limits of a submission folder."""
    return settings.options.max_files, settings.coursedir().max_dir_size * 1024


def zero_result(assignment: str, max_scores: dict[str, dict[str, float]], reason: str):
    """Every test scores 0, with the reason (as the grader records an ungradable submission)."""
    from autograder.judge import IN_PROCESS
    from autograder.record import GradeResult, TestResult

    tests = [TestResult(gid, 0.0, points, reason, False, notebook, IN_PROCESS)
             for notebook, scores in sorted(max_scores.items())
             for gid, points in scores.items()]
    return GradeResult(student=STUDENT, assignment=assignment, score=0.0,
                       max_score=sum(t.max_score for t in tests), tests=tests, error=reason)


def grade_command(course: Path, assignment: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", assignment, "--course-dir", str(course),
            "--db", gradebook_url(course), "--workers", "1", "--no-progress"]


def grade_folder(settings: Settings, course: Path, assignment: str, max_scores: dict):
    """``python -m autograder grade`` on the throwaway course; its record, or a zero result
    saying why there is none. Its output goes to Gradescope's stdout (the instructor's)."""
    from autograder.course import Course
    from autograder.record import read_results

    limit = settings.options.timeout * max(1, len(max_scores)) + 300
    try:
        done = subprocess.run(grade_command(course, assignment), capture_output=True, text=True,
                              timeout=limit, cwd=course)
    except subprocess.TimeoutExpired:
        return zero_result(assignment, max_scores, f"grading took longer than {limit:.0f} s "
                                                   "and was stopped")
    print(done.stdout, end="")
    print(done.stderr, end="")
    result = read_results(Course.from_settings(settings).autograded_dir(STUDENT, assignment))
    if result is not None:
        return result
    said = [line for line in done.stderr.splitlines() if line.strip()]
    reason = said[-1] if said else f"exit status {done.returncode}"
    return zero_result(assignment, max_scores, f"the grader could not grade this upload: "
                                               f"{reason.removeprefix('error: ')}")


def scrub(value, secrets: set[str]):
    """Every string of a JSON value with each line that repeats a hidden test replaced."""
    from autograder.hidden import scrub as scrub_text

    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    return value


def student_view(result, secrets: set[str]) -> dict:
    """results.json as Gradescope shows it: the grader's own Gradescope record, without its
    instructor-only parts, scrubbed; the grader's stdout stays with the instructor."""
    data = result.as_gradescope()
    extra = data.get("extra_data") or {}
    data["extra_data"] = {k: extra[k] for k in STUDENT_EXTRA if k in extra}
    data["stdout_visibility"] = "hidden"
    return scrub(data, secrets)


def write_results(folder: Path, data: dict) -> Path:
    """Strict JSON (no NaN), written whole or not at all."""
    from autograder.record import dumps_strict

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "results.json.tmp"
    tmp.write_text(dumps_strict(data, indent=1), encoding="utf-8")
    path = folder / "results.json"
    os.replace(tmp, path)
    return path


@dataclass
class PackedCourse:
    """The packed course as this run reads it: settings, masters and what hides their tests."""

    assignment: str
    settings: Settings
    max_scores: dict[str, dict[str, float]]
    secrets: set[str]

    @classmethod
    def load(cls, root: Path, assignment: str) -> PackedCourse:
        from autograder.assignment import read_source_masters
        from autograder.course import Course
        from autograder.hidden import hidden_lines

        settings = Settings.load(root)
        masters = read_source_masters(settings, Course.from_settings(settings).source_dir(
            assignment), assignment)
        return cls(assignment, settings, {n: m.max_scores() for n, m in masters.items()},
                   hidden_lines(masters, settings.config))


def grade_upload(layout: Layout, scratch: Path) -> tuple[object, set[str]]:
    """Grade the upload in a copy of the packed course; (the record, the hidden lines)."""
    from autograder.course import Course

    made = layout.manifest()
    assignment = made["assignment"]
    course = scratch / COURSE
    shutil.copytree(layout.course, course, symlinks=True)
    packed = PackedCourse.load(course, assignment)
    max_files, max_bytes = _upload_limits(packed.settings)
    upload = read_upload(layout.submission, sorted(packed.max_scores), max_files, max_bytes)
    print(f"upload: {len(upload.files)} file(s)" + "".join(f"\nnote: {n}" for n in upload.notes))
    if upload.problem:
        print(f"not graded: {upload.problem}")
        result = zero_result(assignment, packed.max_scores, upload.problem)
    else:
        place(upload, Course.from_settings(packed.settings).submitted_dir(STUDENT, assignment))
        result = grade_folder(packed.settings, course, assignment, packed.max_scores)
    result.notes[:0] = upload.notes
    # The packed grader is not an installed distribution: its version is the packer's.
    result.extra["grader_version"] = made.get("grader_version", __version__)
    return result, packed.secrets


def failure_view(reason: str) -> dict:
    """results.json when nothing else could be made: score 0 and the reason."""
    return {"score": 0.0, "output": reason, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": []}


def run(layout: Layout) -> int:
    """Grade ``submission/`` into ``results/results.json``, whatever the upload holds."""
    started = time.monotonic()
    protect(layout.source)
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as scratch:
            result, secrets = grade_upload(layout, Path(scratch))
        view = student_view(result, secrets)
    except Exception as exc:
        traceback.print_exc(file=sys.stdout)
        view = failure_view(f"The autograder failed ({type(exc).__name__}: {first_line(exc)}): "
                            "please tell your instructor.")
    view["execution_time"] = round(time.monotonic() - started, 3)
    path = write_results(layout.results, view)
    print(f"wrote {path}: {view['score']:g}" + (f" / {view['max_score']:g}"
                                                if "max_score" in view else ""))
    return 0
