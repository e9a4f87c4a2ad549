"""Equations of markdown cells become MathML; everything that is not an equation stays."""

from __future__ import annotations

import pytest

from autograder.mathml import cut_math, markdown_with_mathml


def typeset(markdown: str) -> str:
    return markdown_with_mathml(lambda text: text, markdown)


@pytest.mark.parametrize("markdown, n_formulas", [
    ("the potential $V_m$ rises", 1),
    ("$$\ndV_m = -\\beta V_m + \\alpha I\n$$", 1),
    ("both $a$ and $$b$$ here", 2),
    ("it costs $5 and $6 today", 0),
    ("an escaped \\$x\\$ stays", 0),
    ("code `x = $y$` is code", 0),
    ("```\nprint('$a$')\n```\nthen $b$", 1),
    ("a lone $ sign", 0),
], ids=["an inline formula", "a display formula", "inline and display together",
        "prices are not formulas", "escaped dollars are not formulas",
        "a code span is left alone", "fenced code is left alone", "a lone dollar is text"])
def test_formulas_are_found_where_jupyter_finds_them(markdown, n_formulas):
    cut, pieces = cut_math(markdown)
    assert len(pieces) == n_formulas
    assert "$" not in cut or n_formulas == 0 or "`" in markdown or "\\$" in markdown


def test_a_formula_becomes_mathml_and_display_math_is_a_block():
    html = typeset("rate $\\lambda$ and $$I \\sim \\mathrm{Poisson}(\\lambda)$$")
    assert html.count("<math") == 2
    assert 'display="block"' in html and 'display="inline"' in html
    assert "$" not in html


def test_latex_the_converter_cannot_read_stays_as_written():
    text = "broken $\\frac{1}{$ formula"
    assert "\\frac{1}{" in typeset(text)


def test_a_formula_inside_a_tag_attribute_is_reduced_to_its_letters():
    html = markdown_with_mathml(lambda text: f'<h2 id="{text}">{text}</h2>', "Compute $dV_m$")
    assert html.startswith('<h2 id="Compute dVm">Compute <math')
