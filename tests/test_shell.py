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
