"""The sandbox a notebook runs in (Linux): private namespaces and a root file system built anew.

The process that forks the notebook process calls :func:`enter_pid_namespace` (a new PID
namespace, inside a new user namespace when the grader is not root). The notebook process, PID 1
of that namespace, then calls :func:`enter_private_root` before any student code exists in it: it
unshares the mount, network, IPC and UTS namespaces and builds a new root on an empty in-memory
file system that holds only:

* the operating system's program and library folders (``/usr``, ``/bin``, ``/lib``...) and a few
  files of ``/etc`` that programs need (the dynamic linker's cache, time zones, ...), read-only;
* the Python environment the grader runs in, read-only, with the grader's own packages covered;
* ``/dev`` with the harmless devices only (null, zero, full, random, urandom);
* ``/tmp``: a private, size-limited in-memory file system (``/dev/shm`` and ``/var/tmp`` lead
  there too) holding the submission's files; it is the working directory and ``HOME``;
* an empty ``/proc``, on which the notebook's first process mounts its own PID namespace's.

Then it pivots into that root and detaches the old one: nothing else of the machine (the course,
other submissions, the gradebook, other users' files, files at ``/``) exists inside. When the
notebook process ends, the kernel kills every process it started (it is their namespace's init),
and no process outside (the grader included) is visible or can be signalled. SysV IPC objects
die with the IPC namespace; the network namespace has no interface up.
"""

from __future__ import annotations

import ctypes
import os
import platform
import signal
from dataclasses import dataclass, field

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_MOVE, MS_REC, MS_PRIVATE, MS_RELATIME = 8192, 16384, 1 << 18, 1 << 21
MNT_DETACH = 2

#: pivot_root has no C library wrapper: its system call number, per architecture.
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41, "ppc64le": 203,
                   "s390x": 217, "armv7l": 218, "i686": 217}

#: Top-level folders of the operating system, mounted read-only when present.
SYSTEM_FOLDERS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: What of /etc a Python program may need; nothing else of /etc (configuration files there may
#: hold passwords, e.g. a gradebook URL in /etc/jupyter).
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd",
               "group", "nsswitch.conf", "host.conf", "hosts", "mime.types", "fonts",
               "alternatives", "os-release", "debian_version", "ssl", "ca-certificates",
               "matplotlibrc", "gai.conf", "locale.alias", "locale.gen", "default")
DEVICES = ("null", "zero", "full", "random", "urandom")

#: Where the new root is assembled before the pivot (a private mount point; see SandboxPlan).
WORKDIR = "/tmp/submission"

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(OSError):
    """The sandbox could not be set up (the grader's problem, never the student's)."""


@dataclass(frozen=True)
class SandboxPlan:
    """What a worker decided, once, about confining the notebooks it runs."""

    #: Use namespaces and a new root. False: run unconfined (``--no-sandbox``).
    namespaces: bool = True
    #: Folders of the Python environment to expose read-only (resolved paths).
    exposed_paths: tuple[str, ...] = ()
    #: Folders inside the exposed ones to cover (the grader's and the course's packages).
    hidden_paths: tuple[str, ...] = ()
    #: Run each job as its own user id (only possible as root): 100000 + the supervisor's pid.
    user_per_job: bool = False
    extra_env: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"namespaces": self.namespaces, "exposed_paths": list(self.exposed_paths),
                "hidden_paths": list(self.hidden_paths), "user_per_job": self.user_per_job,
                "extra_env": dict(self.extra_env)}

    @classmethod
    def from_dict(cls, data: dict) -> SandboxPlan:
        return cls(namespaces=bool(data.get("namespaces", True)),
                   exposed_paths=tuple(data.get("exposed_paths", ())),
                   hidden_paths=tuple(data.get("hidden_paths", ())),
                   user_per_job=bool(data.get("user_per_job", False)),
                   extra_env=dict(data.get("extra_env", {})))


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _locked_flags(path: str) -> int:
    """The mount flags of ``path`` that a remount inside a user namespace must keep."""
    f = os.statvfs(path).f_flag
    flags = 0
    for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                   (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                   (getattr(os, "ST_RELATIME", 4096), MS_RELATIME)):
        if f & st:
            flags |= ms
    return flags


def _bind_readonly(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
           | _locked_flags(target))


def _make_path(root: str, path: str) -> str:
    """Create ``root + path``'s folders (mode 755, so that any user may pass) and return it."""
    target = root + path
    os.makedirs(target, mode=0o755, exist_ok=True)
    return target


