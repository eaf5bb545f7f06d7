"""Section rules: a section's tokens in, the fields and records it holds out.

Strategy: ``_parser`` cuts a report into sections; each rule here reads one
section and returns what it found as a typed value (``Header``, ``Body``,
``Evaluation``: each field named after the Report field it fills, so a column
leads to its rule) or as records. Token groups are read by name
(``tok.group("quarter")``; ``_lexer`` names them). Rules look at token kinds
first and at text only where the format leaves no other clue (the export
layout has no headings, so rationale, objectives and targets are told apart by
position and numbering). Every token
a rule does not use goes to ``DiagnosticLog.unrecognized``; every value that
does not read goes to ``DiagnosticLog.add`` with its line and column. Rules
never raise.

The rules written here are the references (``pure_header``, ``pure_progress``,
...); the module's last lines bind the names the parser calls (``header``,
``progress``, ...) to them, or to the compiled ones of ``_crules`` when
``_compiled`` selected the extensions (``tests/test_compiled_rules.py`` proves
them equal).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from ._diagnostics import DiagnosticLog
from ._lexer import Kind, Token
from ._values import (
    MAX_WHOLE_DIGITS,
    Contact,
    find_money,
    fiscal_year_in_text,
    parse_contact,
    parse_entry_date,
    parse_iso_date,
    parse_number,
    parse_whole,
    shown,
    to_ascii_digits,
)
from .model import BudgetFigure, Kpi, Objective, ProgressUpdate, StrategyLink

_CHROME = frozenset({Kind.PAGE_TITLE, Kind.CHROME, Kind.BLANK})
_EVALS = frozenset({Kind.EVAL, Kind.KPI_EVAL})
_TEXTLIKE = frozenset({Kind.TEXT, Kind.VIEW_TEXT})
"""Plain text, and text that starts like a label of the view page (หน่วยงาน...)."""
_NIL = frozenset({"", "-", "ไม่มี", "ไม่มี.", "ไม่มี -", "ไม่มีปัญหา", "ไม่มีอุปสรรค"})
_MAX_CONTACT = 200


def pure_number(token: Token, raw: str | None, log: DiagnosticLog, what: str) -> Decimal | None:
    """A number from a token's group, or None with a ``bad-number`` diagnostic."""
    if raw is None or not raw.strip():
        return None
    value = parse_number(raw)
    if value is None:
        col = token.text.find(raw) + 1 or None
        log.add(token, "error", "bad-number", f"{what} is not a number: {shown(raw)}", raw=raw, col=col)
    return value


def pure_percent(token: Token, raw: str | None, log: DiagnosticLog, what: str) -> Decimal | None:
    """A percent; values outside 0..100 are kept and flagged."""
    value = number(token, raw, log, what)
    if value is not None and not Decimal(0) <= value <= Decimal(100):
        log.add(token, "warning", "percent-out-of-range", f"{what} {shown(value)} is outside 0..100")
    return value


def _nil(text: str | None) -> str | None:
    """None for ไม่มี ("none") and empty text."""
    if text is None:
        return None
    stripped = text.strip()
    return None if stripped in _NIL else stripped


def _join(parts: list[str]) -> str | None:
    text = "\n".join(p for p in parts if p)
    return text or None


def pure_money(text: str, line: int, seq: int | None) -> list[BudgetFigure]:
    """Budget figures in one line of text."""
    return [
        BudgetFigure(seq=seq, label=m.label, amount_thb=m.amount, raw=m.raw, source_line=line)
        for m in find_money(text)
    ]


