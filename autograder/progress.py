"""The terminal side of a batch: a progress bar with rate and ETA, and a closing summary."""

from __future__ import annotations

import sys

from tqdm import tqdm

from autograder.config import Settings
from autograder.grade import BatchSummary, GradeOptions, Grader
from autograder.judge import IN_PROCESS, MANUAL, TRUSTED
from autograder.record import GradeResult


def summary_table(summary: BatchSummary) -> str:
    """What was graded and how, what could not be graded and why, and the totals."""
    lines = []
    for result in sorted(summary.errors, key=lambda r: r.student):
        lines.append(f"  {result.student:<24} 0 / {result.max_score:g}   {result.error}")
    if lines:
        lines.insert(0, "Submissions that could not be graded (recorded with score 0):")
    for note in summary.notes:
        lines.append(f"note: {note}")
    kinds = summary.test_kinds
    if kinds:
        lines.append("How the test cells were judged:")
        for kind, explanation in (
                (TRUSTED, "trusted checks, in the grader's process"),
                (IN_PROCESS, "run in the student's process, as trustworthy as under nbgrader"),
                (MANUAL, "left for grading by hand in nbgrader's formgrader")):
            if kinds.get(kind):
                lines.append(f"  {explanation}: {', '.join(kinds[kind])}")
    for missing in summary.missing_limits:
        lines.append(f"warning: sandbox limit missing: {missing}")
    graded, failed = len(summary.graded), len(summary.errors)
    rate = len(summary.results) / summary.seconds if summary.seconds else 0.0
    max_score = summary.results[0].max_score if summary.results else 0
    lines += [
        "",
        f"{'graded':<14}{graded}",
        f"{'not gradable':<14}{failed} (recorded with score 0 and the reason)",
        f"{'skipped':<14}{summary.skipped} (already graded and unchanged; --force regrades)",
        f"{'mean score':<14}{summary.mean_score():.2f}" + (f" / {max_score:g}" if max_score
                                                          else ""),
        f"{'time':<14}{summary.seconds:.1f} s ({rate:.1f} submissions/s)",
    ]
    return "\n".join(lines)


def grade_with_progress(settings: Settings, options: GradeOptions, pool=None) -> int:
    """Run a batch; exit status 0 when every submission got a recorded grade."""
    bar = None
    done: list[GradeResult] = []

    def on_total(total: int) -> None:
        nonlocal bar
        bar = tqdm(total=total, unit="sub", disable=not options.progress, file=sys.stderr,
                   dynamic_ncols=True)

    def on_result(result: GradeResult) -> None:
        done.append(result)
        if bar is not None:
            bar.set_postfix_str(f"{result.student}: {result.score:g}/{result.max_score:g}")
            bar.update(1)

    grader = Grader(settings, options, pool=pool)
    try:
        summary = grader.run(progress=on_result, on_total=on_total)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print(f"interrupted: {len(done)} graded, run again to resume", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    print(summary_table(summary))
    return 0
