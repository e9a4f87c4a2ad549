"""Equations of a notebook's markdown as MathML, for pages read offline.

Jupyter typesets ``$...$`` and ``$$...$$`` with MathJax, a script nbconvert's HTML loads from a
CDN; a feedback page opened offline (or under a strict content policy) then shows raw LaTeX.
Every current browser typesets MathML itself, with no script and no network, so the LaTeX is
converted here, when the page is written.

The math is cut out of the markdown before it is rendered (as Jupyter's own renderer does), so
that markdown never touches it, and put back as MathML afterwards; code spans, fenced code and
escaped dollars (``\\$``) are left alone. LaTeX the converter cannot read stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from latex2mathml.converter import convert

#: Fenced code blocks and inline code spans: never math.
_CODE = re.compile(r"(^|\n)(```|~~~).*?(\n\2[^\n]*(?=\n|$)|$)|(`+)[^`]*?\4", re.S)
#: ``$$...$$`` (display) or ``$...$`` (inline), unless the dollar is escaped.
_MATH = re.compile(r"(?<![\\$])\$\$(?P<display>.+?)(?<!\\)\$\$"
                   r"|(?<![\\$])\$(?!\s)(?P<inline>[^$\n]+?)(?<![\\\s])\$(?!\d)", re.S)
_TOKEN = "zqmathzq{}zq"
_TOKEN_RE = re.compile(r"zqmathzq(\d+)zq")
_TAG = re.compile(r"(<[^>]*>)")


def to_mathml(latex: str, display: bool) -> str | None:
    """MathML for one formula, or None when the converter cannot read it."""
    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # the converter's errors are of many types; the text stays as written
        return None


def cut_math(markdown: str) -> tuple[str, list[tuple[str, str]]]:
    """The markdown with every formula replaced by a token, and each formula's (LaTeX,
    MathML)."""
    pieces: list[tuple[str, str]] = []

    def replace(match: re.Match) -> str:
        display = match.group("display") is not None
        latex = match.group("display") if display else match.group("inline")
        mathml = to_mathml(latex, display)
        if mathml is None:
            return match.group(0)
        pieces.append((latex, mathml))
        return _TOKEN.format(len(pieces) - 1)

    out, last = [], 0
    for code in _CODE.finditer(markdown):
        out.append(_MATH.sub(replace, markdown[last:code.start()]))
        out.append(code.group(0))
        last = code.end()
    out.append(_MATH.sub(replace, markdown[last:]))
    return "".join(out), pieces


def put_back(rendered: str, pieces: list[tuple[str, str]]) -> str:
    """The formulas back in place: as MathML in text, as their letters inside a tag (a heading's
    anchor id is made from its text)."""
    def in_text(match: re.Match) -> str:
        return pieces[int(match.group(1))][1]

    def in_tag(match: re.Match) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "", pieces[int(match.group(1))][0])

    parts = _TAG.split(rendered)
    return "".join(_TOKEN_RE.sub(in_tag if part.startswith("<") else in_text, part)
                   for part in parts)


def markdown_with_mathml(render: Callable[[str], str], markdown: str) -> str:
    """``render`` (markdown to HTML) with the formulas typeset as MathML."""
    cut, pieces = cut_math(markdown)
    return put_back(render(cut), pieces) if pieces else render(markdown)