# --- header ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The strategy office's evaluation line (``*** สยป. ...``); the fields fill the
    Report fields of their names."""

    evaluation_quarter: int | None = None
    evaluation_score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Header:
    """What the header of a project report holds. Each field but ``end`` fills the
    Report field of its name (``model.Report`` says what each is)."""

    end: int
    """Index of the first token of the body."""
    project_name: str | None = None
    project_id: str | None = None
    agency_name: str | None = None
    fiscal_year_be: int | None = None
    fiscal_year_source: str | None = None
    """``agency-line`` when the agency line gives the year."""
    progress_percent: Decimal | None = None
    contact_raw: str | None = None
    contact_title: str | None = None
    contact_name: str | None = None
    contact_unit: str | None = None
    contact_phone: str | None = None
    evaluation: Evaluation = Evaluation()


_NO_CONTACT = Contact(None, None, None, None)


def pure_header(tokens: list[Token], log: DiagnosticLog) -> Header:
    """Page chrome, name : id, agency, chart value, percent, contact, evaluation."""
    name_id: Token | None = None
    agency: Token | None = None
    percent_line: Token | None = None
    progress_percent: Decimal | None = None
    contact: Token | None = None
    evaluated = Evaluation()
    i, n = 0, len(tokens)
    after_name = False
    while i < n:
        tok = tokens[i]
        kind = tok.kind
        if kind in _CHROME:
            i += 1
            continue  # chrome and blank lines change no state
        if kind is Kind.NAME_ID and name_id is None:
            name_id, after_name = tok, True
            i += 1
            continue
        elif kind is Kind.AGENCY_FY or (after_name and kind in _TEXTLIKE):
            if agency is not None or _stars_only(tok):
                log.unrecognized(tok, "page header")  # a second agency line, or stars alone
            else:
                agency = tok
        elif kind is Kind.NUMBER and percent_line is None:
            pass  # the chart's value; it repeats the percent line
        elif kind is Kind.PERCENT and percent_line is None:
            percent_line, written = tok, tok.group("percent")
            progress_percent = percent(tok, written, log, "progress percent")
            if written is None:
                log.add(tok, "warning", "missing-value", "progress percent line has no number")
            j = _next_non_blank(tokens, i + 1)
            if j < n and tokens[j].kind in _TEXTLIKE and _is_contact(tokens, j):
                contact = tokens[j]
                i = j
        elif kind in _EVALS:
            evaluated = evaluation(tok, log)
            i += 1
            break
        else:
            break
        after_name = False
        i += 1
    agency_name, fiscal_year_be = _agency(agency) if agency is not None else (None, None)
    person = parse_contact(contact.text) if contact is not None else _NO_CONTACT
    return Header(
        end=i,
        project_name=(name_id.group("project_name") or None) if name_id else None,
        project_id=to_ascii_digits(name_id.group("project_id") or "") if name_id else None,
        agency_name=agency_name,
        fiscal_year_be=fiscal_year_be,
        fiscal_year_source="agency-line" if fiscal_year_be is not None else None,
        progress_percent=progress_percent,
        contact_raw=contact.text if contact is not None else None,
        contact_title=person.title,
        contact_name=person.name,
        contact_unit=person.unit,
        contact_phone=person.phone,
        evaluation=evaluated,
    )


def _next_non_blank(tokens: list[Token], i: int) -> int:
    while i < len(tokens) and tokens[i].kind is Kind.BLANK:
        i += 1
    return i


def _stars_only(tok: Token) -> bool:
    return tok.kind is not Kind.AGENCY_FY and not tok.text.replace("*", "").strip()


def _agency(tok: Token) -> tuple[str | None, int | None]:
    """(agency name, fiscal year BE) of an agency line: ``<agency> : (2564)``, or a
    text line after the name : id line (no year)."""
    if tok.kind is not Kind.AGENCY_FY:
        return tok.text.lstrip("*").strip() or None, None
    # the AGENCY_FY pattern leaves a sub-unit's "** " in the name
    written = (tok.group("agency") or "").lstrip("*").lstrip()
    return written.lstrip("*").strip() or None, int(to_ascii_digits(tok.group("year") or "0"))


def _is_contact(tokens: list[Token], i: int) -> bool:
    """The text line after the percent is the contact when chrome or the
    evaluation follows it, or when it is short (the rationale is not)."""
    nxt = next((t.kind for t in tokens[i + 1 :] if t.kind is not Kind.BLANK), None)
    return nxt in (Kind.CHROME, Kind.EVAL, Kind.KPI_EVAL) or len(tokens[i].text) <= _MAX_CONTACT


def evaluation(tok: Token, log: DiagnosticLog) -> Evaluation:
    """Quarter and score of a ``*** สยป. ...`` evaluation line."""
    raw = tok.group("quarter") or "0"
    quarter = parse_whole(raw)
    if quarter is None or not 1 <= quarter <= 4:
        written = shown(raw) if quarter is None else quarter
        log.add(tok, "error", "bad-quarter", f"evaluation quarter {written} is not 1-4")
        quarter = 0
    score_raw = (tok.group("score") or "").lstrip(":").strip()
    return Evaluation(
        evaluation_quarter=quarter or None,
        evaluation_score=number(tok, score_raw or None, log, "evaluation score"),
    )


# --- body: rationale, unit codes, objectives, targets -------------------------

_HEADING_FIELD = {
    "หลักการและเหตุผล": "rationale",
    "วัตถุประสงค์ของโครงการ": "objectives",
    "วัตถุประสงค์": "objectives",
    "เป้าหมายของโครงการ": "targets",
}


_OUT_OF_PLACE = frozenset({Kind.PAGE_TITLE, Kind.KPI_TITLE, Kind.CHROME, Kind.PERCENT, *_EVALS})


@dataclass(frozen=True, slots=True)
class Body:
    """What the body section holds; the first four fill the Report fields of their names."""

    rationale: str | None
    unit_code_1: str | None
    unit_code_2: str | None
    targets: str | None
    objectives: tuple[Objective, ...]
    budget: tuple[BudgetFigure, ...]


def pure_body(tokens: list[Token], log: DiagnosticLog) -> Body:
    """Rationale, unit code pair, objectives and targets, with or without headings."""
    parts: dict[str, list[Token]] = {"rationale": [], "objectives": [], "targets": []}
    codes: Token | None = None  # the unit code pair
    headed = any(t.kind is Kind.HEADING for t in tokens)
    current = "rationale"
    after_codes: list[Token] = []
    for tok in tokens:
        if tok.kind is Kind.HEADING and tok.text in _HEADING_FIELD:
            current = _HEADING_FIELD[tok.text]
        elif tok.kind is Kind.UNIT_CODES and codes is None:
            codes = tok
            if not headed:
                current = "after-codes"
        elif tok.kind is Kind.BLANK:
            continue
        elif tok.kind in _OUT_OF_PLACE:
            log.unrecognized(tok, "project description")
        else:  # the lexer's guess does not matter here: it is description text
            (after_codes if current == "after-codes" else parts[current]).append(tok)
    labelled = [(t, _labels(t.text)) for t in parts["objectives"]]
    if after_codes:
        objectives, targets = _split_objectives_targets(after_codes)
        labelled += objectives
        parts["targets"] += targets
    budget = [
        fig
        for t in parts["rationale"] + parts["targets"]
        for fig in money(t.text, t.line, None)
    ]
    return Body(
        rationale=_join([t.text for t in parts["rationale"]]),
        unit_code_1=to_ascii_digits(codes.group("unit_code_1") or "") if codes else None,
        unit_code_2=to_ascii_digits(codes.group("unit_code_2") or "") if codes else None,
        targets=_join([t.text for t in parts["targets"]]),
        objectives=tuple(_objectives(labelled)),
        budget=tuple(budget),
    )


Labels = list[tuple[str, int, int]]


def _split_objectives_targets(tokens: list[Token]) -> tuple[list[tuple[Token, Labels]], list[Token]]:
    """Export layout: the first line after the code pair is the objectives; later
    lines are objectives too while their numbering continues, then targets."""
    last = _labels(tokens[0].text)
    objectives = [(tokens[0], last)]
    for i, tok in enumerate(tokens[1:], 1):
        labels = _labels(tok.text)
        if not (last and labels and _is_next(last[-1][0], labels[0][0])):
            return objectives, tokens[i:]
        objectives.append((tok, labels))
        last = labels
    return objectives, []


_LABEL = re.compile(
    r"(?:(?<=\s)|^)(\d{1,2}(?:\.\d{1,2})?)(?:(\.)(?!\d)|(?=\s)|(?=[^\d\s.,/]))\s*"
)


def _labels(text: str) -> Labels:
    """Item labels (``1``, ``2.1``) that form a sequence from the start of the text:
    (label, start, end of label and its spaces)."""
    probe = to_ascii_digits(text)
    if _LABEL.match(probe) is None:  # a list starts at the start of the line
        return []
    found: Labels = []
    for m in _LABEL.finditer(probe):
        label = m.group(1)
        if not found:
            if m.start() != 0 or label.endswith(".0") or label == "0":
                return []
            found.append((label, m.start(), m.end()))
        elif _is_next(found[-1][0], label) and (m.group(2) or "." in label):
            # mid-line, only "2." or "2.1" is a label; "2 วัน" is a count
            found.append((label, m.start(), m.end()))
    return found


def _is_next(prev: str, label: str) -> bool:
    """``label`` may follow ``prev`` in a numbered list (1 -> 2, 2.1 -> 2.2, 2.3 -> 3, 2 -> 2.1)."""
    p = [int(x) for x in prev.split(".")]
    q = [int(x) for x in label.split(".")]
    if len(p) == len(q):
        return p[:-1] == q[:-1] and q[-1] == p[-1] + 1
    if len(q) == len(p) + 1:
        return q[:-1] == p and q[-1] == 1
    if len(q) == len(p) - 1:
        return q[-1] == p[-2] + 1 and q[:-1] == p[:-2]
    return False


def _objectives(labelled: list[tuple[Token, Labels]]) -> list[Objective]:
    items: list[tuple[str | None, list[str], int]] = []  # label, its lines' text, line
    for tok, labels in labelled:
        if not labels:
            if items and items[-1][0] is not None:  # a wrapped item (joined once, at the end:
                items[-1][1].append(tok.text)  # adding to a str per line was quadratic)
            else:
                items.append((None, [tok.text], tok.line))
            continue
        ends = [start for _, start, _ in labels[1:]] + [len(tok.text)]
        for (label, _, body_start), end in zip(labels, ends, strict=True):
            items.append((label, [tok.text[body_start:end].strip()], tok.line))
    return [Objective(i, label, "\n".join(texts), line) for i, (label, texts, line) in enumerate(items, 1)]


# --- strategy ------------------------------------------------------------------

_LEVELS = {
    "ด้านที่": "area",
    "มิติที่": "dimension",
    "เป้าหมายที่": "goal",
    "เป้าประสงค์ที่": "objective",
}
_TITLE_LEAD = "–-—: "
"""Stripped from the start of a strategy level's title."""
_TITLE_TAIL = "% "
"""Stripped from the end of each line of a title."""


