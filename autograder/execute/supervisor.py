"""Runs one job, notebook by notebook, from outside the sandbox, and builds its record.

For each notebook the supervisor forks a sandbox (:mod:`.runner`), puts it in the job's control
group, sends it the files, and then drives it one cell at a time. It alone decides which cell
runs next and how long it may take; the notebook process only answers. Every answer must be the
one the plan expects next (``done`` for the cell just sent, with its probes' observations), and
every field is checked. Anything else (an unexpected, malformed, oversized or late message, a
process that dies) ends the notebook as the submission's own failure: the cells answered so far
keep their results, the others have none, and a test cell without a result scores nothing.

Time is measured here, never taken from the sandbox. A cell over its limit is interrupted as
nbgrader interrupts it (SIGINT, a ``CellTimeoutError`` output, then the next cell); one that does
not stop within the grace period, or a notebook over its own limit, is killed with its whole
PID namespace.
"""

from __future__ import annotations

import base64
import contextlib
import math
import os
import select
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable

from autograder.execute import sandbox
from autograder.execute.cgroups import Cgroups, JobGroup
from autograder.execute.job import (
    COMPLETED,
    DIED,
    OUT_OF_MEMORY,
    OUTPUT_LIMIT,
    PROTOCOL,
    TIMEOUT,
    WORKER_ERROR,
    CellResult,
    CellTask,
    ExecutionRecord,
    Job,
    Limits,
    NotebookRecord,
    NotebookTask,
    clean_output,
)
from autograder.execute.observe import Observation, skipped
from autograder.execute.protocol import MessageBuffer, ProtocolError, send_before
from autograder.execute.runner import run_notebook_process, run_pid_parent
from autograder.execute.shell import GradingShell

#: Seconds the sandbox may take to start (mounts, files) before the grader gives up on it.
SETUP_TIMEOUT = 60.0
#: Bytes one reply may carry beyond the cell's output budget: the probes' observations.
OBSERVATION_BUDGET = 64 * 1024 * 1024
#: Most outputs one cell may report.
MAX_OUTPUTS = 10_000
_DONE_FIELDS = {"t", "i", "outputs", "n", "s", "obs"}


class Violation(Exception):
    """The notebook process broke the protocol: the submission's own failure."""


def timeout_output(limit: float) -> dict:
    return {"output_type": "error", "ename": "CellTimeoutError", "evalue": "",
            "traceback": [f"CellTimeoutError: the cell ran longer than {limit:g} s and was "
                          "interrupted"]}


def describe_exit(status: int | None, out_of_memory: bool, memory_mb: int) -> tuple[str, str]:
    """(status, reason) for a notebook process that ended before the plan did."""
    if out_of_memory:
        return OUT_OF_MEMORY, (f"the notebook used more than the {memory_mb} MiB memory limit "
                               "and was stopped")
    if status is None:
        return DIED, "the notebook process stopped early"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return TIMEOUT, "the notebook used up its CPU time limit"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        return DIED, f"the notebook process was killed by {name} (out of memory, or a crash)"
    return DIED, f"the notebook process exited early with status {os.WEXITSTATUS(status)}"


