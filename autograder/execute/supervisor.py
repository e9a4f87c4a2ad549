"""Runs one job: forks the sandboxed child, enforces limits from outside, returns a record.

Timeouts are enforced here, by SIGKILL to the child's whole process group (and, as root, to every
process of the sandbox user), so a student cannot catch, ignore or outlive them. Whatever the
child reported before it stopped is kept: cells that ran keep their outputs and points.
"""

from __future__ import annotations

import dataclasses
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Callable

from autograder.checks.observe import Observation
from autograder.execute import isolation
from autograder.execute.child import run_child
from autograder.execute.job import (
    COMPLETED,
    DIED,
    OUTPUT_LIMIT,
    PROTOCOL,
    TIMEOUT,
    WORKER_ERROR,
    CellResult,
    ExecutionRecord,
    Job,
    clean_output,
)
from autograder.execute.protocol import MessageBuffer, ProtocolError
from autograder.execute.shell import GradingShell

#: Slack on top of the output limit for JSON framing and observations.
PROTOCOL_SLACK = 8 * 1024 * 1024


def _prepare_scratch(job: Job, plan: isolation.SandboxPlan) -> str:
    scratch = tempfile.mkdtemp(prefix="autograder-job-")
    for name, data in job.files.items():
        target = os.path.realpath(os.path.join(scratch, name))
        if not target.startswith(scratch + os.sep):
            continue  # a path that escapes the scratch directory
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)
    if plan.uid is not None:
        for root, dirs, files in os.walk(scratch):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), plan.uid, plan.gid)
        os.chown(scratch, plan.uid, plan.gid)
    os.chmod(scratch, 0o700)
    return scratch


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        if sig == signal.SIGXCPU:
            return "the notebook used up its CPU time limit"
        return f"the notebook process was killed by {name} (out of memory, or a crash)"
    return f"the notebook process exited early with status {os.WEXITSTATUS(status)}"


class _Collector:
    """Builds the record from the child's messages, validating each one."""

    def __init__(self, job: Job):
        self.job = job
        self.cell_indices = {c.index for c in job.cells}
        self.probe_plan = {c.grade_id: {t.id for t in c.probes} for c in job.cells if c.probes}
        self.record = ExecutionRecord(status=COMPLETED)
        self.current: int | None = None
        self.current_started = 0.0
        self.ended = False

    def handle(self, message: dict, now: float) -> None:
        kind = message.get("t")
        if kind == "hello":
            self.record.isolation = str(message.get("isolation", ""))[:40]
        elif kind == "start":
            index = message.get("i")
            if index not in self.cell_indices:
                raise ProtocolError(f"unknown cell {index!r}")
            self.current, self.current_started = index, now
        elif kind == "cell":
            index = message.get("i")
            if index not in self.cell_indices:
                raise ProtocolError(f"unknown cell {index!r}")
            raw = message.get("outputs")
            outputs = [o for o in (clean_output(x) for x in raw) if o] \
                if isinstance(raw, list) else []
            count = message.get("n")
            self.record.cells[index] = CellResult(
                index=index, outputs=outputs,
                execution_count=count if isinstance(count, int) else None,
                seconds=float(message.get("s") or 0.0))
            self.current = None
        elif kind == "probe":
            grade_id = message.get("g")
            expected = self.probe_plan.get(grade_id)
            if expected is None or not isinstance(message.get("obs"), list):
                raise ProtocolError("unexpected observations")
            observations = {}
            for data in message["obs"]:
                obs = Observation.from_dict(data)
                if obs.trial_id in expected:
                    observations[obs.trial_id] = obs
            self.record.observations[grade_id] = observations
        elif kind == "end":
            self.ended = True
            rss = message.get("rss_mb")
            self.record.max_rss_mb = float(rss) if isinstance(rss, (int, float)) else 0.0
        elif kind == "fatal":
            reason = str(message.get("reason", ""))[:500]
            if self.record.isolation:  # the notebook was running: its own fault
                self.record.status = DIED
                self.record.reason = "the notebook process failed: " + reason
            else:  # the sandbox could not be set up: the grader's fault, not the student's
                self.record.status = WORKER_ERROR
                self.record.reason = "the grader could not set up the sandbox: " + reason
        else:
            raise ProtocolError(f"unknown message {kind!r}")


