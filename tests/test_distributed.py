"""Beyond one machine: a Dask cluster executes, a PostgreSQL server keeps the gradebook."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from autograder.execute.dask_pool import PLUGIN_NAME
from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.helpers import cell_scores, grade, gradebook_scores, results, submit
from tests.services import dask_cluster, postgres_server

pytestmark = pytest.mark.slow

CLASS = {"alice": ("the reference form", "the reference form", 10),
         "carol": ("a while loop", "a missing leak", 5),
         "dave": ("missing alpha", "the inputs' signs swapped", 0)}


def submit_class(root, release_nb):
    for student, (first, second, _) in CLASS.items():
        submit(root, student, fill_in(release_nb, answer("lif_neuron", first),
                                      answer("lif_neuron_inh", second)))


def test_a_dask_cluster_on_loopback_grades_the_class(course, release_nb):
    submit_class(course, release_nb)
    with dask_cluster(workers=2) as (address, client):
        done = grade(course, "--scheduler", address)
        assert done.returncode == 0, done.stderr
        jobs = client.run(lambda dask_worker: dask_worker.plugins[PLUGIN_NAME].jobs_run)
    assert sum(jobs.values()) == len(CLASS), "every submission ran on the cluster"
    for student, (_, _, score) in CLASS.items():
        assert results(course, student)["score"] == score
        assert sum(gradebook_scores(course, student).values()) == score


def test_the_gradebook_can_live_in_postgresql(course, release_nb):
    submit_class(course, release_nb)
    with postgres_server() as url:
        done = grade(course, "--db", url)
        assert done.returncode == 0, done.stderr
        for student, (_, _, score) in CLASS.items():
            assert sum(gradebook_scores(course, student, url).values()) == score
            assert sum(cell_scores(results(course, student)).values()) == score
        export = subprocess.run([sys.executable, "-m", "nbgrader", "export",
                                 "--log-level=ERROR"], cwd=course, capture_output=True,
                                text=True, env={**os.environ, "NBGRADER_DB_URL": url})
        assert export.returncode == 0, export.stderr
        rows = {r["student_id"]: float(r["score"]) for r in
                csv.DictReader((course / "grades.csv").open())}
        assert rows == {s: float(v[2]) for s, v in CLASS.items()}
        assert_feedback_reads_the_gradebook_at(course, url)
    from nbgrader.api import MissingEntry

    with pytest.raises(MissingEntry):  # nothing went to the course's SQLite gradebook
        gradebook_scores(course, "alice")


def assert_feedback_reads_the_gradebook_at(course, url):
    """A manual regrade in the --db gradebook shows in the feedback page's total."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        grade_ = gb.find_grade("ex1_hidden", "W1D1_Tutorial2", "W1D1_Tutorial2", "dave")
        grade_.manual_score = grade_.max_score
        gb.db.commit()
    done = subprocess.run([sys.executable, "-m", "autograder", "feedback", "W1D1_Tutorial2",
                           "--db", url], cwd=course, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = (course / "feedback" / "dave" / "W1D1_Tutorial2" / "W1D1_Tutorial2.html").read_text()
    assert "W1D1_Tutorial2: 3 / 10 points" in page, "the manual grade is in the total"
