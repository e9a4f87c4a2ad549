"""``python -m autograder classroom``: a GitHub Classroom template that holds what students get
and nothing more, and whose workflow scores the public test cells as our grader does.

The workflow's commands run here exactly as GitHub runs them (the command grader's short
environment included), except the ``pip install`` step: offline, it is checked instead that the
requirements pin the very versions installed here.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pytest
import yaml

from solutions.W1D1_Tutorial2 import models
from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.helpers import (
    ASSIGNMENT,
    MASTER,
    NOTEBOOK,
    REPO,
    cell_scores,
    copy_course,
    grade,
    gradebook_scores,
    results,
    run_module,
    submit,
)

pytestmark = pytest.mark.slow

COMMAND_GRADER = "education/autograding-command-grader@v1"
REPORTER = "education/autograding-grading-reporter@v1"
OURS = {"README.md", ".gitignore", ".github/workflows/classroom.yml",
        ".github/classroom/public_checks.py", ".github/classroom/public_tests.json",
        ".github/classroom/requirements.txt"}


def with_test_cell_rewritten(nb, grade_id: str, source: str):
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    next(c for c in nb.cells
         if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id).source = source
    return nb


#: student -> (what the notebook is, how to make it from the released notebook)
NOTEBOOKS = {
    "correct": ("a correct notebook", lambda nb: fill_in(
        nb, answer("lif_neuron", "the reference form"),
        answer("lif_neuron_inh", "the reference form"))),
    "caught": ("a mistake the public self-checks catch", lambda nb: fill_in(
        nb, answer("lif_neuron", "missing alpha"), answer("lif_neuron_inh", "the reference form"))),
    "hidden-only": ("a mistake only the hidden checks catch", lambda nb: fill_in(
        nb, answer("lif_neuron", "the previous step's input"),
        answer("lif_neuron_inh", "the reference form"))),
    "unfinished": ("an unfinished notebook", lambda nb: fill_in(
        nb, answer("lif_neuron", "the reference form"))),
    "rewritten-test": ("a notebook whose public test cell was rewritten", lambda nb:
                       with_test_cell_rewritten(fill_in(nb, answer("lif_neuron", "missing alpha")),
                                                "ex1_public", "print('all fine')")),
}


def master_regions(begin: str, end: str) -> list[str]:
    """The master's lines between two nbgrader delimiters (trivial short lines left out)."""
    found, inside = [], False
    for cell in nbformat.read(str(MASTER), 4).cells:
        for line in cell.source.splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and len(line.strip()) >= 12:
                found.append(line.strip())
    assert found, f"the master has no {begin} region to look for"
    return found


def public_cells_of_master() -> dict[str, int]:
    return {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
            for c in nbformat.read(str(MASTER), 4).cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata.nbgrader.get("solution")
            and "BEGIN HIDDEN TESTS" not in c.source}


def strings_in(path: Path) -> str:
    """A file's text, plus every string in it when it is JSON (a notebook's cells are escaped
    in its raw text)."""
    raw = path.read_bytes().decode("utf-8", errors="ignore")
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return raw + "\n" + "\n".join(found)


