"""``python -m autograder feedback``: per-student HTML feedback that never shows hidden tests.

Written where nbgrader writes it (``feedback/<student>/<assignment>/<notebook>.html``, with the
submission's other files beside it), so ``nbgrader release_feedback`` sends it out unchanged. It
shows the student's notebook with its outputs, the public tests, and each test's verdict. Unlike
``nbgrader generate_feedback`` (nbgrader #917), the hidden tests' source is removed, and so is
every output line that repeats a line of it (a student's code could print the tests it is run
with); tracebacks that run through grading code are cut to their last line. The page is
self-contained: no script or style is fetched from the web.

A submission whose page cannot be made gets a page saying so; the others are not held up.
"""

from __future__ import annotations

import copy
import fnmatch
import html
import logging
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from autograder.config import Settings
from autograder.course import Course
from autograder.errors import GraderError, first_line
from autograder.figures import put_figures, redraw_all, redraw_job
from autograder.hidden import hidden_lines, scrub
from autograder.master import NotebookMaster, master_notebooks
from autograder.mathml import markdown_with_mathml
from autograder.plugins import plugin_packages
from autograder.record import RESULTS_FILE, GradeResult, gradebook_totals, read_results

log = logging.getLogger("autograder")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
.summary { border: 1px solid #ccc; border-radius: 6px; padding: 1em 1.2em; margin-bottom: 2em; }
.summary h1 { margin-top: 0; font-size: 1.4em; }
.pass { color: #2a7d2a; } .fail { color: #b00; }
.gid { color: #888; font-size: .8em; margin-left: .5em; font-family: ui-monospace, monospace; }
.verdict { white-space: pre-wrap; background: #f7f7f7; padding: .5em .8em;
           margin: .2em 0 .8em 1.4em; border-left: 3px solid #ccc; }
.jp-Cell, .cell { margin: .6em 0; }
.jp-InputArea-editor, .input_area, div.highlight { background: #f5f5f5; padding: .3em .6em;
           border-radius: 4px; overflow-x: auto; }
.jp-OutputArea-output pre, .output_area pre { white-space: pre-wrap; margin: .2em 0; }
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"], .output_stderr {
    background: #fdd; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt { display: none; }
img { max-width: 100%; }
"""


def _scrub_output(output, secrets: set[str]) -> None:
    if output.output_type == "stream":
        output.text = scrub(output.text, secrets)
    elif output.output_type == "error":
        output.evalue = scrub(output.evalue, secrets)
        output.traceback = [scrub(line, secrets) for line in output.traceback]
    elif output.output_type in ("display_data", "execute_result"):
        for mime, value in list(output.get("data", {}).items()):
            if isinstance(value, str) and (mime.startswith("text/") or mime.endswith("+xml")):
                output.data[mime] = scrub(value, secrets)


def grader_frames(packages: tuple[str, ...] = ()) -> re.Pattern:
    """What a traceback line that runs through the grader's or the course's code contains."""
    names = ("autograder", "site-packages", *packages)
    return re.compile("|".join(re.escape(n) for n in names), re.I)


def visible_notebook(graded: NotebookNode, hider: ClearHiddenTests,
                     secrets: set[str] = frozenset(),
                     frames: re.Pattern | None = None) -> NotebookNode:
    """The autograded notebook as the student may see it: hidden tests and grader tracebacks
    removed, outputs kept (minus any line that repeats a hidden test)."""
    frames = frames or grader_frames()
    nb = copy.deepcopy(graded)
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if utils.is_grade(cell):
            cell, _ = hider.preprocess_cell(cell, {}, position)
            nb.cells[position] = cell
        for output in cell.get("outputs", []):
            if output.output_type == "error" and any(
                    frames.search(_ANSI.sub("", line)) for line in output.traceback):
                output.traceback = [f"{output.ename}: {output.evalue}"]
            _scrub_output(output, secrets)
    return nb


def test_titles(masters: dict[str, NotebookMaster]) -> dict[str, str]:
    """A readable name per test cell: the first line of its master when that is a comment,
    up to its first bracket, full stop or colon ("Self-checks for Exercise 1")."""
    titles = {}
    for master in masters.values():
        for cell in master.source_cells:
            gid = cell.name
            first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
            if gid and first.startswith("#"):
                title = re.split(r"[(.:]", first.lstrip("#").strip(), maxsplit=1)[0].strip()
                if title:
                    titles[gid] = title
    return titles


def summary_html(result: GradeResult | None, gradebook_score: float | None,
                 titles: dict[str, str] | None = None) -> str:
    titles = titles or {}
    if result is None:
        return "<div class='summary'><h1>Not graded yet</h1></div>"
    score = gradebook_score if gradebook_score is not None else result.score
    parts = [f"<div class='summary'><h1>{html.escape(result.assignment)}: {score:g} / "
             f"{result.max_score:g} points</h1>"]
    if result.error:
        parts.append(f"<p class='fail'>{html.escape(result.error)}</p>")
    for test in result.tests:
        name = html.escape(titles.get(test.grade_id, test.grade_id))
        cell = f" <span class='gid'>{html.escape(test.grade_id)}</span>" \
            if test.grade_id in titles else ""
        if test.judged_by == "by hand":
            status = f"graded by hand (out of {test.max_score:g})" if test.awaits_grader \
                else f"{html.escape(test.output)}: {test.score:g} / {test.max_score:g}"
            parts.append(f"<div><b>✎</b> {name}: {status}{cell}</div>")
            continue
        ok = test.score >= test.max_score
        kind = "hidden check" if test.hidden else "self-check"
        if test.grade_id in titles:
            kind = ""
        parts.append(f"<div><b class='{'pass' if ok else 'fail'}'>{'✔' if ok else '✘'}</b> "
                     f"{name}{f' ({kind})' if kind else ''}: {test.score:g} / "
                     f"{test.max_score:g}{cell}</div>")
        if test.output and (not ok or test.hidden):
            parts.append(f"<div class='verdict'>{html.escape(test.output)}</div>")
    parts.extend(f"<p><i>{html.escape(note)}</i></p>" for note in result.notes)
    parts.append("</div>")
    return "\n".join(parts)


class OfflineHTMLExporter(HTMLExporter):
    """nbconvert's HTML with the markdown's equations as MathML (see :mod:`autograder.mathml`):
    typeset by the browser with no script fetched from the web."""

    @pass_context
    def markdown2html(self, context, source):
        return markdown_with_mathml(
            lambda text: HTMLExporter.markdown2html(self, context, text), source)


def render(nb: NotebookNode, summary: str, title: str) -> str:
    exporter = OfflineHTMLExporter(template_name="basic")
    body, _ = exporter.from_notebook_node(nb)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"{summary}{body}</body></html>")


def _regular_files(folder: Path) -> list[str]:
    """Relative paths of the regular files under ``folder`` (no link is ever followed)."""
    found = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in names:
            path = os.path.join(root, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                found.append(os.path.relpath(path, folder))
    return sorted(found)


@dataclass
class FeedbackSummary:
    folder: Path
    written: list[Path] = field(default_factory=list)
    replaced: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    figures: int = 0

    def text(self) -> str:
        lines = [f"feedback written for {len(self.written)} page(s) under {self.folder}"]
        if self.figures:
            lines.append(f"({self.figures} figure(s) of the students' own drawn again for them)")
        if self.replaced:
            lines.append(f"(replaced the earlier feedback of {self.replaced} student(s))")
        for student, reason in self.failed:
            lines.append(f"{student}: the feedback page could not be made fully: {reason}")
        return "\n".join(lines)


def write_feedback(settings: Settings, assignment: str, students: str = "*",
                   db_url: str | None = None) -> FeedbackSummary:
    """Feedback HTML for every autograded submission matching the glob."""
    course = Course.from_settings(settings)
    if not course.source_dir(assignment).is_dir():
        raise GraderError(f"no assignment {assignment!r}: {course.source_dir(assignment)} "
                          "does not exist")
    masters = {p.stem: NotebookMaster.from_master(p, assignment, settings.config, settings.root)
               for p in master_notebooks(course.source_dir(assignment), assignment)}
    hider = ClearHiddenTests(config=settings.config)
    secrets = hidden_lines(masters, settings.config)
    frames = grader_frames(plugin_packages(settings.options.plugins))
    scores = gradebook_totals(db_url or settings.db_url(), assignment)
    graded = [s for s in course.graded_students(assignment) if fnmatch.fnmatchcase(s, students)]
    if not graded:
        raise GraderError(f"no graded submission of {assignment} matches {students!r}: run "
                          f"`python -m autograder grade {assignment}` first")
    summary = FeedbackSummary(Path(course.coursedir.format_path(
        course.coursedir.feedback_directory, ".", ".")).resolve())
    titles = test_titles(masters)
    pages: list[_Page] = []
    for student in graded:
        try:
            pages.append(_read_student(course, assignment, student, masters, hider, secrets,
                                       frames, scores.get(student), summary))
        except Exception as exc:  # one page that fails must not hold up the others
            log.exception("feedback for %s failed", student)
            summary.failed.append((student, first_line(exc)))
    if settings.options.feedback_figures:
        _draw_figures(settings, pages, summary)
    else:  # a note where each figure was, rather than matplotlib's placeholder text
        for page in pages:
            for nb in filter(None, page.notebooks.values()):
                put_figures(nb, None)
    for page in pages:
        try:
            _write_student(course, assignment, page, titles, summary)
        except Exception as exc:
            log.exception("feedback for %s failed", page.student)
            summary.failed.append((page.student, first_line(exc)))
    return summary


@dataclass
class _Page:
    """One student's feedback before it is written: the visible notebooks and the summary."""

    student: str
    folder: Path
    result: GradeResult | None
    score: float | None
    fallback_name: str  # the page of a submission with no gradable notebook
    notebooks: dict[str, NotebookNode | None] = field(default_factory=dict)


def _read_student(course: Course, assignment: str, student: str,
                  masters: dict[str, NotebookMaster], hider: ClearHiddenTests,
                  secrets: set[str], frames: re.Pattern, score: float | None,
                  summary: FeedbackSummary) -> _Page:
    folder = course.autograded_dir(student, assignment)
    page = _Page(student, folder, read_results(folder), score, sorted(masters)[0])
    for name in sorted(masters):
        path = folder / f"{name}.ipynb"
        if path.is_symlink() or not path.is_file():
            continue
        try:
            page.notebooks[name] = visible_notebook(nbformat.read(str(path), as_version=4),
                                                    hider, secrets, frames)
        except Exception as exc:  # not ours to grade, but the student still hears why
            summary.failed.append((student, f"{name}.ipynb: {first_line(exc)}"))
            page.notebooks[name] = None
    return page


def _draw_figures(settings: Settings, pages: list[_Page], summary: FeedbackSummary) -> None:
    """Every page's figures, drawn again on the course's workers (see :mod:`.figures`)."""
    jobs, targets = [], {}
    for page in pages:
        files = None
        for name, nb in page.notebooks.items():
            if nb is None:
                continue
            if files is None:
                files = {rel: (page.folder / rel).read_bytes() for rel in
                         _regular_files(page.folder)
                         if not rel.endswith(".ipynb") and rel != RESULTS_FILE}
            job = redraw_job(f"{page.student}/{name}", name, nb, files, settings)
            if job is not None:
                jobs.append(job)
                targets[job.submission_id] = nb
    try:
        records = redraw_all(settings, jobs)
    except Exception as exc:  # no workers here: the pages say where the figures were
        log.warning("figures were not drawn again: %s", first_line(exc))
        records = {}
    for job_id, nb in targets.items():
        summary.figures += put_figures(nb, records.get(job_id))


def _write_student(course: Course, assignment: str, page: _Page, titles: dict[str, str],
                   summary: FeedbackSummary) -> None:
    student, folder, result = page.student, page.folder, page.result
    target = course.feedback_dir(student, assignment)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
        summary.replaced += 1
    target.mkdir(parents=True)
    for rel in _regular_files(folder):
        if rel.endswith(".ipynb") or rel == RESULTS_FILE:
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / rel, target / rel, follow_symlinks=False)
    title = f"{assignment} feedback for {student}"
    head = summary_html(result, page.score, titles)
    for name, nb in page.notebooks.items():
        out = target / f"{name}.html"
        out.write_text(render(nb if nb is not None else nbformat.v4.new_notebook(), head, title),
                       encoding="utf-8", errors="replace")
        summary.written.append(out)
    if not page.notebooks and result is not None:
        out = target / f"{page.fallback_name}.html"  # an ungradable submission still hears why
        out.write_text(render(nbformat.v4.new_notebook(), summary_html(result, 0.0, titles),
                              title),
                       encoding="utf-8", errors="replace")
        summary.written.append(out)
