"""The Report tree: frozen, slotted dataclasses whose attribute names are the
column names of the tables in CONTRACT.md.

Strategy: records are plain values. They know nothing of Arrow, files or
parsing; ``tables.py`` flattens them and ``_parser.py`` builds them. Child
records live in tuples on the ``Report`` (frozen all the way down), and each
keeps the 1-based line of the input it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, get_args

from ._display import printable
from ._values import budget_kind

PARSER_VERSION = "0.1.0"
SCHEMA_VERSION = "2"

Severity = Literal["error", "warning", "info"]
"""How bad a diagnostic is: ``error`` (a value or section could not be read),
``warning`` (read, but suspicious or incomplete), ``info`` (a note)."""

SEVERITIES: tuple[Severity, ...] = get_args(Severity)

STRICT_SEVERITIES: frozenset[Severity] = frozenset(("error", "warning"))
"""The severities strict mode raises as ``ParseError``."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem or note about one place in the input."""

    line: int | None
    """1-based line in the source file; None when the problem is the whole input."""
    col: int | None
    """1-based column in that line; None when not meaningful."""
    severity: Severity
    """``error`` (a value or section could not be read), ``warning`` (read, but
    suspicious or incomplete) or ``info`` (a note: encoding detected, value inferred)."""
    code: str
    """Stable kebab-case code, e.g. ``unrecognized-line``, ``bad-date``."""
    message: str
    """Human-readable explanation (English)."""
    raw: str | None = None
    """The offending text as it stood in the input."""
    source_path: str | None = None
    """The input file (or ``archive.zip!member``), when known."""

    def format(self, default_path: str = "<string>") -> str:
        """``PATH:LINE:COL: SEVERITY CODE message``, the form ``validate`` prints: one
        line whatever the name holds (control characters in the path and message
        are shown as escapes, ``\\n``, ``\\x1b``; the record keeps them)."""
        path = printable(self.source_path or default_path)
        return (f"{path}:{self.line or 0}:{self.col or 0}: {self.severity} {self.code}"
                f" {printable(self.message)}")


@dataclass(frozen=True, slots=True)
class Objective:
    """One numbered objective of the project (วัตถุประสงค์)."""

    ordinal: int
    """1-based position in the objectives list."""
    label: str | None
    """The number as printed (``1``, ``2.1``); None for an unnumbered sentence."""
    text: str
    """The objective, without its number."""
    source_line: int | None = None
    """Line it came from."""


@dataclass(frozen=True, slots=True)
class StrategyLink:
    """One level of the BMA strategy the project supports (สนับสนุนยุทธศาสตร์)."""

    ordinal: int
    """1-based position in the strategy block."""
    level: str
    """``area`` (ด้านที่), ``dimension`` (มิติที่), ``goal`` (เป้าหมายที่) or
    ``objective`` (เป้าประสงค์ที่)."""
    code: str
    """Level code in ASCII digits, e.g. ``7.2.1``."""
    text: str
    """The level's title as printed, without its code."""
    source_line: int | None = None
    """Line it came from."""


@dataclass(frozen=True, slots=True)
class BudgetFigure:
    """An amount of money found in the text (บาท, ล้านบาท)."""

    seq: int | None
    """The progress block it came from (its printed seq); None elsewhere."""
    label: str | None
    """The words before the amount, e.g. ``งบประมาณที่ใช้``."""
    amount_thb: Decimal
    """The amount in baht, exact (``1.5 ล้านบาท`` -> 1500000.00)."""
    raw: str
    """The amount as written, unit included."""
    source_line: int | None = None
    """Line it came from."""

    @property
    def kind(self) -> str:
        """What the amount is, read from ``label``: ``allocated`` (งบประมาณ, ได้รับ,
        จัดสรร), ``spent`` (ใช้, ใช้ไป), ``disbursed`` (เบิกจ่าย) or ``unknown``.
        Derived, so it always agrees with the label."""
        return budget_kind(self.label)


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """One progress block: ``(seq) ความคืบหน้าโครงการฯ ร้อยละ P (YYYY-MM-DD)``."""

    seq: int
    """The number in brackets as printed; 1 is the newest."""
    chrono_index: int
    """1 is the oldest block; stable across snapshots of a project."""
    percent: Decimal | None
    """Progress percent reported in this block."""
    reported_on: date | None
    """The ISO date of the block header."""
    entry_date: date | None
    """The date of the entry line (Buddhist-Era or M/D/Gregorian), as a date."""
    entry_date_raw: str | None
    """The entry date as written (``27/04/2566``)."""
    text: str | None
    """What was done; several lines joined with newlines."""
    problems: str | None
    """ปัญหาของโครงการ; None when ``ไม่มี`` (none)."""
    obstacles: str | None
    """อุปสรรคของโครงการ; None when ``ไม่มี`` (none)."""
    source_line: int | None = None
    """Line of the block header."""


