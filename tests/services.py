"""Real servers on loopback for the tests: a PostgreSQL cluster and a Dask LocalCluster."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager

import pytest

#: Set by .ci/run: a missing service is then a failure, not a skip.
REQUIRED = os.environ.get("AUTOGRADER_REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@contextmanager
def postgres_server():
    """A throwaway PostgreSQL cluster listening on 127.0.0.1; yields its URL."""
    initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
    if not initdb or not pg_ctl:
        unavailable("PostgreSQL server binaries not found (Debian package postgresql)")
    as_user: list[str] = []
    data_root = tempfile.mkdtemp(prefix="autograder-pg-")
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root but there is no postgres user")
        os.chown(data_root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = os.path.join(data_root, "data"), os.path.join(data_root, "log")
    port = free_port()
    subprocess.run(as_user + [initdb, "-D", data, "--auth=trust", "-U", "postgres",
                              "--no-sync"], check=True, capture_output=True)
    subprocess.run(as_user + [pg_ctl, "-D", data, "-l", log, "-w", "-o",
                              f"-p {port} -k {data_root} -c listen_addresses=127.0.0.1 "
                              "-c fsync=off", "start"], check=True, capture_output=True)
    try:
        subprocess.run(as_user + [postgres_bin("createdb") or "createdb", "-h", "127.0.0.1",
                                  "-p", str(port), "-U", "postgres", "gradebook"],
                       check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(data_root, ignore_errors=True)


@contextmanager
def dask_cluster(workers: int = 2):
    """A Dask LocalCluster of worker processes on loopback; yields (address, client)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        unavailable("dask.distributed is not installed (extra 'cluster')")
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield cluster.scheduler_address, client
