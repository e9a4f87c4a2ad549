"""A class with every kind of submission, graded once per test session through the CLI.

Shared by the grader's tests and the report and feedback tests (grading it takes a while).
"""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.helpers import ASSIGNMENT, grade, submit


def student_nb(release_nb, first="the reference form", second="the reference form"):
    return fill_in(release_nb, answer("lif_neuron", first), answer("lif_neuron_inh", second))


def with_extra_code(nb, grade_id: str, code: str):
    """The notebook with code appended to a student's exercise cell."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source += "\n" + code
    return nb


def tampered(release_nb, flags: bool = True) -> bytes:
    """Exercise 1's tests edited, deleted and re-weighted; with ``flags``, exercise 2's public
    test also unlocked and marked not graded."""
    nb = json.loads(nbformat.writes(student_nb(release_nb, "missing alpha")))
    nb["cells"] = [c for c in nb["cells"]
                   if c["metadata"].get("nbgrader", {}).get("grade_id") != "ex1_hidden"]
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id") == "ex1_public":
            cell["source"] = "print('all fine')"
            meta["points"] = 100
        if meta.get("grade_id") == "ex2_public" and flags:
            meta["locked"] = False
            meta["grade"] = False
    return json.dumps(nb).encode()


UNREADABLE = {
    "malformed": (b'{"cells": [', "is not valid notebook JSON"),
    "empty": (b"", "is empty"),
    "binary": (bytes(range(256)) * 4, "binary"),
    "format3": (json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                            "worksheets": []}).encode(), "format 3"),
}

DYING = {
    "crasher": "import os; os._exit(3)",
    "hanger": "import signal, time\nfor s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):\n"
              "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)",
    "hog": "hog = [bytearray(64 * 2**20) for _ in range(200)]",
    "flood": "print('x' * 30_000_000)\nfrom IPython.display import display, HTML\n"
             "display(HTML('<p>' * 5_000_000))",
}


@pytest.fixture(scope="session")
def graded_class(registered_course, tmp_path_factory, release_nb):
    """One class with every kind of submission, graded once through the command line."""
    root = tmp_path_factory.mktemp("class") / "course"
    shutil.copytree(registered_course, root)
    submit(root, "alice", student_nb(release_nb))
    submit(root, "carol", student_nb(release_nb, "a while loop", "a missing leak"))
    submit(root, "dave", student_nb(release_nb, "missing alpha", "the inputs' signs swapped"))
    for student, (content, _) in UNREADABLE.items():
        submit(root, student, content)
    submit(root, "renamer", student_nb(release_nb), name="my_homework.ipynb")
    submit(root, "mallory", tampered(release_nb))
    for student, code in DYING.items():
        submit(root, student, with_extra_code(student_nb(release_nb), "ex2_lif_neuron_inh", code))
    for folder in (root / "submitted").iterdir():  # what nbgrader collect leaves there
        (folder / ASSIGNMENT / "submission_secret.txt").write_text(f"secret-{folder.name}")
    done = grade(root, "--cell-timeout", "4", "--memory-mb", "512")
    return root, done