def _expose(root: str, path: str, is_dir: bool) -> None:
    target = root + path
    if is_dir:
        _make_path(root, path)
    else:
        _make_path(root, os.path.dirname(path))
        open(target, "a").close()
    _bind_readonly(path, target)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _build_root(root: str, plan: SandboxPlan, scratch_bytes: int) -> None:
    """Populate the empty file system mounted at ``root`` (see the module's docstring)."""
    exposed: list[str] = []
    for name in SYSTEM_FOLDERS:
        path = "/" + name
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            _expose(root, path, True)
            exposed.append(path)
    _make_path(root, "/etc")
    for name in ETC_ENTRIES:
        path = "/etc/" + name
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            _expose(root, path, True)
        elif os.path.isfile(path):
            _expose(root, path, False)
    # The scratch space first: an environment that lives under /tmp is mounted inside it.
    tmp = _make_path(root, "/tmp")
    _mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={max(1, scratch_bytes // 1024)}k,mode=1777")
    os.makedirs(root + WORKDIR, mode=0o755)
    _make_path(root, "/var")
    os.symlink("/tmp", root + "/var/tmp")
    for path in sorted(set(plan.exposed_paths), key=len):
        if os.path.isdir(path) and not any(_inside(path, e) for e in exposed):
            _expose(root, path, True)
            exposed.append(path)
    for path in plan.hidden_paths:  # the grader's packages, where the environment holds them
        if not any(_inside(path, e) for e in exposed) or not os.path.lexists(root + path):
            continue
        if os.path.isdir(root + path):
            _mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=0555")
        else:
            _mount("/dev/null", root + path, None, MS_BIND)
    dev = _make_path(root, "/dev")
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        open(f"{dev}/{name}", "a").close()
        _mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
                         ("shm", "/tmp")):
        os.symlink(target, f"{dev}/{name}")
    _mount(None, dev, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC)
    _make_path(root, "/proc")


def _pivot_into(root: str) -> None:
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    os.chdir(root)
    if number is None:  # an architecture we do not know: move the new root over / instead
        _mount(root, "/", None, MS_MOVE)
        _check(_libc.chroot(b"."), "chroot")
        os.chdir("/")
        return
    os.mkdir(".old", 0o700)
    _check(_libc.syscall(number, b".", b".old"), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "umount the old root")
    os.rmdir("/.old")


def enter_pid_namespace(plan: SandboxPlan) -> dict[str, object]:
    """In the process that forks the notebook process: its next child is PID 1 of a new PID
    namespace (inside a new user namespace when the grader is not root, which also gives that
    child the right to build the rest of the sandbox). Returns what was achieved; nothing at all
    when the kernel allows no namespaces here (the notebook then runs unconfined)."""
    if not plan.namespaces:
        return {"namespaces": False}
    as_root = os.geteuid() == 0
    uid, gid = os.getuid(), os.getgid()
    try:
        _check(_libc.unshare(CLONE_NEWPID | (0 if as_root else CLONE_NEWUSER)), "unshare")
    except SandboxError as exc:
        return {"namespaces": False, "error": exc.strerror or str(exc)}
    if not as_root:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    return {"namespaces": True, "user_namespace": not as_root}


def enter_private_root(plan: SandboxPlan, mountpoint: str, scratch_bytes: int) -> bool:
    """In the notebook process (PID 1 of its namespace), before any student code: private
    mount, network, IPC and UTS namespaces, and the new root (see the module docstring).
    Returns whether it got a /proc of its own.

    ``mountpoint`` is an empty folder the supervisor created for this notebook; in the private
    mount namespace an in-memory file system is mounted on it and becomes the new root.
    """
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", mountpoint, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    _build_root(mountpoint, plan, scratch_bytes)
    # /proc before the old root goes: in a user namespace the kernel only allows a new proc
    # while a fully visible one is still mounted in the namespace.
    proc = mount_proc(mountpoint + "/proc")
    _pivot_into(mountpoint)
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _libc.sethostname(b"sandbox", 7)
    return proc


def mount_proc(target: str = "/proc") -> bool:
    """In PID 1 of the new PID namespace: a /proc that shows this namespace only. False when the
    kernel refuses it (an unprivileged user namespace under a partly masked /proc)."""
    try:
        _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except SandboxError:
        return False
    return True


# --- giving up privileges -------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAP_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Give up every capability (what the creator of a user namespace holds inside it), so the
    notebook cannot remount the read-only environment, and never regain any (no_new_privs)."""
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    no_new_privileges()


def no_new_privileges() -> None:
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


def switch_user(uid: int, gid: int) -> None:
    """As root: become an unprivileged user of the job's own (this clears every capability)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    no_new_privileges()


def die_with_parent() -> None:
    """Be killed when the process that is our parent now (the supervisor) dies."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def set_process_name(name: str) -> None:
    """The name ``ps`` and ``top`` show (15 bytes at most): which part of the grader this is."""
    PR_SET_NAME = 15
    _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def set_child_subreaper() -> None:
    """Orphaned descendants of our children are re-parented to us, so we can wait for them."""
    PR_SET_CHILD_SUBREAPER = 36
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
