"""The KPI detail page (รายละเอียดตัวชี้วัด) and the quarterly table.

Strategy: the page is read top to bottom in four parts, each ended by the
token kind that starts the next: the indicator (name : id, target, achieved,
kinds), the page's chart value, links and evaluation line, the quarterly table
(a header of one cell per line, then four lines per quarter: quarter, result,
score, ``a / b``), and per-quarter narratives (รายงานผลฯ ไตรมาสที่ N). The
table is read cell by cell with the expected next cell in mind, so an empty
score line, or a missing one, shifts nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import _rules
from ._diagnostics import DiagnosticLog
from ._lexer import Kind, Token
from ._values import parse_entry_date, to_ascii_digits
from .model import Kpi, KpiEntry, QuarterlyResult

# Cells are normalised lines: `` ?`` where a space may be, never ``\s*`` (see _lexer).
_HEADER_CELL = re.compile(r"ไตรมาสที่|\( ?1 ?- ?4 ?\)|\* ?ผลงาน ?\*|\* ?ผลประเมินตัวชี้วัด ?\*|\( ?\*.*\* ?\)")
_UNIT_CELL = re.compile(r"\( ?([^()*]*?) ?\)")
_KPI_HEAD = frozenset({Kind.KPI_ID, Kind.KPI_NAME, Kind.TEXT})  # name : id, or a name alone
_MEASURES = frozenset({Kind.KPI_TARGET, Kind.KPI_ACHIEVED, Kind.KPI_KINDS})  # a cut page starts here
# A date and its colon, anywhere in a narrative line (Thai digits mapped first).
_DATED = re.compile(r"(?<![0-9/])([0-9]{1,2}/[0-9]{1,2}/(?:[0-9]{4}|[0-9]{2}))[ \t]*:[ \t]*")
_NARRATIVE_END = frozenset({Kind.NARRATIVE_HEAD, Kind.QTABLE_TITLE, Kind.KPI_EVAL, Kind.EVAL})
_KPI_END = frozenset({Kind.NUMBER, Kind.CHROME, Kind.EVAL, Kind.KPI_EVAL, Kind.QTABLE_TITLE,
                      Kind.NARRATIVE_HEAD})


@dataclass(frozen=True, slots=True)
class KpiPage:
    """What a KPI detail page holds. ``kpi_id`` and ``evaluation`` fill the Report fields
    of their names (the agency code and fiscal year are derived from them, in ``_parser``)."""

    kpi_id: str | None
    evaluation: _rules.Evaluation
    kpis: tuple[Kpi, ...]
    quarterly: tuple[QuarterlyResult, ...]
    entries: tuple[KpiEntry, ...]


def kpi_page(tokens: Sequence[Token], log: DiagnosticLog, cut: bool = False) -> KpiPage:
    """Read a KPI detail page; ``cut``: a copy that starts mid-page, at the target line
    (no name, no id: the indicator has an empty name, its id may be in the file name)."""
    toks = list(tokens)
    i = _skip(toks, 0, frozenset({Kind.KPI_TITLE, Kind.CHROME, Kind.BLANK}))
    kpi_id: str | None = None
    evaluation = _rules.Evaluation()
    kpis: tuple[Kpi, ...] = ()
    entries: list[KpiEntry] = []
    heads = _KPI_HEAD | _MEASURES if cut else _KPI_HEAD
    if i < len(toks) and toks[i].kind in heads:
        end = next((j for j in range(i + 1, len(toks)) if toks[j].kind in _KPI_END), len(toks))
        head = toks[i]
        kpi_id = to_ascii_digits(head.group("kpi_id") or "") if head.kind is Kind.KPI_ID else None
        kpis = (_rules.kpi(toks[i:end], log, 1, kpi_id),)
        i = end
    rows: list[QuarterlyResult] = []
    narratives: dict[int, tuple[Token, list[str]]] = {}  # quarter -> its first head, texts
    chart_value_seen = False
    while i < len(toks):
        tok = toks[i]
        if tok.kind is Kind.NUMBER and not chart_value_seen:
            chart_value_seen = True  # the page's chart repeats the result: nothing to keep
        elif tok.kind is Kind.KPI_EVAL or tok.kind is Kind.EVAL:
            evaluation = _rules.evaluation(tok, log)  # a later line is the one kept
        elif tok.kind is Kind.QTABLE_TITLE:
            end = _next_kind(toks, i + 1, Kind.NARRATIVE_HEAD)
            rows = quarter_rows(toks[i + 1 : end], log, 1)
            i = end
            continue
        elif tok.kind is Kind.NARRATIVE_HEAD:
            end = _next_kind(toks, i + 1, Kind.NARRATIVE_HEAD)
            text = "\n".join(t.text for t in toks[i + 1 : end] if t.kind is not Kind.BLANK)
            quarter = int(to_ascii_digits(tok.group("quarter") or "0"))
            narratives.setdefault(quarter, (tok, []))[1].append(text)
            entries += dated_entries(toks[i + 1 : end], quarter if 1 <= quarter <= 4 else None,
                                     len(entries), log)
            i = end
            continue
        elif tok.kind is Kind.ENTRY:  # a narrative without its heading (a page cut short)
            end = next((j for j in range(i + 1, len(toks)) if toks[j].kind in _NARRATIVE_END),
                       len(toks))
            entries += dated_entries(toks[i:end], None, len(entries), log)
            i = end
            continue
        elif tok.kind not in (Kind.CHROME, Kind.BLANK):
            log.unrecognized(tok, "KPI page")
        i += 1
    return KpiPage(kpi_id, evaluation, kpis, tuple(_with_narratives(rows, narratives, log)),
                   tuple(entries))


def _skip(toks: Sequence[Token], i: int, kinds: frozenset[str]) -> int:
    while i < len(toks) and toks[i].kind in kinds:
        i += 1
    return i


def _next_kind(toks: Sequence[Token], i: int, kind: str) -> int:
    return next((j for j in range(i, len(toks)) if toks[j].kind is kind), len(toks))


def quarter_rows(tokens: Sequence[Token], log: DiagnosticLog, kpi_ordinal: int) -> list[QuarterlyResult]:
    """The quarterly table: header cells, then quarter, result, score, ``a / b`` per quarter."""
    unit: str | None = None
    unit_cell: Token | None = None  # the header's "(ร้อยละ)"; it lives on in the rows
    rows: list[QuarterlyResult] = []
    cells: list[Token] = []  # the current quarter's cells after its number
    quarter: Token | None = None
    for tok in tokens:
        if quarter is None and tok.kind is Kind.TEXT and _HEADER_CELL.fullmatch(tok.text):
            continue
        if quarter is None and not rows and tok.kind is Kind.TEXT and (m := _UNIT_CELL.fullmatch(tok.text)):
            if unit_cell is not None:  # one unit per table: a second is not silently taken
                log.unrecognized(tok, "quarterly evaluation table")
                continue
            unit, unit_cell = m.group(1) or None, tok
            continue
        if tok.kind is Kind.NUMBER and _is_quarter(tok, quarter, cells, rows):
            if quarter is not None:
                rows.append(_row(quarter, cells, unit, kpi_ordinal, log))
            quarter, cells = tok, []
        elif quarter is not None and tok.kind in (Kind.NUMBER, Kind.SCORE_PAIR, Kind.BLANK):
            if tok.kind is Kind.BLANK and len(cells) != 1:
                continue  # only a blank line right after the result is an empty score
            cells.append(tok)
            if tok.kind is Kind.SCORE_PAIR:
                rows.append(_row(quarter, cells, unit, kpi_ordinal, log))
                quarter, cells = None, []
        elif tok.kind is not Kind.BLANK:
            log.unrecognized(tok, "quarterly evaluation table")
    if quarter is not None:
        rows.append(_row(quarter, cells, unit, kpi_ordinal, log))
    if unit_cell is not None and not rows:  # no row to carry the unit
        log.unrecognized(unit_cell, "quarterly evaluation table")
    return rows


def _is_quarter(tok: Token, quarter: Token | None, cells: list[Token], rows: list[QuarterlyResult]) -> bool:
    """A number starts a quarter when no quarter is open, or the open one has all its cells."""
    value = to_ascii_digits(tok.group("number") or "")
    if value not in ("1", "2", "3", "4"):
        return False
    if quarter is None:
        return True
    return len(cells) >= 3


def _row(quarter: Token, cells: list[Token], unit: str | None, ordinal: int, log: DiagnosticLog) -> QuarterlyResult:
    numbers = [c for c in cells if c.kind is not Kind.SCORE_PAIR]
    pair = next((c for c in cells if c.kind is Kind.SCORE_PAIR), None)
    result = _cell(numbers, 0, log, "quarter result")
    score = _cell(numbers, 1, log, "quarter score")
    a = _rules.number(pair, pair.group("subscore_a"), log, "sub-score") if pair else None
    b = _rules.number(pair, pair.group("subscore_b"), log, "sub-score") if pair else None
    return QuarterlyResult(
        kpi_ordinal=ordinal,
        quarter=int(to_ascii_digits(quarter.group("number") or "0")),
        result_value=result,
        score=score,
        subscore_a=a,
        subscore_b=b,
        result_unit=unit,
        source_line=quarter.line,
    )


def _cell(cells: list[Token], i: int, log: DiagnosticLog, what: str) -> Decimal | None:
    if i >= len(cells) or cells[i].kind is Kind.BLANK:
        return None
    return _rules.number(cells[i], cells[i].group("number"), log, what)


def _with_narratives(
    rows: list[QuarterlyResult], narratives: dict[int, tuple[Token, list[str]]], log: DiagnosticLog
) -> list[QuarterlyResult]:
    """Each quarter's narratives (several are joined) on the table's first row of that
    quarter, or on a row of their own. Joined once: adding to a row per narrative
    was quadratic in the narratives of a page."""
    rows = list(rows)
    first: dict[int, int] = {}
    for j, row in enumerate(rows):
        first.setdefault(row.quarter, j)
    for quarter, (head, texts) in narratives.items():
        text = "\n".join(t for t in texts if t) or None
        at = first.get(quarter)
        if at is not None:
            row = rows[at]
            joined = "\n".join(t for t in (row.narrative, text) if t) or None
            rows[at] = QuarterlyResult(
                row.kpi_ordinal, row.quarter, row.result_value, row.score, row.subscore_a,
                row.subscore_b, row.result_unit, joined, row.source_line,
            )
            continue
        if not 1 <= quarter <= 4:
            log.add(head, "error", "bad-quarter", f"narrative for quarter {quarter}, not 1-4")
        rows.append(QuarterlyResult(1, quarter, None, None, None, None, None, text, head.line))
    return rows


def dated_entries(tokens: Sequence[Token], quarter: int | None, before: int,
                  log: DiagnosticLog) -> list[KpiEntry]:
    """The dated entries of a narrative: each ``D/M/Y :`` (anywhere in a line) starts one,
    which runs to the next; text before the first date is an entry without a date.
    ``before`` entries of the report precede these."""
    made: list[tuple[str | None, date | None, list[str], int]] = []  # date raw, date, text parts, line
    for tok in tokens:
        if tok.kind is Kind.BLANK:
            continue
        text = tok.text
        starts = list(_DATED.finditer(to_ascii_digits(text)))
        lead = text[: starts[0].start()] if starts else text
        if lead.strip():
            if made:
                made[-1][2].append(lead.strip())
            else:
                made.append((None, None, [lead.strip()], tok.line))
        for k, m in enumerate(starts):
            end = starts[k + 1].start() if k + 1 < len(starts) else len(text)
            raw = text[m.start(1) : m.end(1)]
            result = parse_entry_date(raw)
            if result.problem is not None:
                log.add(tok, result.severity, result.problem, result.message or result.problem, raw=raw,
                        col=m.start(1) + 1)
            made.append((raw, result.value, [text[m.end() : end].strip()], tok.line))
    return [KpiEntry(1, quarter, before + n, day, raw, "\n".join(p for p in parts if p), line)
            for n, (raw, day, parts, line) in enumerate(made, 1)]
