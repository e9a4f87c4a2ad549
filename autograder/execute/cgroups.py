"""Per-submission limits on memory and processes, with the kernel's control groups.

Resource limits (``setrlimit``) apply to one process at a time: a notebook that starts ten
processes may use ten times the memory. A control group caps the whole process tree of a
submission at once, page cache and its in-memory scratch files included, and counts its
processes whatever user they run as.

Two kinds of kernels are handled:

* cgroup v1 (this project's CI machine): the ``memory`` and ``pids`` hierarchies, each job a
  child of the worker's own group (so the machine's own limits still apply above it);
* cgroup v2 where this process may create groups (as root, or in a delegated subtree): a group
  ``autograder-<pid>`` next to the worker's own, with one leaf per job.

Where neither is possible (an ordinary user without delegation), :meth:`Cgroups.detect` says
what is missing, the summary repeats it, and ``--require-isolation`` refuses to grade.

Moving a process into a group costs the kernel an RCU grace period: 14 ms here, while the
notebook waited. As root, a worker therefore waits for its next job inside that job's group,
made ahead of time (:meth:`Cgroups.wait_in_next`): the job's supervisor and notebook are born
in it, and the supervisor moves back out (:meth:`Cgroups.leave`) while the notebook runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field

ROOT = "/sys/fs/cgroup"


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _write(path: str, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def _own_group(controller: str | None) -> str | None:
    """This process's group in the v1 hierarchy of ``controller`` (None: the v2 one)."""
    try:
        lines = _read("/proc/self/cgroup").splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller is None and names == "":
            return path
        if controller is not None and controller in names.split(","):
            return path
    return None


@dataclass
class Cgroups:
    """Where this worker creates its jobs' groups; one folder per controller (v1) or one (v2)."""

    version: int  # 1 or 2; 0 when control groups cannot be used
    bases: dict[str, str]  # controller ("memory", "pids"; "unified" for v2) -> parent folder
    missing: str = ""  # why they cannot be used, for the summary
    homes: dict[str, str] = field(default_factory=dict)  # the worker's own groups, per key
    ahead: JobGroup | None = None  # the next job's group, this process inside (wait_in_next)
    _made: int = 0

    @classmethod
    def detect(cls, tag: str) -> Cgroups:
        """Create this worker's parent groups, or say why that is not possible."""
        v1 = {c: f"{ROOT}/{c}" for c in ("memory", "pids")}
        if all(os.path.isfile(f"{p}/cgroup.procs") for p in v1.values()):
            bases = {}
            try:
                homes = {}
                for controller, mount in v1.items():
                    own = _own_group(controller) or "/"
                    homes[controller] = os.path.normpath(f"{mount}/{own}")
                    base = os.path.normpath(f"{mount}/{own}/autograder-{tag}")
                    os.makedirs(base, exist_ok=True)
                    bases[controller] = base
                return cls(1, bases, homes=homes)
            except OSError as exc:
                for base in bases.values():
                    with contextlib.suppress(OSError):
                        os.rmdir(base)
                return cls(0, {}, f"cgroup v1 is not writable ({exc.strerror})")
        unified = ROOT if os.path.isfile(f"{ROOT}/cgroup.controllers") else None
        if unified is None:
            return cls(0, {}, "the kernel's control groups are not available")
        own = _own_group(None) or "/"
        parent = os.path.normpath(f"{unified}/{os.path.dirname(own.rstrip('/')) or '/'}")
        base = f"{parent}/autograder-{tag}"
        try:
            available = _read(f"{parent}/cgroup.controllers").split()
            if not {"memory", "pids"} <= set(available):
                return cls(0, {}, "cgroup v2 has no memory and pids controllers here")
            os.makedirs(base, exist_ok=True)
            _write(f"{base}/cgroup.subtree_control", "+memory +pids")
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.rmdir(base)
            return cls(0, {}, f"cgroup v2 is not delegated to this user ({exc.strerror})")
        return cls(2, {"unified": base}, homes={"unified": os.path.normpath(f"{unified}/{own}")})

    @property
    def available(self) -> bool:
        return self.version in (1, 2)

    def job(self, name: str, memory_bytes: int, max_processes: int) -> JobGroup | None:
        """A fresh group for one job with its limits set; None when groups are unavailable."""
        if not self.available:
            return None
        paths = {c: f"{base}/{name}" for c, base in self.bases.items()}
        for path in paths.values():
            os.makedirs(path, exist_ok=True)
        group = JobGroup(self.version, paths)
        group.limit(memory_bytes, max_processes)
        return group

    def wait_in_next(self) -> JobGroup | None:
        """Make the next job's group and move this process (the worker) into it, so that the
        job's processes are born there; the previous one is left. As root only (moving back out
        needs it); None, and nothing moved, where that is not possible."""
        if not self.available or os.geteuid() != 0 or not self.homes:
            return None
        self._made += 1
        paths = {c: f"{base}/next-{os.getpid()}-{self._made}" for c, base in self.bases.items()}
        try:
            for path in paths.values():
                os.makedirs(path, exist_ok=True)
            group = JobGroup(self.version, paths)
            group.add(os.getpid())
        except OSError:
            self.leave()
            self.ahead = None
            return None
        self.ahead = group
        return group

    def leave(self) -> None:
        """Move this process back to the worker's own groups."""
        for path in self.homes.values():
            with contextlib.suppress(OSError):
                _write(f"{path}/cgroup.procs", str(os.getpid()))

    def remove(self) -> None:
        """Remove this worker's parent groups (they are empty once every job is gone)."""
        if self.ahead is not None:
            self.leave()
            self.ahead = None
        for base in self.bases.values():
            with contextlib.suppress(OSError):
                for entry in os.scandir(base):
                    if entry.is_dir():
                        JobGroup(self.version, {"x": entry.path}).remove()
                os.rmdir(base)