class NotebookRun:
    """The conversation with one notebook's sandbox."""

    def __init__(self, task: NotebookTask, limits: Limits, cmd_fd: int, result_fd: int,
                 pid: int, started: float, control_fd: int | None = None):
        """``control_fd``: the PID-namespace parent's report, when the notebook process is not
        the supervisor's own child."""
        self.task = task
        self.limits = limits
        self.cmd_fd = cmd_fd
        self.result_fd = result_fd
        self.control_fd = control_fd
        self.pid = pid
        self.started = started
        self.deadline = started + limits.notebook_timeout
        self.record = NotebookRecord(task.name)
        self.buffer = MessageBuffer(limits.cell_output_bytes + OBSERVATION_BUDGET)
        self.control = MessageBuffer(1 << 16)
        self.received = 0
        #: The notebook process's wait status, once the sandbox process reported it.
        self.exit_status: int | None = None
        self.exited = False
        self.isolation: dict = {}
        self.pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(pid)

    def signal(self, sig: int) -> None:
        """Signal the notebook process (through a pidfd: never a recycled process id)."""
        if self.exited:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, sig)
            else:
                os.kill(self.pid, sig)

    @property
    def _death_fd(self) -> int | None:
        """Readable when the notebook process has ended."""
        return self.control_fd if self.control_fd is not None else self.pidfd

    def _learn_exit(self) -> None:
        """How the notebook process ended: from its parent's report, or by waiting for it."""
        if self.control_fd is not None:
            chunk = os.read(self.control_fd, 1 << 16)
            messages = self.control.feed(chunk) if chunk else []
            for message in messages:
                if message.get("t") == "exited" and type(message.get("status")) is int:
                    self.exit_status = message["status"]
        else:
            with contextlib.suppress(ChildProcessError):
                _, self.exit_status = os.waitpid(self.pid, 0)
        self.exited = True

    # -- waiting for the one message expected next --------------------------------------------
    def _receive(self, until: float) -> dict | None:
        """The next message, or None when ``until`` passed. Raises Violation for garbage and
        ChildProcessError when the notebook process is gone."""
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return None
            watched = [self.result_fd] + ([self._death_fd] if self._death_fd is not None else [])
            try:
                ready, _, _ = select.select(watched, [], [], min(remaining, 0.25))
            except InterruptedError:
                continue
            if not ready and self._death_fd is None and _exited(self.pid):
                ready = [None]
            if self.result_fd in ready:
                chunk = os.read(self.result_fd, 1 << 20)
                if not chunk:
                    raise ChildProcessError("the notebook process closed its channel")
                self.received += len(chunk)
                if self.received > self.limits.output_bytes + OBSERVATION_BUDGET * 4:
                    raise _OutputLimit()
                try:
                    messages = self.buffer.feed(chunk)
                except ProtocolError as exc:
                    raise Violation(str(exc)) from None
                if len(messages) > 1 or (messages and self.buffer.pending):
                    raise Violation("it sent a message the grader did not ask for")
                if messages:
                    return messages[0]
            elif ready:
                self._learn_exit()
                # Gone: take whatever it wrote before it died.
                while select.select([self.result_fd], [], [], 0)[0]:
                    chunk = os.read(self.result_fd, 1 << 20)
                    if not chunk:
                        break
                    try:
                        messages = self.buffer.feed(chunk)
                    except ProtocolError:
                        break
                    if len(messages) == 1 and not self.buffer.pending:
                        return messages[0]
                    break
                raise ChildProcessError("the notebook process ended")

    def _send(self, message: dict) -> bool:
        return send_before(self.cmd_fd, message, min(self.deadline, time.monotonic() + 30))

    # -- checking one reply -------------------------------------------------------------------
    def _check_done(self, message: dict, cell: CellTask, seconds: float) -> CellResult:
        if message.get("t") != "done" or set(message) != _DONE_FIELDS:
            raise Violation(f"it sent {str(message.get('t'))[:20]!r} when the grader expected "
                            "the end of a cell")
        if message["i"] != cell.index or type(message["i"]) is not int:
            raise Violation("it answered for a cell the grader did not run")
        outputs = message["outputs"]
        if not isinstance(outputs, list) or len(outputs) > MAX_OUTPUTS:
            raise Violation("its outputs are not a list")
        count = message["n"]
        if count is not None and not (type(count) is int and count >= 0):
            raise Violation("its execution count is not a number")
        reported = message["s"]
        if not isinstance(reported, (int, float)) or isinstance(reported, bool) \
                or not math.isfinite(reported):
            raise Violation("its cell time is not a number")
        raw_obs = message["obs"]
        if not isinstance(raw_obs, list) or len(raw_obs) != len(cell.probes):
            raise Violation("it did not return the observations the checks asked for")
        observations = {}
        for probe, data in zip(cell.probes, raw_obs, strict=True):
            try:
                obs = Observation.from_dict(data)
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                raise Violation(f"an observation is malformed ({exc})") from None
            if obs.probe_id != probe.id:
                raise Violation("an observation belongs to a call the grader did not ask for")
            if obs.skipped != skipped(probe, observations):
                raise Violation("it skipped a call the grader asked for, or made one it did not")
            observations[probe.id] = obs
        cleaned = [o for o in (clean_output(x) for x in outputs) if o is not None]
        return CellResult(index=cell.index, outputs=cleaned, execution_count=count,
                          seconds=seconds, observations=observations)

    # -- the plan -----------------------------------------------------------------------------
    def run(self) -> NotebookRecord:
        record = self.record
        current: CellTask | None = None
        try:
            ready = self._receive(min(self.deadline, time.monotonic() + SETUP_TIMEOUT))
            if ready is None:
                return self._stop(WORKER_ERROR, "the sandbox did not start in time", None)
            if ready.get("t") == "failed":  # before any student code: the grader's own problem
                return self._stop(WORKER_ERROR, "the grader could not set up the sandbox: "
                                  f"{str(ready.get('reason'))[:300]}", None)
            if ready.get("t") != "ready" or set(ready) != {"t", "isolation"} \
                    or not isinstance(ready["isolation"], dict):
                raise Violation("it did not start as expected")
            self.isolation = {k: v for k, v in ready["isolation"].items()
                              if k in ("namespaces", "user_namespace", "proc", "error")
                              and isinstance(v, (bool, str))}
            for cell in self.task.cells:
                current = cell
                if time.monotonic() >= self.deadline:
                    return self._notebook_timeout(cell)
                if not self._send({"t": "run", "i": cell.index, "source": cell.source,
                                   "probes": [p.as_dict() for p in cell.probes]}):
                    return self._notebook_timeout(cell) if time.monotonic() >= self.deadline \
                        else self._stop(PROTOCOL, "the notebook process stopped reading", cell)
                result = self._run_cell(cell)
                if result is None:
                    return record
                record.cells[cell.index] = result
            return record
        except Violation as exc:
            return self._stop(PROTOCOL, f"the notebook process broke the grading protocol: "
                                        f"{exc}", current)
        except _OutputLimit:
            return self._stop(OUTPUT_LIMIT, "the notebook produced more output than allowed",
                              current)
        except ChildProcessError:
            return self._stop(DIED, "", current)

    def _run_cell(self, cell: CellTask) -> CellResult | None:
        started = time.monotonic()
        cell_deadline = started + self.limits.cell_timeout
        interrupted = False
        while True:
            until = min(cell_deadline, self.deadline)
            message = self._receive(until)
            if message is not None:
                result = self._check_done(message, cell, time.monotonic() - started)
                if interrupted:
                    result.interrupted = True
                    result.outputs.append(timeout_output(self.limits.cell_timeout))
                return result
            now = time.monotonic()
            if now >= self.deadline:
                self._notebook_timeout(cell)
                return None
            if not interrupted:  # nbgrader's behaviour: interrupt, then go on
                interrupted = True
                self.signal(signal.SIGINT)
                cell_deadline = now + self.limits.interrupt_grace
                continue
            self._stop(TIMEOUT, f"a cell ran longer than the {self.limits.cell_timeout:g} s cell "
                                "time limit and did not stop when interrupted", cell)
            return None

    def _notebook_timeout(self, cell: CellTask) -> NotebookRecord:
        return self._stop(TIMEOUT, f"the notebook ran longer than the "
                                   f"{self.limits.notebook_timeout:g} s limit and was stopped",
                          cell)

    def _stop(self, status: str, reason: str, cell: CellTask | None) -> NotebookRecord:
        self.record.status = status
        self.record.reason = reason
        self.record.stopped_at = cell.index if cell is not None else None
        return self.record

    def end(self) -> None:
        """Kill the notebook process (its PID namespace goes with it) and learn how it ended."""
        self.signal(signal.SIGKILL)
        if self.control_fd is None:
            if not self.exited:
                self._learn_exit()
            return
        until = time.monotonic() + 10
        while not self.exited and time.monotonic() < until:
            if select.select([self.control_fd], [], [], until - time.monotonic())[0]:
                self._learn_exit()

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


