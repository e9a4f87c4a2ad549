"""Keep the gradebook's copy of the master current, exactly as nbgrader records it.

``nbgrader autograde`` grades against what ``nbgrader generate_assignment`` stored in the
gradebook and refuses an assignment it does not know. When the gradebook lacks the assignment
(a fresh gradebook, another database), or holds an older master than ``source/`` (a test, its
points or a notebook changed since), the grader runs nbgrader's own GenerateAssignment with the
release folder pointed at a temporary directory: the gradebook is updated, release/ is left
untouched. Grades then always follow the master in ``source/``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.course import ensure_tools_on_path
from autograder.errors import GraderError
from autograder.master import NotebookMaster


def registered_masters(db_url: str, course_id: str, assignment: str, notebooks: list[str]
                       ) -> dict[str, NotebookMaster] | None:
    """The gradebook's masters of these notebooks; None unless it has exactly them."""
    with Gradebook(db_url, course_id or None) as gb:
        try:
            known = {n.name for n in gb.find_assignment(assignment).notebooks}
        except MissingEntry:
            return None
        if known != set(notebooks):
            return None
        return {n: NotebookMaster.from_gradebook(gb, assignment, n) for n in notebooks}


def register(root: str, config: Config, assignment: str, db_url: str) -> None:
    """nbgrader's GenerateAssignment into a throwaway release folder."""
    ensure_tools_on_path()  # nbgrader runs alembic when it creates a gradebook
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as release:
        local = Config(config)
        local.CourseDirectory.root = str(root)
        local.CourseDirectory.db_url = db_url
        local.CourseDirectory.release_directory = release
        local.CourseDirectory.assignment_id = assignment
        coursedir = CourseDirectory(config=local)
        converter = GenerateAssignment(coursedir=coursedir, config=local)
        converter.force = True
        converter.create_assignment = True
        try:
            converter.start()
        except Exception as exc:
            raise GraderError(f"nbgrader could not record {assignment} in the gradebook: "
                              f"{exc}") from exc


def current_masters(root, config: Config, assignment: str, db_url: str, course_id: str,
                    from_source: dict[str, NotebookMaster], log: Callable[[str], None]
                    ) -> dict[str, NotebookMaster]:
    """The gradebook's masters, registered or updated from source/ first when needed."""
    names = sorted(from_source)
    masters = registered_masters(db_url, course_id, assignment, names)
    if masters is not None and all(masters[n].fingerprint() == from_source[n].fingerprint()
                                   for n in names):
        return masters
    if masters is None:
        log(f"recording {assignment} in the gradebook from source/ (as nbgrader "
            "generate_assignment does; release/ is not touched)")
    else:
        changed = [n for n in names if masters[n].fingerprint() != from_source[n].fingerprint()]
        log(f"the master of {', '.join(changed)} changed since the gradebook recorded it: "
            "updating the gradebook from source/ (release/ is not touched)")
    register(root, config, assignment, db_url)
    masters = registered_masters(db_url, course_id, assignment, names)
    if masters is None:
        raise GraderError(f"the gradebook still lacks notebooks of {assignment} after "
                          "nbgrader generate_assignment")
    return masters
