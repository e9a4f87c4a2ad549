"""The class report's panels for the bonus assignment: the students' f-I curves and spike counts.

Left: every student's ``lif_rate`` at the hidden calls of the first parameter set, against the
reference's analytic f-I curve for that set (students whose calls gave no number are counted in
the caption, not dropped). Right: every student's spike count on each hidden trial of
``simulate_lif``, with the reference's count as a star.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from solutions.W1D1_Tutorial2_Bonus import models  # noqa: E402
from solutions.W1D1_Tutorial2_Bonus.trials import (  # noqa: E402
    RATE_PARAMETERS,
    SIMULATION_TRIALS,
)

FIGURE = "fi_curves_and_spike_counts.png"
COLOURS = {True: "#4878a8", False: "#e15759"}


def _check_data(results, function: str) -> list[dict]:
    found = []
    for result in results:
        for check in result.extra.get("checks", {}).values():
            data = check.get("data") or {}
            if data.get("function") == function:
                found.append(data)
    return found


def _fi_panel(ax, results) -> str:
    params = RATE_PARAMETERS[0]
    grid = np.linspace(0.0, 2.0, 201)
    ax.plot(grid, [models.lif_rate(i, **params) for i in grid], color="black", lw=2,
            label="reference (analytic)", zorder=3)
    no_number = 0
    shown = {True: 0, False: 0}
    for data in _check_data(results, "lif_rate"):
        calls = [c for c in data.get("calls", []) if c.get("set") == 0]
        points = [(c["current"], c["rate"]) for c in calls if c.get("rate") is not None]
        if len(points) < len(calls):
            no_number += 1
        if points:
            passed = bool(data.get("passed"))
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, "o-", color=COLOURS[passed], alpha=0.5, ms=4,
                    label=("passed" if passed else "failed") if not shown[passed] else None)
            shown[passed] += 1
    ax.set(xlabel="input current (nA)", ylabel="rate (Hz)",
           title="lif_rate at the first hidden parameter set")
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.legend(fontsize="small")
    return f"{no_number} student(s) whose lif_rate gave no number at some current" \
        if no_number else ""


def _count_panel(ax, results) -> str:
    unreadable = 0
    for student, data in enumerate(_check_data(results, "simulate_lif")):
        passed = bool(data.get("passed"))
        jitter = (student % 7 - 3) * 0.04  # side by side, so that equal counts stay visible
        for n, trial in enumerate(data.get("trials", [])):
            if trial.get("spikes") is None:
                unreadable += 1
                continue
            ax.scatter([n + jitter], [trial["spikes"]], color=COLOURS[passed], alpha=0.6, s=22)
    refs = [len(models.simulate_lif(**t.kwargs())[1]) for t in SIMULATION_TRIALS]
    ax.scatter(range(len(refs)), refs, marker="*", s=260, color="black", zorder=3,
               label="reference")
    ax.set_xticks(range(len(refs)), [t.id for t in SIMULATION_TRIALS])
    ax.set(ylabel="spike count", title="simulate_lif on the hidden trials")
    ax.legend(fontsize="small")
    return f"{unreadable} trial(s) where simulate_lif returned no spike train" \
        if unreadable else ""


def panels(results, folder: Path) -> list[tuple[str, str, str]]:
    """Draw the figure into ``folder``; returns (title, file, caption)."""
    fig, (left, right) = plt.subplots(ncols=2, figsize=(11, 4.2))
    notes = [note for note in (_fi_panel(left, results), _count_panel(right, results)) if note]
    fig.tight_layout()
    fig.savefig(folder / FIGURE, dpi=100)
    plt.close(fig)
    caption = ("Left: each line is a student's lif_rate at the hidden calls of the first "
               "parameter set (blue: passed, red: failed), the black curve the analytic rate. "
               "Right: each dot is a student's spike count on a hidden trial, the star the "
               "reference's.")
    if notes:
        caption += " Not shown: " + "; ".join(notes) + "."
    return [("f-I curves and spike counts against the reference", FIGURE, caption)]
