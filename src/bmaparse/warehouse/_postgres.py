"""The PostgreSQL target: a converted folder into a database, in one transaction.

Strategy: connect (psycopg 3; ``connect_timeout`` 10 s unless the URL sets one, client
encoding UTF-8; a database whose ``server_encoding`` is not UTF8 is refused: Thai would
not survive it). If the folder is the latest row of ``bmaparse_loads`` there is nothing
to do. Else, in ONE transaction:

1. the keys that name the rows the folder replaces (its report keys with the columns
   that say which parse made them, project ids, KPI keys and input paths) are copied
   into TEMP tables;
2. a transaction-level advisory lock (one per schema) is taken, so two loads into the
   same schema run one after the other (the second then finds the first's tables); the
   latest load is read again;
3. the tables are checked (``_schema.check``) and created, or evolved with the columns a
   newer schema adds; a table altered by hand is refused before anything is written;
4. the folder's reports already in ``reports`` as the same parse (same key, input,
   sha256, lines, parser and schema version: their rows would be the same) are left as
   they are; per table in ``LOAD_ORDER`` (``reports`` last) the rows ``REPLACED_BY``
   names for the other reports (and the projects, KPIs ...) are deleted (joined with the
   TEMP keys) and the folder's rows copied in with ``COPY ...
   FROM STDIN (FORMAT csv)``, the CSV written by pyarrow a batch at a time (no Python
   loop per row; a staging copy of every row would double the work); long values are
   compressed with lz4 where the server has it; a ``bmaparse_loads`` row is added; COMMIT.

A load killed at any point (SIGKILL, a lost connection) is rolled back by the server:
the database stays as the previous load left it. Tables are created with types that
keep meaning (``pg_type``), the row key as PRIMARY KEY when every key column is NOT
NULL, else ``UNIQUE NULLS NOT DISTINCT`` (PostgreSQL 15 and later; on older servers
those tables have no key constraint), and comments from the data dictionary.

Target: a libpq URL, ``postgresql://user:password@host:port/database``, any libpq
parameter in its query (``sslmode=require``, ``connect_timeout=5`` ...), and
``schema=NAME`` (taken out before connecting) to load into a schema other than the
connection's current one (``public`` by default), created if missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from ..errors import LoadError
from ..tables import TABLE_KEYS
from . import _schema, mask_password
from ._spec import LOAD_ORDER, LOADS_TABLE, REPLACED_BY, Incoming, LoadSummary, TableLoad

CONNECT_TIMEOUT = 10
"""Seconds libpq waits for a server (unless the URL's ``connect_timeout`` says otherwise)."""

_BATCH_ROWS = 50_000
"""Rows per CSV chunk sent to COPY."""

_STAGE = "bmaparse_stage_"


def pg_type(typ: pa.DataType) -> str:
    """The PostgreSQL type bmaparse creates for an Arrow type."""
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return "text"
    if pa.types.is_int8(typ) or pa.types.is_int16(typ):
        return "smallint"
    if pa.types.is_int32(typ):
        return "integer"
    if pa.types.is_int64(typ):
        return "bigint"
    if pa.types.is_boolean(typ):
        return "boolean"
    if pa.types.is_date32(typ):
        return "date"
    if pa.types.is_decimal(typ):
        return f"numeric({typ.precision},{typ.scale})"
    if pa.types.is_timestamp(typ):
        return "timestamp with time zone" if typ.tz else "timestamp without time zone"
    if pa.types.is_float64(typ):
        return "double precision"
    raise LoadError(f"no PostgreSQL type for the Arrow type {typ}")


_ARROW_OF: dict[str, pa.DataType] = {"text": pa.string(), "smallint": pa.int16(), "integer": pa.int32(),
             "bigint": pa.int64(), "boolean": pa.bool_(), "date": pa.date32(),
             "timestamp with time zone": pa.timestamp("us", tz="UTC"),
             "timestamp without time zone": pa.timestamp("us"),
             "double precision": pa.float64()}


def arrow_of(pg: str) -> pa.DataType | None:
    """The Arrow type a PostgreSQL type (as ``format_type`` names it) stands for; None
    when bmaparse never makes that type."""
    if pg.startswith("numeric(") and pg.endswith(")"):
        precision, _, scale = pg[len("numeric("):-1].partition(",")
        if precision.isdigit() and scale.isdigit():
            return pa.decimal128(int(precision), int(scale))
    return _ARROW_OF.get(pg)


def _stored_as(typ: pa.DataType) -> pa.DataType:
    """PostgreSQL has no one-byte integer: int8 columns are smallint, read as int16."""
    return pa.int16() if pa.types.is_int8(typ) else typ


def _type_name(field: pa.Field[Any]) -> str:
    return pg_type(field.type)


def split_target(url: str) -> tuple[str, str | None]:
    """(the URL libpq is given, the schema named by ``schema=`` or None). The other
    query parameters are passed on as written (libpq decodes ``%XX``, not ``+``)."""
    parts = urlsplit(url)
    kept, schemas = [], []
    for item in parts.query.split("&") if parts.query else []:
        key, _, value = item.partition("=")
        if unquote(key) == "schema":
            schemas.append(unquote(value))
        else:
            kept.append(item)
    if schemas and not schemas[-1]:
        raise LoadError("schema= names no schema")
    return urlunsplit(parts._replace(query="&".join(kept))), schemas[-1] if schemas else None


def load(location: str, incoming: Incoming) -> LoadSummary:
    """Load ``incoming`` into the PostgreSQL database at the URL ``location`` (see the
    module docstring); LoadError, with the database as it was, when it cannot."""
    shown = mask_password(location)
    conninfo, schema = split_target(location)
    _refuse_nul(incoming)
    conn = _connect(conninfo)
    try:
        with conn:
            return _load(conn, schema, incoming, shown)
    except psycopg.Error as exc:
        raise LoadError(f"{shown}: {_one_line(exc)}; nothing was changed") from None


def _connect(conninfo: str) -> psycopg.Connection[Any]:
    try:
        given = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error as exc:
        raise LoadError(f"not a PostgreSQL URL: {_one_line(exc)}") from None
    options: dict[str, Any] = {"client_encoding": "UTF8"}
    if "connect_timeout" not in given:
        options["connect_timeout"] = CONNECT_TIMEOUT
    if "application_name" not in given:
        options["application_name"] = "bmaparse load"
    try:
        return psycopg.connect(conninfo, **options)
    except psycopg.Error as exc:
        message = _one_line(exc)
        raise LoadError(f"cannot connect: {message}{_hint(message)}") from None


def _hint(message: str) -> str:
    if "password authentication failed" in message or "no password supplied" in message:
        return " (check the user and password in the URL)"
    if "database" in message and "does not exist" in message:
        return " (create it first: CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0)"
    if "timeout expired" in message or "Connection refused" in message or "could not translate" in message:
        return " (is the server running, and are the host and port right?)"
    return ""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text.removeprefix("connection failed: ") or type(exc).__name__


def _refuse_nul(incoming: Incoming) -> None:
    """PostgreSQL text cannot hold U+0000; convert removes it from inputs, so a folder that
    has one was not written by convert alone."""
    for name, table in incoming.tables.items():
        for field, column in zip(table.schema, table.columns, strict=True):
            if pa.types.is_string(field.type) and pc.any(
                    pc.match_substring(column, "\x00")).as_py():
                raise LoadError(f"table {name}, column {field.name} holds a NUL character, "
                                "which PostgreSQL text cannot store: convert the inputs again")


def _load(conn: psycopg.Connection[Any], schema: str | None, incoming: Incoming,
          shown: str) -> LoadSummary:
    encoding = _one(conn, "SHOW server_encoding")
    if str(encoding).upper() not in ("UTF8", "UTF-8", "UNICODE"):
        raise LoadError(
            f"{shown}: the database's server_encoding is {encoding}, which cannot hold Thai text "
            "as bmaparse writes it: load into a database created with ENCODING 'UTF8' "
            "(CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0)")
    schema = schema or _one(conn, "SELECT current_schema()")
    if not schema:
        raise LoadError(f"{shown}: the connection has no current schema (search_path): "
                        "name one with ?schema=NAME")
    latest = _latest(conn, schema)
    if latest is not None and latest[0] == incoming.folder_id:
        conn.rollback()
        return LoadSummary(target=shown, unchanged=True)
    _stage_keys(conn, incoming)
    _fast_compression(conn)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(schema),))
    if _one(conn, "SELECT oid FROM pg_namespace WHERE nspname = %s::name", (schema,)) is None:
        # (not to_regnamespace: it folds "Mixed" to mixed; ::name cuts at 63 bytes as PG does)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    evolved = _prepare(conn, schema, LOADS_TABLE, None, incoming.schema_version)
    latest = _latest(conn, schema)
    if latest is not None and latest[0] == incoming.folder_id:  # a load that went first
        conn.rollback()
        return LoadSummary(target=shown, unchanged=True)
    warehouse_version = latest[1] if latest is not None else None
    _schema.check_versions(warehouse_version, incoming.schema_version)
    for name in LOAD_ORDER:
        evolved += _prepare(conn, schema, name, warehouse_version, incoming.schema_version)
    changed = _changed_reports(conn, schema)
    done = {name: _replace(conn, schema, name, _rows_to_write(name, incoming.tables[name], changed))
            for name in LOAD_ORDER}
    conn.execute(
        sql.SQL("INSERT INTO {} (folder_id, source, schema_version, parser_version, loaded_at,"
                " reports, rows) VALUES (%s, %s, %s, %s, clock_timestamp(), %s, %s)").format(
                    sql.Identifier(schema, LOADS_TABLE)),
        (incoming.folder_id, incoming.source, incoming.schema_version, incoming.parser_version,
         incoming.tables["reports"].num_rows, sum(t.num_rows for t in incoming.tables.values())))
    conn.commit()
    return LoadSummary(target=shown, unchanged=False, tables=done, evolved=tuple(evolved))


