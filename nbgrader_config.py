"""Configuration of the course, read by nbgrader and by `python -m autograder` alike.

The repository root is the nbgrader course root. Every option of the grader is listed by
`python -m autograder grade --help`; the same names work here as c.Autograder.<name>.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "how-models"

# The gradebook is nbgrader's default SQLite file, <course root>/gradebook.db. Set
# NBGRADER_DB_URL to any SQLAlchemy URL (e.g. postgresql://user@host/db) to use another one.
if os.environ.get("NBGRADER_DB_URL"):
    c.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]

# What students see in place of every solution region, in every exercise.
c.ClearSolutions.code_stub = {
    "python": (
        "# TODO: write your answer here (see the exercise above), then delete the next line\n"
        'raise NotImplementedError("Exercise: write your answer here")'
    )
}

# Grading: tests and points always come from the master, even when a student deleted or edited
# a test cell.
c.OverwriteCells.add_missing_cells = True
# nbgrader interrupts a cell after this many seconds, and so does `python -m autograder grade`.
c.Execute.timeout = 120

# Trusted checks: test cells judged in the grader's own process rather than the student's.
# Each assignment declares its own in solutions/<assignment>/ (see docs/authoring.md).
c.Autograder.plugins = [
    "solutions.W1D1_Tutorial2:CHECKS",
    "solutions.W1D1_Tutorial2_Bonus:CHECKS",
]
