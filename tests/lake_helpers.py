"""What the DuckDB and Delta load tests share: converted folders that follow one another
(a first convert, a later incremental one, a convert of other inputs), the rows a
target must hold after a sequence of loads (``_spec.REPLACED_BY`` applied in order, a
model written independently of the targets), and rows compared sorted.

Plain functions, imported by name (``from lake_helpers import ...``), as ``helpers.py``.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from bmaparse import synth
from bmaparse.batch import convert
from bmaparse.tables import TABLE_KEYS
from bmaparse.warehouse import read_folder
from bmaparse.warehouse._spec import LOAD_ORDER, REPLACED_BY, Incoming
from helpers import SAMPLES

LAYOUTS = ("page", "export", "view", "kpi")
Rows = dict[str, list[dict[str, Any]]]


def write_inputs(folder: Path, start: int, count: int, *, seed: int = 3) -> Path:
    """Inputs ``start`` .. ``start + count - 1`` of one synth archive (with history: later
    snapshots of earlier projects, KPI pages), one file each."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(synth.corpus(start + count, seed, layouts=LAYOUTS, history=True)):
        if i >= start:
            (folder / f"r{i:03}.txt").write_text(text, encoding="utf-8")
    return folder


def folders(root: Path) -> dict[str, Path]:
    """Three converted folders: ``a`` (the samples, the real export among them, and synth
    inputs 0-29), ``b`` (``a`` converted again ``--incremental`` with inputs 30-44 added:
    a superset of ``a``), ``c`` (inputs 40-59 alone: it shares five inputs with ``b``)."""
    first = root / "in-a"
    shutil.copytree(SAMPLES, first / "samples")
    write_inputs(first, 0, 30)
    out = {"a": root / "a", "b": root / "b", "c": root / "c"}
    convert([first], out["a"], jobs=1)
    shutil.copytree(out["a"], out["b"])
    write_inputs(first, 30, 15)
    convert([first], out["b"], jobs=1, incremental=True)
    convert([write_inputs(root / "in-c", 40, 20)], out["c"], jobs=1)
    return out


def incoming(folder: Path) -> Incoming:
    """A converted folder as ``load_into`` hands it to a target."""
    return read_folder(folder, source=str(folder))


def apply(state: Rows, load: Incoming) -> Rows:
    """The rows a target holds after ``load`` when it held ``state`` (the spec's rules)."""
    tables = load.tables
    reports = set(tables["reports"].column("report_key").to_pylist())
    projects = set(tables["projects"].column("project_id").to_pylist())
    kpis = set(tables["kpi_results"].column("kpi_key").to_pylist())
    replaced = {
        "report": lambda r: r["report_key"] in reports,
        "diagnostics": lambda r: r["report_key"] in reports or (
            r["report_key"] is None and r["source_path"] in load.source_paths),
        "project": lambda r: r["project_id"] in projects,
        "kpi": lambda r: r["kpi_key"] in kpis,
        "whole": lambda r: True,
    }
    out: Rows = {}
    for name in LOAD_ORDER:
        gone = replaced[REPLACED_BY[name]]
        out[name] = [r for r in state.get(name, []) if not gone(r)] + tables[name].to_pylist()
    return out


def expected(*loads: Incoming) -> Rows:
    state: Rows = {}
    for load in loads:
        state = apply(state, load)
    return state


def rows_of(incoming_or_tables: Incoming | Mapping[str, pa.Table]) -> Rows:
    tables = (incoming_or_tables.tables if isinstance(incoming_or_tables, Incoming)
              else incoming_or_tables)
    return {name: tables[name].to_pylist() for name in LOAD_ORDER}


def _order(row: Mapping[str, Any]) -> str:
    return repr(tuple(row.values()))


def assert_same_rows(got: Rows, want: Rows) -> None:
    """Every table holds the same rows (compared sorted), column for column, and no
    row key twice."""
    assert set(got) == set(want)
    for name in LOAD_ORDER:
        have = sorted(got[name], key=_order)
        assert len(have) == len(want[name]), name
        assert have == sorted(want[name], key=_order), name
        key = TABLE_KEYS[name]
        if key:
            keys = [tuple(r[c] for c in key) for r in have]
            assert len(keys) == len(set(keys)), f"{name}: a row key twice"


def with_changed_report(load: Incoming) -> tuple[Incoming, str]:
    """``load`` as if one report had been parsed again differently: one of its objectives
    gone and another's text changed (the same report key, other child rows), under a new
    folder id; and that report's key."""
    objectives = load.tables["objectives"]
    keys = objectives.column("report_key").to_pylist()
    key = next(k for k in keys if keys.count(k) >= 2)
    rows = objectives.to_pylist()
    mine = [r for r in rows if r["report_key"] == key]
    mine[0] = {**mine[0], "text": mine[0]["text"] + " (แก้ไข)"}
    kept = [r for r in rows if r["report_key"] != key] + mine[:-1]
    tables = {**load.tables,
              "objectives": pa.Table.from_pylist(kept, schema=objectives.schema)}
    return dataclasses.replace(load, tables=tables, folder_id=load.folder_id[::-1]), key


def one_line(message: str, *must: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message
    for part in must:
        assert part in message, message


def thai_rows(rows: Rows) -> list[str]:
    """The Thai texts of the reports (agency names, rationale, targets), to check that
    they come back byte for byte."""
    found = []
    for row in rows["reports"]:
        for column in ("agency_name", "project_name", "rationale", "targets"):
            value = row.get(column)
            if isinstance(value, str) and any("\u0e00" <= ch <= "\u0e7f" for ch in value):
                found.append(value)
    return sorted(found)
