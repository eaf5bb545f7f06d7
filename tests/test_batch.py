"""convert (bmaparse.batch): discovery, archives, workers, dedup, manifest, formats,
incremental runs, output-folder safety and atomic output under SIGKILL."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from bmaparse import Limits, _collect, _read, _read_task, batch
from bmaparse._discover import discover
from bmaparse._manifest import (
    MANIFEST_NAME,
    _entry_json,
    _updated,
    iter_merged_inputs,
    read_manifest,
    read_manifest_head,
    write_manifest_streaming,
)
from bmaparse._read_task import read_task_bytes
from bmaparse.batch import convert
from bmaparse.errors import InputTooLargeError, UsageError
from bmaparse.tables import SCHEMAS, ProjectsBuilder, build_projects
from bmaparse.writers import FORMATS

ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = ROOT / "samples" / "000_8c07428080a9c9ea.txt"
SEED = SEED_PATH.read_bytes()


def variant(i: int) -> bytes:
    """The seed with a different amount: another report (another report_key)."""
    text = SEED.decode("utf-8").replace("จำนวน 1,324,600 บาท", f"จำนวน {1000 + i:,} บาท")
    assert text.encode("utf-8") != SEED
    return text.encode("utf-8")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def mixed_inputs(root: Path) -> Path:
    """The seed, a copy of it, an archive holding it under another name and a nested
    archive, a binary file and an empty file."""
    folder = root / "in"
    (folder / "copy").mkdir(parents=True)
    (folder / "seed.txt").write_bytes(SEED)
    (folder / "copy" / "seed-copy.txt").write_bytes(SEED)
    nested = zip_bytes({"inner.txt": variant(99)})
    (folder / "archive.zip").write_bytes(
        zip_bytes({"2566/50240000-7108.txt": SEED, "nested.zip": nested})
    )
    (folder / "garbage.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "empty.txt").write_bytes(b"")
    return folder


def read_table(out: Path, fmt: str, table: str, manifest: dict[str, Any]) -> pa.Table:
    """A written table, read back with the format's own reader."""
    path = out / manifest["files"][table]
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "csv":
        return pacsv.read_csv(path)
    if fmt == "jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        return pa.Table.from_pylist(rows) if rows else pa.table({})
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        return db.sql(f'select * from "{table}"').to_arrow_table()


def manifest_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def outcomes(manifest: dict[str, Any]) -> dict[str, str]:
    return {e["path"]: e["outcome"] for e in manifest["inputs"]}


# --- discovery ----------------------------------------------------------------------------


def test_discover_walks_folders_and_archives_sorted(tmp_path: Path) -> None:
    folder = mixed_inputs(tmp_path)
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "a.txt").write_bytes(SEED)
    (folder / ".dot.txt").write_bytes(SEED)
    (folder / "notes.md").write_text("x")
    (folder / "UPPER.TXT").write_bytes(SEED)
    found = discover([folder])
    names = [t.source_path for t in found.tasks]
    assert names == sorted(names)
    rel = [n[len(str(folder)) + 1 :] for n in names]
    assert rel == [
        "UPPER.TXT",
        "archive.zip!2566/50240000-7108.txt",
        "archive.zip!nested.zip",
        "copy/seed-copy.txt".replace("/", os.sep),
        "empty.txt",
        "garbage.txt",
        "seed.txt",
    ]
    nested = next(t for t in found.tasks if t.member == "nested.zip")
    assert nested.note is not None and nested.note.code == "nested-archive-skipped"
    assert found.skipped == {"hidden": 2, "not-text": 1}


def test_discover_order_and_repeats_do_not_matter(tmp_path: Path) -> None:
    folder = mixed_inputs(tmp_path)
    one = discover([folder / "seed.txt", folder])
    two = discover([folder, folder / "seed.txt", folder / "archive.zip"])
    assert [t.source_path for t in one.tasks] == [t.source_path for t in two.tasks]
    assert two.skipped["repeated"] == 2


