"""``bmaparse report``: every figure on the page equals the same figure computed
here another way (plain Python over the tables' rows), the audit's tables are
used when a folder has them and named when it does not, every output format
reads, and the page is one file that refers to nothing outside itself.
The page in a real browser: test_report_browser.py."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from bmaparse.batch import convert
from bmaparse.cli import main
from bmaparse.report import _aggregate as agg
from bmaparse.report import write_report
from bmaparse.report._load import DERIVED, Folder, load
from helpers import SAMPLES
from report_helpers import converted, findings_table, write_findings


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report")


@pytest.fixture(scope="module")
def out(root: Path) -> Path:
    return converted(root)


def rows(out: Path, table: str) -> list[dict[str, Any]]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def test_overview_counts_the_tables(out: Path) -> None:
    reports, diags = rows(out, "reports"), rows(out, "diagnostics")
    numbers = agg.overview(load(out))
    assert numbers["reports"] == len(reports)
    assert numbers["projects"] == len(rows(out, "projects"))
    assert numbers["agencies"] == len({r["agency_name"] for r in reports} - {None})
    assert numbers["fiscal_years"] == len({r["fiscal_year_be"] for r in reports} - {None})
    assert numbers["layouts"] == len({r["layout"] for r in reports})
    assert numbers["errors"] == sum(d["severity"] == "error" for d in diags) == 1
    assert numbers["warnings"] == sum(d["severity"] == "warning" for d in diags) > 0
    assert numbers["inputs"] == 274 and numbers["inputs_with_errors"] == 1


def test_fill_rates_are_shares_of_non_null_values(out: Path) -> None:
    reports = rows(out, "reports")
    folder = load(out)
    grid = agg.fill_rates(folder.tables["reports"], folder.filled, "layout")
    per_layout = Counter(r["layout"] for r in reports)
    assert grid.columns == [k for k, _ in sorted(per_layout.items(), key=lambda p: (-p[1], p[0]))]
    assert "project_name" in grid.rows and "report_key" not in grid.rows
    for r, column in enumerate(grid.rows):
        for c, layout in enumerate(grid.columns):
            filled = sum(x[column] is not None for x in reports if x["layout"] == layout)
            assert grid.values[r][c] == pytest.approx(filled / per_layout[layout])


def test_diagnostics_and_inputs_with_errors(out: Path) -> None:
    diags = rows(out, "diagnostics")
    expected = Counter((d["code"], d["severity"]) for d in diags)
    assert {(c, s): n for c, s, n in agg.by_code(pq.read_table(out / "diagnostics.parquet"))} \
        == expected
    listed, total = agg.error_inputs(pq.read_table(out / "diagnostics.parquet"), 10)
    errors = [d for d in diags if d["severity"] == "error"]
    assert total == len({d["source_path"] for d in errors}) == 1
    assert listed[0][0].endswith("garbage.txt") and listed[0][3] == "binary-input"


def test_progress_is_each_projects_latest_snapshot(out: Path) -> None:
    projects = rows(out, "projects")
    distribution = dict(agg.progress_distribution(pq.read_table(out / "projects.parquet")))
    values = [float(p["progress_percent"]) for p in projects if p["progress_percent"] is not None]
    assert distribution["none"] == len(projects) - len(values)
    assert distribution["100"] == sum(v >= 100 for v in values)
    assert distribution["40-50"] == sum(40 <= v < 50 for v in values)
    assert sum(distribution.values()) == len(projects)
    per_agency: dict[str, list[float]] = defaultdict(list)
    for p in projects:
        if p["progress_percent"] is not None:
            per_agency[p["agency_name"] or agg.NONE].append(float(p["progress_percent"]))
    for agency, mean, n in agg.progress_per_agency(pq.read_table(out / "projects.parquet")):
        assert n == len(per_agency[agency])
        assert mean == pytest.approx(sum(per_agency[agency]) / n)


def test_progress_history_counts_an_entry_once(out: Path) -> None:
    latest = {p["report_key"]: p["project_id"] for p in rows(out, "projects")}
    entries = [u for u in rows(out, "progress_updates")
               if u["report_key"] in latest and u["percent"] is not None
               and (u["reported_on"] or u["entry_date"]) is not None]
    history = agg.history(load(out))
    assert history.num_rows == len(entries)
    months: dict[str, list[float]] = defaultdict(list)
    for u in entries:
        months[(u["reported_on"] or u["entry_date"]).strftime("%Y-%m")].append(float(u["percent"]))
    series = agg.progress_over_time(load(out))["all"]
    assert [m for m, _, _ in series] == sorted(months)[-48:]
    for month, mean, _ in series:
        assert mean == pytest.approx(sum(months[month]) / len(months[month]))


def _fallback_budget(out: Path) -> dict[str, tuple[float, float]]:
    """Per agency (allocated, spent): per project and kind, from its latest snapshot, the
    figure outside the progress blocks, else the lowest seq, else the first line."""
    projects = {p["report_key"]: p for p in rows(out, "projects")}
    picked: dict[tuple[str, str], tuple[tuple[int, int], Decimal]] = {}
    for f in rows(out, "budget_figures"):
        project = projects.get(f["report_key"])
        if project is None or f["amount_thb"] is None:
            continue
        rank = (f["seq"] or 0, f["source_line"])
        key = (project["project_id"], f["kind"])
        if key not in picked or rank < picked[key][0]:
            picked[key] = (rank, f["amount_thb"])
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for p in projects.values():
        sums[p["agency_name"] or agg.NONE]  # every agency, with or without figures
        for i, kind in enumerate(("allocated", "spent")):
            if (p["project_id"], kind) in picked:
                sums[p["agency_name"] or agg.NONE][i] += float(picked[p["project_id"], kind][1])
    return {a: (s[0], s[1]) for a, s in sums.items()}


def test_budget_from_project_budget(out: Path) -> None:
    """convert wrote ``project_budget``: the page sums it per agency."""
    expected: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows(out, "project_budget"):
        sums = expected[row["agency"] or agg.NONE]
        sums[0] += float(row["allocated"] or 0)
        sums[1] += float(row["spent"] or 0)
    got = agg.budget_by(agg.project_budget(load(out)), "agency")
    assert sorted(a for a, _, _ in got) == sorted(expected)
    for agency, allocated, spent in got:
        assert [allocated, spent] == pytest.approx(expected[agency])
    assert sum(al for _, al, _ in got) > 0


def test_budget_from_the_latest_snapshot(out: Path) -> None:
    """A folder of an older convert, without ``project_budget``: from budget_figures."""
    expected = _fallback_budget(out)
    got = agg.budget_by(agg.project_budget(_without_analysis(load(out))), "agency")
    assert sorted(a for a, _, _ in got) == sorted(expected)
    for agency, allocated, spent in got:
        assert (allocated, spent) == pytest.approx(expected[agency])
    assert sum(al for _, al, _ in got) > 0


def _outcomes(kpis: list[dict[str, Any]]) -> list[int]:
    """[met, below, not comparable] of KPI rows, in plain Python."""
    counts = [0, 0, 0]
    for k in kpis:
        t, a = k["target_value"], k["achieved_value"]
        if t is None or a is None or t <= 0 or k["target_unit"] != k["achieved_unit"]:
            counts[2] += 1
        else:
            counts[0 if a >= t else 1] += 1
    return counts


def _shown(kpis: pa.Table) -> list[int]:
    per_year, buckets = agg.kpi_outcomes(kpis)
    counts = [sum(r[i] for r in per_year) for i in (1, 2, 3)]
    assert sum(n for _, n in buckets) == counts[0] + counts[1]
    return counts


def test_kpi_outcomes_count_each_kpi_once(out: Path) -> None:
    """One row per ``kpi_key`` of ``kpi_results`` (a row per quarter there)."""
    per_key = {k["kpi_key"]: k for k in rows(out, "kpi_results")}
    assert len(per_key) < len(rows(out, "kpi_results"))  # quarters repeat a KPI
    expected = _outcomes(list(per_key.values()))
    assert _shown(agg.current_kpis(load(out))) == expected and expected[0] + expected[1] > 0


def test_kpi_outcomes_without_kpi_results(out: Path) -> None:
    """A folder of an older convert: the latest snapshot of each project, and of each KPI
    (kpi_id, else name) of the reports of no project (its date: the latest kpi entry)."""
    latest = {p["report_key"] for p in rows(out, "projects")}
    dates: dict[str, Any] = {}
    for e in rows(out, "kpi_entries"):
        if e["entry_date"] is not None:
            dates[e["report_key"]] = max(dates.get(e["report_key"], e["entry_date"]),
                                         e["entry_date"])
    loose = {r["report_key"]: r["latest_reported_on"] or dates.get(r["report_key"])
             for r in rows(out, "reports") if r["project_id"] is None}
    chosen: dict[str, dict[str, Any]] = {}
    kpis = rows(out, "kpis")
    for k in sorted((k for k in kpis if k["report_key"] in loose), key=lambda k: k["report_key"]):
        key, seen = k["kpi_id"] or k["name"], chosen.get(k["kpi_id"] or k["name"])
        date = loose[k["report_key"]]
        if seen is None or (date is not None and (loose[seen["report_key"]] is None
                                                  or date > loose[seen["report_key"]])):
            chosen[key] = k
    assert len(chosen) < sum(k["report_key"] in loose for k in kpis)  # repeated KPI pages
    expected = _outcomes([k for k in kpis if k["report_key"] in latest] + list(chosen.values()))
    assert _shown(agg.current_kpis(_without_analysis(load(out)))) == expected


def test_two_snapshots_of_a_kpi_page_count_once(tmp_path: Path) -> None:
    """The same KPI page twice, the later one with the target met: one KPI, met."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    seed = (SAMPLES / "synth_kpi_1.txt").read_text(encoding="utf-8")
    (inputs / "a.txt").write_text(seed, encoding="utf-8")
    later = seed.replace("ผลงานที่ทำได้ คะแนน : 14", "ผลงานที่ทำได้ คะแนน : 300").replace(
        "25/09/2562", "29/09/2562")
    assert later != seed
    (inputs / "b.txt").write_text(later, encoding="utf-8")
    convert([inputs], tmp_path / "out", jobs=1)
    folder = load(tmp_path / "out")
    for loaded in (folder, _without_analysis(folder)):
        assert _shown(agg.current_kpis(loaded)) == [1, 0, 0]


