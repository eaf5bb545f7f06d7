"""The Report tree: frozen, slotted dataclasses whose attribute names are the
column names of the tables (docs/data-dictionary.md).

Strategy: records are plain values. They know nothing of Arrow, files or
parsing; ``tables.py`` flattens them and ``_parser.py`` builds them. Child
records live in tuples on the ``Report`` (frozen all the way down), and each
keeps the 1-based line of the input it came from.

A field that is a table column says what it holds once, in its metadata
(``_column``: the description, and the Thai label it is read from);
``tables.SCHEMAS`` (so the files written) and docs/data-dictionary.md take it
from there. Metadata lives on the class, so a record costs nothing more to
build, and it is readable at run time, which attribute docstrings are not (so
those are kept for the fields that are not columns). The description is text
of the data dictionary: Markdown, and ``null`` for None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from ._display import printable
from ._values import budget_kind

PARSER_VERSION = "0.1.0"
SCHEMA_VERSION = "3"

Severity = Literal["error", "warning", "info"]
"""How bad a diagnostic is: ``error`` (a value or section could not be read),
``warning`` (read, but suspicious or incomplete), ``info`` (a note)."""

STRICT_SEVERITIES: frozenset[Severity] = frozenset(("error", "warning"))
"""The severities strict mode raises as ``ParseError``."""


def _column(description: str, *, label_th: str | None = None) -> dict[str, str]:
    """The metadata of a field that is a table column: what it holds and, when the
    value is read after a Thai label, that label."""
    return {"doc": description} | ({} if label_th is None else {"label_th": label_th})


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem or note about one place in the input."""

    line: int | None = field(metadata=_column(
        "1-based line in the source file; null for the whole input."))
    col: int | None = field(metadata=_column(
        "1-based column in that line; null when not meaningful."))
    severity: Severity = field(metadata=_column("`error`, `warning` or `info`."))
    code: str = field(metadata=_column("Stable kebab-case code, e.g. `unrecognized-line`."))
    message: str = field(metadata=_column("Human-readable explanation (English)."))
    raw: str | None = field(default=None, metadata=_column(
        "The offending text as it stood in the input."))
    source_path: str | None = field(default=None, metadata=_column("The input file, when known."))

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

    ordinal: int = field(metadata=_column("1-based position in the objectives list."))
    label: str | None = field(metadata=_column(
        "The number as printed (`1`, `2.1`); null for an unnumbered sentence."))
    text: str = field(metadata=_column(
        "The objective, without its number.", label_th="วัตถุประสงค์ของโครงการ"))
    source_line: int | None = field(default=None, metadata=_column(
        "1-based line of the input it came from."))


@dataclass(frozen=True, slots=True)
class StrategyLink:
    """One level of the BMA strategy the project supports (สนับสนุนยุทธศาสตร์)."""

    ordinal: int = field(metadata=_column("1-based position in the strategy block."))
    level: str = field(metadata=_column(
        "`area`, `dimension`, `goal` or `objective`.",
        label_th="ด้านที่ / มิติที่ / เป้าหมายที่ / เป้าประสงค์ที่"))
    code: str = field(metadata=_column("Level code in ASCII digits, e.g. `7.2.1`."))
    text: str = field(metadata=_column(
        "The level's title, without its code.", label_th="สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ"))
    source_line: int | None = field(default=None, metadata=_column(
        "1-based line of the input it came from."))


