"""Inside the sandbox: the process that runs one notebook, and the one that may fork it.

The *notebook process* is PID 1 of a PID namespace of its own. Before any student code exists
in it, it reads its setup from the supervisor (the submission's files and the limits), builds the
rest of the sandbox (:func:`.sandbox.enter_private_root`), mounts its own /proc, writes the files
into the private scratch space, gives up its privileges and says ``ready``. From then on it
serves the supervisor one cell at a time: ``{"t": "run", "i": index, "source": ..., "probes":
[...]}`` in, ``{"t": "done", ...}`` out. It never holds the list of cells: the supervisor decides
what runs, in which order, and checks every reply (:mod:`.supervisor`).

Its parent is the supervisor itself when a job has one notebook (the supervisor enters the new
PID namespace for its next child, once). A job with several notebooks needs a fresh PID
namespace for each: a small *PID-namespace parent* is forked per notebook for that; it forks the
notebook process, reports its process id, waits, and reports how it ended (trusted, unlike
anything the notebook says). Both die with the supervisor, and the notebook process with its
parent (parent-death signals).
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import sys
import time

from autograder.execute import sandbox
from autograder.execute.job import Limits
from autograder.execute.mplbackend import flush_figures
from autograder.execute.observe import Probe, clean_text, describe_exception, observe_all
from autograder.execute.protocol import encode, read_message, write_message
from autograder.execute.shell import GradingShell
from autograder.execute.sink import OutputSink

#: Where a cell's writes to file descriptors 1 and 2 are caught, to be read back as outputs.
_FD_CAPTURE = ".fd-{}"


def _close_inherited_fds(keep: set[int]) -> None:
    """Close everything inherited from the grader (its pipes to the coordinator included)."""
    for fd in [int(fd) for fd in os.listdir("/proc/self/fd") if fd.isdigit()]:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _safe_relative(name: str) -> str | None:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _write_files(folder: str, files: dict[str, bytes], uid: int | None, gid: int | None) -> None:
    for name, data in files.items():
        rel = _safe_relative(name)
        if rel is None:
            continue
        target = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    if uid is not None:
        for root, dirs, names in os.walk(folder):
            for name in dirs + names:
                os.lchown(os.path.join(root, name), uid, gid)
        os.chown(folder, uid, gid)


def run_pid_parent(cmd_fd: int, result_fd: int, control_fd: int, plan: sandbox.SandboxPlan,
                   shell: GradingShell, baseline_bytes: int, mountpoint: str) -> None:
    """The PID-namespace parent of one notebook of a several-notebook job; never returns."""
    code = 1
    try:
        sandbox.set_process_name("ag-pid-parent")
        sandbox.die_with_parent()
        _close_inherited_fds({cmd_fd, result_fd, control_fd})
        achieved = sandbox.enter_pid_namespace(plan)
        pid = os.fork()
        if pid == 0:
            os.close(control_fd)
            run_notebook_process(cmd_fd, result_fd, plan, shell, baseline_bytes, mountpoint,
                                 achieved)
        os.close(cmd_fd)
        os.close(result_fd)
        write_message(control_fd, {"t": "started", "pid": pid})
        _, status = os.waitpid(pid, 0)
        write_message(control_fd, {"t": "exited", "status": status})
        code = 0
    except BaseException as exc:  # report, never raise: this process must not return
        try:
            write_message(control_fd, {"t": "failed", "reason": describe_exception(exc)})
        except Exception:
            pass
    finally:
        os._exit(code)


def run_notebook_process(cmd_fd: int, result_fd: int, plan: sandbox.SandboxPlan,
                         shell: GradingShell, baseline_bytes: int, mountpoint: str,
                         achieved: dict) -> None:
    """The notebook process (see the module docstring); never returns."""
    try:
        sandbox.set_process_name("ag-notebook")
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        sandbox.die_with_parent()
        os.setsid()
        _close_inherited_fds({cmd_fd, result_fd})
        setup = read_message(cmd_fd)
        if setup is None or setup.get("t") != "setup":
            raise RuntimeError("no setup message")
        limits = Limits.from_dict(setup["limits"])
        uid, gid = setup.get("uid"), setup.get("gid")
        isolation = dict(achieved)
        if achieved.get("namespaces"):
            isolation["proc"] = sandbox.enter_private_root(plan, mountpoint,
                                                           limits.scratch_mb * 1024 * 1024)
            workdir = sandbox.WORKDIR
        else:
            workdir = mountpoint
        _write_files(workdir, {str(k): base64.b64decode(v) for k, v in setup["files"].items()},
                     uid, gid)
        del setup
        _apply_limits(limits, baseline_bytes, own_user=uid is not None)
        if uid is not None:
            sandbox.switch_user(uid, gid)
        elif achieved.get("user_namespace"):
            sandbox.drop_capabilities()
        else:
            sandbox.no_new_privileges()
        sandbox.die_with_parent()  # a change of user clears it
        os.chdir(workdir)
        env = {"HOME": workdir, "TMPDIR": "/tmp" if achieved.get("namespaces") else workdir,
               "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg",
               "AUTOGRADER_RENDER_FIGURES": "1" if limits.render_figures else "0"}
        os.environ.clear()
        os.environ.update(env)
        sys.path[:] = [""] + [p for p in sys.path if p and os.path.isdir(p)]
        readers = _redirect_std_fds("/tmp" if achieved.get("namespaces") else workdir)
        write_message(result_fd, {"t": "ready", "isolation": isolation})
        _serve_cells(cmd_fd, result_fd, shell, readers, limits)
    except BaseException as exc:
        try:  # before any student code ran, this is the grader's own failure: say why
            write_message(result_fd, {"t": "failed", "reason": describe_exception(exc)})
        except Exception:
            pass
    finally:
        os._exit(0)


def _apply_limits(limits: Limits, baseline_bytes: int, own_user: bool) -> None:
    """Per-process limits that hold even if the student's code ignores every signal (the whole
    submission's memory and processes are capped by its control group, where there is one)."""
    memory = baseline_bytes + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    file_bytes = limits.file_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = int(limits.notebook_timeout) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), min(256, hard)))
    if own_user:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
    # Writes beyond the file size limit fail with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _redirect_std_fds(folder: str) -> dict[str, int]:
    """stdin from /dev/null; fd 1 and 2 into files, read back as stream outputs after each cell."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    readers = {}
    for fd, name in ((1, "stdout"), (2, "stderr")):
        path = os.path.join(folder, _FD_CAPTURE.format(name))
        write_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(write_fd, fd)
        os.close(write_fd)
        readers[name] = os.open(path, os.O_RDONLY)
    return readers


def _drain_fd_output(readers: dict[str, int], sink: OutputSink | None) -> None:
    for name, fd in readers.items():
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            if sink is None:
                continue
            sink.stream(name, chunk.decode("utf-8", errors="replace"))
            if sink.cell_left <= 0:
                os.lseek(fd, 0, os.SEEK_END)
                break


def _encode_reply(message: dict) -> bytes:
    """Strict JSON for the reply; numbers JSON cannot hold (NaN in a display's metadata, say)
    become null rather than breaking the protocol."""
    try:
        return encode(message)
    except (ValueError, RecursionError):
        pass
    try:
        text = json.dumps(message, allow_nan=True)
        return encode(json.loads(text, parse_constant=lambda _: None))
    except (ValueError, RecursionError):
        message = dict(message, outputs=[{
            "output_type": "stream", "name": "stderr",
            "text": "the grader could not record this cell's outputs\n"}])
        return encode(message)


def _serve_cells(cmd_fd: int, result_fd: int, shell: GradingShell, readers: dict[str, int],
                 limits: Limits) -> None:
    sink = OutputSink(limits.cell_output_bytes, limits.output_bytes)
    shell.attach(sink)
    while True:
        command = read_message(cmd_fd)
        if command is None or command.get("t") != "run":
            return
        index = command["i"]
        probes = [Probe.from_dict(p) for p in command.get("probes", [])]
        started = time.perf_counter()
        sink.begin_cell()
        count = None
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        try:
            result = shell.run_cell(command["source"], store_history=True)
            count = result.execution_count
            try:
                flush_figures()
            except Exception as exc:  # a figure that fails to draw is the cell's error
                shell.showtraceback((type(exc), exc, exc.__traceback__))
        except BaseException as exc:  # KeyboardInterrupt outside IPython's own handling, ...
            sink.error(type(exc).__name__, clean_text(str(exc), 2000),
                       [describe_exception(exc)])
        observations = []
        try:
            if probes:
                observations = [o.to_dict() for o in observe_all(shell.user_ns, probes)]
        except BaseException:
            observations = []
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        while signal.sigtimedwait({signal.SIGINT}, 0) is not None:
            pass  # an interrupt that arrived as the cell ended is not the next cell's
        _drain_fd_output(readers, sink)
        outputs = sink.end_cell()
        reply = {"t": "done", "i": index, "outputs": outputs, "n": count,
                 "s": time.perf_counter() - started, "obs": observations}
        data = memoryview(_encode_reply(reply))
        while data:
            data = data[os.write(result_fd, data):]
