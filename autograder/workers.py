"""The workers a batch runs on: warm local processes, or a Dask cluster with ``--scheduler``."""

from __future__ import annotations

from autograder.config import Settings
from autograder.execute.plan import sandbox_plan
from autograder.plugins import plugin_packages


def worker_pool(settings: Settings, scheduler: str | None = None,
                assignment: str | None = None):
    """The pool for this course's settings; entering it starts the workers.

    The sandbox hides the grader's packages and the course's trusted checks wherever they are
    installed, and the workers refuse to start if they ever imported the checks. Local workers
    read and compile the cells of ``assignment``'s release and source notebooks once (every
    submission shares most of them; see :class:`autograder.execute.shell.WarmCells`).
    """
    course_packages = plugin_packages(settings.options.plugins)
    plan = sandbox_plan(settings.options.sandbox,
                        hidden_packages=("autograder", *course_packages),
                        hidden_files=(settings.root,))
    if scheduler:
        from autograder.execute.dask_pool import DaskPool

        return DaskPool(scheduler, plan, course_packages)
    from autograder.execute.pool import LocalPool

    return LocalPool(plan, settings.workers(), course_packages,
                     warm_notebooks=course_notebooks(settings, assignment) if assignment else ())


def course_notebooks(settings: Settings, assignment: str) -> list[str]:
    """The release and source notebooks of ``assignment`` (nbgrader's folders, as configured):
    course content, never a submission."""
    folders = settings.config.CourseDirectory
    found = []
    for option, default in (("release_directory", "release"), ("source_directory", "source")):
        folder = settings.root / str(folders.get(option, default)) / assignment
        found += [str(p) for p in sorted(folder.glob("*.ipynb"))]
    return found