@dataclass(frozen=True, slots=True)
class BudgetFigure:
    """An amount of money found in the text (บาท, ล้านบาท)."""

    seq: int | None = field(metadata=_column(
        "The progress block it came from (its printed seq); null elsewhere."))
    label: str | None = field(metadata=_column("The words before the amount, e.g. งบประมาณที่ใช้."))
    amount_thb: Decimal = field(metadata=_column(
        "The amount in baht, exact (`1.5 ล้านบาท` -> 1500000.00).", label_th="บาท / ล้านบาท"))
    raw: str = field(metadata=_column("The amount as written, unit included."))
    source_line: int | None = field(default=None, metadata=_column(
        "1-based line of the input it came from."))

    @property
    def kind(self) -> str:
        """What the amount is, read from ``label``: ``allocated`` (งบประมาณ, ได้รับ,
        จัดสรร), ``spent`` (ใช้, ใช้ไป), ``disbursed`` (เบิกจ่าย) or ``unknown``.
        Derived, so it always agrees with the label."""
        return budget_kind(self.label)


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """One progress block: ``(seq) ความคืบหน้าโครงการฯ ร้อยละ P (YYYY-MM-DD)``."""

    seq: int = field(metadata=_column("The number in brackets as printed; 1 is the newest."))
    chrono_index: int = field(metadata=_column(
        "1 is the oldest block; stable across snapshots of a project."))
    percent: Decimal | None = field(metadata=_column(
        "Progress percent reported in this block.", label_th="ความคืบหน้าโครงการฯ ร้อยละ"))
    reported_on: date | None = field(metadata=_column("The ISO date of the block header."))
    entry_date: date | None = field(metadata=_column(
        "The date of the entry line, as a date; null if absent."))
    entry_date_raw: str | None = field(metadata=_column(
        "The entry date as written (`27/04/2566`)."))
    text: str | None = field(metadata=_column("What was done; several lines joined with newlines."))
    problems: str | None = field(metadata=_column(
        "Problems; null when ไม่มี (none).", label_th="ปัญหาของโครงการ"))
    obstacles: str | None = field(metadata=_column(
        "Obstacles; null when ไม่มี (none).", label_th="อุปสรรคของโครงการ"))
    source_line: int | None = field(default=None, metadata=_column("Line of the block header."))


@dataclass(frozen=True, slots=True)
class QuarterlyResult:
    """One quarter of a KPI's evaluation table."""

    kpi_ordinal: int = field(metadata=_column("The KPI (kpis.ordinal) this row belongs to."))
    quarter: int = field(metadata=_column("Quarter, 1-4.", label_th="ไตรมาสที่"))
    result_value: Decimal | None = field(metadata=_column(
        "The result achieved in the quarter.", label_th="ผลงาน"))
    score: Decimal | None = field(metadata=_column(
        "The score; null when the cell is empty.", label_th="ผลประเมินตัวชี้วัด"))
    subscore_a: Decimal | None = field(metadata=_column("First of the two sub-scores `a / b`."))
    subscore_b: Decimal | None = field(metadata=_column("Second of the two sub-scores `a / b`."))
    result_unit: str | None = field(default=None, metadata=_column(
        "Unit of result_value from the table header; null for `()`."))
    narrative: str | None = field(default=None, metadata=_column(
        "The quarter's report text.", label_th="รายงานผลฯ ไตรมาสที่"))
    source_line: int | None = field(default=None, metadata=_column("Line of the quarter number."))


@dataclass(frozen=True, slots=True)
class KpiEntry:
    """One dated entry of a KPI page's narrative (``15/11/2565 : ประชุมชี้แจงแนวทาง``);
    a line may hold several."""

    kpi_ordinal: int = field(metadata=_column("The KPI (kpis.ordinal) this entry belongs to."))
    quarter: int | None = field(metadata=_column(
        "The narrative's quarter; null when the page does not say.", label_th="ไตรมาสที่"))
    ordinal: int = field(metadata=_column("1-based position among the report's entries."))
    entry_date: date | None = field(metadata=_column(
        "The entry's date; null for text before the first date."))
    entry_date_raw: str | None = field(metadata=_column(
        "The date as written (`15/11/2565`, `1/31/2023`)."))
    text: str = field(metadata=_column(
        "What was reported, up to the next date.", label_th="รายงานผลฯ"))
    source_line: int | None = field(default=None, metadata=_column("Line where the entry starts."))


@dataclass(frozen=True, slots=True)
class KpiSection:
    """One numbered section of a KPI definition page (``1.นิยาม ...``, ``2.วิธีการคำนวณ ...``)."""

    kpi_ordinal: int = field(metadata=_column("The KPI (kpis.ordinal) it describes."))
    number: int = field(metadata=_column("The section's number as printed."))
    title: str = field(metadata=_column("The section's title, without its number."))
    text: str | None = field(metadata=_column("The section's text; null when empty."))
    source_line: int | None = field(default=None, metadata=_column("Line of the section's title."))


