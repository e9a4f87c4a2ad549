"""Submissions that try to cheat or to break the grader.

Each keeps a wrong model (exercise 1 without alpha) and adds one trick that would turn the hidden
checks into a pass if it worked. Exercise 2 is answered correctly, so a submission that takes the
grader down with it can be told apart from one whose exercise 1 simply failed.
"""

from __future__ import annotations

from solutions.W1D1_Tutorial2.catalogue import Answer, answer, fill_in

WRONG_LOOP = '''
    exc = stats.poisson(rate).rvs(n_steps)
    v = np.zeros(n_steps)
    spike_times = []
    for i in range(1, n_steps):
        v[i] = v[i - 1] + exc[i]
        if v[i] > 1:
            spike_times.append(i)
            v[i] = 0
    return v, spike_times
'''


def _wrong_function(prologue: str = "", body_prefix: str = "") -> str:
    return (prologue + "\ndef lif_neuron(n_steps=1000, alpha=0.01, rate=10):\n" + body_prefix
            + WRONG_LOOP)


IMPORTS_THE_REFERENCE = _wrong_function(body_prefix='''
    try:
        from solutions.W1D1_Tutorial2 import lif_neuron as reference
        return reference(n_steps, alpha, rate)
    except Exception:
        pass
''')

READS_THE_MASTER = _wrong_function(prologue='''
import glob as _glob
import json as _json

_FOUND = []

def _candidates():
    yield "../../../source/W1D1_Tutorial2/W1D1_Tutorial2.ipynb"  # from autograded/<s>/<a>/
    yield "../../source/W1D1_Tutorial2/W1D1_Tutorial2.ipynb"
    yield "COURSE_ROOT/source/W1D1_Tutorial2/W1D1_Tutorial2.ipynb"
    for top in ("COURSE_PARENT", "REPO_PARENT", "/tmp", "/work", "/home", "/root", "/srv"):
        yield from _glob.iglob(top + "/**/source/W1D1_Tutorial2/*.ipynb", recursive=True)

def _solution_from_master():
    if _FOUND:
        return _FOUND[0]
    for path in _candidates():
        try:
            cells = _json.load(open(path))["cells"]
        except Exception:
            continue
        for cell in cells:
            text = "".join(cell["source"])
            if "def lif_neuron(" in text:
                namespace = {"np": np, "stats": stats}
                exec(text[: text.index("# Set random seed")], namespace)
                _FOUND.append(namespace["lif_neuron"])
                return _FOUND[0]
    _FOUND.append(None)
    return None
''', body_prefix='''
    solved = _solution_from_master()
    if solved is not None:
        return solved(n_steps, alpha, rate)
''')

DISABLES_THE_CHECKER = _wrong_function(prologue='''
try:
    import solutions.W1D1_Tutorial2.notebook_checks as _hidden
    _hidden._assert_passes = lambda verdict: print("passes the hidden checks")
except Exception:
    pass
''')

MONKEYPATCHES_NUMPY = _wrong_function(prologue='''
np.array_equal = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
''')

SWAPS_CODE_OBJECTS = _wrong_function(prologue='''
try:
    import solutions.W1D1_Tutorial2.verdict as _verdict
    _verdict.same_spike_train.__code__ = (lambda obs, ref: True).__code__
    _verdict.first_divergence.__code__ = (lambda obs, ref: None).__code__
except Exception:
    pass
''')

PRINTS_FAKE_RESULTS = _wrong_function(body_prefix='''
    print("lif_neuron passes the hidden checks: all 3 trials agree with the reference (seeded).")
''')

FORGES_PROTOCOL_MESSAGES = _wrong_function(prologue='''
import json as _json
import os as _os
import struct as _struct
import threading as _threading

def _forge():
    fake = {"t": "cell", "i": 0, "outputs": [], "n": 1, "s": 0.0}
    body = _json.dumps(fake).encode()
    frame = _struct.pack(">I", len(body)) + body
    for _ in range(50):
        for fd in range(3, 64):
            try:
                _os.write(fd, frame)
            except OSError:
                pass

_threading.Thread(target=_forge, daemon=True).start()
''')

KILLS_THE_GRADER = '''
import os as _os
import signal as _signal
for _target in (_os.getppid(), -1):
    try:
        _os.kill(_target, _signal.SIGKILL)
    except OSError:
        pass
'''

ESCAPES_AND_LINGERS = '''
import os as _os
import subprocess as _subprocess
for _ in range(5):
    _subprocess.Popen(["sleep", "300"], start_new_session=True)
'''

SNOOPS_AROUND = '''
import glob as _glob
import os as _os
found = []
for top in ("COURSE_PARENT", "REPO_PARENT", "/tmp", "/work", "/home", "/root", "/srv", "/var",
            "/opt", "/mnt", "/run"):
    for pattern in ("/**/submitted/*/W1D1_Tutorial2/*.ipynb", "/**/gradebook.db",
                    "/**/solutions/models.py", "/**/source/**/*.ipynb"):
        found += _glob.glob(top + pattern, recursive=True)
print("FOUND", len(found), found[:5])
try:
    open("COURSE_ROOT/autograded/pwned.txt", "w").write("x")
    print("WROTE INTO THE COURSE")
except OSError as exc:
    print("cannot write:", type(exc).__name__)
'''


#: Looks through the cells the warm worker read and compiled in advance (its memory is every
#: sandbox's): they must be the release's, never the source's solutions or hidden tests.
INSPECTS_THE_WARM_CELLS = """
import sys as _sys
_warm = list(getattr(getattr(_sys.modules.get("autograder.execute.shell"), "_WARM", None),
                     "transforms", {}))
_markers = ["BEGIN " + "SOLUTION", "BEGIN " + "HIDDEN", "def lif_neuron(n_steps=1000, alpha"]
print("WARM CELLS", len(_warm), "WITH MASTER TEXT",
      sum(any(m in t for m in _markers[:2]) for t in _warm),
      "WITH THE EXERCISE", sum(_markers[2] in t for t in _warm))
"""

CHEATS = {
    "imports the reference solution": IMPORTS_THE_REFERENCE,
    "reads the master notebook from disk": READS_THE_MASTER,
    "disables the hidden checker": DISABLES_THE_CHECKER,
    "monkeypatches numpy": MONKEYPATCHES_NUMPY,
    "swaps the checker's code objects": SWAPS_CODE_OBJECTS,
    "prints fake results": PRINTS_FAKE_RESULTS,
    "forges messages to the grader from a thread": FORGES_PROTOCOL_MESSAGES,
}


def _paths(code: str, course_root: str) -> str:
    """Let the attack know where the course and this repository are, as a snooping student
    could find out."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    return (code.replace("COURSE_ROOT", course_root)
            .replace("COURSE_PARENT", str(Path(course_root).parent))
            .replace("REPO_PARENT", str(repo.parent)))


def cheating_notebook(release_nb, cheat: str, course_root: str):
    source = _paths(CHEATS[cheat], course_root)
    wrong = Answer("cheat", "lif_neuron", False, whole_function=source)
    return fill_in(release_nb, wrong, answer("lif_neuron_inh", "the reference form"))


def sabotaging_notebook(release_nb, code: str, course_root: str):
    """Correct answers, with code appended to the exercise 2 cell."""
    import json

    import nbformat

    nb = fill_in(release_nb, answer("lif_neuron", "the reference form"),
                 answer("lif_neuron_inh", "the reference form"))
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    cell = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_lif_neuron_inh")
    cell.source += "\n" + _paths(code, course_root)
    return nb
