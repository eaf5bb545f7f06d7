"""The DuckDB target: a converted folder into a DuckDB database file (``duckdb:PATH``).

Strategy: one connection, one transaction (``BEGIN`` ... ``COMMIT``): a load killed
anywhere before its ``COMMIT`` leaves the database as the previous load left it (DuckDB
replays only committed transactions from its write-ahead log). Inside it, first the
reading: the latest row of ``bmaparse_loads`` and every live table's columns, checked by
``_schema.check`` (a refusal is raised before anything is written); a folder that is the
latest load ends there, unchanged. Then the writing: missing tables are created with
the types of ``writers.duckdb.sql_type`` (``NOT NULL`` where the schema says so, the
row key as a ``PRIMARY KEY`` where every key column is ``NOT NULL``, the descriptions
and Thai labels as comments), evolved columns added, and per table in ``LOAD_ORDER``
the rows ``REPLACED_BY`` names are deleted (the folder's keys are registered Arrow
tables: ``DELETE ... WHERE key IN (SELECT ...)``) and the folder's rows inserted
``BY NAME`` straight from its Arrow tables; last a ``bmaparse_loads`` row. A row key
with a nullable column gets no constraint (DuckDB has no ``UNIQUE NULLS NOT DISTINCT``);
the load keeps it unique all the same: it deletes every row of a replaced report,
project or KPI before it inserts. DuckDB before 1.2 refuses a delete and insert of one
primary key in one transaction (its "over-eager constraint checking"): measured with
1.1.3 (a duplicate key error) and 1.2.2 (fine); the load asks for 1.2 or newer.

The convert output's own ``bmaparse.duckdb`` (a file of that name beside a bmaparse
manifest) is refused: convert replaces that file whole, and a load into it would make
the folder inconsistent. A database another process holds, a file that is not a DuckDB
database, a full disk: ``LoadError``, one line naming the target.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .._manifest import MARKER_NAME, read_manifest
from ..errors import LoadError
from ..tables import TABLE_KEYS
from ..writers import DATABASE
from ..writers.duckdb import _lit, _q, sql_type
from . import _schema
from ._spec import LOAD_ORDER, LOADS_TABLE, REPLACED_BY, Incoming, LoadSummary, TableLoad

fault_hook: Callable[[str], None] | None = None
"""Tests only: called with each step's name (``checked``, ``created``, ``table:NAME``
after each table's rows, ``commit`` just before the ``COMMIT``), to stop a load there."""

_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_TIMESTAMP = "TIMESTAMP WITH TIME ZONE"
_NAMED: dict[str, pa.DataType] = {"VARCHAR": pa.string(), "DATE": pa.date32(), "BOOLEAN": pa.bool_(),
          "TINYINT": pa.int8(), "SMALLINT": pa.int16(), "INTEGER": pa.int32(),
          "BIGINT": pa.int64(), _TIMESTAMP: pa.timestamp("us", tz="UTC")}
"""DuckDB type name (as ``duckdb_columns()`` writes it) -> the Arrow type it stands for."""


def load(location: str, incoming: Incoming) -> LoadSummary:
    """Load ``incoming`` into the DuckDB database file ``location`` (created when
    missing) in one transaction; see the module docstring. LoadError (one line) when the
    database cannot be opened or written or holds tables this load must not change."""
    target = f"duckdb:{location}"
    if _version(duckdb.__version__) < (1, 2):
        raise LoadError(f"{target}: loading into DuckDB needs duckdb 1.2 or newer (older ones "
                        "refuse to delete and insert one primary key in one transaction); "
                        f"this is {duckdb.__version__}: pip install -U duckdb")
    path = Path(location).expanduser()
    _refuse_convert_output(path, target)
    if not path.parent.is_dir():
        raise LoadError(f"{target}: the folder {path.parent} does not exist: create it, or "
                        "name a database file in an existing folder")
    with _errors(target), duckdb.connect(os.path.abspath(path)) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            summary = _load(con, incoming, target)
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # the cause matters, not the rollback
                con.execute("ROLLBACK")
            raise
        _step("commit")
        con.execute("COMMIT")
    return summary


