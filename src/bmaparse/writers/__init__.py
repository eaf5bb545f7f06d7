"""Writers: Arrow tables in, Parquet / CSV / JSON Lines / DuckDB out.

Strategy: a ``Sink`` receives batches (table name -> ``pa.Table``) and streams
them into staged files inside the output folder; ``close()`` stages them for
the run's commit (or, on a sink of its own, moves them into place), ``abort()``
(or a crash) leaves the previous output as it was. A sink owns the tables in the ``schemas`` it was opened with and
writes every one of them, with no rows if it got none; other outputs in the
folder are left alone. Writers see only Arrow schemas and tables, never the
Report model. Each format module is imported on first use, so duckdb is
loaded only for the duckdb format.

>>> sink = open_sink("parquet", out, SCHEMAS)
>>> try:
...     for batch in batches:
...         sink.write(batch)
...     paths = sink.close()
... except BaseException:
...     sink.abort()
...     raise
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Protocol

import pyarrow as pa

from .._formats import FORMATS
from ._atomic import (
    FILE_LEVEL_TABLE,
    Staging,
    clean_stale_temporaries,
    conform,
    recover,
    subschema,
)

_SUFFIXES = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}
DATABASE = "bmaparse.duckdb"
"""The duckdb format's one file (all tables)."""
DATABASE_WAL = DATABASE + ".wal"
"""DuckDB's write-ahead log beside it: a run's commit removes one left by another
session, which would not match the new database."""


def output_names(tables: Iterable[str]) -> frozenset[str]:
    """Every file name a run can write for ``tables``, in any format: what a later
    run may remove as the output of another format, and nothing else."""
    return frozenset({f"{t}{suffix}" for t in tables for suffix in _SUFFIXES.values()}
                     | {DATABASE, DATABASE_WAL})


_SINK_CLASSES = {"parquet": "ParquetSink", "csv": "CsvSink", "jsonl": "JsonlSink",
                 "duckdb": "DuckDBSink"}


def _format(fmt: str) -> ModuleType:
    """The writer module of ``fmt``, imported on first use (duckdb only when asked for)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return importlib.import_module(f"{__name__}.{fmt}")

__all__ = ("DATABASE", "DATABASE_WAL", "FILE_LEVEL_TABLE", "FORMATS", "Sink", "Staging", "clean_stale_temporaries",
           "finish_database", "open_sink", "output_names", "read_existing", "recover")


class Sink(Protocol):
    """Where ``convert`` sends its tables."""

    def write(self, tables: Mapping[str, pa.Table]) -> None:
        """Append one batch; a missing key means no rows for that table. A table must
        have its schema's columns (any order; types are cast) or ValueError."""

    def drop_file_level(self, paths: Iterable[str]) -> int:
        """Leave out the previous output's (``append``) file-level diagnostics
        (``FILE_LEVEL_TABLE`` rows with ``report_key`` null) of the inputs ``paths``,
        which this run read again: their new rows replace them. Call it before
        writing those inputs' rows; returns how many rows it leaves out (each once)."""

    def close(self) -> dict[str, str]:
        """Finish and move every output into place; table -> final path (for duckdb
        the database file). The sink cannot be used afterwards."""

    def abort(self) -> None:
        """Remove the temporary files; the previous output stays intact. Idempotent,
        and a no-op after close()."""


def open_sink(fmt: str, out_dir: str | Path, schemas: Mapping[str, pa.Schema], *,
              append: bool = False, staging: Staging | None = None) -> Sink:
    """A sink writing ``schemas``' tables into ``out_dir`` (created if missing) as
    ``fmt``. ``append=True``: each table's new output is its existing rows (when
    there are any) followed by the new ones; ValueError if the existing columns
    differ from the schema (a schema change needs a full rewrite);
    ``drop_file_level`` then leaves out old file-level diagnostics. With
    ``staging`` (a run's ``Staging``), ``close()`` stages the files for the run's
    ``staging.commit()``; without, the sink commits its own files on ``close()``."""
    module = _format(fmt)
    sink: Sink = getattr(module, _SINK_CLASSES[fmt])(Path(out_dir), schemas, append=append,
                                                     staging=staging)
    return sink


def read_existing(fmt: str, out_dir: str | Path, table: str, schema: pa.Schema,
                  columns: Sequence[str] | None = None) -> pa.Table | None:
    """A table a previous run wrote into ``out_dir`` (None when absent), typed by
    ``schema``; only ``columns`` when given (in that order). The format module's
    ``read_existing(path, table, target)`` reads the file that is there (None: it
    holds no such table) with the columns of ``target``; this conforms the result."""
    names = list(columns) if columns is not None else None
    if names is not None and (unknown := [n for n in names if n not in schema.names]):
        raise ValueError(f"columns {unknown} are not in the {table!r} schema")
    read: Callable[[Path, str, pa.Schema], pa.Table | None] = _format(fmt).read_existing
    path = Path(out_dir) / (DATABASE if fmt == "duckdb" else table + _SUFFIXES[fmt])
    if not path.is_file():
        return None
    target = subschema(schema, names or schema.names)
    data = read(path, table, target)
    return None if data is None else conform(data, target, table)


def finish_database(path: str | Path, keys: Mapping[str, Sequence[str]],
                    views: Mapping[str, str]) -> None:
    """Declare primary keys (table -> key columns; a table that has one keeps it) and
    create or replace views (name -> SELECT) in the DuckDB database at ``path`` (a
    run's staged database, once its sinks are closed)."""
    _format("duckdb").finish(Path(path), keys, views)
