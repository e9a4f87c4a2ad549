"""The grader run by an ordinary user: what holds, and that it says what does not.

As root this test starts the grader as the unprivileged user ``nobody``, from a Python
environment that user owns (a virtual environment of the system's Python that reuses this
project's installed packages), on a course that user owns. Without root the sandbox is built in
a user namespace: the environment must still be read-only to student code, every process a
notebook starts must be gone when it ends, the grader must not be signalled, and the summary
must say which limits are missing (no control groups for this user).
"""

from __future__ import annotations

import os
import pwd
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests import redteam
from tests.helpers import ASSIGNMENT, cell_scores, outputs_text, results, submit
from tests.services import unavailable

pytestmark = pytest.mark.slow
USER = "nobody"

SIGNALS_EVERYONE = '''
import os as _os, signal as _signal
for _target in (-1, _os.getppid(), 1):
    try:
        _os.kill(_target, _signal.SIGKILL)
    except OSError as _exc:
        print("cannot signal", _target, _exc.strerror)
'''


def system_python() -> str | None:
    """A system Python of our version with venv (its ABI matches our installed packages)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if os.path.exists(candidate) and subprocess.run(
                [candidate, "-c", "import venv"], capture_output=True).returncode == 0:
            return candidate
    return None


def as_user(command: list[str], cwd: Path, home: Path, env_bin: Path, timeout: float = 600
            ) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": f"{env_bin}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(["runuser", "-u", USER, "--", "env", "-i",
                           *[f"{k}={v}" for k, v in env.items()], *command],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def user_sleepers(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if handle.read().split(b"\0")[:2] == [b"sleep", b"300"]:
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


@pytest.fixture(scope="module")
def as_nobody(registered_course, release_nb):
    if os.geteuid() != 0:
        pytest.skip("switching to an unprivileged user needs root")
    python = system_python()
    if python is None or shutil.which("runuser") is None:
        unavailable(f"no system python{sys.version_info.major}.{sys.version_info.minor} with "
                    "venv, or no runuser: cannot build an environment the test user owns")
    uid = pwd.getpwnam(USER).pw_uid
    base = Path(tempfile.mkdtemp(prefix="autograder-nonroot-", dir="/tmp"))
    base.chmod(0o755)
    env = base / "env"
    subprocess.run([python, "-m", "venv", "--without-pip", str(env)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    user_site = env / "lib" / version / "site-packages"
    ours = site.getsitepackages()[0]
    (user_site / "reuse_project_packages.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n")
    course = base / "course"
    shutil.copytree(registered_course, course)
    correct = fill_in(release_nb, answer("lif_neuron", "the reference form"),
                      answer("lif_neuron_inh", "the reference form"))
    submit(course, "neighbour", correct)
    submit(course, "env-writer", redteam.with_cell(correct, redteam.WRITES_THE_ENVIRONMENT,
                                                   after="ex2_lif_neuron_inh"))
    submit(course, "lingerer", redteam.with_cell(correct, redteam.LINGERS,
                                                 after="ex2_lif_neuron_inh"))
    submit(course, "signaller", redteam.with_cell(correct, SIGNALS_EVERYONE,
                                                  after="ex1_hidden"))
    submit(course, "process-lister", redteam.with_cell(correct, redteam.LISTS_PROCESSES,
                                                       after="ex2_lif_neuron_inh"))
    subprocess.run(["chown", "-R", f"{USER}:", str(base)], check=True)
    reachable = as_user([str(env / "bin" / "python"), "-c", "import autograder, numpy"],
                        base, base, env / "bin")
    if reachable.returncode != 0:
        unavailable(f"{USER} cannot import this project from {ours}: "
                    f"{reachable.stderr.strip().splitlines()[-1:]}")
    before = user_sleepers(uid)
    done = as_user([str(env / "bin" / "python"), "-m", "autograder", "grade", ASSIGNMENT,
                    "--no-progress", "--workers", "1"], course, base, env / "bin")
    after = user_sleepers(uid)
    yield course, done, user_site, before, after
    for pid in after:
        os.kill(pid, 9)
    shutil.rmtree(base, ignore_errors=True)


def test_an_ordinary_user_grades_the_class(as_nobody):
    course, done, _, _, _ = as_nobody
    assert done.returncode == 0, done.stdout + done.stderr
    assert cell_scores(results(course, "neighbour")) == {
        "ex1_public": 2.0, "ex1_hidden": 3.0, "ex2_public": 2.0, "ex2_hidden": 3.0}
    isolation = results(course, "neighbour")["extra_data"]["execution"]["isolation"]
    assert isolation["namespaces"] and isolation["user"] == "user namespace"


def test_the_summary_says_which_limits_are_missing(as_nobody):
    _, done, _, _, _ = as_nobody
    assert "warning: sandbox limit missing: no control groups" in done.stdout
    assert "memory is capped per process, not per submission" in done.stdout


def test_the_environment_the_user_owns_is_read_only_to_student_code(as_nobody):
    course, _, user_site, _, _ = as_nobody
    assert not (user_site / "planted.pth").exists()
    text = outputs_text(course, "env-writer")
    assert "Read-only file system" in text and "WROTE" not in text
    assert cell_scores(results(course, "env-writer"))["ex2_hidden"] == 3.0


def test_no_process_of_a_submission_outlives_it(as_nobody):
    course, _, _, before, after = as_nobody
    assert set(after) <= set(before), "sleep processes started by a notebook survived"
    assert cell_scores(results(course, "lingerer"))["ex2_hidden"] == 3.0


def test_no_process_outside_the_notebook_is_visible(as_nobody):
    course, _, _, _, _ = as_nobody
    text = outputs_text(course, "process-lister")
    assert "GRADER VISIBLE False" in text and "PROCESSES 1 ['1']" in text
    assert results(course, "process-lister")["extra_data"]["execution"]["isolation"]["proc"]


def test_student_code_cannot_signal_the_grader(as_nobody):
    course, done, _, _, _ = as_nobody
    assert done.returncode == 0
    signaller = cell_scores(results(course, "signaller"))
    assert signaller["ex1_public"] == 2.0 and signaller["ex1_hidden"] == 3.0


def test_require_isolation_refuses_to_grade_without_every_limit(as_nobody, tmp_path):
    course, _, user_site, _, _ = as_nobody
    env_bin = user_site.parents[2] / "bin"
    done = as_user([str(env_bin / "python"), "-m", "autograder", "grade", ASSIGNMENT,
                    "--no-progress", "--force", "--require-isolation"], course,
                   course.parent, env_bin)
    assert done.returncode == 2
    assert "--require-isolation: the sandbox is incomplete on this machine: no control groups" \
        in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
