"""nbgrader configuration of the course. The repository root is the nbgrader course root."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "how-models"

# The gradebook is nbgrader's default SQLite file, <course root>/gradebook.db. Set
# NBGRADER_DB_URL to any SQLAlchemy URL (e.g. postgresql://user@host/db) to use another one.
if os.environ.get("NBGRADER_DB_URL"):
    c.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]

# What students see in place of the solution region of each exercise.
c.ClearSolutions.code_stub = {
    "python": (
        "# TODO: compute dv, then delete the `raise` line below\n"
        'raise NotImplementedError("Exercise: compute the change in membrane potential")\n'
        "dv = ..."
    )
}

# Grading: tests and points always come from the master, even when a student deleted or edited
# a test cell.
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 120
