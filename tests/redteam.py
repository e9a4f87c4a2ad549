"""Attacks on the grader, one per class of the red-team report (issue 10).

Most leave both exercises' stubs in place and add one trick: any point they earn beyond what
the stub earns (nothing) is a point the trick earned. Others sabotage: they try to stop the
batch, to read or keep something outside their submission, or to outlive their run.
"""

from __future__ import annotations

import json

import nbformat

from solutions.W1D1_Tutorial2.catalogue import answer, fill_in

#: The notebook process's channel, found the way an attacker who read our source would.
_FIND_CHANNEL = '''
import json as _json, os as _os, struct as _struct, sys as _sys

def _frame(message):
    body = _json.dumps(message).encode()
    return _struct.pack(">I", len(body)) + body

def _channel():
    frame = _sys._getframe()
    while frame is not None and "cmd_fd" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals if frame is not None else None
'''

FORGES_EVERY_ANSWER = _FIND_CHANNEL + '''
_here = _channel()
if _here is not None:
    for _i in range(200):  # a clean "done" for every cell, now
        _os.write(_here["result_fd"], _frame({"t": "done", "i": _i, "outputs": [], "n": 1,
                                              "s": 0.0, "obs": []}))
'''

IMPERSONATES_THE_NOTEBOOK = _FIND_CHANNEL + '''
import base64 as _b64
import numpy as _np

def _array(values):
    data = _np.ascontiguousarray(values, dtype="<f8")
    return {"shape": list(data.shape), "base64": _b64.b64encode(data.tobytes()).decode()}

def _fabricated(probe):
    n = int(probe["kwargs"].get("n_steps", 1000))
    v = {"kind": "ndarray", "type": "ndarray", "length": n, "dtype": "float64",
         "array": _array(_np.zeros(n))}
    spikes = {"kind": "list", "type": "list", "length": 1, "array": _array([5.0]),
              "items": [{"kind": "number", "type": "int", "dtype": "int",
                         "array": _array(5.0)}]}
    value = {"kind": "tuple", "type": "tuple", "length": 2, "items": [v, spikes]}
    return {"probe": probe["id"], "error": None, "value": value, "rng_state": "",
            "seconds": 0.0, "skipped": False}

def _read(fd, size):
    data = b""
    while len(data) < size:
        chunk = _os.read(fd, size - len(data))
        if not chunk:
            raise SystemExit
        data += chunk
    return data

_here = _channel()
if _here is not None:
    _cmd, _res = _here["cmd_fd"], _here["result_fd"]
    _os.write(_res, _frame({"t": "done", "i": _here["command"]["i"], "outputs": [], "n": 1,
                            "s": 0.0, "obs": []}))
    while True:  # from now on the grader talks to us
        _size = _struct.unpack(">I", _read(_cmd, 4))[0]
        _msg = _json.loads(_read(_cmd, _size))
        _os.write(_res, _frame({"t": "done", "i": _msg["i"], "outputs": [], "n": 1, "s": 0.0,
                                "obs": [_fabricated(p) for p in _msg["probes"]]}))
'''

#: Honest functions returning what the impersonator fabricates: the bar it must not beat.
FLAT_TRACE_1 = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    return np.zeros(n_steps), [5]
'''
FLAT_TRACE_2 = '''
def lif_neuron_inh(n_steps=1000, alpha=0.5, beta=0.1, exc_rate=10, inh_rate=10):
    return np.zeros(n_steps), [5]
'''

EMPTIES_THE_JOB = '''
import gc as _gc
for _obj in _gc.get_objects():
    _name = type(_obj).__name__
    if _name in ("Job", "NotebookTask"):
        for _field in ("cells", "notebooks"):
            if hasattr(_obj, _field):
                setattr(_obj, _field, [])
    if _name == "CellTask":
        _obj.source, _obj.probes = "pass", []
'''

ENDS_EARLY = "import os as _os\n_os._exit(0)"

WRITES_GARBAGE = '''
import os as _os
for _fd in range(3, 64):
    try:
        _os.write(_fd, b"\\x00\\x00\\x00\\x05{{{{{" + _os.urandom(64))
    except OSError:
        pass
'''

CLAIMS_A_HUGE_MESSAGE = _FIND_CHANNEL + '''
_here = _channel()
if _here is not None:
    _os.write(_here["result_fd"], _struct.pack(">I", 2**31 - 1) + b"{")
'''

IGNORES_INTERRUPTS = '''
import signal as _signal
_signal.signal(_signal.SIGINT, _signal.SIG_IGN)
while True:
    pass
