"""The grading shell reads cells exactly as IPython does, magics included."""

from __future__ import annotations

import sys

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from autograder.execute.shell import PlainPythonFastPath

CELLS = {
    "plain python with a comparison": "x = 1\nif x != 2:\n    print('a')\n",
    "a line magic": "%matplotlib inline\nx = 1",
    "a cell magic": "%%time\nx = 1",
    "a magic assigned": "a = %time 1",
    "a shell command": "!ls -l",
    "a shell command assigned": "files = !ls",
    "a help request": "len?",
    "an autocall escape": "/print 3",
    "a quoting escape": ",print a b",
    "a modulo": "x = 5 % 2",
    "an exclamation in a string": "x = 'wow!'",
    "a function": "def f():\n    return 1\n",
    "a classic prompt": ">>> x = 1\n>>> print(x)",
    "an indented first line": "    x = 1\n    y = 2",
    "a question mark in a docstring": 'def f():\n    """Is dv ever positive?"""\n    return 1\n',
    "a question mark in a comment": "x = 1  # why?\ny = x % 3\n",
    "a percent format": "print('%d%%' % 5)",
    "a help request after plain lines": "x = 1\ny = 'a?'\nlen?",
    "a magic in a block": "for i in range(2):\n    %time i\n",
    "a shell command after a docstring": '"""why?"""\n!echo hi',
    "a question mark ending a string line": "s = '''why?\n'''\nprint(s)",
    "a magic assigned after a comment": "# what?\nt = %time 1",
}


@pytest.mark.parametrize("source", CELLS.values(), ids=lambda s: next(
    k for k, v in CELLS.items() if v == s) + " is read as IPython reads it")
def test_fast_path_transforms_like_ipython(source):
    assert PlainPythonFastPath().transform_cell(source) == \
        TransformerManager().transform_cell(source)


def test_the_shell_runs_cells_whose_tree_the_fast_path_built_as_ipython_would():
    from autograder.execute.shell import make_shell
    from autograder.execute.sink import OutputSink

    shell = make_shell()
    sink = OutputSink(1 << 20, 1 << 20)
    shell.attach(sink)
    try:
        first = shell.run_cell('def f():\n    """Is it ready?"""\n    return 41 + 1\n')
        broken = shell.run_cell("x = (1,\n")  # a syntax error right after: no stale tree
        shown = shell.run_cell("f() # why?")
        other = shell.run_cell('y = "?"\ny + "!"')
    finally:
        shell.attach(None)
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    assert first.success and shell.user_ns["f"]() == 42
    assert isinstance(broken.error_before_exec, SyntaxError)
    assert shown.result == 42 and other.result == "?!"


# -- cells read and compiled once in the warm worker ---------------------------------------------

FUNCTION_CELL = ("def shout(word):\n    if not word:\n"
                 "        raise ValueError('nothing to shout')\n"
                 "    return word.upper()\n\nshout('hi')")
#: name -> (cells run before, the cells the warm worker knows, then run): each scenario is run
#: with and without those cells warm, and must give the same outputs.
WARM_SCENARIOS = {
    "a warm cell defines, prints and shows its last expression as a cold one":
        ([], ["x = 40\nprint('x is', x)\nx + 2"]),
    "a traceback through a function of a warm cell names the notebook's cell and line":
        ([], [FUNCTION_CELL, "shout('')"]),
    "a magic in a warm cell runs as IPython reads it":
        ([], ["%time y = 3\ny * 2"]),
    "a notebook's own AST transformer still applies to a warm cell":
        (["import ast\nclass One(ast.NodeTransformer):\n"
          "    def visit_Constant(self, node):\n"
          "        return ast.Constant(node.value + 1) if type(node.value) is int else node\n"
          "get_ipython().ast_transformers.append(One())"], ["print(1)\n41"]),
    "a notebook's own input transformer still applies to a warm cell":
        (["get_ipython().input_transformers_cleanup.append(\n"
          "    lambda lines: [l.replace('print(1)', 'print(2)') for l in lines])"],
         ["print(1)\n41"]),
    "a __future__ import before a warm cell still changes how it compiles":
        (["from __future__ import annotations"], ["def f(x: int): pass\nf.__annotations__"]),
    "showing every expression, as a notebook may ask, still applies to a warm cell":
        (["get_ipython().ast_node_interactivity = 'all'"], ["1 + 1\n2 + 2"]),
    "a warm cell run twice runs twice":
        (["n = 0"], ["n += 1\nn", "n += 1\nn"]),
}