def _load(con: Any, incoming: Incoming, target: str) -> LoadSummary:
    latest = _latest_load(con)
    folder_version = incoming.schema_version
    added: dict[str, list[str]] = {}
    missing: list[str] = []
    for table in (*LOAD_ORDER, LOADS_TABLE):
        live = _live_columns(con, table)
        if live is None:
            missing.append(table)
            continue
        try:
            added[table] = _schema.check(
                table, live, latest[1] if latest else None, folder_version,
                type_name=lambda f: _type_of(f.type))
        except LoadError as exc:
            raise LoadError(f"{target}: {exc}") from None
    _step("checked")
    if latest is not None and latest[0] == incoming.folder_id:
        return LoadSummary(target=target, unchanged=True)
    for table in missing:
        _create(con, table)
    evolved = []
    for table, columns in added.items():
        schema = _schema.schema_of(table)
        for name in columns:
            field = schema.field(name)
            con.execute(f"ALTER TABLE {_q(table)} ADD COLUMN {_q(name)} {_type_of(field.type)}")
            _comment_column(con, table, field)
            evolved.append(f"{table}.{name}")
    _step("created")
    tables: dict[str, TableLoad] = {}
    for table in LOAD_ORDER:
        tables[table] = _replace(con, table, incoming)
        _step(f"table:{table}")
    _record(con, incoming)
    return LoadSummary(target=target, unchanged=False, tables=tables, evolved=tuple(evolved))


def _replace(con: Any, table: str, incoming: Incoming) -> TableLoad:
    """Delete the rows of ``table`` this folder replaces and insert its rows."""
    rows = incoming.tables[table]
    how = REPLACED_BY[table]
    where = None
    if how == "whole":
        where = "TRUE"
    elif how == "report" or how == "diagnostics":
        where = f"report_key IN (SELECT report_key FROM {_registered(con, incoming, 'reports', 'report_key')})"
        if how == "diagnostics":
            paths = pa.table({"source_path": pa.array(sorted(incoming.source_paths), pa.string())})
            con.register("_bmaparse_paths", paths)
            where += (" OR (report_key IS NULL AND source_path IN "
                      "(SELECT source_path FROM _bmaparse_paths))")
    elif how == "project":
        where = f"project_id IN (SELECT project_id FROM {_registered(con, incoming, 'projects', 'project_id')})"
    else:  # kpi
        where = f"kpi_key IN (SELECT kpi_key FROM {_registered(con, incoming, 'kpi_results', 'kpi_key')})"
    deleted = _count(con.execute(f"DELETE FROM {_q(table)} WHERE {where}"))
    inserted = 0
    if rows.num_rows:
        con.register("_bmaparse_rows", rows)
        try:
            inserted = _count(con.execute(
                f"INSERT INTO {_q(table)} BY NAME SELECT * FROM _bmaparse_rows"))
        finally:
            con.unregister("_bmaparse_rows")
    return TableLoad(deleted=deleted, inserted=inserted)


def _registered(con: Any, incoming: Incoming, table: str, column: str) -> str:
    """The name of a registered Arrow table holding ``column`` of the folder's ``table``
    (the keys whose rows a load replaces)."""
    name = f"_bmaparse_keys_{table}"
    con.register(name, incoming.tables[table].select([column]))
    return name


def _count(result: Any) -> int:
    row = result.fetchone()
    return int(row[0]) if row else 0