class _OutputLimit(Exception):
    pass


def _exited(pid: int) -> bool:
    """Whether our child ``pid`` has ended (without reaping it)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _read_control(fd: int, until: float) -> dict | None:
    buffer = MessageBuffer(1 << 20)
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], until - time.monotonic())
        if not ready:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None
        try:
            messages = buffer.feed(chunk)
        except ProtocolError:
            return None
        if messages:
            return messages[0]
    return None


def _reap_strays(namespaces: bool, sandbox_pid: int | None, notebook_pid: int | None) -> None:
    """Wait for the sandbox process. Without a PID namespace, processes the notebook started
    may have escaped its process group; as the supervisor is a subreaper, those orphaned are
    ours now: kill and reap them all."""
    if not namespaces and notebook_pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(notebook_pid, signal.SIGKILL)
    if sandbox_pid is not None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(sandbox_pid, 0)
    while True:
        try:
            waited, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if waited == 0:
            if namespaces:
                return
            _kill_children()
            time.sleep(0.005)
            continue


def _kill_children() -> None:
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry), signal.SIGKILL)


def run_notebook(task: NotebookTask, files: dict[str, bytes], limits: Limits,
                 plan: sandbox.SandboxPlan, shell: GradingShell, baseline_bytes: int,
                 cgroups: Cgroups | None, uid: int | None, name: str, direct: bool = False,
                 placed: JobGroup | None = None
                 ) -> tuple[NotebookRecord, dict, Callable[[], None]]:
    """Run one notebook in a sandbox of its own; returns its record, what isolation held, and
    the cleanup to call once the record is on its way (killing, reaping, removing take a few
    milliseconds nobody needs to wait for).

    ``direct``: the calling process forks the notebook process itself, entering the new PID
    namespace for its children: cheaper by a fork, but possible once per process only (the
    last notebook a supervisor runs).

    ``placed``: the control group this process was born in (:meth:`Cgroups.wait_in_next`); the
    notebook is born there too, and this process leaves it while the notebook runs."""
    started = time.monotonic()
    box = _NotebookSandbox(task, files, limits, plan, shell, baseline_bytes, cgroups, uid, name,
                           direct, placed)
    try:
        record, isolation = box.execute(started)
    except BaseException:
        box.cleanup()
        raise
    record.seconds = time.monotonic() - started
    return record, isolation, box.cleanup


class _NotebookSandbox:
    """The resources of one notebook's run: pipes, processes, a control group, a mount point."""

    def __init__(self, task: NotebookTask, files: dict[str, bytes], limits: Limits,
                 plan: sandbox.SandboxPlan, shell: GradingShell, baseline_bytes: int,
                 cgroups: Cgroups | None, uid: int | None, name: str, direct: bool,
                 placed: JobGroup | None = None):
        self.task, self.files, self.limits, self.plan = task, files, limits, plan
        self.shell, self.baseline_bytes, self.uid = shell, baseline_bytes, uid
        self.direct = direct
        self.cgroups = cgroups
        self.leaving: threading.Thread | None = None  # see _get_ready_to_leave
        self._forked: threading.Event | None = None
        self._left = False
        self.mountpoint = tempfile.mkdtemp(prefix="autograder-root-")
        if uid is not None:
            os.chown(self.mountpoint, uid, uid)
        self.fds: list[int] = []
        self.group = None
        self.placed = False
        if placed is not None and cgroups is not None:
            # this process, the thread that moves it out and the worker (which moves on to the
            # next job's group) count until they are out
            placed.limit(limits.memory_mb * 1024 * 1024, limits.max_processes + 3)
            self.group, self.placed = placed, True
        elif cgroups is not None and cgroups.available:
            self.group = cgroups.job(name, limits.memory_mb * 1024 * 1024, limits.max_processes)
        self.parent_pid: int | None = None  # the PID-namespace parent, when there is one
        self.run: NotebookRun | None = None
        self.isolation: dict = {}

    def _start(self, cmd_r: int, res_w: int) -> tuple[int, int | None] | str:
        """Fork the notebook process (through a PID-namespace parent unless ``direct``);
        returns its pid and the parent's control pipe, or why it could not start."""
        self._get_ready_to_leave()  # before the PID namespace: no thread can be started after
        if self.direct:
            achieved = sandbox.enter_pid_namespace(self.plan)
            pid = os.fork()
            if pid == 0:
                run_notebook_process(cmd_r, res_w, self.plan, self.shell, self.baseline_bytes,
                                     self.mountpoint, achieved)
            self._into_group(pid)
            return pid, None
        ctl_r, ctl_w = os.pipe()
        self.fds.append(ctl_r)
        self.parent_pid = os.fork()
        if self.parent_pid == 0:
            run_pid_parent(cmd_r, res_w, ctl_w, self.plan, self.shell, self.baseline_bytes,
                           self.mountpoint)
        os.close(ctl_w)
        self._into_group(self.parent_pid)
        control = _read_control(ctl_r, time.monotonic() + SETUP_TIMEOUT)
        if not control or control.get("t") != "started" or type(control.get("pid")) is not int:
            return str(control.get("reason", ""))[:300] if control else "no answer"
        return control["pid"], ctl_r

    def _get_ready_to_leave(self) -> None:
        """Born in the notebook's control group: a thread that moves this process out once
        the notebook is forked (the move takes the kernel milliseconds; the notebook need not
        wait). Started now: after entering a PID namespace no thread can be started."""
        if not self.placed:
            return
        forked = threading.Event()

        def leave_once_forked() -> None:
            forked.wait()
            self._leave_group()

        leaving = threading.Thread(target=leave_once_forked, daemon=True)
        try:
            leaving.start()
        except RuntimeError:  # no thread to be had: leave after the fork
            return
        self.leaving, self._forked = leaving, forked

    def _into_group(self, pid: int) -> None:
        """The notebook's tree into its control group: born there (this process then leaves,
        see _get_ready_to_leave), or moved there now."""
        if self.placed:
            self._let_go()
        elif self.group is not None:
            self.group.add(pid)

    def _let_go(self) -> None:
        """Leave the group: through the waiting thread if there is one, else now."""
        if self.leaving is not None:
            self._forked.set()
        else:
            self._leave_group()

    def _leave_group(self) -> None:
        if self._left:
            return
        self._left = True
        self.cgroups.leave()
        with contextlib.suppress(OSError):
            self.group.limit_processes(self.limits.max_processes)

    def execute(self, started: float) -> tuple[NotebookRecord, dict]:
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        self.fds += [cmd_w, res_r]
        try:
            begun = self._start(cmd_r, res_w)
        finally:
            os.close(cmd_r)
            os.close(res_w)
        if isinstance(begun, str):
            record = NotebookRecord(self.task.name, status=WORKER_ERROR,
                                    reason=f"the grader could not set up the sandbox: {begun}")
            return record, {"namespaces": False, "error": begun}
        pid, control_fd = begun
        limits, uid = self.limits, self.uid
        self.run = NotebookRun(self.task, limits, cmd_w, res_r, pid, started, control_fd)
        os.set_blocking(cmd_w, False)
        setup = {"t": "setup", "limits": limits.as_dict(), "uid": uid, "gid": uid,
                 "files": {k: base64.b64encode(v).decode("ascii")
                           for k, v in self.files.items()}}
        if send_before(cmd_w, setup, time.monotonic() + SETUP_TIMEOUT):
            record = self.run.run()
        else:
            record = self.run._stop(WORKER_ERROR, "the grader could not set up the sandbox: "
                                                  "it did not take its setup", None)
        self.isolation = dict(self.run.isolation)
        self.isolation["cgroup"] = self.group is not None
        self.isolation["user"] = "own user" if uid is not None else (
            "user namespace" if self.isolation.get("user_namespace") else "grader's user")
        os.close(cmd_w)  # end of the plan: the notebook process reads end of file and exits
        self.fds.remove(cmd_w)
        if record.status == DIED:  # how it died is part of the record: wait to learn it
            self.run.end()
            oom = self.group.out_of_memory() if self.group is not None else False
            record.status, reason = describe_exit(self.run.exit_status, oom, limits.memory_mb)
            record.reason = record.reason or reason
        if self.group is not None:
            record.peak_memory_mb = round(self.group.peak_memory_mb(), 1)
        return record, self.isolation

    def cleanup(self) -> None:
        if self.run is not None:
            self.run.end()
            self.run.close()
        if self.placed:  # out of the group before it is emptied and removed (even if no
            self._let_go()  # notebook was forked)
            if self.leaving is not None:
                self.leaving.join()
        if self.group is not None:
            self.group.remove()
        _reap_strays(bool(self.isolation.get("namespaces")), self.parent_pid,
                     self.run.pid if self.run is not None else None)
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []
        shutil.rmtree(self.mountpoint, ignore_errors=True)


