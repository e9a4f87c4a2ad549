"""The master of an assignment, as nbgrader keeps it: cells, points, checksums, files.

``nbgrader autograde`` restores tests and points from what ``nbgrader generate_assignment``
stored in the gradebook. :class:`NotebookMaster` holds the same, read once per grading run
(from the gradebook), or, for ``python -m autograder check``, computed from the master in
``source/`` by the same preprocessors ``generate_assignment`` runs before it saves the cells
(header and footer notebooks included). It also answers the gradebook queries nbgrader's
OverwriteCells makes, so nbgrader's own code restores the submission.

:class:`AssignmentMaster` adds what the grader needs beyond nbgrader's tables: every notebook of
the assignment, the source folder's other files, the cells in order (to check that a trusted
check's functions are defined) and a digest of everything a grade depends on.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import MissingEntry
from traitlets.config import Config

from autograder.errors import GraderError
from autograder.plugins import defined_names


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
class NotebookMaster:
    """One master notebook's cells as nbgrader keeps them."""

    assignment: str
    notebook: str
    source_cells: list[SourceCell]
    grade_cells: list[GradedCell]
    solution_cells: list[SourceCell]
    task_cells: list[GradedCell]
    kernelspec: str | None = None
    #: (grade_id or None, cell type, source) of every cell of the processed master, in order.
    cells_in_order: list[tuple[str | None, str, str]] = field(default_factory=list)
    _by_name: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._by_name = {c.name: c for c in self.source_cells}
        self._grades = {c.name: c for c in self.grade_cells + self.task_cells}
        self._solutions = {c.name for c in self.solution_cells}

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

    def find_notebook(self, notebook: str, assignment: str) -> NotebookMaster:
        return self

    # -- what the grader needs to know --
    def max_scores(self) -> dict[str, float]:
        return {c.name: c.max_score for c in self.grade_cells}

    def autograded_tests(self) -> list[str]:
        """Code cells scored by running them (grade cells that are not answers)."""
        return [c.name for c in self.grade_cells
                if c.cell_type == "code" and c.name not in self._solutions]

    def is_solution(self, name: str) -> bool:
        return name in self._solutions

    def names_defined_before(self, grade_id: str) -> set[str]:
        names: set[str] = set()
        for name, cell_type, source in self.cells_in_order:
            if name == grade_id:
                break
            if cell_type == "code":
                names |= defined_names(source)
        return names

    def fingerprint(self) -> dict:
        """Everything of this master a grade depends on, as plain data."""
        return {"notebook": self.notebook, "kernelspec": self.kernelspec,
                "source": [[c.name, c.cell_type, c.locked, c.source] for c in self.source_cells],
                "grades": [[c.name, c.max_score, c.cell_type] for c in self.grade_cells],
                "tasks": [[c.name, c.max_score] for c in self.task_cells],
                "solutions": sorted(self._solutions)}

    @classmethod
    def from_gradebook(cls, gradebook, assignment: str, notebook: str) -> NotebookMaster:
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
    def from_master(cls, path: Path, assignment: str, config: Config, root: Path
                    ) -> NotebookMaster:
        """Process the master as generate_assignment does before it saves the cells."""
        nb = _processed_master(path, assignment, config, root)
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
        master = cls(assignment, path.stem, source_cells, grade_cells, solution_cells,
                     task_cells, json.dumps(nb.metadata.get("kernelspec", {})))
        master.cells_in_order = _cells_in_order(nb)
        return master


def _cells_in_order(nb: NotebookNode) -> list[tuple[str | None, str, str]]:
    return [(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.cell_type, cell.source)
            for cell in nb.cells]


def _processed_master(path: Path, assignment: str, config: Config, root: Path) -> NotebookNode:
    """The master after generate_assignment's preprocessors, up to where it saves the cells."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        IncludeHeaderFooter,
        LockCells,
    )

    nb = nbformat.read(str(path), as_version=4)
    resources = {"nbgrader": {"notebook": path.stem, "assignment": assignment}}
    steps = [IncludeHeaderFooter, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata,
             ComputeChecksums]
    if any("AUTOTEST" in c.source for c in nb.cells):
        from nbgrader.preprocessors import InstantiateTests

        steps.insert(1, InstantiateTests)
    current = os.getcwd()
    os.chdir(root)  # header and footer paths are relative to the course root
    try:
        for step in steps:
            nb, resources = step(config=config).preprocess(nb, resources)
    except Exception as exc:
        raise GraderError(f"{path}: the master cannot be processed as nbgrader "
                          f"generate_assignment would ({type(exc).__name__}: {exc})") from exc
    finally:
        os.chdir(current)
    return nb


@dataclass
class AssignmentMaster:
    """Every notebook of an assignment, and the files that go with them."""

    assignment: str
    notebooks: dict[str, NotebookMaster]
    #: The source folder's other files (data, style files, images), by relative path.
    files: dict[str, bytes]
    #: Files of ``files`` that must not replace a student's own (Autograde.exclude_overwriting).
    keep_students: frozenset[str] = frozenset()

    def digest(self, check_fingerprints: Iterable[str] = ()) -> str:
        """A fingerprint of everything a grade depends on besides the submission."""
        payload = {"notebooks": [self.notebooks[n].fingerprint() for n in sorted(self.notebooks)],
                   "files": {k: hashlib.sha256(v).hexdigest() for k, v in
                             sorted(self.files.items())},
                   "checks": sorted(check_fingerprints)}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def master_notebooks(source_dir: Path, assignment: str) -> list[Path]:
    """The assignment's notebooks in source/ (as nbgrader's globs find them)."""
    if not source_dir.is_dir():
        raise GraderError(f"no assignment {assignment!r}: {source_dir} does not exist")
    notebooks = sorted(p for p in source_dir.glob("*.ipynb") if not p.name.startswith("."))
    if not notebooks:
        raise GraderError(f"{source_dir} holds no notebook")
    return notebooks


def source_files(source_dir: Path, ignore: list[str], limit_bytes: int) -> dict[str, bytes]:
    """The files beside the master notebooks that every submission runs with (nbgrader copies
    them into autograded/ too): regular files only, ``ignore`` patterns applied."""
    from nbgrader.utils import find_all_files

    files = {}
    total = 0
    for name in sorted(find_all_files(str(source_dir), list(ignore) + ["*.ipynb"])):
        path = Path(name)
        if path.is_symlink() or not path.is_file():
            continue
        rel = str(path.relative_to(source_dir))
        data = path.read_bytes()
        total += len(data)
        if total > limit_bytes:
            raise GraderError(f"{source_dir}: its files are larger than "
                              f"{limit_bytes // 2**20} MiB in all (CourseDirectory.max_dir_size)")
        files[rel] = data
    return files