@dataclass(frozen=True, slots=True)
class Kpi:
    """One indicator (ตัวชี้วัด)."""

    ordinal: int = field(metadata=_column("1-based position on the report."))
    kpi_id: str | None = field(metadata=_column(
        "KPI id (`0900-0991`) on KPI detail pages; null on project pages."))
    name: str = field(metadata=_column("The indicator's name.", label_th="ตัวชี้วัด"))
    fiscal_year_be: int | None = field(metadata=_column(
        "Fiscal year from the name, Buddhist Era.", label_th="ปีงบประมาณ พ.ศ."))
    target_value: Decimal | None = field(metadata=_column("Target value.", label_th="ค่าเป้าหมาย"))
    target_unit: str | None = field(metadata=_column(
        "Unit of the target as printed (ร้อยละ, คะแนน, แห่ง, เล่ม, ครั้ง ...); null when the line "
        "has none."))
    achieved_value: Decimal | None = field(metadata=_column(
        "Value achieved.", label_th="ผลงานที่ทำได้"))
    achieved_unit: str | None = field(metadata=_column("Unit of the achieved value."))
    kind: str | None = field(metadata=_column(
        "`routine` (งานประจำ) or `strategic` (เชิงยุทธศาสตร์).", label_th="ประเภทตัวชี้วัด"))
    level: str | None = field(metadata=_column(
        "`output` (ผลผลิต) or `outcome` (ผลลัพธ์).", label_th="ตัวชี้วัดระดับ"))
    kinds_raw: str | None = field(metadata=_column(
        "The kinds text as printed.", label_th="ประเภทตัวชี้วัด"))
    source_line: int | None = field(default=None, metadata=_column("Line of the KPI name."))
    target_qualifier: str | None = field(default=None, metadata=_column(
        "Words after the target value (ของการประมาณการ); null when none."))
    achieved_qualifier: str | None = field(default=None, metadata=_column(
        "Words after the achieved value; null when none."))
    definition_id: int | None = field(default=None, metadata=_column(
        "Integer id in the city-indicator database (KPI definition page)."))
    data_kind: str | None = field(default=None, metadata=_column(
        "Kind of indicator (KPI definition page).", label_th="ลักษณะข้อมูล"))
    definition: str | None = field(default=None, metadata=_column(
        "What the indicator means (KPI definition page).",
        label_th="นิยาม หรือความหมายของตัวชี้วัด"))
    calculation_method: str | None = field(default=None, metadata=_column(
        "How it is calculated or assessed (KPI definition page).",
        label_th="วิธีการคำนวณ หรือ เกณฑ์การประเมิน"))