def _run_forked(before: list[str], cells: list[str], warm: bool) -> list[list[dict]]:
    """Run the cells in a fork of this process's shell (as a notebook is run), with ``cells``
    warmed up first or not; the outputs of every cell."""
    import json
    import os

    from autograder.execute.shell import make_shell, warm_cells
    from autograder.execute.sink import OutputSink

    shell = make_shell()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_fd)
            if warm:
                assert warm_cells(shell, cells) >= len(set(cells))
            outputs = []
            for source in before + cells:
                sink = OutputSink(1 << 20, 1 << 20)
                shell.attach(sink)
                sink.begin_cell()
                shell.run_cell(source, store_history=True)
                outputs.append(sink.end_cell())
            shell.attach(None)
            os.write(write_fd, json.dumps(outputs).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 1 << 16):
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    return json.loads(data)


def _without_timing(outputs: list[list[dict]]) -> list[list[dict]]:
    """%time prints how long it took: the one thing allowed to differ."""
    return [[dict(o, text="(time)") if "Wall time" in o.get("text", "") else o for o in cell]
            for cell in outputs]


@pytest.mark.parametrize("scenario", WARM_SCENARIOS, ids=list(WARM_SCENARIOS))
def test_a_warm_cell_runs_as_the_same_cell_read_cold(scenario):
    before, cells = WARM_SCENARIOS[scenario]
    cold = _without_timing(_run_forked(before, cells, warm=False))
    warm = _without_timing(_run_forked(before, cells, warm=True))
    assert warm == cold
    assert any(cell for cell in cold), "the scenario shows something to compare"


def test_a_warm_cell_is_not_parsed_or_compiled_again(monkeypatch):
    """What makes it worth it: the notebook's copy of IPython takes the warm tree and code."""
    import codeop

    from IPython.core import compilerop

    from autograder.execute import shell as shell_module
    from autograder.execute.sink import OutputSink

    monkeypatch.setattr(shell_module, "_WARM", shell_module.WarmCells())
    cells = [FUNCTION_CELL + "  # why?", "print(shout('a'))  # why?"]
    shell = shell_module.make_shell()
    shell_module.warm_cells(shell, cells[:1])
    calls: list[str] = []

    def counting(source, filename, *args, **kwargs):
        calls.append(filename)
        return compile(source, filename, *args, **kwargs)

    for module in (codeop, compilerop, shell_module):  # compiling, IPython's parse, the fast path
        monkeypatch.setattr(module, "compile", counting, raising=False)
    sink = OutputSink(1 << 20, 1 << 20)
    shell.attach(sink)
    try:
        counts = []
        for source in cells:
            before = len(calls)
            assert shell.run_cell(source).success
            counts.append(len(calls) - before)
    finally:
        shell.attach(None)
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    assert counts[0] == 0, "the warm cell was parsed or compiled again"
    assert counts[1] > 0, "a cell nobody warmed up is read as usual"


ASYNC_CELLS = {
    "plain code": "x = 1\nprint(x)",
    "a top-level await": "import asyncio\nawait asyncio.sleep(0)",
    "a top-level async for": "async def gen():\n    yield 1\n\nasync for i in gen():\n    print(i)",
    "a top-level async comprehension": "async def gen():\n    yield 1\n\n[i async for i in gen()]",
    "an await inside a coroutine only": "async def f():\n    await g()",
    "the word await in a comment": "x = 1  # await the results",
    "a syntax error": "x = (",
    "non-ASCII text and an await": "s = 'βV_m'\nimport asyncio\nawait asyncio.sleep(0)",
    "a full-width await, which is no keyword": "ａｗａｉｔ = 3",
}


@pytest.mark.parametrize("source", ASYNC_CELLS.values(), ids=[
    f"{name}: run on the event loop exactly when IPython would" for name in ASYNC_CELLS])
def test_the_shell_decides_like_ipython_which_cells_need_an_event_loop(source):
    from IPython.core.interactiveshell import InteractiveShell

    from autograder.execute.shell import make_shell

    shell = make_shell()
    transformed = shell.transform_cell(source)
    ours = shell.should_run_async(source, transformed_cell=transformed)
    theirs = InteractiveShell.should_run_async(shell, source, transformed_cell=transformed)
    assert ours == theirs


def test_a_cell_without_await_is_not_compiled_to_look_for_one(monkeypatch):
    from IPython.core import async_helpers

    from autograder.execute.shell import make_shell

    looked: list[str] = []

    def counting(source, *args, **kwargs):
        looked.append(source)
        return compile(source, *args, **kwargs)

    monkeypatch.setattr(async_helpers, "compile", counting, raising=False)
    shell = make_shell()
    assert not shell.should_run_async("x = 1", transformed_cell="x = 1\n")
    assert looked == []
    assert shell.should_run_async("await f()", transformed_cell="await f()\n")
    assert looked == ["await f()\n"]