def test_audit_tables_are_preferred_when_present(root: Path) -> None:
    out = converted(root)
    folder = root / "with-audit"
    if not folder.exists():
        folder.mkdir()
        for path in out.iterdir():
            (folder / path.name).write_bytes(path.read_bytes())
    budget = pa.table({"project_id": ["a", "b", "c"], "fiscal_year_be": pa.array([2566, 2566, 2567], pa.int16()),
                       "agency": ["เขตบางรัก", "เขตบางรัก", "เขตปทุมวัน"],
                       "allocated": pa.array([Decimal("100.00"), Decimal("50.00"), None], pa.decimal128(18, 2)),
                       "spent": pa.array([Decimal("10.00"), None, Decimal("7.50")], pa.decimal128(18, 2)),
                       "disbursed": pa.array([None, None, None], pa.decimal128(18, 2)),
                       "report_key": ["k1", "k2", "k3"], "source_path": ["x", "y", "z"],
                       "source_line": pa.array([1, 2, 3], pa.int32())})
    pq.write_table(budget, folder / "project_budget.parquet")
    history = pa.table({"project_id": ["a", "a"], "chrono_index": pa.array([1, 2], pa.int32()),
                        "seq": pa.array([2, 1], pa.int32()),
                        "percent": pa.array([Decimal("20"), Decimal("60")], pa.decimal128(12, 4)),
                        "reported_on": pa.array([None, None], pa.date32()),
                        "entry_date": pa.array([19000, 19040], pa.date32()),
                        "snapshots": pa.array([2, 1], pa.int32())})
    pq.write_table(history, folder / "progress_history.parquet")
    loaded = load(folder)
    assert agg.budget_by(agg.project_budget(loaded), "fiscal_year_be") == [
        ("2566", 150.0, 10.0), ("2567", 0.0, 7.5)]
    assert agg.history(loaded).to_pylist() == [
        {"project_id": "a", "percent": 20.0, "month": "2022-01"},
        {"project_id": "a", "percent": 60.0, "month": "2022-02"}]
    page = root / "audit.html"
    write_report(folder, page)
    text = page.read_text(encoding="utf-8")
    assert "the audit&#x27;s project_budget table" in text
    assert "the audit&#x27;s progress_history table" in text
    assert "the audit&#x27;s kpi_results table" in text


