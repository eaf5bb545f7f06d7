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
read it) both ask ``shape``; no regex. Most reports are decided from the set of
token kinds alone (built in C): when every marker present marks one kind, and
one of them marks it alone, nothing can tie that kind and no other kind has
lines of its own, so only the rest are counted line by line (``_weighed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
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
_SOLE = {kind: next(iter(docs)) for kind, docs in _MARKERS.items() if len(docs) == 1}
"""Marker kinds that mark one kind of document alone -> that kind."""
"""Token kinds that are evidence of some report: a chunk with none is no report."""

# Layout markers, per kind of document; a kind's first layout is its default.
_VIEW = frozenset({Kind.VIEW_TITLE, Kind.VIEW_FIELD})
_PAGE = frozenset({Kind.PAGE_TITLE, Kind.KPI_TITLE, Kind.HEADING, Kind.NAME_ID, Kind.AGENCY_FY,
                   Kind.BLANK})
_PAGE_CHROME = frozenset({"Back Home", "FusionCharts will render here"})
_KIND = itemgetter(0)  # Token.kind
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
    weak: bool
    """One marker line alone chose the kind."""
    first: Token | None
    """The first marker line of the chosen kind."""
    other: str | None
    """Another kind of document two or more lines mark (mixed evidence), else None."""


def is_report(tokens: Sequence[Token]) -> bool:
    """True when some line of ``tokens`` marks a report."""
    return any(t.kind in MARKER_KINDS for t in tokens)


def shape(tokens: Sequence[Token]) -> Shape:
    """The kind of document and layout ``tokens`` (one report, without the blank lines
    around it) show."""
    present = set(map(_KIND, tokens))  # built in C: the common case needs no count
    marked = present & MARKER_KINDS
    if not marked:
        return Shape(None, None, False, None, None)
    sole = {_SOLE[k] for k in marked if k in _SOLE}
    if len(sole) == 1:
        (best,) = sole
        if all(best in _MARKERS[k] for k in marked):
            # Every marker here marks ``best`` and one marks it alone: nothing can tie it,
            # and no other kind has lines of its own (not mixed).
            weak = len(marked) == 1 and sum(1 for t in tokens if t.kind in marked) <= _WEAK
            return Shape(best, _layout(best, present, tokens), weak, _first(tokens, best), None)
    return _weighed(tokens, present)


def _weighed(tokens: Sequence[Token], present: set[str]) -> Shape:
    """``shape`` when the evidence points several ways: count every kind's marker lines."""
    counts = dict.fromkeys(DOC_KINDS, 0)
    only = dict.fromkeys(DOC_KINDS, 0)  # lines that mark one kind of document alone
    for tok in tokens:
        marks = _MARKERS.get(tok.kind)
        if marks is not None:
            for doc in marks:
                counts[doc] += 1
            if len(marks) == 1:
                only[doc] += 1
    best = max(DOC_KINDS, key=lambda d: (counts[d], -DOC_KINDS.index(d)))
    other = next((d for d in DOC_KINDS if d != best and only[d] >= _MIXED), None)
    return Shape(best, _layout(best, present, tokens), counts[best] <= _WEAK, _first(tokens, best),
                 other)


def _first(tokens: Sequence[Token], doc_kind: str) -> Token:
    return next(t for t in tokens if doc_kind in _MARKERS.get(t.kind, ()))


def _layout(doc_kind: str, present: set[str], tokens: Sequence[Token]) -> str:
    """``view`` for the newer front end's project page (its title, or two labels only it
    has: one could start a line of text); ``page`` when page-only lines (title, headings,
    name : id, chrome) or blank lines are inside; else ``export`` (a plain export, or a
    copy that starts mid-page). A KPI definition is a page."""
    if doc_kind == "kpi-definition":
        return "page"
    if doc_kind == "project" and (Kind.VIEW_TITLE in present or (
            Kind.VIEW_FIELD in present
            and sum(1 for t in tokens if t.kind is Kind.VIEW_FIELD) >= _MIXED)):
        return "view"
    if not _PAGE.isdisjoint(present):
        return "page"
    if Kind.CHROME in present and any(t.text in _PAGE_CHROME for t in tokens if t.kind is Kind.CHROME):
        return "page"
    return "export"


def problems(found: Shape) -> list[tuple[Token, str, str]]:
    """(token, code, message) for weak or mixed evidence: warnings that name the choice."""
    out: list[tuple[Token, str, str]] = []
    if found.first is None:
        return out
    chosen = f"{found.doc_kind} report in layout {found.layout}"
    if found.weak:
        out.append((found.first, "weak-evidence",
                    f"only this line marks the text as a report; read as a {chosen}"))
    if found.other is not None:
        out.append((found.first, "mixed-evidence",
                    f"lines of a {found.other} document are here too; read as a {chosen}"))
    return out
