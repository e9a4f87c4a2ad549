"""Command line: ``python -m autograder COMMAND``: grade, check, report, feedback, release, demo,
classroom or gradescope.

Every option also has a configuration name (``c.Autograder.<name>`` in ``nbgrader_config.py``);
a flag given here wins over the file. Exit status: 0 done, 1 ``check`` found failing tests,
2 bad input or a grader that cannot start (one line on stderr says which), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from traitlets.config import Config

#: flag destination -> (configuration section, option)
_OVERRIDES = {
    "timeout": ("Autograder", "timeout"),
    "cell_timeout": ("Autograder", "cell_timeout"),
    "memory_mb": ("Autograder", "memory_mb"),
    "workers": ("Autograder", "workers"),
    "render_figures": ("Autograder", "render_figures"),
    "sandbox": ("Autograder", "sandbox"),
    "feedback_figures": ("Autograder", "feedback_figures"),
    "require_isolation": ("Autograder", "require_isolation"),
    "db_url": ("CourseDirectory", "db_url"),
}


def _overrides(args: argparse.Namespace) -> Config:
    config = Config()
    for dest, (section, option) in _OVERRIDES.items():
        value = getattr(args, dest, None)
        if value is not None:
            config[section][option] = value
    return config


def _course_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course-dir", type=Path, default=Path("."), metavar="DIR",
                        help="the nbgrader course root, with nbgrader_config.py and source/ "
                             "(default: the current folder)")


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", dest="db_url", default=None, metavar="URL",
                        help="the gradebook, as an SQLAlchemy URL (default: the course's, "
                             "CourseDirectory.db_url, else sqlite gradebook.db in the course)")


def _limit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="time limit of one notebook (Autograder.timeout, default 600)")
    parser.add_argument("--cell-timeout", type=float, default=None, metavar="SECONDS",
                        help="time limit of one cell before it is interrupted "
                             "(Autograder.cell_timeout; default: nbgrader's Execute.timeout)")
    parser.add_argument("--memory-mb", type=int, default=None, metavar="MB",
                        help="memory of one notebook's processes (Autograder.memory_mb, "
                             "default 1024)")
    parser.add_argument("--render-figures", action="store_const", const=True, default=None,
                        help="draw figures into autograded notebooks (Autograder.render_figures)")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_const", const=False,
                        default=None, help="run student code unconfined (debugging only)")
    parser.add_argument("--require-isolation", action="store_const", const=True, default=None,
                        help="refuse to grade unless every limit of the sandbox holds here")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="autograde every submission of an assignment "
                                              "into the gradebook (like nbgrader autograde)")
    grade.add_argument("assignment", help="the assignment's name (its folder in source/)")
    _course_option(grade)
    grade.add_argument("--student", default="*", metavar="GLOB",
                       help="only students whose id matches this glob (default: all)")
    grade.add_argument("--workers", type=int, default=None, metavar="N",
                       help="notebooks graded in parallel (Autograder.workers; default: one "
                            "per core)")
    _db_option(grade)
    grade.add_argument("--force", action="store_true",
                       help="regrade submissions already graded (an interrupted --force run "
                            "resumes)")
    grade.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the notebooks on a Dask cluster, e.g. tcp://host:8786")
    grade.add_argument("--no-progress", dest="progress", action="store_false",
                       help="no progress bar")
    _limit_options(grade)

    check = commands.add_parser("check", help="grade one notebook without a gradebook and "
                                              "explain the verdict")
    check.add_argument("notebook", type=Path, help="the notebook to check")
    check.add_argument("--assignment", default=None, metavar="NAME",
                       help="its assignment (default: the one whose master has the same name)")
    _course_option(check)
    _limit_options(check)

    report = commands.add_parser("report", help="write the class report (an HTML page with "
                                                "figures) under reports/")
    report.add_argument("assignment", help="the assignment's name")
    _course_option(report)
    _db_option(report)

    feedback = commands.add_parser("feedback", help="write each student's feedback page under "
                                                    "feedback/ (no hidden tests)")
    feedback.add_argument("assignment", help="the assignment's name")
    _course_option(feedback)
    _db_option(feedback)
    feedback.add_argument("--student", default="*", metavar="GLOB",
                          help="only students whose id matches this glob (default: all)")
    feedback.add_argument("--no-figures", dest="feedback_figures", action="store_const",
                          const=False, default=None,
                          help="do not draw the students' figures again for their pages "
                               "(Autograder.feedback_figures)")
    feedback.add_argument("--workers", type=int, default=None, metavar="N",
                          help="notebooks run in parallel to draw the figures "
                               "(Autograder.workers; default: one per core)")

    release = commands.add_parser("release", help="regenerate the example figures and "
                                                  "release/ from source/")
    release.add_argument("assignment", help="the assignment's name")
    _course_option(release)

    demo = commands.add_parser("demo", help="build a demonstration course in a folder of its "
                                            "own, with a sample class for each assignment")
    demo.add_argument("folder", type=Path, help="where to build it (created; only a folder "
                                                "this command made before is replaced)")
    _course_option(demo)

    classroom = commands.add_parser("classroom", help="write a GitHub Classroom template "
                                                      "repository: the release, a README and "
                                                      "a workflow running the public checks")
    classroom.add_argument("assignment", help="the assignment's name (its folder in release/)")
    _course_option(classroom)
    classroom.add_argument("folder", type=Path, help="where to write the template (a new or "
                                                     "empty folder)")

    gradescope = commands.add_parser("gradescope", help="write the zip of an assignment's "
                                                        "Gradescope autograder")
    gradescope.add_argument("assignment", help="the assignment's name (its folder in source/)")
    _course_option(gradescope)
    gradescope.add_argument("--output", type=Path, default=Path("autograder.zip"), metavar="PATH",
                            help="where to write it (default: autograder.zip in the current "
                                 "folder; only a zip this command made is replaced)")
    gradescope.add_argument("--force", action="store_true",
                            help="replace PATH even if this command did not make it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"grade": _grade, "check": _check, "report": _report, "feedback": _feedback,
               "release": _release, "demo": _demo, "classroom": _classroom,
               "gradescope": _gradescope}[args.command]
    from autograder.errors import GraderError

    try:
        return handler(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _settings(args: argparse.Namespace):
    from autograder.config import Settings

    return Settings.load(args.course_dir, _overrides(args))


def _grade(args: argparse.Namespace) -> int:
    from autograder.config import GradeOptions

    settings = _settings(args)
    options = GradeOptions(assignment=args.assignment, students=args.student, force=args.force,
                           scheduler=args.scheduler, db_url=args.db_url, progress=args.progress)
    with _local_workers_started(settings, options) as pool:
        from autograder.heap import freeze_what_is_loaded
        from autograder.progress import grade_with_progress  # nbgrader & co: seconds to load

        freeze_what_is_loaded()  # the libraries just loaded stay: collections skip them
        return grade_with_progress(settings, options, pool=pool)


@contextmanager
def _local_workers_started(settings, options) -> Iterator[object | None]:
    """Start the local workers first, so they warm up while the grader's libraries load.
    Anything unusual (a cluster, a missing course) is left to the grader, which reports it."""
    pool = None
    if not options.scheduler and (settings.root / "source" / options.assignment).is_dir():
        from autograder.workers import worker_pool

        pool = worker_pool(settings, assignment=options.assignment)
    if pool is None:
        yield None
        return
    with pool:
        yield pool


def _check(args: argparse.Namespace) -> int:
    from autograder.check import check_notebook, render

    result = check_notebook(_settings(args), args.notebook, args.assignment)
    print(render(result))
    return 0 if result.passed else 1


def _report(args: argparse.Namespace) -> int:
    from autograder.report import write_report

    path = write_report(_settings(args), args.assignment, args.db_url)
    print(f"class report: {path}")
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from autograder.feedback import write_feedback

    settings = _settings(args)
    summary = write_feedback(settings, args.assignment, args.student, args.db_url)
    print(summary.text())
    return 0


def _release(args: argparse.Namespace) -> int:
    from autograder.authoring import regenerate_release

    regenerate_release(_settings(args), args.assignment)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from autograder.authoring import build_demo

    for line in build_demo(_settings(args), args.folder):
        print(line)
    return 0


def _classroom(args: argparse.Namespace) -> int:
    from autograder.classroom import write_template

    for line in write_template(_settings(args), args.assignment, args.folder):
        print(line)
    return 0


def _gradescope(args: argparse.Namespace) -> int:
    from autograder.gradescope.pack import build_autograder_zip

    for line in build_autograder_zip(_settings(args), args.assignment, args.output, args.force):
        print(line)
    return 0