def _fast_compression(conn: psycopg.Connection[Any]) -> None:
    """Compress this load's long values with lz4 where the server has it (PostgreSQL 14
    and later, built with lz4): loading 20,000 reports took half the time of pglz's."""
    if conn.info.server_version < 140000:
        return
    try:
        with conn.transaction():  # a savepoint: a server without lz4 refuses the SET
            conn.execute("SET LOCAL default_toast_compression = lz4")
    except psycopg.Error:
        pass


def _one(conn: psycopg.Connection[Any], query: str, params: Sequence[Any] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _lock_key(schema: str) -> int:
    """A bigint advisory-lock key of its own for loads into ``schema``."""
    digest = hashlib.sha256(f"bmaparse load {schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _latest(conn: psycopg.Connection[Any], schema: str) -> tuple[str, str] | None:
    """(folder_id, schema_version) of the latest load into ``schema``; None: none (or a
    loads table altered by hand, which ``_prepare`` then refuses)."""
    live = _columns(conn, schema, LOADS_TABLE)
    if live is None or not {"folder_id", "schema_version", "loaded_at"} <= {n for n, _ in live}:
        return None
    row = conn.execute(sql.SQL("SELECT folder_id, schema_version FROM {} ORDER BY loaded_at DESC"
                               " LIMIT 1").format(sql.Identifier(schema, LOADS_TABLE))).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def _columns(conn: psycopg.Connection[Any], schema: str, table: str) -> list[tuple[str, str]] | None:
    """The live table's columns as (name, format_type); None when there is no such table."""
    oid = _one(conn, "SELECT to_regclass(%s)::oid", (f'"{_quote(schema)}"."{_quote(table)}"',))
    if oid is None:
        return None
    rows = conn.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                        " WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                        (oid,)).fetchall()
    return [(str(name), str(typ)) for name, typ in rows]


def _quote(name: str) -> str:
    return name.replace('"', '""')


def _prepare(conn: psycopg.Connection[Any], schema: str, table: str,
             warehouse_version: str | None, folder_version: str) -> list[str]:
    """Create ``table`` when missing, else check it and add the columns a newer schema
    has; the added columns as ``table.column``."""
    declared = _schema.schema_of(table)
    live = _columns(conn, schema, table)
    if live is None:
        _create(conn, schema, table, declared)
        return []
    added = _schema.check(table, [(name, arrow_of(typ), typ) for name, typ in live],
                          warehouse_version, folder_version, stored_as=_stored_as,
                          type_name=_type_name)
    target = sql.Identifier(schema, table)
    for name in added:
        field = declared.field(name)
        conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
            target, sql.Identifier(name), sql.SQL(pg_type(field.type))))
        _comment_column(conn, schema, table, field)
    return [f"{table}.{name}" for name in added]


