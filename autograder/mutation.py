"""Known mistakes as edits of a reference function, for a course's trusted checks.

A mutant is the reference's own source with a few lines replaced, compiled beside it (with the
reference module's globals), so a check can run a known mistake on its trials and name it when
a student's answer behaves the same, without restating the model anywhere. Trusted code only:
mutants run in the grader's process, never in the sandbox.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Iterable


def _code(line: str) -> str:
    return line.split("#", 1)[0].strip()


def edited_source(func: Callable, edits: Iterable[tuple], label: str) -> str:
    """``func``'s source with each ``(old line, new line)`` applied; ``((old line, n), new
    line)`` picks the n-th of several equal lines. Lines are compared without their indentation
    and comments; the new line keeps the old one's indentation. An old line that is missing (or
    not unique, without n) is a ValueError naming ``label``."""
    lines = textwrap.dedent(inspect.getsource(func)).splitlines()
    for old, new in edits:
        old, nth = old if isinstance(old, tuple) else (old, None)
        hits = [n for n, line in enumerate(lines) if _code(line) == old]
        if (nth is None and len(hits) != 1) or (nth is not None and len(hits) <= nth):
            raise ValueError(f"mistake {label}: the reference {func.__name__} has {len(hits)} "
                             f"lines `{old}`; update the mistake catalogue")
        n = hits[nth or 0]
        indent = lines[n][: len(lines[n]) - len(lines[n].lstrip())]
        lines[n] = indent + new
    return "\n".join(lines) + "\n"


def compile_edited(func: Callable, edits: Iterable[tuple], label: str) -> Callable:
    """The mutant as a function, seeing the globals ``func`` sees (its module's imports)."""
    namespace = dict(func.__globals__)
    exec(compile(edited_source(func, edits, label), f"<mutant {label}>", "exec"), namespace)
    return namespace[func.__name__]