def test_findings_panel_and_its_cap(root: Path) -> None:
    out = converted(root)
    folder = root / "with-findings"
    if not folder.exists():
        folder.mkdir()
        for path in out.iterdir():
            (folder / path.name).write_bytes(path.read_bytes())
    table = write_findings(folder, 120)
    page = root / "findings.html"
    shown = write_report(folder, page, findings_limit=50)
    assert (shown["findings"], shown["findings_shown"]) == (120, 50)
    text = page.read_text(encoding="utf-8")
    assert "first 50 of 120 findings" in text
    assert "<b>not bold</b>" not in text  # messages are data, escaped in the JSON island
    listed = agg.finding_rows(table, 50)
    assert [r[0] for r in listed] == sorted((r[0] for r in listed),
                                            key=("error", "warning", "info").index)
    assert sum(r[0] == "error" for r in listed) == 40
    counts = Counter((r["code"], r["severity"]) for r in table.to_pylist())
    assert {(c, s): n for c, s, n in agg.by_code(table)} == counts
    for (code, severity), n in counts.items():
        assert f'data-label="{code} ({severity})" data-value="{n}"' in text


def _without_analysis(folder: Folder) -> Folder:
    return dataclasses.replace(folder, derived=dict.fromkeys(folder.derived))


def test_without_findings_the_page_says_how_to_get_them(out: Path, tmp_path: Path) -> None:
    """A folder of an older convert, without the analysis tables."""
    older = tmp_path / "older"
    shutil.copytree(out, older)
    for name in DERIVED:
        (older / f"{name}.parquet").unlink()
    shown = write_report(older, tmp_path / "r.html")
    assert "findings" not in shown
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "not in this folder" in text and "bmaparse audit" not in text
    assert "From the latest snapshot of each project and of each KPI of the KPI pages" in text
    assert "-o OUT --incremental</code> over the same inputs" in text


