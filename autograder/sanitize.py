"""Sanitize a submission: tests, points and locked cells come back from the master.

This is nbgrader's own sanitizing pipeline (ClearOutput, DeduplicateIds, OverwriteKernelspec,
OverwriteCells with ``add_missing_cells``) with two changes: the master's cells are read once per
grading run into a :class:`SourceIndex` instead of from the database for every notebook, and
:class:`RestoreCellMetadata` first rebuilds every cell's nbgrader metadata from the master, so a
tampered flag no longer makes nbgrader give up on the whole notebook.

The index is built from the gradebook (exactly what ``nbgrader autograde`` restores) or, for
``python -m autograder check``, from the master notebook processed as ``nbgrader
generate_assignment`` would store it.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    DeduplicateIds,
    LockCells,
    OverwriteCells,
)
from traitlets.config import Config

from autograder.checks.trials import EXERCISE_FUNCTIONS, HIDDEN_TRIALS, PUBLIC_TRIALS, Trial
from autograder.execute.job import CellTask
from autograder.submission import SubmissionError, first_line


@dataclass(frozen=True)
class SourceCell:
    name: str
    cell_type: str
    locked: bool
    source: str
    checksum: str | None


@dataclass(frozen=True)
class GradedCell:
    name: str
    max_score: float
    cell_type: str


@dataclass
class SourceIndex:
    """The master's cells as nbgrader keeps them, answering OverwriteCells' gradebook queries."""

    assignment: str
    notebook: str
    source_cells: list[SourceCell]
    grade_cells: list[GradedCell]
    solution_cells: list[SourceCell]
    task_cells: list[GradedCell]
    kernelspec: str | None = None
    _by_name: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._by_name = {c.name: c for c in self.source_cells}
        self._grades = {c.name: c for c in self.grade_cells + self.task_cells}

    # -- the part of nbgrader.api.Gradebook that OverwriteCells uses --
    def find_source_cell(self, name: str, notebook: str, assignment: str) -> SourceCell:
        try:
            return self._by_name[name]
        except KeyError:
            raise MissingEntry() from None

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> GradedCell:
        try:
            return self._grades[name]
        except KeyError:
            raise MissingEntry() from None

    def find_notebook(self, notebook: str, assignment: str) -> SourceIndex:
        return self

    # -- what the grader needs to know about the master --
    def hidden_test_cells(self) -> set[str]:
        """Test cells whose master source has a hidden-tests region."""
        return {c.name for c in self.source_cells
                if c.name in self._grades and "BEGIN HIDDEN TESTS" in c.source}

    def max_scores(self) -> dict[str, float]:
        return {c.name: c.max_score for c in self.grade_cells}

    def probes_for(self, grade_id: str | None) -> list[Trial]:
        """Trials the sandbox must observe after running this test cell."""
        if grade_id not in self._grades or grade_id in {c.name for c in self.solution_cells}:
            return []
        function = EXERCISE_FUNCTIONS.get(grade_id.split("_", 1)[0])
        if function is None:
            return []
        trials = HIDDEN_TRIALS if grade_id in self.hidden_test_cells() else PUBLIC_TRIALS
        return list(trials[function])

    @classmethod
    def from_gradebook(cls, gradebook, assignment: str, notebook: str) -> SourceIndex:
        nb = gradebook.find_notebook(notebook, assignment)

        def source(c) -> SourceCell:
            return SourceCell(c.name, c.cell_type, bool(c.locked), c.source, c.checksum)

        return cls(
            assignment=assignment, notebook=notebook,
            source_cells=[source(c) for c in nb.source_cells],
            grade_cells=[GradedCell(c.name, float(c.max_score), c.cell_type)
                         for c in nb.grade_cells],
            solution_cells=[SourceCell(c.name, "", False, "", None) for c in nb.solution_cells],
            task_cells=[GradedCell(c.name, float(c.max_score), c.cell_type)
                        for c in nb.task_cells],
            kernelspec=nb.kernelspec)

    @classmethod
    def from_master(cls, path: Path, assignment: str, config: Config) -> SourceIndex:
        """Process the master as generate_assignment does before it saves the cells."""
        nb = nbformat.read(str(path), as_version=4)
        resources = {"nbgrader": {"notebook": path.stem, "assignment": assignment}}
        for preprocessor in (LockCells, ClearSolutions, ClearOutput, ComputeChecksums):
            nb, resources = preprocessor(config=config).preprocess(nb, resources)
        source_cells, grade_cells, solution_cells, task_cells = [], [], [], []
        for cell in nb.cells:
            if not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)
                    or utils.is_task(cell)):
                continue
            meta = cell.metadata.nbgrader
            entry = SourceCell(meta["grade_id"], cell.cell_type, utils.is_locked(cell),
                               cell.source, meta.get("checksum"))
            source_cells.append(entry)
            if utils.is_grade(cell):
                grade_cells.append(GradedCell(entry.name, float(meta["points"]), cell.cell_type))
            if utils.is_solution(cell):
                solution_cells.append(entry)
            if utils.is_task(cell):
                task_cells.append(GradedCell(entry.name, float(meta["points"]), cell.cell_type))
        nb, _ = CheckCellMetadata().preprocess(nb, resources)  # the master must be valid
        return cls(assignment, path.stem, source_cells, grade_cells, solution_cells, task_cells,
                   json.dumps(nb.metadata.get("kernelspec", {})))


class RestoreFromMaster(OverwriteCells):
    """nbgrader's OverwriteCells (add_missing_cells on), answering from a SourceIndex."""

    def __init__(self, index: SourceIndex, **kwargs):
        super().__init__(add_missing_cells=True, **kwargs)
        self.index = index

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self.notebook_id = self.index.notebook
        self.assignment_id = self.index.assignment
        self.gradebook = self.index
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        nb, resources = self.add_missing_grade_cells(nb, resources)
        nb, resources = self.add_missing_task_cells(nb, resources)
        for position, cell in enumerate(nb.cells):
            if "id" not in cell:  # a cell nbgrader added back: plain dicts inside, no id
                cell = nbformat.from_dict(cell)
                cell["id"] = f"restored-{cell.metadata.nbgrader.grade_id}"
                nb.cells[position] = cell
        return nb, resources


