"""Workers that execute jobs: local warm processes, or the same on the workers of a Dask cluster."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from autograder.execute.job import WORKER_ERROR, ExecutionRecord, Job
from autograder.execute.protocol import ProtocolError, read_message, write_message
from autograder.execute.sandbox import SandboxPlan

_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "VIRTUAL_ENV", "PYTHONPATH", "TMPDIR")


class WorkerError(RuntimeError):
    """A worker process could not be started or stopped answering."""


class Worker:
    """One warm zygote process and the pipes to it.

    A worker is either a process the coordinator started, or a sibling forked by such a process
    once it was warm (see :meth:`spawn`): the coordinator then holds only its pipes and pid.
    """

    def __init__(self, plan: SandboxPlan, forbidden_modules: tuple[str, ...] = (),
                 warm_notebooks: tuple[str, ...] | list[str] = ()):
        self.plan = plan
        self.forbidden_modules = forbidden_modules
        self.warm_notebooks = tuple(warm_notebooks)  # see autograder.execute.shell.WarmCells
        self.process: subprocess.Popen | None = None
        self.stdin = None  # jobs go out here
        self.stdout = None  # records come back here
        self.info: dict = {}

    def start(self) -> Worker:
        """Start the worker and wait until it is warm (a couple of seconds: imports)."""
        return self.spawn().wait_ready()

    def spawn(self, siblings: list[Worker] = ()) -> Worker:
        """Start the worker process without waiting for it to be ready; once warm, it forks one
        sibling for each of ``siblings``, which then talk through their own pipes."""
        # A minimal environment: whatever the grader's own holds (database passwords, tokens)
        # must not be readable from /proc/self/environ inside the sandbox.
        env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
        env["AUTOGRADER_SANDBOX_PLAN"] = json.dumps(self.plan.as_dict())
        env["AUTOGRADER_FORBIDDEN_MODULES"] = ",".join(self.forbidden_modules)
        env["AUTOGRADER_WARM_NOTEBOOKS"] = os.pathsep.join(self.warm_notebooks)
        env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"})
        theirs: list[tuple[int, int]] = []
        for sibling in siblings:
            jobs_in, jobs_out = os.pipe()
            records_in, records_out = os.pipe()
            sibling.stdin = os.fdopen(jobs_out, "wb", buffering=0)
            sibling.stdout = os.fdopen(records_in, "rb", buffering=0)
            theirs.append((jobs_in, records_out))
        env["AUTOGRADER_SIBLINGS"] = ";".join(f"{a},{b}" for a, b in theirs)
        passed = [fd for pair in theirs for fd in pair]
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "autograder.execute.zygote"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, env=env, close_fds=True, pass_fds=passed)
        finally:
            for fd in passed:
                os.close(fd)
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        return self

    def wait_ready(self) -> Worker:
        try:
            message = read_message(self.stdout.fileno())
        except ProtocolError:
            message = None
        if not message or message.get("t") != "ready":
            self.close()
            raise WorkerError("a grading worker failed to start")
        if message.get("forbidden_loaded"):
            self.close()
            raise WorkerError(f"the grading worker imported {message['forbidden_loaded']}; "
                              "refusing to run student code next to the checks")
        self.info = message
        return self

    @property
    def isolation(self) -> dict:
        """What the worker's sandbox achieved when it started (see zygote.probe_isolation)."""
        return dict(self.info.get("isolation") or {})

    def _alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.stdout is not None

    def run(self, job: Job) -> ExecutionRecord:
        """Execute one job; a worker that dies is restarted and the job recorded as failed."""
        if not self._alive():
            self.close()
            self.start()
        try:
            write_message(self.stdin.fileno(), job.as_dict())
            data = read_message(self.stdout.fileno())
            if data is None:
                raise ProtocolError("the worker exited")
            return ExecutionRecord.from_dict(data)
        except (OSError, ProtocolError, KeyError, ValueError, TypeError) as exc:
            self.close()
            return ExecutionRecord(status=WORKER_ERROR, reason=f"the grading worker failed: {exc}")

    def end_of_jobs(self) -> None:
        """Tell the worker no job follows (it finishes its cleanup and exits); see close."""
        if self.stdin is not None and self.info:
            with contextlib.suppress(OSError):
                self.stdin.close()

    def close(self) -> None:
        """Stop the worker: end of its jobs, then up to 10 s to finish its last cleanup."""
        if self.stdout is None:
            return
        pid = self.info.get("pid")
        if self.process is not None and not self.info:  # still warming up, never used
            self.process.kill()
        try:
            self.stdin.close()
            if self.process is not None:
                self.process.wait(timeout=10)
            elif not _wait_for_eof(self.stdout.fileno(), 10) and pid:
                _kill(pid)
        except (OSError, subprocess.TimeoutExpired):
            if self.process is not None:
                self.process.kill()
                self.process.wait()
            elif pid:
                _kill(pid)
        finally:
            self.stdout.close()
            self.process = self.stdin = self.stdout = None


