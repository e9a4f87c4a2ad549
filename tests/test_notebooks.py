"""The notebooks: the master runs, the release is current, students get what they need."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.validator import Validator

from autograder.authoring import example_figures, execute_notebook, release_assignment
from autograder.config import Settings
from solutions.W1D1_Tutorial2.catalogue import answer, fill_in
from tests.helpers import MASTER, RELEASE, REPO, assert_example_figures_current, copy_course

EXERCISE_CELLS = ("ex1_lif_neuron", "ex2_lif_neuron_inh")
STUB_RAISE = 'raise NotImplementedError("Exercise: write your answer here")'


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def cell_by_id(nb, gid: str):
    return next(c for c in nb.cells if grade_id(c) == gid)


def run(nb, folder) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel, continuing past errors, as a student's run-all."""
    nb = nbformat.from_dict(nb)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def solution_lines(master_nb) -> list[str]:
    lines = []
    for cell in master_nb.cells:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
            lines += [line.strip() for line in region.splitlines() if line.strip()]
    return lines


@pytest.fixture(scope="module")
def executed_master():
    return execute_notebook(MASTER)


@pytest.fixture(scope="module")
def unfinished_release_run(release_nb):
    return run(release_nb, RELEASE.parent)


@pytest.fixture(scope="module")
def finished_release_run(release_nb):
    nb = fill_in(release_nb, answer("lif_neuron", "the reference form"),
                 answer("lif_neuron_inh", "the reference form"))
    return run(nb, RELEASE.parent)


# --- the master -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_master_runs_top_to_bottom_under_nbval():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", str(MASTER), "-q", "-p",
         "no:cacheprovider", "--rootdir", str(MASTER.parent)],
        cwd=MASTER.parent, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "passed" in result.stdout


@pytest.mark.slow
def test_master_cells_produce_no_errors_and_its_tests_pass(executed_master):
    for cell in executed_master.cells:
        assert not errors(cell), f"cell {cell.id} of the master failed: {errors(cell)[0].evalue}"
    hidden = cell_by_id(executed_master, "ex2_hidden")
    assert "lif_neuron_inh behaves like the model answer" in \
        "".join(o.get("text", "") for o in hidden.outputs)


@pytest.mark.slow
def test_committed_example_figures_are_the_reference_figures(executed_master):
    figures = example_figures(executed_master)
    assert set(figures) == {"example_lif_neuron.png", "example_lif_neuron_inh.png"}
    assert_example_figures_current(figures, MASTER.parent)


@pytest.mark.slow
def test_nbgrader_validator_passes_the_master_and_fails_the_release():
    assert Validator().validate(str(MASTER)) == {}
    failed = Validator().validate(str(RELEASE)).get("failed", [])
    assert failed, "the unfinished release must not validate"
    assert any("NotImplementedError" in f["raw_error"] for f in failed)


def test_master_structure_follows_the_tutorial(master_nb):
    ids = [grade_id(c) for c in master_nb.cells if grade_id(c)]
    assert [i for i in ids if i.startswith(("ex1_", "ex2_"))] == [
        "ex1_lif_neuron", "ex1_public", "ex1_hidden", "ex2_lif_neuron_inh", "ex2_public",
        "ex2_hidden"]
    text = "\n".join(c.source for c in master_nb.cells if c.cell_type == "markdown")
    for equation in (r"dV_m = \alpha I", r"I \sim \mathrm{Poisson}(\lambda)",
                     r"dV_m = -\beta V_m + \alpha I",
                     r"dV_m = -\beta V_m + \alpha \left(I_{\mathrm{exc}} - I_{\mathrm{inh}}\right)",
                     r"C_m \frac{dV}{dt} = -\frac{V - V_{\mathrm{rest}}}{R_m} + I",
                     r"C_m = R_m = dt = 1", r"V_{\mathrm{rest}} = 0"):
        assert equation in text, f"the equation {equation} is missing from the master"
    for heading in ("Tutorial objectives", "Setup", "Section 1", "Coding Exercise 1",
                    "Interactive Demo 1", "Section 2", "Coding Exercise 2", "Interactive Demo 2",
                    "Section 3", "Summary", "Notation", "Bonus Section 1", "Bonus Section 2"):
        assert heading in text, f"the section {heading!r} is missing"