@dataclass(frozen=True, slots=True)
class QuarterlyResult:
    """One quarter of a KPI's evaluation table."""

    kpi_ordinal: int
    """The KPI (``Kpi.ordinal``) this row belongs to."""
    quarter: int
    """1-4."""
    result_value: Decimal | None
    """ผลงาน: the result achieved in the quarter."""
    score: Decimal | None
    """ผลประเมินตัวชี้วัด: the score; None when the cell is empty."""
    subscore_a: Decimal | None
    """First of the two sub-scores ``a / b``."""
    subscore_b: Decimal | None
    """Second of the two sub-scores ``a / b``."""
    result_unit: str | None = None
    """Unit of ``result_value`` from the table header (``ร้อยละ``), None for ``()``."""
    narrative: str | None = None
    """The quarter's report text (รายงานผลฯ ไตรมาสที่ N), lines joined with newlines."""
    source_line: int | None = None
    """Line of the quarter number."""


@dataclass(frozen=True, slots=True)
class KpiEntry:
    """One dated entry of a KPI page's narrative (``15/11/2565 : ประชุมชี้แจงแนวทาง``);
    a line may hold several."""

    kpi_ordinal: int
    """The KPI (``Kpi.ordinal``) this entry belongs to."""
    quarter: int | None
    """The narrative's quarter (``รายงานผลฯ ไตรมาสที่ N``); None when the page does not say
    (a copy cut before the quarterly table)."""
    ordinal: int
    """1-based position among the report's entries."""
    entry_date: date | None
    """The entry's date (Buddhist-Era D/M or Gregorian M/D, as progress entries); None
    for text before the first date."""
    entry_date_raw: str | None
    """The date as written."""
    text: str
    """What was reported, up to the next date; lines joined with newlines."""
    source_line: int | None = None
    """Line where the entry starts."""


@dataclass(frozen=True, slots=True)
class KpiSection:
    """One numbered section of a KPI definition page (``1.นิยาม ...``, ``2.วิธีการคำนวณ ...``)."""

    kpi_ordinal: int
    """The KPI (``Kpi.ordinal``) it describes."""
    number: int
    """The section's number as printed (Thai digits read)."""
    title: str
    """The section's title, without its number."""
    text: str | None
    """The section's text, lines joined with newlines; None when empty."""
    source_line: int | None = None
    """Line of the section's title."""


@dataclass(frozen=True, slots=True)
class Kpi:
    """One indicator (ตัวชี้วัด)."""

    ordinal: int
    """1-based position on the report."""
    kpi_id: str | None
    """KPI id (``0900-0991``) on KPI detail pages; None on project pages."""
    name: str
    """The indicator's name."""
    fiscal_year_be: int | None
    """Fiscal year from ``(ปีงบประมาณ พ.ศ. 2566)`` in the name."""
    target_value: Decimal | None
    """ค่าเป้าหมาย."""
    target_unit: str | None
    """Unit of the target (``ร้อยละ``); None when the line has none."""
    achieved_value: Decimal | None
    """ผลงานที่ทำได้."""
    achieved_unit: str | None
    """Unit of the achieved value."""
    kind: str | None
    """``routine`` (งานประจำ) or ``strategic`` (เชิงยุทธศาสตร์)."""
    level: str | None
    """``output`` (ผลผลิต) or ``outcome`` (ผลลัพธ์)."""
    kinds_raw: str | None
    """The ประเภทตัวชี้วัด text as printed."""
    source_line: int | None = None
    """Line of the KPI name."""
    target_qualifier: str | None = None
    """Words after the target value (``ค่าเป้าหมาย ร้อยละ : 100 ของการประมาณการ`` ->
    ``ของการประมาณการ``): what the target is a share of; None when there are none."""
    achieved_qualifier: str | None = None
    """Words after the achieved value, as for ``target_qualifier``."""
    definition_id: int | None = None
    """The indicator's integer id in the city-indicator database (KPI definition page:
    ``๔. <name> : 205``); None elsewhere."""
    data_kind: str | None = None
    """ลักษณะข้อมูล: the kind of indicator (``ตัวชี้วัดเป้าประสงค์``), KPI definition page."""
    definition: str | None = None
    """Section ``1.นิยาม``: what the indicator means (KPI definition page)."""
    calculation_method: str | None = None
    """Section ``2.วิธีการคำนวณ``: how it is calculated or assessed (KPI definition page)."""