def _wait_for_eof(fd: int, seconds: float) -> bool:
    """Read and drop until end of file (a sibling closed its last copy); False on timeout."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready and not os.read(fd, 65536):
            return True
    return False


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


class LocalPool:
    """N warm workers on this machine, fed from one queue."""

    def __init__(self, plan: SandboxPlan, workers: int, forbidden_modules: tuple[str, ...] = (),
                 warm_notebooks: tuple[str, ...] | list[str] = ()):
        self.plan = plan
        self.count = max(1, workers)
        self.forbidden_modules = forbidden_modules
        self.warm_notebooks = tuple(warm_notebooks)
        self.workers: list[Worker] = []
        self._ready = False

    def __enter__(self) -> LocalPool:
        """Start the workers warming up; they become ready while the caller does other work."""
        self.workers = [Worker(self.plan, self.forbidden_modules, self.warm_notebooks)
                        for _ in range(self.count)]
        self.workers[0].spawn(siblings=self.workers[1:])
        self._ready = False
        return self

    def _wait_ready(self) -> None:
        if not self._ready:
            with ThreadPoolExecutor(len(self.workers)) as waiter:
                list(waiter.map(Worker.wait_ready, self.workers))
            self._ready = True

    def isolation(self) -> dict:
        """What the sandbox achieves on this machine (waits for the workers to be warm)."""
        self._wait_ready()
        return self.workers[0].isolation

    def __exit__(self, *exc) -> None:
        for worker in self.workers:  # all at once: each finishes its last cleanup in parallel
            worker.end_of_jobs()
        for worker in self.workers:
            worker.close()

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, ExecutionRecord]]:
        """Yield (job, record) pairs as they finish.

        Jobs are pulled lazily in the calling thread (preparing one may touch the gradebook,
        which belongs to that thread), one ahead of need: a worker that finishes gets the next
        job at once, before the caller spends time on the finished one.
        """
        self._wait_ready()
        source = iter(jobs)
        ahead: deque[Job] = deque()

        def pull() -> Job | None:
            return ahead.popleft() if ahead else next(source, None)

        idle = list(self.workers)
        running: dict[Future, tuple[Worker, Job]] = {}
        with ThreadPoolExecutor(len(self.workers)) as threads:
            while True:
                while idle and (job := pull()) is not None:
                    worker = idle.pop()
                    running[threads.submit(worker.run, job)] = (worker, job)
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                done = []
                for future in finished:
                    worker, job = running.pop(future)
                    nxt = pull()
                    if nxt is None:
                        idle.append(worker)
                    else:
                        running[threads.submit(worker.run, nxt)] = (worker, nxt)
                    done.append((job, future.result()))
                if not ahead and (job := next(source, None)) is not None:
                    ahead.append(job)
                yield from done