def _record(con: Any, incoming: Incoming) -> None:
    """Append this load's row to ``bmaparse_loads``."""
    row = pa.table({
        "folder_id": [incoming.folder_id], "source": [incoming.source],
        "schema_version": [incoming.schema_version],
        "parser_version": [incoming.parser_version],
        "loaded_at": pa.array([datetime.now(timezone.utc)], pa.timestamp("us", tz="UTC")),
        "reports": pa.array([incoming.tables["reports"].num_rows], pa.int64()),
        "rows": pa.array([sum(t.num_rows for t in incoming.tables.values())], pa.int64()),
    })
    con.register("_bmaparse_load", row)
    con.execute(f"INSERT INTO {_q(LOADS_TABLE)} BY NAME SELECT * FROM _bmaparse_load")


def _latest_load(con: Any) -> tuple[str, str] | None:
    """(folder_id, schema_version) of the latest recorded load, None when there is none."""
    if _live_columns(con, LOADS_TABLE) is None:
        return None
    try:
        row = con.execute(f"SELECT folder_id, schema_version FROM {_q(LOADS_TABLE)} "
                          "ORDER BY loaded_at DESC LIMIT 1").fetchone()
    except duckdb.BinderException:
        return None  # a table altered by hand: the schema check says how
    return (str(row[0]), str(row[1])) if row else None


def _live_columns(con: Any, table: str) -> list[tuple[str, pa.DataType | None, str]] | None:
    """The columns of the live ``table`` of the main schema (None: no such table)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
        "AND schema_name = 'main' AND database_name = current_database() "
        "ORDER BY column_index", [table]).fetchall()
    if not rows:
        return None
    return [(str(name), _arrow_of(str(typ)), str(typ)) for name, typ in rows]


def _arrow_of(name: str) -> pa.DataType | None:
    if match := _DECIMAL.fullmatch(name):
        return pa.decimal128(int(match[1]), int(match[2]))
    return _NAMED.get(name)


def _type_of(typ: pa.DataType) -> str:
    """The DuckDB type bmaparse makes for an Arrow type (the load record's timestamp too)."""
    if pa.types.is_timestamp(typ):
        return _TIMESTAMP
    return sql_type(typ)


def _create(con: Any, table: str) -> None:
    schema = _schema.schema_of(table)
    columns = [f"{_q(f.name)} {_type_of(f.type)}{'' if f.nullable else ' NOT NULL'}"
               for f in schema]
    key = TABLE_KEYS.get(table, ())
    if key and all(not schema.field(c).nullable for c in key):
        columns.append(f"PRIMARY KEY ({', '.join(map(_q, key))})")
    con.execute(f"CREATE TABLE {_q(table)} ({', '.join(columns)})")
    description = (schema.metadata or {}).get(b"description", b"").decode()
    con.execute(f"COMMENT ON TABLE {_q(table)} IS {_lit(description)}")
    for field in schema:
        _comment_column(con, table, field)


def _comment_column(con: Any, table: str, field: pa.Field[Any]) -> None:
    meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
    comment = meta.get("description", "")
    if "label_th" in meta:
        comment += f" [{meta['label_th']}]"
    con.execute(f"COMMENT ON COLUMN {_q(table)}.{_q(field.name)} IS {_lit(comment)}")


def _refuse_convert_output(path: Path, target: str) -> None:
    """A convert output's own database is convert's to replace, never a load's."""
    if path.name != DATABASE:
        return
    folder = path.parent
    if read_manifest(folder) is not None or (folder / MARKER_NAME).exists():
        raise LoadError(f"{target}: this is the database bmaparse convert wrote into "
                        f"{folder}; a load must not change it (the folder would no longer "
                        "verify): name another database file")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:2])


def _step(name: str) -> None:
    if fault_hook is not None:
        fault_hook(name)


@contextlib.contextmanager
def _errors(target: str) -> Iterator[None]:
    """DuckDB's errors as one-line ``LoadError``s naming the target."""
    try:
        yield
    except duckdb.Error as exc:
        detail = " ".join(str(exc).split())
        if "lock" in detail.lower():
            raise LoadError(f"{target}: the database is in use by another process; close it "
                            f"and load again ({detail})") from None
        raise LoadError(f"{target}: the load failed, nothing was written: {detail}") from None
