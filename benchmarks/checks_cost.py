"""What the hidden checks cost per submission, and how often they reject a correct model.

    python benchmarks/checks_cost.py [--runs 300]

1. CPU time of the hidden checks per submission (both exercises): the student's function on the
   trials, then the judging, for a correct answer and for a typical mistake.
2. False rejects: correct models that draw their own random numbers, graded again and again on
   fresh random streams (each run is one exercise's worth of trials). The design bound is 1e-6
   per exercise (docs/how-grading-works.md); a run of N without a reject bounds the rate below
   3/N with 95% confidence.
3. The catalogue: how many correct answers are accepted and mistakes rejected.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from solutions.W1D1_Tutorial2 import models  # noqa: E402
from solutions.W1D1_Tutorial2.catalogue import ANSWERS, answer, function_source  # noqa: E402
from solutions.W1D1_Tutorial2.context import ReferenceContext  # noqa: E402
from solutions.W1D1_Tutorial2.notebook_checks import check_function  # noqa: E402
from solutions.W1D1_Tutorial2.spiketrain import observe_trial  # noqa: E402
from solutions.W1D1_Tutorial2.trials import (  # noqa: E402
    HIDDEN_TRIALS,
    IDENTIFICATION_TRIALS,
    seeded_trial,
)
from solutions.W1D1_Tutorial2.verdict import judge_function  # noqa: E402

RELEASE = REPO / "release" / "W1D1_Tutorial2" / "W1D1_Tutorial2.ipynb"


def define(release_nb, ans):
    namespace = {"np": np, "stats": stats}
    exec(function_source(release_nb, ans), namespace)
    return namespace[ans.function]


def observe_like_the_sandbox(func, function: str, context) -> tuple[dict, dict, int]:
    """The calls the grader makes: each trial's first steps, the whole trial only on another
    random stream, the identification trials; returns them and the steps simulated."""
    first, whole, steps = {}, {}, 0
    for trial in HIDDEN_TRIALS[function]:
        short = seeded_trial(trial)
        first[trial.id] = observe_trial(func, short)
        steps += short.n_steps
        if first[trial.id].rng_state == context.reference(short).rng_state:
            whole[trial.id] = None
        else:
            whole[trial.id] = observe_trial(func, trial)
            steps += trial.n_steps
    for trial in IDENTIFICATION_TRIALS[function]:
        first[trial.id] = observe_trial(func, trial)
        steps += trial.n_steps
    return first, whole, steps


def cpu_per_submission(release_nb, context, first: str, second: str
                       ) -> tuple[float, float, int]:
    """CPU seconds (student code on the trials, judging) and steps for one submission."""
    student, judging, steps = 0.0, 0.0, 0
    for function, key in (("lif_neuron", first), ("lif_neuron_inh", second)):
        func = define(release_nb, answer(function, key))
        started = time.process_time()
        calls, whole, simulated = observe_like_the_sandbox(func, function, context)
        student += time.process_time() - started
        steps += simulated
        started = time.process_time()
        judge_function(function, calls, whole, context)
        judging += time.process_time() - started
    return student, judging, steps


def false_rejects(func, function: str, runs: int, context) -> int:
    """Grade ``func`` on ``runs`` fresh random streams (the trials' seeds shifted)."""
    rejected = 0
    for run in range(runs):
        first, whole = {}, {}
        for trial in HIDDEN_TRIALS[function]:
            shifted = replace(trial, seed=trial.seed + 1_000_003 * (run + 1))
            first[trial.id] = observe_trial(func, seeded_trial(shifted))
            whole[trial.id] = observe_trial(func, shifted)
        rejected += not judge_function(function, first, whole, context).passed
    return rejected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    release_nb = nbformat.read(str(RELEASE), 4)
    context = ReferenceContext().warm_up()

    print("1. CPU time of the hidden checks per submission (both exercises)")
    for label, first, second in (("correct", "the reference form", "the reference form"),
                                 ("mistakes", "missing alpha", "the inputs' signs swapped"),
                                 ("fresh draws", "a fresh numpy sample per step",
                                  "fresh numpy samples per step")):
        samples = [cpu_per_submission(release_nb, context, first, second) for _ in range(5)]
        student = min(s for s, _, _ in samples)
        judging = min(j for _, j, _ in samples)
        steps = samples[0][2]
        print(f"   {label:<12} {student + judging:.3f} s  (student code on the trials "
              f"{student:.3f} s for {steps} steps, judging {judging:.3f} s)")

    print(f"2. False rejects of correct models on fresh random streams ({args.runs} runs each)")
    candidates = [("reference lif_neuron", models.lif_neuron, "lif_neuron"),
                  ("reference lif_neuron_inh", models.lif_neuron_inh, "lif_neuron_inh")]
    for key, function in (("a fresh numpy sample per step", "lif_neuron"),
                          ("fresh numpy samples per step", "lif_neuron_inh")):
        candidates.append((f"{function}: {key}", define(release_nb, answer(function, key)),
                           function))
    total_runs = total_rejects = 0
    for label, func, function in candidates:
        rejected = false_rejects(func, function, args.runs, context)
        total_runs += args.runs
        total_rejects += rejected
        print(f"   {label:<48} {rejected} rejected of {args.runs}")
    print(f"   overall: {total_rejects} of {total_runs} correct answers rejected; "
          f"95% upper bound on the rate {3 / total_runs if not total_rejects else float('nan'):.1e}"
          " (design bound 1e-6)")

    print("3. The answer catalogue")
    for correct in (True, False):
        group = [a for a in ANSWERS if a.correct == correct]
        right = sum(check_function(a.function, define(release_nb, a), context).passed == correct
                    for a in group)
        kind = "correct answers accepted" if correct else "mistakes rejected"
        print(f"   {right} of {len(group)} {kind}")


if __name__ == "__main__":
    main()
