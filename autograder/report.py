"""``python -m autograder report``: the class at a glance, as one offline HTML page with figures.

One pass over the gradebook (a single SQL query through nbgrader's ``submission_dicts``) and one
over the ``results.json`` files, then five figures: scores, pass rate per test, how often each
diagnosed mistake occurred, the students' spike statistics against the reference, and grading
time per submission.
"""

from __future__ import annotations

import html
import json
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tqdm import tqdm  # noqa: E402

from autograder.checks.calibration import load_calibration  # noqa: E402
from autograder.checks.mistakes import MISTAKES  # noqa: E402
from autograder.checks.trials import HIDDEN_TRIALS  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.record import RESULTS_FILE, GradeResult, gradebook_totals  # noqa: E402

FIGURES = {
    "scores.png": "Score distribution",
    "pass_rate.png": "Pass rate per test",
    "mistakes.png": "Diagnosed mistakes",
    "spike_statistics.png": "Spike statistics against the reference",
    "grading_time.png": "Grading time per submission",
}


@dataclass
class ClassData:
    """Everything the report shows, gathered in one pass."""

    assignment: str
    results: list[GradeResult] = field(default_factory=list)
    gradebook_scores: dict[str, float] = field(default_factory=dict)
    max_score: float = 0.0

    def final_score(self, result: GradeResult) -> float:
        """The gradebook's score (it includes manual grading) when there is one."""
        return self.gradebook_scores.get(result.student, result.score)


def gather(course: Course, assignment: str, db_url: str | None = None) -> ClassData:
    data = ClassData(assignment)
    folders = sorted((course.root / "autograded").glob(f"*/{assignment}/{RESULTS_FILE}"))
    for path in tqdm(folders, desc="reading results", unit="sub", delay=3, leave=False):
        try:
            data.results.append(GradeResult.from_gradescope(json.loads(path.read_text())))
        except (ValueError, KeyError, TypeError):
            continue
    data.gradebook_scores = gradebook_totals(db_url or course.db_url(), assignment)
    data.max_score = max((r.max_score for r in data.results), default=0.0)
    return data


# --- figures ------------------------------------------------------------------------------------

def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_scores(data: ClassData, path: Path) -> None:
    scores = [data.final_score(r) for r in data.results]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    top = max(data.max_score, 1.0)
    ax.hist(scores, bins=[x - 0.5 for x in range(int(top) + 2)], color="#4878a8",
            edgecolor="white")
    ax.set(xlabel="score", ylabel="submissions", title=f"Scores (out of {top:g})")
    ax.yaxis.get_major_locator().set_params(integer=True)
    _save(fig, path)


def pass_rates(data: ClassData) -> dict[str, float]:
    passed, total = Counter(), Counter()
    for result in data.results:
        for test in result.tests:
            total[test.grade_id] += 1
            passed[test.grade_id] += test.score >= test.max_score
    return {name: passed[name] / total[name] for name in total}


def plot_pass_rate(rates: dict[str, float], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(rates)
    ax.barh(names, [100 * rates[n] for n in names], color="#59a14f")
    ax.invert_yaxis()
    ax.set(xlim=(0, 100), xlabel="% of submissions with full points", title="Pass rate per test")
    _save(fig, path)


def mistake_counts(data: ClassData) -> Counter:
    counts = Counter()
    for result in data.results:
        for function, summary in result.extra.get("exercises", {}).items():
            if summary.get("mistake"):
                counts[(function, summary["mistake"])] += 1
    return counts


def plot_mistakes(counts: Counter, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.4 * max(len(counts), 2)))
    if counts:
        labels = [f"{f}: {k.replace('_', ' ')}" for (f, k), _ in counts.most_common()]
        ax.barh(labels, [n for _, n in counts.most_common()], color="#e15759")
        ax.invert_yaxis()
    else:
        ax.text(0.5, 0.5, "no known mistake was diagnosed", ha="center", va="center")
        ax.set_yticks([])
    ax.set(xlabel="submissions", title="Diagnosed mistakes")
    ax.xaxis.get_major_locator().set_params(integer=True)
    _save(fig, path)


def plot_spike_statistics(data: ClassData, path: Path) -> None:
    """Mean ISI against ISI CV on each exercise's first hidden trial; the reference marked."""
    calibration = load_calibration()["trials"]
    fig, axes = plt.subplots(ncols=len(HIDDEN_TRIALS), figsize=(11, 4))
    for ax, (function, trials) in zip(axes, HIDDEN_TRIALS.items(), strict=True):
        trial = trials[0]
        points = {True: [], False: []}
        for result in data.results:
            summary = result.extra.get("exercises", {}).get(function)
            if not summary:
                continue
            stats = next((t for t in summary.get("trial_statistics", [])
                          if t["trial"] == trial.id), None)
            if stats and all(math.isfinite(stats.get(k, math.nan))
                             for k in ("isi_mean", "isi_cv")):
                points[summary["passed"]].append((stats["isi_mean"], stats["isi_cv"]))
        for passed, colour, label in ((True, "#4878a8", "passed"), (False, "#e15759", "failed")):
            if points[passed]:
                xs, ys = zip(*points[passed], strict=True)
                ax.scatter(xs, ys, s=18, alpha=0.7, color=colour, label=label)
        ref = calibration[trial.id]["raw_means"]
        ax.scatter([ref["isi_mean"]], [ref["isi_cv"]], marker="*", s=250, color="black",
                   label="reference")
        params = ", ".join(f"{k}={v}" for k, v in trial.kwargs.items() if k != "n_steps")
        ax.set(xlabel="mean ISI (steps)", ylabel="ISI CV", title=f"{function}\n{params}")
        ax.legend(fontsize="small")
    _save(fig, path)


