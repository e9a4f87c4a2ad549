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
    read and compile the cells of ``assignment``'s release notebooks once (every submission
    shares most of them; see :class:`autograder.execute.shell.WarmCells`).
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
                     warm_notebooks=release_notebooks(settings, assignment) if assignment else ())


def release_notebooks(settings: Settings, assignment: str) -> list[str]:
    """The notebooks students were given for ``assignment`` (nbgrader's release folder, as
    configured). Never the source: the warm worker is copied into every sandbox, and the
    source holds the solutions and the hidden tests."""
    folder = settings.config.CourseDirectory.get("release_directory", "release")
    return [str(p) for p in sorted((settings.root / str(folder) / assignment).glob("*.ipynb"))]