def test_provided_code_is_locked_and_points_are_stated(master_nb):
    for cell in master_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("solution"):
            assert meta.get("locked"), f"code cell {cell.id} should be read-only (locked)"
        if meta.get("grade"):
            points = meta["points"]
            assert f"({points:g} points)" in cell.source, \
                f"test cell {meta['grade_id']} should state its {points:g} points"
    for gid in EXERCISE_CELLS:
        source = cell_by_id(master_nb, gid).source
        region = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S)
        assert len(region) == 1 and region[0].strip().startswith("dv = "), \
            f"only the dv computation of {gid} may be a solution region"
        assert "np.random.seed(12)" in source and "v[i] > 1" in source
        assert "stats.poisson(" in source and ".rvs(n_steps)" in source


def test_demo_sliders_are_those_of_the_tutorial(master_nb):
    demo1, demo2 = cell_by_id(master_nb, "demo1").source, cell_by_id(master_nb, "demo2").source
    assert 'interactive_demo(\n    "lif_neuron", n_steps=2000,' in demo1
    assert 'interactive_demo(\n    "lif_neuron_inh", n_steps=2000,' in demo2
    assert "FloatLogSlider(0.01, min=-2, max=-1)" in demo1
    assert "IntSlider(10, min=5, max=20)" in demo1
    assert "FloatLogSlider(0.5, min=-1, max=1)" in demo2
    assert "FloatLogSlider(0.1, min=-1, max=0)" in demo2
    assert demo2.count("IntSlider(12, min=10, max=20)") == 2


# --- the release ---------------------------------------------------------------------------

#: Every assignment of the course: each release must be current, whoever adds one.
ASSIGNMENTS = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS,
                         ids=lambda a: f"the committed release of {a} is what the release "
                                       "command writes")
def test_committed_release_is_what_the_release_command_writes(tmp_path, assignment):
    root = copy_course(tmp_path / "course")
    fresh_dir = tmp_path / "fresh"
    release_assignment(Settings.load(root), assignment, release_dir=fresh_dir,
                       db_url=f"sqlite:///{tmp_path / 'gb.db'}")
    fresh_dir = fresh_dir / assignment
    committed_dir = REPO / "release" / assignment
    assert sorted(p.name for p in fresh_dir.iterdir()) == \
        sorted(p.name for p in committed_dir.iterdir()), "release/ is stale: run `make release`"
    for path in fresh_dir.iterdir():
        if path.suffix != ".ipynb":
            assert path.read_bytes() == (committed_dir / path.name).read_bytes(), \
                f"{path.name} in release/ is stale: run `make release`"
            continue
        fresh = nbformat.read(str(path), as_version=4)
        committed = nbformat.read(str(committed_dir / path.name), as_version=4)
        assert len(fresh.cells) == len(committed.cells), "release/ is stale: run `make release`"
        for new, old in zip(fresh.cells, committed.cells, strict=True):
            assert (new.id, new.cell_type, new.source, new.metadata) == \
                (old.id, old.cell_type, old.source, old.metadata), \
                f"cell {old.id} of the committed {path.name} differs from a fresh one: run " \
                "`make release`"


def test_release_contains_no_solution_and_no_hidden_tests(master_nb, release_nb):
    code = "\n".join(c.source for c in release_nb.cells if c.cell_type == "code")
    for line in solution_lines(master_nb):
        assert line not in code, f"the release contains the solution line {line!r}"
    assert not re.findall(r"^\s*dv = .*$", code, re.M), "the release computes dv somewhere"
    for secret in ("HIDDEN TESTS", "check_lif_neuron", "autograder", "solutions"):
        assert secret not in code, f"the release mentions {secret!r}"
    assert code.count(STUB_RAISE) == 2


