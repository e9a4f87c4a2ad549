"""Limits the sandbox enforces from outside a notebook, on a bare worker (no gradebook needed)."""

from __future__ import annotations

import os

import pytest

from autograder.execute.job import COMPLETED, TIMEOUT, CellTask, Job, Limits, NotebookTask
from autograder.execute.plan import sandbox_plan
from autograder.execute.pool import Worker

pytestmark = pytest.mark.slow


def run_cells(course_root, sources: list[str], **limits) -> object:
    """Run the cells as one notebook in a fresh worker; its notebook record."""
    job = Job("limits", [NotebookTask("nb", [CellTask(i, source)
                                             for i, source in enumerate(sources)])], {},
              Limits(**limits))
    worker = Worker(sandbox_plan()).start()
    try:
        return worker.run(job).notebooks["nb"]
    finally:
        worker.close()


def text_of(record, index: int) -> str:
    return "".join(str(o.get("text", "")) + str(o.get("evalue", ""))
                   for o in record.cells[index].outputs)


def test_the_submission_time_limit_stops_cells_each_under_the_cell_limit(tmp_path):
    sleeps = ["import time; time.sleep(1.5); print('done')"] * 4
    record = run_cells(tmp_path, sleeps, cell_timeout=3, notebook_timeout=4)
    assert record.status == TIMEOUT
    assert "4 s limit" in record.reason
    assert "done" in text_of(record, 0) and "done" in text_of(record, 1), "earlier cells are kept"
    assert 3 not in record.cells or "done" not in text_of(record, 3)


@pytest.mark.skipif(os.geteuid() != 0, reason="a user per job (and so a process limit) needs root")
def test_a_fork_bomb_meets_the_process_limit_and_the_notebook_goes_on(tmp_path):
    bomb = """
import os, time
children = []
try:
    for _ in range(200):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
except OSError as exc:
    print("stopped after", len(children), "children:", exc)
"""
    record = run_cells(tmp_path, [bomb, "print('still running')"], max_processes=16)
    assert record.status == COMPLETED, record.reason
    first = text_of(record, 0)
    assert "stopped after" in first and int(first.split()[2]) < 16
    assert "still running" in text_of(record, 1)


def test_cyclic_garbage_a_notebook_makes_is_still_collected_within_its_memory(tmp_path):
    """Young collections are spaced out in the sandbox (autograder/heap.py), never switched
    off: 200,000 cycles of 8 KB each (1.6 GB if never freed) fit in a 512 MB notebook."""
    cycles = """
class Node:
    def __init__(self):
        self.me = self
        self.payload = bytearray(8192)

for _ in range(200_000):
    Node()
print("made them all")
"""
    record = run_cells(tmp_path, [cycles, "import gc; print('collect', gc.collect() >= 0)"],
                       memory_mb=512)
    assert record.status == COMPLETED, record.reason
    assert "made them all" in text_of(record, 0)
    assert "collect True" in text_of(record, 1)


def _memory_groups_of_worker(worker_pid: int) -> list[str]:
    from autograder.execute.cgroups import ROOT, _own_group

    base = os.path.normpath(f"{ROOT}/memory/{_own_group('memory') or '/'}/"
                            f"autograder-{worker_pid}")
    try:
        return [entry.path for entry in os.scandir(base) if entry.is_dir()]
    except OSError:
        return []


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.isdir("/sys/fs/cgroup/memory"),
                    reason="jobs are born in their control group as root, with cgroup v1 here")
def test_a_notebook_is_born_in_its_control_group_and_only_it_stays_there():
    """The worker waits for a job inside that job's group, so the notebook is born in it (no
    move while it waits); its supervisor leaves the group while the notebook runs."""
    import threading
    import time

    cells = ["import time\nprint(open('/proc/self/cgroup').read())\ntime.sleep(0.6)",
             "time.sleep(0.8)"]
    job = Job("born", [NotebookTask("nb", [CellTask(i, s) for i, s in enumerate(cells)])], {},
              Limits())
    worker = Worker(sandbox_plan()).start()
    seen: list[set[str]] = []  # the processes of one group at one moment
    done = threading.Event()

    def watch() -> None:
        time.sleep(0.7)  # the supervisor has long left by now (a move takes milliseconds)
        while not done.is_set():
            for group in _memory_groups_of_worker(worker.info["pid"]):
                try:
                    pids = open(f"{group}/cgroup.procs").read().split()
                    seen.append({open(f"/proc/{p}/comm").read().strip() for p in pids})
                except OSError:
                    continue
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        record = worker.run(job).notebooks["nb"]
    finally:
        done.set()
        watcher.join()
        worker.close()
    assert record.status == COMPLETED, record.reason
    memory_line = next(line for line in text_of(record, 0).splitlines()
                       if ":memory:" in line)
    assert f"/autograder-{worker.info['pid']}/" in memory_line, memory_line
    # the notebook's group holds the notebook only; the worker waits in the next job's
    assert {"ag-notebook"} in seen, seen
    assert all(names in ({"ag-notebook"}, {"ag-worker"}) for names in seen if names), seen
