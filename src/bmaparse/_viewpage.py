"""The project view page of the newer web front end (layout ``view``).

Strategy: the page is a labelled list in which label and value are glued
together (``รหัสโครงการ50990000-6001``, ``Kpi ID5099-1023``). The lexer
recognises each label (``Kind.VIEW_FIELD`` for labels only this page has,
``Kind.VIEW_TEXT`` for labels ordinary text may start with) and splits off
its value; ``_LABELS`` here says, per label, which field the value fills and
how it is read. The rationale comes last, glued to its label or under it, and
runs to the end of the page. The title (``รายละเอียดโครงการ/กิจกรรม: <id>``)
and the chrome are structure, never values.

Rules kept: the first value of a field wins; a later, different one is a
``conflicting-value`` warning (the page shows the progress twice); every line
no label took is ``unrecognized-line``; nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import _rules
from ._diagnostics import DiagnosticLog
from ._lexer import Kind, Token
from ._values import parse_iso_date, to_ascii_digits
from .model import BudgetFigure

_Reader = Callable[[Token, str, DiagnosticLog], Any]
_CENT = Decimal("0.01")


def _text(tok: Token, raw: str, log: DiagnosticLog) -> Any:
    return raw.strip() or None


def _ascii(tok: Token, raw: str, log: DiagnosticLog) -> Any:
    return to_ascii_digits(raw.strip()) or None


def _year(tok: Token, raw: str, log: DiagnosticLog) -> Any:
    return int(to_ascii_digits(raw)) if raw.strip() else None


def _percent(tok: Token, raw: str, log: DiagnosticLog) -> Any:
    return _rules.percent(tok, raw, log, "latest progress")


def _date(tok: Token, raw: str, log: DiagnosticLog) -> Any:
    value = parse_iso_date(raw) if raw.strip() else None
    if raw.strip() and value is None:
        log.add(tok, "error", "bad-date", f"{raw!r} is not a date (YYYY-MM-DD)", raw=raw)
    return value


def _amount(tok: Token, raw: str, log: DiagnosticLog) -> Any:
    value = _rules.number(tok, raw, log, "budget amount")
    return None if value is None else value.quantize(_CENT, rounding=ROUND_HALF_UP)


_LABELS: dict[str, tuple[str, _Reader]] = {
    "รหัสโครงการ": ("project_id", _ascii),
    "ปี": ("fiscal_year_be", _year),
    "ชื่อโครงการ": ("project_name", _text),
    "PolicyID": ("policy_id", _ascii),
    "BranchID": ("branch_id", _ascii),
    "KpiID": ("kpi_id", _ascii),
    "KPIID": ("kpi_id", _ascii),
    "งบฯที่ได้รับ(บาท)": ("budget:allocated", _amount),
    "งบที่ได้รับ(บาท)": ("budget:allocated", _amount),
    "งบฯที่ใช้ไป(บาท)": ("budget:spent", _amount),
    "งบที่ใช้ไป(บาท)": ("budget:spent", _amount),
    "คืบหน้าล่าสุด": ("progress_percent", _percent),
    "หน่วยงาน": ("agency_name", _text),
    "StartDate": ("start_date", _date),
    "FinishDate": ("finish_date", _date),
    "หลักการและเหตุผล": ("rationale", _text),
}
"""Label (spaces removed) -> (field, reader). ``budget:...`` fields become budget figures
whose kind the label gives (``งบฯ ที่ได้รับ`` allocated, ``งบฯ ที่ใช้ไป`` spent)."""

_PROVENANCE = {"project_id": ("project_id_source", "text"),
               "agency_name": ("agency_name_source", "text"),
               "fiscal_year_be": ("fiscal_year_source", "year-field"),
               "kpi_id": ("kpi_id_source", "text")}
_STRUCTURE = frozenset({Kind.CHROME, Kind.BLANK})


@dataclass(frozen=True, slots=True)
class ViewPage:
    """What a project view page holds."""

    fields: dict[str, Any]
    budget: tuple[BudgetFigure, ...]


def view_page(tokens: Sequence[Token], log: DiagnosticLog) -> ViewPage:
    """Read a project view page."""
    fields: dict[str, Any] = {}
    budget: list[BudgetFigure] = []
    rationale: list[str] | None = None  # open once the rationale label is read
    title_id: str | None = None
    for tok in tokens:
        kind = tok.kind
        label = _label(tok)
        if label is not None and label[0] != "rationale":
            _close(fields, rationale)
            rationale = None
            _take(fields, budget, tok, label, log)
        elif label is not None or (kind is Kind.HEADING and tok.text == "หลักการและเหตุผล"):
            _close(fields, rationale)
            rationale = [tok.groups[1] or ""] if label is not None else []
        elif kind is Kind.VIEW_TITLE and title_id is None:
            title_id = to_ascii_digits(tok.groups[0] or "") or None
        elif rationale is not None and kind not in _STRUCTURE:
            rationale.append(tok.text)
        elif kind not in _STRUCTURE:
            log.unrecognized(tok, "project view page")
    _close(fields, rationale)
    if title_id is not None and fields.get("project_id") is None:
        fields["project_id"], fields["project_id_source"] = title_id, "text"
    elif title_id is not None and fields["project_id"] != title_id:
        first = next(t for t in tokens if t.kind is Kind.VIEW_TITLE)
        log.add(first, "warning", "conflicting-value",
                  f"the title names project {title_id}, the page {fields['project_id']}")
    return ViewPage(fields, tuple(budget))


def _label(tok: Token) -> tuple[str, _Reader] | None:
    if tok.kind is not Kind.VIEW_FIELD and tok.kind is not Kind.VIEW_TEXT:
        return None
    return _LABELS.get((tok.groups[0] or "").replace(" ", ""))


def _take(fields: dict[str, Any], budget: list[BudgetFigure], tok: Token,
          label: tuple[str, _Reader], log: DiagnosticLog) -> None:
    name, read = label
    raw = tok.groups[1] or ""
    if not raw.strip():
        log.add(tok, "warning", "missing-value", f"{(tok.groups[0] or '').strip()} has no value")
        return
    value = read(tok, raw, log)
    if name.startswith("budget:"):
        if value is not None:
            budget.append(BudgetFigure(None, (tok.groups[0] or "").strip(), value, raw.strip(), tok.line))
        return
    if name in fields and fields[name] is not None:
        if value is not None and value != fields[name]:
            log.add(tok, "warning", "conflicting-value",
                      f"{name} is {fields[name]} above, {value} here; the first is kept")
        return
    fields[name] = value
    if value is not None and name in _PROVENANCE:
        source, said = _PROVENANCE[name]
        fields[source] = said


def _close(fields: dict[str, Any], rationale: list[str] | None) -> None:
    """Store an open rationale (lines joined with newlines); none stays open."""
    if rationale is not None:
        text = "\n".join(p.strip() for p in rationale if p.strip()) or None
        if text is not None and fields.get("rationale") is None:
            fields["rationale"] = text
        elif text is not None:
            fields["rationale"] += "\n" + text
