"""What students must never read: the lines of the masters' hidden-test regions.

A student's code runs next to the tests it is graded with and can print them (a function that
raises its caller's source, say); every text a student may see (feedback pages, the outputs in
``results.json``) is scrubbed of those lines, and a test cell that holds hidden tests is marked
hidden in ``results.json`` (Gradescope shows it only once grades are published).
"""

from __future__ import annotations

from collections.abc import Mapping

from nbgrader.preprocessors import ClearHiddenTests

#: What stands in for a scrubbed line.
HIDDEN = "[hidden test]"
#: Hidden-test lines shorter than this are too common to be worth scrubbing ("pass", "else:").
MIN_SECRET = 12


def _delimiters(config) -> tuple[str, str]:
    hider = ClearHiddenTests(config=config)
    return hider.begin_test_delimeter, hider.end_test_delimeter


def hidden_lines(masters: Mapping, config) -> set[str]:
    """Every line of every hidden-tests region of the masters (NotebookMaster objects)."""
    begin, end = _delimiters(config)
    secrets = set()
    for master in masters.values():
        for cell in master.source_cells:
            inside = False
            for line in cell.source.splitlines():
                if begin in line:
                    inside = True
                    continue
                if end in line:
                    inside = False
                    continue
                if inside and len(line.strip()) >= MIN_SECRET:
                    secrets.add(line.strip())
    return secrets


def cells_with_hidden_tests(masters: Mapping, config) -> set[tuple[str, str]]:
    """(notebook, grade id) of every master cell that holds a hidden-tests region."""
    begin, _ = _delimiters(config)
    return {(name, cell.name) for name, master in masters.items()
            for cell in master.source_cells if begin in cell.source}


def scrub(text: str, secrets: set[str]) -> str:
    """The text with every line that repeats a hidden-test line replaced by :data:`HIDDEN`."""
    if not secrets or not text:
        return text
    lines = text.split("\n")
    changed = False
    for k, line in enumerate(lines):
        if any(secret in line for secret in secrets):
            lines[k] = HIDDEN
            changed = True
    return "\n".join(lines) if changed else text