def pure_strategy(tokens: list[Token], log: DiagnosticLog) -> tuple[tuple[StrategyLink, ...], bool]:
    """The four strategy levels, or the routine-work form. Returns (links, routine)."""
    levels: list[tuple[Token, list[str]]] = []  # a level's line, its title's parts
    routine = False
    for tok in tokens:
        if tok.kind is Kind.STRATEGY:
            levels.append((tok, [(tok.group("title") or "").lstrip(_TITLE_LEAD).rstrip(_TITLE_TAIL).strip()]))
        elif tok.kind is Kind.ROUTINE:
            routine = True
        elif tok.kind in _TEXTLIKE and levels:  # a wrapped title (joined once, at the end)
            levels[-1][1].append(tok.text.rstrip(_TITLE_TAIL).strip())
        elif not (tok.kind is Kind.HEADING or tok.kind is Kind.BLANK):
            log.unrecognized(tok, "strategy block")
    links = tuple(
        StrategyLink(i, _LEVELS[tok.group("level") or ""], to_ascii_digits(tok.group("code") or ""),
                     " ".join(parts), tok.line)
        for i, (tok, parts) in enumerate(levels, 1)
    )
    if routine and links:
        log.add(tokens[0], "warning", "mixed-strategy", "strategy block has both levels and routine-work lines")
    return links, routine


