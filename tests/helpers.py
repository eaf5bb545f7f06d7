"""What several test modules share: where the inputs are, the seed export and
its variants, zip archives built in memory, diagnostic codes, the environment of
a child ``python``, and the hang detector.

Plain values and functions live here, imported by name (``from helpers import
SEED``); fixtures live in ``conftest.py``. pytest puts this folder on
``sys.path``, and warns against importing from ``conftest.py`` itself (another
``conftest`` on the path would make ``import conftest`` ambiguous).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import bmaparse
from bmaparse import (
    BudgetFigure,
    Diagnostic,
    Kpi,
    Objective,
    ProgressUpdate,
    QuarterlyResult,
    Report,
    StrategyLink,
)
from bmaparse._read import DEFAULT_LIMITS, InputTimeout, Limits, TimeBudget

ROOT = Path(__file__).resolve().parents[1]
"""The repository."""
SAMPLES = ROOT / "samples"
DATA = ROOT / "tests" / "data"
"""One invented input of each layout and kind of document, and the golden JSON
of every input (see tests/README.md)."""

SEED_PATH = SAMPLES / "000_8c07428080a9c9ea.txt"
"""The one real export we have."""
SEED = SEED_PATH.read_bytes()
SEED_TEXT = SEED.decode("utf-8")
SEED_LINES = SEED_TEXT.split("\n")
SEPARATOR = "------------------&&&--------------------"
"""The line between two reports of one export."""


LAYOUTS = sorted(DATA.glob("*.txt"))
"""One input of each layout and kind of document besides the seed's (invented)."""


def data_lines(name: str) -> list[str]:
    """The lines of ``tests/data/NAME``."""
    return (DATA / name).read_text(encoding="utf-8").split("\n")


def variant(i: int) -> bytes:
    """The seed with a different amount: another report (another report_key)."""
    text = SEED_TEXT.replace("จำนวน 1,324,600 บาท", f"จำนวน {1000 + i:,} บาท")
    assert text != SEED_TEXT
    return text.encode("utf-8")


def zip_bytes(members: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
              method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``members`` (name -> bytes, or pairs: a name may repeat),
    every header fixed (no clock, no permissions), so the bytes are the same each run."""
    pairs = members.items() if isinstance(members, Mapping) else members
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": on purpose when given
        for name, data in pairs:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def key_of(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The report_key of the one report in ``data``."""
    (report,) = bmaparse.load(data, limits=limits).reports
    return report.report_key


def codes(document: bmaparse.Document) -> list[str]:
    """Every diagnostic code of an input: its own, then its reports'."""
    return [d.code for d in (*document.diagnostics, *(d for r in document.reports for d in r.diagnostics))]


def problems(report: bmaparse.Report) -> list[tuple[str, int | None]]:
    """(code, line) of a report's warnings and errors."""
    return [(d.code, d.line) for d in report.diagnostics if d.severity != "info"]


def manifest_of(out: Path) -> dict[str, Any]:
    """The manifest.json of an output folder."""
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def outcomes(manifest: dict[str, Any]) -> dict[str, str]:
    """Input path -> outcome, from a manifest."""
    return {e["path"]: e["outcome"] for e in manifest["inputs"]}


def child_env() -> dict[str, str]:
    """The environment of a child ``python`` that imports this worktree's bmaparse."""
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def bounded(work: Callable[[], object], what: str, seconds: float) -> None:
    """``work()``, failing the test if it takes more than ``seconds``: bmaparse's own
    time budget (the SIGALRM timer behind ``Limits.max_seconds_per_input``) stops it,
    so a super-linear pattern fails instead of hanging the suite."""
    try:
        with TimeBudget(seconds) as armed:
            assert armed, "the hang detector needs the main thread and a free SIGALRM timer"
            work()
    except InputTimeout:
        pytest.fail(f"{what} took more than {seconds:g} s: super-linear work")


def seed_report(key: str = "k1", project_id: str | None = "50240000-7108", *,
                path: str | None = "seed/000.txt", days: int = 0, **changes: object) -> Report:
    """A report shaped like the seed export (5 progress blocks, 1 KPI, 4 objectives)."""
    updates = tuple(
        ProgressUpdate(seq=i, chrono_index=6 - i, percent=Decimal(p), reported_on=date(2023, m, 1 + days),
                       entry_date=date(2023, m, 1), entry_date_raw=f"01/{m:02d}/2566",
                       text=f"ดำเนินการ {i}", problems=None, obstacles="ฝนตก" if i == 2 else None,
                       source_line=20 + 5 * i)
        for i, (p, m) in enumerate([("100.00", 4), ("100.00", 3), ("89.00", 2), ("35.00", 1),
                                    ("30.00", 1)], start=1))
    report = Report(
        report_key=key, doc_kind="project", layout="export", project_id=project_id,
        project_id_source="filename", project_name="โครงการสัมมนาผู้นำชุมชน",
        agency_code="50240000", agency_name="สำนักงานเขตราษฎร์บูรณะ", agency_name_source="code",
        fiscal_year_be=2566, fiscal_year=2023, fiscal_year_source="kpi-name",
        progress_percent=Decimal("100"), contact_raw="นายพงศ์ภานุ กรนุ่ม ฝ่ายพัฒนาชุมชน",
        contact_title="นาย", contact_name="พงศ์ภานุ กรนุ่ม", contact_unit="ฝ่ายพัฒนาชุมชน",
        contact_phone=None, evaluation_quarter=1, evaluation_score=None,
        rationale="กรุงเทพมหานครให้ความสำคัญ" * 40, unit_code_1="50241000",
        unit_code_2="50241000", targets="จัดอบรม 3 รุ่น", routine_work=True, source_path=path,
        source_sha256="ab" * 32, source_line_start=1, source_line_end=50,
        objectives=tuple(Objective(i, str(i), f"เพื่อ {i}", 7) for i in range(1, 5)),
        strategy_links=(StrategyLink(1, "area", "7", "ด้านการบริหารจัดการ", 12),
                        StrategyLink(2, "dimension", "7.2", "มิติ", 13)),
        progress_updates=updates,
        budget_figures=(BudgetFigure(1, "งบประมาณที่ใช้", Decimal("1324600.00"), "1,324,600 บาท", 26),
                        BudgetFigure(None, None, Decimal("1500000"), "1.5 ล้านบาท", None)),
        kpis=(Kpi(1, None, "ร้อยละของโครงการ (ปีงบประมาณ พ.ศ. 2566)", 2566, Decimal("80"), "ร้อยละ",
                  Decimal("100"), "ร้อยละ", "routine", "output", "ตัวชี้วัดงานประจำ", 46),),
        quarterly_results=(QuarterlyResult(1, 1, Decimal("45.00"), Decimal("100"), Decimal("100"), Decimal("100"),
                                           "ร้อยละ", "รายงานผล", 60),
                           QuarterlyResult(1, 2, None, None, None, None)),
        diagnostics=(Diagnostic(3, 1, "warning", "unrecognized-line", "no field took it",
                                "ดูโครงการแผนปีฯ"),),
    )
    return dataclasses.replace(report, **changes) if changes else report
