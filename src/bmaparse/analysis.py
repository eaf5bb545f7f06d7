"""Analysis-ready tables: progress history, budget per project, KPI results.

Strategy: these tables are derived from the base tables (``tables.SCHEMAS``)
after every report of a folder is known, so they are computed from the base
tables as written, never from a run's reports alone: ``convert`` reads back
what it staged (old and new rows alike, so an incremental run recomputes them
over the whole folder) and stages them with the rest, in the same commit.
Each table is one SQL query of DuckDB in-process over views of the base tables
(``connect``: Parquet files, their footers read once, and the DuckDB database
scanned in place, only the columns a query reads; CSV and JSON Lines read back
as Arrow tables; DuckDB never imports pandas); the queries name every order
they rely on, so the rows do not depend on DuckDB's threads.

The one ordering every table shares is that of ``projects``: of a project's
snapshots (its reports), the latest is the one with the latest
``latest_reported_on`` (nulls last), then the highest ``progress_percent``
(nulls last), then the smallest ``report_key``. A KPI report has no progress
dates: its date is that of its latest ``kpi_entries`` row.

- ``progress_history``: one row per project and ``chrono_index``, from the
  latest snapshot holding that entry, ``snapshots`` counting those that do;
  summing or charting it counts each entry once.
- ``project_budget``: per project and fiscal year, each of ``allocated``,
  ``spent`` and ``disbursed`` from the latest snapshot holding a figure of
  that kind (within a snapshot: the figure of the newest progress block, then
  figures outside blocks, such as the view page's, by line), with the report
  and line of each; ``report_key``/``source_path``/``source_line`` name the
  latest of those.
- ``kpi_results``: one row per KPI and quarter (one row with a null quarter
  when the KPI's latest snapshot has no quarterly rows). A KPI is its
  ``kpi_id``; without one, its name within its project (or, when the report
  has no project id, within its report). ``project_ids`` lists the projects
  serving it: those whose ``reports.kpi_id`` is its id, and the project whose
  report holds it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .errors import UsageError

if TYPE_CHECKING:
    from ._read import Document
    from .model import Report

BASE_TABLES = ("reports", "projects", "progress_updates", "budget_figures", "kpis",
               "quarterly_results", "kpi_entries", "diagnostics")
"""The base tables the analysis reads."""
TABLES = ("progress_history", "project_budget", "kpi_results")
"""The tables ``derive`` makes (``findings`` is ``bmaparse.audit``'s)."""

_LATEST = ("latest_reported_on DESC NULLS LAST, progress_percent DESC NULLS LAST, "
           "report_key ASC")
"""The order of ``projects`` (``tables.build_projects``): latest snapshot first."""

_PROGRESS_HISTORY = f"""
WITH ranked AS (  -- narrow rows to rank; the entries' text is joined to the chosen ones
    SELECT u.report_key, u.chrono_index, r.source_path,
           count(*) OVER (PARTITION BY u.project_id, u.chrono_index) AS snapshots,
           row_number() OVER (PARTITION BY u.project_id, u.chrono_index ORDER BY {_LATEST}) AS n
    FROM progress_updates u JOIN reports r USING (report_key)
    WHERE u.project_id IS NOT NULL AND u.chrono_index IS NOT NULL)
SELECT u.project_id, u.chrono_index, u.seq, u.percent, u.reported_on, u.entry_date,
       u.entry_date_raw, u.text, u.problems, u.obstacles, u.report_key, k.source_path,
       u.source_line, k.snapshots
FROM ranked k JOIN progress_updates u USING (report_key, chrono_index)
WHERE k.n = 1 ORDER BY u.project_id, u.chrono_index
"""

_KINDS = ("allocated", "spent", "disbursed")
_PROJECT_BUDGET = f"""
WITH blocks AS (
    SELECT report_key, seq, max(chrono_index) AS chrono_index FROM progress_updates
    WHERE seq IS NOT NULL GROUP BY report_key, seq),
figures AS (
    SELECT b.kind, b.amount_thb, b.source_line, r.report_key, r.project_id, r.fiscal_year_be,
           r.agency_code, coalesce(r.agency_name, r.agency_code) AS agency, r.source_path,
           r.latest_reported_on, r.progress_percent, k.chrono_index
    FROM budget_figures b JOIN reports r USING (report_key)
    LEFT JOIN blocks k ON k.report_key = b.report_key AND k.seq = b.seq
    WHERE r.project_id IS NOT NULL AND b.amount_thb IS NOT NULL
      AND b.kind IN ('allocated', 'spent', 'disbursed')),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY project_id, fiscal_year_be, kind ORDER BY {_LATEST},
                                 chrono_index DESC NULLS LAST, source_line ASC NULLS LAST) AS n
    FROM figures),
picked AS (
    SELECT *, row_number() OVER (PARTITION BY project_id, fiscal_year_be ORDER BY {_LATEST},
                                 chrono_index DESC NULLS LAST, source_line ASC NULLS LAST) AS m
    FROM ranked WHERE n = 1)
SELECT project_id, fiscal_year_be,
       max(agency_code) FILTER (WHERE m = 1) AS agency_code,
       max(agency) FILTER (WHERE m = 1) AS agency,
       {", ".join(f"max(amount_thb) FILTER (WHERE kind = '{k}') AS {k}" for k in _KINDS)},
       max(report_key) FILTER (WHERE m = 1) AS report_key,
       max(source_path) FILTER (WHERE m = 1) AS source_path,
       max(source_line) FILTER (WHERE m = 1) AS source_line,
       {", ".join(f"max(report_key) FILTER (WHERE kind = '{k}') AS {k}_report_key, "
                  f"max(source_line) FILTER (WHERE kind = '{k}') AS {k}_line" for k in _KINDS)}
FROM picked GROUP BY project_id, fiscal_year_be
ORDER BY project_id, fiscal_year_be NULLS LAST
"""

_KPI_RESULTS = f"""
WITH dated AS (
    SELECT r.report_key, r.project_id, r.source_path, r.progress_percent,
           coalesce(r.latest_reported_on, e.kpi_date) AS snapshot_date
    FROM reports r LEFT JOIN (SELECT report_key, max(entry_date) AS kpi_date FROM kpi_entries
                              GROUP BY report_key) e USING (report_key)),
held AS (
    SELECT k.report_key, k.ordinal, k.kpi_id, k.name, k.fiscal_year_be, k.target_value,
           k.target_unit, k.target_qualifier, k.achieved_value, k.achieved_unit, k.source_line,
           r.project_id, r.source_path, r.snapshot_date AS latest_reported_on,
           r.progress_percent,
           coalesce(k.kpi_id, ltrim(k.name || ' (' || coalesce(r.project_id, r.report_key)
                                    || ')')) AS kpi_key
    FROM kpis k JOIN dated r USING (report_key)),
latest AS (
    SELECT *, row_number() OVER (PARTITION BY kpi_key ORDER BY {_LATEST}, ordinal) AS n
    FROM held),
counted AS (SELECT kpi_key, count(DISTINCT report_key) AS snapshots FROM held GROUP BY kpi_key),
serving AS (
    SELECT kpi_key, string_agg(DISTINCT project_id, ',' ORDER BY project_id) AS project_ids,
           count(DISTINCT project_id) AS projects
    FROM (SELECT kpi_key, project_id FROM held WHERE project_id IS NOT NULL
          UNION ALL
          SELECT h.kpi_key, r.project_id FROM reports r JOIN held h ON h.kpi_id = r.kpi_id
          WHERE r.project_id IS NOT NULL)
    GROUP BY kpi_key)
SELECT l.kpi_key, l.kpi_id, l.name, q.quarter, l.fiscal_year_be, l.target_value, l.target_unit,
       l.target_qualifier, l.achieved_value, l.achieved_unit, q.result_value, q.result_unit,
       q.score, s.project_ids, coalesce(s.projects, 0) AS projects, l.report_key,
       l.source_path, coalesce(q.source_line, l.source_line) AS source_line, c.snapshots
FROM latest l JOIN counted c USING (kpi_key)
LEFT JOIN (SELECT * FROM quarterly_results  -- a quarter printed twice: its first row
           QUALIFY row_number() OVER (PARTITION BY report_key, kpi_ordinal, quarter
                                      ORDER BY ordinal) = 1) q
       ON q.report_key = l.report_key AND q.kpi_ordinal = l.ordinal
LEFT JOIN serving s USING (kpi_key)
WHERE l.n = 1
ORDER BY l.kpi_key, q.quarter NULLS FIRST
"""

_QUERIES = {"progress_history": _PROGRESS_HISTORY, "project_budget": _PROJECT_BUDGET,
            "kpi_results": _KPI_RESULTS}

DUCKDB_KEYS = {"reports": ("report_key",), "projects": ("project_id",),
               "progress_history": ("project_id", "chrono_index")}
"""Primary keys declared in the duckdb output (tables whose key columns are never null)."""

DUCKDB_VIEWS = {
    "latest_reports": "SELECT r.* FROM projects p JOIN reports r USING (report_key)",
    "spending_by_agency_year": (
        "SELECT agency_code, any_value(agency) AS agency, fiscal_year_be, count(*) AS projects,"
        " sum(allocated) AS allocated, sum(spent) AS spent, sum(disbursed) AS disbursed"
        " FROM project_budget GROUP BY agency_code, fiscal_year_be"),
    "progress_over_time": (
        "SELECT h.project_id, p.agency_code, p.agency_name, p.fiscal_year_be, h.chrono_index,"
        " h.reported_on, h.entry_date, h.percent FROM progress_history h"
        " JOIN projects p USING (project_id)"),
}
"""Views of the duckdb output for the common questions (docs/audit.md)."""


def connect(fmt: str, folder: str | os.PathLike[str]) -> Any:
    """A DuckDB connection (in memory) on which every base table of the ``fmt`` output
    in ``folder`` is a view under its name; ``derive`` and ``bmaparse.audit`` query it.
    Parquet files and a DuckDB database are scanned where they are (only the columns
    a query needs are read); CSV and JSON Lines are read whole (``writers.read_existing``).
    Close it before anything writes ``folder``."""
    import duckdb

    from . import writers
    from .tables import SCHEMAS

    root, con = Path(os.path.abspath(folder)), duckdb.connect()  # absolute: "md:x" is no URL
    if fmt == "parquet":  # each query binds the views again: parse each footer once
        con.execute("SET parquet_metadata_cache = true")
    if fmt == "duckdb":
        database = root / writers.DATABASE
        try:
            con.execute(f"ATTACH {_literal(str(database))} AS base (READ_ONLY)")
        except duckdb.Error as exc:
            con.close()
            raise UsageError(f"{root}: cannot open {database.name}"
                             f" ({' '.join(str(exc).split())[:200]})") from None
    for name in BASE_TABLES:
        if fmt == "parquet" and _GLOB.search(str(root)):  # read_parquet would expand it
            con.register(f"_{name}", _parquet_dataset(root / (name + ".parquet")))
            source = sql_list([f"_{name}"])
        elif fmt == "parquet":
            source = f"read_parquet({_literal(str(root / (name + '.parquet')))})"
        elif fmt == "duckdb":
            source = f"base.{sql_list([name])}"
        else:
            table = writers.read_existing(fmt, root, name, SCHEMAS[name])
            if table is None:
                raise UsageError(f"{root} has no {name} table: not a whole converted folder"
                                 " (see `bmaparse verify`)")
            con.register(f"_{name}", table)
            source = sql_list([f"_{name}"])
        try:
            con.execute(f"CREATE VIEW {sql_list([name])} AS SELECT * FROM {source}")
        except duckdb.Error as exc:
            raise UsageError(f"{root}: cannot read its {name} table"
                             f" ({' '.join(str(exc).split())[:200]})") from None
    return con


def connect_items(items: Iterable[Report | Document]) -> Any:
    """A DuckDB connection like ``connect``'s, on the base tables of reports (or
    Documents) in memory (``tables.to_tables`` and ``build_projects``)."""
    import duckdb

    from .tables import build_projects, to_tables

    base = to_tables(items)
    base["projects"] = build_projects(base["reports"])
    con = duckdb.connect()
    for name in BASE_TABLES:
        con.register(name, base[name])
    return con


_GLOB = re.compile(r"[*?\[\]{}]")
"""Characters DuckDB's ``read_parquet`` takes as a glob in a path."""


def _parquet_dataset(path: Path) -> Any:
    """A Parquet file as an Arrow dataset: scanned lazily, only the columns a query
    reads, and its path taken literally (a folder named ``out[1]`` or ``o*``)."""
    import pyarrow.dataset as ds

    return ds.dataset(str(path), format="parquet")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def derive(con: Any) -> dict[str, pa.Table]:
    """The analysis tables of the base tables registered on ``con`` (``connect``),
    typed by ``tables.SCHEMAS``, whole: ``derive_batches``'s pieces put together
    (the tables the audit reads are registered on ``con``)."""
    from .tables import SCHEMAS

    pieces: dict[str, list[pa.Table]] = {name: [] for name in _QUERIES}
    for name, piece in derive_batches(con):
        pieces[name].append(piece)
    return {name: pa.concat_tables(parts).combine_chunks() if parts else SCHEMAS[name].empty_table()
            for name, parts in pieces.items()}


AUDITED = ("project_budget", "kpi_results")
"""The analysis tables that ``bmaparse.audit`` queries: registered on the connection."""


def derive_batches(con: Any, rows: int = 65_536) -> Iterator[tuple[str, pa.Table]]:
    """The analysis tables in pieces of at most ``rows`` rows, (table, piece) in table
    and row order, holding whole only the tables the audit reads (``AUDITED``,
    registered on ``con``): ``progress_history``, as long as the progress texts of
    the archive, is never all in memory."""
    from .tables import SCHEMAS

    for name, query in _QUERIES.items():
        if name in AUDITED:
            table = typed(con.sql(query).to_arrow_table(), SCHEMAS[name])
            con.register(name, table)
            yield from ((name, piece) for piece in _pieces(table, rows))
            continue
        relation = con.sql(query)  # to_arrow_reader: DuckDB 1.4+; its older name before
        reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
        for batch in reader(rows):
            yield name, typed(pa.Table.from_batches([batch]), SCHEMAS[name])


def _pieces(table: pa.Table, rows: int) -> Iterator[pa.Table]:
    yield from (table.slice(start, rows) for start in range(0, max(table.num_rows, 1), rows))


def typed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table``'s columns cast to ``schema`` (a query's integers and decimals come
    back wider than the schema's)."""
    return pa.Table.from_arrays([table[f.name].cast(f.type) for f in schema], schema=schema)


def folder_format(folder: str | os.PathLike[str]) -> str:
    """The format of a folder ``convert`` wrote; ``UsageError`` naming the folder when
    it is not one."""
    from . import writers
    from ._commit import JOURNAL_NAME
    from ._manifest import MANIFEST_NAME

    root = Path(folder)
    if (root / JOURNAL_NAME).exists():
        raise UsageError(f"{root}: a commit was interrupted there; `bmaparse verify {root}`"
                         " finishes it")
    try:
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
        fmt = str(manifest["format"])
    except FileNotFoundError:
        raise UsageError(f"{root} is not a folder written by bmaparse convert (no"
                         f" {MANIFEST_NAME})") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{root}: cannot read its {MANIFEST_NAME} ({exc})") from None
    if fmt not in writers.FORMATS:
        raise UsageError(f"{root}: its {MANIFEST_NAME} names an unknown format {fmt!r}")
    return fmt


def tables(folder: str | os.PathLike[str]) -> dict[str, pa.Table]:
    """The analysis tables (``progress_history``, ``project_budget``, ``kpi_results``)
    computed from the base tables of a converted folder.

    >>> import bmaparse.analysis
    >>> derived = bmaparse.analysis.tables("out/")
    >>> derived["project_budget"].column_names[:6]
    ['project_id', 'fiscal_year_be', 'agency_code', 'agency', 'allocated', 'spent']
    """
    con = connect(folder_format(folder), folder)
    try:
        return derive(con)
    finally:
        con.close()


def tables_of(items: Iterable[Report | Document]) -> dict[str, pa.Table]:
    """The analysis tables of reports (or Documents) in memory, as ``convert`` would
    write them for those reports."""
    con = connect_items(items)
    try:
        return derive(con)
    finally:
        con.close()


def sql_list(names: Sequence[str]) -> str:
    """``names`` as a comma-separated list of quoted SQL identifiers."""
    return ", ".join('"' + n.replace('"', '""') + '"' for n in names)