def _create(conn: psycopg.Connection[Any], schema: str, table: str, declared: pa.Schema) -> None:
    columns = [sql.SQL("{} {}{}").format(sql.Identifier(f.name), sql.SQL(pg_type(f.type)),
                                          sql.SQL("" if f.nullable else " NOT NULL"))
               for f in declared]
    keys = TABLE_KEYS.get(table, ())
    if keys:
        key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
        if all(not declared.field(k).nullable for k in keys):
            columns.append(sql.SQL("PRIMARY KEY ({})").format(key_list))
        elif conn.info.server_version >= 150000:
            columns.append(sql.SQL("UNIQUE NULLS NOT DISTINCT ({})").format(key_list))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(schema, table),
                                                        sql.SQL(", ").join(columns)))
    description = (declared.metadata or {}).get(b"description", b"").decode()
    if description:
        conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(
            sql.Identifier(schema, table), sql.Literal(description)))
    for field in declared:
        _comment_column(conn, schema, table, field)


def _comment_column(conn: psycopg.Connection[Any], schema: str, table: str,
                    field: pa.Field[Any]) -> None:
    meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
    text = meta.get("description", "")
    if meta.get("label_th"):
        text = f"{text} ({meta['label_th']})" if text else meta["label_th"]
    if text:
        conn.execute(sql.SQL("COMMENT ON COLUMN {} IS {}").format(
            sql.Identifier(schema, table, field.name), sql.Literal(text)))