def job_plan(plan: isolation.SandboxPlan) -> isolation.SandboxPlan:
    """The plan of this job: as root, a user id of its own (100000 + this supervisor's pid), so
    cleaning up after it can never touch another job's processes."""
    if plan.uid is not None and plan.uid < 0:
        uid = 100000 + os.getpid()
        return dataclasses.replace(plan, uid=uid, gid=uid)
    return plan


def run_job(job: Job, plan: isolation.SandboxPlan, shell: GradingShell, baseline_bytes: int,
            deliver: Callable[[ExecutionRecord], None]) -> None:
    """Execute ``job`` in a sandboxed child of this process; ``deliver`` gets the record as soon
    as it is complete, before the (slower) cleanup of processes and files."""
    started = time.monotonic()
    plan = job_plan(plan)
    isolation.set_child_subreaper()
    scratch = _prepare_scratch(job, plan)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        run_child(job, write_fd, scratch, plan, shell, baseline_bytes)  # never returns
    os.close(write_fd)
    collector = _Collector(job)
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    delivered = False
    try:
        status = _collect(job, collector, read_fd, pid, pidfd, started)
        record = collector.record
        if record.status == COMPLETED:
            record.status = status
        exit_status = None
        if record.status != COMPLETED:  # stop it now: the reason may be in its exit status
            _stop(pid)
            exit_status = _reap(pid)
        if record.status == DIED and not record.reason:
            record.reason = _describe_exit(exit_status) if exit_status is not None else \
                "the notebook process stopped early"
        if record.status != COMPLETED:
            record.stopped_at = collector.current
        record.seconds = time.monotonic() - started
        deliver(record)
        delivered = True
    finally:
        _stop(pid)
        _reap(pid)
        if isolation.has_children():  # something escaped the process group: sweep for it
            isolation.kill_descendants(pid)
            if plan.uid is not None:
                isolation.kill_user_processes(plan.uid)
            _reap(pid)
        os.close(read_fd)
        if pidfd is not None:
            os.close(pidfd)
        shutil.rmtree(scratch, ignore_errors=True)
        if not delivered:
            raise RuntimeError("the supervisor failed before it had a record")


def _stop(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _collect(job: Job, collector: _Collector, read_fd: int, pid: int, pidfd: int | None,
             started: float) -> str:
    """Read the child's messages until it ends, dies, or breaks a limit; return the status."""
    limits = job.limits
    buffer = MessageBuffer(limits.output_bytes + PROTOCOL_SLACK)
    received = 0
    while True:
        now = time.monotonic()
        deadline = started + limits.total_timeout
        if collector.current is not None:
            deadline = min(deadline, collector.current_started + limits.cell_timeout)
        if now >= deadline:
            if collector.current is not None and \
                    now >= collector.current_started + limits.cell_timeout:
                collector.record.reason = (
                    f"a cell ran longer than the {limits.cell_timeout:g} s cell time limit "
                    "and was stopped")
            else:
                collector.record.reason = (f"the notebook ran longer than the "
                                           f"{limits.total_timeout:g} s limit and was stopped")
            return TIMEOUT
        watched = [read_fd] + ([pidfd] if pidfd is not None else [])
        ready, _, _ = select.select(watched, [], [], min(deadline - now,
                                                          0.25 if pidfd is None else 60))
        if read_fd in ready:
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                return COMPLETED if collector.ended else DIED
            received += len(chunk)
            if received > limits.output_bytes + PROTOCOL_SLACK:
                collector.record.reason = "the notebook produced more output than allowed"
                return OUTPUT_LIMIT
            try:
                for message in buffer.feed(chunk):
                    collector.handle(message, time.monotonic())
            except (ProtocolError, ValueError, TypeError, KeyError) as exc:
                collector.record.reason = f"the notebook process sent garbage ({exc})"
                return PROTOCOL
            if collector.ended:
                return COMPLETED
        elif (pidfd is not None and pidfd in ready) or (pidfd is None and _exited(pid)):
            # The child is gone; read whatever it wrote before dying.
            while select.select([read_fd], [], [], 0)[0]:
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                try:
                    for message in buffer.feed(chunk):
                        collector.handle(message, time.monotonic())
                except (ProtocolError, ValueError, TypeError, KeyError):
                    break
            return COMPLETED if collector.ended else DIED


def _exited(pid: int) -> bool:
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _reap(pid: int) -> int | None:
    """Wait for the child (if not reaped yet) and collect any other zombies; return the
    child's wait status."""
    status = None
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    isolation.reap_exited_children()
    return status
