"""The class report's panels for this tutorial: the students' spike statistics.

For each exercise, the mean inter-spike interval against the ISI coefficient of variation of
every student's first call on the exercise's first hidden trial (its first steps, the call every
submission gets), with the reference's own run of that call (same parameters, same seed, same
length) as a star: a student who drew the same random numbers and computes the right model sits
on the star; one who drew others scatters around it. Students whose function never spiked there
have no ISI statistics; they are counted in the caption instead of silently dropped.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from solutions.W1D1_Tutorial2.context import shared_context  # noqa: E402
from solutions.W1D1_Tutorial2.spikestats import raw_statistics  # noqa: E402
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS, seeded_trial  # noqa: E402

FIGURE = "spike_statistics.png"


def _points(results, function: str, trial_id: str) -> tuple[dict, int, int]:
    points = {True: [], False: []}
    silent = unreadable = 0
    for result in results:
        for check in result.extra.get("checks", {}).values():
            data = check.get("data") or {}
            if data.get("function") != function:
                continue
            stats = next((t for t in data.get("trial_statistics", [])
                          if t.get("trial") == trial_id), None)
            if stats is None:
                unreadable += 1
                continue
            stats = stats.get("first") or {}
            mean, cv = stats.get("isi_mean"), stats.get("isi_cv")
            if mean is None or cv is None or not (math.isfinite(mean) and math.isfinite(cv)):
                silent += 1
                continue
            points[bool(data.get("passed"))].append((mean, cv))
    return points, silent, unreadable


def panels(results, folder: Path) -> list[tuple[str, str, str]]:
    """Draw the spike-statistics figure into ``folder``; returns (title, file, caption)."""
    functions = list(HIDDEN_TRIALS)
    fig, axes = plt.subplots(ncols=len(functions), figsize=(11, 4.6))
    notes = []
    for ax, function in zip(axes, functions, strict=True):
        trial = HIDDEN_TRIALS[function][0]
        first = seeded_trial(trial)
        points, silent, unreadable = _points(results, function, trial.id)
        for passed, colour, label in ((True, "#4878a8", "passed"), (False, "#e15759", "failed")):
            if points[passed]:
                xs, ys = zip(*points[passed], strict=True)
                ax.scatter(xs, ys, s=22, alpha=0.7, color=colour,
                           label=f"{label} ({len(points[passed])})")
        reference = shared_context().reference(first)
        ref = raw_statistics(reference.spike_times)
        ax.scatter([ref["isi_mean"]], [ref["isi_cv"]], marker="*", s=320, facecolors="none",
                   edgecolors="black", linewidths=1.2, label="reference run", zorder=3)
        params = ", ".join(f"{k}={v}" for k, v in trial.kwargs.items() if k != "n_steps")
        ax.set(xlabel="mean ISI (time steps)", ylabel="ISI coefficient of variation",
               title=f"{function}\n{params}\nseed {first.seed}, first {first.n_steps} steps")
        ax.title.set_fontsize("medium")
        ax.legend(fontsize="small")
        if silent or unreadable:
            notes.append(f"{function}: {silent} student(s) never spiked (no ISI), "
                         f"{unreadable} had no readable spike train")
    fig.tight_layout()
    fig.savefig(folder / FIGURE, dpi=100)
    plt.close(fig)
    caption = ("Each dot is a student's spike train on the exercise's first hidden trial (its "
               "first steps); the star is the reference model's run of the same call. A right "
               "answer that draws the reference's random numbers sits on the star; one that "
               "draws others scatters around it.")
    if notes:
        caption += " Not shown: " + "; ".join(notes) + "."
    return [("Spike statistics against the reference", FIGURE, caption)]
