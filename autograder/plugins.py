"""Trusted checks: the course's own judges of chosen test cells, declared as a plug-in.

nbgrader runs a test cell inside the student's kernel, after the student's code, so its verdict
is only as trustworthy as that kernel. A course may instead bind a :class:`TrustedCheck` to a
test cell. The grader then

1. runs the cell's visible part in the sandbox as usual (its hidden-tests region is replaced by
   the check and never sent there),
2. asks the sandbox for the check's :class:`~autograder.execute.observe.Probe` calls of the
   student's functions, right after that cell, and gets back plain data only,
3. calls :meth:`TrustedCheck.judge` on that data in its own process, and writes the
   :class:`Verdict` into the cell as its output (a failure is an ``AssertionError``), so
   nbgrader's rule scores the cell.

A course declares its checks in its own package, next to its reference solutions (the layout
shows them as course content), one :class:`AssignmentChecks` per notebook, and lists them in
``nbgrader_config.py``::

    c.Autograder.plugins = ["mycourse.week1:CHECKS"]

Before grading starts, every declaration is checked against the master: the notebook and the
cell must exist, the cell must be an autograded test cell, and every function a check calls
must be defined by the master notebook. Anything else is a :class:`PluginError` naming the
problem. The grader itself never names an exercise.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder.errors import GraderError
from autograder.execute.observe import Observation, Probe


class PluginError(GraderError):
    """A trusted-check declaration that cannot be used (exit status 2, before any grading)."""


@dataclass
class Verdict:
    """A trusted check's judgement of one test cell."""

    passed: bool
    #: What the student reads (feedback, ``results.json``): the verdict, then a few sentences.
    message: str
    #: More for the instructor only (the class report), never shown to students.
    details: str = ""
    #: A short key naming a known mistake, and its description (counted by the class report).
    label: str | None = None
    label_text: str | None = None
    #: Plain, JSON-safe data for the course's own report panels.
    data: dict = field(default_factory=dict)


class TrustedCheck:
    """Judges one autograded test cell from observations of the student's functions.

    Subclasses set :attr:`functions` and implement :meth:`probes` and :meth:`judge`;
    :meth:`prepare` checks, before grading starts, what every judgement needs (refusing a stale
    calibration, say), :meth:`warm` does the expensive work once (reference runs), and
    :meth:`fingerprint` names everything the verdict depends on besides the submission, so that
    a change (new trials, a new calibration) regrades the class.
    """

    #: Names of the notebook functions the check calls (validated against the master).
    functions: tuple[str, ...] = ()
    #: Hidden checks' verdicts are shown to students once grades are published; others at once.
    hidden: bool = True
    #: A few words on what the check is, for the summary and the report.
    title: str = "trusted check"
    #: The check's probes make every call the cell's own (visible) code makes, and its verdict
    #: says everything that code would print: the cell's code is then not run while grading,
    #: and the cell's output is the verdict. (A public self-check mirrored by a trusted check
    #: would otherwise call the student's function twice over.)
    replaces_cell: bool = False

    def probes(self) -> list[Probe]:
        raise NotImplementedError

    def judge(self, observations: Mapping[str, Observation]) -> Verdict:
        raise NotImplementedError

    def prepare(self) -> None:
        """Check what every judgement needs, before any notebook runs (an error stops the
        batch before it starts). Keep it cheap: the workers wait for the plan."""

    def warm(self) -> None:
        """Expensive one-time work of the verdicts (libraries, reference runs), done once per
        grading run that has something to grade, while the workers start up (so it costs the
        run no time when they take longer); not counted as any submission's time."""

    def fingerprint(self) -> str:
        """By default, the source of the check's module and of the modules it imports from its
        own package: editing the course's checks regrades."""
        module = inspect.getmodule(type(self))
        return source_fingerprint(module.__name__.split(".")[0] if module else "",
                                  module.__name__ if module else "")


@dataclass
class AssignmentChecks:
    """The trusted checks of one notebook of one assignment: ``{grade_id: check}``."""

    assignment: str
    notebook: str
    checks: dict[str, TrustedCheck]
    #: Optional: ``panels(results, folder) -> [(title, file name, caption), ...]``, extra
    #: figures for the class report, drawn from the verdicts' ``data``.
    report_panels: Callable | None = None
    #: Optional: ``sample_class(release_folder) -> {student: {file name: bytes}}`` for
    #: ``make demo``.
    sample_class: Callable | None = None
    #: Where the declaration came from (set when it is loaded).
    origin: str = ""