def test_discover_sees_a_file_through_links_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "real").mkdir(parents=True)
    (folder / "real" / "a.txt").write_bytes(SEED)
    (folder / "link.txt").symlink_to(folder / "real" / "a.txt")
    (tmp_path / "alias").symlink_to(folder, target_is_directory=True)
    found = discover([folder, tmp_path / "alias", folder / "real" / "a.txt"])
    assert [t.source_path for t in found.tasks] == [str(folder / "link.txt")]
    assert found.skipped["repeated"] == 4


def test_discover_reads_any_named_file_and_refuses_missing(tmp_path: Path) -> None:
    odd = tmp_path / "report.export"
    odd.write_bytes(SEED)
    assert [t.source_path for t in discover([odd]).tasks] == [str(odd)]
    with pytest.raises(UsageError, match="input not found"):
        discover([odd, tmp_path / "nope.txt"])


def test_unreadable_archive_is_a_note(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    (task,) = discover([bad]).tasks
    assert task.note is not None and task.note.code == "unreadable-archive"


def test_member_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes({"a.txt": SEED}))
    (task,) = discover([archive]).tasks
    assert read_task_bytes(task) == SEED
    _read_task.close_archives()
    with pytest.raises(InputTooLargeError):
        read_task_bytes(task, Limits(max_file_bytes=100))
    _read_task.close_archives()


# --- convert ------------------------------------------------------------------------------


def test_convert_mixed_folder(tmp_path: Path) -> None:
    folder, out = mixed_inputs(tmp_path), tmp_path / "out"
    summary = convert([folder], out, jobs=1)
    assert summary.exit_code == 1
    manifest = manifest_of(out)
    reports = read_table(out, "parquet", "reports", manifest)
    assert reports.num_rows == 1 == summary.reports
    assert reports["report_key"][0].as_py() == _read.load(SEED).reports[0].report_key

    diagnostics = read_table(out, "parquet", "diagnostics", manifest).to_pylist()
    file_errors = [d for d in diagnostics if d["severity"] == "error" and d["report_key"] is None]
    assert sorted(d["source_path"] for d in file_errors) == [
        str(folder / "empty.txt"), str(folder / "garbage.txt")
    ]
    nested = [d for d in diagnostics if d["code"] == "nested-archive-skipped"]
    assert [d["source_path"] for d in nested] == [f"{folder / 'archive.zip'}!nested.zip"]
    assert nested[0]["severity"] == "info"

    assert outcomes(manifest) == {
        f"{folder / 'archive.zip'}!2566/50240000-7108.txt": "ok",
        f"{folder / 'archive.zip'}!nested.zip": "skipped",
        str(folder / "copy" / "seed-copy.txt"): "duplicate",
        str(folder / "empty.txt"): "error",
        str(folder / "garbage.txt"): "error",
        str(folder / "seed.txt"): "duplicate",
    }
    entry = next(e for e in manifest["inputs"] if e["path"].endswith("seed.txt"))
    assert entry["sha256"] == _read.load(SEED).sha256
    assert entry["size"] == len(SEED)
    assert entry["duplicates"] == 1 and entry["written"] == 0
    assert manifest["totals"]["inputs"] == 6 and manifest["totals"]["errors"] == 2
    assert manifest["totals"]["rows"]["reports"] == 1
    assert manifest["tool"] == "bmaparse" and manifest["format"] == "parquet"
    assert manifest["started_at"].endswith("Z") and manifest["finished_at"].endswith("Z")
    projects = read_table(out, "parquet", "projects", manifest)
    assert projects["project_id"].to_pylist() == ["50240000-7108"]


