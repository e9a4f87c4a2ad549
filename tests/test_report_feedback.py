"""After grading: the class report (rendered in headless Chromium) and per-student feedback."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ASSIGNMENT, run_module
from tests.services import unavailable

pytestmark = pytest.mark.slow

SOLUTION_LINE_2 = "dv = -beta * v[i - 1] + alpha * (exc[i] - inh[i])"


@pytest.fixture(scope="module")
def graded(graded_class):
    """The session's graded class (correct, partial, wrong, broken and hostile submissions)."""
    return graded_class[0]


@pytest.fixture(scope="module")
def report(graded):
    done = run_module("autograder", "report", ASSIGNMENT, cwd=graded)
    assert done.returncode == 0, done.stderr
    return graded / "reports" / ASSIGNMENT / "index.html"


@pytest.fixture(scope="module")
def feedback(graded):
    done = run_module("autograder", "feedback", ASSIGNMENT, cwd=graded)
    assert done.returncode == 0, done.stderr
    return {folder.name: folder / ASSIGNMENT / f"{ASSIGNMENT}.html"
            for folder in (graded / "feedback").iterdir()}


def browser_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    unavailable("no Chromium: install Debian's chromium (.ci/run does)")


def render_offline(page_path):
    """Open a page in headless Chromium with every network request refused."""
    from playwright.sync_api import sync_playwright

    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()

        def route(r):
            if not r.request.url.startswith("file://"):
                requests.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, "
            "i.naturalWidth])")
        text = page.inner_text("body")
        browser.close()
    return images, text, requests


def test_report_renders_offline_with_every_figure(report):
    images, text, requests = render_offline(report)
    assert requests == [], "the report fetched something from the network"
    sources = {src for src, _, _ in images}
    assert {"scores.png", "pass_rate.png", "mistakes.png", "spike_statistics.png",
            "grading_time.png"} <= sources
    for src, complete, width in images:
        assert complete and width > 0, f"{src} did not load"
    students = len(list((report.parents[2] / "submitted").iterdir()))
    assert f"submissions\n{students}" in text


def test_report_links_each_student_to_their_feedback_and_says_when_and_by_which_version(
        graded, feedback):
    from urllib.parse import unquote, urlparse

    from playwright.sync_api import sync_playwright

    from autograder import __version__

    done = run_module("autograder", "report", ASSIGNMENT, cwd=graded)  # now that feedback exists
    assert done.returncode == 0, done.stderr
    index = graded / "reports" / ASSIGNMENT / "index.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path(), args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(index.as_uri())
        links = page.evaluate("Array.from(document.querySelectorAll('table a'))"
                              ".map(a => [a.textContent, a.href])")
        header = page.inner_text(".meta")
        row = page.inner_text("tr:has(a:text-is('dave'))")
        page.click("a:text-is('carol')")
        landed = page.title()
        browser.close()
    linked = {name for name, _ in links}
    graded_students = {r.parent.parent.name for r in (graded / "autograded").glob(
        f"*/{ASSIGNMENT}/results.json")}
    assert linked == graded_students & set(feedback), "every student with a page is linked"
    for _, href in links:
        assert Path(unquote(urlparse(href).path)).is_file(), href
    assert landed == f"{ASSIGNMENT} feedback for carol"
    assert re.search(r"Written \d{4}-\d\d-\d\d \d\d:\d\d UTC", header)
    assert f"version {__version__}" in header
    assert [m for _, m in re.findall(r"(\d+) / (\d+)", row)] == ["2", "3", "2", "3"], \
        "each test's points are in the student's row"
    assert row.count("0 / 3") == 2, "dave's hidden checks both failed"


def test_report_counts_the_diagnosed_mistakes_and_lists_what_could_not_be_graded(report):
    page = report.read_text()
    assert "the signs of the inputs are swapped" in page
    assert "the input is not scaled by alpha" in page
    assert "the leak has no effect" in page
    assert "malformed" in page and "not valid notebook JSON" in page


def test_feedback_shows_the_work_and_the_verdicts_but_no_hidden_tests(feedback):
    page = feedback["dave"].read_text()
    assert "dv = exc[i]" in page, "the student's own code is shown"
    assert "ex2_hidden" in page and "the signs of the inputs are swapped" in page
    assert "spiked at every time step" in page, "the public test's message is shown"
    for secret in ("BEGIN HIDDEN TESTS", "check_lif_neuron", "from autograder", "solutions",
                   SOLUTION_LINE_2):
        assert secret not in page, f"feedback reveals {secret!r}"
    assert not re.search(r"<(script|link)[^>]+(src|href)=['\"]?https?://", page)


def test_feedback_renders_offline(feedback):
    images, text, requests = render_offline(feedback["carol"])
    assert requests == []
    assert all(complete and width > 0 for _, complete, width in images)
    assert "5 / 10 points" in text


def test_feedback_typesets_equations_and_shows_the_students_own_figures(feedback):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path(), args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else r.abort())
        page.goto(feedback["alice"].as_uri())
        formulas = page.evaluate("Array.from(document.querySelectorAll('math')).map("
                                 "m => m.getBoundingClientRect().height)")
        figures = page.evaluate(
            "Array.from(document.querySelectorAll('.output_area img, .jp-OutputArea img'))"
            ".map(i => [i.src.slice(0, 22), i.complete, i.naturalWidth])")
        text = page.inner_text("body")
        browser.close()
    assert len(formulas) >= 10 and all(h > 0 for h in formulas), "equations are typeset"
    assert "$$" not in text and "\\alpha" not in text, "no raw LaTeX is left"
    assert len(figures) >= 2, "both exercise cells show the student's figure"
    assert all(src == "data:image/png;base64," and ok and width > 0
               for src, ok, width in figures)
    assert "<Figure size" not in text
    assert "Self-checks for Exercise 1" in text and "Hidden checks for Exercise 2" in text


def test_an_ungradable_submission_gets_feedback_saying_why(feedback):
    assert "not valid notebook JSON" in feedback["malformed"].read_text()


def test_nbgrader_release_feedback_accepts_it(graded, feedback, tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "release_feedback", ASSIGNMENT,
         f"--Exchange.root={exchange}", "--log-level=ERROR"],
        cwd=graded, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    released = list((exchange / "how-models" / "feedback").glob("*.html"))
    assert len(released) == len(feedback)
    assert any("the signs of the inputs are swapped" in p.read_text() for p in released)