@dataclass(frozen=True, slots=True)
class Report:
    """One parsed document: a snapshot of a project (or KPI) page."""

    report_key: str
    """Stable hash of the normalised report text."""
    doc_kind: str
    """``project``, ``kpi`` (a KPI detail page), ``kpi-definition`` (an indicator of the
    city-indicator database) or ``unknown`` (a text that holds no report)."""
    layout: str
    """``page`` (whole page copied), ``export`` (plain text export, or a copy that starts
    mid-page), ``view`` (the newer front end's project page) or ``unknown`` (not a report)."""
    project_id: str | None = None
    """``50240000-7108``; None if unknown."""
    project_id_source: str | None = None
    """``text``, ``filename`` or None."""
    project_name: str | None = None
    """The project's name."""
    agency_code: str | None = None
    """8 digits, from the id or the unit code pair."""
    agency_name: str | None = None
    """The agency, normalised."""
    agency_name_source: str | None = None
    """``text`` (the agency line) or ``code`` (district table lookup by agency_code)."""
    fiscal_year_be: int | None = None
    """Fiscal year, Buddhist Era."""
    fiscal_year: int | None = None
    """Gregorian year in which the fiscal year ends (BE - 543)."""
    fiscal_year_source: str | None = None
    """``agency-line``, ``year-field`` (the view page's ``ปี``), ``kpi-name`` or ``dates``."""
    progress_percent: Decimal | None = None
    """Overall progress percent."""
    contact_raw: str | None = None
    """The whole contact line."""
    contact_title: str | None = None
    """นาย, นาง, นางสาว, คุณ ..."""
    contact_name: str | None = None
    """First and last name of the first person."""
    contact_unit: str | None = None
    """Unit or role on the contact line."""
    contact_phone: str | None = None
    """Phone digits, ranges and extensions as written, ASCII digits."""
    evaluation_quarter: int | None = None
    """Quarter of the strategy office's evaluation, 1-4."""
    evaluation_score: Decimal | None = None
    """Evaluation score; None when absent."""
    rationale: str | None = None
    """หลักการและเหตุผล."""
    unit_code_1: str | None = None
    """First code of the ``8digits/8digits`` pair."""
    unit_code_2: str | None = None
    """Second code of the pair."""
    targets: str | None = None
    """เป้าหมายของโครงการ."""
    kpi_id: str | None = None
    """The KPI the document is about (``0900-0991``): a KPI page's own id, or the KPI a
    project serves (view page, ``Kpi ID``). Joins with ``Kpi.kpi_id``."""
    kpi_id_source: str | None = None
    """``text``, ``filename`` (a KPI page cut before its id: ``mykpi_0999-1234.txt``) or None."""
    policy_id: str | None = None
    """Policy number the project serves (view page ``Policy ID``), as printed."""
    branch_id: str | None = None
    """Sub-unit id (view page ``Branch ID``), as printed (``0000000``)."""
    start_date: date | None = None
    """Planned start (view page ``Start Date``)."""
    finish_date: date | None = None
    """Planned finish (view page ``Finish Date``)."""
    routine_work: bool | None = None
    """True when the strategy block says ภารกิจงานประจำของหน่วยงาน."""
    source_path: str | None = None
    """The input file (``archive.zip!member`` inside archives)."""
    source_sha256: str | None = None
    """sha256 of the input file's bytes."""
    source_line_start: int | None = None
    """First line of this report in the file (1-based)."""
    source_line_end: int | None = None
    """Last line of this report in the file (inclusive)."""
    parser_version: str = PARSER_VERSION
    """bmaparse version that parsed it."""
    schema_version: str = SCHEMA_VERSION
    """Version of the table schema."""
    objectives: tuple[Objective, ...] = field(default=())
    """วัตถุประสงค์ของโครงการ, split into items."""
    strategy_links: tuple[StrategyLink, ...] = field(default=())
    """The strategy levels."""
    progress_updates: tuple[ProgressUpdate, ...] = field(default=())
    """Progress blocks in printed order (newest first)."""
    budget_figures: tuple[BudgetFigure, ...] = field(default=())
    """Amounts of money found in the text."""
    kpis: tuple[Kpi, ...] = field(default=())
    """Indicators."""
    quarterly_results: tuple[QuarterlyResult, ...] = field(default=())
    """Quarterly KPI evaluation rows."""
    kpi_entries: tuple[KpiEntry, ...] = field(default=())
    """Dated entries of KPI narratives."""
    kpi_sections: tuple[KpiSection, ...] = field(default=())
    """Numbered sections of a KPI definition page."""
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    """Problems found while reading and parsing this report."""


CHILD_TABLES = {
    "objectives": Objective,
    "strategy_links": StrategyLink,
    "progress_updates": ProgressUpdate,
    "budget_figures": BudgetFigure,
    "kpis": Kpi,
    "quarterly_results": QuarterlyResult,
    "kpi_entries": KpiEntry,
    "kpi_sections": KpiSection,
}
"""Child table name -> record type; the attribute of the same name on Report."""

DERIVED_COLUMNS = {"budget_figures": ("kind",)}
"""Child table name -> columns that are properties of its record, computed from its fields
(so they never disagree with them), written to the table like the fields."""
