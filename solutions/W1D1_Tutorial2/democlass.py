"""The sample class of ``make demo``: a few students with typical answers, and two broken files."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.authoring import demo_submission, tampered_notebook, truncated_notebook
from solutions.W1D1_Tutorial2.catalogue import answer, fill_in

NOTEBOOK = "W1D1_Tutorial2.ipynb"

#: (student, exercise-1 answer, exercise-2 answer, what it shows).
DEMO_CLASS = (
    ("alice", "the reference form", "the reference form", "correct"),
    ("bob", "a fresh numpy sample per step", "fresh numpy samples per step",
     "correct, on another random stream"),
    ("carol", "a while loop", "a missing leak", "partly correct"),
    ("dave", "missing alpha", "the inputs' signs swapped", "wrong"),
    ("erin", "the stub left in", "the stub left in", "not attempted"),
)


def sample_class(release_folder: Path) -> dict[str, dict[str, bytes]]:
    """``{student: {file name: content}}``: correct, partial, wrong, broken and tampered."""
    release_nb = nbformat.read(str(Path(release_folder) / NOTEBOOK), as_version=4)
    students = {}
    for student, first, second, _ in DEMO_CLASS:
        nb = fill_in(release_nb, answer("lif_neuron", first), answer("lif_neuron_inh", second))
        students[student] = demo_submission(NOTEBOOK, nbformat.writes(nb))
    correct = nbformat.writes(fill_in(release_nb, answer("lif_neuron", "the reference form"),
                                      answer("lif_neuron_inh", "the reference form")))
    # a truncated file, and a hand-edited test cell (its points raised, another deleted)
    students["frank"] = demo_submission(NOTEBOOK, truncated_notebook(correct))
    students["grace"] = demo_submission(
        NOTEBOOK, tampered_notebook(correct, delete="ex2_hidden", rewrite="ex1_public"))
    return students
