"""Judge a submission in the trusted process: executed outputs in, graded notebook out.

The sandbox returns outputs and plain observations of the student's functions. Here the hidden
checks' verdicts are computed (from those observations, against the reference run in this
process) and written into the test cells as the cells' outputs: a pass prints the verdict, a
failure is an ``AssertionError`` carrying the diagnosis. The public self-checks are re-judged the
same way. nbgrader's own grading rule then scores the cells (:mod:`autograder.record`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils

from autograder.checks.context import ReferenceContext
from autograder.checks.public import judge_public
from autograder.checks.verdict import ExerciseVerdict, judge_function
from autograder.execute.job import COMPLETED, TIMEOUT, ExecutionRecord
from autograder.sanitize import SourceIndex


@dataclass
class CellVerdict:
    """The trusted verdict on one test cell."""

    grade_id: str
    function: str
    hidden: bool
    passed: bool
    message: str
    exercise: ExerciseVerdict | None = None


@dataclass
class JudgedNotebook:
    notebook: NotebookNode
    verdicts: dict[str, CellVerdict] = field(default_factory=dict)


def _error(ename: str, message: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": message,
            "traceback": [f"{ename}: {message}"]}


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text + "\n"}


def _not_run_output(record: ExecutionRecord, position: int) -> dict:
    if record.stopped_at == position and record.status == TIMEOUT:
        return _error("CellTimeoutError", record.reason)
    if record.stopped_at == position:
        return _error("DeadKernelError", record.reason or "the notebook process stopped")
    return _error("CellNotExecuted", f"this cell did not run: {record.reason or record.status}")


def judge(nb: NotebookNode, record: ExecutionRecord, index: SourceIndex,
          context: ReferenceContext) -> JudgedNotebook:
    """Fill the sanitized notebook (in place: it is used once) with outputs and verdicts."""
    graded = nb
    result = JudgedNotebook(graded)
    hidden_cells = index.hidden_test_cells()
    for position, cell in enumerate(graded.cells):
        if cell.cell_type != "code":
            continue
        ran = record.cells.get(position)
        if ran is not None:
            cell.outputs = [from_dict(o) for o in ran.outputs]
            cell.execution_count = ran.execution_count
        else:
            cell.outputs = [from_dict(_not_run_output(record, position))] \
                if record.status != COMPLETED else []
            cell.execution_count = None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        probes = index.probes_for(grade_id)
        if not (probes and utils.is_grade(cell)) or ran is None:
            continue
        function = probes[0].function
        observations = record.observations.get(grade_id, {})
        if grade_id in hidden_cells:
            exercise = judge_function(function, observations, context)
            verdict = CellVerdict(grade_id, function, True, exercise.passed, exercise.render(),
                                  exercise)
            cell.outputs.append(from_dict(_stream(verdict.message) if verdict.passed
                                          else _error("AssertionError", verdict.message)))
        else:
            finding = judge_public(function, observations)
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if finding and not errors:
                cell.outputs.append(from_dict(_error(
                    "AssertionError", "re-checked by the grader: " + finding.message)))
            if errors:
                message = f"{errors[0].ename}: {errors[0].evalue}"
            else:
                message = finding.message if finding else "self-checks passed"
            verdict = CellVerdict(grade_id, function, False, finding is None and not errors,
                                  message)
        result.verdicts[grade_id] = verdict
    return result