_KEYS_STAGED = {"report": ("reports", "report_key"), "project": ("projects", "project_id"),
                "kpi": ("kpi_results", "kpi_key")}
"""How a table's rows are replaced -> (the folder's table, column) whose values name them."""

_PARSE = ("report_key", "source_path", "source_sha256", "source_line_start", "source_line_end",
          "parser_version", "schema_version")
"""The columns of ``reports`` that say which parse made a report's rows: the same text
(key) at the same place of the same bytes, read by the same parser into the same schema
gives the same rows in every table, so such a report is not written again."""


def _stage_keys(conn: psycopg.Connection[Any], incoming: Incoming) -> None:
    """What the deletes join with, into TEMP tables (dropped at the end of the
    transaction): the folder's reports (the ``_PARSE`` columns), project ids, KPI keys
    and input paths."""
    reports = incoming.tables["reports"].select(list(_PARSE))
    _copy(conn, sql.Identifier(_STAGE + "parse"), reports, create=True)
    for table, column in list(_KEYS_STAGED.values())[1:]:
        values = pc.unique(incoming.tables[table].column(column)).drop_null()
        _copy(conn, sql.Identifier(_STAGE + column), pa.table([values], names=[column]),
              create=True)
    paths = pa.table({"source_path": pa.array(sorted(incoming.source_paths), pa.string())})
    _copy(conn, sql.Identifier(_STAGE + "source_path"), paths, create=True)
    for name in ("parse", "project_id", "kpi_key", "source_path"):
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier("pg_temp", _STAGE + name)))


