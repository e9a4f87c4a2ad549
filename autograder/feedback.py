"""``python -m autograder feedback``: per-student HTML feedback that never shows hidden tests.

Written where nbgrader writes it (``feedback/<student>/<assignment>/<notebook>.html``, with the
submission's other files beside it), so ``nbgrader release_feedback`` sends it out unchanged. It
shows the student's notebook with its outputs, the public tests, and each hidden check's verdict
with its diagnosis. Unlike ``nbgrader generate_feedback`` (nbgrader #917), the hidden tests'
source is removed and tracebacks that run through grading code are cut to their last line. The
page is self-contained: no script or style is fetched from the web.
"""

from __future__ import annotations

import copy
import fnmatch
import html
import json
import re
import shutil
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from autograder.course import Course
from autograder.record import RESULTS_FILE, GradeResult, gradebook_totals

_GRADER_FRAMES = re.compile(r"autograder|solutions|site-packages", re.I)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
.summary { border: 1px solid #ccc; border-radius: 6px; padding: 1em 1.2em; margin-bottom: 2em; }
.summary h1 { margin-top: 0; font-size: 1.4em; }
.pass { color: #2a7d2a; } .fail { color: #b00; }
.verdict { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .85em;
           background: #f7f7f7; padding: .5em; margin: .2em 0 .8em; }
.jp-Cell, .cell { margin: .6em 0; }
.jp-InputArea-editor, .input_area, div.highlight { background: #f5f5f5; padding: .3em .6em;
           border-radius: 4px; overflow-x: auto; }
.jp-OutputArea-output pre, .output_area pre { white-space: pre-wrap; margin: .2em 0; }
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"], .output_stderr {
    background: #fdd; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt { display: none; }
img { max-width: 100%; }
"""


def visible_notebook(graded: NotebookNode) -> NotebookNode:
    """The autograded notebook as the student may see it: hidden tests and grader tracebacks
    removed, outputs kept."""
    nb = copy.deepcopy(graded)
    hider = ClearHiddenTests()
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if utils.is_grade(cell):
            cell, _ = hider.preprocess_cell(cell, {}, position)
            nb.cells[position] = cell
        for output in cell.get("outputs", []):
            if output.output_type == "error" and any(
                    _GRADER_FRAMES.search(_ANSI.sub("", line)) for line in output.traceback):
                output.traceback = [f"{output.ename}: {output.evalue}"]
    return nb


def summary_html(result: GradeResult | None, gradebook_score: float | None) -> str:
    if result is None:
        return "<div class='summary'><h1>Not graded yet</h1></div>"
    score = gradebook_score if gradebook_score is not None else result.score
    parts = [f"<div class='summary'><h1>{html.escape(result.assignment)}: {score:g} / "
             f"{result.max_score:g} points</h1>"]
    if result.error:
        parts.append(f"<p class='fail'>{html.escape(result.error)}</p>")
    for test in result.tests:
        ok = test.score >= test.max_score
        kind = "hidden check" if test.hidden else "self-check"
        parts.append(f"<div><b class='{'pass' if ok else 'fail'}'>{'✔' if ok else '✘'}</b> "
                     f"{html.escape(test.grade_id)} ({kind}): {test.score:g} / "
                     f"{test.max_score:g}</div>")
        if test.output and (not ok or test.hidden):
            parts.append(f"<div class='verdict'>{html.escape(test.output)}</div>")
    parts.extend(f"<p><i>{html.escape(note)}</i></p>" for note in result.notes)
    parts.append("</div>")
    return "\n".join(parts)


def render(nb: NotebookNode, summary: str, title: str) -> str:
    exporter = HTMLExporter(template_name="basic")
    body, _ = exporter.from_notebook_node(nb)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"{summary}{body}</body></html>")


def write_feedback(course_dir: Path | str, assignment: str, students: str = "*",
                   db_url: str | None = None) -> list[Path]:
    """Feedback HTML for every autograded submission matching the glob."""
    course = Course.at(course_dir)
    scores = gradebook_totals(db_url or course.db_url(), assignment)
    written = []
    for folder in sorted((course.root / "autograded").glob(f"*/{assignment}")):
        student = folder.parent.name
        if not fnmatch.fnmatch(student, students):
            continue
        target = course.feedback_dir(student, assignment)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        results_path = folder / RESULTS_FILE
        result = GradeResult.from_gradescope(json.loads(results_path.read_text())) \
            if results_path.exists() else None
        for path in folder.rglob("*"):
            rel = path.relative_to(folder)
            if path.is_file() and path.suffix != ".ipynb" and path.name != RESULTS_FILE:
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / rel)
        notebooks = sorted(folder.glob("*.ipynb"))
        for notebook in notebooks:
            try:
                nb = visible_notebook(nbformat.read(str(notebook), as_version=4))
            except Exception:  # not ours to grade, but the student still hears why
                nb = nbformat.v4.new_notebook()
            page = render(nb, summary_html(result, scores.get(student)),
                          f"{assignment} feedback for {student}")
            out = target / f"{notebook.stem}.html"
            out.write_text(page)
            written.append(out)
        if not notebooks and result is not None:  # an ungradable submission still hears why
            out = target / f"{course.master_notebooks(assignment)[0].stem}.html"
            out.write_text(render(nbformat.v4.new_notebook(), summary_html(result, 0.0),
                                  f"{assignment} feedback for {student}"))
            written.append(out)
    return written