def job_user(plan: sandbox.SandboxPlan) -> int | None:
    """As root: a user id of this job's own (100000 + this supervisor's pid), so that nothing it
    leaves can touch another job."""
    return 100000 + os.getpid() if plan.user_per_job else None


def run_job(job: Job, plan: sandbox.SandboxPlan, shell: GradingShell, baseline_bytes: int,
            cgroups: Cgroups | None, deliver: Callable[[ExecutionRecord], None],
            born_in: JobGroup | None = None) -> None:
    """Run every notebook of ``job``, each in a fresh sandbox, and deliver the record.
    ``born_in``: the group this supervisor was born in, for its first notebook."""
    started = time.monotonic()
    sandbox.set_child_subreaper()
    uid = job_user(plan)
    record = ExecutionRecord(status=COMPLETED)
    cleanup = None
    for n, task in enumerate(job.notebooks):
        if cleanup is not None:
            cleanup()
        notebook, isolation, cleanup = run_notebook(
            task, job.files, job.limits, plan, shell, baseline_bytes, cgroups, uid,
            f"job-{os.getpid()}-{n}", direct=len(job.notebooks) == 1,
            placed=born_in if n == 0 else None)
        record.notebooks[task.name] = notebook
        if not record.isolation:
            record.isolation = isolation
        if notebook.status == WORKER_ERROR:
            record.status, record.reason = WORKER_ERROR, notebook.reason
            break
        if notebook.status != COMPLETED and record.status == COMPLETED:
            record.status, record.reason = notebook.status, notebook.reason
    record.seconds = time.monotonic() - started
    try:
        deliver(record)  # first the record, then the cleanup, while the next job already runs
    finally:
        if cleanup is not None:
            cleanup()
