"""The audit rules, each on a minimal crafted archive and not on a clean one; their
thresholds; ``bmaparse audit``'s output and exit codes; and the findings of a
stopped run, which always agree with the base tables left in the folder."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from bmaparse import analysis, audit, synth, writers
from bmaparse._verify import verify
from bmaparse.batch import convert
from bmaparse.cli import main
from bmaparse.model import (
    BudgetFigure,
    Diagnostic,
    Kpi,
    ProgressUpdate,
    QuarterlyResult,
    Report,
)
from bmaparse.tables import ANALYSIS_TABLES, SCHEMAS
from helpers import ROOT
from test_transaction import commit_steps, in_child

D = Decimal


def snapshot(key: str, pid: str, when: date, percent: str, **extra: Any) -> Report:
    """A page report of project ``pid`` whose one progress block is dated ``when``."""
    fields: dict[str, Any] = {
        "report_key": key, "doc_kind": "project", "layout": "page", "project_id": pid,
        "agency_code": pid[:8], "agency_name": "สำนักงานเขตตัวอย่าง", "fiscal_year_be": 2567,
        "progress_percent": D(percent), "evaluation_quarter": 2, "evaluation_score": D(100),
        "source_path": f"{key}.txt", "source_line_start": 1,
        "progress_updates": (ProgressUpdate(1, 1, D(percent), when, when, None, "งาน", None,
                                            None, source_line=5),),
        "budget_figures": (BudgetFigure(None, "งบประมาณ", D("200.00"), "200", source_line=3),
                           BudgetFigure(1, "ใช้ไป", D("100.00"), "100", source_line=6))}
    return Report(**(fields | extra))


KPI = Kpi(1, "5001-0001", "ร้อยละของงาน", 2567, D(80), "ร้อยละ", D(90), "ร้อยละ", None, None,
          None, source_line=2)


def clean() -> list[Report]:
    """Two projects of one agency, moving forward, within budget, recent; a KPI met."""
    kpi_page = Report("kpi1", "kpi", "page", kpi_id="5001-0001", kpi_id_source="text",
                      agency_code="50010000", source_path="kpi1.txt", kpis=(KPI,),
                      quarterly_results=(QuarterlyResult(1, 1, D(90), D(100), None, None,
                                                         source_line=4),))
    return [snapshot("a1", "50010000-0001", date(2024, 1, 10), "50"),
            snapshot("a2", "50010000-0001", date(2024, 3, 10), "100", kpi_id="5001-0001"),
            snapshot("b1", "50010000-0002", date(2024, 3, 1), "100"), kpi_page]


def replace(reports: list[Report], key: str, **changes: Any) -> list[Report]:
    return [dataclasses.replace(r, **changes) if r.report_key == key else r for r in reports]


def codes(reports: list[Report], **limits: Any) -> set[str]:
    found = audit.findings_of(reports, audit.Thresholds(**limits))
    for row in found.to_pylist():
        json.loads(row["evidence"])
        assert row["severity"] in audit.SEVERITIES and row["message"]
    return set(found["code"].to_pylist())


def test_a_clean_archive_has_no_findings() -> None:
    assert codes(clean()) == set()
    assert codes(clean(), min_fill_reports=1) == set()


def _late(r: list[Report]) -> list[Report]:
    return [*r, snapshot("a3", "50010000-0001", date(2024, 4, 1), "60")]


def _fill(r: list[Report]) -> list[Report]:  # another agency whose reports have a phone
    return [*r, *(snapshot(f"c{i}", f"50020000-000{i}", date(2024, 3, 1), "100",
                           contact_phone="0 2222 2222") for i in range(3))]


CRAFTED: dict[str, tuple[Callable[[list[Report]], list[Report]], dict[str, Any]]] = {
    "progress-backwards": (_late, {}),
    "complete-without-spending": (lambda r: replace(r, "b1", budget_figures=()), {}),
    "spent-over-allocation": (lambda r: replace(r, "a2", budget_figures=(
        BudgetFigure(None, "งบประมาณ", D("200.00"), "200", source_line=3),
        BudgetFigure(1, "ใช้ไป", D("300.00"), "300", source_line=6))), {}),
    "stale-project": (lambda r: [*r[:2], snapshot("b1", "50010000-0002", date(2023, 6, 1), "50"),
                                 r[3]], {}),
    "behind-agency": (lambda r: [*r[:2], snapshot("b1", "50010000-0002", date(2023, 11, 1),
                                                  "100"), r[3]], {}),
    "kpi-below-target": (lambda r: replace(r, "kpi1", kpis=(dataclasses.replace(
        KPI, achieved_value=D(70)),)), {}),
    "low-evaluation-score": (lambda r: replace(r, "a2", evaluation_score=D(0)), {}),
    "conflicting-snapshots": (lambda r: [*r, snapshot("a2b", "50010000-0001", date(2024, 3, 10),
                                                      "90")], {}),
    "low-fill-rate": (_fill, {"min_fill_reports": 1}),
    "input-error": (lambda r: replace(r, "a1", diagnostics=(
        Diagnostic(7, 1, "error", "bad-date", "no date", "31/02/2567"),)), {}),
    "unrecognized-lines": (lambda r: replace(r, "a1", diagnostics=(
        Diagnostic(9, 1, "warning", "unrecognized-line", "a line no field took", "@@@"),)), {}),
}


def test_every_code_has_a_crafted_case() -> None:
    assert set(CRAFTED) == set(audit.CODES)


@pytest.mark.parametrize("code", audit.CODES)
def test_each_rule_triggers_on_its_crafted_input(code: str) -> None:
    craft, limits = CRAFTED[code]
    assert code in codes(craft(clean()), **limits)


def test_findings_point_at_the_source_and_name_the_values() -> None:
    found = audit.findings_of(CRAFTED["spent-over-allocation"][0](clean())).to_pylist()
    row = next(f for f in found if f["code"] == "spent-over-allocation")
    assert (row["project_id"], row["report_key"], row["source_path"], row["line"]) == (
        "50010000-0001", "a2", "a2.txt", 6)
    assert json.loads(row["evidence"]) == {"fiscal_year_be": 2567, "allocated": 200,
                                           "spent": 300, "disbursed": None}
    assert "300" in row["message"] and "200" in row["message"]
    assert row["agency"] == "สำนักงานเขตตัวอย่าง" and row["severity"] == "error"


@pytest.mark.parametrize(("code", "limits"), [
    ("progress-backwards", {"backwards_points": D(50)}),
    ("spent-over-allocation", {"overspend_ratio": D(2)}),
    ("stale-project", {"stale_days": 1000}),
    ("behind-agency", {"agency_lag_days": 1000}),
    ("low-evaluation-score", {"min_evaluation_score": D(0)}),
    ("low-fill-rate", {"min_fill_rate": 0.0}),
    ("unrecognized-lines", {"max_unrecognized_per_report": 1.0}),
    ("complete-without-spending", {"complete_percent": D(101)}),
])
def test_thresholds_decide(code: str, limits: dict[str, Any]) -> None:
    craft, base = CRAFTED[code]
    assert code not in codes(craft(clean()), **(base | limits))


def test_a_synth_archive_shows_every_finding(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, text in enumerate(synth.corpus(3000, 0, layouts=("page", "export", "view", "kpi"),
                                          history=True)):
        (folder / f"r{i:05}.txt").write_text(text, encoding="utf-8")
    convert([folder], tmp_path / "out", jobs=1)
    found = pq.read_table(tmp_path / "out" / "findings.parquet")
    assert set(audit.counts(found)) == set(audit.CODES)


# --- the command ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit") / "out"
    convert([ROOT / "samples"], out, fmt="csv", jobs=1)
    return out


def test_audit_prints_the_findings_and_a_summary(converted: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(converted)]) == 0
    out, err = capsys.readouterr()
    written = writers.read_existing("csv", converted, "findings", SCHEMAS["findings"])
    assert written is not None and len(out.splitlines()) == written.num_rows > 0
    assert f"{written.num_rows} findings" in err and "spent-over-allocation: 1 error" in err


@pytest.mark.parametrize(("argv", "status"), [
    ([], 0), (["--fail-on", "never"], 0), (["--fail-on", "error"], 1),
    (["--fail-on", "warning"], 1), (["--fail-on", "error", "--overspend-ratio", "2"], 0),
])
def test_audit_exit_codes(converted: Path, argv: list[str], status: int,
                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(converted), "--json", *argv]) == status
    summary = json.loads(capsys.readouterr().out)
    assert summary["exit_code"] == status and len(summary["rows"]) == summary["findings"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_audit_writes_a_file(converted: Path, tmp_path: Path, suffix: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"found{suffix}"
    assert main(["audit", str(converted), "-o", str(target), "--stale-days", "100000"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and f"written to {target}" in err and "stale-project" not in err
    assert target.stat().st_size > 0


def test_audit_errors_name_the_folder(tmp_path: Path, converted: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path)]) == 2
    assert str(tmp_path) in capsys.readouterr().err
    assert main(["audit", str(converted), "-o", str(tmp_path / "x.txt")]) == 2
    assert main(["audit", str(converted), "--stale-days", "-1"]) == 2
    (tmp_path / "manifest.json").write_text('{"format": "duckdb"}', encoding="utf-8")
    (tmp_path / writers.DATABASE).write_text("not a database", encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 2
    assert f"{tmp_path}: cannot open {writers.DATABASE}" in capsys.readouterr().err
    (tmp_path / writers.DATABASE).unlink()
    (tmp_path / "manifest.json").write_text('{"format": "parquet"}', encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 2
    assert f"{tmp_path}: cannot read its reports table" in capsys.readouterr().err


# --- a stopped run ------------------------------------------------------------------------


def _inputs(folder: Path, start: int, stop: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(synth.corpus(stop, 2, layouts=("page", "view", "kpi"),
                                          history=True)):
        if i >= start:
            (folder / f"r{i:04}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("fmt", ["parquet", "duckdb"])
def test_a_stopped_run_leaves_analysis_tables_that_agree_with_the_base(
        tmp_path: Path, fmt: str) -> None:
    base = tmp_path / "base"
    inputs = _inputs(tmp_path / "in", 0, 60)
    convert([inputs], base, fmt=fmt, jobs=1)
    _inputs(inputs, 60, 120)

    def run_into(out: Path) -> Callable[[], Any]:
        return lambda: convert([inputs], out, fmt=fmt, jobs=1, incremental=True)

    scratch = tmp_path / "scratch"
    shutil.copytree(base, scratch)
    steps = commit_steps(run_into(scratch))[1:]
    for i, step in enumerate(steps):
        out = tmp_path / f"stopped-{i}"
        shutil.copytree(base, out)
        assert in_child(run_into(out), stop_at=step) == 86, step
        assert verify(out).ok, step
        derived = analysis.tables(out)
        for name in ANALYSIS_TABLES:
            table = writers.read_existing(fmt, out, name, SCHEMAS[name])
            assert table is not None, (step, name)
            expected = audit.findings(out) if name == "findings" else derived[name]
            assert table.equals(expected), (step, name)
        shutil.rmtree(out)


@pytest.mark.parametrize("fmt", ["parquet", "duckdb"])
@pytest.mark.parametrize("name", ["out[1]", "o*", "md:x"])
def test_a_folder_name_is_taken_literally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          fmt: str, name: str) -> None:
    """A name DuckDB would read as a glob (``out[1]`` matched a sibling ``out1``, ``o*``
    three folders) or as a MotherDuck URL (``md:x``, relative) reads its own tables."""
    monkeypatch.chdir(tmp_path)
    samples = ROOT / "samples"
    convert([samples / "synth_kpi_1.txt"], Path("out1"), fmt=fmt, jobs=1)  # the decoy
    convert([samples], Path("plain"), fmt=fmt, jobs=1)
    convert([samples], Path(name), fmt=fmt, jobs=1)
    want = audit.findings("plain")
    assert want.num_rows > 0
    assert audit.findings(name).select(["code", "line", "message"]).equals(
        want.select(["code", "line", "message"]))
    assert {k: t.num_rows for k, t in analysis.tables(name).items()} == \
        {k: t.num_rows for k, t in analysis.tables("plain").items()}
    assert main(["audit", name, "--json"]) == 0


@pytest.mark.parametrize("argv", [
    ["--stale-days", "3000000000"], ["--min-evaluation-score", "inf"],
    ["--overspend-ratio", "Infinity", "--json"], ["--overspend-ratio", "1e12"],
    ["-o", os.fsdecode(b"f\xff.parquet")],
])
def test_audit_refuses_what_it_cannot_use_in_one_line(converted: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str],
                                                      argv: list[str]) -> None:
    """A threshold past what SQL compares (it was a DuckDB ConversionException or an
    OverflowError traceback) or an -o path that is not UTF-8: exit 2, an error line."""
    monkeypatch.chdir(tmp_path)
    assert main(["audit", str(converted), *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err  # argparse's usage, then one error line
    assert err.strip().splitlines()[-1].startswith(("bmaparse audit: error:", "bmaparse: error:"))
    assert list(tmp_path.iterdir()) == []


def test_snapshots_that_differ_only_in_where_a_value_is_missing_conflict() -> None:
    """(percent 50, no score) and (no percent, score 50) on one date are two versions:
    the fingerprint joined the values skipping NULLs, and took them for one."""
    base = clean()
    first = replace(base, "a2", evaluation_score=None, progress_percent=D(50))
    twin = dataclasses.replace(next(r for r in first if r.report_key == "a2"), report_key="a2b",
                               source_path="a2b.txt", evaluation_score=D(50),
                               progress_percent=None)
    assert "conflicting-snapshots" in codes([*first, twin])
    assert "conflicting-snapshots" not in codes(
        [*first, dataclasses.replace(twin, evaluation_score=None, progress_percent=D(50))])
