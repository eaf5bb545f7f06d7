"""Layouts and kinds of document chosen on evidence (docs/format.md, "What a report
is: chosen on evidence", and the sections from "The project view page" on).

Every example is invented in the shape docs/format.md shows; none is a copy of a real page.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse import _evidence
from bmaparse._lexer import Kind, Token, tokenize
from helpers import DATA, SEED_TEXT
from helpers import problems as codes

# --- 6. no silent garbage -------------------------------------------------------------------

NEWS = """กทม. เร่งขุดลอกคลองรับฤดูฝน
วันที่ 12 พฤษภาคม 2567 ผู้ว่าราชการกรุงเทพมหานครลงพื้นที่ตรวจความพร้อม
โดยกล่าวว่า งานขุดลอกคลองจะแล้วเสร็จภายในเดือนมิถุนายน
ผู้สื่อข่าวรายงานว่า ปีนี้ใช้งบประมาณ 120 ล้านบาท
อ่านข่าวที่เกี่ยวข้อง : กทม. เตรียมรับมือน้ำท่วม"""

MENU = """หน้าหลัก
เกี่ยวกับเรา
ข่าวประชาสัมพันธ์
ติดต่อเรา
Back Home
เข้าสู่ระบบ | ลืมรหัสผ่าน"""

EMPTY_FORM = """แบบฟอร์มขอรับบริการ
ชื่อ-นามสกุล : ....................
เลขประจำตัวประชาชน : ..................
ที่อยู่ :
โทรศัพท์ :
ลงชื่อ ........................ ผู้ยื่นคำขอ
วันที่ ....../....../......"""

NOT_REPORTS = {"news": NEWS, "menu": MENU, "empty form": EMPTY_FORM,
               "hello": "hello world\nthis is not a report at all\n1234"}
FIELDS = ("project_id", "project_name", "agency_code", "agency_name", "fiscal_year_be",
          "progress_percent", "contact_raw", "evaluation_quarter", "rationale", "unit_code_1",
          "targets", "routine_work")


@pytest.mark.parametrize("name", sorted(NOT_REPORTS))
def test_a_text_that_is_no_report_takes_no_field(name: str) -> None:
    text = NOT_REPORTS[name]
    report = bmaparse.parse(text)
    assert (report.doc_kind, report.layout) == ("unknown", "unknown")
    assert [getattr(report, f) for f in FIELDS] == [None] * len(FIELDS)
    for child in ("objectives", "strategy_links", "progress_updates", "budget_figures", "kpis",
                  "quarterly_results"):
        assert getattr(report, child) == ()
    errors = [d for d in report.diagnostics if d.severity == "error"]
    assert [d.code for d in errors] == ["no-report-found"]
    lines = [n for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    assert [d.line for d in report.diagnostics if d.code == "unrecognized-line"] == lines


@pytest.mark.parametrize("name", sorted(NOT_REPORTS))
def test_a_text_that_is_no_report_raises_in_strict_mode(name: str) -> None:
    with pytest.raises(bmaparse.ParseError) as caught:
        bmaparse.parse(NOT_REPORTS[name], strict=True)
    assert "no-report-found" in {d.code for d in caught.value.diagnostics}


@pytest.mark.parametrize("name", sorted(NOT_REPORTS))
def test_load_says_the_same_as_parse(name: str) -> None:
    doc = bmaparse.load(NOT_REPORTS[name].encode("utf-8"), source_path="x.txt")
    assert doc.reports == ()
    assert [d.code for d in doc.diagnostics] == ["no-report-found"]


def test_one_marker_line_is_weak_evidence_named_in_a_warning() -> None:
    report = bmaparse.parse("ข้อความนำ\nความคืบหน้าโครงการ ร้อยละ 60\nข้อความอื่น")
    (weak,) = [d for d in report.diagnostics if d.code == "weak-evidence"]
    assert (weak.severity, weak.line) == ("warning", 2)
    assert "project report in layout export" in weak.message


def test_lines_of_another_kind_of_document_are_mixed_evidence() -> None:
    text = SEED_TEXT + "\nรายละเอียดตัวชี้วัด\nผลงานเทียบกับเป้าหมายรายไตรมาส"
    report = bmaparse.parse(text)
    assert report.doc_kind == "project"
    (mixed,) = [d for d in report.diagnostics if d.code == "mixed-evidence"]
    assert mixed.severity == "warning"
    assert "kpi document" in mixed.message and "project report in layout page" in mixed.message


def test_the_known_layouts_carry_no_evidence_warning() -> None:
    for text in (SEED_TEXT, (DATA / "page_full.txt").read_text(encoding="utf-8"),
                 (DATA / "kpi_page.txt").read_text(encoding="utf-8")):
        found = {d.code for d in bmaparse.parse(text).diagnostics}
        assert not found & {"weak-evidence", "mixed-evidence", "no-report-found"}


def test_kpi_lines_alone_make_a_kpi_document_not_a_rationale() -> None:
    report = bmaparse.parse("ค่าเป้าหมาย ร้อยละ : 95\nผลงานที่ทำได้ ร้อยละ : 97.5\nประเภทตัวชี้วัด : ตัวชี้วัดงานประจำ")
    assert (report.doc_kind, report.layout) == ("kpi", "export")
    assert report.rationale is None


def test_kpi_evaluation_line_is_its_own_kind() -> None:
    (project, kpi) = tokenize("*** สยป. ประเมินโครงการ : ไตรมาสที่ 2 100\n"
                              "*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 2:")
    assert (project.kind, kpi.kind) == ("eval", "kpi-eval")
    assert kpi.groups == ("2", "")


def test_lines_before_the_first_report_are_kept() -> None:
    text = "stray note\nความคืบหน้าโครงการ/กิจกรรม\nBack Home\nโครงการ ก : 50990000-4321\nความคืบหน้าโครงการ ร้อยละ 60\n"
    (report,) = bmaparse.load(text.encode()).reports
    (stray,) = [d for d in report.diagnostics if d.line == 1]
    assert (stray.code, stray.raw) == ("unrecognized-line", "stray note")


# --- 5. what an amount is ---------------------------------------------------------------------


@pytest.mark.parametrize(("label", "kind"), [
    ("งบประมาณ", "allocated"), ("งบประมาณที่ได้รับ", "allocated"), ("ได้รับจัดสรร", "allocated"),
    ("งบฯ ที่ได้รับ (บาท)", "allocated"), ("งบประมาณที่ใช้", "spent"), ("ใช้งบประมาณ", "spent"),
    ("งบฯ ที่ใช้ไป (บาท)", "spent"), ("เบิกจ่าย", "disbursed"), ("ดำเนินการเบิกจ่ายเงิน", "disbursed"),
    ("รวม", "unknown"), (None, "unknown"),
])
def test_budget_kind_is_read_from_the_label(label: str | None, kind: str) -> None:
    assert bmaparse.BudgetFigure(None, label, Decimal(1), "1 บาท").kind == kind


def test_budget_kind_through_parse_and_tables() -> None:
    line = "24/01/2566 : ได้รับจัดสรร 2,000 บาท ใช้งบประมาณ 1,500 บาท เบิกจ่าย 1,000 บาท ค่าอาหาร 50 บาท"
    text = SEED_TEXT.replace(SEED_TEXT.split("\n")[28], line)
    report = bmaparse.parse(text)
    block = [(b.label, b.kind, b.amount_thb) for b in report.budget_figures if b.seq == 4]
    assert block == [("ได้รับจัดสรร", "allocated", Decimal("2000.00")),
                     ("ใช้งบประมาณ", "spent", Decimal("1500.00")),
                     ("เบิกจ่าย", "disbursed", Decimal("1000.00")),
                     ("ค่าอาหาร", "unknown", Decimal("50.00"))]
    table = bmaparse.to_tables([report])["budget_figures"]
    assert table.column_names[:5] == ["report_key", "ordinal", "seq", "label", "kind"]
    assert table["kind"].to_pylist() == [b.kind for b in report.budget_figures]
    assert table["kind"].to_pylist()[0] == "spent"  # the seed's งบประมาณที่ใช้


# --- 4. KPI variants ----------------------------------------------------------------------------

KPI_PAGE = (DATA / "kpi_page.txt").read_text(encoding="utf-8")
NAME_LINE = "ร้อยละความสำเร็จของการจัดเก็บรายได้ (ปีงบประมาณ พ.ศ. 2566) : 0900-0991"


def kpi_page_with(**lines: str) -> bmaparse.Report:
    text = KPI_PAGE
    for old, new in (("name", NAME_LINE), ("target", "ค่าเป้าหมาย ร้อยละ : 40"),
                     ("achieved", "ผลงานที่ทำได้ ร้อยละ : 100"), ("q1", "45.00")):
        if old in lines:
            text = text.replace(new, lines[old], 1)
    return bmaparse.parse(text)


def test_thousands_separators_in_quarterly_values() -> None:
    report = kpi_page_with(q1="1,407.52")
    assert codes(report) == []
    assert report.quarterly_results[0].result_value == Decimal("1407.52")


@pytest.mark.parametrize(("line", "value", "qualifier"), [
    ("ค่าเป้าหมาย ร้อยละ : 100 ของการประมาณการ", Decimal("100"), "ของการประมาณการ"),
    ("ค่าเป้าหมาย ร้อยละ : 20 ของประชาชนที่ทำการสำรวจ", Decimal("20"), "ของประชาชนที่ทำการสำรวจ"),
    ("ค่าเป้าหมาย ร้อยละ : 80", Decimal("80"), None),
])
def test_target_followed_by_a_qualifier(line: str, value: Decimal, qualifier: str | None) -> None:
    report = kpi_page_with(target=line)
    assert codes(report) == []
    (kpi,) = report.kpis
    assert (kpi.target_value, kpi.target_unit, kpi.target_qualifier) == (value, "ร้อยละ", qualifier)
    table = bmaparse.to_tables([report])["kpis"]
    assert table["target_qualifier"].to_pylist() == [qualifier]


def test_a_target_that_is_no_number_is_still_an_error() -> None:
    report = kpi_page_with(target="ค่าเป้าหมาย ร้อยละ : มาก ของทั้งหมด")
    assert ("bad-number", 7) in codes(report)
    assert report.kpis[0].target_qualifier is None


@pytest.mark.parametrize(("target", "achieved", "units"), [
    ("ค่าเป้าหมาย คะแนน : 5", "ผลงานที่ทำได้ คะแนน : 4.5", ("คะแนน", "คะแนน")),
    ("ค่าเป้าหมาย แห่ง : 12", "ผลงานที่ทำได้ แห่ง : 13", ("แห่ง", "แห่ง")),
    ("ค่าเป้าหมาย เล่ม : 3", "ผลงานที่ทำได้ เล่ม : 3", ("เล่ม", "เล่ม")),
    ("ค่าเป้าหมาย ครั้ง : 36", "ผลงานที่ทำได้ ครั้ง : 40", ("ครั้ง", "ครั้ง")),
    ("ค่าเป้าหมาย : 0", "ผลงานที่ทำได้ : 0", (None, None)),
])
def test_units_other_than_percent(target: str, achieved: str, units: tuple[str | None, str | None]) -> None:
    report = kpi_page_with(target=target, achieved=achieved)
    assert codes(report) == []
    (kpi,) = report.kpis
    assert (kpi.target_unit, kpi.achieved_unit) == units
    assert kpi.target_value == Decimal(target.rsplit(" ", 1)[1])


@pytest.mark.parametrize("name", ["5.2 ร้อยละของผู้ใช้บริการที่พึงพอใจ", "ปี 2564 ๒. พื้นที่สีเขียวต่อประชากร"])
def test_kpi_names_that_start_with_a_number_or_a_year(name: str) -> None:
    report = kpi_page_with(name=f"{name} : 0900-0991")
    assert codes(report) == []
    assert (report.doc_kind, report.layout) == ("kpi", "page")
    assert [(k.kpi_id, k.name) for k in report.kpis] == [("0900-0991", name)]
    project = bmaparse.parse(SEED_TEXT.replace(SEED_TEXT.split("\n")[37], f"ตัวชี้วัด : {name}"))
    assert [k.name for k in project.kpis] == [name]


# --- 1. KPI pages cut mid-page ----------------------------------------------------------------

KPI_CHUNK = (DATA / "kpi_chunk.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["0999-1234.txt", "mykpi_0999-1234.txt", "mykpi.php?pid=0999-1234.txt",
                                  "archive.zip!kpi/mykpi_0999-1234.txt"])
def test_kpi_page_cut_mid_page_takes_its_id_from_the_file_name(name: str) -> None:
    doc = bmaparse.load(KPI_CHUNK.encode("utf-8"), source_path=name)
    (report,) = doc.reports
    assert codes(report) == []
    assert (report.doc_kind, report.layout) == ("kpi", "export")
    assert (report.kpi_id, report.kpi_id_source, report.agency_code) == ("0999-1234", "filename", "09990000")
    assert report.project_id is None and report.rationale is None
    (kpi,) = report.kpis
    assert (kpi.kpi_id, kpi.name) == ("0999-1234", "")
    assert (kpi.target_value, kpi.target_unit, kpi.achieved_value) == (Decimal("95"), "ร้อยละ", Decimal("97.5"))
    assert (kpi.kind, kpi.level) == ("routine", "outcome")
    assert (report.evaluation_quarter, report.evaluation_score) == (2, None)


def test_kpi_page_cut_mid_page_has_its_dated_narrative() -> None:
    report = bmaparse.parse(KPI_CHUNK, source="0999-1234.txt")
    assert [(e.ordinal, e.quarter, e.entry_date, e.entry_date_raw, e.text, e.source_line)
            for e in report.kpi_entries] == [
        (1, None, date(2022, 11, 15), "15/11/2565", "ประชุมชี้แจงแนวทางแก่ผู้เกี่ยวข้อง", 7),
        (2, None, date(2022, 12, 20), "20/12/2565", "จัดทำแผนปฏิบัติการ\nและส่งแผนให้ฝ่ายที่เกี่ยวข้อง", 7),
        (3, None, date(2023, 1, 31), "1/31/2023", "ติดตามผลการดำเนินงานรอบแรก", 9),
    ]
    table = bmaparse.to_tables([report])["kpi_entries"]
    assert table.num_rows == 3 and table["quarter"].null_count == 3


@pytest.mark.parametrize("name", ["50240000-7108.txt", "notes.txt", None])
def test_kpi_chunk_without_an_id_in_its_name_has_none(name: str | None) -> None:
    report = bmaparse.parse(KPI_CHUNK, source=name)
    assert (report.doc_kind, report.kpi_id, report.kpi_id_source) == ("kpi", None, None)
    assert report.project_id is None  # a project id in the name is no KPI's id


def test_kpi_page_with_its_id_keeps_the_text_id_and_gets_entries_per_quarter() -> None:
    report = bmaparse.parse((DATA / "kpi_page.txt").read_text(encoding="utf-8"), source="0999-1234.txt")
    assert (report.kpi_id, report.kpi_id_source) == ("0900-0991", "text")
    assert [(e.quarter, e.entry_date, e.text) for e in report.kpi_entries] == [
        (1, date(2023, 1, 15), "จัดเก็บภาษีตามแผน\nรายละเอียดเพิ่มเติม"),
        (2, date(2023, 4, 1), "ดำเนินการต่อเนื่อง"),
    ]


def test_kpi_chunk_with_a_bad_date_reports_it() -> None:
    report = bmaparse.parse(KPI_CHUNK.replace("1/31/2023", "32/13/2566"))
    assert ("bad-date", 9) in codes(report)
    assert report.kpi_entries[-1].entry_date is None


# --- 3. the project view page of the newer front end -----------------------------------------

VIEW = (DATA / "project_view.txt").read_text(encoding="utf-8")


def test_project_view_page_golden() -> None:
    report = bmaparse.parse(VIEW, source="tbl-project-main_view.txt")
    assert codes(report) == []
    assert (report.doc_kind, report.layout) == ("project", "view")
    assert (report.project_id, report.project_id_source) == ("50990000-6001", "text")
    assert report.project_name == "โครงการปรับปรุงสวนหย่อมตัวอย่าง"
    assert (report.fiscal_year_be, report.fiscal_year, report.fiscal_year_source) == (2567, 2024, "year-field")
    assert (report.policy_id, report.branch_id) == ("14", "0000000")
    assert (report.kpi_id, report.kpi_id_source) == ("5099-1023", "text")
    assert report.progress_percent == Decimal("35")
    assert (report.agency_code, report.agency_name, report.agency_name_source) == (
        "50990000", "สำนักงานเขตตัวอย่าง", "text")  # สํา normalised
    assert (report.start_date, report.finish_date) == (date(2023, 10, 1), date(2024, 9, 30))
    assert report.rationale == ("สวนหย่อมของชุมชนทรุดโทรม ต้องปรับปรุงให้ประชาชนใช้ประโยชน์ได้\n"
                                "ทั้งทางเดินและไฟส่องสว่าง")
    assert [(b.label, b.kind, b.amount_thb, b.raw, b.source_line) for b in report.budget_figures] == [
        ("งบฯ ที่ได้รับ (บาท)", "allocated", Decimal("2450000.00"), "2,450,000", 10),
        ("งบฯ ที่ใช้ไป (บาท)", "spent", Decimal("1120500.50"), "1,120,500.50", 11),
    ]
    assert (report.contact_raw, report.objectives, report.kpis) == (None, (), ())


def test_view_page_kpi_id_joins_the_kpi_page() -> None:
    view = bmaparse.parse(VIEW)
    kpi = bmaparse.parse(KPI_CHUNK, source="mykpi_5099-1023.txt")
    tables = bmaparse.to_tables([view, kpi])
    served = tables["reports"].filter(pc.equal(tables["reports"]["layout"], "view"))["kpi_id"]
    assert served.to_pylist() == tables["kpis"]["kpi_id"].to_pylist() == ["5099-1023"]


def test_a_heading_or_chrome_line_is_never_a_value() -> None:
    report = bmaparse.parse(VIEW)
    values = [report.project_name, report.agency_name, report.rationale, report.contact_raw]
    for line in ("รายละเอียดโครงการ/กิจกรรม", "ข้อมูลโครงการ/กิจกรรม", "คืบหน้าล่าสุด"):
        assert not any(v and line in v for v in values), line


def test_view_page_with_the_rationale_under_its_label_and_a_conflict() -> None:
    text = VIEW.replace("หลักการและเหตุผลสวนหย่อม", "หลักการและเหตุผล\nสวนหย่อม").replace(
        "คืบหน้าล่าสุด35", "คืบหน้าล่าสุด40")
    report = bmaparse.parse(text)
    assert report.rationale is not None and report.rationale.startswith("สวนหย่อมของชุมชน")
    assert report.progress_percent == Decimal("35")
    assert ("conflicting-value", 12) in codes(report)


def test_view_page_without_its_title_is_still_a_view_page() -> None:
    report = bmaparse.parse("\n".join(VIEW.split("\n")[3:]))
    assert (report.doc_kind, report.layout, report.project_id) == ("project", "view", "50990000-6001")
    assert codes(report) == []


def test_view_page_bad_values_are_reported() -> None:
    text = VIEW.replace("Start Date2023-10-01", "Start Date2023-13-01").replace(
        "(บาท)2,450,000", "(บาท)2,45,0000")
    report = bmaparse.parse(text)
    assert ("bad-date", 14) in codes(report) and ("bad-number", 10) in codes(report)
    assert report.start_date is None and len(report.budget_figures) == 1


def test_a_view_page_title_starts_a_new_report_in_a_file() -> None:
    doc = bmaparse.load(f"{SEED_TEXT}\n{VIEW}\n{SEED_TEXT}".encode())
    assert [(r.doc_kind, r.layout) for r in doc.reports] == [
        ("project", "export"), ("project", "view"), ("project", "export")]
    assert all(codes(r) == [] for r in doc.reports)


# --- 2. the KPI definition page -------------------------------------------------------------------

KPIDEF = (DATA / "kpi_definition.txt").read_text(encoding="utf-8")


def test_kpi_definition_page_golden() -> None:
    report = bmaparse.parse(KPIDEF)
    assert codes(report) == []
    assert (report.doc_kind, report.layout) == ("kpi-definition", "page")
    assert (report.project_id, report.rationale, report.kpi_id) == (None, None, None)
    (kpi,) = report.kpis
    assert (kpi.definition_id, kpi.name, kpi.kpi_id) == (205, "๔. ร้อยละของชุมชนที่มีแผนจัดการขยะ", None)
    assert (kpi.target_value, kpi.target_unit, kpi.target_qualifier) == (Decimal("12"), "แห่ง", "ของชุมชนในพื้นที่")
    assert (kpi.achieved_value, kpi.kind, kpi.level) == (None, None, None)
    assert kpi.data_kind == "ตัวชี้วัดเป้าประสงค์"
    assert kpi.definition == ("ชุมชนที่มีแผนจัดการขยะ หมายถึง ชุมชนที่จัดทำแผนและดำเนินการตามแผน\n"
                              "โดยมีคณะกรรมการรับผิดชอบ")
    assert kpi.calculation_method == "จำนวนชุมชนที่มีแผน หารด้วยจำนวนชุมชนทั้งหมด คูณ 100"
    assert [(s.level, s.code, s.text) for s in report.strategy_links] == [
        ("area", "2", "มหานครสีเขียว สะดวกสบาย"), ("dimension", "2.1", "สิ่งแวดล้อมดี"),
        ("goal", "2.1.3", "ชุมชนจัดการขยะได้เอง")]
    assert [(s.number, s.title, s.text, s.source_line) for s in report.kpi_sections] == [
        (1, "นิยาม หรือความหมายของตัวชี้วัด", kpi.definition, 10),
        (2, "วิธีการคำนวณ หรือ เกณฑ์การประเมิน", kpi.calculation_method, 13),
        (3, "แหล่งข้อมูล", "สำนักงานเขต", 15),
        (4, "ความถี่ในการจัดเก็บข้อมูล", "ปีละ 1 ครั้ง", 17)]
    tables = bmaparse.to_tables([report])
    assert tables["kpi_sections"].num_rows == 4
    assert tables["kpis"]["definition_id"].to_pylist() == [205]


def test_kpi_definition_variants() -> None:
    text = (KPIDEF.replace("๔. ร้อยละ", "ปี 2564 12. ร้อยละ").replace("ค่าเป้าหมาย แห่ง : 12 ของชุมชนในพื้นที่",
                                                                   "ค่าเป้าหมาย : 0")
            .replace(":ด้านที่", "ด้านที่") + "\n5.ผู้ให้ข้อมูล\nฝ่ายรักษาความสะอาด\n6. อบรม 2 วัน")
    report = bmaparse.parse(text)
    assert codes(report) == []
    (kpi,) = report.kpis
    assert (kpi.name, kpi.target_value, kpi.target_unit) == ("ปี 2564 12. ร้อยละของชุมชนที่มีแผนจัดการขยะ", 0, None)
    assert [s.code for s in report.strategy_links] == ["2", "2.1", "2.1.3"]
    assert [(s.number, s.title, s.text) for s in report.kpi_sections][4:] == [
        (5, "ผู้ให้ข้อมูล", "ฝ่ายรักษาความสะอาด"), (6, "อบรม 2 วัน", None)]


def test_kpi_definition_without_its_name_line_says_so() -> None:
    report = bmaparse.parse(KPIDEF.replace("๔. ร้อยละของชุมชนที่มีแผนจัดการขยะ : 205\n", ""))
    assert report.doc_kind == "kpi-definition"
    assert ("missing-value", 3) in codes(report)
    assert report.kpis[0].definition_id is None and report.kpis[0].name == ""


def test_view_label_without_its_value_is_reported() -> None:
    report = bmaparse.parse(VIEW.replace("Branch ID0000000", "Branch ID"))
    assert codes(report) == [("missing-value", 8)]
    assert report.branch_id is None


# --- the evidence table's shortcut agrees with counting ---------------------------------------

KINDS = sorted({v for k, v in vars(Kind).items() if k.isupper()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=30))
def test_deciding_from_the_set_of_kinds_agrees_with_counting_every_line(kinds: list[str]) -> None:
    tokens = [Token(kind, "x", n) for n, kind in enumerate(kinds, 1)]
    present = set(kinds)
    if not present & _evidence.MARKER_KINDS:
        assert _evidence.shape(tokens).doc_kind is None
    else:
        assert _evidence.shape(tokens) == _evidence._weighed(tokens, present)
