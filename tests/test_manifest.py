"""The manifest and the output folder's ownership rules (bmaparse._manifest): the
streamed manifest is json.dumps' document, its head reads without its inputs, an
incremental run merges its inputs into the old list in order; a folder is ours only
by a bmaparse manifest or marker, and a forged manifest removes nothing outside OUT."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import bmaparse
from bmaparse._manifest import (
    MANIFEST_NAME,
    EntryLog,
    _entry_json,
    _updated,
    iter_merged_inputs,
    read_manifest,
    read_manifest_head,
    write_manifest_streaming,
)
from bmaparse.batch import convert
from bmaparse.cli import main
from bmaparse.errors import UsageError
from helpers import SEED_PATH, manifest_of, variant


def merge_inputs(
    previous: Iterable[dict[str, Any]], current: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The merge held whole in memory: the oracle for the streaming iter_merged_inputs."""
    merged = {entry["path"]: entry for entry in previous}
    by_sha = {entry.get("sha256"): entry for entry in merged.values() if entry.get("sha256")}
    for entry in current:
        merged[entry["path"]] = _updated(entry, merged.get(entry["path"]), by_sha)
    return sorted(merged.values(), key=lambda e: str(e["path"]))


def test_merge_inputs_keeps_what_a_skipped_input_had() -> None:
    previous = [
        {"path": "a.txt", "sha256": "1", "outcome": "ok", "reports": 2},
        {"path": "gone.txt", "sha256": "2", "outcome": "error", "reports": 0},
    ]
    current = [
        {"path": "a.txt", "sha256": "1", "outcome": "skipped", "reason": "already-converted"},
        {"path": "b.txt", "sha256": "3", "outcome": "ok", "reports": 1},
    ]
    merged = list(iter_merged_inputs(previous, current))
    assert [e["path"] for e in merged] == ["a.txt", "b.txt", "gone.txt"]
    assert merged[0] == {"path": "a.txt", "sha256": "1", "outcome": "skipped",
                         "reason": "already-converted", "reports": 2, "previous_outcome": "ok"}


def test_streamed_manifest_is_the_json_dumps_document(tmp_path: Path) -> None:
    head = {"tool": "bmaparse", "totals": {"inputs": 2, "rows": {"a": 1}}, "empty": {}}
    entries = [{"path": "ก/\udcff.txt", "n": [1, 2], "x": None}, {"path": "b", "e": {}}]
    for inputs in (entries, []):
        path = write_manifest_streaming(tmp_path / MANIFEST_NAME, head, iter(inputs))
        expected = json.dumps({**head, "inputs": inputs}, ensure_ascii=False, indent=2) + "\n"
        assert path.read_bytes() == expected.encode("utf-8", "backslashreplace")
        assert json.loads(path.read_text(encoding="utf-8"))["inputs"] == inputs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


def test_manifest_head_is_the_manifest_without_its_inputs(tmp_path: Path) -> None:
    head = {"tool": "bmaparse", "files": {"reports": "reports.parquet"},
            "run": {"inputs": 2}, "note": 'a line\n  "inputs": [ in a value'}
    for inputs in ([{"path": "a", "sha256": "0" * 64}, {"path": "b"}], []):
        write_manifest_streaming(tmp_path / MANIFEST_NAME, head, iter(inputs))
        assert read_manifest(tmp_path) == {**head, "inputs": inputs}
        assert read_manifest_head(tmp_path) == head
    # a manifest written whole, or not by bmaparse, or not JSON
    (tmp_path / "manifest.json").write_text(json.dumps({**head, "inputs": []}), encoding="utf-8")
    assert read_manifest_head(tmp_path) == head
    (tmp_path / "manifest.json").write_text(json.dumps({"tool": "other"}), encoding="utf-8")
    assert read_manifest_head(tmp_path) is None
    (tmp_path / "manifest.json").write_text('{\n  "tool": "bmaparse",\n  "inputs": [', encoding="utf-8")
    assert read_manifest_head(tmp_path) == {"tool": "bmaparse"}  # cut after its head: still read
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    assert read_manifest_head(tmp_path) is None


@pytest.mark.parametrize("entry", [
    {}, {"path": 'a\nb"ก\\', "size": None, "ok": True, "n": 0, "odd": "\udc80"},
    {"nested": {"a": [1, 2]}}, {"list": []},
])
def test_manifest_entries_render_as_json_dumps_with_indent(entry: dict[str, Any]) -> None:
    want = json.dumps(entry, ensure_ascii=False, indent=2).replace("\n", "\n    ")
    assert _entry_json(entry) == want


@pytest.mark.parametrize("entry", [
    {}, {"path": 'a\tb\nc"ก\\', "size": None, "ok": True, "n": 0}, {"path": "a[1]{2}.txt"},
    {"odd": "\udc80"}, {"pair": "\ud800\udc80"}, {"nested": {"a": [1, 2]}}, {"list": []},
])
def test_entry_log_gives_back_what_it_was_given(tmp_path: Path, entry: dict[str, Any]) -> None:
    """An EntryLog's entries come back as JSON reads them, and rendered for the
    manifest as ``_entry_json`` renders them."""
    log = EntryLog(tmp_path)
    log.append(entry)
    back = json.loads(json.dumps(entry))  # a surrogate pair's halves come back joined
    assert list(log) == [back]
    assert list(log.rendered()) == [_entry_json(back).encode("utf-8", "backslashreplace")]
    log.close()


