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
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from . import _rules
from ._diagnostics import DiagnosticLog
from ._lexer import Kind, Token
from ._values import CENT, parse_iso_date, to_ascii_digits
from .model import BudgetFigure

_Value = str | int | Decimal | date
_Reader = Callable[[Token, str, DiagnosticLog], _Value | None]
_T = TypeVar("_T", str, int, Decimal, date)


def _text(tok: Token, raw: str, log: DiagnosticLog) -> str | None:
    return raw.strip() or None


def _ascii(tok: Token, raw: str, log: DiagnosticLog) -> str | None:
    return to_ascii_digits(raw.strip()) or None


def _year(tok: Token, raw: str, log: DiagnosticLog) -> int | None:
    return int(to_ascii_digits(raw)) if raw.strip() else None


def _percent(tok: Token, raw: str, log: DiagnosticLog) -> Decimal | None:
    return _rules.percent(tok, raw, log, "latest progress")


def _date(tok: Token, raw: str, log: DiagnosticLog) -> date | None:
    value = parse_iso_date(raw) if raw.strip() else None
    if raw.strip() and value is None:
        log.add(tok, "error", "bad-date", f"{raw!r} is not a date (YYYY-MM-DD)", raw=raw)
    return value


def _amount(tok: Token, raw: str, log: DiagnosticLog) -> Decimal | None:
    value = _rules.number(tok, raw, log, "budget amount")
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


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
"""Label (spaces removed) -> (ViewPage field, reader). ``budget:...`` fields become
budget figures whose kind the label gives (``งบฯ ที่ได้รับ`` allocated, ``งบฯ ที่ใช้ไป``
spent); the rationale is read as a block (``view_page``)."""

_STRUCTURE = frozenset({Kind.CHROME, Kind.BLANK})


@dataclass(frozen=True, slots=True)
class ViewPage:
    """What a project view page holds. Each field but ``budget`` fills the Report field
    of its name (``_LABELS`` says which label gives it)."""

    project_id: str | None
    project_name: str | None
    fiscal_year_be: int | None
    fiscal_year_source: str | None
    """``year-field`` when the page's ``ปี`` gives the year."""
    agency_name: str | None
    progress_percent: Decimal | None
    policy_id: str | None
    branch_id: str | None
    kpi_id: str | None
    start_date: date | None
    finish_date: date | None
    rationale: str | None
    budget: tuple[BudgetFigure, ...]


def view_page(tokens: Sequence[Token], log: DiagnosticLog) -> ViewPage:
    """Read a project view page."""
    found: dict[str, _Value | None] = {}  # ViewPage field -> its first value
    budget: list[BudgetFigure] = []
    rationale: list[str] = []  # the lines of every rationale block
    in_rationale = False  # open once the rationale label is read
    title_id: str | None = None
    for tok in tokens:
        kind = tok.kind
        label = _label(tok)
        if label is not None and label[0] != "rationale":
            in_rationale = False
            _take(found, budget, tok, label, log)
        elif label is not None or (kind is Kind.HEADING and tok.text == "หลักการและเหตุผล"):
            in_rationale = True
            if label is not None:
                rationale.append(tok.group("value") or "")
        elif kind is Kind.VIEW_TITLE and title_id is None:
            title_id = to_ascii_digits(tok.group("project_id") or "") or None
        elif in_rationale and kind not in _STRUCTURE:
            rationale.append(tok.text)
        elif kind not in _STRUCTURE:
            log.unrecognized(tok, "project view page")
    project_id = _get(found, "project_id", str)
    if title_id is not None and project_id is None:
        project_id = title_id
    elif title_id is not None and project_id != title_id:
        first = next(t for t in tokens if t.kind is Kind.VIEW_TITLE)
        log.add(first, "warning", "conflicting-value",
                f"the title names project {title_id}, the page {project_id}")
    fiscal_year_be = _get(found, "fiscal_year_be", int)
    return ViewPage(
        project_id=project_id,
        project_name=_get(found, "project_name", str),
        fiscal_year_be=fiscal_year_be,
        fiscal_year_source="year-field" if fiscal_year_be is not None else None,
        agency_name=_get(found, "agency_name", str),
        progress_percent=_get(found, "progress_percent", Decimal),
        policy_id=_get(found, "policy_id", str),
        branch_id=_get(found, "branch_id", str),
        kpi_id=_get(found, "kpi_id", str),
        start_date=_get(found, "start_date", date),
        finish_date=_get(found, "finish_date", date),
        rationale="\n".join(p.strip() for p in rationale if p.strip()) or None,
        budget=tuple(budget),
    )


def _get(found: dict[str, _Value | None], name: str, kind: type[_T]) -> _T | None:
    """The value of field ``name``, of the type its reader gives."""
    value = found.get(name)
    return value if isinstance(value, kind) else None


def _label(tok: Token) -> tuple[str, _Reader] | None:
    if tok.kind is not Kind.VIEW_FIELD and tok.kind is not Kind.VIEW_TEXT:
        return None
    return _LABELS.get((tok.group("label") or "").replace(" ", ""))


def _take(found: dict[str, _Value | None], budget: list[BudgetFigure], tok: Token,
          label: tuple[str, _Reader], log: DiagnosticLog) -> None:
    name, read = label
    raw = tok.group("value") or ""
    if not raw.strip():
        log.add(tok, "warning", "missing-value", f"{(tok.group('label') or '').strip()} has no value")
        return
    value = read(tok, raw, log)
    if name.startswith("budget:"):
        if isinstance(value, Decimal):
            label_text = (tok.group("label") or "").strip()
            budget.append(BudgetFigure(None, label_text, value, raw.strip(), tok.line))
        return
    if found.get(name) is not None:
        if value is not None and value != found[name]:
            log.add(tok, "warning", "conflicting-value",
                    f"{name} is {found[name]} above, {value} here; the first is kept")
        return
    found[name] = value
