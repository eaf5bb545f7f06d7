"""DuckDB writer: real, typed tables in one database file ``OUT/bmaparse.duckdb``.

Strategy: the sink works on a staged copy of the database: it copies the
existing file into its staging folder when it must keep something from it
(``append``, or tables it does not own), else starts an empty one. Each table
in ``schemas`` is created from the Arrow schema (``DECIMAL(18,2)``, ``DATE``,
``SMALLINT``, ``TINYINT``, ``INTEGER``, ``VARCHAR``, ``BOOLEAN``; ``NOT NULL``
where the schema says so; descriptions and Thai labels as column comments)
unless appending to a table that already has exactly those columns. Batches
are inserted straight from Arrow (DuckDB scans the registered table). close()
checkpoints, closes and stages the file (the run's commit renames it over the
old one; a second sink of the same run, ``projects``, continues the staged
file). The existing database is always opened first (read-only; read-write to
checkpoint a write-ahead log that a crashed session left, whose tables would
be lost otherwise), so one that another process holds is refused before
anything is written. ``drop_file_level`` deletes the previous file-level
diagnostics of inputs read again as soon as it is told of them (before their
new rows are inserted: the run's collector calls it first), knowing from the
open which inputs have any. ``finish`` declares primary keys and creates views on the
staged file once every sink of the run is closed. DuckDB's
errors (a lock, a full disk) become ``OutputError``: one line naming the file. duckdb is imported
only here, and this module only when the duckdb format is asked for.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import OutputError
from . import DATABASE, DATABASE_WAL
from ._atomic import FILE_LEVEL_TABLE, Staging, conformed_batch


def sql_type(typ: pa.DataType) -> str:
    """The DuckDB type of an Arrow type used in the schemas."""
    if pa.types.is_decimal(typ):
        return f"DECIMAL({typ.precision},{typ.scale})"
    names = {pa.string(): "VARCHAR", pa.date32(): "DATE", pa.bool_(): "BOOLEAN",
             pa.int8(): "TINYINT", pa.int16(): "SMALLINT", pa.int32(): "INTEGER",
             pa.int64(): "BIGINT"}
    if typ not in names:
        raise ValueError(f"no DuckDB type for Arrow type {typ}")
    return names[typ]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: Any, table: str) -> list[tuple[str, str]] | None:
    rows = con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                       "WHERE table_name = ? ORDER BY column_index", [table]).fetchall()
    return [(str(n), str(t)) for n, t in rows] or None


class DuckDBSink:
    def __init__(self, out_dir: Path, schemas: Mapping[str, pa.Schema], *, append: bool,
                 staging: Staging | None = None) -> None:
        self.schemas = dict(schemas)
        self._own = staging is None
        self._staging = staging or Staging(out_dir)
        self._done = False
        self.path = out_dir / DATABASE
        self._earlier: Counter[str] = Counter()
        """Input -> the previous output's file-level diagnostics of it not dropped (yet)."""
        try:
            with _clear_errors(self.path):
                self._con: Any = duckdb.connect(os.path.abspath(self._start(append)))
                for name, schema in self.schemas.items():
                    want = [(f.name, sql_type(f.type)) for f in schema]
                    have = _columns(self._con, name)
                    if append and have is not None:
                        if have != want:
                            raise ValueError(f"cannot append to table {name!r} of {self.path}: "
                                             f"its columns are {have}, expected {want}")
                        if name == FILE_LEVEL_TABLE:
                            self._earlier = Counter(dict(self._con.execute(
                                f"SELECT source_path, count(*) FROM {_q(name)} WHERE report_key"
                                " IS NULL AND source_path IS NOT NULL GROUP BY ALL").fetchall()))
                        continue
                    self._create(name, schema)
        except BaseException:
            self.abort()
            raise

    def _start(self, append: bool) -> Path:
        """The staged database to write: the one this run already staged (``projects``
        after the other tables), else a copy of the existing one when something of it
        is kept (``append``, tables this sink does not own), else a new file. The
        existing database is opened first in any case, so that one another process
        holds is refused before anything is written."""
        tmp = self._staging.path(DATABASE)
        if DATABASE in self._staging.staged:
            return tmp
        if self.path.is_file() and self.path.with_name(DATABASE_WAL).exists():
            _checkpoint(self.path)  # a session that ended without one: its log is its data
        if self.path.is_file() and (_others(self.path, self.schemas) or append):
            shutil.copyfile(self.path, tmp)
        return tmp

    def _create(self, name: str, schema: pa.Schema) -> None:
        cols = ", ".join(f"{_q(f.name)} {sql_type(f.type)}{'' if f.nullable else ' NOT NULL'}"
                         for f in schema)
        self._con.execute(f"CREATE OR REPLACE TABLE {_q(name)} ({cols})")
        for f in schema:
            meta = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
            comment = meta.get("description", "") + (f" [{meta['label_th']}]" if "label_th" in meta
                                                  else "")
            self._con.execute(f"COMMENT ON COLUMN {_q(name)}.{_q(f.name)} IS {_lit(comment)}")
        description = (schema.metadata or {}).get(b"description", b"").decode()
        self._con.execute(f"COMMENT ON TABLE {_q(name)} IS {_lit(description)}")

    def write(self, tables: Mapping[str, pa.Table]) -> None:
        """Append one batch; a table missing from ``tables`` gets no rows."""
        for name, batch in conformed_batch(tables, self.schemas, self._done):
            cols = ", ".join(_q(n) for n in batch.column_names)
            self._con.register("_bmaparse_batch", batch)
            try:
                with _clear_errors(self.path):
                    self._con.execute(f"INSERT INTO {_q(name)} ({cols}) "
                                      f"SELECT {cols} FROM _bmaparse_batch")
            finally:
                self._con.unregister("_bmaparse_batch")

    def drop_file_level(self, paths: Iterable[str]) -> int:
        """Delete the previous output's file-level diagnostics of the inputs ``paths``
        (read again by this run: their new rows replace them); how many rows that
        deletes. Called before this run's rows of ``paths`` are written (which would
        be deleted too)."""
        if self._done:
            raise RuntimeError("drop_file_level() on a sink that is closed or aborted")
        hits = sorted(set(paths).intersection(self._earlier))
        if not hits:
            return 0
        with _clear_errors(self.path):
            self._con.execute(f"DELETE FROM {_q(FILE_LEVEL_TABLE)} WHERE report_key IS NULL"
                              " AND list_contains(?, source_path)", [hits])
        return sum(self._earlier.pop(path) for path in hits)

    def close(self) -> dict[str, str]:
        """Checkpoint and stage the database (or, on a sink of its own, move it into
        place); table -> database path."""
        if self._done:
            raise RuntimeError("close() on a sink that is closed or aborted")
        try:
            with _clear_errors(self.path):
                self._con.execute("CHECKPOINT")
                self._con.close()
            path = self._staging.stage([DATABASE])[DATABASE]
            if self._own:
                self._staging.commit()
        except BaseException:
            self.abort()
            raise
        self._done = True
        return dict.fromkeys(self.schemas, path)

    def abort(self) -> None:
        """Drop the staged database; the previous one stays as it was."""
        if self._done:
            return
        self._done = True
        con = getattr(self, "_con", None)
        if con is not None:
            with contextlib.suppress(Exception):  # must not hide the cause of the abort
                con.close()
        if self._own:
            self._staging.discard()