def test_the_hint_is_true(out: Path, tmp_path: Path) -> None:
    """What the page tells a folder without the analysis tables to run adds them."""
    older = tmp_path / "older"
    shutil.copytree(out, older)
    manifest = json.loads((older / "manifest.json").read_text(encoding="utf-8"))
    for name in DERIVED:  # as an older convert wrote it: neither the files nor their names
        (older / f"{name}.parquet").unlink()
        del manifest["files"][name]
    (older / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    inputs = out.parent / "in"
    assert main(["convert", str(inputs), str(SAMPLES), "-o", str(older), "--incremental",
                 "--quiet", "--jobs", "1"]) in (0, 1)
    assert all((older / f"{name}.parquet").exists() for name in DERIVED)
    assert main(["verify", str(older)]) == 0


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "duckdb"])
def test_every_output_format_reads_the_same(root: Path, fmt: str) -> None:
    parquet, other = load(converted(root)), load(converted(root, fmt))
    assert agg.overview(other) == agg.overview(parquet)
    for by in ("layout", "agency_name"):
        assert agg.fill_rates(other.tables["reports"], other.filled, by) == \
            agg.fill_rates(parquet.tables["reports"], parquet.filled, by)
    assert agg.progress_per_agency(other.tables["projects"]) == \
        agg.progress_per_agency(parquet.tables["projects"])
    got = sorted(agg.budget_by(agg.project_budget(other), "agency"))
    expected = sorted(agg.budget_by(agg.project_budget(parquet), "agency"))
    assert [a for a, _, _ in got] == [a for a, _, _ in expected]
    assert [v for x in got for v in x[1:]] == pytest.approx([v for x in expected for v in x[1:]])


