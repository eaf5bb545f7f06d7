"""convert (bmaparse.batch): workers, dedup, formats, incremental runs, atomic output
under SIGKILL, archive member names never used as paths, and a fault-injected batch
in which every good report is kept and every bad file is a diagnostic
(docs/robustness.md). Discovery is tests/test_discover.py, the manifest and the
output folder's ownership tests/test_manifest.py."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from bmaparse import Limits, _collect, _read, batch
from bmaparse.batch import convert
from bmaparse.errors import UsageError
from bmaparse.tables import SCHEMAS, ProjectsBuilder, build_projects
from bmaparse.writers import FORMATS
from helpers import (
    SEED,
    SEED_PATH,
    SEPARATOR,
    child_env,
    key_of,
    manifest_of,
    outcomes,
    variant,
    zip_bytes,
)


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


# --- convert ------------------------------------------------------------------------------


def test_convert_mixed_folder(tmp_path: Path, mixed_inputs: Path) -> None:
    folder, out = mixed_inputs, tmp_path / "out"
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
def test_every_format_writes_every_table(tmp_path: Path, mixed_inputs: Path, fmt: str) -> None:
    folder, out = mixed_inputs, tmp_path / fmt
    summary = convert([folder], out, fmt=fmt, jobs=1)
    manifest = manifest_of(out)
    assert set(manifest["files"]) == set(SCHEMAS)
    for table in SCHEMAS:
        assert read_table(out, fmt, table, manifest).num_rows == summary.rows[table], table
    assert summary.rows["reports"] == 1 and summary.rows["diagnostics"] >= 3


def test_jobs_do_not_change_the_data(tmp_path: Path, mixed_inputs: Path) -> None:
    folder = mixed_inputs
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
    # 80 inputs: chunks of 20 tasks (for any --jobs), so copies fall both inside
    # one chunk (flattened once by the worker) and in later chunks (dropped by the
    # parent).
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


def test_progress_callback_sees_every_input(tmp_path: Path, mixed_inputs: Path) -> None:
    folder = mixed_inputs
    seen: list[str] = []
    convert([folder], tmp_path / "out", jobs=2, progress=lambda e: seen.append(e["path"]))
    assert seen == sorted(seen) and len(seen) == 6


# --- a run killed mid-way -----------------------------------------------------------------


def test_sigkill_leaves_only_complete_files(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for i in range(300):
        (folder / f"{i:03}.txt").write_bytes(variant(i))
    env = child_env()
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


# --- archive member names -----------------------------------------------------------------


TRAVERSAL = ["../../escape-1.txt", "/tmp/escape-2.txt", "..\\..\\escape-3.txt",
             "C:/escape-4.txt", "ok/../../escape-5.txt"]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_traversal_names_are_read_but_never_used_as_paths(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "in").mkdir(parents=True)
    archive = work / "in" / "evil.zip"
    archive.write_bytes(zip_bytes({name: variant(i) for i, name in enumerate(TRAVERSAL)}))
    before, cwd_before = tree(tmp_path), set(os.listdir(os.getcwd()))
    out = work / "out"
    summary = convert([archive], out, jobs=1)
    assert summary.reports == len(TRAVERSAL) and summary.exit_code == 0
    reports = pq.read_table(out / "reports.parquet")
    assert sorted(reports["source_path"].to_pylist()) == sorted(f"{archive}!{n}" for n in TRAVERSAL)
    assert sorted(reports["report_key"].to_pylist()) == sorted(key_of(variant(i)) for i in range(5))
    created = tree(tmp_path) - before
    assert all(p.startswith(os.path.join("work", "out")) for p in created), created
    assert {p.name for p in out.iterdir()} <= {".bmaparse", "manifest.json", *(
        f"{t}.parquet" for t in SCHEMAS)}
    assert set(os.listdir(os.getcwd())) == cwd_before
    assert not any(Path(p).exists() for p in ("/tmp/escape-2.txt",))


# --- a fault-injected batch ----------------------------------------------------------------


BATCH_LIMITS = Limits(max_file_bytes=6 << 20, max_line_chars=100_000)


def _fault_folder(root: Path) -> tuple[Path, dict[str, bytes], dict[str, str]]:
    """(folder, good inputs -> bytes, bad inputs -> the code each must have)."""
    folder = root / "in"
    (folder / "sub").mkdir(parents=True)
    rng = random.Random(7)
    good: dict[str, bytes] = {}
    bad: dict[str, str] = {}

    def put(name: str, data: bytes) -> str:
        (folder / name).write_bytes(data)
        return str(folder / name)

    good[put("seed.txt", SEED)] = SEED
    for i in range(1, 9):
        good[put(f"sub/{50240000 + i}-7108.txt", variant(i))] = variant(i)
    cp874 = variant(20).decode().encode("cp874")
    good[put("cp874.txt", cp874)] = cp874
    utf16 = variant(21).decode().encode("utf-16")
    good[put("utf16.txt", utf16)] = utf16
    nul = variant(22).replace(b"\n", b"\n\x00", 3)
    good[put("nul.txt", nul)] = nul
    long_line = variant(23) + b"\n" + "ข".encode() * 300_000
    good[put("long-line.txt", long_line)] = long_line

    bad[put("binary.txt", b"\x89PNG\r\n\x1a\n" + rng.randbytes(4000))] = "binary-input"
    bad[put("empty.txt", b"")] = "empty-input"
    bad[put("undecodable.txt", bytes(rng.randrange(128, 256) for _ in range(3000)))] = "binary-input"
    bad[put("no-report.txt", "Minutes of the meeting\nนัดประชุมวันจันทร์\n".encode() * 50)] = "no-report-found"
    bad[put("over-size.txt", b"a" * ((6 << 20) + 1))] = "input-too-large"
    bad[put("separators.txt", (SEPARATOR + "\n").encode() * 100_000)] = "no-report-found"
    bad[put("truncated.zip", zip_bytes({"a.txt": SEED})[:200])] = "unreadable-archive"

    good_member = variant(30)
    archive = folder / "bomb.zip"
    archive.write_bytes(zip_bytes({"bomb.txt": b"a" * (5 << 20), "kept.txt": good_member}))
    bad[f"{archive}!bomb.txt"] = "zip-bomb"
    good[f"{archive}!kept.txt"] = good_member

    traversal = {name: variant(40 + i) for i, name in enumerate(TRAVERSAL)}
    archive = folder / "traversal.zip"
    archive.write_bytes(zip_bytes(traversal))
    good.update({f"{archive}!{name}": data for name, data in traversal.items()})

    archive = folder / "nested.zip"
    archive.write_bytes(zip_bytes({"inner.zip": zip_bytes({"x.txt": variant(50)})}))
    bad[f"{archive}!inner.zip"] = "nested-archive-skipped"
    return folder, good, bad


@pytest.mark.slow
def test_fault_injected_batch_keeps_every_good_report(tmp_path: Path) -> None:
    folder, good, bad = _fault_folder(tmp_path)
    expected = {key_of(data, BATCH_LIMITS): path for path, data in good.items()}
    assert len(expected) == len(good)  # every good input is a different report
    out = tmp_path / "out"
    summary = convert([folder], out, jobs=2, limits=BATCH_LIMITS)

    reports = pq.read_table(out / "reports.parquet").to_pylist()
    assert sorted(r["report_key"] for r in reports) == sorted(expected)
    assert {r["report_key"]: r["source_path"] for r in reports} == expected

    diagnostics = pq.read_table(out / "diagnostics.parquet").to_pylist()
    for path, code in bad.items():
        rows = [d for d in diagnostics if d["source_path"] == path]
        assert [d["code"] for d in rows if d["report_key"] is None] == [code], (path, rows)
    file_level = {d["source_path"] for d in diagnostics if d["report_key"] is None}
    assert file_level == set(bad)  # no good input has a file-level problem
    by_path = {d["source_path"]: d for d in diagnostics if d["code"] == "line-too-long"}
    assert set(by_path) == {str(folder / "long-line.txt")}
    assert "nul-bytes" in {d["code"] for d in diagnostics if d["source_path"] == str(folder / "nul.txt")}

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    outcomes = {e["path"]: e["outcome"] for e in manifest["inputs"]}
    assert set(outcomes) == set(good) | set(bad)
    assert {p: outcomes[p] for p in good} == dict.fromkeys(good, "ok")
    assert {p: outcomes[p] for p in bad} == {
        p: "skipped" if code == "nested-archive-skipped" else "error" for p, code in bad.items()}
    errors = sum(1 for c in bad.values() if c != "nested-archive-skipped")
    assert (summary.inputs, summary.reports, summary.errors, summary.skipped, summary.duplicates) == (
        len(good) + len(bad), len(good), errors, 1, 0)
    assert manifest["totals"] == {
        "inputs": len(good) + len(bad), "reports": len(good), "errors": errors,
        "rows": manifest["run"]["rows"]}
    assert sum(e.get("written", 0) for e in manifest["inputs"]) == len(reports)
    assert manifest["run"]["rows"]["diagnostics"] == len(diagnostics)
    assert summary.exit_code == 1