def test_iter_merged_inputs_is_merge_inputs() -> None:
    def skipped(path: str, sha: str) -> dict[str, Any]:
        return {"path": path, "sha256": sha, "outcome": "skipped", "reason": "already-converted"}

    previous = [
        {"path": "d.txt", "sha256": "4", "outcome": "error", "errors": 1},
        {"path": "a.txt", "sha256": "1", "outcome": "ok", "reports": 2},
        {"path": "c.txt", "sha256": "3", "outcome": "skipped", "previous_outcome": "ok"},
        {"path": "z.txt", "sha256": "9", "outcome": "duplicate"},
    ]
    current = [
        skipped("a.txt", "1"),
        {"path": "b.txt", "sha256": "5", "outcome": "ok", "reports": 1},
        skipped("c.txt", "3"),
        skipped("moved/d.txt", "4"),  # renamed: found by its sha256
        {"path": "y.txt", "sha256": "8", "outcome": "ok"},
        skipped("y.txt", "8"),  # the same path twice
    ]
    streamed = list(iter_merged_inputs(previous, current))
    assert streamed == merge_inputs(previous, current)
    assert [e["path"] for e in streamed] == [
        "a.txt", "b.txt", "c.txt", "d.txt", "moved/d.txt", "y.txt", "z.txt"]
    assert streamed[4]["previous_outcome"] == "error" and streamed[4]["errors"] == 1
    assert list(iter_merged_inputs([], current[1:3])) == merge_inputs([], current[1:3])
    with pytest.raises(ValueError, match="not sorted"):
        list(iter_merged_inputs(previous, current[::-1]))


def test_manifest_lists_every_input_in_order(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for i in range(150):
        (folder / f"{i:03}.txt").write_bytes(variant(i) if i % 10 else b"")
    summary = convert([folder], out, jobs=2)
    manifest = manifest_of(out)
    names = [str(folder / f"{i:03}.txt") for i in range(150)]
    assert [e["path"] for e in manifest["inputs"]] == names
    assert manifest["totals"]["inputs"] == manifest["run"]["inputs"] == summary.inputs == 150
    assert manifest["totals"]["errors"] == manifest["run"]["errors"] == 15
    assert sum(e["written"] for e in manifest["inputs"]) == manifest["totals"]["reports"] == 135
    assert not list(out.glob(".manifest.json.*"))

    for i in range(150, 160):  # an incremental run: ten new inputs, the rest skipped
        (folder / f"{i:03}.txt").write_bytes(variant(i))
    (folder / "000.txt").unlink()  # gone: the manifest still lists it
    second = convert([folder], out, jobs=1, incremental=True)
    assert (second.inputs, second.skipped, second.reports) == (159, 149, 10)
    merged = manifest_of(out)
    assert [e["path"] for e in merged["inputs"]] == [*names, *(
        str(folder / f"{i:03}.txt") for i in range(150, 160))]
    assert merged["totals"]["inputs"] == 160 and merged["totals"]["errors"] == 15
    assert merged["totals"]["reports"] == 145
    assert merged["inputs"][1]["previous_outcome"] == "ok" and merged["inputs"][1]["written"] == 1
    assert not list(out.glob(".manifest.json.*"))


def test_output_folder_safety(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(UsageError, match=r"mine.*--force"):
        convert([SEED_PATH], out, jobs=1)
    assert sorted(p.name for p in out.iterdir()) == ["thesis.docx"]
    convert([SEED_PATH], out, jobs=1, force=True)
    assert (out / "thesis.docx").read_text() == "precious"
    convert([SEED_PATH], out, jobs=1)  # now ours: no --force needed
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        convert([SEED_PATH], tmp_path / "file", jobs=1)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "duckdb"])
def test_an_output_path_that_is_not_utf8_is_refused_before_writing(tmp_path: Path, fmt: str) -> None:
    """pyarrow and DuckDB open only UTF-8 paths: refused with one line, nothing written
    (it was a traceback from inside pyarrow, or DuckDB's ``std::bad_cast``)."""
    out = Path(os.fsdecode(bytes(tmp_path) + b"/out\xff"))
    with pytest.raises(UsageError, match=r"out\\xff: its path is not valid UTF-8"):
        convert([SEED_PATH], out, fmt=fmt, jobs=1)  # type: ignore[arg-type]
    assert not out.exists()
    status = main(["convert", str(SEED_PATH), "-o", str(out), "--format", fmt, "--quiet"])
    assert status == 2 and not out.exists()


def test_a_forged_manifest_cannot_remove_files_outside_out(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    forged = {"tool": "bmaparse", "files": {"a": "../victim.txt", "b": str(victim), "c": "."}}
    (out / "manifest.json").write_text(json.dumps(forged))
    convert([SEED_PATH], out, jobs=1)
    assert victim.read_text() == "precious"


def test_a_foreign_manifest_does_not_make_a_folder_ours(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"tool": "something-else"}))
    with pytest.raises(bmaparse.batch.UsageError, match="--force"):
        convert([SEED_PATH], out, jobs=1)
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


def test_a_planted_marker_symlink_is_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "outside.txt"
    (out / ".bmaparse").symlink_to(target)  # dangling: writing through it would create it
    convert([SEED_PATH], out, jobs=1, force=True)
    assert not target.exists()
