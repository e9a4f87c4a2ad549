"""IPython without a kernel: runs cells (magics included) and captures outputs as Jupyter would.

Starting a Jupyter kernel per submission costs more than grading it. An
:class:`~IPython.core.interactiveshell.InteractiveShell` gives the same language (``%matplotlib``,
``!`` and other magics, the display hook that turns a last expression into an
``execute_result``) in the worker's own process, created once in the warm worker and copied into
each forked child.
"""

from __future__ import annotations
import __future__

import ast
import json
import re
import sys
import traceback as tb
from collections.abc import Iterable, Iterator
from types import CodeType

from IPython.core.compilerop import CachingCompiler
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.interactiveshell import InteractiveShell
from traitlets import Type

from autograder.execute.sink import OutputSink, SinkStream

BACKEND = "module://autograder.execute.mplbackend"


class SinkDisplayPublisher(DisplayPublisher):
    """Sends ``display(...)`` calls to the current cell's outputs."""

    sink: OutputSink | None = None

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False,
                **kwargs) -> None:
        if self.sink is not None:
            self.sink.rich("display_data", data, metadata)

    def clear_output(self, wait=False) -> None:
        if self.sink is not None:
            self.sink.clear(wait)


class SinkDisplayHook(DisplayHook):
    """Turns a cell's last expression into an ``execute_result`` output."""

    sink: OutputSink | None = None

    def start_displayhook(self) -> None:
        self._data = None

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        self._data = (format_dict, md_dict)

    def finish_displayhook(self) -> None:
        if self._data is not None and self.sink is not None:
            format_dict, md_dict = self._data
            self.sink.rich("execute_result", format_dict, md_dict, count=self.prompt_count)
        self._data = None


#: Every IPython token transform (``%magic``, ``a = %magic``, ``!cmd``, ``a = !cmd``, ``obj?``,
#: ``/f x``, ``,f x``, ``;f x``) needs one of these; a cell without any is plain Python.
_IPYTHON_SYNTAX = re.compile(r"[%?]|!(?!=)|^\s*[!/,;]", re.MULTILINE)


class PlainPythonFastPath(TransformerManager):
    """IPython's input transformations, minus tokenizing cells that cannot contain IPython
    syntax (most of a notebook): that tokenizing costs more than running a typical cell.

    A cell without any of the characters IPython's token transforms need is plain Python; so is
    one that parses as Python (every token transform rewrites a line Python cannot parse), such
    as a cell with a ``?`` in a docstring. Parsing in C costs a tenth of tokenizing in Python."""

    def do_token_transforms(self, lines):
        source = "".join(lines)
        if not _IPYTHON_SYNTAX.search(source) or _parses(source):
            return lines
        return super().do_token_transforms(lines)

    def transform_cell(self, cell: str) -> str:
        if (warm := _WARM.transforms.get(cell)) is not None and self.signature() == _WARM.signature:
            return warm
        return super().transform_cell(cell)

    def signature(self) -> tuple:
        """The transforms in force: a notebook may add its own, and then nothing warm applies."""
        return (tuple(map(id, self.cleanup_transforms)), tuple(map(id, self.line_transforms)),
                tuple(map(id, self.token_transformers)))


#: The syntax tree the fast path built last, and its source: IPython parses the same cell text
#: right after, and takes it from here instead (a long cell costs milliseconds to parse).
_last_tree: tuple[str, ast.Module] | None = None


