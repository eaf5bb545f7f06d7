"""Parquet writer: ``OUT/<table>.parquet``, zstd, the exact Arrow schema.

Strategy: one ``pq.ParquetWriter`` per table, opened on a staged file. Batches
are buffered per table and written as row groups of ``ROW_GROUP_ROWS`` rows
(or fewer when the buffer passes ``ROW_GROUP_BYTES``), so small batches do not
make small row groups; when all the buffers together pass ``BUFFER_BYTES`` the
largest is written out whole, so memory stays flat however many tables fill
slowly (a table with a few bytes per report would otherwise hold its bound only
after tens of thousands of reports). The Arrow schema (with field
descriptions and Thai labels) is stored in the file, and the schema metadata
(``schema_version``, ``table``) lands in Parquet's key-value metadata. When
appending, the old file is read row group by row group into the same buffer;
the rewrite that drops replaced file-level diagnostics (``FileSink``) goes row
group by row group too, filtering the previous output's rows by their index.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._atomic import FILE_LEVEL_TABLE, FileSink, Staging, conform

ROW_GROUP_ROWS = 65_536
ROW_GROUP_BYTES = 8 << 20
BUFFER_BYTES = 16 << 20
"""Bytes buffered over all tables at most (then the largest buffer is written)."""


class ParquetSink(FileSink):
    suffix = ".parquet"

    def __init__(self, out_dir: Path, schemas: Mapping[str, pa.Schema], *, append: bool,
                 staging: Staging | None = None) -> None:
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._buffers: dict[str, list[pa.Table]] = {}
        self._sizes: dict[str, tuple[int, int]] = {}  # buffered (rows, bytes)
        super().__init__(out_dir, schemas, append=append, staging=staging)

    def _open(self, name: str, schema: pa.Schema, path: Path, old: Path | None) -> None:
        self._writers[name] = pq.ParquetWriter(os.path.abspath(path), schema, compression="zstd")
        self._buffers[name], self._sizes[name] = [], (0, 0)
        if old is not None:
            with pq.ParquetFile(os.path.abspath(old)) as source:
                for i in range(source.num_row_groups):
                    self._append(name, conform(source.read_row_group(i), schema, name))

    def _append(self, name: str, table: pa.Table) -> None:
        self._buffers[name].append(table)
        rows, nbytes = self._sizes[name]
        rows, nbytes = rows + table.num_rows, nbytes + table.nbytes
        self._sizes[name] = rows, nbytes
        if rows >= ROW_GROUP_ROWS or nbytes >= ROW_GROUP_BYTES:
            self._flush(name, final=False)
        if sum(size for _, size in self._sizes.values()) >= BUFFER_BYTES:
            self._flush(max(self._sizes, key=lambda n: self._sizes[n][1]), final=True)

    def _flush(self, name: str, *, final: bool) -> None:
        buffer, writer = self._buffers[name], self._writers[name]
        if not buffer:
            return
        data = pa.concat_tables(buffer)
        step = ROW_GROUP_ROWS
        if data.nbytes >= ROW_GROUP_BYTES:  # wide rows: smaller groups, same byte bound
            step = max(1, data.num_rows * ROW_GROUP_BYTES // max(1, data.nbytes))
        whole = data.num_rows if final else data.num_rows - data.num_rows % step
        for start in range(0, whole, step):
            writer.write_table(data.slice(start, min(step, whole - start)))
        rest = data.slice(whole)
        self._buffers[name] = [rest] if rest.num_rows else []
        self._sizes[name] = rest.num_rows, rest.nbytes

    def _finish(self, name: str) -> None:
        self._flush(name, final=True)
        self._writers.pop(name).close()

    def _release(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers, self._buffers = {}, {}

    def _file_level(self, old: Path) -> tuple[Counter[str], int]:
        counts: Counter[str] = Counter()
        with pq.ParquetFile(os.path.abspath(old)) as source:
            for batch in source.iter_batches(columns=["report_key", "source_path"]):
                paths = batch["source_path"].filter(pc.is_null(batch["report_key"]))
                counts.update(p for p in paths.to_pylist() if p is not None)
            return counts, source.metadata.num_rows

    def _rewrite(self, schema: pa.Schema, staged: Path, target: Path) -> None:
        dropped = pa.array(sorted(self._dropped), pa.string())
        with pq.ParquetFile(os.path.abspath(staged)) as source, \
                pq.ParquetWriter(os.path.abspath(target), schema, compression="zstd") as writer:
            start = 0
            for i in range(source.num_row_groups):
                group = conform(source.read_row_group(i), schema, FILE_LEVEL_TABLE)
                old = min(max(self._old_end - start, 0), group.num_rows)
                start += group.num_rows
                if old:
                    head = group.slice(0, old)
                    hit: Any = pc.is_in(head["source_path"], value_set=dropped)
                    stale = pc.and_(pc.is_null(head["report_key"]), pc.fill_null(hit, False))
                    group = pa.concat_tables([head.filter(pc.invert(stale)), group.slice(old)])
                if group.num_rows:
                    writer.write_table(group)


def read_existing(path: Path, table: str, target: pa.Schema) -> pa.Table:
    """The columns of ``target`` of the table file ``path`` (see ``writers.read_existing``)."""
    return pq.read_table(os.path.abspath(path), columns=target.names)  # "md:x/..." is no URI
