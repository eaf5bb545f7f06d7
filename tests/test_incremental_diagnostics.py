"""An incremental run replaces the file-level diagnostics of the inputs it reads again.

A file-level diagnostic (``report_key`` null) describes one version of an input;
when ``convert --incremental`` reads the input again (it changed: not skipped as
a known sha256 or an unchanged failure), the new version's rows replace the old
ones, in every format, and the manifest's row totals follow. Reports, and the
rows of inputs that were not read again, stay as they were.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import bmaparse
from bmaparse import Limits, audit
from bmaparse.batch import ConvertSummary, convert
from bmaparse.tables import SCHEMAS, TABLE_KEYS
from bmaparse.writers import FORMATS, read_existing
from helpers import SAMPLES, manifest_of, variant, zip_bytes

GOOD = (SAMPLES / "synth_page_1.txt").read_bytes()
Row = tuple[Any, ...]


def diagnostics(out: Path, fmt: str) -> list[dict[str, Any]]:
    table = read_existing(fmt, out, "diagnostics", SCHEMAS["diagnostics"])
    assert table is not None
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def file_level(out: Path, fmt: str, path: str) -> list[str]:
    """The codes of the file-level diagnostics of ``path``, by ordinal."""
    return [d["code"] for d in sorted(diagnostics(out, fmt), key=lambda d: d["ordinal"])
            if d["report_key"] is None and d["source_path"] == path]


def others(out: Path, fmt: str, paths: set[str]) -> Counter[Row]:
    """Every diagnostics row but the file-level rows of ``paths``, as a multiset."""
    return Counter(tuple(d.values()) for d in diagnostics(out, fmt)
                   if d["report_key"] is not None or d["source_path"] not in paths)


def check(out: Path, fmt: str) -> dict[str, Any]:
    """The folder is consistent: verify passes, every row key appears once, the
    manifest's row totals are the tables'. The manifest."""
    found = bmaparse.verify(out)
    assert found.ok, found.problems
    manifest = manifest_of(out)
    for name in manifest["files"]:
        table = read_existing(fmt, out, name, SCHEMAS[name])
        assert table is not None
        assert manifest["totals"]["rows"][name] == table.num_rows, name
        keys = list(TABLE_KEYS[name])
        if keys:
            rows = table.select(keys).to_pylist()
            assert len({tuple(r.values()) for r in rows}) == len(rows), name
    return manifest


def run(folder: Path, out: Path, fmt: str, **options: Any) -> ConvertSummary:
    return convert([folder], out, fmt=fmt, jobs=1, incremental=True, **options)


def input_errors(out: Path) -> set[str]:
    """The inputs ``bmaparse audit`` finds an ``input-error`` in."""
    return {r["source_path"] for r in audit.findings(out).to_pylist() if r["code"] == "input-error"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_input_read_again_replaces_its_file_level_rows(
        tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder, out = Path("=in"), Path("out")  # a source path csv neutralises: '=in/...
    folder.mkdir()
    a, bad = folder / "a.txt", folder / 'say "hi"\nthere.txt'  # a quoted line break in csv
    a.write_bytes(b"")
    bad.write_bytes(b"never a report\n")
    (folder / "b.txt").write_bytes(GOOD)
    steps = [(b"", ["empty-input"], 0), (b"hello world\n", ["no-report-found"], 1),
             (variant(1), [], 1), (b"", ["empty-input"], 0)]
    before: Counter[Row] | None = None
    for i, (data, codes, replaced) in enumerate(steps):
        a.write_bytes(data)
        summary = run(folder, out, fmt)
        manifest = check(out, fmt)
        assert file_level(out, fmt, str(a)) == codes, i
        assert file_level(out, fmt, str(bad)) == ["no-report-found"], i  # unchanged: kept
        assert summary.replaced_rows == ({"diagnostics": replaced} if replaced else {}), i
        assert manifest["run"].get("replaced_rows", {}) == summary.replaced_rows
        now = others(out, fmt, {str(a)})
        if before is not None:
            assert now >= before, i  # what the other inputs and the reports had is kept
        before = now
        assert (str(a) in input_errors(out)) == bool(codes), i
        assert str(bad) in input_errors(out)
    entry = next(e for e in manifest["inputs"] if e["path"] == str(a))
    assert entry["outcome"] == "error" and entry["errors"] == 1
    reports = read_existing(fmt, out, "reports", SCHEMAS["reports"], ["source_path"])
    assert reports is not None and sorted(reports["source_path"].to_pylist()) == sorted(
        [str(a), str(folder / "b.txt")])  # the good version of a.txt: a snapshot, kept


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_changed_input_still_too_large_has_one_row(tmp_path: Path, fmt: str) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    big = folder / "big.txt"
    (folder / "b.txt").write_bytes(GOOD)
    limits = Limits(max_file_bytes=len(GOOD) + 100)
    big.write_bytes(GOOD + b"x" * 200)
    run(folder, out, fmt, limits=limits)
    assert file_level(out, fmt, str(big)) == ["input-too-large"]
    big.write_bytes(GOOD + b"y" * 300)  # another size: another file_signature
    summary = run(folder, out, fmt, limits=limits)
    assert summary.replaced_rows == {"diagnostics": 1} and summary.skipped == 1  # b.txt
    check(out, fmt)
    assert file_level(out, fmt, str(big)) == ["input-too-large"]
    summary = run(folder, out, fmt, limits=limits)  # unchanged: not read, rows kept
    assert summary.replaced_rows == {} and summary.skipped == 2
    check(out, fmt)
    assert file_level(out, fmt, str(big)) == ["input-too-large"]
    big.write_bytes((SAMPLES / "synth_export_1.txt").read_bytes())  # fixed: its error goes
    summary = run(folder, out, fmt, limits=limits)
    assert summary.replaced_rows == {"diagnostics": 1} and summary.errors == 0
    check(out, fmt)
    assert file_level(out, fmt, str(big)) == []
    assert str(big) not in input_errors(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_changed_member_of_an_archive(tmp_path: Path, fmt: str) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    archive = folder / "exports.zip"
    member = f"{archive}!m.txt"
    archive.write_bytes(zip_bytes({"good.txt": GOOD, "m.txt": b"", "same.txt": b"not one\n"}))
    run(folder, out, fmt)
    assert file_level(out, fmt, member) == ["empty-input"]
    archive.write_bytes(zip_bytes({"good.txt": GOOD, "m.txt": b"still not\n",
                                   "same.txt": b"not one\n"}))
    summary = run(folder, out, fmt)
    assert summary.replaced_rows == {"diagnostics": 1} and summary.skipped == 2
    check(out, fmt)
    assert file_level(out, fmt, member) == ["no-report-found"]
    assert file_level(out, fmt, f"{archive}!same.txt") == ["no-report-found"]
    archive.write_bytes(zip_bytes({"good.txt": GOOD, "m.txt": variant(3),
                                   "same.txt": b"not one\n"}))
    run(folder, out, fmt)
    check(out, fmt)
    assert file_level(out, fmt, member) == []
    assert input_errors(out) == {f"{archive}!same.txt"}


def test_a_full_run_after_incremental_ones_agrees(tmp_path: Path) -> None:
    """The file-level rows an incremental run leaves are the ones a full run of the
    same inputs writes (a full run has no earlier rows to replace)."""
    folder = tmp_path / "in"
    folder.mkdir()
    a = folder / "a.txt"
    a.write_bytes(b"")
    run(folder, tmp_path / "inc", "parquet")
    a.write_bytes(b"hello\n")
    run(folder, tmp_path / "inc", "parquet")
    full = convert([folder], tmp_path / "full", jobs=1)
    assert full.replaced_rows == {}
    assert file_level(tmp_path / "inc", "parquet", str(a)) == file_level(
        tmp_path / "full", "parquet", str(a)) == ["no-report-found"]