def source_fingerprint(package: str, module: str) -> str:
    """A digest of the Python and data files of ``module``'s folder (the course's checks).

    A module outside any package is digested alone: its folder may be anything, the course's
    root for one, where every grading run writes new ``results.json`` files."""
    digest = hashlib.sha256()
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return ""
    origin = Path(spec.origin)
    if not spec.parent and origin.name != "__init__.py":
        digest.update(origin.read_bytes() if origin.is_file() else spec.origin.encode())
        return digest.hexdigest()[:16]
    folder = origin.parent
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_plugins(specs: Iterable[str]) -> list[AssignmentChecks]:
    """Import every ``module:NAME`` (a declaration or a list of them)."""
    found = []
    for spec in specs:
        module_name, _, attribute = spec.partition(":")
        if not module_name or not attribute:
            raise PluginError(f"Autograder.plugins: {spec!r} is not of the form "
                              "'package.module:NAME'")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise PluginError(f"Autograder.plugins: cannot import {module_name} "
                              f"({type(exc).__name__}: {exc})") from exc
        try:
            value = getattr(module, attribute)
        except AttributeError:
            raise PluginError(f"Autograder.plugins: {module_name} has no {attribute}") from None
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if not isinstance(item, AssignmentChecks):
                raise PluginError(f"Autograder.plugins: {spec} is not an AssignmentChecks "
                                  "declaration")
            item.origin = spec
            found.append(item)
    return found


def plugin_packages(specs: Iterable[str]) -> tuple[str, ...]:
    """Top-level packages of the declared plug-ins: hidden from, and never loaded by, the
    sandbox."""
    return tuple(sorted({s.partition(":")[0].split(".")[0] for s in specs if s}))


def defined_names(source: str) -> set[str]:
    """Names a cell defines at top level (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def validate(declarations: list[AssignmentChecks], assignment: str, masters: Mapping) -> None:
    """Raise PluginError unless every declaration for ``assignment`` matches its master.

    ``masters`` maps notebook names to :class:`autograder.master.NotebookMaster`.
    """
    seen: set[tuple[str, str]] = set()
    for declaration in declarations:
        if declaration.assignment != assignment:
            continue
        where = declaration.origin or "a trusted-check declaration"
        master = masters.get(declaration.notebook)
        if master is None:
            raise PluginError(f"{where}: assignment {assignment} has no notebook "
                              f"{declaration.notebook}.ipynb (it has: "
                              f"{', '.join(sorted(masters)) or 'none'})")
        tests = master.autograded_tests()
        for grade_id, check in declaration.checks.items():
            if (declaration.notebook, grade_id) in seen:
                raise PluginError(f"{where}: cell {grade_id} of {declaration.notebook}.ipynb "
                                  "has two trusted checks")
            seen.add((declaration.notebook, grade_id))
            if grade_id not in tests:
                raise PluginError(
                    f"{where}: {declaration.notebook}.ipynb has no autograded test cell "
                    f"{grade_id!r} (its test cells: {', '.join(tests) or 'none'})")
            if not isinstance(check, TrustedCheck):
                raise PluginError(f"{where}: the check of {grade_id} is not a TrustedCheck")
            defined = master.names_defined_before(grade_id)
            for function in check.functions:
                if function not in defined:
                    raise PluginError(
                        f"{where}: the check of {grade_id} calls {function}(), which "
                        f"{declaration.notebook}.ipynb never defines before that cell")
            for probe in check.probes():
                if probe.function not in check.functions:
                    raise PluginError(f"{where}: the check of {grade_id} probes "
                                      f"{probe.function}() without declaring it in functions")


def checks_for(declarations: list[AssignmentChecks], assignment: str
               ) -> dict[tuple[str, str], TrustedCheck]:
    """``{(notebook, grade_id): check}`` for one assignment."""
    return {(d.notebook, grade_id): check for d in declarations if d.assignment == assignment
            for grade_id, check in d.checks.items()}
