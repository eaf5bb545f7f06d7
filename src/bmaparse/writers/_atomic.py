"""Atomic output: staging folders, fsync + rename, and the base of the file sinks.

Strategy: a sink writes everything into one staging folder inside the output
folder, ``OUT/.bmaparse-tmp-<pid>-<random>/``, so that temporary names are
obviously temporary and a rename into place never crosses a file system. On
close every staged file is fsynced, then each is ``os.replace``d over its final
name and the output folder is fsynced: a reader sees either the old file or the
new one, never half of one (each file is atomic on its own; the set is not, so
``batch`` writes its manifest last). A killed process leaves only its staging
folder, which ``clean_stale_temporaries`` removes once that process is gone.
A sink owns the tables in its ``schemas`` and touches no other output.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

TMP_PREFIX = ".bmaparse-tmp-"
_TMP_NAME = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")


class Staging:
    """A private folder inside ``out_dir`` whose files become final at ``commit``."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.dir = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=out_dir))

    def path(self, name: str) -> Path:
        return self.dir / name

    def commit(self, names: list[str]) -> dict[str, str]:
        """fsync every staged file, rename each over its final name; name -> final path."""
        for name in names:
            _fsync(self.dir / name)
        for name in names:
            os.replace(self.dir / name, self.out_dir / name)
        _fsync(self.out_dir, directory=True)
        self.discard()
        return {name: str(self.out_dir / name) for name in names}

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _fsync(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # not possible everywhere (Windows); the files are synced
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_stale_temporaries(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove staging folders left in ``out_dir`` by processes that no longer run
    (assumes one host); returns what was removed. Live sinks are left alone."""
    root, removed = Path(out_dir), list[Path]()
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        match = _TMP_NAME.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or we cannot tell: leave it
    return True


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
    ``_finish`` (flush and close one table) and ``_release`` (close handles)."""

    suffix = ""

    def __init__(self, out_dir: Path, schemas: Mapping[str, pa.Schema], *, append: bool) -> None:
        self.schemas = dict(schemas)
        self._staging = Staging(out_dir)
        self._done = False
        try:
            for name, schema in self.schemas.items():
                old = out_dir / (name + self.suffix)
                self._open(name, schema, self._staging.path(name + self.suffix),
                           old if append and old.is_file() else None)
        except BaseException:
            self.abort()
            raise

    def write(self, tables: Mapping[str, pa.Table]) -> None:
        """Append one batch; a table missing from ``tables`` gets no rows."""
        for name, table in conformed_batch(tables, self.schemas, self._done):
            self._append(name, table)

    def close(self) -> dict[str, str]:
        """Finish every table and move it into place; table -> final path."""
        if self._done:
            raise RuntimeError("close() on a sink that is closed or aborted")
        try:
            for name in self.schemas:
                self._finish(name)
            paths = self._staging.commit([name + self.suffix for name in self.schemas])
        except BaseException:
            self.abort()
            raise
        self._done = True
        return {name: paths[name + self.suffix] for name in self.schemas}

    def abort(self) -> None:
        """Drop the staged files; the previous output stays as it was."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(Exception):
            self._release()
        self._staging.discard()

    def _open(self, name: str, schema: pa.Schema, path: Path, old: Path | None) -> None:
        raise NotImplementedError

    def _append(self, name: str, table: pa.Table) -> None:
        raise NotImplementedError

    def _finish(self, name: str) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError
