"""The terminal side of a batch: a progress bar with rate and ETA, and a closing summary."""

from __future__ import annotations

import sys
import traceback

from tqdm import tqdm

from autograder.config import GradeOptions
from autograder.grade import BatchSummary, Grader, GraderError
from autograder.record import GradeResult


def summary_table(summary: BatchSummary) -> str:
    """Per-student lines for the errors, then the totals."""
    lines = []
    for result in sorted(summary.errors, key=lambda r: r.student):
        lines.append(f"  {result.student:<24} 0 / {result.max_score:g}   {result.error}")
    if lines:
        lines.insert(0, "Submissions that could not be graded (recorded with score 0):")
    unconfined = [r.student for r in summary.results
                  if r.extra.get("execution", {}).get("isolation") == "none"]
    if unconfined:
        lines.append(f"warning: {len(unconfined)} submission(s) ran without namespaces (run the "
                     "grader as root, or enable unprivileged user namespaces, to confine them)")
    graded = len(summary.results)
    rate = graded / summary.seconds if summary.seconds else 0.0
    lines += [
        "",
        f"{'graded':<12}{graded}",
        f"{'skipped':<12}{summary.skipped} (already graded; --force regrades)",
        f"{'errors':<12}{len(summary.errors)}",
        f"{'mean score':<12}{summary.mean_score():.2f}"
        + (f" / {summary.results[0].max_score:g}" if summary.results else ""),
        f"{'time':<12}{summary.seconds:.1f} s ({rate:.1f} submissions/s)",
    ]
    return "\n".join(lines)


def grade_with_progress(options: GradeOptions, pool=None) -> int:
    """Run a batch; exit status 0 when every submission got a recorded grade."""
    bar = None

    def on_total(total: int) -> None:
        nonlocal bar
        bar = tqdm(total=total, unit="sub", disable=not options.progress, file=sys.stderr,
                   dynamic_ncols=True)

    def on_result(result: GradeResult) -> None:
        if bar is not None:
            bar.set_postfix_str(f"{result.student}: {result.score:g}/{result.max_score:g}")
            bar.update(1)

    try:
        grader = Grader(options, pool=pool)
        summary = grader.run(progress=on_result, on_total=on_total)
    except (GraderError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("error: the grader failed; submissions finished so far are saved and will not "
              "be graded again", file=sys.stderr)
        return 3
    finally:
        if bar is not None:
            bar.close()
    print(summary_table(summary))
    if summary.failures:
        for submission, reason in summary.failures:
            print(f"error: {submission} was not graded: {reason}", file=sys.stderr)
        print("error: the grader failed on some submissions; they are not recorded and will be "
              "graded by the next run", file=sys.stderr)
        return 3
    return 0