def files_of(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("classroom") / "template"
    done = run_module("autograder", "classroom", ASSIGNMENT, "--course-dir", str(REPO),
                      str(folder), cwd=folder.parent)
    assert done.returncode == 0, done.stderr
    assert "2 public check(s), 4 point(s)" in done.stdout
    return folder


@pytest.fixture(scope="module")
def workflow(template) -> dict:
    return yaml.safe_load((template / ".github" / "workflows" / "classroom.yml").read_text())


@pytest.fixture(scope="module")
def our_grades(registered_course, tmp_path_factory) -> dict[str, dict[str, float]]:
    """Our grader's cell scores for every notebook of NOTEBOOKS, graded as one class."""
    root = tmp_path_factory.mktemp("classroom-grades") / "course"
    shutil.copytree(registered_course, root)
    released = nbformat.read(str(REPO / "release" / ASSIGNMENT / NOTEBOOK), 4)
    for student, (_, make) in NOTEBOOKS.items():
        submit(root, student, make(released))
    done = grade(root)
    assert done.returncode == 0, done.stderr
    return {student: cell_scores(results(root, student)) for student in NOTEBOOKS}


def test_the_template_holds_the_release_and_the_public_checks_only(template):
    release = REPO / "release" / ASSIGNMENT
    assert files_of(template) == files_of(release) | OURS
    for rel in files_of(release):
        assert (template / rel).read_bytes() == (release / rel).read_bytes(), rel


def test_no_file_holds_a_hidden_test_a_solution_or_the_reference_model(template):
    released = "\n".join(c.source for c in nbformat.read(str(REPO / "release" / ASSIGNMENT /
                                                             NOTEBOOK), 4).cells)
    reference = [inspect.getsource(models.lif_neuron), inspect.getsource(models.lif_neuron_inh)]
    reference_lines = [line.strip() for source in reference for line in source.splitlines()
                       if len(line.strip()) >= 12 and line.strip() not in released]
    assert reference_lines, "the reference model has no line of its own to look for"
    secrets = [*master_regions("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
               *master_regions("BEGIN SOLUTION", "END SOLUTION"), *reference, *reference_lines,
               "BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "from solutions", "check_lif_neuron"]
    master = MASTER.read_bytes()
    for path in sorted(p for p in template.rglob("*") if p.is_file()):
        assert path.read_bytes() != master, f"{path} is the master"
        text = strings_in(path)
        leaks = [s for s in secrets if s in text]
        assert not leaks, f"{path.relative_to(template)} holds {leaks[0]!r}"


def test_the_workflow_is_github_classrooms_autograding_of_the_public_cells(workflow):
    assert {"push"} <= set(workflow["on"])
    assert workflow["permissions"] == {"checks": "write", "actions": "read",
                                       "contents": "read"}
    job = workflow["jobs"]["run-autograding-tests"]  # the reporter updates this check run
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    steps = job["steps"]
    graders = [s for s in steps if s.get("uses") == COMMAND_GRADER]
    assert {s["with"]["command"].split()[-1]: s["with"]["max-score"] for s in graders} == \
        public_cells_of_master()
    for step in graders:
        assert set(step["with"]) >= {"test-name", "command", "max-score"}
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", step["id"]), "the reporter's id rule"
    reporter = steps[-1]
    assert reporter["uses"] == REPORTER
    ids = [s["id"] for s in graders]
    assert reporter["with"]["runners"].split(",") == ids
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}"
                               for i in ids}
    runs = [s for s in steps if "run" in s]
    assert steps.index(runs[-1]) < steps.index(graders[0]), "the notebooks run before scoring"


def test_the_requirements_pin_the_versions_installed_here_and_cover_the_imports(template):
    lines = (template / ".github" / "classroom" / "requirements.txt").read_text().split()
    pins = dict(line.split("==") for line in lines)
    for name, version in pins.items():
        assert importlib.metadata.version(name) == version, name
    assert {"nbclient", "ipykernel"} <= set(pins)
    distributions = importlib.metadata.packages_distributions()
    nb = nbformat.read(str(template / NOTEBOOK), 4)
    imported = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            imported |= set(re.findall(r"^\s*(?:import|from)\s+(\w+)", cell.source, re.M))
    third_party = {d for name in imported - set(sys.stdlib_module_names)
                   for d in distributions.get(name, [name])}
    assert third_party, "the notebook imports no package: nothing checked"
    assert third_party <= set(pins), third_party - set(pins)


def workflow_run_steps(workflow) -> list[str]:
    """Every ``run`` command of the workflow but the package installation (checked above)."""
    commands = []
    for step in workflow["jobs"]["run-autograding-tests"]["steps"]:
        if "run" not in step:
            continue
        if step["run"].startswith("python -m pip install"):
            assert step["run"] == "python -m pip install -r .github/classroom/requirements.txt"
            continue
        commands.append(step["run"])
    assert commands
    return commands


def points_as_github_reports_them(workflow, folder: Path) -> dict[str, int]:
    """Run the workflow's commands in ``folder``; each command-grader step awards its max-score
    when its command exits 0, as education/autograding-command-grader does (it gives the
    command only PATH, HOME and a few more variables)."""
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    for command in workflow_run_steps(workflow):
        subprocess.run(command, shell=True, cwd=folder, check=True, timeout=600,
                       env={**os.environ, "PATH": path}, capture_output=True)
    points = {}
    for step in workflow["jobs"]["run-autograding-tests"]["steps"]:
        if step.get("uses") != COMMAND_GRADER:
            continue
        done = subprocess.run(step["with"]["command"], shell=True, cwd=folder, timeout=60,
                              env={"PATH": path, "HOME": os.environ.get("HOME", "/"),
                                   "FORCE_COLOR": "true"}, capture_output=True, text=True)
        assert done.stderr == "", "an older command grader fails a test that writes to stderr"
        cell = step["with"]["command"].split()[-1]
        points[cell] = step["with"]["max-score"] if done.returncode == 0 else 0
    return points


@pytest.mark.parametrize("student", sorted(NOTEBOOKS),
                         ids=lambda s: f"{NOTEBOOKS[s][0]} gets our grader's public points")
def test_the_workflow_awards_our_graders_points_for_the_public_cells(
        template, workflow, our_grades, tmp_path, student):
    folder = tmp_path / "student-repo"
    shutil.copytree(template, folder)
    path = folder / NOTEBOOK
    nbformat.write(NOTEBOOKS[student][1](nbformat.read(str(path), 4)), str(path))
    reported = points_as_github_reports_them(workflow, folder)
    ours = our_grades[student]
    assert reported == {cell: ours[cell] for cell in reported}
    assert set(reported) == set(public_cells_of_master())
    if student == "hidden-only":  # the hidden checks never count on GitHub
        assert sum(reported.values()) == 4 and ours["ex1_hidden"] == 0


def bad_course(tmp_path: Path, problem: str) -> tuple[Path, Path]:
    root = copy_course(tmp_path / "course")
    folder = tmp_path / "template"
    if problem == "release":
        shutil.copyfile(MASTER, root / "release" / ASSIGNMENT / NOTEBOOK)
    elif problem == "folder":
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")
    return root, folder


@pytest.mark.parametrize("problem, message", [
    ("release", f"release/{ASSIGNMENT}/{NOTEBOOK}: cell"),
    ("folder", "exists and is not empty"),
], ids=["a release that still holds the master's solutions is refused",
        "a folder that is not empty is refused and left alone"])
def test_bad_input_is_refused_with_one_line_and_nothing_written(tmp_path, problem, message):
    root, folder = bad_course(tmp_path, problem)
    before = files_of(folder) if folder.exists() else None
    done = run_module("autograder", "classroom", ASSIGNMENT, "--course-dir", str(root),
                      str(folder), cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert (files_of(folder) if folder.exists() else None) == before


GUIDE = REPO / "docs" / "github-classroom.md"


def collect_script() -> str:
    """The guide's collection loop, as printed."""
    after = GUIDE.read_text().split("<!-- collect: run by tests/test_classroom.py -->", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def script_value(script: str, name: str) -> str:
    return re.search(rf'^{name}="?([^"\n]*)"?$', script, re.M).group(1)


def git_commit(repo: Path, when: datetime, message: str) -> None:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    for command in (["add", "-A"], ["-c", "user.name=Student", "-c", "user.email=s@example.org",
                                    "commit", "-q", "-m", message]):
        subprocess.run(["git", *command], cwd=repo, env=env, check=True, capture_output=True)


def test_the_guides_collection_grades_each_repository_as_it_was_at_the_deadline(
        template, course):
    """Two cloned student repositories, one with a fix pushed after the deadline: the guide's
    loop collects the work at the deadline into submitted/ and grades it."""
    script = collect_script()
    deadline = datetime.strptime(script_value(script, "DEADLINE"), "%Y-%m-%d %H:%M %Z")
    before, after = deadline - timedelta(hours=5), deadline + timedelta(hours=1)
    released = nbformat.read(str(template / NOTEBOOK), 4)
    pushes = {"alice": [(before, NOTEBOOKS["correct"][1])],
              "bob": [(before, NOTEBOOKS["caught"][1]), (after, NOTEBOOKS["correct"][1])]}
    for login, commits in pushes.items():
        repo = course / script_value(script, "CLONES") / f"{script_value(script, 'PREFIX')}{login}"
        shutil.copytree(template, repo)
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        git_commit(repo, before - timedelta(days=7), "the template")
        for when, make in commits:
            nbformat.write(make(released), str(repo / NOTEBOOK))
            git_commit(repo, when, "my work")
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    done = subprocess.run(["bash", "-e", "-c", script], cwd=course, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PATH": path})
    assert done.returncode == 0, done.stderr
    assert gradebook_scores(course, "alice") == {"ex1_public": 2, "ex1_hidden": 3,
                                                 "ex2_public": 2, "ex2_hidden": 3}
    bob = gradebook_scores(course, "bob")
    assert bob["ex1_public"] == 0 and bob["ex1_hidden"] == 0, "graded after the deadline"
    folder = course / "submitted" / "bob" / ASSIGNMENT
    assert (folder / "timestamp.txt").read_text().strip() == \
        before.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert not (folder / ".github").exists(), "the checks' folder is not part of the work"
