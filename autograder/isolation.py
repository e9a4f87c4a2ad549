"""What the sandbox achieves on this machine, in words, for the summary and ``--require-isolation``.

Each worker builds one empty sandbox when it starts (:func:`autograder.execute.zygote.
probe_isolation`) and reports what held. Here that report becomes the list of limits that do
not hold, one sentence each; an empty list means the full sandbox.
"""

from __future__ import annotations

import os


def describe_missing(info: dict, settings=None) -> list[str]:
    """The sandbox's limits that do not hold, from a worker's isolation report."""
    if settings is not None and not settings.options.sandbox:
        return ["the sandbox is off (--no-sandbox): student code runs unconfined, with the "
                "grader's own rights"]
    missing = []
    if info.get("status") not in (None, "completed"):
        missing.append(f"the sandbox could not be built: {info.get('reason', 'unknown error')}")
        return missing
    if not info.get("namespaces"):
        why = info.get("error") or "not supported"
        missing.append(f"no namespaces ({why}): student code sees this machine's files and "
                       "processes and can reach the network; run the grader as root, or "
                       "allow unprivileged user namespaces")
    elif info.get("proc") is False:
        missing.append("no private /proc: the kernel refused to mount one in the sandbox, so "
                       "/proc is empty there")
    if not info.get("cgroups"):
        why = info.get("cgroups_missing") or "not available"
        missing.append(f"no control groups ({why}): memory is capped per process, not per "
                       "submission, and the number of processes is "
                       + ("capped per user" if os.geteuid() == 0 else "not capped"))
    if not info.get("namespaces") and os.geteuid() != 0:
        missing.append("no user of its own: student code runs as the grader's user and could "
                       "signal the grader's other processes")
    return missing
