"""``python -m autograder report``: the class at a glance, as one offline HTML page with figures.

One pass over the gradebook (a single SQL query through nbgrader's ``submission_dicts``) and one
over the ``results.json`` files, then the figures: scores, pass rate per test, the mistakes the
trusted checks named, grading time, and whatever panels the course's declaration adds.
"""

from __future__ import annotations

import html
import json
import os
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tqdm import tqdm  # noqa: E402

from autograder import __version__  # noqa: E402
from autograder.config import Settings  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.errors import GraderError, first_line  # noqa: E402
from autograder.judge import IN_PROCESS, MANUAL, TRUSTED  # noqa: E402
from autograder.plugins import load_plugins  # noqa: E402
from autograder.record import RESULTS_FILE, GradeResult, gradebook_totals  # noqa: E402

FIGURES = {
    "scores.png": "Score distribution",
    "pass_rate.png": "Pass rate per test",
    "mistakes.png": "Mistakes named by the trusted checks",
    "grading_time.png": "Grading time per submission",
}


@dataclass
class ClassData:
    """Everything the report shows, gathered in one pass."""

    assignment: str
    results: list[GradeResult] = field(default_factory=list)
    gradebook_scores: dict[str, float] = field(default_factory=dict)
    max_score: float = 0.0
    unreadable: list[str] = field(default_factory=list)
    #: student -> [(notebook, relative link to its feedback page, whether the page exists)]
    feedback: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)

    def final_score(self, result: GradeResult) -> float:
        """The gradebook's score (it includes manual grading) when there is one."""
        return self.gradebook_scores.get(result.student, result.score)


def gather(course: Course, assignment: str, db_url: str) -> ClassData:
    data = ClassData(assignment)
    students = course.graded_students(assignment)
    for student in tqdm(students, desc="reading results", unit="sub", delay=3, leave=False):
        path = course.autograded_dir(student, assignment) / RESULTS_FILE
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data.results.append(GradeResult.from_gradescope(json.loads(path.read_text())))
        except (ValueError, KeyError, TypeError, AttributeError):
            data.unreadable.append(student)
    data.gradebook_scores = gradebook_totals(db_url, assignment)
    data.max_score = max((r.max_score for r in data.results), default=0.0)
    report = course.report_dir(assignment)
    notebooks = sorted(p.stem for p in course.source_dir(assignment).glob("*.ipynb"))
    for result in data.results:
        pages = course.feedback_dir(result.student, assignment)
        data.feedback[result.student] = [
            (name, os.path.relpath(pages / f"{name}.html", report),
             (pages / f"{name}.html").is_file()) for name in notebooks]
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
            if test.judged_by == MANUAL:
                continue
            name = test.name(result.multiple_notebooks)
            total[name] += 1
            passed[name] += test.score >= test.max_score
    return {name: passed[name] / total[name] for name in total}


def plot_pass_rate(rates: dict[str, float], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 0.8 + 0.35 * max(len(rates), 3)))
    names = list(rates)
    ax.barh(names, [100 * rates[n] for n in names], color="#59a14f")
    ax.invert_yaxis()
    ax.set(xlim=(0, 100), xlabel="% of submissions with full points", title="Pass rate per test")
    _save(fig, path)


def mistake_counts(data: ClassData) -> tuple[Counter, dict[str, str], dict[str, list[str]]]:
    """How often each named mistake occurred, its description, and who made it."""
    counts, descriptions, students = Counter(), {}, defaultdict(list)
    for result in data.results:
        for cell, check in result.extra.get("checks", {}).items():
            label = check.get("label")
            if label:
                key = f"{cell}: {label}"
                counts[key] += 1
                descriptions[key] = check.get("label_text") or label
                students[key].append(result.student)
    return counts, descriptions, students


def plot_mistakes(counts: Counter, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.4 * max(len(counts), 2)))
    if counts:
        labels = [k.replace("_", " ") for k, _ in counts.most_common()]
        ax.barh(labels, [n for _, n in counts.most_common()], color="#e15759")
        ax.invert_yaxis()
    else:
        ax.text(0.5, 0.5, "no known mistake was named", ha="center", va="center")
        ax.set_yticks([])
    ax.set(xlabel="submissions", title="Mistakes named by the trusted checks")
    ax.xaxis.get_major_locator().set_params(integer=True)
    _save(fig, path)


