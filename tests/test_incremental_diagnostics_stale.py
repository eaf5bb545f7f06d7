"""File-level diagnostics an incremental run must replace although it does not parse
the input again: an archive now readable (its archive-level row)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bmaparse
from bmaparse.batch import convert
from bmaparse.tables import SCHEMAS
from bmaparse.writers import FORMATS, read_existing
from helpers import variant, zip_bytes


def file_level(out: Path, fmt: str) -> list[tuple[str, str]]:
    table = read_existing(fmt, out, "diagnostics", SCHEMAS["diagnostics"])
    assert table is not None
    return sorted((d["source_path"], d["code"]) for d in table.to_pylist()
                  if d["report_key"] is None)


def runs(folder: Path, out: Path, fmt: str) -> None:
    convert([folder], out, fmt=fmt, jobs=1, incremental=True)
    found = bmaparse.verify(out)
    assert found.ok, found.problems


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_archive_fixed_loses_its_archive_level_error(tmp_path: Path, fmt: str) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    archive = folder / "x.zip"
    archive.write_bytes(b"PK not an archive")
    runs(folder, out, fmt)
    assert file_level(out, fmt) == [(str(archive), "unreadable-archive")]
    archive.write_bytes(zip_bytes({"m.txt": b"hello\n"}))
    runs(folder, out, fmt)
    convert([folder], tmp_path / "full", fmt=fmt, jobs=1)
    assert file_level(out, fmt) == file_level(tmp_path / "full", fmt) == [
        (f"{archive}!m.txt", "no-report-found")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_archive_unchanged_keeps_its_archive_level_error(tmp_path: Path, fmt: str) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    archive = folder / "x.zip"
    archive.write_bytes(b"PK not an archive")
    runs(folder, out, fmt)
    runs(folder, out, fmt)
    assert file_level(out, fmt) == [(str(archive), "unreadable-archive")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_archive_partly_read_unchanged_keeps_its_archive_level_error(
        tmp_path: Path, fmt: str) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    archive = folder / "x.zip"
    data = zip_bytes({"a.txt": b"hello\n", "b.txt": b"", "c.txt": b"x\n"})
    third = data.rfind(b"PK\x01\x02")  # the last central directory entry, damaged
    archive.write_bytes(data[:third] + b"XX" + data[third + 2:])
    for _ in range(2):  # the second run: the archive unchanged, its refusal not read again
        convert([folder], out, fmt=fmt, jobs=1, incremental=True)
        found = bmaparse.verify(out)
        assert found.ok, found.problems
        assert (str(archive), "unreadable-archive") in file_level(out, fmt)
        assert (f"{archive}!b.txt", "empty-input") in file_level(out, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_input_changed_to_known_content_loses_its_old_rows(tmp_path: Path, fmt: str) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"hello\n")
    b = folder / "b.txt"
    b.write_bytes(b"")
    runs(folder, out, fmt)
    assert (str(b), "empty-input") in file_level(out, fmt)
    b.write_bytes(b"hello\n")  # fixed: now a copy of a.txt, a sha256 already converted
    runs(folder, out, fmt)
    assert (str(b), "empty-input") not in file_level(out, fmt)
    runs(folder, out, fmt)  # unchanged since: nothing more to replace
    assert (str(folder / "a.txt"), "no-report-found") in file_level(out, fmt)


@pytest.mark.parametrize("fmt", ["parquet"])
def test_an_input_changed_back_to_an_earlier_version_verifies(tmp_path: Path, fmt: str) -> None:
    """Its reports are the first reading's (the same sha256): duplicates this time."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for data in (variant(1), b"hello\n", variant(1)):
        (folder / "a.txt").write_bytes(data)
        runs(folder, out, fmt)


def test_verify_still_finds_a_report_missing_for_the_current_version(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(variant(1))
    (folder / "b.txt").write_bytes(variant(2))
    runs(folder, out, "parquet")
    reports = pq.read_table(out / "reports.parquet")
    pq.write_table(reports.slice(0, 1), out / "reports.parquet")
    assert not bmaparse.verify(out).ok


def test_csv_a_source_path_starting_with_a_quote_and_a_formula(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("'=in")
    folder.mkdir()
    for data in (b"", b"hello\n"):
        (folder / "a.txt").write_bytes(data)
        runs(folder, Path("out"), "csv")
    assert file_level(Path("out"), "csv") == [("'=in/a.txt", "no-report-found")]


def test_csv_round_trips_text_starting_with_quotes_and_a_formula(tmp_path: Path) -> None:
    import pyarrow as pa

    from bmaparse.writers import open_sink

    schema = pa.schema([("report_key", pa.string()), ("text", pa.string())])
    values = ["=1+1", "'=1+1", "''@x", "'plain", "-", "'", None, "a'=b"]
    sink = open_sink("csv", tmp_path, {"t": schema}, append=False)
    sink.write({"t": pa.table({"report_key": values, "text": values}, schema=schema)})
    sink.close()
    assert read_existing("csv", tmp_path, "t", schema)["text"].to_pylist() == values


def test_an_input_changed_into_a_copy_of_another_verifies(tmp_path: Path) -> None:
    """Its manifest entry is the copy's (what was written under that sha256), not
    its own earlier version's counts under the new sha256."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(variant(1))
    (folder / "b.txt").write_bytes(variant(2) + b"\n" + variant(3))
    runs(folder, out, "parquet")
    (folder / "b.txt").write_bytes(variant(1))
    runs(folder, out, "parquet")


def test_an_input_changed_into_the_old_content_of_another_verifies(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(variant(1))
    (folder / "b.txt").write_bytes(b"hello\n")
    runs(folder, out, "parquet")
    (folder / "a.txt").write_bytes(b"")  # a.txt's reports: a snapshot now
    (folder / "b.txt").write_bytes(variant(1))  # skipped: a known sha256
    runs(folder, out, "parquet")


def test_an_input_changed_back_to_its_old_content_a_copy_has_verifies(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(variant(1))
    (folder / "b.txt").write_bytes(variant(1))  # a copy: its report is a.txt's
    runs(folder, out, "parquet")
    (folder / "a.txt").write_bytes(b"")
    runs(folder, out, "parquet")
    (folder / "a.txt").write_bytes(variant(1))  # back: skipped, a known sha256 (b.txt's)
    runs(folder, out, "parquet")
