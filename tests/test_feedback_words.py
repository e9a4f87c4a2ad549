"""What a student reads about the hidden checks: the verdict and the named mistake first, then at
most three plain sentences, with no statistics jargon and nothing said twice. The instructor's
report keeps every test run's detail."""

from __future__ import annotations

import re

import pytest

from solutions.W1D1_Tutorial2.catalogue import ANSWERS
from solutions.W1D1_Tutorial2.notebook_checks import check_function
from tests.test_checks_catalogue import define

JARGON = ("ISI", "CV", "seeded", "statistical", "tier", "trial", "reference", "calibrat",
          "Poisson(rate)", "z-score", "tolerance")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])")


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


@pytest.fixture(scope="module")
def verdicts(release_nb, reference_context):
    return {a: check_function(a.function, define(release_nb, a), reference_context)
            for a in ANSWERS if "scipy sample per step" not in a.key
            and "scipy samples per step" not in a.key}


@pytest.mark.parametrize("ans", [a for a in ANSWERS if not a.correct], ids=lambda a: a.label)
def test_a_rejection_reads_verdict_first_then_a_little_plain_evidence(verdicts, ans):
    verdict = verdicts[ans]
    text = verdict.student_message()
    parts = sentences(text)
    assert parts[0].startswith("Not yet right"), text
    if ans.mistake:
        assert verdict.mistake.description in parts[0], "the named mistake comes first"
    assert len(parts) <= 4, f"more than the verdict and three sentences:\n{text}"
    assert len(set(parts)) == len(parts), f"a sentence is repeated:\n{text}"
    for word in JARGON:
        assert not re.search(rf"\b{re.escape(word)}", text), f"{word!r} in:\n{text}"
    assert "\n" not in text


@pytest.mark.parametrize("ans", [a for a in ANSWERS if a.correct][:8], ids=lambda a: a.label)
def test_an_acceptance_says_so_in_one_sentence(verdicts, ans):
    text = verdicts[ans].student_message()
    assert text.startswith("Passed") and len(sentences(text)) == 1, text


@pytest.mark.parametrize("error, hint", [
    ("ValueError: setting an array element with a sequence.", "not the whole array"),
    ("TypeError: unsupported operand type(s) for +: 'float' and 'ellipsis'", "`...`"),
    ("NameError: name 'dv' is not defined", "dv is never given a value"),
], ids=["an array dv is explained", "a leftover ellipsis is explained",
        "a missing dv is explained"])
def test_usual_runtime_errors_become_one_sentence(error, hint):
    from solutions.W1D1_Tutorial2.structure import Finding
    from solutions.W1D1_Tutorial2.verdict import plain_finding

    text = plain_finding(Finding("exception", f"lif_neuron(n_steps=600) raised {error}."))
    assert hint in text and "raised" not in text and len(sentences(text)) == 1


def test_the_instructor_keeps_every_runs_detail(verdicts):
    wrong = next(v for a, v in verdicts.items() if a.mistake == "missing_alpha")
    detail = wrong.render()
    assert detail.count("\n- ") >= 3, "one line per failing test run"
    assert len(detail) > len(wrong.student_message())
