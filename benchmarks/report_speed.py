"""How long the class report takes for a large class.

    python benchmarks/report_speed.py [--students 2000]

Writes ``--students`` results.json files made from real verdicts (catalogue answers judged by the
hidden checks) into a throwaway course, then times ``write_report``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.config import Settings  # noqa: E402
from autograder.record import GradeResult, TestResult, write_results  # noqa: E402
from autograder.report import write_report  # noqa: E402
from solutions.W1D1_Tutorial2.catalogue import ANSWERS, function_source  # noqa: E402
from solutions.W1D1_Tutorial2.context import ReferenceContext  # noqa: E402
from solutions.W1D1_Tutorial2.notebook_checks import check_function  # noqa: E402

ASSIGNMENT = "W1D1_Tutorial2"


def verdicts() -> dict[str, list[dict]]:
    release_nb = nbformat.read(str(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), 4)
    context = ReferenceContext().warm_up()
    out = {"lif_neuron": [], "lif_neuron_inh": []}
    for ans in ANSWERS:
        if "scipy sample" in ans.key or "scipy samples" in ans.key:
            continue
        namespace = {"np": np, "stats": stats}
        exec(function_source(release_nb, ans), namespace)
        out[ans.function].append(check_function(ans.function, namespace[ans.function],
                                                context).summary())
    return out


def _check(summary: dict) -> dict:
    """The results.json entry of a hidden check, as the grader writes it."""
    return {"title": "hidden checks", "passed": summary["passed"], "label": summary["mistake"],
            "label_text": summary["diagnosis"], "details": "", "data": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    args = parser.parse_args()
    pool = verdicts()
    root = Path(tempfile.mkdtemp(prefix="report-speed-"))
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy2(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                 root / "source" / ASSIGNMENT)
    shutil.copy2(REPO / "nbgrader_config.py", root)
    rng = random.Random(1)
    for k in range(args.students):
        ex1, ex2 = rng.choice(pool["lif_neuron"]), rng.choice(pool["lif_neuron_inh"])
        tests = [TestResult("ex1_public", 2.0, 2.0, "", False, judged_by="trusted check"),
                 TestResult("ex1_hidden", 3.0 * ex1["passed"], 3.0, ex1["diagnosis"] or "", True,
                            judged_by="trusted check"),
                 TestResult("ex2_public", 2.0, 2.0, "", False, judged_by="trusted check"),
                 TestResult("ex2_hidden", 3.0 * ex2["passed"], 3.0, ex2["diagnosis"] or "", True,
                            judged_by="trusted check")]
        result = GradeResult(student=f"student{k:05d}", assignment=ASSIGNMENT,
                             score=sum(t.score for t in tests), max_score=10.0, tests=tests,
                             seconds=rng.uniform(0.2, 0.6),
                             extra={"execution": {"seconds": rng.uniform(0.15, 0.5)},
                                    "checks": {"ex1_hidden": _check(ex1),
                                               "ex2_hidden": _check(ex2)}})
        write_results(root / "autograded" / result.student / ASSIGNMENT, result)
    started = time.perf_counter()
    index = write_report(Settings.load(root), ASSIGNMENT, db_url=f"sqlite:///{root / 'none.db'}")
    elapsed = time.perf_counter() - started
    print(f"report for {args.students} submissions: {elapsed:.1f} s "
          f"({index.stat().st_size / 1e6:.1f} MB of HTML)")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
