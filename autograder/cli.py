"""Command line: ``python -m autograder {grade,check,report,feedback,release,calibrate,demo}``."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autograder.execute.job import Limits


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(cell_timeout=min(args.cell_timeout or Limits.cell_timeout, args.timeout),
                  total_timeout=args.timeout, memory_mb=args.memory_mb,
                  render_figures=args.render_figures)


def _add_limit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=Limits.total_timeout, metavar="SECONDS",
                        help="time limit of one submission (default: %(default)s)")
    parser.add_argument("--cell-timeout", type=float, default=None, metavar="SECONDS",
                        help=f"time limit of one cell (default: {Limits.cell_timeout:g}, at most "
                             "--timeout)")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                        help="memory a notebook may use on top of the worker's "
                             "(default: %(default)s)")
    parser.add_argument("--render-figures", action="store_true",
                        help="render figures to PNG in autograded notebooks (about 0.1 s each)")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                        help="run student code without namespaces or a separate user")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="autograde every submission of an assignment")
    grade.add_argument("assignment")
    grade.add_argument("--course-dir", type=Path, default=Path("."))
    grade.add_argument("--student", default="*", metavar="GLOB",
                       help="only students matching this glob")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                       help="parallel workers (default: the number of cores, %(default)s)")
    grade.add_argument("--db", dest="db_url", default=None, metavar="URL",
                       help="gradebook URL (default: the course's, sqlite gradebook.db)")
    grade.add_argument("--force", action="store_true", help="regrade submissions already graded")
    grade.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask cluster, e.g. tcp://host:8786")
    grade.add_argument("--no-progress", dest="progress", action="store_false")
    _add_limit_options(grade)

    check = commands.add_parser("check", help="grade one notebook and explain the verdict")
    check.add_argument("notebook", type=Path)
    check.add_argument("--assignment", default=None)
    check.add_argument("--course-dir", type=Path, default=Path("."))
    _add_limit_options(check)

    for name, text in (("report", "write the class report (HTML with figures)"),
                       ("feedback", "write per-student feedback HTML without hidden tests")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("assignment")
        sub.add_argument("--course-dir", type=Path, default=Path("."))
        sub.add_argument("--db", dest="db_url", default=None, metavar="URL")
        if name == "feedback":
            sub.add_argument("--student", default="*", metavar="GLOB")

    release = commands.add_parser("release", help="regenerate the example figures and release/")
    release.add_argument("assignment")
    release.add_argument("--course-dir", type=Path, default=Path("."))

    calibrate = commands.add_parser("calibrate", help="re-measure the statistical tolerances")
    calibrate.add_argument("--runs", type=int, default=2000)

    demo = commands.add_parser("demo-class", help="write a sample class of submissions")
    demo.add_argument("assignment")
    demo.add_argument("--course-dir", type=Path, default=Path("."))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"grade": _grade, "check": _check, "report": _report, "feedback": _feedback,
               "release": _release, "calibrate": _calibrate, "demo-class": _demo}[args.command]
    return handler(args)


def _grade(args: argparse.Namespace) -> int:
    from autograder.config import GradeOptions

    options = GradeOptions(assignment=args.assignment, course_dir=args.course_dir,
                           students=args.student, workers=args.workers, db_url=args.db_url,
                           limits=_limits(args), force=args.force, scheduler=args.scheduler,
                           progress=args.progress, sandbox=args.sandbox)
    with _local_workers_started(options) as pool:
        from autograder.progress import grade_with_progress  # nbgrader & co: seconds to load

        gc.freeze()  # the libraries just loaded stay: full collections need not walk them
        return grade_with_progress(options, pool=pool)


@contextmanager
def _local_workers_started(options) -> Iterator[object | None]:
    """Start the local workers first, so they warm up while the grader's libraries load.
    Anything unusual (a cluster, a missing course) is left to the grader, which reports it."""
    pool = None
    if not options.scheduler:
        try:
            from autograder.course import Course
            from autograder.execute.plan import worker_pool

            course = Course.at(options.course_dir)
            pool = worker_pool(options, course.root, options.db_url or course.db_url())
        except Exception:
            pool = None
    if pool is None:
        yield None
        return
    with pool:
        yield pool


def _check(args: argparse.Namespace) -> int:
    from autograder.check import CheckError, check_notebook, render
    from autograder.config import CheckOptions
    from autograder.course import ensure_tools_on_path
    from autograder.submission import SubmissionError

    ensure_tools_on_path()
    options = CheckOptions(notebook=args.notebook, assignment=args.assignment,
                           course_dir=args.course_dir, limits=_limits(args),
                           sandbox=args.sandbox)
    try:
        result = check_notebook(options)
    except (CheckError, SubmissionError, FileNotFoundError) as exc:
        print(f"{args.notebook}: {exc}", file=sys.stderr)
        return 2
    print(render(result))
    return 0 if result.passed else 1


def _report(args: argparse.Namespace) -> int:
    from autograder.report import write_report

    path = write_report(args.course_dir, args.assignment, args.db_url)
    print(f"class report: {path}")
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from autograder.feedback import write_feedback

    paths = write_feedback(args.course_dir, args.assignment, args.student, args.db_url)
    print(f"feedback written for {len(paths)} submission(s) under "
          f"{Path(args.course_dir).resolve() / 'feedback'}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from autograder.authoring import regenerate_release

    regenerate_release(args.course_dir, args.assignment)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from autograder.checks.calibration import calibrate, write_calibration

    write_calibration(calibrate(runs=args.runs))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from autograder.authoring import write_demo_class

    for path in write_demo_class(args.course_dir, args.assignment):
        print(path)
    return 0