@contextlib.contextmanager
def _clear_errors(path: Path) -> Iterator[None]:
    """DuckDB's errors as ``OutputError``: one line that names the database (a lock
    held by another process, a full disk), never a DuckDB traceback."""
    try:
        yield
    except duckdb.Error as exc:
        detail = " ".join(str(exc).split())
        if "lock" in detail.lower():
            raise OutputError(f"the database {path} is in use by another process; close it"
                              f" and run again ({detail})") from None
        raise OutputError(f"writing the database {path} failed: {detail}") from None


def finish(path: Path, keys: Mapping[str, Sequence[str]], views: Mapping[str, str]) -> None:
    """Primary keys and views in the database ``path`` (see ``writers.finish_database``)."""
    with _clear_errors(path), duckdb.connect(os.path.abspath(path)) as con:
        keyed = {str(t) for (t,) in con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()}
        for table, columns in keys.items():
            if table not in keyed:
                con.execute(f"ALTER TABLE {_q(table)} ADD PRIMARY KEY"
                            f" ({', '.join(map(_q, columns))})")
        for name, select in views.items():
            con.execute(f"CREATE OR REPLACE VIEW {_q(name)} AS {select}")
        con.execute("CHECKPOINT")


def _checkpoint(path: Path) -> None:
    """Write what the database's write-ahead log holds into its file (a session that
    crashed left it), so that the copy a run keeps has it; DuckDB removes the log."""
    with _clear_errors(path), duckdb.connect(os.path.abspath(path)) as con:
        con.execute("CHECKPOINT")


def _others(path: Path, schemas: Mapping[str, pa.Schema]) -> bool:
    """Does the database at ``path`` hold tables this sink does not own?"""
    with _clear_errors(path), duckdb.connect(os.path.abspath(path), read_only=True) as con:
        names = {str(n) for (n,) in con.execute("SELECT table_name FROM duckdb_tables()")
                 .fetchall()}
    return bool(names - set(schemas))


def read_existing(path: Path, table: str, target: pa.Schema) -> pa.Table | None:
    """The columns of ``target`` of ``table`` in the database ``path``, None when it has
    no such table (see ``writers.read_existing``)."""
    with _clear_errors(path), duckdb.connect(os.path.abspath(path), read_only=True) as con:
        if _columns(con, table) is None:
            return None
        data: pa.Table = con.sql(f"SELECT {', '.join(_q(n) for n in target.names)} "
                                 f"FROM {_q(table)}").to_arrow_table()
    return data