@dataclass
class JobGroup:
    version: int
    paths: dict[str, str]

    def limit(self, memory_bytes: int, max_processes: int) -> None:
        if self.version == 1:
            memory = self.paths["memory"]
            _write(f"{memory}/memory.limit_in_bytes", str(memory_bytes))
            if os.path.exists(f"{memory}/memory.memsw.limit_in_bytes"):
                with contextlib.suppress(OSError):  # swap accounting may be off
                    _write(f"{memory}/memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(f"{self.paths['pids']}/pids.max", str(max_processes))
        else:
            path = self.paths["unified"]
            _write(f"{path}/memory.max", str(memory_bytes))
            with contextlib.suppress(OSError):
                _write(f"{path}/memory.swap.max", "0")
            _write(f"{path}/pids.max", str(max_processes))

    def limit_processes(self, max_processes: int) -> None:
        key = "pids" if self.version == 1 else "unified"
        _write(f"{self.paths[key]}/pids.max", str(max_processes))

    def add(self, pid: int) -> None:
        for path in self.paths.values():
            _write(f"{path}/cgroup.procs", str(pid))

    def pids(self) -> set[int]:
        found = set()
        for path in self.paths.values():
            with contextlib.suppress(OSError):
                found.update(int(p) for p in _read(f"{path}/cgroup.procs").split())
        return found

    def kill_all(self) -> None:
        """SIGKILL every process in the group until none is left (new ones may be forked while
        we kill: a group that keeps growing is frozen out by pids.max)."""
        ours = {os.getpid(), os.getppid()}  # a supervisor (and worker) born in the group
        if self.version == 2 and not self.pids() & ours:
            with contextlib.suppress(OSError):
                _write(f"{self.paths['unified']}/cgroup.kill", "1")
        for _ in range(100):
            pids = self.pids() - ours
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)

    def out_of_memory(self) -> bool:
        """Whether the group hit its memory limit (the kernel then killed a process in it)."""
        try:
            if self.version == 1:
                memory = self.paths["memory"]
                control = _read(f"{memory}/memory.oom_control")
                kills = [line.split()[1] for line in control.splitlines()
                         if line.startswith("oom_kill ")]
                if kills:
                    return int(kills[0]) > 0
                return int(_read(f"{memory}/memory.failcnt")) > 0
            events = _read(f"{self.paths['unified']}/memory.events")
            return any(line.split()[0] in ("oom_kill", "oom") and int(line.split()[1]) > 0
                       for line in events.splitlines())
        except (OSError, ValueError, IndexError):
            return False

    def peak_memory_mb(self) -> float:
        names = {1: ("memory", "memory.max_usage_in_bytes"), 2: ("unified", "memory.peak")}
        key, name = names[self.version]
        try:
            return int(_read(f"{self.paths[key]}/{name}")) / 2**20
        except (OSError, ValueError, KeyError):
            return 0.0

    def remove(self) -> None:
        self.kill_all()
        for path in self.paths.values():
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # the last processes are still exiting
                    time.sleep(0.002)


def remove_stale(tag_prefix: str = "autograder-") -> None:
    """Groups left by a worker that was killed: empty them and remove them."""
    for controller in ("memory", "pids", ""):
        own = _own_group(controller or None)
        if own is None:
            continue
        if controller:
            parent = os.path.normpath(f"{ROOT}/{controller}/{own}")
        else:
            parent = os.path.normpath(f"{ROOT}/{os.path.dirname(own.rstrip('/')) or '/'}")
        try:
            entries = list(os.scandir(parent))
        except OSError:
            continue
        for entry in entries:
            if not (entry.is_dir() and entry.name.startswith(tag_prefix)):
                continue
            pid = entry.name[len(tag_prefix):]
            if pid.isdigit() and os.path.exists(f"/proc/{pid}"):
                continue  # its worker is alive
            version = 1 if controller else 2
            key = controller or "unified"
            with contextlib.suppress(OSError):
                for job in os.scandir(entry.path):
                    if job.is_dir():
                        JobGroup(version, {key: job.path}).remove()
                os.rmdir(entry.path)
