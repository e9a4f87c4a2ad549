"""The sample class of ``make demo`` for the bonus assignment: typical answers to the three
exercises and the written question, a truncated file and a tampered one.

The students are the first assignment's (``make demo`` grades both assignments for one class).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.authoring import demo_submission, tampered_notebook, truncated_notebook
from solutions.W1D1_Tutorial2_Bonus import ASSIGNMENT
from solutions.W1D1_Tutorial2_Bonus.catalogue import answer, fill_in

NOTEBOOK = f"{ASSIGNMENT}.ipynb"

WRITTEN = {
    "good": "The simulation only sees the threshold crossing on a time step, so each period is "
            "rounded up by up to one dt, and the Euler step approaches V_inf a little faster "
            "than the exponential. Both errors shrink with dt. Below 0.3 nA, V_rest + R_m I "
            "stays below V_th, so the neuron never fires; R_m and V_th - V_rest set that current.",
    "short": "Because of dt. Below 0.3 nA the current is too small to reach the threshold.",
}

#: (student, simulate_lif answer, firing_rate answer, lif_rate answer, written answer, summary)
DEMO_CLASS = (
    ("alice", "the reference form", "the reference form", "the reference form", "good",
     "correct"),
    ("bob", "the equation's form", "intervals over the span", "math.log", "short",
     "correct, written another way"),
    ("carol", "no refractory period", "the reference form", "the refractory period left out",
     "good", "partly correct"),
    ("dave", "dt missing", "spikes per ms", "spikes per ms", "short", "wrong"),
    ("erin", "the stub left in", "the stub left in", "the stub left in", None, "not attempted"),
)


def _notebook(release_nb, first: str, second: str, third: str, written: str | None) -> str:
    nb = fill_in(release_nb, answer("simulate_lif", first), answer("firing_rate", second),
                 answer("lif_rate", third), written=WRITTEN[written] if written else None)
    return nbformat.writes(nb)


def sample_class(release_folder: Path) -> dict[str, dict[str, bytes]]:
    """``{student: {file name: content}}``: correct, partial, wrong, broken and tampered."""
    release_nb = nbformat.read(str(Path(release_folder) / NOTEBOOK), as_version=4)
    students = {student: demo_submission(NOTEBOOK, _notebook(release_nb, *answers))
                for student, *answers, _ in DEMO_CLASS}
    correct = _notebook(release_nb, "the reference form", "the reference form",
                        "the reference form", "good")
    # a truncated file, and hand-edited tests (a self-check replaced and re-weighted, the hidden
    # checks of Exercise 1 deleted)
    students["frank"] = demo_submission(NOTEBOOK, truncated_notebook(correct))
    tampered = _notebook(release_nb, "dt missing", "the reference form", "the reference form",
                         "short")
    students["grace"] = demo_submission(
        NOTEBOOK, tampered_notebook(tampered, delete="ex1_hidden", rewrite="ex1_public"))
    return students
