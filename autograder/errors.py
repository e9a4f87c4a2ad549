"""The grader's failures, by whose they are.

* :class:`SubmissionError`: one submission cannot be graded as it is (bad JSON, a missing
  notebook, a symbolic link...). It is recorded for that student, with a one-line reason, and
  the batch goes on.
* :class:`GraderError`: the grader cannot go on at all (no such assignment, a bad trusted-check
  declaration, a gradebook it cannot open, a sandbox it cannot build). The command stops before
  it grades anything and exits with status 2, naming the problem in one line.
"""


class AutograderError(Exception):
    """Base class of the grader's own errors; the message is the one line shown."""


class SubmissionError(AutograderError):
    """A submission that cannot be graded; the message is the one-line reason recorded."""


class GraderError(AutograderError):
    """The grader itself cannot go on (as opposed to a bad submission, which is recorded)."""


def first_line(exc: BaseException) -> str:
    """An exception as a one-line reason (its message's first line, or its type)."""
    try:
        text = str(exc).strip()
    except Exception:
        text = ""
    return text.splitlines()[0] if text else type(exc).__name__
