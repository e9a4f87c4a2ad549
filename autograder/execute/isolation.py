"""Confinement of the process that runs student code (Linux).

Applied in the forked child before any student code runs:

* a new session, so the whole process group can be killed at once;
* a private mount namespace in which the course directory, the grader's own packages and the
  reference solution are covered by empty read-only file systems, and a private network namespace
  with no interfaces up (no gradebook server, no Dask scheduler, no internet);
* resource limits: address space, file size, open files, no core dumps, and (as a dedicated
  user) the number of processes;
* when the grader runs as root: an unprivileged user id of its own (one per worker slot), so it
  cannot read root's files, signal the grader or inspect other submissions' processes.

Without root, namespaces are made inside an unprivileged user namespace where the kernel allows it;
otherwise the child runs unconfined and the record says so.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import dataclass, field

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class SandboxPlan:
    """What the worker decided, once, about confining its children."""

    hidden_paths: tuple[str, ...] = ()
    #: Paths the sandbox user must be able to read (the Python installation).
    exposed_paths: tuple[str, ...] = ()
    #: Hide every top-level folder but the operating system's (other courses, homes, /tmp...).
    hide_all_but_system: bool = True
    uid: int | None = None  # drop to this user id (only as root)
    gid: int | None = None
    namespaces: bool = True
    extra_env: dict = field(default_factory=dict)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _blocking_ancestor(path: str) -> str | None:
    """The highest directory above ``path`` that other users cannot enter (e.g. /root)."""
    parts = os.path.abspath(path).split(os.sep)[1:]
    current = ""
    for part in parts[:-1]:
        current += os.sep + part
        if not os.stat(current).st_mode & 0o001:
            return current
    return None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _cover(folder: str, writable: bool = False) -> None:
    """An empty tmpfs over ``folder``: sealed read-only later, or a private scratch area."""
    options = "size=64m,mode=1777" if writable else "size=64k,mode=0755"
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options)


def _seal(folder: str) -> None:
    _mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


#: Top-level folders the sandbox keeps: the operating system, nothing of anybody's data.
SYSTEM_FOLDERS = frozenset({"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc",
                            "dev", "proc", "sys"})
#: Hidden folders that become a private, writable tmpfs rather than a sealed empty one.
SCRATCH_FOLDERS = frozenset({"/tmp", "/var/tmp", "/dev/shm"})


def _folders_to_hide(plan: SandboxPlan) -> list[str]:
    """Everything at the top of the file system but the operating system, plus the plan's own
    (the course, the grader's packages, the gradebook file), outermost only."""
    hidden = set(plan.hidden_paths) | {"/dev/shm", "/var/tmp"}
    if plan.hide_all_but_system:
        for entry in os.listdir("/"):
            path = "/" + entry
            if entry not in SYSTEM_FOLDERS and os.path.isdir(path) and not os.path.islink(path):
                hidden.add(path)
    hidden = {h for h in hidden if os.path.lexists(h) and not os.path.islink(h)}
    return sorted(h for h in hidden if not any(_inside(h, o) and h != o for o in hidden))


def enter_namespaces(plan: SandboxPlan, scratch: str) -> str:
    """Private mount and network namespaces in which only the system and Python are visible.

    Hidden folders are covered by empty file systems (their names vanish too; /tmp and the like
    get a private, writable one), hidden files by /dev/null. The Python installation and the
    job's scratch folder are mounted back where they were, even inside a hidden folder or under a
    directory the sandbox user may not enter (/root).
    """
    if not plan.namespaces:
        return "none"
    flags = CLONE_NEWNS | CLONE_NEWNET
    if os.geteuid() != 0:
        uid, gid = os.getuid(), os.getgid()
        try:
            _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare")
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        except OSError:
            return "none"
    else:
        try:
            _check(_libc.unshare(flags), "unshare")
        except OSError:
            return "none"
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    hidden = _folders_to_hide(plan)
    hidden_dirs = [h for h in hidden if os.path.isdir(h)]
    keep = (*plan.exposed_paths, scratch)
    # What is mounted back waits on a stage: an empty folder we are hiding anyway, covered first.
    stage_root = next((h for h in ("/mnt", "/media", "/srv") if h in hidden_dirs
                       and not any(_inside(k, h) for k in keep)), None)
    if stage_root is None:
        return "none"
    _cover(stage_root)
    staged = {}
    for path in keep:
        blocked = plan.uid is not None and _blocking_ancestor(path) is not None
        if os.path.isdir(path) and (blocked or any(_inside(path, h) for h in hidden_dirs)):
            stage = os.path.join(stage_root, str(len(staged)))
            os.mkdir(stage)
            _mount(path, stage, None, MS_BIND | MS_REC)
            staged[path] = stage
    for path in hidden:
        if path == stage_root:
            continue
        if path in hidden_dirs:
            _cover(path, writable=path in SCRATCH_FOLDERS)
        else:
            _mount("/dev/null", path, None, MS_BIND)
    covered = {h for h in hidden_dirs if h not in SCRATCH_FOLDERS}
    for path, stage in staged.items():
        if not any(_inside(path, h) for h in hidden_dirs):
            blocker = _blocking_ancestor(path)
            _cover(blocker)
            covered.add(blocker)
        os.makedirs(path, mode=0o755, exist_ok=True)
        _check(_libc.mount(stage.encode(), path.encode(), None, MS_MOVE, None), f"move {path}")
        os.rmdir(stage)
    for folder in covered:
        _seal(folder)
    return "namespaces"


def apply_limits(memory_bytes: int | None, file_bytes: int, max_processes: int | None,
                 cpu_seconds: int) -> None:
    """Resource limits that hold even if the student's code ignores every signal."""
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), min(256, hard)))
    if max_processes is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
    # Writes beyond the file size limit fail with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def address_space_bytes() -> int:
    """The current process's virtual memory size (the baseline the memory limit adds to)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def set_child_subreaper() -> None:
    """Orphaned descendants of our children are re-parented to us, so we can kill them."""
    PR_SET_CHILD_SUBREAPER = 36
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_user_processes(uid: int) -> None:
    """Kill every process of ``uid`` (run as root): escaped grandchildren included."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def reap_exited_children() -> None:
    """Collect every child that has exited (without waiting for the others)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def has_children() -> bool:
    """Whether this process still has a child, running or not yet reaped. Orphans of our
    children are re-parented to us (we are a subreaper), so no children means no descendants."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def kill_descendants(root_pid: int) -> None:
    """Kill the process group of ``root_pid`` and any orphan re-parented to this process."""
    try:
        os.killpg(root_pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me and int(entry) != me:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
