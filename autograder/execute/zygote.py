"""The warm worker: imports the heavy libraries once, then forks a supervisor per job.

It never reads a job itself: each job is read by a fresh fork (the supervisor), so no submission's
data ever sits in the memory that later sandboxes are copied from. It also never imports the
reference solution or the hidden checks' verdict code.

Run as ``python -m autograder.execute.zygote`` with the sandbox plan as JSON in the environment
variable ``AUTOGRADER_SANDBOX_PLAN``; jobs arrive on stdin and records leave on stdout, as
length-prefixed JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import sys
import traceback

EXIT_NO_JOB = 3
EXIT_FAILED = 4


def _warm_imports() -> None:
    """What every notebook of the course imports, loaded once for all submissions."""
    import ipywidgets  # noqa: F401
    import matplotlib

    matplotlib.use("module://autograder.execute.mplbackend")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import scipy.stats  # noqa: F401

    import autograder.execute.mplbackend  # noqa: F401


def _warm_up(shell) -> None:
    """Pay once for what every notebook triggers lazily: IPython's first cell and its
    ``%matplotlib`` magic, matplotlib's first figure, scipy's distribution machinery, an
    ``interact`` (which loads matplotlib_inline). Nothing lands in the user namespace."""
    import ipywidgets
    import matplotlib.pyplot as plt
    import scipy.stats

    from autograder.execute.sink import OutputSink

    sink = OutputSink(1 << 20, 1 << 20)
    saved = sys.stdout, sys.stderr
    shell.attach(sink)
    try:
        shell.run_cell("1/0", store_history=False, silent=True)
        shell.run_cell("None", store_history=False)
        # The magic's own modules (IPython's pylab magics, matplotlib_inline): loaded once here
        # rather than by every notebook's first cell that says it; the backend stays ours.
        shell.run_cell("%matplotlib inline", store_history=False, silent=True)
    finally:
        shell.attach(None)
        sys.stdout, sys.stderr = saved
    fig, (left, right) = plt.subplots(ncols=2)
    left.plot([0, 1])
    left.axvline(0.5, color="red")
    right.fill_between([0, 1, 2], [1, 2, 1], step="pre", alpha=0.4)
    right.plot([0, 1, 2], [1, 2, 1], drawstyle="steps")
    plt.close(fig)
    scipy.stats.poisson(3).rvs(3)
    demo = ipywidgets.interactive(lambda x: None, x=1)  # interact's first call loads its helpers
    for widget in (*demo.children, demo):
        widget.close()


def probe_isolation(plan, shell, baseline: int, cgroups) -> dict:
    """Run an empty notebook through the whole sandbox once, in a throwaway process, and say
    what held: namespaces, a private /proc, a control group, the user it ran as."""
    from autograder.execute.job import Limits, NotebookTask
    from autograder.execute.protocol import read_message, write_message
    from autograder.execute.sandbox import set_child_subreaper
    from autograder.execute.supervisor import job_user, run_notebook

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            set_child_subreaper()
            record, isolation, cleanup = run_notebook(
                NotebookTask("probe", []), {}, Limits(), plan, shell, baseline, cgroups,
                job_user(plan), f"probe-{os.getpid()}", direct=True)
            cleanup()
            isolation["status"] = record.status
            isolation["reason"] = record.reason
            write_message(write_fd, isolation)
        except BaseException as exc:
            write_message(write_fd, {"status": "worker_error", "reason": repr(exc)})
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        result = read_message(read_fd) or {"status": "worker_error", "reason": "no answer"}
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)
    return result


def main() -> int:
    protocol_out = os.dup(1)
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the protocol
    from autograder.execute import cgroups as cgroups_module
    from autograder.execute.protocol import write_message
    from autograder.execute.sandbox import SandboxPlan, set_process_name
    from autograder.execute.shell import make_shell, notebook_code_cells, warm_cells
    from autograder.heap import freeze_what_is_loaded

    set_process_name("ag-worker")
    plan = SandboxPlan.from_dict(json.loads(os.environ.get("AUTOGRADER_SANDBOX_PLAN", "{}")))
    forbidden = [m for m in os.environ.get("AUTOGRADER_FORBIDDEN_MODULES", "").split(",") if m]
    _warm_imports()
    shell = make_shell()
    _warm_up(shell)
    warm = [p for p in os.environ.get("AUTOGRADER_WARM_NOTEBOOKS", "").split(os.pathsep) if p]
    warm_cells(shell, notebook_code_cells(warm))  # the release's cells: what students were given
    cgroups = None
    if plan.namespaces:
        cgroups_module.remove_stale()
        cgroups = cgroups_module.Cgroups.detect(str(os.getpid()))
    # Everything loaded so far lives as long as the worker: keep it out of the garbage
    # collector's sight, or a full collection in a job walks (and copies, page by page) the
    # whole inherited heap: about 0.1 s of CPU a time.
    freeze_what_is_loaded(collect_first=True)
    baseline = address_space_bytes()
    isolation = probe_isolation(plan, shell, baseline, cgroups)
    isolation["cgroups"] = cgroups.version if cgroups is not None else 0
    isolation["cgroups_missing"] = cgroups.missing if cgroups is not None else "sandbox off"
    siblings = _sibling_pipes()
    for k, (jobs_in, records_out) in enumerate(siblings):
        if os.fork() == 0:  # a sibling worker: the same warm state, its own pipes
            os.dup2(jobs_in, 0)
            os.dup2(records_out, protocol_out)
            for fd in {fd for pair in siblings[k:] for fd in pair}:
                os.close(fd)
            cgroups = cgroups_module.Cgroups.detect(str(os.getpid())) if plan.namespaces \
                else None
            break
        os.close(jobs_in)
        os.close(records_out)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write_message(protocol_out, {"t": "ready", "pid": os.getpid(), "rss_mb": rss_mb,
                                 "forbidden_loaded": [m for m in forbidden if m in sys.modules],
                                 "isolation": isolation})
    try:
        serve(plan, shell, baseline, protocol_out, cgroups)
    finally:
        if cgroups is not None:
            cgroups.remove()
    return 0


def _sibling_pipes() -> list[tuple[int, int]]:
    """The (jobs in, records out) descriptors of the sibling workers to fork once warm: the
    imports and the warm-up are paid once for all the workers of a machine. Each sibling closes
    the pipes of those forked after it; the original keeps none of them."""
    pairs = []
    for pair in filter(None, os.environ.get("AUTOGRADER_SIBLINGS", "").split(";")):
        jobs_in, records_out = (int(fd) for fd in pair.split(","))
        pairs.append((jobs_in, records_out))
    return pairs


def address_space_bytes() -> int:
    """The current process's virtual memory size (the baseline the memory limit adds to)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _reap_exited_children() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(plan, shell, baseline: int, protocol_out: int, cgroups) -> None:
    """Fork a supervisor per job; go on as soon as it has taken the job off stdin.

    A supervisor reports through a status pipe when it has read its job ("T") and when it has
    written its record ("R"); it cleans up after that while the next job already runs. One that
    dies between the two gets an error record written for it, so the coordinator never hangs.
    """
    from autograder.execute.job import WORKER_ERROR, ExecutionRecord, Job
    from autograder.execute.protocol import read_message, write_message
    from autograder.execute.sandbox import set_process_name
    from autograder.execute.supervisor import run_job

    owing: dict[int, int] = {}  # supervisor pid -> read end of its status pipe
    if cgroups is not None:
        cgroups.wait_in_next()  # the first job's supervisor is born in its group
    while True:
        ready, _, _ = select.select([0, *owing.values()], [], [])
        for pid, fd in list(owing.items()):
            if fd not in ready:
                continue
            news = os.read(fd, 16)
            if b"R" in news or not news:
                os.close(fd)
                del owing[pid]
            if not news:  # died before delivering its record
                write_message(protocol_out, ExecutionRecord(
                    status=WORKER_ERROR, reason="the job's supervisor died").as_dict())
        _reap_exited_children()  # supervisors done cleaning up
        if 0 not in ready:
            continue
        status_read, status_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the supervisor of one job
            set_process_name("ag-supervisor")
            os.close(status_read)
            for fd in owing.values():
                os.close(fd)
            code = EXIT_FAILED
            try:
                message = read_message(0)
                if message is None:
                    code = EXIT_NO_JOB
                else:
                    job = Job.from_dict(message)
                    os.write(status_write, b"T")

                    def deliver(record: ExecutionRecord, status_fd: int = status_write) -> None:
                        write_message(protocol_out, record.as_dict())
                        os.write(status_fd, b"R")

                    run_job(job, plan, shell, baseline, cgroups, deliver,
                            born_in=cgroups.ahead if cgroups is not None else None)
                    code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(status_write)
        if os.read(status_read, 1) == b"T":
            owing[pid] = status_read
            if cgroups is not None and cgroups.ahead is not None:
                cgroups.wait_in_next()  # while the job runs: its group is the supervisor's now
            continue
        os.close(status_read)
        _, status = os.waitpid(pid, 0)
        # No job left (stdin closed), or the stream broke mid-job: either way this worker is
        # done; the coordinator restarts one if it still needs it.
        if os.waitstatus_to_exitcode(status) == EXIT_NO_JOB:
            while owing:  # let the last supervisors finish cleaning up
                pid, fd = owing.popitem()
                os.close(fd)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            return
        os._exit(1)


if __name__ == "__main__":
    code = main()
    # Every record is written and every job cleaned up: skip tearing down the warm heap object
    # by object (a tenth of a second the batch would wait for at its end).
    sys.stderr.flush()
    os._exit(code)