def plot_grading_time(data: ClassData, path: Path) -> None:
    times = [r.extra.get("execution", {}).get("seconds") for r in data.results]
    times = [t for t in times if t is not None]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if times:
        ax.hist(times, bins=min(30, max(5, len(times) // 3)), color="#76b7b2", edgecolor="white")
        ax.axvline(statistics.median(times), color="black", linestyle="dotted",
                   label=f"median {statistics.median(times):.2f} s")
        ax.legend()
    ax.set(xlabel="seconds in the sandbox", ylabel="submissions",
           title="Grading time per submission")
    _save(fig, path)


# --- the page -----------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; min-width: 8em; }
.card b { display: block; font-size: 1.5em; }
img { max-width: 100%; border: 1px solid #eee; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
td, th { border-bottom: 1px solid #eee; padding: .3em .5em; text-align: left; vertical-align: top; }
.error { color: #b00; }
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: ClassData, rates: dict[str, float], counts: Counter) -> str:
    scores = [data.final_score(r) for r in data.results]
    errors = [r for r in data.results if r.error]
    descriptions = {(m.function, m.key): m.description for m in MISTAKES}
    examples = defaultdict(list)
    for result in data.results:
        for function, summary in result.extra.get("exercises", {}).items():
            if summary.get("mistake"):
                examples[(function, summary["mistake"])].append(result.student)
    cards = [("submissions", str(len(data.results))),
             ("mean score", f"{statistics.mean(scores):.2f} / {data.max_score:g}"
              if scores else "-"),
             ("median score", f"{statistics.median(scores):g}" if scores else "-"),
             ("full marks", str(sum(s >= data.max_score for s in scores))),
             ("not gradable", str(len(errors)))]
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(data.assignment)}: class report</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{html.escape(data.assignment)}: class report</h1>",
             "<div class='cards'>" + "".join(f"<div class='card'>{k}<b>{v}</b></div>"
                                            for k, v in cards) + "</div>",
             "<div class='grid'>"]
    parts += [f"<figure><img src='{name}' alt='{html.escape(title)}'>"
              f"<figcaption>{html.escape(title)}</figcaption></figure>"
              for name, title in FIGURES.items() if name != "spike_statistics.png"]
    parts.append("</div>")
    parts.append("<h2>Spike statistics against the reference</h2><img src='spike_statistics.png'"
                 " alt='Spike statistics against the reference'>")
    parts.append("<h2>Tests</h2>" + _table(
        ["test", "full points"], [[html.escape(n), f"{100 * r:.0f}%"] for n, r in rates.items()]))
    parts.append("<h2>Diagnosed mistakes</h2>" + (_table(
        ["exercise", "mistake", "submissions", "for example"],
        [[html.escape(f), html.escape(descriptions.get((f, k), k)), str(n),
          html.escape(", ".join(sorted(examples[(f, k)])[:5]))]
         for (f, k), n in counts.most_common()]) if counts else "<p>None.</p>"))
    if errors:
        parts.append("<h2>Submissions that could not be graded</h2>" + _table(
            ["student", "reason"], [[html.escape(r.student),
                                     f"<span class='error'>{html.escape(r.error)}</span>"]
                                    for r in errors]))
    rows = []
    for result in sorted(data.results, key=lambda r: r.student):
        problems = [s.get("diagnosis") for s in result.extra.get("exercises", {}).values()
                    if s.get("diagnosis")]
        rows.append([html.escape(result.student), f"{data.final_score(result):g}",
                     html.escape(result.error or "; ".join(problems))])
    parts.append("<h2>Students</h2>" + _table(["student", "score", "notes"], rows))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(course_dir: Path | str, assignment: str, db_url: str | None = None) -> Path:
    course = Course.at(course_dir)
    data = gather(course, assignment, db_url)
    if not data.results:
        raise FileNotFoundError(f"no graded submissions of {assignment} under "
                                f"{course.root / 'autograded'}: run `python -m autograder grade`")
    folder = course.report_dir(assignment)
    folder.mkdir(parents=True, exist_ok=True)
    rates, counts = pass_rates(data), mistake_counts(data)
    plot_scores(data, folder / "scores.png")
    plot_pass_rate(rates, folder / "pass_rate.png")
    plot_mistakes(counts, folder / "mistakes.png")
    plot_spike_statistics(data, folder / "spike_statistics.png")
    plot_grading_time(data, folder / "grading_time.png")
    index = folder / "index.html"
    index.write_text(render_html(data, rates, counts))
    return index
