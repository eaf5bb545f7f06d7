"""Reading a converted folder for the report: only the columns the report needs.

Strategy: the folder's manifest (its head only: a 100k-input manifest is tens of
megabytes) says which format ``convert`` wrote; every table is then read through
``writers.read_existing``, so Parquet, CSV, JSON Lines and DuckDB folders all
work, typed by ``tables.SCHEMAS``. The analysis tables and ``findings``
(``progress_history``, ``project_budget``, ``kpi_results``: docs/audit.md), which ``convert``
writes since they exist, are read the same way; a folder of an older convert
lacks them: they read as None, and the report says so rather than failing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._manifest import read_manifest_head
from ..errors import BmaparseError, UsageError
from ..tables import SCHEMAS
from ..writers import FORMATS, read_existing

DERIVED: dict[str, tuple[str, ...]] = {
    "findings": ("code", "severity", "project_id", "agency", "report_key", "source_path", "line",
                 "evidence", "message"),
    "progress_history": ("project_id", "chrono_index", "percent", "reported_on", "entry_date"),
    "project_budget": ("project_id", "fiscal_year_be", "agency", "allocated", "spent",
                       "disbursed"),
    "kpi_results": ("kpi_key", "quarter", "fiscal_year_be", "target_value", "target_unit",
                    "achieved_value", "achieved_unit"),
}
"""The analysis tables and ``findings`` (docs/audit.md), with the columns the report
reads, typed by ``tables.SCHEMAS``."""

BASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "reports": ("report_key", "doc_kind", "layout", "project_id", "agency_name",
                "fiscal_year_be", "latest_reported_on"),
    "projects": ("project_id", "report_key", "snapshots", "progress_percent", "agency_name",
                 "fiscal_year_be"),
    "progress_updates": ("report_key", "project_id", "chrono_index", "percent", "reported_on",
                         "entry_date"),
    "budget_figures": ("report_key", "seq", "kind", "amount_thb", "source_line"),
    "kpis": ("report_key", "kpi_id", "name", "fiscal_year_be", "target_value", "target_unit",
             "achieved_value", "achieved_unit"),
    "kpi_entries": ("report_key", "entry_date"),
    "diagnostics": ("source_path", "line", "severity", "code", "message"),
}
"""The tables of every converted folder, and the columns of each the report reads."""


@dataclass(frozen=True)
class Folder:
    """A converted folder as the report sees it."""

    path: Path
    fmt: str
    manifest: dict[str, Any]
    """The manifest without its ``inputs`` list."""
    tables: dict[str, pa.Table]
    """Every table of ``BASE_COLUMNS`` (empty when the folder has none)."""
    filled: pa.Table
    """Per row of ``tables["reports"]``, per nullable reports column: whether it has a value
    (the values themselves, the long texts among them, are not kept)."""
    derived: dict[str, pa.Table | None]
    """The tables of ``DERIVED``; None when the folder does not have them."""


def load(out: str | Path) -> Folder:
    """The folder ``out`` that ``bmaparse convert`` wrote, in any of its formats.

    UsageError when it is no such folder; BmaparseError when a table cannot be read."""
    path = Path(out)
    manifest = read_manifest_head(path)
    if manifest is None:
        raise UsageError(f"{out}: not a folder written by bmaparse convert (no manifest.json)")
    fmt = manifest.get("format")
    if fmt not in FORMATS:
        raise UsageError(f"{out}: the manifest names an unknown format {fmt!r}"
                         f" (bmaparse report reads {', '.join(FORMATS)})")
    tables = {name: _read(fmt, path, name, cols) for name, cols in BASE_COLUMNS.items()}
    derived = {name: _read_derived(fmt, path, name, columns) for name, columns in DERIVED.items()}
    return Folder(path, fmt, manifest, tables, _filled(fmt, path, tables["reports"]), derived)


def _filled(fmt: str, path: Path, reports: pa.Table) -> pa.Table:
    """Whether each nullable reports column has a value, per report. Parquet is read in
    batches and DuckDB one column at a time, so that the long texts (rationale, targets:
    200 MB at 100k reports) are never all in memory at once; CSV and JSON Lines whole."""
    names = [f.name for f in SCHEMAS["reports"] if f.nullable]
    if not reports.num_rows:
        return pa.table({n: pa.array([], pa.bool_()) for n in names})
    if fmt == "parquet":
        try:
            batches = [pa.RecordBatch.from_arrays([pc.is_valid(b[n]) for n in names], names=names)
                       for b in pq.ParquetFile(os.path.abspath(path / "reports.parquet")).iter_batches(
                           batch_size=8192, columns=names)]
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise BmaparseError(f"{path}: cannot read the reports table: {exc}") from exc
        return pa.Table.from_batches(batches)
    if fmt == "duckdb":
        flags = [pc.is_valid(_read(fmt, path, "reports", (n,))[n]) for n in names]
    else:
        whole = _read(fmt, path, "reports", tuple(names))
        flags = [pc.is_valid(whole[n]) for n in names]
    return pa.Table.from_arrays(flags, names=names)


def _read(fmt: str, path: Path, name: str, columns: tuple[str, ...]) -> pa.Table:
    """``columns`` of the base table ``name``; no rows when the folder has no such table."""
    schema = SCHEMAS[name]
    try:
        table = read_existing(fmt, path, name, schema, columns)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise BmaparseError(f"{path}: cannot read the {name} table ({fmt}): {exc}") from exc
    return table if table is not None else schema.empty_table().select(list(columns))


def _read_derived(fmt: str, path: Path, name: str, columns: tuple[str, ...]) -> pa.Table | None:
    """``columns`` of an analysis table; None when the folder lacks it or it lacks a
    column the report needs (a folder of an older convert: the report says so)."""
    try:
        return read_existing(fmt, path, name, SCHEMAS[name], columns)
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return None
