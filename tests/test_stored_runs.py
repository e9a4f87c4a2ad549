"""The stored runs: what the reference and the known mistakes do on the trials, computed once.

They spare every grading run scipy.stats's import and the mutants' runs; they must never change
a verdict. A stale file is ignored; the committed files must be current.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats as scipy_stats

from autograder.execute.observe import Observation, observe
from solutions.W1D1_Tutorial2 import calibration, checks, stored
from solutions.W1D1_Tutorial2.checks import HiddenModelCheck
from solutions.W1D1_Tutorial2.mistakes import MISTAKES, build_mutant
from solutions.W1D1_Tutorial2.spikestats import critical_z, tail_alpha
from solutions.W1D1_Tutorial2.stored import compute_runs, read_runs, runs_digest, runs_file
from solutions.W1D1_Tutorial2.trials import HIDDEN_TRIALS
from tests.helpers import REPO

FUNCTIONS = sorted(HIDDEN_TRIALS)
COMMAND = "python -m solutions.W1D1_Tutorial2 runs"


def _same_array(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None
                                        and np.array_equal(a, b))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_committed_runs_are_what_the_reference_and_the_mistakes_give_today(function):
    saved = read_runs(function)
    assert saved is not None, f"{runs_file(function)} is missing or stale: run `{COMMAND}`"
    live = compute_runs(function)
    assert set(saved.trains) == set(live.trains) and set(saved.summaries) == set(live.summaries)
    for key, train in live.trains.items():
        kept = saved.trains[key]
        for name in stored._FIELDS:
            assert getattr(kept, name) == getattr(train, name), (key, name, COMMAND)
        assert _same_array(kept.v, train.v) and _same_array(kept.spike_times, train.spike_times)
    for key, summary in live.summaries.items():
        kept = saved.summaries[key]
        assert (kept.returned, kept.structure) == (summary.returned, summary.structure), key
        assert _same_array(kept.spike_times, summary.spike_times), key
    assert saved.z_ranges == live.z_ranges


def test_what_the_command_writes_reads_back_as_the_live_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(stored, "runs_file", lambda name: tmp_path / f"{name}.runs.npz")
    function = "lif_neuron"
    stored.write_runs(function)
    again, live = read_runs(function), compute_runs(function)
    assert again is not None and set(again.trains) == set(live.trains)
    for key, train in live.trains.items():
        assert again.trains[key].rng_state == train.rng_state
        assert _same_array(again.trains[key].v, train.v)
    for key, summary in live.summaries.items():
        assert _same_array(again.summaries[key].spike_times, summary.spike_times)
    first = runs_file(function).read_bytes()
    stored.write_runs(function)
    assert runs_file(function).read_bytes() == first, "the same runs must give the same file"


@pytest.mark.parametrize("change", ["digest", "function"],
                         ids=["a file computed from other sources",
                              "a file of another exercise"])
def test_a_stale_file_is_ignored_so_the_runs_are_computed_live(tmp_path, monkeypatch, change):
    function = FUNCTIONS[0]
    with np.load(runs_file(function)) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta[change] = "something else"
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path = tmp_path / "runs.npz"
    np.savez_compressed(path, **arrays)
    monkeypatch.setattr(stored, "runs_file", lambda name: path)
    assert read_runs(function) is None


def test_a_missing_file_means_live_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(stored, "runs_file", lambda name: tmp_path / "none.npz")
    assert read_runs(FUNCTIONS[0]) is None


@pytest.mark.parametrize("content", [
    lambda good: good[: len(good) // 2],
    lambda good: b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n",
    lambda good: b"",
], ids=["a truncated file", "a Git LFS pointer", "an empty file"])
def test_an_unreadable_file_means_live_runs_and_the_same_verdict(tmp_path, monkeypatch,
                                                                  content):
    from solutions.W1D1_Tutorial2.context import ReferenceContext

    function = "lif_neuron"
    path = tmp_path / "runs.npz"
    path.write_bytes(content(runs_file(function).read_bytes()))
    monkeypatch.setattr(stored, "runs_file", lambda name: path)
    assert read_runs(function) is None
    observations = {k: Observation.from_dict(v)
                    for k, v in _observations(function, "missing_alpha", 0).items()}
    check = HiddenModelCheck(function)
    monkeypatch.setattr(checks, "shared_context", lambda: ReferenceContext())
    assert check.judge(observations).label == "missing_alpha"


def test_a_missing_calibration_is_named_with_the_command_that_makes_it(tmp_path, monkeypatch):
    """Not a bare FileNotFoundError from the stored runs' digest."""
    monkeypatch.setattr(calibration, "CALIBRATION_FOLDER", tmp_path)
    calibration.load_calibration.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="is missing: run .*calibrate lif_neuron"):
            runs_digest("lif_neuron")
    finally:
        monkeypatch.undo()
        calibration.load_calibration.cache_clear()


