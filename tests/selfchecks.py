"""The release's self-checks and demo helper, run in-process as a student's kernel runs them.

The release's ``setup_checks`` cell is executed in a fresh namespace (the notebook's globals in
miniature) with the student's function defined in it, exactly as the public test cells and the
demo cells find it.
"""

from __future__ import annotations

import contextlib
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from solutions.W1D1_Tutorial2.catalogue import Answer, function_source

SETUP_CELL = "setup_checks"


def setup_source(nb) -> str:
    return next(c.source for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == SETUP_CELL)


def notebook_namespace(nb, **functions) -> dict:
    """A namespace in which the notebook's setup cell ran, holding ``functions``."""
    namespace = {"np": np, "plt": plt, "stats": stats, "widgets": widgets,
                 "__name__": "__main__"}
    exec(compile(setup_source(nb), "<setup_checks>", "exec"), namespace)
    namespace.update(functions)
    return namespace


def define(release_nb, ans: Answer):
    """The student's function, defined as their exercise cell would define it."""
    namespace = {"np": np, "stats": stats}
    exec(compile(function_source(release_nb, ans), f"<answer {ans.key}>", "exec"), namespace)
    return namespace[ans.function]


def run_self_check(nb, name: str, func) -> tuple[str | None, str]:
    """(the failure's message or None, what the self-check printed)."""
    namespace = notebook_namespace(nb, **({name: func} if func is not None else {}))
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            namespace["self_check"](name)
    except namespace["SelfCheckFailed"] as failure:
        return str(failure), printed.getvalue()
    return None, printed.getvalue()


def self_check_verdict(nb, name: str, func) -> str | None:
    return run_self_check(nb, name, func)[0]