'''

PRINTS_UNENCODABLE = 'print("a lone surrogate: \\udcff", "and a null: \\x00")'

FILLS_THE_DISK = '''
written = 0
try:
    for _k in range(128):  # files of 32 MiB each, under the file size limit
        with open(f"/tmp/filler{_k}", "wb") as _f:
            for _ in range(32):
                _f.write(b"x" * 2**20)
                _f.flush()
                written += 1
except OSError as _exc:
    print("stopped after", written, "MiB:", _exc.strerror)
'''

HOGS_MEMORY_IN_CHILDREN = '''
import os as _os, time as _time
_children = []
for _ in range(4):
    _pid = _os.fork()
    if _pid == 0:
        try:
            _blob = bytearray(300 * 2**20)
            for _k in range(0, len(_blob), 4096):
                _blob[_k] = 1
            _time.sleep(1)
        finally:
            _os._exit(0)
    _children.append(_pid)
_killed = 0
for _pid in _children:
    _, _status = _os.waitpid(_pid, 0)
    _killed += _os.WIFSIGNALED(_status)
print("children killed:", _killed)
'''

LEAVES_SHARED_MEMORY = '''
import ctypes as _ctypes
_libc = _ctypes.CDLL(None, use_errno=True)
_id = _libc.shmget(0x5EC2E7, 4096, 0o1666)  # IPC_CREAT | 0666, a fixed key
_addr = _libc.shmat(_id, None, 0)
_ctypes.memmove(_addr, b"secret of an earlier student", 28)
print("segment", _id)
'''

LOOKS_FOR_SHARED_MEMORY = '''
import ctypes as _ctypes
_libc = _ctypes.CDLL(None, use_errno=True)
_id = _libc.shmget(0x5EC2E7, 4096, 0o666)
print("found an earlier segment" if _id >= 0 else "no earlier segment")
'''

LISTS_PROCESSES = '''
import os as _os
_seen = []
for _pid in _os.listdir("/proc"):
    if _pid.isdigit():
        try:
            _seen.append((_pid, open(f"/proc/{_pid}/cmdline", "rb").read()))
        except OSError:
            pass
print("PROCESSES", len(_seen), [p for p, _ in _seen])
print("GRADER VISIBLE", any(b"autograder grade" in c.replace(b"\\0", b" ") for _, c in _seen))
'''

LINGERS = '''
import subprocess as _subprocess
for _ in range(3):
    _subprocess.Popen(["sleep", "300"], start_new_session=True)
'''

WRITES_THE_ENVIRONMENT = '''
import os as _os, site as _site, sys as _sys
for _folder in {_sys.prefix, *_site.getsitepackages()}:
    try:
        with open(_os.path.join(_folder, "planted.pth"), "w") as _f:
            _f.write("import os; os.system('touch /tmp/planted')\\n")
        print("WROTE", _folder)
    except OSError as _exc:
        print("refused:", _exc.strerror)
'''


def _code_cell(source: str):
    return nbformat.v4.new_code_cell(source)


def release_copy(release_nb):
    return nbformat.reads(nbformat.writes(release_nb), 4)


def with_cell(nb, code: str, after: str = "setup_helpers"):
    """The notebook with a new code cell (a student may add any) after the given cell."""
    nb = nbformat.reads(nbformat.writes(nb), 4)
    position = next(k for k, c in enumerate(nb.cells)
                    if c.metadata.get("nbgrader", {}).get("grade_id") == after)
    nb.cells.insert(position + 1, _code_cell(code))
    return nb


def stubs_with(release_nb, code: str, after: str = "setup_helpers"):
    """Both stubs left in, plus one trick in a cell of its own."""
    return with_cell(release_copy(release_nb), code, after)


def flat_traces(release_nb):
    """Both stubs, each followed by a function that returns a flat trace and one spike."""
    nb = with_cell(release_copy(release_nb), FLAT_TRACE_1, after="ex1_lif_neuron")
    return with_cell(nb, FLAT_TRACE_2, after="ex2_lif_neuron_inh")


def correct_with(release_nb, code: str, after: str = "ex2_lif_neuron_inh"):
    """Both exercises answered right, plus one trick in a cell of its own."""
    nb = fill_in(release_nb, answer("lif_neuron", "the reference form"),
                 answer("lif_neuron_inh", "the reference form"))
    return with_cell(nb, code, after)


def with_unencodable_markdown(nb) -> bytes:
    """The notebook's JSON with a markdown cell holding a lone surrogate (as some editors
    write it); no encoder accepts that string as it is."""
    data = json.loads(nbformat.writes(nb))
    data["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "id": "broken-text",
                             "source": "PLACEHOLDER"})
    return json.dumps(data).replace('"PLACEHOLDER"', '"notes \\udcff here"').encode()