def test_every_module_of_the_exercise_is_a_source_of_the_runs():
    package = {p.name for p in (REPO / "solutions" / "W1D1_Tutorial2").glob("*.py")}
    assert package <= {p.name for p in stored.SOURCES}
    assert {"stored.py", "trials.py", "mistakes.py", "models.py"} <= package


@pytest.mark.parametrize("source", stored.SOURCES, ids=lambda p: f"an edit of {p.name}")
def test_the_digest_covers_the_code_the_runs_come_from(source, monkeypatch):
    before = runs_digest(FUNCTIONS[0])
    text = source.read_bytes()
    original = type(source).read_bytes
    monkeypatch.setattr(type(source), "read_bytes",
                        lambda self: text + b"#" if self == source else original(self))
    assert runs_digest(FUNCTIONS[0]) != before


@pytest.mark.parametrize("n_tests", [1, 12, 16, 40])
@pytest.mark.parametrize("one_sided", [True, False], ids=["one-sided", "two-sided"])
def test_the_normal_threshold_without_scipy_is_scipys(n_tests, one_sided):
    expected = scipy_stats.norm.isf(tail_alpha(n_tests, one_sided))
    assert critical_z(n_tests, one_sided) == pytest.approx(expected, rel=1e-12)


def _observations(function: str, mistake_key: str, seed_shift: int) -> dict:
    """What the sandbox would report for a student whose function is this mutant, called with
    the trials' seeds shifted (another random stream) or not."""
    mistake = next(m for m in MISTAKES if (m.function, m.key) == (function, mistake_key))
    func = build_mutant(mistake)
    out = {}
    for probe in HiddenModelCheck(function).probes():
        shifted = replace(probe, seed=probe.seed + seed_shift, skip_if_state=None)
        out[probe.id] = observe(func, shifted).to_dict()
    return out


@pytest.mark.parametrize("function, mistake, seed_shift, exact", [
    ("lif_neuron", "missing_alpha", 0, True),
    ("lif_neuron_inh", "leak_wrong_sign", 0, True),
    ("lif_neuron", "leak_added", 1000, False),
    ("lif_neuron_inh", "inputs_swapped", 1000, False),
], ids=["a mistake on the reference's random numbers is named exactly",
        "a mistake of exercise 2 on the reference's random numbers is named exactly",
        "a mistake on other random numbers is named by its statistics",
        "a mistake of exercise 2 on other random numbers is named by its statistics"])
def test_a_mistake_is_named_without_scipy_stats_or_a_single_reference_run(
        function, mistake, seed_shift, exact):
    """The grader's process judges from the stored runs alone: half a second less at its start
    and no mutant runs between submissions. The verdict is what the live runs give (above)."""
    observations = _observations(function, mistake, seed_shift)
    code = textwrap.dedent(f"""
        import json, sys
        from autograder.execute.observe import Observation
        from solutions.W1D1_Tutorial2.checks import HiddenModelCheck
        check = HiddenModelCheck({function!r})
        check.prepare()
        check.warm()
        observations = {{k: Observation.from_dict(v) for k, v in json.load(sys.stdin).items()}}
        verdict = check.judge(observations)
        loaded = sorted(m for m in ("scipy.stats", "solutions.W1D1_Tutorial2.models")
                        if m in sys.modules)
        print(json.dumps({{"passed": verdict.passed, "label": verdict.label,
                          "message": verdict.message, "loaded": loaded}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(observations),
                         capture_output=True, text=True, cwd=REPO, check=True).stdout
    result = json.loads(out)
    assert result["loaded"] == []
    assert not result["passed"] and result["label"] == mistake
    assert ("this looks like" not in result["message"]) == exact, result["message"]