def plot_grading_time(data: ClassData, path: Path) -> None:
    times = [r.extra.get("execution", {}).get("seconds") for r in data.results]
    times = [t for t in times if isinstance(t, (int, float))]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if times:
        ax.hist(times, bins=min(30, max(5, len(times) // 3)), color="#76b7b2", edgecolor="white")
        ax.axvline(statistics.median(times), color="black", linestyle="dotted",
                   label=f"median {statistics.median(times):.2f} s")
        ax.legend()
    ax.set(xlabel="seconds in the sandbox", ylabel="submissions",
           title="Grading time per submission")
    ax.yaxis.get_major_locator().set_params(integer=True)
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
.meta, .muted { color: #666; font-size: .9em; }
td.points { text-align: center; white-space: nowrap; }
td.full { color: #2a7d2a; } td.part { color: #b00; }
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: ClassData, rates: dict[str, float], counts: Counter,
                descriptions: dict[str, str], students: dict[str, list[str]],
                panels: list[tuple[str, str, str]], kinds: dict[str, str]) -> str:
    scores = [data.final_score(r) for r in data.results]
    errors = [r for r in data.results if r.error]
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
             f"<p class='meta'>{html.escape(_provenance(data))}</p>",
             "<div class='cards'>" + "".join(f"<div class='card'>{k}<b>{v}</b></div>"
                                            for k, v in cards) + "</div>",
             "<div class='grid'>"]
    parts += [f"<figure><img src='{name}' alt='{html.escape(title)}'>"
              f"<figcaption>{html.escape(title)}</figcaption></figure>"
              for name, title in FIGURES.items()]
    parts.append("</div>")
    for title, name, caption in panels:
        image = f"<img src='{html.escape(name)}' alt='{html.escape(title)}'>" if name else ""
        parts.append(f"<h2>{html.escape(title)}</h2><figure>{image}<figcaption>"
                     f"{html.escape(caption)}</figcaption></figure>")
    parts.append("<h2>Tests</h2>" + _table(
        ["test", "judged", "full points"],
        [[html.escape(n), html.escape(kinds.get(n, IN_PROCESS)), f"{100 * r:.0f}%"]
         for n, r in rates.items()]))
    parts.append("<h2>Mistakes named by the trusted checks</h2>" + (_table(
        ["test: mistake", "description", "submissions", "for example"],
        [[html.escape(k), html.escape(descriptions[k]), str(n),
          html.escape(", ".join(sorted(students[k])[:5]))]
         for k, n in counts.most_common()]) if counts else "<p>None.</p>"))
    if errors or data.unreadable:
        rows = [[html.escape(r.student), f"<span class='error'>{html.escape(r.error)}</span>"]
                for r in errors]
        rows += [[html.escape(s), "<span class='error'>its results.json cannot be read</span>"]
                 for s in data.unreadable]
        parts.append("<h2>Submissions that could not be graded</h2>"
                     + _table(["student", "reason"], rows))
    parts.append("<h2>Students</h2><p class='muted'>Each name links to the student's "
                 "feedback page (written by <code>python -m autograder feedback</code>).</p>"
                 + _students_table(data))
    parts.append("</body></html>")
    return "\n".join(parts)


def _provenance(data: ClassData) -> str:
    """When, and by which grader versions: what an instructor cites when a grade is asked
    about."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    versions = sorted({str(r.extra.get("grader_version")) for r in data.results
                       if r.extra.get("grader_version")})
    graded = f"; submissions graded by version {', '.join(versions)}" if versions else ""
    return f"Written {now} by the autograder, version {__version__}{graded}."


def _student_link(data: ClassData, student: str) -> str:
    links = []
    for notebook, href, exists in data.feedback.get(student, []):
        label = html.escape(student if len(data.feedback[student]) == 1
                            else f"{student}: {notebook}")
        links.append(f"<a href='{html.escape(href)}'>{label}</a>" if exists
                     else f"{label} <span class='muted'>(no feedback page yet)</span>")
    return "<br>".join(links) or html.escape(student)


def _students_table(data: ClassData) -> str:
    """One row per student: feedback link, score, each test's points, what went wrong."""
    tests: list[str] = []
    for result in data.results:
        for test in result.tests:
            name = test.name(result.multiple_notebooks)
            if name not in tests:
                tests.append(name)
    rows = []
    for result in sorted(data.results, key=lambda r: r.student):
        points = {t.name(result.multiple_notebooks): t for t in result.tests}
        cells = []
        for name in tests:
            test = points.get(name)
            if test is None:
                cells.append("<td class='points'>-</td>")
            elif test.judged_by == MANUAL and test.score == 0 and not result.error:
                cells.append(f"<td class='points muted'>? / {test.max_score:g}</td>")
            else:
                kind = "full" if test.score >= test.max_score else "part"
                cells.append(f"<td class='points {kind}'>{test.score:g} / "
                             f"{test.max_score:g}</td>")
        problems = [c.get("label_text") or "" for c in result.extra.get("checks", {}).values()
                    if not c.get("passed")]
        notes = result.error or "; ".join(p for p in problems if p)
        note_class = " class='error'" if result.error else ""
        rows.append(f"<tr><td>{_student_link(data, result.student)}</td>"
                    f"<td>{data.final_score(result):g}</td>{''.join(cells)}"
                    f"<td{note_class}>{html.escape(notes)}</td></tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["student", "score", *tests, "notes"])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def write_report(settings: Settings, assignment: str, db_url: str | None = None) -> Path:
    course = Course.from_settings(settings)
    if not course.source_dir(assignment).is_dir():
        raise GraderError(f"no assignment {assignment!r}: {course.source_dir(assignment)} "
                          "does not exist")
    data = gather(course, assignment, db_url or settings.db_url())
    if not data.results:
        raise GraderError(f"no graded submissions of {assignment}: run `python -m autograder "
                          f"grade {assignment}` first")
    folder = course.report_dir(assignment)
    folder.mkdir(parents=True, exist_ok=True)
    rates = pass_rates(data)
    counts, descriptions, students = mistake_counts(data)
    plot_scores(data, folder / "scores.png")
    plot_pass_rate(rates, folder / "pass_rate.png")
    plot_mistakes(counts, folder / "mistakes.png")
    plot_grading_time(data, folder / "grading_time.png")
    panels = []
    for declaration in load_plugins(settings.options.plugins):
        if declaration.assignment == assignment and declaration.report_panels is not None:
            try:
                panels.extend(declaration.report_panels(data.results, folder))
            except Exception as exc:  # the course's panel failed: the rest of the report stands
                panels.append((f"{declaration.origin}: panel not drawn", "",
                               f"the course's report panel failed: {first_line(exc)}"))
    kinds = {}
    for result in data.results:
        for test in result.tests:
            kinds.setdefault(test.name(result.multiple_notebooks), test.judged_by)
    index = folder / "index.html"
    index.write_text(render_html(data, rates, counts, descriptions, students, panels, kinds))
    return index


__all__ = ["MANUAL", "TRUSTED", "write_report"]