class RestoreKernelspec:
    """nbgrader's OverwriteKernelspec: the master's kernel, whatever the student chose."""

    def __init__(self, index: SourceIndex):
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

    def __init__(self, index: SourceIndex):
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


def _edited_locked_cells(nb: NotebookNode, index: SourceIndex) -> list[str]:
    """Locked cells whose source differs from what the student was given."""
    hider = ClearHiddenTests()
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


def sanitize(nb: NotebookNode, index: SourceIndex) -> tuple[NotebookNode, list[str]]:
    """The submission as it will be graded (changed in place), and what had to be restored;
    SubmissionError if it cannot be restored."""
    edited = _edited_locked_cells(nb, index)
    notes = _Notes()
    resources = {"nbgrader": {"notebook": index.notebook, "assignment": index.assignment}}
    metadata = RestoreCellMetadata(index)
    steps = (ClearOutput(), metadata, DeduplicateIds(), RestoreKernelspec(index),
             RestoreFromMaster(index))
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


def plan_cells(nb: NotebookNode, index: SourceIndex) -> list[CellTask]:
    """The code cells to execute, hidden tests removed, with the trials to observe."""
    hider = ClearHiddenTests()
    tasks = []
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        visible = copy.deepcopy(cell)
        if utils.is_grade(visible):
            visible, _ = hider.preprocess_cell(visible, {}, position)
        tasks.append(CellTask(position, visible.source, grade_id, index.probes_for(grade_id)))
    return tasks
