"""The analysis tables: written by convert in every format, equal to a plain-Python
recomputation from ``bmaparse.load`` of each input, recomputed over the whole folder
by incremental runs, and never out of step with the base tables after a stopped run."""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import bmaparse
from bmaparse import analysis, audit, synth, writers
from bmaparse._verify import verify
from bmaparse.batch import convert
from bmaparse.tables import ANALYSIS_TABLES, SCHEMAS
from helpers import ROOT

SAMPLES = ROOT / "samples"


def write_history(folder: Path, n: int, seed: int = 3) -> Path:
    """A small archive with snapshots and anomalies (``synth.corpus(history=True)``)."""
    folder.mkdir(parents=True, exist_ok=True)
    layouts = ("page", "export", "view", "kpi")
    for i, text in enumerate(synth.corpus(n, seed, layouts=layouts, history=True)):
        (folder / f"h{i:04}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_history(tmp_path_factory.mktemp("history"), 400)


def written(out: Path, fmt: str, name: str) -> list[dict[str, Any]]:
    table = writers.read_existing(fmt, out, name, SCHEMAS[name])
    assert table is not None, name
    return table.to_pylist()


# --- the plain-Python recomputation -------------------------------------------------------


def reports_of(folder: Path) -> list[bmaparse.Report]:
    """Every report of the folder's files, loaded one file at a time."""
    return [r for path in sorted(folder.iterdir()) if path.suffix == ".txt"
            for r in bmaparse.load(path).reports]


def _latest(r: bmaparse.Report) -> Any:
    dates = [u.reported_on for u in r.progress_updates if u.reported_on is not None]
    return max(dates) if dates else None


def _order(r: bmaparse.Report, date: Any = None) -> tuple[Any, ...]:
    """The latest snapshot sorts first: date desc (nulls last), percent desc, key."""
    when = date if date is not None else _latest(r)
    return (when is None, -(when.toordinal() if when else 0),
            r.progress_percent is None, -(r.progress_percent or 0), r.report_key)


def expected_history(reports: list[bmaparse.Report]) -> set[tuple[Any, ...]]:
    held: dict[tuple[str, int], list[tuple[bmaparse.Report, Any]]] = defaultdict(list)
    for r in reports:
        for u in r.progress_updates:
            if r.project_id is not None:
                held[(r.project_id, u.chrono_index)].append((r, u))
    out = set()
    for (pid, chrono), pairs in held.items():
        r, u = min(pairs, key=lambda pair: _order(pair[0]))
        out.add((pid, chrono, u.percent, u.reported_on, u.text, r.report_key, u.source_line,
                 len(pairs)))
    return out


def expected_budget(reports: list[bmaparse.Report]) -> dict[tuple[Any, ...], dict[str, Any]]:
    picks: dict[tuple[Any, ...], dict[str, tuple[Any, ...]]] = defaultdict(dict)
    for r in reports:
        if r.project_id is None:
            continue
        chrono = {}
        for u in r.progress_updates:
            chrono[u.seq] = max(chrono.get(u.seq, u.chrono_index), u.chrono_index)
        for b in r.budget_figures:
            if b.kind not in ("allocated", "spent", "disbursed") or b.amount_thb is None:
                continue
            c = chrono.get(b.seq) if b.seq is not None else None
            key = (*_order(r), c is None, -(c or 0), b.source_line)
            kept = picks[(r.project_id, r.fiscal_year_be)].get(b.kind)
            if kept is None or key < kept[0]:
                picks[(r.project_id, r.fiscal_year_be)][b.kind] = (key, b.amount_thb, r.report_key,
                                                                   b.source_line)
    return {k: {kind: (v[1], v[2], v[3]) for kind, v in kinds.items()}
            for k, kinds in picks.items()}


def check_against_load(out: Path, fmt: str, folder: Path) -> None:
    reports = reports_of(folder)
    history = {(r["project_id"], r["chrono_index"], r["percent"], r["reported_on"], r["text"],
                r["report_key"], r["source_line"], r["snapshots"])
               for r in written(out, fmt, "progress_history")}
    assert history == expected_history(reports)
    budget = {(r["project_id"], r["fiscal_year_be"]): {
        kind: (r[kind], r[f"{kind}_report_key"], r[f"{kind}_line"])
        for kind in ("allocated", "spent", "disbursed") if r[kind] is not None}
        for r in written(out, fmt, "project_budget")}
    assert budget == expected_budget(reports)
    kpis = written(out, fmt, "kpi_results")
    with_id = {k.kpi_id for r in reports for k in r.kpis if k.kpi_id}
    assert {r["kpi_key"] for r in kpis if r["kpi_id"]} == with_id
    serving: dict[str, set[str]] = defaultdict(set)
    for r in reports:
        if r.kpi_id and r.project_id:
            serving[r.kpi_id].add(r.project_id)
    for row in kpis:
        if row["kpi_id"]:
            ids = set(row["project_ids"].split(",")) if row["project_ids"] else set()
            assert ids == serving.get(row["kpi_id"], set()) and row["projects"] == len(ids)


# --- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", writers.FORMATS)
def test_convert_writes_the_analysis_tables_in_every_format(tmp_path: Path, fmt: str,
                                                             history: Path) -> None:
    out = tmp_path / "out"
    summary = convert([history], out, fmt=fmt, jobs=1)
    assert verify(out).ok
    for name in ANALYSIS_TABLES:
        table = writers.read_existing(fmt, out, name, SCHEMAS[name])
        assert table is not None and table.num_rows == summary.rows[name] > 0, name
    check_against_load(out, fmt, history)
    assert analysis.tables(out)["project_budget"].to_pylist() == written(out, fmt,
                                                                        "project_budget")
    assert audit.findings(out).to_pylist() == written(out, fmt, "findings")


def test_the_samples_against_load(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for path in SAMPLES.glob("*.txt"):
        (folder / path.name).write_bytes(path.read_bytes())
    convert([folder], tmp_path / "out", jobs=1)
    check_against_load(tmp_path / "out", "parquet", folder)
    budget = written(tmp_path / "out", "parquet", "project_budget")
    view = next(r for r in budget if r["source_path"].endswith("synth_view_1.txt"))
    assert (view["allocated"], view["spent"]) == (Decimal("418500.00"), Decimal("133920.98"))


def test_in_memory_tables_equal_the_written_ones(tmp_path: Path, history: Path) -> None:
    convert([history], tmp_path / "out", jobs=1)
    docs = [bmaparse.load(p) for p in sorted(history.iterdir())]
    made = analysis.tables_of(docs)
    for name, table in made.items():
        assert table.num_rows == len(written(tmp_path / "out", "parquet", name))


def test_duckdb_has_keys_and_views(tmp_path: Path, history: Path) -> None:
    import duckdb

    convert([history], tmp_path / "out", fmt="duckdb", jobs=1)
    with duckdb.connect(str(tmp_path / "out" / writers.DATABASE), read_only=True) as con:
        keys = dict(con.execute("SELECT table_name, constraint_column_names FROM"
                                " duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
                                ).fetchall())
        assert {k: tuple(v) for k, v in keys.items()} == analysis.DUCKDB_KEYS
        for view in analysis.DUCKDB_VIEWS:
            assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] > 0
        spent = con.execute("SELECT sum(spent) FROM spending_by_agency_year").fetchone()[0]
        assert spent == con.execute("SELECT sum(spent) FROM project_budget").fetchone()[0]


@pytest.mark.parametrize("fmt", ["parquet", "duckdb", "csv"])
def test_incremental_runs_recompute_over_the_whole_folder(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "in"
    texts = list(synth.corpus(240, 5, layouts=("page", "view", "kpi"), history=True))
    write = [(folder / f"h{i:04}.txt", text) for i, text in enumerate(texts)]
    folder.mkdir()
    for path, text in write[:120]:
        path.write_text(text, encoding="utf-8")
    convert([folder], tmp_path / "inc", fmt=fmt, jobs=1)
    for path, text in write[120:]:
        path.write_text(text, encoding="utf-8")
    convert([folder], tmp_path / "inc", fmt=fmt, jobs=1, incremental=True)
    convert([folder], tmp_path / "full", fmt=fmt, jobs=1)
    assert verify(tmp_path / "inc").ok
    for name in ANALYSIS_TABLES:
        assert written(tmp_path / "inc", fmt, name) == written(tmp_path / "full", fmt, name)


def test_a_folder_that_is_not_converted_is_named(tmp_path: Path) -> None:
    with pytest.raises(bmaparse.UsageError, match=str(tmp_path)):
        analysis.tables(tmp_path)
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(bmaparse.UsageError, match="manifest"):
        audit.findings(tmp_path)


def test_no_pandas_in_the_convert_path(tmp_path: Path, history: Path) -> None:
    """The console script's convert (``main()`` reading ``sys.argv``) never loads
    pandas, analysis and findings included."""
    import subprocess
    import sys

    argv = ["bmaparse", "convert", str(history), "-o", str(tmp_path / "o"), "--jobs", "1",
            "--quiet", "--fail-on", "never"]
    code = (f"import sys; sys.argv = {argv!r}; from bmaparse.cli import main; status = main();"
            " print(status, 'pandas' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert run.stdout.split() == ["0", "False"], run.stderr
    assert (tmp_path / "o" / "findings.parquet").is_file()


def test_the_manifest_knows_which_tables_are_rewritten() -> None:
    from bmaparse._manifest import REWRITTEN

    assert set(REWRITTEN) == {"projects", *ANALYSIS_TABLES}
