"""Which kind of document a report is, and in which layout: chosen on evidence.

Strategy: a line is evidence of a kind of document when its token kind only
occurs on that kind's pages (``_MARKERS``: token kind -> the document kinds it
marks; a kind of line several documents share marks each of them). The kind
with the most marker lines wins; a tie goes to the first in ``DOC_KINDS``
order, so the KPI lines a project page and a KPI page share (target, achieved,
kinds) make a KPI document only when nothing project-only is there. The
layout then follows from the layout markers of that kind (``_layout``).

A text with no marker line at all is not a report (``Shape.doc_kind`` is
None): the parser takes no field from it. A winner resting on one marker line
is *weak*, and a text that also holds two or more lines marking another kind
of document only is *mixed*: both are warnings that name the choice made.

Rules kept: the table is the only place that knows which lines mark which
kind; ``_read`` (is a chunk a report at all?) and ``_parser`` (which rules
read it) both ask ``shape``; one pass over the tokens, no regex.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ._lexer import Kind, Token

DOC_KINDS = ("kpi", "project", "kpi-definition")
"""Kinds of document, in the order that breaks a tie of evidence."""
NOT_A_REPORT = "unknown"
"""``doc_kind`` and ``layout`` of a text that holds no report."""

_PROJECT, _KPI, _KPIDEF = frozenset({"project"}), frozenset({"kpi"}), frozenset({"kpi-definition"})
_MARKERS: dict[str, frozenset[str]] = {
    Kind.PAGE_TITLE: _PROJECT,
    Kind.NAME_ID: _PROJECT,
    Kind.PERCENT: _PROJECT,
    Kind.EVAL: _PROJECT,
    Kind.UNIT_CODES: _PROJECT,
    Kind.ROUTINE: _PROJECT,
    Kind.PROGRESS_HEAD: _PROJECT,
    Kind.KPI_NAME: _PROJECT,
    Kind.EVAL_SECTION: _PROJECT,
    Kind.VIEW_TITLE: _PROJECT,
    Kind.VIEW_FIELD: _PROJECT,
    Kind.STRATEGY: _PROJECT | _KPIDEF,
    Kind.KPI_TARGET: _PROJECT | _KPI | _KPIDEF,
    Kind.KPI_ACHIEVED: _PROJECT | _KPI,
    Kind.KPI_KINDS: _PROJECT | _KPI,
    Kind.KPI_TITLE: _KPI,
    Kind.KPI_ID: _KPI,
    Kind.KPI_EVAL: _KPI,
    Kind.QTABLE_TITLE: _KPI,
    Kind.NARRATIVE_HEAD: _KPI,
    Kind.KPIDEF_TITLE: _KPIDEF,
    Kind.KPIDEF_ID: _KPIDEF,
    Kind.DATA_KIND: _KPIDEF,
    Kind.KPIDEF_SECTION: _KPIDEF,
}
"""Token kind -> the kinds of document whose pages hold such a line."""

MARKER_KINDS = frozenset(_MARKERS)
"""Token kinds that are evidence of some report: a chunk with none is no report."""

# Layout markers, per kind of document; a kind's first layout is its default.
_VIEW = frozenset({Kind.VIEW_TITLE, Kind.VIEW_FIELD})
_PAGE = frozenset({Kind.PAGE_TITLE, Kind.KPI_TITLE, Kind.HEADING, Kind.NAME_ID, Kind.AGENCY_FY,
                   Kind.BLANK})
_PAGE_CHROME = frozenset({"Back Home", "FusionCharts will render here"})
_WEAK = 1
"""A winner with this many marker lines or fewer is weak evidence."""
_MIXED = 2
"""Lines marking only another kind of document, from which the evidence is mixed."""


class Shape(NamedTuple):
    """What a report is: the kind of document and its layout, and why."""

    doc_kind: str | None
    """``project``, ``kpi`` or ``kpi-definition``; None when nothing marks a report."""
    layout: str | None
    """``page``, ``export`` or ``view``; None when nothing marks a report."""
    markers: int
    """Marker lines of the chosen kind."""
    first: Token | None
    """The first marker line of the chosen kind."""
    other: str | None
    """Another kind of document two or more lines mark (mixed evidence), else None."""


def is_report(tokens: Sequence[Token]) -> bool:
    """True when some line of ``tokens`` marks a report."""
    return any(t.kind in MARKER_KINDS for t in tokens)


def shape(tokens: Sequence[Token]) -> Shape:
    """The kind of document and layout ``tokens`` (one report, trimmed or not) show."""
    counts = dict.fromkeys(DOC_KINDS, 0)
    first: dict[str, Token] = {}
    only: dict[str, int] = dict.fromkeys(DOC_KINDS, 0)  # lines that mark one kind alone
    for tok in tokens:
        marks = _MARKERS.get(tok.kind)
        if marks is None:
            continue
        for doc in marks:
            counts[doc] += 1
            first.setdefault(doc, tok)
        if len(marks) == 1:
            only[next(iter(marks))] += 1
    best = max(DOC_KINDS, key=lambda d: (counts[d], -DOC_KINDS.index(d)))
    if counts[best] == 0:
        return Shape(None, None, 0, None, None)
    other = next((d for d in DOC_KINDS if d != best and only[d] >= _MIXED), None)
    return Shape(best, _layout(best, tokens), counts[best], first[best], other)


def _layout(doc_kind: str, tokens: Sequence[Token]) -> str:
    """``view`` for the newer front end's project page; ``page`` when page-only lines
    (title, headings, name : id, chrome) or blank lines are inside; else ``export``
    (a plain export, or a copy that starts mid-page). A KPI definition is a page."""
    if doc_kind == "kpi-definition":
        return "page"
    inner = _trim(tokens)
    if doc_kind == "project" and _is_view(inner):
        return "view"
    for t in inner:
        if t.kind in _PAGE or t.text in _PAGE_CHROME:
            return "page"
    return "export"


def _is_view(tokens: Sequence[Token]) -> bool:
    """The view page's title, or two of its labels (one could start a line of text)."""
    fields = 0
    for t in tokens:
        if t.kind is Kind.VIEW_TITLE:
            return True
        fields += t.kind is Kind.VIEW_FIELD
    return fields >= _MIXED


def _trim(tokens: Sequence[Token]) -> Sequence[Token]:
    lines = [i for i, t in enumerate(tokens) if t.kind is not Kind.BLANK]
    return tokens[lines[0] : lines[-1] + 1] if lines else ()


def problems(found: Shape) -> list[tuple[Token, str, str]]:
    """(token, code, message) for weak or mixed evidence: warnings that name the choice."""
    out: list[tuple[Token, str, str]] = []
    if found.first is None:
        return out
    chosen = f"{found.doc_kind} report in layout {found.layout}"
    if found.markers <= _WEAK:
        out.append((found.first, "weak-evidence",
                    f"only this line marks the text as a report; read as a {chosen}"))
    if found.other is not None:
        out.append((found.first, "mixed-evidence",
                    f"lines of a {found.other} document are here too; read as a {chosen}"))
    return out
