"""Sanitize a submission: tests, points and locked cells come back from the master.

This is nbgrader's own sanitizing pipeline (ClearOutput, DeduplicateIds, OverwriteKernelspec,
OverwriteCells with ``add_missing_cells``) with two changes: the master's cells are read once per
grading run (:class:`~autograder.master.NotebookMaster`) instead of from the database for every
notebook, and :class:`RestoreCellMetadata` first rebuilds every cell's nbgrader metadata from the
master, so a tampered flag no longer makes nbgrader give up on the whole notebook.
"""

from __future__ import annotations

import json
import logging

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, DeduplicateIds, OverwriteCells
from traitlets.config import Config

from autograder.errors import SubmissionError, first_line
from autograder.master import NotebookMaster


class RestoreFromMaster(OverwriteCells):
    """nbgrader's OverwriteCells (add_missing_cells on), answering from a NotebookMaster."""

    def __init__(self, index: NotebookMaster, **kwargs):
        super().__init__(add_missing_cells=True, **kwargs)
        self.index = index

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self.notebook_id = self.index.notebook
        self.assignment_id = self.index.assignment
        self.gradebook = self.index
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        nb, resources = self.add_missing_grade_cells(nb, resources)
        nb, resources = self.add_missing_task_cells(nb, resources)
        needs_ids = nb.get("nbformat_minor", 0) >= 5
        for position, cell in enumerate(nb.cells):
            if not isinstance(cell, NotebookNode) or not isinstance(cell.get("metadata"),
                                                                    NotebookNode):
                cell = nbformat.from_dict(cell)  # a cell nbgrader added back: plain dicts
                nb.cells[position] = cell
            if needs_ids and "id" not in cell:
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                cell["id"] = f"restored-{grade_id or position}"
        return nb, resources


class RestoreKernelspec:
    """nbgrader's OverwriteKernelspec: the master's kernel, whatever the student chose."""

    def __init__(self, index: NotebookMaster):
        self.index = index

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        kernelspec = json.loads(self.index.kernelspec) if self.index.kernelspec else None
        if kernelspec:
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources


class RestoreCellMetadata:
    """Every cell's nbgrader metadata comes back from the master.

    nbgrader's OverwriteCells restores points and locks but not the grade and solution flags, and
    fails the whole notebook when a student flipped one; stray keys or a grade_id the master does
    not have make its metadata validation fail it too. Here the metadata of a cell the master knows
    is rebuilt from the master's flags (OverwriteCells then sets the checksum), and nbgrader
    metadata claiming a cell the master does not have is removed: it is an ordinary cell. After
    this step every cell's metadata is determined by the master, so nbgrader's per-notebook
    metadata validation (CheckCellMetadata) has nothing left to find.
    """

    def __init__(self, index: NotebookMaster):
        self.index = index
        self.notes: list[str] = []

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        grades = {c.name: c.max_score for c in self.index.grade_cells}
        tasks = {c.name: c.max_score for c in self.index.task_cells}
        solutions = {c.name for c in self.index.solution_cells}
        for cell in nb.cells:
            if "nbgrader" not in cell.metadata:
                continue
            meta = cell.metadata["nbgrader"]
            name = meta.get("grade_id") if isinstance(meta, dict) else None
            try:
                master = self.index.find_source_cell(name, self.index.notebook,
                                                     self.index.assignment)
            except MissingEntry:
                if name is not None or meta:
                    self.notes.append(f"a cell claimed nbgrader metadata ({name or 'no id'}) "
                                      "that the master does not have; graded as ordinary code")
                del cell.metadata["nbgrader"]
                continue
            wanted = {"grade": name in grades, "solution": name in solutions,
                      "task": name in tasks, "locked": master.locked}
            for key, value in wanted.items():
                if bool(meta.get(key, False)) != value:
                    self.notes.append(f"nbgrader metadata of cell {name}: {key} was "
                                      f"{meta.get(key)}, restored to {value}")
            points = grades.get(name, tasks.get(name))
            try:
                claimed = float(meta.get("points")) if meta.get("points") is not None else None
            except (TypeError, ValueError):
                claimed = -1.0
            if points is not None and claimed is not None and claimed != points:
                self.notes.append(f"cell {name} was worth {meta['points']} points; "
                                  f"restored to {points:g}")
            rebuilt = {"grade_id": name, "schema_version": 3, "cell_type": master.cell_type,
                       **wanted}
            if points is not None:
                rebuilt["points"] = points
            cell.metadata["nbgrader"] = rebuilt
        return nb, resources


class _Notes(logging.Handler):
    """Collects nbgrader's warnings about tampered cells, to report them with the grade."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _edited_locked_cells(nb: NotebookNode, index: NotebookMaster, hider: ClearHiddenTests
                         ) -> list[str]:
    """Locked cells whose source differs from what the student was given."""
    notes = []
    for position, cell in enumerate(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        try:
            master = index.find_source_cell(grade_id, index.notebook, index.assignment)
        except MissingEntry:
            continue
        if not master.locked:
            continue
        given = nbformat.from_dict({"cell_type": master.cell_type, "source": master.source,
                                    "metadata": {"nbgrader": {"grade": True, "solution": False}}})
        given, _ = hider.preprocess_cell(given, {}, position)
        if cell.source.strip() not in (master.source.strip(), given.source.strip()):
            notes.append(f"read-only cell {grade_id} was edited; it was restored from the master")
    return notes


def sanitize(nb: NotebookNode, index: NotebookMaster, config: Config | None = None
             ) -> tuple[NotebookNode, list[str]]:
    """The submission as it will be graded (changed in place), and what had to be restored;
    SubmissionError if it cannot be restored. ``config``: the course's (delimiters...)."""
    config = config or Config()
    edited = _edited_locked_cells(nb, index, ClearHiddenTests(config=config))
    notes = _Notes()
    resources = {"nbgrader": {"notebook": index.notebook, "assignment": index.assignment}}
    metadata = RestoreCellMetadata(index)
    steps = (ClearOutput(config=config), metadata, DeduplicateIds(config=config),
             RestoreKernelspec(index), RestoreFromMaster(index, config=config))
    for step in steps:
        log = getattr(step, "log", None)
        if log is not None:
            log.addHandler(notes)
        try:
            nb, resources = step.preprocess(nb, resources)
        except Exception as exc:  # nbgrader gave up on this notebook: say so, as for bad JSON
            raise SubmissionError(f"{index.notebook}.ipynb: its tests could not be restored "
                                  f"from the master: {first_line(exc)}") from exc
        finally:
            if log is not None:
                log.removeHandler(notes)
    kept = [m for m in notes.messages if "'checksum'" not in m]
    return nb, edited + metadata.notes + kept
