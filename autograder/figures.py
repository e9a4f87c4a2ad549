"""The student's figures for the feedback page, drawn after grading.

Grading does not draw figures (about 0.1 s each, more than the rest of a typical notebook, and
no grade depends on pixels): the autograded notebook holds Jupyter's text placeholder
(``<Figure size 1200x500 with 2 Axes>``) where a figure was shown. The feedback step runs the
student's code again, in the same sandbox, up to the last cell that showed a figure and with
figures rendered, and puts the images where the placeholders were. What runs is what the
student can see: test cells without their hidden tests.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from nbformat.notebooknode import NotebookNode

from autograder.config import Settings
from autograder.execute.job import CellTask, Job, NotebookRecord, NotebookTask

#: What matplotlib's ``repr`` of a figure looks like: the placeholder of an undrawn figure.
PLACEHOLDER = re.compile(r"^<Figure size \d+(\.\d+)?x\d+(\.\d+)? with \d+ Axes>$")
#: Shown where a figure could not be drawn again.
NOT_REDRAWN = "[a figure was shown here; it could not be drawn again for this page]"


def _is_placeholder(output) -> bool:
    data = output.get("data", {})
    return output.get("output_type") in ("display_data", "execute_result") \
        and set(data) == {"text/plain"} and bool(PLACEHOLDER.match(str(data["text/plain"])))


def placeholder_cells(nb: NotebookNode) -> list[int]:
    """Positions of the code cells that showed an undrawn figure."""
    return [k for k, cell in enumerate(nb.cells) if cell.cell_type == "code"
            and any(_is_placeholder(o) for o in cell.get("outputs", []))]


def redraw_job(job_id: str, name: str, nb: NotebookNode, files: dict[str, bytes],
               settings: Settings) -> Job | None:
    """The job that draws the notebook's figures again, or None if it showed none."""
    cells = placeholder_cells(nb)
    if not cells:
        return None
    tasks = [CellTask(k, cell.source) for k, cell in enumerate(nb.cells[:cells[-1] + 1])
             if cell.cell_type == "code"]
    limits = dataclasses.replace(settings.limits(), render_figures=True)
    return Job(job_id, [NotebookTask(name, tasks)], files, limits)


def put_figures(nb: NotebookNode, record: NotebookRecord | None) -> int:
    """Replace the placeholders, cell by cell and in order, by the figures drawn again; a
    placeholder left over says so. Returns how many figures were put in."""
    done = 0
    for k in placeholder_cells(nb):
        drawn = []
        if record is not None and k in record.cells:
            drawn = [o for o in record.cells[k].outputs
                     if o.get("output_type") == "display_data" and "image/png" in o.get("data", {})]
        for output in nb.cells[k].outputs:
            if not _is_placeholder(output):
                continue
            if drawn:
                figure = drawn.pop(0)
                output.data = {"image/png": figure["data"]["image/png"],
                               "text/plain": output.data["text/plain"]}
                output.metadata = dict(figure.get("metadata") or {})
                done += 1
            else:
                output.data = {"text/plain": NOT_REDRAWN}
    return done


def redraw_all(settings: Settings, jobs: Iterable[Job]) -> dict[str, NotebookRecord]:
    """Run the jobs on the course's workers; each job's record of its one notebook."""
    from autograder.workers import worker_pool

    jobs = list(jobs)
    if not jobs:
        return {}
    records = {}
    with worker_pool(settings) as pool:
        for job, record in pool.run(jobs):
            records[job.submission_id] = next(iter(record.notebooks.values()), None)
    return records
