"""The local pool: one warm-up for all the workers of a machine, and a dead worker replaced."""

from __future__ import annotations

import os
import signal
import time

import pytest

from autograder.execute.job import COMPLETED, WORKER_ERROR, CellTask, Job, Limits, NotebookTask
from autograder.execute.plan import sandbox_plan
from autograder.execute.pool import LocalPool

pytestmark = pytest.mark.slow


def job(name: str, source: str = "import os; print(os.getpid())") -> Job:
    return Job(name, [NotebookTask("nb", [CellTask(0, source)])], {}, Limits())


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def test_the_workers_of_a_machine_are_forked_from_one_warm_process():
    with LocalPool(sandbox_plan(), 3) as pool:
        pool.isolation()
        first, *siblings = pool.workers
        pids = [w.info["pid"] for w in pool.workers]
        assert first.process is not None and first.process.pid == pids[0]
        assert all(w.process is None for w in siblings), "siblings are not started anew"
        assert len(set(pids)) == 3
        assert all(parent_of(w.info["pid"]) == pids[0] for w in siblings)
        records = [record for _, record in pool.run(job(f"s{i}") for i in range(9))]
    assert [r.status for r in records] == [COMPLETED] * 9
    assert gone_within(pids, 10), "closing the pool stops every worker, siblings included"


def test_a_sibling_that_dies_is_replaced_and_the_others_go_on():
    with LocalPool(sandbox_plan(), 2) as pool:
        pool.isolation()
        sibling = pool.workers[1]
        old_pid = sibling.info["pid"]
        os.kill(old_pid, signal.SIGKILL)
        records = [record for _, record in pool.run(job(f"s{i}") for i in range(6))]
        assert sibling.process is None or sibling.process.pid != old_pid
        statuses = [r.status for r in records]
        assert statuses.count(WORKER_ERROR) <= 1, statuses
        assert statuses.count(COMPLETED) >= 5, statuses
        # the replacement works
        again = [record for _, record in pool.run(job(f"t{i}") for i in range(4))]
        assert [r.status for r in again] == [COMPLETED] * 4


def test_a_failed_warm_up_stops_every_sibling(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_FORBIDDEN_MODULES", "")
    pool = LocalPool(sandbox_plan(), 3, forbidden_modules=("json",))  # the worker loads json
    with pytest.raises(Exception, match="refusing to run student code"):
        with pool:
            pool.isolation()
    assert all(w.stdout is None for w in pool.workers)


def test_what_a_notebook_triggers_lazily_was_loaded_once_by_the_warm_worker():
    """``%matplotlib inline``, a figure, ``interact`` and scipy's distributions load helper
    modules on first use; the warm worker pays for them once, not every submission."""
    cells = [CellTask(0, "import sys\nbefore = set(sys.modules)"),
             CellTask(1, "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                         "import ipywidgets as widgets\nfrom scipy import stats\n"
                         "plt.subplots(ncols=2)[1][0].axvline(1)\nplt.show()\n"
                         "widgets.interactive(lambda a: a, a=widgets.IntSlider(1))\n"
                         "stats.poisson(2).rvs(3)"),
             CellTask(2, "print(sorted(set(sys.modules) - before))")]
    with LocalPool(sandbox_plan(), 1) as pool:
        [(_, record)] = list(pool.run([Job("lazy", [NotebookTask("nb", cells)], {}, Limits())]))
    outputs = record.notebooks["nb"].cells[2].outputs
    assert [o.get("text") for o in outputs] == ["[]\n"], record.notebooks["nb"].cells[1].outputs


def test_the_workers_warm_up_the_cells_of_the_notebooks_they_are_given(tmp_path):
    """The cells of the notebooks a worker is given (the release's) are read and compiled once
    per worker; a file that is not a notebook is skipped, not an error."""
    import json

    shared = "def helper():\n    return 'shared'\nhelper()"
    notebook = {"cells": [{"cell_type": "code", "source": shared.splitlines(keepends=True)},
                          {"cell_type": "markdown", "source": "# not code"}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "release.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "broken.ipynb").write_text("{not json")
    probe = "import sys\nprint(sorted(sys.modules['autograder.execute.shell']._WARM.transforms))"
    cells = [CellTask(0, shared), CellTask(1, probe)]
    paths = [str(tmp_path / "release.ipynb"), str(tmp_path / "broken.ipynb")]
    with LocalPool(sandbox_plan(), 1, warm_notebooks=paths) as pool:
        [(_, record)] = list(pool.run([Job("warm", [NotebookTask("nb", cells)], {}, Limits())]))
    ran = record.notebooks["nb"].cells
    assert ran[0].outputs[0]["data"]["text/plain"] == "'shared'"
    assert ran[1].outputs[0]["text"] == f"{[shared]!r}\n"


def test_only_the_release_notebooks_are_warmed_up(course):
    """Never the source: the warm worker is copied into every sandbox."""
    from autograder.config import Settings
    from autograder.workers import release_notebooks
    from tests.helpers import ASSIGNMENT

    found = release_notebooks(Settings.load(course), ASSIGNMENT)
    assert found == [str(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")]