def test_release_needs_nothing_but_its_folder_and_four_libraries(release_nb):
    code = "\n".join(c.source for c in release_nb.cells if c.cell_type == "code")
    imported = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_][\w]*)", code, re.M))
    assert imported <= {"numpy", "matplotlib", "scipy", "ipywidgets", "logging", "os",
                        "contextlib", "io", "warnings", "random", "textwrap"}, imported
    assert not re.search(r"https?://", code), "a code cell refers to a URL"
    assert "pip install" not in code
    assert (RELEASE.parent / "nma.mplstyle").exists()
    markdown = "\n".join(c.source for c in release_nb.cells if c.cell_type == "markdown")
    assert markdown.count("](data:image/png;base64,") == 2, "both example outputs are embedded"
    assert not re.search(r"!\[[^\]]*\]\(https?://", markdown), "an image is fetched from the web"


@pytest.mark.slow
def test_unfinished_release_fails_only_in_the_stubs_and_what_calls_them(unfinished_release_run):
    failing = {grade_id(c) or c.id for c in unfinished_release_run.cells
               if c.cell_type == "code" and errors(c)}
    assert failing == {"ex1_lif_neuron", "ex1_public", "ex2_lif_neuron_inh", "ex2_public"}
    for gid in EXERCISE_CELLS:
        assert errors(cell_by_id(unfinished_release_run, gid))[0].ename == "NotImplementedError"
    public = errors(cell_by_id(unfinished_release_run, "ex1_public"))[0]
    assert "still raises NotImplementedError" in public.evalue
    assert "run the cell of Coding Exercise 1 again" in public.evalue
    shown = "\n".join(public.traceback)
    assert "Traceback" not in shown and "File " not in shown and "self_check(" not in shown, \
        "the self-check shows a traceback instead of its sentence"
    for demo, exercise in (("demo1", 1), ("demo2", 2)):
        outputs = cell_by_id(unfinished_release_run, demo).outputs
        text = "".join(o.get("text", "") for o in outputs)
        assert f"complete Coding Exercise {exercise}, run its cell, then run this cell again" \
            in text, f"{demo} does not say what to do first"
        assert len(text.strip().splitlines()) == 1, f"{demo} says more than one sentence"


@pytest.mark.slow
def test_finished_release_runs_clean_and_passes_its_self_checks(finished_release_run):
    for cell in finished_release_run.cells:
        if cell.cell_type == "code":
            assert not errors(cell), f"cell {cell.id} failed: {errors(cell)[0].evalue}"
    for gid, function in (("ex1_public", "lif_neuron"), ("ex2_public", "lif_neuron_inh")):
        text = "".join(o.get("text", "") for o in cell_by_id(finished_release_run, gid).outputs)
        assert f"self-checks passed. {function} runs" in text
        assert "Not checked here" in text, "the success message says what was not checked"
    for demo in ("demo1", "demo2"):
        outputs = cell_by_id(finished_release_run, demo).outputs
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                   for o in outputs), f"{demo} shows no sliders once the exercise is done"
    figure = cell_by_id(finished_release_run, "ex1_lif_neuron").outputs
    assert any("image/png" in o.get("data", {}) for o in figure)


# --- images: embedded, so that Colab shows them ------------------------------------------------

RELATIVE_IMAGE = re.compile(r"!\[[^\]]*\]\((?!data:|https?:)[^)]+\)"
                            r"|<img\b[^>]*\bsrc=[\"'](?!data:|https?:)")


@pytest.mark.parametrize("notebook", sorted(p.relative_to(REPO) for p in
                                            (REPO / "release").glob("*/*.ipynb")),
                         ids=lambda p: f"{p} embeds its images")
def test_released_notebooks_embed_their_images(notebook):
    nb = nbformat.read(str(REPO / notebook), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not RELATIVE_IMAGE.findall(text), "a released notebook links to an image file"


def test_embedding_inlines_only_images_beside_the_notebook(tmp_path):
    from autograder.authoring import embed_images

    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "fig.png").write_bytes(b"\x89PNG fake")
    (folder / "notes.txt").write_text("not an image")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG outside")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "![a figure](fig.png) <img src='fig.png' width=3> ![web](https://example.org/x.png) "
        "![outside](../secret.png) ![text](notes.txt) ![missing](gone.png)")])
    assert embed_images(nb, folder) == {(folder / "fig.png").resolve()}
    text = nb.cells[0].source
    assert text.count("data:image/png;base64,") == 2
    for kept in ("https://example.org/x.png", "../secret.png", "notes.txt", "gone.png"):
        assert kept in text
