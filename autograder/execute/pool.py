"""Workers that execute jobs: local warm processes, or the same on the workers of a Dask cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict

from autograder.execute.isolation import SandboxPlan
from autograder.execute.job import WORKER_ERROR, ExecutionRecord, Job
from autograder.execute.protocol import ProtocolError, read_message, write_message

_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "VIRTUAL_ENV", "PYTHONPATH", "TMPDIR")


class WorkerError(RuntimeError):
    """A worker process could not be started or stopped answering."""


class Worker:
    """One warm zygote process and the pipes to it."""

    def __init__(self, plan: SandboxPlan):
        self.plan = plan
        self.process: subprocess.Popen | None = None
        self.info: dict = {}

    def start(self) -> Worker:
        # A minimal environment: whatever the grader's own holds (database passwords, tokens)
        # must not be readable from /proc/self/environ inside the sandbox.
        env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
        env["AUTOGRADER_SANDBOX_PLAN"] = json.dumps(asdict(self.plan))
        env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.execute.zygote"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env, close_fds=True)
        message = read_message(self.process.stdout.fileno())
        if not message or message.get("t") != "ready":
            self.close()
            raise WorkerError("a grading worker failed to start")
        if message.get("solutions_loaded"):
            self.close()
            raise WorkerError("the grading worker imported the reference solution; refusing to "
                              "run student code next to it")
        self.info = message
        return self

    def run(self, job: Job) -> ExecutionRecord:
        """Execute one job; a worker that dies is restarted and the job recorded as failed."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        try:
            write_message(self.process.stdin.fileno(), job.as_dict())
            data = read_message(self.process.stdout.fileno())
            if data is None:
                raise ProtocolError("the worker exited")
            return ExecutionRecord.from_dict(data)
        except (OSError, ProtocolError, KeyError, ValueError, TypeError) as exc:
            self.close()
            return ExecutionRecord(status=WORKER_ERROR, reason=f"the grading worker failed: {exc}")

    def close(self) -> None:
        if self.process is None:
            return
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            self.process.stdout.close()
            self.process = None


class LocalPool:
    """N warm workers on this machine, fed from one queue."""

    def __init__(self, plans: list[SandboxPlan]):
        self.plans = plans
        self.workers: list[Worker] = []

    def __enter__(self) -> LocalPool:
        with ThreadPoolExecutor(len(self.plans)) as starter:
            self.workers = list(starter.map(lambda plan: Worker(plan).start(), self.plans))
        return self

    def __exit__(self, *exc) -> None:
        for worker in self.workers:
            worker.close()

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, ExecutionRecord]]:
        """Yield (job, record) pairs as they finish.

        Jobs are pulled lazily, in the calling thread, only when a worker is free: preparing a
        job may touch the gradebook, which belongs to the caller's thread.
        """
        source = iter(jobs)
        idle = list(self.workers)
        running: dict[Future, tuple[Worker, Job]] = {}
        with ThreadPoolExecutor(len(self.workers)) as threads:
            exhausted = False
            while True:
                while idle and not exhausted:
                    job = next(source, None)
                    if job is None:
                        exhausted = True
                        break
                    worker = idle.pop()
                    running[threads.submit(worker.run, job)] = (worker, job)
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    worker, job = running.pop(future)
                    idle.append(worker)
                    yield job, future.result()
