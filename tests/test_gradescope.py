"""The grader as a Gradescope autograder: the zip, setup.sh, run_autograder, results.json.

End to end, as Gradescope does it: ``python -m autograder gradescope`` packs a copy of the course
(with a second assignment and another assignment's plug-in beside it), the zip is unpacked into a
fresh ``<root>/source``, ``setup.sh`` installs into a fresh virtual environment of the system's
Python (pip, the pinned requirements, nothing of this project's environment), and
``run_autograder`` grades uploads in ``<root>/submission`` into ``<root>/results/results.json``,
which must follow Gradescope's specification, score what ``python -m autograder grade`` scores,
and never show a student a hidden test or the masters. One run forbids namespaces the way
Docker's default seccomp profile does, as Gradescope's container may.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from traitlets.config import PyFileConfigLoader

from autograder import record
from autograder.gradescope.pack import plugin_files
from autograder.gradescope.run import PackedCourse, student_view
from autograder.gradescope.upload import read_upload
from autograder.judge import IN_PROCESS, TRUSTED
from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.classes import with_extra_code
from tests.courses import SECOND_ASSIGNMENT, add_plain_assignment
from tests.helpers import ASSIGNMENT, MASTER, NOTEBOOK, REPO, grade, results, run_module

#: Gradescope's visibility settings (its autograder specification).
SPEC_VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: Another assignment's trusted checks, in a module of the course (never packed with ours).
OTHER_PLUGIN = '''"""Trusted checks of another assignment of the course."""
from autograder.plugins import AssignmentChecks

CHECKS = AssignmentChecks(assignment="W3_other", notebook="other", checks={})
'''
#: Run a program with unshare(2) refused (EPERM), as Docker's default seccomp profile refuses it
#: to a container without CAP_SYS_ADMIN; x86_64 only.
WITHOUT_NAMESPACES = r'''
import ctypes, errno, os, sys
class Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]
class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]
steps = (Filter * 6)(
    Filter(0x20, 0, 0, 4), Filter(0x15, 0, 3, 0xC000003E),  # x86_64, else allow
    Filter(0x20, 0, 0, 0), Filter(0x15, 0, 1, 272),         # unshare
    Filter(0x06, 0, 0, 0x00050000 | errno.EPERM), Filter(0x06, 0, 0, 0x7FFF0000))
program = Program(len(steps), steps)
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(program), 0, 0):
    raise OSError(ctypes.get_errno(), "seccomp")
os.execv(sys.argv[1], sys.argv[1:])
'''
#: A lif_neuron that tries to read a file and says, in the error it raises, what it read.
READS_A_FILE = '''
def lif_neuron(n_steps=1000, alpha=0.01, rate=10):
    try:
        with open({path!r}) as handle:
            text = handle.read()
    except OSError as exc:
        raise ValueError("NOLEAK " + type(exc).__name__) from None
    start = text.find("BEGIN SOLUTION")
    raise ValueError("LEAKED " + text[start:start + 300].replace(chr(10), " "))
'''


# --- what results.json must be ------------------------------------------------------------------

def _reject_constant(name: str):
    raise AssertionError(f"results.json holds {name}, which is not JSON")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def valid_results(text: str) -> dict:
    """results.json checked against Gradescope's autograder specification (strict JSON, the
    fields and their types, the visibility values, scores that add up)."""
    data = json.loads(text, parse_constant=_reject_constant)
    assert isinstance(data, dict)
    assert _number(data["score"])
    for key in ("max_score", "execution_time"):
        assert key not in data or _number(data[key]), key
    assert isinstance(data.get("output", ""), str)
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in SPEC_VISIBILITIES, key
    assert isinstance(data.get("extra_data", {}), dict)
    tests = data.get("tests", [])
    assert isinstance(tests, list)
    for test in tests:
        assert isinstance(test["name"], str) and test["name"]
        assert _number(test["score"]) and _number(test["max_score"])
        assert 0 <= test["score"] <= test["max_score"], test
        assert isinstance(test.get("output", ""), str)
        assert test.get("visibility", "visible") in SPEC_VISIBILITIES
        assert test.get("status", "passed") in ("passed", "failed")
    if tests:
        assert sum(t["score"] for t in tests) == pytest.approx(data["score"])
        assert sum(t["max_score"] for t in tests) == pytest.approx(data["max_score"])
    assert data["score"] <= data.get("max_score", data["score"])
    return data


def hidden_test_lines() -> list[str]:
    """Every line between the hidden-test delimiters of the master."""
    lines, inside = [], False
    for cell in nbformat.read(str(MASTER), 4).cells:
        for line in cell.source.splitlines():
            if "### BEGIN HIDDEN TESTS" in line or "### END HIDDEN TESTS" in line:
                inside = "BEGIN" in line
            elif inside and line.strip():
                lines.append(line.strip())
    assert lines, "the master has hidden tests"
    return lines


def shows_no_hidden_test(text: str) -> None:
    shown = [line for line in hidden_test_lines() if line in text]
    assert not shown, f"results.json shows hidden tests: {shown}"


# --- the course, the zip, Gradescope's folders --------------------------------------------------

@pytest.fixture(scope="module")
def gs_course(registered_course, tmp_path_factory) -> Path:
    """A copy of the course with a second assignment and another assignment's plug-in."""
    root = tmp_path_factory.mktemp("gradescope") / "course"
    shutil.copytree(registered_course, root)
    add_plain_assignment(root)
    (root / "other_checks.py").write_text(OTHER_PLUGIN)
    with (root / "nbgrader_config.py").open("a") as config:
        config.write('\nc.Autograder.plugins = ["solutions.W1D1_Tutorial2:CHECKS", '
                     '"other_checks:CHECKS"]\n')
    return root