def test_findings_in_another_format(root: Path) -> None:
    folder = converted(root, "csv")
    table = findings_table(pq.read_table(converted(root) / "reports.parquet"), 9)
    pacsv.write_csv(table, folder / "findings.csv")
    loaded = load(folder).derived["findings"]
    assert loaded is not None and loaded.to_pylist() == table.to_pylist()


def test_page_is_self_contained(out: Path, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    assert main(["report", str(out), "-o", str(page), "--quiet"]) == 0
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", text)
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", text)
    assert "default-src 'none'" in text
    assert 'lang="th"' in text and "สำนักงานเขต" in text
    assert text.count("<svg") >= 10


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "missing"), "-o", str(tmp_path / "r.html")]) == 2
    assert "not a folder written by bmaparse convert" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def _bad_target(out: Path, html: str, capsys: pytest.CaptureFixture[str]) -> str:
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert main(["report", str(out), "-o", html, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bmaparse: error: ") and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    return err


@pytest.mark.parametrize("name", [".", "..", "", "reports.parquet", "manifest.json",
                                  "findings.parquet", "kpis.csv", ".bmaparse/x.html"])
def test_the_page_never_lands_on_a_folder_or_a_table(
        out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], name: str) -> None:
    """``-o`` a folder (``.``, an existing one) or a file convert writes in OUT: exit 2,
    one line, nothing written (``bmaparse verify OUT`` still passes)."""
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    monkeypatch.chdir(copy)
    err = _bad_target(copy, name if name in (".", "..") else str(copy / name), capsys)
    assert ("is a folder" in err) if name in (".", "..", "") else ("convert writes" in err)
    assert not list(tmp_path.glob("*.tmp")) and not list(copy.glob(".*.tmp"))
    assert main(["verify", str(copy)]) == 0


def test_the_page_in_a_missing_folder(out: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    err = _bad_target(out, str(tmp_path / "nowhere" / "r.html"), capsys)
    assert "no folder" in err and not (tmp_path / "nowhere").exists()


def test_a_page_name_that_is_not_utf8(out: Path, tmp_path: Path) -> None:
    """A file name of bytes that are not UTF-8 (as ``os.fsdecode`` gives it) is written."""
    html = os.path.join(os.fsdecode(bytes(tmp_path)), os.fsdecode(b"r\xff.html"))
    assert main(["report", str(out), "-o", html, "--quiet"]) == 0
    assert os.listdir(bytes(tmp_path)) == [b"r\xff.html"]
    assert b"<svg" in (tmp_path / os.fsdecode(b"r\xff.html")).read_bytes()


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    """Markup in an agency name and in a file name, and a file name that is not UTF-8,
    are shown as text."""
    seed = (SAMPLES / "synth_page_1.txt").read_text(encoding="utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "page.txt").write_text(
        seed.replace("สำนักงานเขตทุ่งครุ", "<script>alert(1)</script>\u2028เขต"), encoding="utf-8")
    for name in ("=cmd<b>.txt", os.fsdecode(b"bad\xff-name.txt")):  # inputs with errors
        (inputs / name).write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "out"
    convert([inputs], out, jobs=1)
    assert main(["report", str(out), "-o", str(tmp_path / "r.html"), "--quiet"]) == 0
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "=cmd&lt;b&gt;.txt" in text and "<b>.txt" not in text
    assert "bad\\xff-name.txt" in text  # as the diagnostics table holds it
