"""Execute jobs on a Dask distributed cluster (``grade --scheduler tcp://HOST:PORT``).

Each Dask worker process keeps warm grading workers of its own, one per thread, started by a
worker plugin; a task hands one job (plain JSON-able data) to one of them and returns the plain
record. The coordinator still judges and writes the gradebook. Dask serialises only these plain
dictionaries between trusted processes; nothing from a student's process is ever unpickled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from queue import Queue

from distributed import Client, WorkerPlugin, as_completed, get_worker

from autograder.execute.job import WORKER_ERROR, ExecutionRecord, Job
from autograder.execute.pool import Worker
from autograder.execute.sandbox import SandboxPlan

PLUGIN_NAME = "autograder-workers"


class GradingWorkers(WorkerPlugin):
    """Warm grading workers living inside a Dask worker process."""

    def __init__(self, plan: SandboxPlan, forbidden_modules: tuple[str, ...] = ()):
        self.plan = plan
        self.forbidden_modules = forbidden_modules
        self.jobs_run = 0
        self.report: dict = {}

    def setup(self, worker) -> None:
        self.idle: Queue = Queue()
        for _ in range(max(1, worker.state.nthreads)):
            started = Worker(self.plan, self.forbidden_modules).start()
            self.report = started.isolation
            self.idle.put(started)

    def isolation(self) -> dict:
        return dict(self.report)

    def teardown(self, worker) -> None:
        while not self.idle.empty():
            self.idle.get().close()

    def run(self, job: Job) -> ExecutionRecord:
        worker = self.idle.get()
        try:
            self.jobs_run += 1
            return worker.run(job)
        finally:
            self.idle.put(worker)


def run_on_dask_worker(job: dict) -> dict:
    """The Dask task: one job in, one plain record out."""
    plugin = get_worker().plugins[PLUGIN_NAME]
    return plugin.run(Job.from_dict(job)).as_dict()


class DaskPool:
    """Same interface as :class:`~autograder.execute.pool.LocalPool`, on a cluster."""

    def __init__(self, address: str, plan: SandboxPlan, forbidden_modules: tuple[str, ...] = (),
                 in_flight_per_thread: int = 2):
        self.address = address
        self.plan = plan
        self.forbidden_modules = forbidden_modules
        self.in_flight_per_thread = in_flight_per_thread
        self.client: Client | None = None

    def __enter__(self) -> DaskPool:
        from autograder.errors import GraderError

        try:
            self.client = Client(self.address, timeout="30s")
        except OSError as exc:
            raise GraderError(f"cannot reach the Dask scheduler at {self.address}: {exc}"
                              ) from None
        self.client.register_plugin(GradingWorkers(self.plan, self.forbidden_modules),
                                    name=PLUGIN_NAME)
        return self

    def isolation(self) -> dict:
        """What the sandbox achieves on the cluster's workers (the least of them)."""
        reports = self.client.run(lambda dask_worker: dask_worker.plugins[PLUGIN_NAME]
                                  .isolation())
        for report in reports.values():
            if not report.get("namespaces") or not report.get("cgroups"):
                return report
        return next(iter(reports.values()), {})

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, ExecutionRecord]]:
        threads = sum(self.client.nthreads().values()) or 1
        limit = threads * self.in_flight_per_thread
        source = iter(jobs)
        pending = {}
        futures = as_completed()

        def submit_next() -> bool:
            job = next(source, None)
            if job is None:
                return False
            future = self.client.submit(run_on_dask_worker, job.as_dict(), pure=False,
                                        key=f"grade-{job.submission_id}-{id(job)}")
            pending[future.key] = job
            futures.add(future)
            return True

        while len(pending) < limit and submit_next():
            pass
        for future in futures:
            job = pending.pop(future.key)
            try:
                record = ExecutionRecord.from_dict(future.result())
            except Exception as exc:  # a lost worker: the job is not recorded
                record = ExecutionRecord(status=WORKER_ERROR, reason=f"Dask task failed: {exc}")
            yield job, record
            submit_next()
