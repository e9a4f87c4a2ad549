"""Judge a notebook in the trusted process: executed outputs in, graded notebook out.

Every code cell gets the outputs the sandbox reported for it. A cell without a report did not
run to its end, and gets an error saying why, so a test cell without evidence scores nothing:
absence of evidence is failure. A test cell bound to a trusted check also gets the check's
verdict, computed here from the observations the sandbox made of the student's functions; a
failure is an ``AssertionError`` carrying the diagnosis. nbgrader's own grading rule then scores
the cells (:mod:`autograder.record`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils

from autograder.errors import first_line
from autograder.execute.job import COMPLETED, PROTOCOL, TIMEOUT, NotebookRecord
from autograder.plugins import TrustedCheck, Verdict

log = logging.getLogger("autograder")

#: How a test cell was judged, as the summary, results.json and the report say it.
TRUSTED, IN_PROCESS, MANUAL = "trusted check", "in the student's process", "by hand"


@dataclass
class CellVerdict:
    """The trusted verdict on one test cell."""

    grade_id: str
    title: str
    hidden: bool
    verdict: Verdict


@dataclass
class JudgedNotebook:
    name: str
    notebook: NotebookNode
    verdicts: dict[str, CellVerdict] = field(default_factory=dict)


def error_output(ename: str, message: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": message,
            "traceback": [f"{ename}: {message}"]}


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text + "\n"}


def not_run_output(record: NotebookRecord | None, position: int) -> dict:
    if record is None:
        return error_output("CellNotExecuted", "this notebook was not run")
    if record.stopped_at == position and record.status == TIMEOUT:
        return error_output("CellTimeoutError", record.reason)
    if record.stopped_at == position and record.status == PROTOCOL:
        return error_output("GradingProtocolError", record.reason)
    if record.stopped_at == position:
        return error_output("DeadKernelError", record.reason or "the notebook process stopped")
    if record.status == COMPLETED:
        return error_output("CellNotExecuted", "the grader has no record of this cell")
    return error_output("CellNotExecuted", f"this cell did not run: {record.reason}")


def _missing_evidence(record: NotebookRecord | None, ran, check: TrustedCheck) -> str | None:
    if ran is None:
        why = record.reason if record is not None and record.reason else "it did not run"
        return (f"The checks could not observe {', '.join(check.functions) or 'the answer'}: "
                f"the notebook stopped before this cell ({why}).")
    missing = [p.id for p in check.probes() if p.id not in ran.observations]
    if missing:
        return f"The checks could not observe {len(missing)} of their calls."
    return None


def judge_notebook(name: str, nb: NotebookNode, record: NotebookRecord | None,
                   checks: dict[str, TrustedCheck]) -> JudgedNotebook:
    """Fill the sanitized notebook (in place: it is used once) with outputs and verdicts.

    ``checks``: the trusted checks of this notebook, by grade id.
    """
    judged = JudgedNotebook(name, nb)
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ran = record.cells.get(position) if record is not None else None
        if ran is not None:
            cell.outputs = [from_dict(o) for o in ran.outputs]
            cell.execution_count = ran.execution_count
        else:
            cell.outputs = [from_dict(not_run_output(record, position))]
            cell.execution_count = None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        check = checks.get(grade_id) if grade_id and utils.is_grade(cell) else None
        if check is None:
            continue
        missing = _missing_evidence(record, ran, check)
        if missing:
            verdict = Verdict(False, missing)
        else:
            try:
                verdict = check.judge(ran.observations)
            except Exception as exc:  # the check's own bug: this cell fails, the batch goes on
                log.exception("trusted check of %s failed", grade_id)
                verdict = Verdict(False, f"The grader's check of this cell failed: "
                                         f"{first_line(exc)}. Ask your instructor.")
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if not verdict.passed and not errors:
            cell.outputs.append(from_dict(error_output("AssertionError", verdict.message)))
        elif verdict.passed and verdict.message and (check.hidden or check.replaces_cell):
            cell.outputs.append(from_dict(_stream(verdict.message)))
        judged.verdicts[grade_id] = CellVerdict(grade_id, check.title, check.hidden, verdict)
    return judged
