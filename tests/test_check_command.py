"""``python -m autograder check NOTEBOOK``: one notebook, a verdict per exercise, an exit code."""

from __future__ import annotations

import nbformat
import pytest

from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.helpers import REPO, run_module

pytestmark = pytest.mark.slow


def check(path, *extra):
    return run_module("autograder", "check", str(path), "--course-dir", str(REPO), *extra,
                      cwd=path.parent)


def write(tmp_path, release_nb, first, second):
    path = tmp_path / "W1D1_Tutorial2.ipynb"
    nbformat.write(fill_in(release_nb, answer("lif_neuron", first),
                           answer("lif_neuron_inh", second)), str(path))
    return path


def test_a_correct_notebook_passes_with_exit_status_zero(tmp_path, release_nb):
    done = check(write(tmp_path, release_nb, "the reference form", "temporaries"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 / 10 points" in done.stdout
    assert "[PASS] ex2_hidden" in done.stdout and "behaves like the model answer" in done.stdout


def test_a_mistake_is_named_and_the_exit_status_is_non_zero(tmp_path, release_nb):
    done = check(write(tmp_path, release_nb, "the reference form", "a leak of the wrong sign"))
    assert done.returncode == 1
    assert "5 / 10 points" in done.stdout and "[FAIL] ex2_hidden" in done.stdout
    assert "the leak has the wrong sign" in done.stdout
    assert "BEGIN HIDDEN TESTS" not in done.stdout and "def lif_neuron" not in done.stdout


def test_an_unreadable_notebook_is_reported_with_its_name(tmp_path):
    path = tmp_path / "W1D1_Tutorial2.ipynb"
    path.write_text("{ not json")
    done = check(path)
    assert done.returncode == 2
    assert "W1D1_Tutorial2.ipynb" in done.stderr and "not valid notebook JSON" in done.stderr


def test_a_notebook_of_no_known_assignment_is_refused_with_exit_status_two(tmp_path, release_nb):
    path = tmp_path / "homework.ipynb"
    nbformat.write(release_nb, str(path))
    done = check(path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "homework.ipynb" in done.stderr and "--assignment" in done.stderr
