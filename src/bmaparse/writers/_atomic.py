"""The base of the file sinks: conforming batches to schemas, staged files per table.

Strategy: a sink writes each table into a file of the run's staging folder
(``bmaparse._commit.Staging``) and only *stages* it on ``close()``; the run
commits all its files together. A sink opened without a staging folder makes
its own and commits it on ``close()``. A sink owns the tables in its
``schemas`` and touches no other output.

An appending sink keeps the previous output's rows, streamed into the staged
file when the table is opened. The file-level diagnostics (``diagnostics`` rows
with ``report_key`` null) of an input the run reads again are replaced by the
run's own (``drop_file_level``), and which inputs that are is known only as the
run goes: so the sink counts, when it opens the table, the previous output's
file-level rows per input (a few per failing input: memory grows with those,
not with the archive), and only if some of them are dropped, rewrites the staged
``diagnostics`` file once in ``close()``, streaming it and leaving out the rows
dropped among the previous output's (``_rewrite``: the format's own record
boundaries; csv and jsonl copy every kept row's bytes).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa

from .._commit import Staging, clean_stale_temporaries, recover

__all__ = ("FILE_LEVEL_TABLE", "FileSink", "Staging", "clean_stale_temporaries", "conform",
           "conformed_batch", "recover", "subschema")


FILE_LEVEL_TABLE = "diagnostics"
"""The table whose rows with ``report_key`` null are about a whole input (file-level),
keyed by ``source_path``: an appending sink's ``drop_file_level`` replaces them."""


def subschema(schema: pa.Schema, names: list[str]) -> pa.Schema:
    """The fields ``names`` of ``schema``, in that order, with its metadata."""
    return pa.schema([schema.field(n) for n in names]).with_metadata(schema.metadata or {})


def conform(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
    """``table`` with exactly ``schema`` (same column set, castable types, the schema's
    metadata); ValueError when it does not match."""
    if sorted(table.column_names) != sorted(schema.names):
        raise ValueError(f"table {name!r} has columns {table.column_names}, "
                         f"expected {schema.names}")
    table = table.select(schema.names)
    try:
        if not table.schema.equals(schema):
            table = table.cast(schema)
        return pa.Table.from_arrays(table.columns, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise ValueError(f"table {name!r} does not match its schema: {exc}") from exc


def conformed_batch(
    tables: Mapping[str, pa.Table], schemas: Mapping[str, pa.Schema], done: bool
) -> list[tuple[str, pa.Table]]:
    """One batch for a sink: its non-empty tables, checked against the sink's
    tables and conformed to their schemas (what every sink's ``write`` does first)."""
    if done:
        raise RuntimeError("write() on a sink that is closed or aborted")
    batch = []
    for name, table in tables.items():
        if name not in schemas:
            raise ValueError(f"unknown table {name!r}; this sink writes {list(schemas)}")
        if table.num_rows:
            batch.append((name, conform(table, schemas[name], name)))
    return batch


class FileSink:
    """One staged file per table: ``<table><suffix>``. Subclasses implement
    ``_open`` (start a table, stream ``old`` into it when appending), ``_append``,
    ``_finish`` (flush and close one table) and ``_release`` (close handles);
    for ``drop_file_level``, ``_file_level`` (the previous file's file-level rows
    per input, and where its rows end) and ``_rewrite`` (the staged file without
    some of them). With ``staging`` (the run's), ``close()`` only stages the files
    for the run's commit; without, the sink commits its own."""

    suffix = ""

    def __init__(self, out_dir: Path, schemas: Mapping[str, pa.Schema], *, append: bool,
                 staging: Staging | None = None) -> None:
        self.schemas = dict(schemas)
        self._own = staging is None
        self._staging = staging or Staging(out_dir)
        self._done = False
        self._earlier: Counter[str] = Counter()
        """Input -> the previous output's file-level rows of it not dropped (yet)."""
        self._dropped: set[str] = set()
        self._old_end = 0
        """Where the previous output's rows end in the staged file (the format's unit)."""
        try:
            for name, schema in self.schemas.items():
                previous = out_dir / (name + self.suffix)
                old = previous if append and previous.is_file() else None
                self._open(name, schema, self._staging.path(name + self.suffix), old)
                if name == FILE_LEVEL_TABLE and old is not None:
                    self._earlier, self._old_end = self._file_level(old)
        except BaseException:
            self.abort()
            raise

    def write(self, tables: Mapping[str, pa.Table]) -> None:
        """Append one batch; a table missing from ``tables`` gets no rows."""
        for name, table in conformed_batch(tables, self.schemas, self._done):
            self._append(name, table)

    def drop_file_level(self, paths: Iterable[str]) -> int:
        """Leave out of the new output the previous output's file-level diagnostics
        of the inputs ``paths`` (read again by this run: their new rows replace
        them); how many rows that leaves out (not counted twice). Rows written
        through this sink are never dropped."""
        if self._done:
            raise RuntimeError("drop_file_level() on a sink that is closed or aborted")
        rows = 0
        for path in set(paths).intersection(self._earlier):
            rows += self._earlier.pop(path)
            self._dropped.add(path)
        return rows

    def close(self) -> dict[str, str]:
        """Finish every table and stage it (or, on a sink of its own, move it into
        place); table -> final path."""
        if self._done:
            raise RuntimeError("close() on a sink that is closed or aborted")
        try:
            for name in self.schemas:
                self._finish(name)
                if name == FILE_LEVEL_TABLE and self._dropped:
                    staged = self._staging.path(name + self.suffix)
                    rewritten = self._staging.path(f".{name}.rewritten{self.suffix}")
                    self._rewrite(self.schemas[name], staged, rewritten)
                    os.replace(rewritten, staged)
            names = [name + self.suffix for name in self.schemas]
            paths = self._staging.stage(names)
            if self._own:
                self._staging.commit()
        except BaseException:
            self.abort()
            raise
        self._done = True
        return {name: paths[name + self.suffix] for name in self.schemas}

    def abort(self) -> None:
        """Drop the staged files; the previous output stays as it was. On the run's
        staging, the run discards the folder as a whole."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(Exception):
            self._release()
        if self._own:
            self._staging.discard()

    def _open(self, name: str, schema: pa.Schema, path: Path, old: Path | None) -> None:
        raise NotImplementedError

    def _append(self, name: str, table: pa.Table) -> None:
        raise NotImplementedError

    def _finish(self, name: str) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def _file_level(self, old: Path) -> tuple[Counter[str], int]:
        """The file-level rows of the previous file ``old`` per ``source_path``, and
        where its rows end in the staged file."""
        raise NotImplementedError

    def _rewrite(self, schema: pa.Schema, staged: Path, target: Path) -> None:
        """Write to ``target`` the finished ``staged`` file without the file-level rows
        of the inputs in ``self._dropped`` among its first (previous) rows, up to
        ``self._old_end``; every other row as it is, in order."""
        raise NotImplementedError
