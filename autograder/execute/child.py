"""Inside the sandbox: confine the process, run the cells, report plain data, exit.

Runs in a fresh fork of the warm worker. Everything it sends goes through one pipe as
length-prefixed JSON; the supervisor on the other end treats it as untrusted.
"""

from __future__ import annotations

import os
import sys
import time

from autograder.checks.observe import observe
from autograder.execute import isolation
from autograder.execute.job import Job
from autograder.execute.mplbackend import flush_figures
from autograder.execute.protocol import write_message
from autograder.execute.shell import GradingShell
from autograder.execute.sink import OutputSink


def _close_inherited_fds(keep: set[int]) -> None:
    """Close everything inherited from the grader (its pipes to the coordinator included)."""
    fds = [int(fd) for fd in os.listdir("/proc/self/fd") if fd.isdigit()]
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _redirect_std_fds(scratch: str) -> dict[str, int]:
    """stdin from /dev/null; fd 1 and 2 into files, read back as stream outputs after each cell."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    readers = {}
    for fd, name in ((1, "stdout"), (2, "stderr")):
        path = os.path.join(scratch, f".fd-{name}")
        write_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(write_fd, fd)
        os.close(write_fd)
        readers[name] = os.open(path, os.O_RDONLY)
    return readers


def _drain_fd_output(readers: dict[str, int], sink: OutputSink) -> None:
    for name, fd in readers.items():
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            sink.stream(name, chunk.decode("utf-8", errors="replace"))
            if sink.cell_left <= 0:
                os.lseek(fd, 0, os.SEEK_END)
                break


def run_child(job: Job, result_fd: int, scratch: str, plan: isolation.SandboxPlan,
              shell: GradingShell, baseline_bytes: int) -> None:
    """Confine this process, execute the job's cells, and exit without returning."""
    try:
        os.setsid()
        _close_inherited_fds({result_fd})
        achieved = isolation.enter_namespaces(plan, scratch)
        limits = job.limits
        isolation.apply_limits(
            memory_bytes=baseline_bytes + limits.memory_mb * 1024 * 1024,
            file_bytes=limits.file_mb * 1024 * 1024,
            max_processes=limits.max_processes if plan.uid is not None else None,
            cpu_seconds=int(limits.total_timeout) + 5)
        os.chdir(scratch)
        if plan.uid is not None:
            isolation.drop_privileges(plan.uid, plan.gid)
            achieved += "+user"
        env = {"HOME": scratch, "TMPDIR": scratch, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "LANG": "C.UTF-8", "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg",
               "AUTOGRADER_RENDER_FIGURES": "1" if limits.render_figures else "0"}
        env.update(plan.extra_env)
        os.environ.clear()
        os.environ.update(env)
        sys.path[:] = [p for p in sys.path
                       if p and not any(p == h or p.startswith(h + os.sep)
                                        for h in plan.hidden_paths)]
        readers = _redirect_std_fds(scratch)
        write_message(result_fd, {"t": "hello", "isolation": achieved})
        _run_cells(job, result_fd, shell, readers)
        import resource

        write_message(result_fd, {"t": "end", "rss_mb": resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1024})
    except BaseException as exc:  # report, never raise: this process must not return
        try:
            write_message(result_fd, {"t": "fatal", "reason": f"{type(exc).__name__}: {exc}"})
        except Exception:
            pass
    finally:
        os._exit(0)


def _run_cells(job: Job, result_fd: int, shell: GradingShell, readers: dict[str, int]) -> None:
    sink = OutputSink(job.limits.cell_output_bytes, job.limits.output_bytes)
    shell.attach(sink)
    for cell in job.cells:
        write_message(result_fd, {"t": "start", "i": cell.index})
        started = time.perf_counter()
        sink.begin_cell()
        result = shell.run_cell(cell.source, store_history=True)
        try:
            flush_figures()
        except Exception as exc:  # a figure that fails to draw is the cell's error
            shell.showtraceback((type(exc), exc, exc.__traceback__))
        _drain_fd_output(readers, sink)
        outputs = sink.end_cell()
        if cell.probes:
            func = shell.user_ns.get(cell.probes[0].function)
            observations = [observe(func, trial).to_dict() for trial in cell.probes]
            _drain_fd_output(readers, OutputSink(0, 0))  # discard what the probes printed
            write_message(result_fd, {"t": "probe", "g": cell.grade_id, "obs": observations})
        write_message(result_fd, {"t": "cell", "i": cell.index, "outputs": outputs,
                                  "n": result.execution_count,
                                  "s": time.perf_counter() - started})