# --- progress blocks ------------------------------------------------------------


def pure_progress(
    tokens: list[Token], log: DiagnosticLog, chrono_index: int
) -> tuple[ProgressUpdate, tuple[BudgetFigure, ...]]:
    """One progress block: head, dated entry and text, problems, obstacles, separator.

    ``chrono_index`` is the block's place counted from the oldest (the caller
    knows how many blocks the report has; they are printed newest first).
    """
    head = tokens[0]
    seq = _block_number(head, log)
    written_on = head.group("date")
    reported_on = parse_iso_date(to_ascii_digits(written_on)) if written_on else None
    if written_on and reported_on is None:
        log.add(head, "error", "bad-date", f"reporting date {shown(written_on)} is not a date (YYYY-MM-DD)")
    elif written_on is None:
        log.add(head, "warning", "missing-value", "progress block has no reporting date")
    entry_raw: str | None = None
    entry_date: date | None = None
    parts: dict[str, list[str]] = {"text": [], "problems": [], "obstacles": []}
    current = "text"
    budget: list[BudgetFigure] = []
    closed = False
    for tok in tokens[1:]:
        kind = tok.kind
        if closed:
            log.unrecognized(tok, "space after a progress block")
            continue
        if kind is Kind.SEPARATOR:
            closed = True
        elif kind is Kind.PROBLEMS or kind is Kind.OBSTACLES:
            current = "problems" if kind is Kind.PROBLEMS else "obstacles"
            parts[current].append(tok.group("text") or "")
        elif kind is Kind.ENTRY and entry_raw is None and current == "text" and not parts["text"]:
            entry_raw, entry_text = tok.group("date"), tok.group("text") or ""
            entry_date = _entry_date(tok, entry_raw, reported_on, log)
            parts["text"].append(entry_text.strip())
            budget += money(entry_text, tok.line, seq)
        elif kind is not Kind.BLANK:
            parts[current].append(tok.text)
            if current == "text":
                budget += money(tok.text, tok.line, seq)
    update = ProgressUpdate(
        seq=seq,
        chrono_index=chrono_index,
        percent=percent(head, head.group("percent"), log, "block percent"),
        reported_on=reported_on,
        entry_date=entry_date,
        entry_date_raw=entry_raw,
        text=_join(parts["text"]),
        problems=_nil(_join(parts["problems"])),
        obstacles=_nil(_join(parts["obstacles"])),
        source_line=head.line,
    )
    return update, tuple(budget)


