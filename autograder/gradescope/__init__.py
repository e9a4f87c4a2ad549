"""Gradescope: the course's grader packed as a Gradescope autograder, and its two steps there.

``python -m autograder gradescope ASSIGNMENT`` writes ``autograder.zip``, which the instructor
uploads as the autograder of a Gradescope programming assignment. Gradescope unpacks it into
``/autograder/source``, runs ``setup.sh`` there once, as root, when it builds the image, then
``run_autograder`` for every submission, with the student's upload in ``/autograder/submission``;
``/autograder/results/results.json`` is what the student gets. The zip holds::

    setup.sh, run_autograder     what Gradescope runs (python -m autograder.gradescope)
    requirements.txt             the grader's dependencies, as pinned in pyproject.toml
    autograder-gradescope.json   what this is: the assignment, its plug-ins, who made it
    course/                      a course of this one assignment: nbgrader_config.py (listing
                                 only its trusted checks) and source/<assignment>/
    python/                      the grader's package and the assignment's plug-in packages
                                 (with the modules of their packages they import)

The zip holds the masters, so only the instructor and Gradescope ever see it. Students see
results.json: each test's score and verdict (hidden checks once grades are published) and a
summary. Every string in it goes through the feedback pages' scrub (a line that repeats a line of
a hidden-tests region is replaced), and the record's instructor-only parts (the checks' details
and data, digests) stay out.

Each submission is graded by ``python -m autograder grade`` itself, the engine and sandbox of the
instructor's machine, in a throwaway course: the masters, the gradebook ``setup.sh`` recorded,
and the upload as ``submitted/student/<assignment>/``. Where Gradescope's container refuses
namespaces the grader still runs each notebook as a user of its own (it records which limits
held); the unpacked sources are then made readable by root only, so student code cannot read the
masters or the checks there either.

:mod:`.pack` writes the zip; inside Gradescope, :mod:`.upload` reads what the student uploaded
and :mod:`.run` grades it (``prepare`` once from setup.sh, ``run`` per submission).
"""

from __future__ import annotations

MADE_BY = "python -m autograder gradescope"
MANIFEST = "autograder-gradescope.json"
COURSE = "course"
LIBRARY = "python"
STUDENT = "student"
ROOT_ENV = "AUTOGRADER_GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"