def _parses(source: str) -> bool:
    global _last_tree
    try:
        tree = compile(source, "<cell>", "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError):
        return False
    _last_tree = (source, tree)
    return True


class ReusingCompiler(CachingCompiler):
    """IPython's compiler, taking the tree :func:`_parses` just built for the same cell text
    instead of parsing it a second time. Only for plain ``exec`` parses without the one future
    flag that changes the grammar (barry_as_FLUFL)."""

    def ast_parse(self, source, filename="<unknown>", symbol="exec"):
        global _last_tree
        cached, _last_tree = _last_tree, None
        if symbol == "exec" and not self.flags & __future__.barry_as_FLUFL.compiler_flag:
            warm = _WARM.trees.get((source, self.flags))
            if warm is not None and not _ast_transformers_in_force():
                # a new list (IPython may append to it), the warm nodes (never changed: no
                # AST transformer runs on them)
                return ast.Module(body=list(warm.body), type_ignores=[])
            if cached is not None and cached[0] == source:
                return cached[1]
        return super().ast_parse(source, filename, symbol)

    def __call__(self, source, filename, symbol, **kwargs):
        body = getattr(source, "body", None)
        if not kwargs and isinstance(body, list) and len(body) == 1:
            # keyed by the identity of a warm node, which _WARM keeps alive
            code = _WARM.codes.get((id(body[0]), symbol, self.flags))
            if code is not None:
                for feature in _FUTURES:  # what codeop.Compile does after compiling
                    if code.co_flags & feature.compiler_flag:
                        self.flags |= feature.compiler_flag
                return _renamed(code, filename)
        return super().__call__(source, filename, symbol, **kwargs)


class GradingShell(InteractiveShell):
    """An InteractiveShell whose outputs go to an :class:`OutputSink`."""

    sink: OutputSink | None = None
    displayhook_class = Type(SinkDisplayHook)
    display_pub_class = Type(SinkDisplayPublisher)
    compiler_class = Type(ReusingCompiler)

    def should_run_async(self, raw_cell, *, transformed_cell=None,
                         preprocessing_exc_tuple=None) -> bool:
        """IPython compiles every cell a second time, whole, to learn whether it has a
        top-level ``await`` (it then runs it on an event loop). Such a cell has the keyword
        ``await`` or ``async`` in its text, and keywords are plain ASCII: a cell without
        either word is answered without compiling it."""
        if transformed_cell is not None and "await" not in transformed_cell \
                and "async" not in transformed_cell:
            return False
        return super().should_run_async(raw_cell, transformed_cell=transformed_cell,
                                        preprocessing_exc_tuple=preprocessing_exc_tuple)

    def enable_gui(self, gui=None):
        """No event loop while grading: every GUI request is accepted and ignored."""

    def enable_matplotlib(self, gui=None):
        """``%matplotlib <anything>`` selects the grading backend."""
        import matplotlib

        matplotlib.use(BACKEND)
        return gui or "inline", BACKEND

    def _showtraceback(self, etype, evalue, stb):
        if self.sink is not None:
            self.sink.error(getattr(etype, "__name__", str(etype)), str(evalue), list(stb))

    def ask_exit(self):
        """``exit()`` in a notebook must not end grading: the rest of the cells still run."""
        self.exit_now = False

    def attach(self, sink: OutputSink | None) -> None:
        """Send outputs (and sys.stdout/sys.stderr) to ``sink``; None detaches."""
        self.sink = sink
        self.display_pub.sink = sink
        self.displayhook.sink = sink
        if sink is not None:
            sys.stdout = SinkStream(sink, "stdout")
            sys.stderr = SinkStream(sink, "stderr")


def make_shell() -> GradingShell:
    """Create the shell in the warm worker (no history file, no colours, grading backend).

    History is off from the start, so IPython never runs its history-saving thread: a thread
    the sandbox would have to restart after every fork, and one a fork bomb could deny.
    """
    import matplotlib
    from traitlets.config import Config

    matplotlib.use(BACKEND)
    config = Config({"HistoryManager": {"enabled": False, "hist_file": ":memory:"}})
    shell = GradingShell.instance(config=config, colors="nocolor", history_length=0)
    shell.input_transformer_manager = PlainPythonFastPath()
    shell.autoindent = False
    return shell


class WarmCells:
    """Cells every submission shares (the release's setup, self-checks, demos and tests), read
    by IPython and compiled once in the warm worker instead of in every notebook: about 8 ms of
    each submission's here. Only what students were given: the warm worker is copied into
    every sandbox.

    Each notebook still goes through IPython's own steps; a step takes its result from here
    only for the same cell text under the same state: the default input transforms, no AST
    transformer, the same compiler flags (a ``from __future__`` import changes them). The code
    objects are renamed to the notebook's cell name, so tracebacks read as before.
    """

    def __init__(self):
        self.signature: tuple = ()
        self.transforms: dict[str, str] = {}  # raw cell -> IPython's static transform
        self.trees: dict[tuple[str, int], ast.Module] = {}  # (transformed, flags) -> tree
        self.codes: dict[tuple[int, str, int], CodeType] = {}  # (id(node), mode, flags)

    def add(self, shell: GradingShell, raw: str) -> None:
        manager, compiler = shell.input_transformer_manager, shell.compile
        if not isinstance(manager, PlainPythonFastPath) or raw in self.transforms:
            return
        try:
            transformed = super(PlainPythonFastPath, manager).transform_cell(raw)
            tree = compile(transformed, "<warm>", "exec", compiler.flags | ast.PyCF_ONLY_AST, 1)
        except (SyntaxError, ValueError, TypeError, IndexError):
            return  # left to the notebook, which reports it as IPython would
        self.signature = manager.signature()
        self.transforms[raw] = transformed
        self.trees[(transformed, compiler.flags)] = tree
        await_flag = getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0) if shell.autoawait else 0
        flags = compiler.flags | await_flag  # as IPython's run_ast_nodes compiles each node
        for k, node in enumerate(tree.body):
            modes = ["exec"]
            if k == len(tree.body) - 1 and isinstance(node, ast.Expr):
                modes.append("single")  # a last expression is displayed
            for mode in modes:
                module = ast.Module([node], []) if mode == "exec" else ast.Interactive([node])
                try:
                    self.codes[(id(node), mode, flags)] = compile(module, "<warm>", mode, flags,
                                                                  True)
                except (SyntaxError, ValueError, TypeError):
                    pass  # compiled by the notebook, which reports it


_WARM = WarmCells()
_FUTURES = [getattr(__future__, name) for name in __future__.all_feature_names]


def _ast_transformers_in_force() -> bool:
    return GradingShell.initialized() and bool(GradingShell.instance().ast_transformers)


def _renamed(code: CodeType, filename: str) -> CodeType:
    consts = tuple(_renamed(c, filename) if isinstance(c, CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def warm_cells(shell: GradingShell, sources: Iterable[str]) -> int:
    """Read and compile these cells once, in the warm worker, for every notebook forked from
    it (see :class:`WarmCells`); returns how many are ready."""
    global _last_tree
    for source in sources:
        _WARM.add(shell, source)
    _last_tree = None  # the fast path's tree of the last warm cell: no notebook's business
    return len(_WARM.transforms)


def notebook_code_cells(paths: Iterable[str]) -> Iterator[str]:
    """The code cells' text of these notebooks; a file that is not a readable notebook is
    skipped (warming cells up only saves time)."""
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                cells = json.load(handle).get("cells", [])
            for cell in cells:
                if cell.get("cell_type") == "code":
                    source = cell.get("source", "")
                    yield "".join(source) if isinstance(source, list) else str(source)
        except (OSError, ValueError, AttributeError, TypeError):
            continue


def format_exception(exc: BaseException) -> list[str]:
    return tb.format_exception(type(exc), exc, exc.__traceback__)