def _block_number(head: Token, log: DiagnosticLog) -> int:
    """The printed number of a progress block; 0 (and ``bad-number``) when it has too
    many digits to be one."""
    raw = head.group("seq") or "0"
    seq = parse_whole(raw)
    if seq is None:
        log.add(head, "error", "bad-number",
                  f"progress block number {shown(raw)} has more than {MAX_WHOLE_DIGITS} digits; read as 0",
                  raw=raw, col=2)
        return 0
    return seq


def _entry_date(tok: Token, written: str | None, near: date | None, log: DiagnosticLog) -> date | None:
    result = parse_entry_date(written or "", near)
    if result.problem is not None:
        log.add(tok, result.severity, result.problem, result.message or result.problem, raw=written)
    return result.value


# --- indicators ------------------------------------------------------------------


def pure_kpi(tokens: list[Token], log: DiagnosticLog, ordinal: int, kpi_id: str | None = None) -> Kpi:
    """One indicator: name (possibly wrapped), target, achieved, kinds."""
    head = tokens[0]
    named = head.kind is Kind.KPI_NAME or head.kind is Kind.KPI_ID
    headless = head.kind in _MEASURE_LINES  # a page cut before the name: no name to read
    name_parts = [] if headless else [(head.group("name") or "") if named else head.text]
    target = achieved = NO_MEASURE
    kinds_parts: list[str] = []
    current = "name"
    seen: set[str] = set()  # a second target (achieved) line is kept as a diagnostic
    for tok in tokens if headless else tokens[1:]:
        kind = tok.kind
        if (kind is Kind.KPI_TARGET or kind is Kind.KPI_ACHIEVED) and kind in seen:
            log.unrecognized(tok, "indicator block, a second "
                             + ("target" if kind is Kind.KPI_TARGET else "achieved") + " line")
        elif kind is Kind.KPI_TARGET:
            target, current = measure(tok, log, "target"), "target"
            seen.add(kind)
        elif kind is Kind.KPI_ACHIEVED:
            achieved, current = measure(tok, log, "achieved"), "achieved"
            seen.add(kind)
        elif kind is Kind.KPI_KINDS:
            kinds_parts.append(tok.group("kinds") or "")
            current = "kinds"
        elif kind in _TEXTLIKE and current in ("name", "kinds"):
            (name_parts if current == "name" else kinds_parts).append(tok.text)
        elif kind is not Kind.BLANK:
            log.unrecognized(tok, "indicator block")
    name = " ".join(p.strip() for p in name_parts if p.strip())
    if not name and not headless:
        log.add(head, "warning", "missing-value", "indicator line has no name")
    kinds_raw = " ".join(p.strip() for p in kinds_parts if p.strip()) or None
    return Kpi(
        ordinal=ordinal,
        kpi_id=kpi_id,
        name=name,
        fiscal_year_be=fiscal_year_in_text(name),
        target_value=target.value,
        target_unit=target.unit,
        achieved_value=achieved.value,
        achieved_unit=achieved.unit,
        kind=_kind(kinds_raw),
        level=_level(kinds_raw),
        kinds_raw=kinds_raw,
        source_line=head.line,
        target_qualifier=target.qualifier,
        achieved_qualifier=achieved.qualifier,
    )


