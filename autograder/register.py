"""Register an assignment in the gradebook from source/, exactly as nbgrader does.

``nbgrader autograde`` refuses an assignment the gradebook does not know; ``nbgrader
generate_assignment`` is what records its cells. When the gradebook lacks the assignment (a fresh
gradebook, another database), the grader runs nbgrader's GenerateAssignment converter with its
release folder pointed at a temporary directory, so release/ is left untouched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.course import Course


def is_registered(db_url: str, assignment: str, notebook: str) -> bool:
    with Gradebook(db_url) as gb:
        try:
            gb.find_notebook(notebook, assignment)
        except MissingEntry:
            return False
    return True


def ensure_assignment(course: Course, assignment: str, db_url: str, config: Config,
                      log: Callable[[str], None]) -> None:
    notebook = course.master_notebooks(assignment)[0].stem
    if is_registered(db_url, assignment, notebook):
        return
    log(f"registering {assignment} in the gradebook from {course.source_dir(assignment)}")
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as release:
        local = Config(config)
        local.CourseDirectory.root = str(course.root)
        local.CourseDirectory.db_url = db_url
        local.CourseDirectory.release_directory = release
        local.CourseDirectory.assignment_id = assignment
        coursedir = CourseDirectory(config=local)
        converter = GenerateAssignment(coursedir=coursedir, config=local)
        converter.force = True
        converter.create_assignment = True
        converter.start()
