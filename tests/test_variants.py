"""Every variant docs/format.md lists, parsed, with exact expected values.

Export-layout variants are made by changing one line of the real seed, so the
rest of the report stays real; page-layout ones use tests/data/page_full.txt,
written after docs/format.md's example.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import bmaparse
from bmaparse import BudgetFigure, Objective, StrategyLink
from helpers import DATA, SEED_LINES, problems


def seed_with(replacements: dict[int, str | None]) -> str:
    """The seed with 1-based lines replaced (None removes the line)."""
    lines = [
        replacements.get(n, line) for n, line in enumerate(SEED_LINES, 1)
    ]
    return "\n".join(line for line in lines if line is not None)


# --- page layout ------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> bmaparse.Report:
    return bmaparse.parse((DATA / "page_full.txt").read_text(encoding="utf-8"))


def test_page_header(page: bmaparse.Report) -> None:
    assert problems(page) == []
    assert page.layout == "page"
    assert page.project_name == "โครงการพัฒนาคลองตัวอย่าง ปี 2564"
    assert page.project_id == "50990000-4321"
    assert page.project_id_source == "text"
    assert page.agency_code == "50990000"
    assert page.agency_name == "สำนักงานเขตตัวอย่าง"
    assert page.agency_name_source == "text"
    assert page.fiscal_year_be == 2564
    assert page.fiscal_year == 2021
    assert page.fiscal_year_source == "agency-line"
    assert page.progress_percent == Decimal("60")
    assert (page.contact_title, page.contact_name, page.contact_phone) == ("นางสาว", "สมใจ ใจดี", "1234")
    assert (page.evaluation_quarter, page.evaluation_score) == (2, Decimal("100"))


def test_page_sections(page: bmaparse.Report) -> None:
    assert page.rationale == "เหตุผลของโครงการ ย่อหน้าแรก\nย่อหน้าที่สอง"
    assert (page.unit_code_1, page.unit_code_2) == ("50991000", "50991000")
    assert page.objectives == (
        Objective(1, "1", "เพื่อพัฒนาคลอง", 27),
        Objective(2, "2", "เพื่อปรับปรุงภูมิทัศน์", 27),
    )
    assert page.targets == "ขุดลอกคลอง จำนวน 36 ครั้ง/ปี"
    assert page.routine_work is False
    assert page.strategy_links == (
        StrategyLink(1, "area", "7", "การบริหารจัดการเมืองมหานคร : Management Strategy", 33),
        StrategyLink(2, "dimension", "7.2", "การบริหารจัดการ", 34),
        StrategyLink(3, "goal", "7.2.1", "เป้าหมายตัวอย่าง", 35),
        StrategyLink(4, "objective", "7.2.1.1", "เป้าประสงค์ตัวอย่าง", 36),
    )


def test_page_progress_and_money(page: bmaparse.Report) -> None:
    first, second = page.progress_updates
    assert (first.seq, first.chrono_index, first.percent) == (1, 2, Decimal("60.00"))
    assert first.reported_on == date(2021, 3, 31)
    assert first.entry_date == date(2021, 3, 31)
    assert first.problems == "ฝนตกหนัก"
    assert first.obstacles is None
    assert (second.seq, second.chrono_index, second.percent) == (2, 1, Decimal("22.5"))
    assert second.entry_date_raw == "1/31/2021"
    assert second.entry_date == date(2021, 1, 31)  # month/day/Gregorian
    assert page.budget_figures == (
        BudgetFigure(1, "งบประมาณ", Decimal("1500000.00"), "1.5 ล้านบาท", 39),
    )


def test_page_kpi(page: bmaparse.Report) -> None:
    (kpi,) = page.kpis
    assert kpi.fiscal_year_be == 2564
    assert (kpi.target_value, kpi.achieved_value) == (Decimal("80"), Decimal("60"))
    assert (kpi.kind, kpi.level) == ("strategic", "outcome")


# --- header variants -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "quarter", "score"),
    [
        ("*** สยป. ประเมินโครงการ : ไตรมาสที่ 1 100", 1, Decimal("100")),
        ("*** สยป. ประเมินโครงการ : ไตรมาสที่ 1 100.0000", 1, Decimal("100.0000")),
        ("*** สยป. ประเมินโครงการ : ไตรมาสที่ 4 : 0.0000", 4, Decimal("0.0000")),
        ("*** สยป. ประเมินโครงการ : ไตรมาสที่ 1 : 100.0000", 1, Decimal("100.0000")),
        ("*** สยป. ประเมินโครงการ : ไตรมาสที่ 3", 3, None),
    ],
)
def test_evaluation_line(line: str, quarter: int, score: Decimal | None) -> None:
    report = bmaparse.parse(seed_with({4: line}))
    assert (report.evaluation_quarter, report.evaluation_score) == (quarter, score)
    assert problems(report) == []


@pytest.mark.parametrize("raw", ["100", "95", "100.00", "52.50", "22.5"])
def test_progress_percent_forms(raw: str) -> None:
    report = bmaparse.parse(seed_with({1: f"ความคืบหน้าโครงการ ร้อยละ {raw}",
                                       13: f"(1) ความคืบหน้าโครงการฯ ร้อยละ {raw} (2023-04-27)"}))
    assert report.progress_percent == Decimal(raw)
    assert report.progress_updates[0].percent == Decimal(raw)
    assert problems(report) == []


def page_header(agency_line: str) -> str:
    return "\n".join([
        "ความคืบหน้าโครงการ/กิจกรรม", "", "Back Home", "",
        "1.6 โครงการ \"บ้านสวย\" (Best Service) WOW!!! ปี 2566 : 50240000-7108", "",
        agency_line, "", "100", "", *SEED_LINES,
    ])


@pytest.mark.parametrize(
    ("agency_line", "name", "year"),
    [
        ("สำนักงานเขตราษฎร์บูรณะ : (2566)", "สำนักงานเขตราษฎร์บูรณะ", 2566),
        ("สำนักงานเขตราษฎร์บูรณะ", "สำนักงานเขตราษฎร์บูรณะ", 2566),  # year from the KPI name
        ("** สำนักงานเลขานุการสำนักปลัดกรุงเทพมหานคร : (2565)", "สำนักงานเลขานุการสำนักปลัดกรุงเทพมหานคร", 2565),
        ("สํานักงานเขตราษฎร์บูรณะ : (2566)", "สำนักงานเขตราษฎร์บูรณะ", 2566),  # สํา spelled in two code points
    ],
)
def test_agency_line(agency_line: str, name: str, year: int) -> None:
    report = bmaparse.parse(page_header(agency_line))
    assert report.project_name == "1.6 โครงการ \"บ้านสวย\" (Best Service) WOW!!! ปี 2566"
    assert report.project_id == "50240000-7108"
    assert report.agency_name == name
    assert report.agency_name_source == "text"
    assert report.fiscal_year_be == year
    assert report.layout == "page"
    assert problems(report) == []


def test_a_second_agency_line_is_reported_not_overwriting_the_first() -> None:
    text = page_header("สำนักงานเขตราษฎร์บูรณะ").replace(
        "100\n", "สำนักงานเขตบางรัก : (2566)\n\n100\n", 1)
    report = bmaparse.parse(text)
    assert report.agency_name == "สำนักงานเขตราษฎร์บูรณะ"
    assert ("unrecognized-line", 9) in problems(report)


def test_fiscal_year_from_dates_when_nothing_else_says() -> None:
    report = bmaparse.parse(seed_with({38: "ตัวชี้วัด : ร้อยละของโครงการที่สำเร็จ"}))
    assert report.fiscal_year_be == 2566  # oldest report 2023-01-04 is in FY 2566
    assert report.fiscal_year_source == "dates"


@pytest.mark.parametrize(
    ("contact", "title", "name", "unit", "phone"),
    [
        ("นางสาวสมใจ ใจดี โทร. 5956", "นางสาว", "สมใจ ใจดี", None, "5956"),
        ("น.ส.สมใจ ใจดี (โทร. 6822-3 )", "นางสาว", "สมใจ ใจดี", None, "6822-3"),
        ("ฝ่ายเทศกิจ", None, None, "ฝ่ายเทศกิจ", None),
        ("นายสมชาย ใจดี 022257612 ต่อ 111", "นาย", "สมชาย ใจดี", None, "022257612 ต่อ 111"),
    ],
)
def test_contact_through_parse(contact: str, title: str | None, name: str | None,
                               unit: str | None, phone: str | None) -> None:
    report = bmaparse.parse(seed_with({2: contact}))
    assert report.contact_raw == contact
    assert (report.contact_title, report.contact_name, report.contact_unit, report.contact_phone) == (
        title, name, unit, phone)
    assert problems(report) == []


# --- description variants ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("1. เพื่อก 2. เพื่อข", [("1", "เพื่อก"), ("2", "เพื่อข")]),
        ("1.เพื่อก 2.เพื่อข", [("1", "เพื่อก"), ("2", "เพื่อข")]),
        ("2.1 เพื่อก 2.2 เพื่อข", [("2.1", "เพื่อก"), ("2.2", "เพื่อข")]),
        ("เพื่อพัฒนาชุมชนให้เข้มแข็ง", [(None, "เพื่อพัฒนาชุมชนให้เข้มแข็ง")]),
        ("1. อบรม 2 วัน 1 คืน 2. ศึกษาดูงาน", [("1", "อบรม 2 วัน 1 คืน"), ("2", "ศึกษาดูงาน")]),
        ("๑. เพื่อก ๒. เพื่อข", [("1", "เพื่อก"), ("2", "เพื่อข")]),
    ],
)
def test_objective_forms(line: str, expected: list[tuple[str | None, str]]) -> None:
    report = bmaparse.parse(seed_with({7: line}))
    assert [(o.label, o.text) for o in report.objectives] == expected
    assert report.targets is not None and report.targets.startswith("จัดอบรม")


def test_objectives_over_several_lines_then_targets() -> None:
    report = bmaparse.parse(seed_with({7: "1. เพื่อก\n2. เพื่อข"}))
    assert [(o.label, o.text, o.source_line) for o in report.objectives] == [
        ("1", "เพื่อก", 7), ("2", "เพื่อข", 8)]
    assert report.targets is not None and report.targets.startswith("จัดอบรม")


@pytest.mark.parametrize("slip", ["ดำาเนินงาน", "พื้นท่ี่่่", "เจ้าหนา้ที่"])
def test_typing_slips_repaired(slip: str) -> None:
    fixed = {"ดำาเนินงาน": "ดำเนินงาน", "พื้นท่ี่่่": "พื้นที่", "เจ้าหนา้ที่": "เจ้าหน้าที่"}[slip]
    report = bmaparse.parse(seed_with({29: f"24/01/2566 : {slip} ในพื้นที่ ๓ แห่ง 3 แห่ง"}))
    assert report.progress_updates[3].text == f"{fixed} ในพื้นที่ ๓ แห่ง 3 แห่ง"


def test_strategy_levels_with_colon_prefix_and_thai_digits() -> None:
    strategy = "\n".join([
        ": ด้านที่ ๗ – การบริหารจัดการ : Management Strategy",
        ": มิติที่ ๗.๒ - มิติ",
        ": เป้าหมายที่ ๗.๒.๑ เป้าหมาย%",
        ": เป้าประสงค์ที่ ๗.๒.๑.๑ เป้าประสงค์",
    ])
    report = bmaparse.parse(seed_with({9: strategy, 10: None, 11: None, 12: None}))
    assert [(s.level, s.code, s.text) for s in report.strategy_links] == [
        ("area", "7", "การบริหารจัดการ : Management Strategy"),
        ("dimension", "7.2", "มิติ"),
        ("goal", "7.2.1", "เป้าหมาย"),
        ("objective", "7.2.1.1", "เป้าประสงค์"),
    ]
    assert report.routine_work is False
    assert problems(report) == []


# --- progress variants ---------------------------------------------------------------------


def test_multiline_progress_text_and_problems() -> None:
    report = bmaparse.parse(seed_with({
        29: "24/01/2566 : บรรทัดแรก\nบรรทัดที่สอง",
        30: "** ปัญหาของโครงการ :ฝนตก\nน้ำท่วม",
        31: "** อุปสรรคของโครงการ :ไม่มี",
    }))
    block = report.progress_updates[3]
    assert block.text == "บรรทัดแรก\nบรรทัดที่สอง"
    assert block.problems == "ฝนตก\nน้ำท่วม"
    assert block.obstacles is None
    assert problems(report) == []


@pytest.mark.parametrize(
    ("text", "label", "amount", "raw"),
    [
        ("ใช้งบประมาณ 1.5 ล้านบาท", "ใช้งบประมาณ", Decimal("1500000.00"), "1.5 ล้านบาท"),
        ("เบิกจ่าย จำนวน ๑,๓๒๔,๖๐๐ บาท", "เบิกจ่าย", Decimal("1324600.00"), "๑,๓๒๔,๖๐๐ บาท"),
    ],
)
def test_money_forms(text: str, label: str, amount: Decimal, raw: str) -> None:
    report = bmaparse.parse(seed_with({29: f"24/01/2566 : {text}"}))
    figures = [f for f in report.budget_figures if f.seq == 4]
    assert figures == [BudgetFigure(4, label, amount, raw, 29)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("28/10/2563", date(2020, 10, 28)), ("1/31/2021", date(2021, 1, 31)), ("๒๔/๐๑/๒๕๖๖", date(2023, 1, 24))],
)
def test_entry_date_forms(raw: str, expected: date) -> None:
    report = bmaparse.parse(seed_with({29: f"{raw} : ข้อความ"}))
    assert report.progress_updates[3].entry_date == expected
    assert report.progress_updates[3].entry_date_raw == raw


def test_ambiguous_gregorian_date_is_flagged() -> None:
    report = bmaparse.parse(seed_with({29: "1/5/2023 : ข้อความ"}))
    assert ("ambiguous-date", 29) in problems(report)
    assert report.progress_updates[3].entry_date in (date(2023, 1, 5), date(2023, 5, 1))


def test_bad_date_is_an_error_with_its_line() -> None:
    report = bmaparse.parse(seed_with({29: "32/13/2566 : ข้อความ"}))
    assert ("bad-date", 29) in problems(report)
    assert report.progress_updates[3].entry_date is None


# --- indicators ---------------------------------------------------------------------------------


def test_several_kpis_and_a_target_without_unit() -> None:
    extra = "\n".join([
        "ตัวชี้วัด : จำนวนชุมชนที่เข้าร่วม (ปีงบประมาณ พ.ศ. 2566)",
        "ค่าเป้าหมาย : 0",
        "ผลงานที่ทำได้ แห่ง : 12",
        "ประเภทตัวชี้วัด : ตัวชี้วัดเชิงยุทธศาสตร์ ตัวชี้วัดระดับผลลัพธ์ (outcome)",
    ])
    report = bmaparse.parse(seed_with({42: extra + "\n" + SEED_LINES[41]}))
    first, second = report.kpis
    assert first.ordinal == 1 and second.ordinal == 2
    assert (second.target_value, second.target_unit) == (Decimal("0"), None)
    assert (second.achieved_value, second.achieved_unit) == (Decimal("12"), "แห่ง")
    assert (second.kind, second.level) == ("strategic", "outcome")
    assert problems(report) == []


# --- whole-input variants ------------------------------------------------------------------------


def test_progress_numbers_out_of_order_are_flagged_and_placed_by_position() -> None:
    report = bmaparse.parse(seed_with({18: "(7) ความคืบหน้าโครงการฯ ร้อยละ 100.00 (2023-03-20)"}))
    assert ("seq-out-of-order", 18) in problems(report)
    assert [(u.seq, u.chrono_index) for u in report.progress_updates] == [
        (1, 5), (7, 4), (3, 3), (4, 2), (5, 1)]


def test_unrecognized_line_is_reported_not_dropped() -> None:
    report = bmaparse.parse(seed_with({17: "------------------&&&--------------------\nเศษข้อความหลงมา"}))
    assert ("unrecognized-line", 18) in problems(report)
    diag = next(d for d in report.diagnostics if d.code == "unrecognized-line")
    assert diag.raw == "เศษข้อความหลงมา"


def test_strict_mode_raises_parse_error_with_line_and_column() -> None:
    text = seed_with({29: "32/13/2566 : ข้อความ"})
    with pytest.raises(bmaparse.ParseError) as caught:
        bmaparse.parse(text, strict=True)
    assert caught.value.line == 29
    assert caught.value.col == 1
    assert "line 29, column 1" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_project_id_from_file_name() -> None:
    doc = bmaparse.load("\n".join(SEED_LINES).encode(), source_path="archive/50240000-7108.txt")
    (report,) = doc.reports
    assert (report.project_id, report.project_id_source) == ("50240000-7108", "filename")
    assert report.agency_code == "50240000"


def test_multi_report_file_splits_with_line_ranges() -> None:
    page_text = (DATA / "page_full.txt").read_text(encoding="utf-8")
    seed_text = "\n".join(SEED_LINES)
    text = f"{seed_text}\n{seed_text}\n\n{page_text}"
    doc = bmaparse.load(text.encode("utf-8"), source_path="many.txt")
    assert [(r.layout, r.source_line_start, r.source_line_end) for r in doc.reports] == [
        ("export", 1, 42), ("export", 43, 84), ("page", 86, 85 + len(page_text.rstrip("\n").split("\n"))),
    ]
    assert doc.reports[0].report_key == doc.reports[1].report_key
    assert all(problems(r) == [] for r in doc.reports)


def test_kpi_page_then_export_splits() -> None:
    kpi_text = (DATA / "kpi_page.txt").read_text(encoding="utf-8").rstrip("\n")
    doc = bmaparse.load((f"{kpi_text}\n\n" + "\n".join(SEED_LINES)).encode())
    assert [r.doc_kind for r in doc.reports] == ["kpi", "project"]
    assert doc.reports[0].quarterly_results[1].narrative == "01/04/2566 : ดำเนินการต่อเนื่อง"
    assert doc.reports[1].source_line_start == len(kpi_text.split("\n")) + 2


def test_kpi_page_without_its_name_line_parses() -> None:
    lines = (DATA / "kpi_page.txt").read_text(encoding="utf-8").split("\n")
    text = "\n".join(line for line in lines if not line.endswith("0900-0991"))
    report = bmaparse.parse(text)
    assert report.doc_kind == "kpi"
    assert report.kpis == ()
    assert [q.quarter for q in report.quarterly_results] == [1, 2, 3]
    assert ("unrecognized-line", 6) in problems(report)  # the target line has no indicator to go to


def test_two_narratives_for_one_quarter_are_both_kept() -> None:
    text = (DATA / "kpi_page.txt").read_text(encoding="utf-8") + "\nรายงานผลฯ ไตรมาสที่ 1\nเพิ่มเติมภายหลัง\n"
    report = bmaparse.parse(text)
    assert report.quarterly_results[0].narrative == (
        "15/01/2566 : จัดเก็บภาษีตามแผน\nรายละเอียดเพิ่มเติม\nเพิ่มเติมภายหลัง")


def test_same_report_same_key_whatever_the_encoding() -> None:
    text = "\n".join(SEED_LINES)
    keys = {
        bmaparse.load(data).reports[0].report_key
        for data in (
            text.encode("utf-8"),
            b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"),
            text.encode("utf-16"),
            text.encode("cp874"),
        )
    }
    assert len(keys) == 1


def test_truncated_mid_character() -> None:
    data = "\n".join(SEED_LINES).encode("utf-8")
    cut = data[: data.index("อยู่ระหว่างขอเงินงวด".encode()) + 4]  # inside a 3-byte character
    doc = bmaparse.load(cut)
    (report,) = doc.reports
    assert ("truncated-input", 29) in problems(report)
    assert len(report.progress_updates) == 4
    assert report.progress_updates[3].text == "อ"


def test_kpi_detail_page() -> None:
    report = bmaparse.parse((DATA / "kpi_page.txt").read_text(encoding="utf-8"))
    assert problems(report) == []
    assert report.doc_kind == "kpi"
    (kpi,) = report.kpis
    assert kpi.kpi_id == "0900-0991"
    assert kpi.name == "ร้อยละความสำเร็จของการจัดเก็บรายได้ (ปีงบประมาณ พ.ศ. 2566)"
    assert (kpi.target_value, kpi.achieved_value, kpi.kind, kpi.level) == (
        Decimal("40"), Decimal("100"), "strategic", "output")
    assert report.agency_code == "09000000"
    assert (report.evaluation_quarter, report.evaluation_score) == (3, Decimal("100"))
    rows = [(q.quarter, q.result_value, q.score, q.subscore_a, q.subscore_b, q.result_unit)
            for q in report.quarterly_results]
    assert rows == [
        (1, Decimal("45.00"), Decimal("100"), Decimal("100"), Decimal("100"), "ร้อยละ"),
        (2, Decimal("60.00"), None, Decimal("50"), Decimal("100"), "ร้อยละ"),
        (3, Decimal("100.00"), Decimal("100"), Decimal("100"), Decimal("100"), "ร้อยละ"),
    ]
    assert report.quarterly_results[0].narrative == "15/01/2566 : จัดเก็บภาษีตามแผน\nรายละเอียดเพิ่มเติม"
    assert report.quarterly_results[2].narrative is None


def test_an_indicator_line_without_a_name_is_reported() -> None:
    # found by the line-accounting property: "ตัวชี้วัด:" alone went into no field and no diagnostic
    report = bmaparse.parse("ตัวชี้วัด:")
    assert [k.name for k in report.kpis] == [""]
    assert ("missing-value", 1) in problems(report)


# --- the evaluation section ----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "** ผลการประเมินโครงการ (รายไตรมาส) **\n(ร้อยละ)",
    "** ผลการประเมินโครงการ (รายไตรมาส) **\n(ก)\n(ร้อยละ)\n1\n45.00\n100\n100 / 100",
])
def test_quarterly_unit_cell_is_not_lost(text: str) -> None:
    report = bmaparse.parse(text)
    units = {q.result_unit for q in report.quarterly_results}
    reported = {d.line for d in report.diagnostics}
    assert 2 in reported or text.split("\n")[1].strip("()") in units
