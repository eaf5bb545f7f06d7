"""The KPI definition page of the city-indicator database (2562-2563).

Strategy: a third kind of document, the definition of one indicator, with a
target but no results. It is read top to bottom: the database's title and
chrome, ``<numbered name> : <integer id>``, the target (any unit, a trailing
qualifier), ``ลักษณะข้อมูล`` (the kind of data), the strategy block (its
``:``-prefixed levels read by ``_rules.strategy``), then numbered sections
(``1.นิยาม ...``, ``2.วิธีการคำนวณ ...``, and further ones). The lexer knows the
usual section titles (``Kind.KPIDEF_SECTION``); a short line numbered as the
next section (``3.แหล่งข้อมูล``) opens one too, so titles it does not know are
not lost in the text before them. ``_SECTION_FIELDS`` says which sections
are also indicator fields.

Rules kept: every section is kept whole in ``kpi_sections``; every line no
part took is ``unrecognized-line``; nothing raises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from . import _rules
from ._diagnostics import DiagnosticLog
from ._lexer import Kind, Token
from ._values import to_ascii_digits
from .model import Kpi, KpiSection, StrategyLink

_SECTION_FIELDS = (("นิยาม", "definition"), ("วิธีการคำนวณ", "calculation_method"))
"""(words a section title starts with, Kpi field its text fills)."""
_NEXT_SECTION = re.compile(r"([0-9]{1,2})[ \t]*\.[ \t]*(\S.{0,78})")
"""A numbered line short enough to be a section title (tried only on the next number)."""
_STRATEGY = frozenset({Kind.STRATEGY, Kind.HEADING, Kind.ROUTINE})
_STRUCTURE = frozenset({Kind.KPIDEF_TITLE, Kind.CHROME, Kind.BLANK})


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    """What a KPI definition page holds (no Report field: the page is its indicator)."""

    kpis: tuple[Kpi, ...]
    links: tuple[StrategyLink, ...]
    sections: tuple[KpiSection, ...]


def kpi_definition(tokens: Sequence[Token], log: DiagnosticLog) -> KpiDefinition:
    """Read a KPI definition page."""
    head: Token | None = None
    measures: list[Token] = []
    data_kind: str | None = None
    strategy: list[Token] = []
    sections: list[tuple[Token, int, str, list[Token]]] = []  # head, number, title, body
    for tok in tokens:
        kind = tok.kind
        opened = _section(tok, sections[-1][1] if sections else 0)
        if opened is not None:
            sections.append((tok, opened[0], opened[1], []))
        elif sections:
            sections[-1][3].append(tok)
        elif kind is Kind.KPIDEF_ID and head is None:
            head = tok
        elif kind is Kind.KPI_TARGET and not measures:
            measures.append(tok)
        elif kind is Kind.DATA_KIND and data_kind is None:
            data_kind = (tok.group("data_kind") or "").strip() or None
        elif kind in _STRATEGY or (strategy and kind is Kind.TEXT):
            strategy.append(tok)
        elif kind not in _STRUCTURE:
            log.unrecognized(tok, "KPI definition page")
    links, _ = _rules.strategy(strategy, log) if strategy else ((), False)
    made = [KpiSection(1, number, title, _text(body), tok.line) for tok, number, title, body in sections]
    kpis: tuple[Kpi, ...] = ()
    if head is not None or measures:
        kpis = (_indicator(head, measures, data_kind, made, log),)
    elif data_kind is not None:
        first = next(t for t in tokens if t.kind is Kind.DATA_KIND)
        log.unrecognized(first, "KPI definition page without its indicator line")
    return KpiDefinition(kpis, links, tuple(made))


def _section(tok: Token, last: int) -> tuple[int, str] | None:
    """(number, title) when ``tok`` opens the next section."""
    if tok.kind is Kind.KPIDEF_SECTION:
        return int(to_ascii_digits(tok.group("number") or "0")), (tok.group("title") or "").strip()
    if last and tok.kind is Kind.TEXT:
        m = _NEXT_SECTION.fullmatch(to_ascii_digits(tok.text))
        if m is not None and int(m[1]) == last + 1:
            return last + 1, tok.text[m.start(2) :].strip()
    return None


def _text(body: list[Token]) -> str | None:
    return "\n".join(t.text for t in body if t.kind is not Kind.BLANK) or None


def _indicator(head: Token | None, measures: list[Token], data_kind: str | None,
               sections: list[KpiSection], log: DiagnosticLog) -> Kpi:
    name = (head.group("name") or "").strip() if head is not None else ""
    if head is None:
        log.add(measures[0], "warning", "missing-value", "KPI definition page has no name : id line")
    target = _rules.NO_MEASURE
    for tok in measures:
        target = _rules.measure(tok, log, "target")
    texts: dict[str, str | None] = {}
    for section in sections:
        for words, name_of in _SECTION_FIELDS:
            if section.title.startswith(words) and name_of not in texts:
                texts[name_of] = section.text
    return Kpi(
        ordinal=1,
        kpi_id=None,
        name=name,
        fiscal_year_be=None,
        target_value=target.value,
        target_unit=target.unit,
        achieved_value=None,
        achieved_unit=None,
        kind=None,
        level=None,
        kinds_raw=None,
        source_line=(head or measures[0]).line,
        target_qualifier=target.qualifier,
        definition_id=int(to_ascii_digits(head.group("definition_id") or "0")) if head is not None else None,
        data_kind=data_kind,
        definition=texts.get("definition"),
        calculation_method=texts.get("calculation_method"),
    )
