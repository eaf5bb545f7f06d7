"""Golden test of every field of the one real export we have (the seed).

Expected values were read off samples/000_8c07428080a9c9ea.txt by hand. Long
sentences are taken from the seed's own lines, with the one repair the
contract asks for written out explicitly (the typing slip เจ้าหนา้ที่).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal

import pytest

import bmaparse
from bmaparse import BudgetFigure, Kpi, Objective, ProgressUpdate
from helpers import SEED_LINES, SEED_PATH


@pytest.fixture(scope="module")
def report() -> bmaparse.Report:
    return bmaparse.parse(SEED_PATH.read_text(encoding="utf-8"), source=str(SEED_PATH))


def test_seed_has_42_lines_and_no_trailing_newline() -> None:
    assert len(SEED_LINES) == 42
    assert SEED_LINES[-1] == "** ผลการประเมินโครงการ (รายไตรมาส) **"


def test_report_fields(report: bmaparse.Report) -> None:
    assert report.doc_kind == "project"
    assert report.layout == "export"
    assert report.project_id is None  # the export has no id and the file name carries none
    assert report.project_id_source is None
    assert report.project_name is None
    assert report.agency_code == "50240000"  # from the unit code pair 50241000
    assert report.agency_name == "สำนักงานเขตราษฎร์บูรณะ"  # district 24, named in the rationale too
    assert report.agency_name_source == "code"
    assert report.fiscal_year_be == 2566
    assert report.fiscal_year == 2023
    assert report.fiscal_year_source == "kpi-name"
    assert report.progress_percent == Decimal("100")
    assert report.contact_raw == "นายพงศ์ภานุ กรนุ่ม ฝ่ายพัฒนาชุมชนและสวัสดิการสังคม"
    assert report.contact_title == "นาย"
    assert report.contact_name == "พงศ์ภานุ กรนุ่ม"
    assert report.contact_unit == "ฝ่ายพัฒนาชุมชนและสวัสดิการสังคม"
    assert report.contact_phone is None
    assert report.evaluation_quarter == 1
    assert report.evaluation_score is None
    assert report.rationale == SEED_LINES[4]
    assert report.rationale.startswith("กรุงเทพมหานครให้ความสำคัญกับการพัฒนาชุมชน")
    assert report.rationale.endswith("และสามารถนำไปใช้ในการพัฒนาชุมชนต่อไป")
    assert report.unit_code_1 == "50241000"
    assert report.unit_code_2 == "50241000"
    assert "เจ้าหนา้ที่" in SEED_LINES[7]
    assert report.targets == SEED_LINES[7].replace("เจ้าหนา้ที่", "เจ้าหน้าที่")
    assert report.targets.endswith("มีผู้เข้าร่วมโครงการทั้งสิ้น 480 คน")
    assert report.routine_work is True
    assert report.strategy_links == ()
    assert report.source_path == str(SEED_PATH)
    assert report.source_line_start == 1
    assert report.source_line_end == 42
    assert report.parser_version == bmaparse.__version__
    assert report.schema_version == bmaparse.SCHEMA_VERSION
    assert len(report.report_key) == 32
    assert re.fullmatch("[0-9a-f]{32}", report.report_key)  # blake2b, 16 bytes, in hex


def test_objectives(report: bmaparse.Report) -> None:
    assert report.objectives == (
        Objective(1, "1", "เพื่อให้ผู้นำชุมชนและกลุ่มชมรมต่าง ๆ ได้รับความรู้ความเข้าใจด้านการพัฒนาชุมชน "
                  "การรวมกลุ่มและบริหารจัดการกลุ่ม", 7),
        Objective(2, "2", "เพื่อให้ผู้นำชุมชนและกลุ่มชมรมต่าง ๆ เกิดทัศนคติที่ดีต่องานด้านการพัฒนาชุมชน "
                  "และส่งเสริมการมีส่วนร่วมในการสร้างความสามัคคีในชุมชน", 7),
        Objective(3, "3", "เพื่อส่งเสริมและสนับสนุนการสร้างความเข้มแข็งให้กับชุมชน", 7),
        Objective(4, "4", "เพื่อให้ผู้เข้าร่วมโครงการได้รับรู้และมีประสบการณ์จากการสัมมนาศึกษาดูงาน"
                  "และนำไปปรับใช้ในชีวิตประจำวันได้", 7),
    )


def test_progress_updates(report: bmaparse.Report) -> None:
    assert report.progress_updates == (
        ProgressUpdate(1, 5, Decimal("100.00"), date(2023, 4, 27), date(2023, 4, 27), "27/04/2566",
                       "งบประมาณที่ใช้ จำนวน 1,324,600 บาท", None, None, 13),
        ProgressUpdate(2, 4, Decimal("100.00"), date(2023, 3, 20), date(2023, 3, 20), "20/03/2566",
                       "ดำเนินการจัดการสัมมนาฯ รุ่นที่ 3 เมื่อวันที่ 7-8 มีนาคม 2566 ดำเนินการเบิกจ่ายเงิน "
                       "ชดใช้เงินยืม และจัดทำรายงานสรุปการจัดการสัมมนา", None, None, 18),
        ProgressUpdate(3, 3, Decimal("89.00"), date(2023, 2, 23), date(2023, 2, 23), "23/02/2566",
                       "ดำเนินการจัดสัมมนา รุ่นที่ 1 ระหว่างวันที่ 20-21 กุมภาพันธ์ 2566 "
                       "และเตรียมการจัดสัมมนารุ่นที่ 2 ระหว่างวันที่ 27-28 กุมภาพันธ์ 2566 "
                       "อยู่ระหว่างดำเนินการเบิกจ่ายงบประมาณและชดใช้เงินยืม", None, None, 23),
        ProgressUpdate(4, 2, Decimal("35.00"), date(2023, 1, 24), date(2023, 1, 24), "24/01/2566",
                       "อยู่ระหว่างขอเงินงวด", None, None, 28),
        ProgressUpdate(5, 1, Decimal("30.00"), date(2023, 1, 4), date(2023, 1, 4), "04/01/2566",
                       "ตุลาคม 2565 เขียนโครงการและขออนุมัติโครงการ พฤศจิกายน 2565 ขออนุมัติเงินประจำงวด "
                       "ธันวาคม 2565 ประชุมวางแผนการดำเนินงาน", None, None, 33),
    )


def test_budget_figures(report: bmaparse.Report) -> None:
    assert report.budget_figures == (
        BudgetFigure(1, "งบประมาณที่ใช้", Decimal("1324600.00"), "1,324,600 บาท", 14),
    )
    assert report.budget_figures[0].amount_thb.as_tuple().exponent == -2


def test_kpis(report: bmaparse.Report) -> None:
    assert report.kpis == (
        Kpi(
            ordinal=1,
            kpi_id=None,
            name="ร้อยละของโครงการ/กิจกรรมที่เป็นงานประจำของหน่วยงานที่ดำเนินการสำเร็จตามเป้าหมาย "
            "(ปีงบประมาณ พ.ศ. 2566)",
            fiscal_year_be=2566,
            target_value=Decimal("80"),
            target_unit="ร้อยละ",
            achieved_value=Decimal("100"),
            achieved_unit="ร้อยละ",
            kind="routine",
            level="output",
            kinds_raw="ตัวชี้วัดงานประจำ ตัวชี้วัดระดับผลผลิต (output)",
            source_line=38,
        ),
    )
    assert report.quarterly_results == ()  # the evaluation section is empty


def test_no_diagnostics(report: bmaparse.Report) -> None:
    assert report.diagnostics == ()


def test_every_contract_field_is_present(report: bmaparse.Report) -> None:
    names = {f.name for f in dataclasses.fields(report)}
    contract = ["report_key", "doc_kind", "layout", "project_id", "project_id_source", "project_name", "agency_code", "agency_name", "fiscal_year_be", "fiscal_year", "progress_percent", "contact_raw", "contact_title", "contact_name", "contact_unit", "contact_phone", "evaluation_quarter", "evaluation_score", "rationale", "unit_code_1", "unit_code_2", "targets", "routine_work", "source_path", "source_sha256", "source_line_start", "source_line_end", "parser_version", "schema_version", "objectives", "strategy_links", "progress_updates", "budget_figures", "kpis", "quarterly_results", "diagnostics"]
    assert set(contract) <= names


def test_load_gives_the_same_report_with_file_provenance() -> None:
    doc = bmaparse.load(SEED_PATH)
    assert doc.encoding == "utf-8"
    assert doc.diagnostics == ()
    assert len(doc.reports) == 1
    loaded = doc.reports[0]
    parsed = bmaparse.parse(SEED_PATH.read_text(encoding="utf-8"), source=str(SEED_PATH))
    assert dataclasses.replace(loaded, source_sha256=None) == parsed
    assert loaded.source_sha256 == doc.sha256
    assert len(doc.sha256) == 64
