"""Shared fixtures: the repository's notebooks, throwaway course directories, a graded class."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.course import ensure_tools_on_path
from tests.classes import graded_class  # noqa: F401  (a session fixture)
from tests.helpers import ASSIGNMENT, MASTER, RELEASE, copy_course, register_assignment

ensure_tools_on_path()


def pytest_collection_modifyitems(items):
    """Quick unit tests first, whole-notebook runs last (a failure shows up early)."""
    items.sort(key=lambda item: 1 if item.get_closest_marker("slow") else 0)


@pytest.fixture(scope="session")
def master_nb() -> nbformat.NotebookNode:
    return nbformat.read(str(MASTER), as_version=4)


@pytest.fixture(scope="session")
def release_nb() -> nbformat.NotebookNode:
    return nbformat.read(str(RELEASE), as_version=4)


@pytest.fixture(scope="session")
def reference_context():
    from solutions.W1D1_Tutorial2.context import ReferenceContext

    return ReferenceContext().warm_up()


@pytest.fixture(scope="session")
def registered_course(tmp_path_factory) -> Path:
    """A course whose SQLite gradebook already knows the assignment (creating one takes 4 s)."""
    root = copy_course(tmp_path_factory.mktemp("template") / "course")
    register_assignment(root, ASSIGNMENT)
    return root


@pytest.fixture
def course(registered_course, tmp_path) -> Path:
    """A fresh copy of the registered course for one test."""
    root = tmp_path / "course"
    shutil.copytree(registered_course, root)
    return root