def _changed_reports(conn: psycopg.Connection[Any], schema: str) -> pa.Array[Any]:
    """The folder's report keys that are not in ``reports`` as the same parse (``_PARSE``),
    into the TEMP table the report deletes join with; and as an array."""
    same = sql.SQL(" AND ").join(
        sql.SQL("r.{} IS NOT DISTINCT FROM s.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in _PARSE)
    conn.execute(sql.SQL(
        "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT s.report_key FROM {} s WHERE NOT EXISTS"
        " (SELECT 1 FROM {} r WHERE r.report_key = s.report_key AND {})").format(
            sql.Identifier(_STAGE + "report_key"), sql.Identifier("pg_temp", _STAGE + "parse"),
            sql.Identifier(schema, "reports"), same))
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier("pg_temp", _STAGE + "report_key")))
    keys = conn.execute(sql.SQL("SELECT report_key FROM {}").format(
        sql.Identifier("pg_temp", _STAGE + "report_key"))).fetchall()
    return pa.array([key for (key,) in keys], pa.string())


def _rows_to_write(name: str, table: pa.Table, changed: pa.Array[Any]) -> pa.Table:
    """The folder's rows of ``name`` a load writes: of a table replaced per report, only
    the rows of the changed reports (and, of ``diagnostics``, the file-level rows)."""
    how = REPLACED_BY[name]
    if how not in ("report", "diagnostics"):
        return table
    keep = pc.is_in(table.column("report_key"), value_set=changed)
    if how == "diagnostics":
        keep = pc.or_(keep, pc.is_null(table.column("report_key")))
    return table.filter(keep)


def _copy(conn: psycopg.Connection[Any], name: sql.Identifier, table: pa.Table, *,
          create: bool = False) -> int:
    """COPY ``table``'s rows into the table ``name`` (a TEMP one made first with
    ``create``): CSV written by pyarrow a batch at a time. The rows copied."""
    if create:
        columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(pg_type(f.type)))
                                     for f in table.schema)
        conn.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(name, columns))
    names = sql.SQL(", ").join(map(sql.Identifier, table.schema.names))
    options = pacsv.WriteOptions(include_header=False)
    with conn.cursor() as cur:
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(name, names)) as copy:
            for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
                sink = pa.BufferOutputStream()
                pacsv.write_csv(batch, sink, options)
                copy.write(memoryview(sink.getvalue()))
        return max(cur.rowcount, 0)


def _replace(conn: psycopg.Connection[Any], schema: str, name: str, table: pa.Table) -> TableLoad:
    """Delete the rows of ``name`` the folder replaces, copy the folder's rows in."""
    target = sql.Identifier(schema, name)
    deleted = 0
    for where in _replaced_rows(name):
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DELETE FROM {} {}").format(target, where))
            deleted += max(cur.rowcount, 0)
    return TableLoad(deleted=deleted, inserted=_copy(conn, target, table))


def _replaced_rows(table: str) -> Iterable[sql.Composable]:
    """The WHERE clauses (one DELETE each) of the rows a load of ``table`` replaces."""
    def keyed(column: str) -> sql.Composable:
        return sql.SQL("WHERE {} IN (SELECT {} FROM {})").format(
            sql.Identifier(column), sql.Identifier(column),
            sql.Identifier("pg_temp", _STAGE + column))

    how = REPLACED_BY[table]
    if how == "whole":
        return [sql.SQL("")]
    if how == "diagnostics":
        return [keyed("report_key"), sql.SQL(
            "WHERE report_key IS NULL AND source_path IN (SELECT source_path FROM {})").format(
                sql.Identifier("pg_temp", _STAGE + "source_path"))]
    return [keyed(_KEYS_STAGED[how][1])]
