"""What runs in the sandbox: every code cell of the sanitized notebook, in order.

A test cell bound to a trusted check runs without its hidden-tests region (the check replaces
it, outside the sandbox), followed by the check's probes; a check that replaces its whole cell
(:attr:`TrustedCheck.replaces_cell`) leaves only the probes. Every other cell runs as the
master has it, hidden tests included, exactly as ``nbgrader autograde`` runs it: never skipped.
"""

from __future__ import annotations

import copy

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from autograder.execute.job import CellTask, NotebookTask
from autograder.plugins import TrustedCheck


def plan_notebook(name: str, nb: NotebookNode, checks: dict[str, TrustedCheck],
                  hider: ClearHiddenTests) -> NotebookTask:
    """The cells of one sanitized notebook; ``checks`` by grade id, ``hider`` with the course's
    hidden-test delimiters."""
    cells = []
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        check = checks.get(grade_id) if grade_id and utils.is_grade(cell) else None
        if check is None:
            cells.append(CellTask(position, cell.source, grade_id))
            continue
        if check.replaces_cell:
            # a statement, not "": the cell still takes its execution count, as under nbgrader
            cells.append(CellTask(position, "pass", grade_id, list(check.probes())))
            continue
        visible, _ = hider.preprocess_cell(copy.deepcopy(cell), {}, position)
        cells.append(CellTask(position, visible.source, grade_id, list(check.probes())))
    return NotebookTask(name, cells)
