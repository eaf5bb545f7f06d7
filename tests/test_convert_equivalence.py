"""convert writes the same tables however its work is cut up: ``--jobs 1`` and
``--jobs 2`` give byte-identical Parquet files, and each table holds what
``tables.to_tables`` makes of the Documents read one by one (``iter_documents``:
``bmaparse.load`` of each input), less the reports an earlier input already had.

The corpus: the samples, every layout of ``tests/data``, a synth corpus of every
layout (one report a file, some files holding several, some copies of earlier
reports), and hostile inputs: mutated bytes, other encodings, binary and empty
files, a number too large for its column, an archive. Its size (several hundred
inputs) spans many chunks of either job count, so chunk boundaries, the
in-order window, dedup across chunks and the parent's buffering are all crossed.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bmaparse import synth, tables
from bmaparse.batch import convert, iter_documents
from bmaparse.model import Report
from bmaparse.tables import TABLES
from helpers import DATA, SAMPLES, SEED_TEXT, variant, zip_bytes

SYNTH_FILES = 320
LAYOUTS = ("page", "export", "view", "kpi")


def _mutated(rng: random.Random, data: bytes) -> bytes:
    """``data`` with a few bytes overwritten, a slice dropped or the end cut."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(out))
        out[i] = rng.randrange(256)
    if rng.random() < 0.5:
        i = rng.randrange(len(out))
        del out[i : i + rng.randint(1, 400)]
    return bytes(out[: rng.randint(len(out) // 2, len(out))]) if rng.random() < 0.3 else bytes(out)


def _hostile(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    yield "hostile/empty.txt", b""
    yield "hostile/binary.txt", bytes(range(256)) * 8
    yield "hostile/nul-lines.txt", SEED_TEXT.replace("\n", "\x00\n", 40).encode()
    yield "hostile/cp874.txt", SEED_TEXT.encode("cp874", "replace")
    yield "hostile/utf16.txt", variant(501).decode().encode("utf-16")
    yield "hostile/crlf.txt", variant(502).replace(b"\n", b"\r\n")
    # a number that does not fit its column: a value-out-of-range made while flattening
    yield "hostile/huge-percent.txt", SEED_TEXT.replace(
        "ความคืบหน้าโครงการ ร้อยละ 100", "ความคืบหน้าโครงการ ร้อยละ 123456789012", 1).encode()
    yield "hostile/archive.zip", zip_bytes({
        "a.txt": variant(503), "dir/b.txt": variant(504), "copy.txt": variant(503),
        "nested.zip": zip_bytes({"x.txt": variant(505)})})
    texts = list(synth.corpus(40, seed=7, layouts=LAYOUTS))
    for i, text in enumerate(texts):
        yield f"hostile/mutated-{i:03d}.txt", _mutated(rng, text.encode())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("equivalence") / "in"
    for folder in (SAMPLES, DATA):
        shutil.copytree(folder, root / folder.name, ignore=shutil.ignore_patterns("*.json"))
    rng = random.Random(12)
    texts = list(synth.corpus(SYNTH_FILES, seed=12, layouts=LAYOUTS))
    for i, text in enumerate(texts):
        if i % 17 == 5:  # several reports in one file
            text = "\n\n".join([text, *texts[max(0, i - 3) : i]])
        if i % 23 == 7:  # a copy of an earlier file: in this chunk or an earlier one
            text = texts[rng.randrange(i)]
        path = root / "synth" / f"part-{i % 4}" / f"{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name, data in _hostile(rng):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture(scope="module")
def outputs(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("equivalence-out")
    written = {}
    for jobs in (1, 2):
        written[jobs] = out / f"jobs{jobs}"
        summary = convert([corpus], written[jobs], jobs=jobs)
        assert summary.inputs > SYNTH_FILES
        assert summary.duplicates > 0 and summary.errors > 0  # dedup and hostile input crossed
    return written


def test_jobs_1_and_2_write_the_same_bytes(outputs: dict[int, Path]) -> None:
    names = sorted(p.name for p in outputs[1].glob("*.parquet"))
    assert names == sorted(f"{name}.parquet" for name in tables.SCHEMAS)
    for name in names:
        assert (outputs[1] / name).read_bytes() == (outputs[2] / name).read_bytes(), name


def _reference(corpus: Path) -> dict[str, pa.Table]:
    """Each input read alone, its reports less those an earlier input had, flattened
    alone; the tables concatenated in input order."""
    seen: set[str] = set()
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    for document in iter_documents([corpus]):
        kept: list[Report] = []
        for report in document.reports:
            if report.report_key not in seen:
                seen.add(report.report_key)
                kept.append(report)
        flat = tables.to_tables([document.__class__(
            document.source_path, document.sha256, document.encoding, tuple(kept),
            document.diagnostics)])
        for name, table in flat.items():
            parts[name].append(table)
    return {name: pa.concat_tables(found) for name, found in parts.items()}


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in table.to_pylist()]


def test_tables_are_to_tables_of_each_input_read_alone(
    corpus: Path, outputs: dict[int, Path]
) -> None:
    reference = _reference(corpus)
    assert reference["reports"].num_rows > SYNTH_FILES // 2
    assert any(row["code"] == "value-out-of-range"
               for row in reference["diagnostics"].to_pylist())
    for name in TABLES:
        written = pq.read_table(outputs[1] / f"{name}.parquet")
        assert written.schema.equals(tables.SCHEMAS[name], check_metadata=True), name
        expected = reference[name].cast(tables.SCHEMAS[name])
        if name == "diagnostics":  # a diagnostic made while flattening closes its chunk
            assert sorted(_rows(written), key=repr) == sorted(_rows(expected), key=repr)
        else:
            assert written.equals(expected), name