def pack(course: Path, cwd: Path, *args: str):
    """``python -m autograder gradescope`` run elsewhere than in the course, which is then on
    the path (for its own plug-in module, as an installed course package would be)."""
    return run_module("autograder", "gradescope", *args, "--course-dir", str(course), cwd=cwd,
                      env={"PYTHONPATH": str(course)})


def build_zip(course: Path, assignment: str, output: Path) -> tuple[zipfile.ZipFile, float]:
    started = time.monotonic()
    done = run_module("autograder", "gradescope", assignment, "--output", str(output),
                      cwd=course)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert str(output) in done.stdout
    return zipfile.ZipFile(output), seconds


@pytest.fixture(scope="module")
def packed(gs_course, tmp_path_factory) -> tuple[Path, float]:
    path = tmp_path_factory.mktemp("zip") / "autograder.zip"
    archive, seconds = build_zip(gs_course, ASSIGNMENT, path)
    archive.close()
    return path, seconds


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    """What a fresh machine has: the system's PATH (not this project's environment), pip's
    own settings, Gradescope's root."""
    env = {"PATH": SYSTEM_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
           "AUTOGRADER_GRADESCOPE_ROOT": str(root)}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    env.update(extra)
    return env


def unpack(archive: Path, root: Path) -> None:
    """Gradescope's layout: the zip in source/, run_autograder copied to the root."""
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / script, 0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")


@dataclass
class Gradescope:
    root: Path
    setup_seconds: float
    again_seconds: float
    setup: subprocess.CompletedProcess


def run_setup(root: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root,
                          env=clean_env(root), capture_output=True, text=True, timeout=1800)
    return done, time.monotonic() - started


@pytest.fixture(scope="module")
def gradescope(packed) -> Gradescope:
    """The zip unpacked where every user may pass (as /autograder is), setup.sh run twice."""
    if subprocess.run(["python3", "-c", "import venv, ensurepip"], env=clean_env(Path("/")),
                      capture_output=True).returncode != 0:
        pytest.skip("the system's python3 has no venv (setup.sh would apt-get install it)")
    root = Path(tempfile.mkdtemp(prefix="gradescope-root-", dir="/tmp"))
    os.chmod(root, 0o755)
    try:
        unpack(packed[0], root)
        first, seconds = run_setup(root)
        assert first.returncode == 0, first.stdout + first.stderr
        again, again_seconds = run_setup(root)
        assert again.returncode == 0, again.stdout + again.stderr
        print(f"\nsetup.sh: {seconds:.1f} s into a fresh environment, {again_seconds:.1f} s "
              "run again")
        yield Gradescope(root, seconds, again_seconds, first)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Run:
    done: subprocess.CompletedProcess
    text: str
    data: dict
    seconds: float