def test_clean_inputs_exit_zero(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.txt").write_bytes(variant(i))
    summary = convert([folder], tmp_path / "out", jobs=1)
    assert (summary.exit_code, summary.reports, summary.errors) == (0, 3, 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_every_table(tmp_path: Path, fmt: str) -> None:
    folder, out = mixed_inputs(tmp_path), tmp_path / fmt
    summary = convert([folder], out, fmt=fmt, jobs=1)
    manifest = manifest_of(out)
    assert set(manifest["files"]) == set(SCHEMAS)
    for table in SCHEMAS:
        assert read_table(out, fmt, table, manifest).num_rows == summary.rows[table], table
    assert summary.rows["reports"] == 1 and summary.rows["diagnostics"] >= 3


def test_jobs_do_not_change_the_data(tmp_path: Path) -> None:
    folder = mixed_inputs(tmp_path)
    for i in range(12):
        (folder / f"v{i:02}.txt").write_bytes(variant(i))
    convert([folder], tmp_path / "one", jobs=1)
    convert([folder], tmp_path / "two", jobs=2)
    for table in SCHEMAS:
        one = pq.read_table(tmp_path / "one" / f"{table}.parquet")
        two = pq.read_table(tmp_path / "two" / f"{table}.parquet")
        assert one.equals(two), table
    assert pq.read_table(tmp_path / "one" / "reports.parquet").num_rows == 13


def test_copies_inside_and_across_chunks_are_written_once(tmp_path: Path) -> None:
    # 80 inputs: chunks of 20 (jobs=1) or 10 (jobs=2) tasks, so copies fall both
    # inside one chunk (flattened once by the worker) and in later chunks (dropped by
    # the parent).
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(80):
        (folder / f"r{i:03}.txt").write_bytes(variant(i % 30))  # 30 distinct reports
    one = convert([folder], tmp_path / "one", jobs=1)
    two = convert([folder], tmp_path / "two", jobs=2)
    assert (one.reports, one.duplicates) == (30, 50)
    assert (two.reports, two.duplicates) == (30, 50)
    for table in SCHEMAS:
        a = pq.read_table(tmp_path / "one" / f"{table}.parquet")
        b = pq.read_table(tmp_path / "two" / f"{table}.parquet")
        assert a.equals(b), table
    keys = pq.read_table(tmp_path / "one" / "reports.parquet")["report_key"].to_pylist()
    assert len(keys) == len(set(keys)) == 30
    updates = pq.read_table(tmp_path / "one" / "progress_updates.parquet")
    assert updates.num_rows == 30 * 5  # every report's five blocks, once
    outcomes = [e["outcome"] for e in manifest_of(tmp_path / "one")["inputs"]]
    assert outcomes.count("ok") == 30 and outcomes.count("duplicate") == 50


def test_projects_is_build_projects_of_the_reports_written(
    tmp_path: Path, monkeypatch: Any
) -> None:
    # 5 projects (ids from the file names) with up to 8 snapshots each, some copies;
    # small flushes and reductions, so that the projects table is reduced in steps
    monkeypatch.setattr(_collect, "_FLUSH_ROWS", 3)
    monkeypatch.setattr(ProjectsBuilder, "_REDUCE_ROWS", 4)
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for i in range(30):
        (folder / f"5024000{i % 5}-7108_{i:02}.txt").write_bytes(variant(i % 26))
    convert([folder], out, jobs=1, incremental=True)
    for i in range(30, 40):  # an incremental run: old reports and new make the projects
        (folder / f"5024000{i % 5}-7108_{i:02}.txt").write_bytes(variant(i))
    convert([folder], out, jobs=1, incremental=True)
    projects = pq.read_table(out / "projects.parquet")
    assert projects.equals(build_projects(pq.read_table(out / "reports.parquet")))
    assert sorted(projects["snapshots"].to_pylist()) == [7, 7, 7, 7, 8]


def test_written_keys_tell_every_key_apart() -> None:
    keys = batch._KeySet(["0" * 32, "AB" * 16, "k1", "g" * 32])
    assert all(k in keys for k in ("0" * 32, "AB" * 16, "k1", "g" * 32))
    assert not any(k in keys for k in ("ab" * 16, "1" * 32, "k2", "0" * 31))


def test_worker_exception_becomes_a_diagnostic(tmp_path: Path, monkeypatch: Any) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.txt", "boom.txt", "c.txt"):
        (folder / name).write_bytes(variant(ord(name[0])))
    real_load = _read.load

    def exploding_load(source: Any, **kwargs: Any) -> _read.Document:
        if "boom" in (kwargs.get("source_path") or ""):
            raise RuntimeError("parser fell over")
        return real_load(source, **kwargs)

    monkeypatch.setattr(_read, "load", exploding_load)
    # Workers see the patch only when they are forked from this process.
    for jobs in (1, 2) if multiprocessing.get_start_method() == "fork" else (1,):
        out = tmp_path / f"out{jobs}"
        summary = convert([folder], out, jobs=jobs)
        assert (summary.exit_code, summary.reports, summary.errors) == (1, 2, 1)
        rows = pq.read_table(out / "diagnostics.parquet").to_pylist()
        internal = [r for r in rows if r["code"] == "internal-error"]
        assert [r["source_path"] for r in internal] == [str(folder / "boom.txt")]
        assert "parser fell over" in internal[0]["message"]
        assert outcomes(manifest_of(out))[str(folder / "boom.txt")] == "error"


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                    reason="workers see the patch only when forked from this process")
def test_a_worker_that_dies_costs_only_its_input(tmp_path: Path, monkeypatch: Any) -> None:
    # The kernel's OOM killer or a crash in a C extension ends a worker at once;
    # os._exit does the same. The pool must not hang, and only that input is lost.
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(40):
        (folder / f"r{i:02}.txt").write_bytes(variant(i))
    (folder / "r17.txt").write_bytes(variant(17) + b"\n<kill the worker>")
    real_load = _read.load
    parent = os.getpid()

    def dying_load(source: Any, **kwargs: Any) -> _read.Document:
        if os.getpid() != parent and "r17" in (kwargs.get("source_path") or ""):
            os._exit(1)
        return real_load(source, **kwargs)

    monkeypatch.setattr(_read, "load", dying_load)
    summary = convert([folder], tmp_path / "out", jobs=2)
    assert (summary.exit_code, summary.inputs, summary.reports, summary.errors) == (1, 40, 39, 1)
    rows = pq.read_table(tmp_path / "out" / "diagnostics.parquet").to_pylist()
    assert [(r["code"], r["source_path"]) for r in rows] == [
        ("internal-error", str(folder / "r17.txt"))]
    assert "worker process died" in rows[0]["message"]
    assert outcomes(manifest_of(tmp_path / "out"))[str(folder / "r17.txt")] == "error"
    (folder / "r17.txt").unlink()  # the rest is exactly what a run without it writes
    convert([folder], tmp_path / "clean", jobs=1)
    for table in ("reports", "progress_updates", "budget_figures", "kpis"):
        got = pq.read_table(tmp_path / "out" / f"{table}.parquet")
        assert got.equals(pq.read_table(tmp_path / "clean" / f"{table}.parquet")), table


def test_oversized_member_is_refused_with_a_diagnostic(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({"big.txt": SEED}))
    summary = convert([archive], tmp_path / "out", jobs=1, limits=Limits(max_file_bytes=1000))
    assert summary.exit_code == 1
    (row,) = pq.read_table(tmp_path / "out" / "diagnostics.parquet").to_pylist()
    assert (row["code"], row["source_path"]) == ("input-too-large", f"{archive}!big.txt")


def test_strict_rejects_inputs_with_problems(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_bytes(SEED)
    (folder / "cut.txt").write_bytes(SEED[: len(SEED) // 2 + 1])
    lenient = convert([folder], tmp_path / "lenient", jobs=1)
    strict = convert([folder], tmp_path / "strict", jobs=1, strict=True)
    assert lenient.reports == 2
    assert strict.reports == 1 and strict.exit_code == 1
    rows = pq.read_table(tmp_path / "strict" / "diagnostics.parquet").to_pylist()
    assert [r["source_path"] for r in rows if r["code"] == "strict-rejected"] == [
        str(folder / "cut.txt")
    ]


def test_incremental_adds_only_new_inputs(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    name = "50240000-7108_{}.txt".format  # the project id rides in the file name
    for i in range(3):
        (folder / name(i)).write_bytes(variant(i))
    (folder / "empty.txt").write_bytes(b"")
    first = convert([folder], out, jobs=1, incremental=True)
    assert first.reports == 3
    (folder / name("new")).write_bytes(variant(7))
    (folder / name("crlf")).write_bytes(variant(0).replace(b"\n", b"\r\n"))  # same report
    second = convert([folder], out, jobs=1, incremental=True)
    assert (second.reports, second.skipped, second.duplicates) == (1, 4, 1)
    manifest = manifest_of(out)
    assert outcomes(manifest) == {
        str(folder / name(0)): "skipped",
        str(folder / name(1)): "skipped",
        str(folder / name(2)): "skipped",
        str(folder / name("crlf")): "duplicate",
        str(folder / "empty.txt"): "skipped",
        str(folder / name("new")): "ok",
    }
    empty = next(e for e in manifest["inputs"] if e["path"].endswith("empty.txt"))
    assert empty["previous_outcome"] == "error" and empty["reason"] == "already-converted"
    assert manifest["totals"]["rows"]["reports"] == 4
    reports = pq.read_table(out / "reports.parquet")
    assert reports.num_rows == 4 == len(set(reports["report_key"].to_pylist()))
    diagnostics = pq.read_table(out / "diagnostics.parquet").to_pylist()
    assert sum(1 for d in diagnostics if d["source_path"] == str(folder / "empty.txt")) == 1
    assert pq.read_table(out / "projects.parquet")["snapshots"].to_pylist() == [4]


def test_incremental_refuses_another_format(tmp_path: Path) -> None:
    convert([SEED_PATH], tmp_path / "out", fmt="csv", jobs=1)
    with pytest.raises(UsageError, match="--format csv"):
        convert([SEED_PATH], tmp_path / "out", fmt="parquet", jobs=1, incremental=True)


def test_rerun_replaces_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert([SEED_PATH], out, fmt="csv", jobs=1)
    convert([SEED_PATH], out, fmt="parquet", jobs=1)
    summary = convert([SEED_PATH], out, fmt="parquet", jobs=1)
    assert pq.read_table(out / "reports.parquet").num_rows == 1 == summary.reports
    assert not list(out.glob("*.csv"))  # the other format's files are gone
    assert manifest_of(out)["totals"]["inputs"] == 1


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


def test_progress_callback_sees_every_input(tmp_path: Path) -> None:
    folder = mixed_inputs(tmp_path)
    seen: list[str] = []
    convert([folder], tmp_path / "out", jobs=2, progress=lambda e: seen.append(e["path"]))
    assert seen == sorted(seen) and len(seen) == 6


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


# --- a run killed mid-way -----------------------------------------------------------------


def test_sigkill_leaves_only_complete_files(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for i in range(300):
        (folder / f"{i:03}.txt").write_bytes(variant(i))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "bmaparse.cli", "convert", str(folder), "-o", str(out),
               "--jobs", "2", "--quiet"]
    subprocess.run([*command[:4], str(folder / "000.txt"), *command[5:]], env=env, check=False)
    before = {p.name for p in out.iterdir()}
    assert "reports.parquet" in before and "manifest.json" in before

    process = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(out.glob(".bmaparse-tmp-*")):
        time.sleep(0.01)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its workers, all at once
    process.wait()

    finals = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert {p.name for p in finals} <= before
    for path in finals:
        if path.suffix == ".parquet":
            pq.read_table(path)  # whole and readable: the old file or the new one
        elif path.name == "manifest.json":
            json.loads(path.read_text(encoding="utf-8"))

    # A rerun needs no --force, removes the dead run's temporaries and completes.
    subprocess.run(command, env=env, check=False, timeout=120)
    assert not list(out.glob(".bmaparse-tmp-*")) and not list(out.glob(".manifest.json.*"))
    assert pq.read_table(out / "reports.parquet").num_rows == 300


def test_the_same_report_twice_in_one_file_is_written_once(tmp_path: Path) -> None:
    twice = tmp_path / "twice.txt"
    twice.write_bytes(SEED + b"\n" + variant(1) + b"\n" + SEED)
    summary = convert([twice], tmp_path / "out", jobs=1)
    assert (summary.reports, summary.duplicates) == (2, 1)
    reports = pq.read_table(tmp_path / "out" / "reports.parquet")
    assert reports["report_key"].to_pylist() == [
        _read.load(SEED).reports[0].report_key, _read.load(variant(1)).reports[0].report_key
    ]