@dataclass(frozen=True, slots=True)
class Report:
    """One parsed document: a snapshot of a project (or KPI) page."""

    report_key: str = field(metadata=_column("Stable hash of the normalised report text."))
    doc_kind: str = field(metadata=_column(
        "`project`, `kpi` (KPI detail page), `kpi-definition` (an indicator of the city-indicator "
        "database) or `unknown` (a text that holds no report)."))
    layout: str = field(metadata=_column(
        "`page` (whole page copied), `export` (plain text export, or a copy that starts "
        "mid-page), `view` (the newer front end's project page) or `unknown` (not a report)."))
    project_id: str | None = field(default=None, metadata=_column(
        "Project id such as `50240000-7108`; null if unknown."))
    project_id_source: str | None = field(default=None, metadata=_column(
        "Where the id came from: `text`, `filename` or null."))
    project_name: str | None = field(default=None, metadata=_column("The project's name."))
    agency_code: str | None = field(default=None, metadata=_column(
        "8-digit agency code, from the id or the unit code pair."))
    agency_name: str | None = field(default=None, metadata=_column("The agency, normalised."))
    agency_name_source: str | None = field(default=None, metadata=_column(
        "`text` (agency line) or `code` (lookup by agency_code)."))
    fiscal_year_be: int | None = field(default=None, metadata=_column(
        "Fiscal year, Buddhist Era.", label_th="ปีงบประมาณ พ.ศ."))
    fiscal_year: int | None = field(default=None, metadata=_column(
        "Gregorian year in which the fiscal year ends (BE - 543)."))
    fiscal_year_source: str | None = field(default=None, metadata=_column(
        "`agency-line`, `year-field` (view page), `kpi-name` or `dates`."))
    progress_percent: Decimal | None = field(default=None, metadata=_column(
        "Overall progress percent.", label_th="ความคืบหน้าโครงการ ร้อยละ"))
    contact_raw: str | None = field(default=None, metadata=_column("The whole contact line."))
    contact_title: str | None = field(default=None, metadata=_column(
        "Title of the first person (นาย, นาง, นางสาว, คุณ ...)."))
    contact_name: str | None = field(default=None, metadata=_column(
        "First and last name of the first person."))
    contact_unit: str | None = field(default=None, metadata=_column(
        "Unit or role on the contact line."))
    contact_phone: str | None = field(default=None, metadata=_column(
        "Phone digits, ranges and extensions as written.", label_th="โทร."))
    evaluation_quarter: int | None = field(default=None, metadata=_column(
        "Quarter of the strategy office's evaluation, 1-4.",
        label_th="สยป. ประเมินโครงการ : ไตรมาสที่"))
    evaluation_score: Decimal | None = field(default=None, metadata=_column(
        "Evaluation score; null when absent.", label_th="สยป. ประเมินโครงการ"))
    rationale: str | None = field(default=None, metadata=_column(
        "Rationale of the project.", label_th="หลักการและเหตุผล"))
    unit_code_1: str | None = field(default=None, metadata=_column(
        "First code of the `8digits/8digits` unit code pair."))
    unit_code_2: str | None = field(default=None, metadata=_column(
        "Second code of the unit code pair."))
    targets: str | None = field(default=None, metadata=_column(
        "Targets of the project.", label_th="เป้าหมายของโครงการ"))
    kpi_id: str | None = field(default=None, metadata=_column(
        "The KPI the document is about (`0900-0991`): a KPI page's own id, or the KPI a project "
        "serves (view page); joins with kpis.kpi_id.", label_th="Kpi ID"))
    kpi_id_source: str | None = field(default=None, metadata=_column(
        "Where kpi_id came from: `text`, `filename` or null."))
    policy_id: str | None = field(default=None, metadata=_column(
        "Policy number the project serves, as printed (view page).", label_th="Policy ID"))
    branch_id: str | None = field(default=None, metadata=_column(
        "Sub-unit id, as printed (view page).", label_th="Branch ID"))
    start_date: date | None = field(default=None, metadata=_column(
        "Planned start (view page).", label_th="Start Date"))
    finish_date: date | None = field(default=None, metadata=_column(
        "Planned finish (view page).", label_th="Finish Date"))
    routine_work: bool | None = field(default=None, metadata=_column(
        "True when the project is routine work of the agency.",
        label_th="ภารกิจงานประจำของหน่วยงาน"))
    source_path: str | None = field(default=None, metadata=_column(
        "The input file (`archive.zip!member` inside archives)."))
    source_sha256: str | None = field(default=None, metadata=_column(
        "sha256 of the input file's bytes."))
    source_line_start: int | None = field(default=None, metadata=_column(
        "First line of this report in the file (1-based)."))
    source_line_end: int | None = field(default=None, metadata=_column(
        "Last line of this report in the file (inclusive)."))
    parser_version: str = field(default=PARSER_VERSION, metadata=_column(
        "bmaparse version that parsed it."))
    schema_version: str = field(default=SCHEMA_VERSION, metadata=_column(
        "Version of the table schema."))
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

RECORD_CLASSES: tuple[type, ...] = (Report, *CHILD_TABLES.values(), Diagnostic)
"""Every record class of the Report tree."""

# Last: with the compiled extension selected, the records are built by its __init__
# (``_compiled`` says how); their generated one stays the reference.
from . import _compiled  # noqa: E402

COMPILED_RECORDS: tuple[type, ...] = _compiled.install_record_inits(RECORD_CLASSES)
"""The record classes whose ``__init__`` is the compiled one (none in pure Python)."""