_MEASURE_LINES = frozenset({Kind.KPI_TARGET, Kind.KPI_ACHIEVED, Kind.KPI_KINDS})


class Measure(NamedTuple):
    """A target or achieved line: the Kpi fields ``<which>_unit``, ``_value``, ``_qualifier``."""

    unit: str | None
    value: Decimal | None
    qualifier: str | None
    """The words after the number, kept apart."""


NO_MEASURE = Measure(None, None, None)


def pure_measure(tok: Token, log: DiagnosticLog, which: str) -> Measure:
    """``ค่าเป้าหมาย <unit> : <value> [qualifier]``; ``which`` names the value in diagnostics."""
    unit = (tok.group("unit") or "").strip() or None
    raw = (tok.group("value") or "").strip()
    value = parse_number(raw) if raw else None  # the common case: a number alone
    if value is not None or not raw:
        return Measure(unit, value, None)
    head, _, rest = raw.partition(" ")
    if rest and parse_number(head) is not None:
        return Measure(unit, parse_number(head), rest.strip())
    return Measure(unit, number(tok, raw, log, f"KPI {which} value"), None)


def _kind(kinds: str | None) -> str | None:
    if kinds is None:
        return None
    if "งานประจำ" in kinds:
        return "routine"
    return "strategic" if "ยุทธศาสตร์" in kinds else None


def _level(kinds: str | None) -> str | None:
    if kinds is None:
        return None
    if "ผลผลิต" in kinds or "output" in kinds.lower():
        return "output"
    return "outcome" if "ผลลัพธ์" in kinds or "outcome" in kinds.lower() else None


# Last: the compiled rules (``_crules``) when ``_compiled`` selected the extensions,
# given this module's tables first; else the ``pure_`` references above. Calls
# inside this module go through these names, so they reach the selected ones too.
from . import _compiled  # noqa: E402

number = pure_number
"""A number from a token's group, or None with a ``bad-number`` diagnostic."""
percent = pure_percent
"""A percent; values outside 0..100 are kept and flagged."""
money = pure_money
"""Budget figures in one line of text."""
progress = pure_progress
"""One progress block (``pure_progress`` says how)."""
header = pure_header
"""The page header (``pure_header`` says how)."""
body = pure_body
"""The body section (``pure_body`` says how)."""
strategy = pure_strategy
"""The strategy block (``pure_strategy`` says how)."""
kpi = pure_kpi
"""One indicator (``pure_kpi`` says how)."""
measure = pure_measure
"""A target or achieved line (``pure_measure`` says how)."""
if _compiled.rules is not None:
    _compiled.rules.bind_rules(sys.modules[__name__])
    number, percent, money = _compiled.rules.number, _compiled.rules.percent, _compiled.rules.money
    progress, kpi, measure = _compiled.rules.progress, _compiled.rules.kpi, _compiled.rules.measure
    header, body, strategy = _compiled.rules.header, _compiled.rules.body, _compiled.rules.strategy
_compiled.install_record_inits((Header, Body, Evaluation))  # as model's records: see _compiled