def run_autograder(root: Path, files: dict[str, bytes], without_namespaces: bool = False,
                   venv: Path | None = None) -> Run:
    """One submission, as Gradescope runs it: a fresh submission/ and results/, run_autograder
    in the root."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    command = [str(root / "run_autograder")]
    if without_namespaces:
        command = [sys.executable, "-c", WITHOUT_NAMESPACES, *command]
    extra = {"AUTOGRADER_GRADESCOPE_VENV": str(venv)} if venv else {}
    started = time.monotonic()
    done = subprocess.run(command, cwd=root, env=clean_env(root, **extra), capture_output=True,
                          text=True, timeout=900)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    text = (root / "results" / "results.json").read_text()
    print(f"\nrun_autograder: {seconds:.1f} s ({', '.join(files) or 'nothing uploaded'})")
    return Run(done, text, valid_results(text), seconds)


@pytest.fixture
def unanswered(release_nb) -> bytes:
    """The release notebook, unanswered."""
    return nbformat.writes(release_nb).encode()


def notebook_bytes(nb) -> bytes:
    return nbformat.writes(nb).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def master_path(root: Path) -> Path:
    return root / "source" / "course" / "source" / ASSIGNMENT / NOTEBOOK


@pytest.fixture(scope="module")
def notebooks(release_nb, gradescope) -> dict[str, bytes]:
    correct = fill_in(release_nb, answer("lif_neuron", "the reference form"),
                      answer("lif_neuron_inh", "the reference form"))
    wrong = fill_in(release_nb, answer("lif_neuron", "missing alpha"),
                    answer("lif_neuron_inh", "the reference form"))
    reader = with_extra_code(correct, "ex1_lif_neuron",
                             READS_A_FILE.format(path=str(master_path(gradescope.root))))
    return {"correct": notebook_bytes(correct), "wrong": notebook_bytes(wrong),
            "reader": notebook_bytes(reader)}


@pytest.fixture(scope="module")
def reference(gs_course, notebooks, tmp_path_factory) -> dict[str, dict]:
    """What ``python -m autograder grade`` gives for the same notebooks."""
    course = tmp_path_factory.mktemp("reference") / "course"
    shutil.copytree(gs_course, course)
    for student, data in notebooks.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_bytes(data)
    done = grade(course)
    assert done.returncode == 0, done.stderr
    return {student: results(course, student) for student in notebooks}


def scores(data: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in data["tests"]}


# --- the zip --------------------------------------------------------------------------------------

def test_the_zip_holds_the_assignment_the_grader_and_its_checks_only(packed, gs_course):
    archive = zipfile.ZipFile(packed[0])
    names = set(archive.namelist())
    print(f"\nautograder.zip: {packed[0].stat().st_size / 1024:.0f} KiB, {len(names)} files, "
          f"built in {packed[1]:.1f} s")
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(archive.getinfo(script).external_attr >> 16) == 0o755
    source = gs_course / "source" / ASSIGNMENT
    assert {n for n in names if n.startswith("course/source/")} == {
        f"course/source/{ASSIGNMENT}/{p.name}" for p in source.iterdir() if p.is_file()}
    engine = {f"python/{p.relative_to(REPO).as_posix()}" for p in (REPO / "autograder").rglob(
        "*.py") if "__pycache__" not in p.parts}
    assert engine <= names
    assert "python/solutions/__init__.py" in names
    assert f"python/solutions/{ASSIGNMENT}/calibration/lif_neuron.json" in names
    leaks = [n for n in names if SECOND_ASSIGNMENT in n or "other_checks" in n
             or n.startswith(("release/", "course/release/", "course/submitted/",
                              "course/autograded/")) or "gradebook" in n
             or "__pycache__" in n or n.endswith(".pyc")]
    assert not leaks
    assert all(n.startswith(("course/", "python/autograder/", "python/solutions/")) or n in {
        "setup.sh", "run_autograder", "requirements.txt", "autograder-gradescope.json"}
        for n in names)


def test_the_requirements_are_the_pinned_ranges_of_pyproject(packed):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    listed = zipfile.ZipFile(packed[0]).read("requirements.txt").decode().split()
    assert listed == project["dependencies"]


def test_the_packed_configuration_lists_only_this_assignments_checks(packed, tmp_path):
    zipfile.ZipFile(packed[0]).extract("course/nbgrader_config.py", tmp_path)
    config = PyFileConfigLoader("nbgrader_config.py",
                                path=str(tmp_path / "course")).load_config()
    assert list(config.Autograder.plugins) == ["solutions.W1D1_Tutorial2:CHECKS"]
    assert config.CourseDirectory.course_id == "how-models"


def test_the_same_course_gives_the_same_zip(gs_course, packed, tmp_path):
    archive, _ = build_zip(gs_course, ASSIGNMENT, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == packed[0].read_bytes()
    archive.close()


def test_a_plain_assignment_packs_no_trusted_checks(gs_course, tmp_path):
    archive, _ = build_zip(gs_course, SECOND_ASSIGNMENT, tmp_path / "plain.zip")
    names = archive.namelist()
    assert f"course/source/{SECOND_ASSIGNMENT}/plain.ipynb" in names
    assert not [n for n in names if "solutions" in n or ASSIGNMENT in n or "other_checks" in n]


def test_the_zip_goes_to_autograder_zip_in_the_current_folder(gs_course, tmp_path):
    done = pack(gs_course, tmp_path, ASSIGNMENT)
    assert done.returncode == 0, done.stderr
    assert "wrote autograder.zip" in done.stdout
    assert zipfile.is_zipfile(tmp_path / "autograder.zip")
    again = pack(gs_course, tmp_path, ASSIGNMENT)
    assert again.returncode == 0 and "replaced autograder.zip" in again.stdout


@pytest.mark.parametrize("content", [b"my own notes", zipped({"mine.txt": b"x"})],
                         ids=["a file of the instructor's", "a zip another program wrote"])
def test_a_file_this_command_did_not_make_is_never_overwritten(gs_course, tmp_path, content):
    target = tmp_path / "autograder.zip"
    target.write_bytes(content)
    done = pack(gs_course, tmp_path, ASSIGNMENT)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--force" in done.stderr
    assert target.read_bytes() == content
    forced = pack(gs_course, tmp_path, ASSIGNMENT, "--force")
    assert forced.returncode == 0 and "did not make" in forced.stdout
    assert zipfile.ZipFile(target).read("autograder-gradescope.json")


def test_an_unknown_assignment_is_refused_in_one_line(gs_course, tmp_path):
    done = pack(gs_course, tmp_path, "no_such_assignment")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "no_such_assignment" in done.stderr
    assert not (tmp_path / "autograder.zip").exists()


def test_a_plug_in_is_packed_with_the_modules_of_its_package_it_imports(tmp_path, monkeypatch):
    package = tmp_path / "mycourse"
    for rel, text in {
            "__init__.py": "",
            "shared.py": "REFERENCE = 1\n",
            "week1/__init__.py": "from mycourse.week1.checks import CHECKS\n",
            "week1/checks.py": "import numpy\nfrom ..shared import REFERENCE\nCHECKS = []\n",
            "week1/data.json": "{}",
            "week2/__init__.py": "from mycourse import shared\n"}.items():
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert set(plugin_files(["mycourse.week1:CHECKS"])) == {
        "mycourse/__init__.py", "mycourse/shared.py", "mycourse/week1/__init__.py",
        "mycourse/week1/checks.py", "mycourse/week1/data.json"}


def test_run_autograder_without_setup_still_writes_results(packed, tmp_path):
    root = tmp_path / "root"
    unpack(packed[0], root)
    done = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True,
                          text=True, env=clean_env(root, AUTOGRADER_GRADESCOPE_VENV=str(
                              tmp_path / "missing")), timeout=60)
    assert done.returncode == 1 and "setup.sh did not finish" in done.stderr
    data = valid_results((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "setup.sh did not finish" in data["output"]


def test_a_grader_that_cannot_start_still_writes_results_with_the_reason(packed, unanswered,
                                                                         tmp_path):
    """The grade command exits 2 (a plug-in it cannot import): results.json says why."""
    root = tmp_path / "root"
    unpack(packed[0], root)
    with (root / "source" / "course" / "nbgrader_config.py").open("a") as config:
        config.write('\nc.Autograder.plugins = ["no_such_course_module:CHECKS"]\n')
    (root / "submission" / NOTEBOOK).write_bytes(unanswered)
    done = run_module("autograder.gradescope", "run", "--root", str(root), cwd=root)
    assert done.returncode == 0, done.stderr
    data = valid_results((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["max_score"] == 10
    assert data["output"].splitlines()[0] == (
        "the grader could not grade this upload: Autograder.plugins: cannot import "
        "no_such_course_module (ModuleNotFoundError: No module named 'no_such_course_module')")


# --- reading an upload ----------------------------------------------------------------------------

def upload_of(tmp_path: Path, files: dict[str, bytes], notebooks=("hw",)):
    folder = tmp_path / "submission"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return read_upload(folder, list(notebooks), max_files=100, max_bytes=2**20)


def test_a_zip_never_writes_outside_the_submission(tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("hw.ipynb", b"{}")
        opened.writestr("../../escaped.py", b"x")
        opened.writestr("/etc/absolute.py", b"x")
        link = zipfile.ZipInfo("link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        opened.writestr(link, "/etc/passwd")
    upload = upload_of(tmp_path, {"upload.zip": archive.getvalue()})
    assert upload.problem is None
    assert set(upload.files) == {"hw.ipynb"}
    assert len([n for n in upload.notes if "skipped" in n]) == 3


def test_a_link_in_the_submission_is_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "hw.ipynb").write_bytes(b"{}")
    (folder / "data.txt").symlink_to(secret)
    upload = read_upload(folder, ["hw"], max_files=100, max_bytes=2**20)
    assert set(upload.files) == {"hw.ipynb"}
    assert any("data.txt" in n and "link" in n for n in upload.notes)


def test_a_zip_of_a_folder_is_read_from_the_folder_holding_the_notebook(tmp_path):
    upload = upload_of(tmp_path, {"upload.zip": zipped({
        "week1/hw.ipynb": b"{}", "week1/data/x.csv": b"1", "__MACOSX/week1/._hw.ipynb": b"",
        "notes.txt": b"n"})})
    assert set(upload.files) == {"hw.ipynb", "data/x.csv"}
    assert any("notes.txt" in n for n in upload.notes)


def test_an_upload_over_the_limits_is_not_read(tmp_path):
    upload = upload_of(tmp_path, {"upload.zip": zipped({"hw.ipynb": b"x" * (2**20 + 1)})})
    assert upload.problem and "MiB" in upload.problem and not upload.files


# --- what students see ----------------------------------------------------------------------------

def test_students_see_no_hidden_test_and_no_instructor_only_data():
    packed_course = PackedCourse.load(REPO, ASSIGNMENT)
    secret = hidden_test_lines()[0]
    tests = [record.TestResult("ex1_hidden", 0.0, 3.0, f"your code printed:\n{secret}\nthen failed",
                        True, ASSIGNMENT, TRUSTED),
             record.TestResult("ex1_public", 2.0, 2.0, "", False, ASSIGNMENT, IN_PROCESS)]
    result = record.GradeResult("student", ASSIGNMENT, 2.0, 5.0, tests, notes=[f"note {secret}"],
                         extra={"checks": {"ex1_hidden": {"details": "reference: 42"}},
                                "master_digest": "abc", "execution": {"seconds": float("nan")}})
    view = student_view(result, packed_course.secrets)
    text = json.dumps(view, allow_nan=False)
    valid_results(text)
    shows_no_hidden_test(text)
    assert "[hidden test]" in view["tests"][0]["output"]
    assert "then failed" in view["tests"][0]["output"]
    assert view["tests"][0]["visibility"] == "after_published"
    assert view["tests"][1]["visibility"] == "visible"
    assert view["stdout_visibility"] == "hidden"
    assert set(view["extra_data"]) <= {"assignment", "error", "grader_version", "execution"}
    assert view["extra_data"]["execution"]["seconds"] is None


# --- on Gradescope --------------------------------------------------------------------------------

@pytest.mark.slow
def test_setup_installs_a_fresh_environment_and_runs_again_unchanged(gradescope):
    root = gradescope.root
    venv = root / "venv"
    config = (venv / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in config
    found = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import autograder, nbgrader, solutions; print(autograder.__file__); "
                            "print(solutions.__file__)"],
                           env=clean_env(root), capture_output=True, text=True, cwd="/")
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == [str(root / "source/python/autograder/__init__.py"),
                                    str(root / "source/python/solutions/__init__.py")]
    assert f"{ASSIGNMENT} is ready to grade" in gradescope.setup.stdout
    assert (root / "source" / "course" / "gradebook.db").is_file()
    assert stat.S_IMODE((root / "source").stat().st_mode) == 0o700
    assert gradescope.again_seconds < gradescope.setup_seconds


GRADABLE = {
    "the correct notebook": ("correct", NOTEBOOK, False),
    "a wrong notebook": ("wrong", NOTEBOOK, False),
    "the correct notebook under another name": ("correct", "W1D1_Tutorial2 (2).ipynb", False),
    "the correct notebook in a zip of a folder": ("correct", "folder", True),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(GRADABLE), ids=[f"{c} scores what grade gives it"
                                                      for c in GRADABLE])
def test_an_upload_scores_what_grade_gives_it(gradescope, notebooks, reference, case):
    student, name, in_zip = GRADABLE[case]
    files = {name: notebooks[student]}
    if in_zip:
        files = {"upload.zip": zipped({f"my work/{NOTEBOOK}": notebooks[student],
                                       "__MACOSX/my work/._x": b""})}
    run = run_autograder(gradescope.root, files)
    expected = reference[student]
    assert scores(run.data) == scores(expected)
    assert run.data["score"] == expected["score"] and run.data["max_score"] == 10
    shows_no_hidden_test(run.text)
    by_name = {t["name"]: t for t in run.data["tests"]}
    assert {n: t["visibility"] for n, t in by_name.items()} == {
        "ex1_public": "visible", "ex1_hidden": "after_published",
        "ex2_public": "visible", "ex2_hidden": "after_published"}
    if student == "wrong":
        assert "alpha" in by_name["ex1_hidden"]["output"]  # the diagnosis of the mistake
    assert "checks" not in run.data["extra_data"]
    assert run.data["extra_data"]["execution"]["isolation"]["namespaces"] is True


BROKEN = {
    "a file that is not a notebook": ({"answers.txt": b"I did it"}, "no notebook"),
    "a notebook that is not JSON": ({NOTEBOOK: b'{"cells": ['}, "not valid notebook JSON"),
    "an empty zip": ({"upload.zip": zipped({})}, "empty"),
    "a zip without the assignment's notebook": (
        {"upload.zip": zipped({"a.ipynb": b"{}", "b.ipynb": b"{}"})}, "no notebook named"),
    "nothing": ({}, "nothing was uploaded"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BROKEN), ids=[f"{c} scores 0 with a one-line reason"
                                                    for c in BROKEN])
def test_a_broken_upload_scores_zero_with_a_one_line_reason(gradescope, case):
    files, reason = BROKEN[case]
    run = run_autograder(gradescope.root, files)
    assert run.data["score"] == 0 and run.data["max_score"] == 10
    first = run.data["output"].splitlines()[0]
    assert reason in first
    assert {t["name"] for t in run.data["tests"]} == {"ex1_public", "ex1_hidden", "ex2_public",
                                                      "ex2_hidden"}
    assert all(t["score"] == 0 and reason in t["output"] for t in run.data["tests"])
    assert "Traceback" not in run.text


@pytest.mark.slow
@pytest.mark.parametrize("without_namespaces", [False, True],
                         ids=["in the full sandbox", "where the container refuses namespaces"])
def test_student_code_cannot_read_the_masters(gradescope, notebooks, reference,
                                              without_namespaces):
    if without_namespaces and platform.machine() != "x86_64":
        pytest.skip("the seccomp filter of this test is written for x86_64")
    run = run_autograder(gradescope.root, {NOTEBOOK: notebooks["reader"]}, without_namespaces)
    isolation = run.data["extra_data"]["execution"]["isolation"]
    assert isolation["namespaces"] is (not without_namespaces)
    assert isolation["user"] == "own user"
    assert "LEAKED" not in run.text
    error = "PermissionError" if without_namespaces else "FileNotFoundError"
    assert f"NOLEAK {error}" in run.text, "the reading code ran and was refused"
    assert scores(run.data) == scores(reference["reader"])
    assert scores(run.data)["ex2_hidden"] == 3
    if without_namespaces:
        assert "no namespaces" in run.done.stdout  # the instructor reads what did not hold


@pytest.mark.slow
def test_a_hidden_test_echoed_by_student_code_is_scrubbed(gradescope, gs_course, tmp_path):
    """A plain assignment's hidden test runs in the student's process: code that reads its
    caller's source and raises it must not show the test to the student."""
    archive, _ = build_zip(gs_course, SECOND_ASSIGNMENT, tmp_path / "plain.zip")
    archive.close()
    root = tmp_path / "root"
    unpack(tmp_path / "plain.zip", root)
    nb = nbformat.read(str(gs_course / "source" / SECOND_ASSIGNMENT / "plain.ipynb"), 4)
    nb.cells[0].source = (
        "def double(x):\n    if x == -3:\n        import traceback\n"
        "        raise ValueError(' / '.join(f.line for f in traceback.extract_stack() if f.line))"
        "\n    return 2 * x")
    secret = "assert double(-3) == -6"
    assert secret in nb.cells[1].source
    nb.cells[1].source = nb.cells[1].source.split("### BEGIN HIDDEN TESTS")[0]
    # No setup.sh here: the first root's environment has the same grader, and the gradebook is
    # then recorded by the grader itself.
    run = run_autograder(root, {"plain.ipynb": notebook_bytes(nb)},
                         venv=gradescope.root / "venv")
    assert run.data["score"] == 0 and run.data["max_score"] == 1
    assert secret not in run.text
    assert "[hidden test]" in run.data["tests"][0]["output"]
