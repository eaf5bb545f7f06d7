"""JSON Lines writer: ``OUT/<table>.jsonl``, one object per row, Thai unescaped.

Strategy: rows are rendered column by column. A column becomes an array of
``"name":value`` fragments: numbers, dates and booleans through pyarrow's
exact cast to text (a decimal128 prints its digits and scale, ``1324600.00``,
never through a float; dates print ISO and are quoted), strings through
``json``'s C string encoder with ``ensure_ascii=False`` (control characters
escaped, Thai kept; Arrow text is valid UTF-8, so no lone surrogates can
reach it); U+0085, U+2028 and U+2029 are escaped too, so that even
``str.splitlines`` sees one object per line. The fragments are joined into lines with pyarrow compute. Keys
follow the schema order; nulls are written as ``null``. Appending checks the
old file's first object's keys and copies its lines byte for byte; so does the
rewrite that drops replaced file-level diagnostics (``FileSink``), which parses
only the lines holding ``"report_key":null`` (a quote inside a string is
escaped, so only a null key can spell that).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from ._atomic import FileSink, Staging

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_JOIN: Callable[..., Any] = pc.binary_join_element_wise  # the stubs reject str + array
_CHUNK = 16_384
_FILE_LEVEL = b'"report_key":null'
_LINE_BREAKS = [(chr(c), f"\\u{c:04x}") for c in (0x85, 0x2028, 0x2029)]  # splitlines() breaks


def render(table: pa.Table) -> bytes:
    """The rows of ``table`` as JSON Lines."""
    if table.num_rows == 0:
        return b""
    fragments = []
    for field, column in zip(table.schema, table.columns, strict=True):
        key = _ENCODE(field.name) + ":"
        if pa.types.is_string(field.type):
            values = [None if v is None else key + _ENCODE(v) for v in column.to_pylist()]
            fragment: Any = pa.array(values, pa.string())
        elif pa.types.is_date(field.type):
            fragment = _JOIN(key + '"', column.cast(pa.string()), '"', "")
        else:
            fragment = _JOIN(key, column.cast(pa.string()), "")
        fragments.append(pc.fill_null(fragment, key + "null"))
    lines = _JOIN("{", _JOIN(*fragments, ","), "}", "")
    text = "\n".join(lines.to_pylist()) + "\n"
    for char, escaped in _LINE_BREAKS:
        if char in text:
            text = text.replace(char, escaped)
    return text.encode("utf-8")


class JsonlSink(FileSink):
    suffix = ".jsonl"

    def __init__(self, out_dir: Path, schemas: Mapping[str, pa.Schema], *, append: bool,
                 staging: Staging | None = None) -> None:
        self._files: dict[str, BinaryIO] = {}
        super().__init__(out_dir, schemas, append=append, staging=staging)

    def _open(self, name: str, schema: pa.Schema, path: Path, old: Path | None) -> None:
        out = self._files[name] = path.open("wb")
        if old is not None:
            with old.open("rb") as src:
                first = src.readline()
                if first and list(json.loads(first)) != schema.names:
                    raise ValueError(f"cannot append to {old}: its keys are not {schema.names}")
                out.write(first)
                shutil.copyfileobj(src, out, 1 << 20)

    def _append(self, name: str, table: pa.Table) -> None:
        for batch in table.to_batches(max_chunksize=_CHUNK):
            self._files[name].write(render(pa.Table.from_batches([batch])))

    def _finish(self, name: str) -> None:
        self._files.pop(name).close()

    def _release(self) -> None:
        for out in self._files.values():
            out.close()
        self._files = {}

    def _file_level(self, old: Path) -> tuple[Counter[str], int]:
        counts: Counter[str] = Counter()
        with old.open("rb") as src:
            for line in src:
                path = _file_level_path(line)
                if path is not None:
                    counts[path] += 1
        return counts, old.stat().st_size  # the staged file: its bytes, then the new rows

    def _rewrite(self, schema: pa.Schema, staged: Path, target: Path) -> None:
        with staged.open("rb") as src, target.open("wb") as out:
            done = 0
            while done < self._old_end:
                line = src.readline()
                if not line:
                    break
                done += len(line)
                if _file_level_path(line) not in self._dropped:
                    out.write(line)
            shutil.copyfileobj(src, out, 1 << 20)


def _file_level_path(line: bytes) -> str | None:
    """The ``source_path`` of a line that is a file-level row (``report_key`` null), else None."""
    if _FILE_LEVEL not in line:
        return None
    row = json.loads(line)
    path = row.get("source_path") if row.get("report_key", "") is None else None
    return path if isinstance(path, str) else None


def read_existing(path: Path, table: str, target: pa.Schema) -> pa.Table:
    """The columns of ``target`` of the table file ``path`` (see ``writers.read_existing``)."""
    parts, rows = [], []
    with path.open("rb") as src:
        for line in src:
            obj = json.loads(line, parse_float=Decimal)
            rows.append([obj.get(n) for n in target.names])
            if len(rows) >= 65_536:
                parts.append(_table(rows, target))
                rows = []
    parts.append(_table(rows, target))
    return pa.concat_tables(parts)


def _table(rows: list[list[Any]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    arrays = [pa.array(list(values), pa.string()).cast(f.type) if pa.types.is_date(f.type)
              else pa.array(list(values), f.type) for f, values in zip(schema, columns, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)
