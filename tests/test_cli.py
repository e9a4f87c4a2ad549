"""The command line behaves like a mature tool: one line and exit status 2 for bad input, one
line and 130 for Ctrl-C (and the next run resumes), help for every option, honest counts."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

import pytest

from autograder.cli import build_parser
from tests.classes import student_nb, with_extra_code
from tests.helpers import ASSIGNMENT, grade, run_module, submit, summary_counts

pytestmark = pytest.mark.slow


def one_error_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.parametrize("command", [
    ["grade", "nosuch"], ["report", "nosuch"], ["feedback", "nosuch"], ["release", "nosuch"],
    ["check", "{root}/source/W1D1_Tutorial2/W1D1_Tutorial2.ipynb", "--assignment", "nosuch"],
], ids=lambda c: f"{c[0]} names an unknown assignment in one line")
def test_an_unknown_assignment_is_named_in_one_line_with_status_2(course, command):
    done = run_module("autograder", *[c.format(root=course) for c in command], cwd=course)
    assert done.returncode == 2
    assert "nosuch" in one_error_line(done)


def test_a_missing_notebook_is_named_in_one_line_with_status_2(course):
    done = run_module("autograder", "check", "missing.ipynb", cwd=course)
    assert done.returncode == 2
    assert "missing.ipynb" in one_error_line(done)


@pytest.mark.parametrize("command", ["grade", "feedback"],
                         ids=lambda c: f"{c} says that --student matches nobody")
def test_a_student_pattern_that_matches_nobody_says_so(course, release_nb, command):
    submit(course, "alice", student_nb(release_nb))
    assert grade(course).returncode == 0
    done = run_module("autograder", command, ASSIGNMENT, "--student", "zed*", cwd=course)
    assert done.returncode == 2
    assert "zed*" in one_error_line(done)


def test_the_summary_counts_graded_and_failed_submissions_apart(course, release_nb):
    submit(course, "alice", student_nb(release_nb))
    submit(course, "broken", b'{"cells": [')
    done = grade(course)
    assert done.returncode == 0, done.stderr
    counts = summary_counts(done.stdout)
    assert counts["graded"] == 1 and counts["not gradable"] == 1


def test_ctrl_c_prints_one_line_exits_130_and_the_next_run_resumes(course, release_nb):
    slow = with_extra_code(student_nb(release_nb), "ex2_lif_neuron_inh",
                           "import time; time.sleep(1.5)")
    for k in range(8):
        submit(course, f"s{k}", slow)
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--no-progress",
         "--workers", "1"], cwd=course, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    graded = course / "autograded"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(graded.glob("*/*/results.json")):
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    n = int(lines[0].split("interrupted: ")[1].split()[0])
    assert lines[0] == f"interrupted: {n} graded, run again to resume"
    assert 1 <= n < 8
    again = grade(course)
    assert again.returncode == 0, again.stderr
    counts = summary_counts(again.stdout)
    assert counts["skipped"] == n and counts["graded"] == 8 - n


def _options(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from ((name, a) for a in sub._actions)


@pytest.mark.parametrize("command, action", list(_options(build_parser())),
                         ids=lambda x: x if isinstance(x, str) else
                         f"{'/'.join(x.option_strings) or x.dest} has help")
def test_every_option_has_help(command, action):
    assert action.help and action.help.strip(), f"{command} {action.dest} has no help"
