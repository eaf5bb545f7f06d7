"""The output folder is one transaction, written by one process at a time.

The commit harness stops a real ``convert`` (a forked process, ended with
``os._exit`` as by SIGKILL: no ``finally`` runs) at every step of its commit,
for every format, replacing and ``--incremental``, and checks the folder after
each: ``verify`` finds it consistent and it holds either the previous run or
the new one, never a mix; a rerun then gives the new run, one row per report.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bmaparse import _commit, synth
from bmaparse._lock import OutputLock
from bmaparse._verify import verify
from bmaparse.batch import convert
from bmaparse.cli import main
from bmaparse.errors import OutputError
from bmaparse.tables import SCHEMAS
from bmaparse.writers import FORMATS
from helpers import ROOT

FORK = multiprocessing.get_context("fork")


def write_inputs(folder: Path, start: int, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(synth.corpus(start + count, seed=7)):
        if i >= start:
            (folder / f"r{i:03}.txt").write_text(text, encoding="utf-8")
    return folder


def state(out: Path) -> tuple[Any, ...]:
    """What a run left: the manifest's row totals and inputs, the reports' keys."""
    found = verify(out)
    assert found.ok, found.lines()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return (json.dumps(manifest["totals"], sort_keys=True),
            tuple(sorted(e["path"] for e in manifest["inputs"])), found.rows["reports"])


def in_child(work: Callable[[], Any], stop_at: str | None = None) -> int:
    """Run ``work`` in a forked process that ends at once (``os._exit``, as if killed)
    when the commit reaches ``stop_at``; the child's exit status."""
    def child() -> None:
        if stop_at is not None:
            def hook(step: str) -> None:
                if step == stop_at:
                    os._exit(86)
            _commit.fault_hook = hook
        try:
            work()
        except BaseException:
            os._exit(1)
        os._exit(0)

    process = FORK.Process(target=child)
    process.start()
    process.join(120)
    assert process.exitcode is not None, "the child hung"
    return process.exitcode


def commit_steps(run: Callable[[], Any]) -> list[str]:
    """The steps a run's commit goes through (recorded in a child, whose folder is thrown away)."""
    queue = FORK.SimpleQueue()

    def record() -> None:
        _commit.fault_hook = queue.put
        run()
        queue.put(None)

    assert in_child(record) == 0
    steps = []
    while (step := queue.get()) is not None:
        steps.append(step)
    return steps


SCENARIOS = [(fmt, mode) for fmt in FORMATS for mode in ("replace", "incremental")]


@pytest.mark.parametrize(("fmt", "mode"), SCENARIOS)
def test_a_run_stopped_at_any_step_of_its_commit_leaves_one_whole_state(
    tmp_path: Path, fmt: str, mode: str
) -> None:
    base = tmp_path / "base"  # the previous run: four inputs
    convert([write_inputs(tmp_path / "first", 0, 4)], base, fmt=fmt, jobs=1)
    if mode == "replace":  # three other inputs
        inputs = [write_inputs(tmp_path / "second", 4, 3)]
    else:  # the same four (skipped: same sha256) and three new ones
        inputs = [write_inputs(tmp_path / "all", 0, 7)]
    # what the new run gives when nothing stops it
    incremental = mode == "incremental"
    expected_dir = tmp_path / "expected"
    shutil.copytree(base, expected_dir)

    def run_into(out: Path) -> Callable[[], Any]:
        return lambda: convert(inputs, out, fmt=fmt, jobs=1, incremental=incremental)

    convert(inputs, expected_dir, fmt=fmt, jobs=1, incremental=incremental)
    before, after = state(base), state(expected_dir)
    assert before != after

    scratch = tmp_path / "scratch"
    shutil.copytree(base, scratch)
    steps = commit_steps(run_into(scratch))
    assert steps[0] == "recovered"  # every run first finishes or undoes what it finds
    steps = steps[1:]
    assert steps[:2] == ["staged", "journal"] and steps[-1] == "committed"
    assert len([s for s in steps if s.startswith("replaced")]) >= 2
    for step in steps:
        out = tmp_path / f"stopped-{steps.index(step)}"
        shutil.copytree(base, out)
        assert in_child(run_into(out), stop_at=step) == 86, step
        decided = steps.index(step) >= steps.index("journal")
        if decided:  # stop the recovery too, half way: the next command finishes it
            replaced = [s for s in steps if s.startswith("replaced")]
            in_child(lambda out=out: verify(out), stop_at=replaced[len(replaced) // 2])
        assert state(out) == (after if decided else before), step
        assert not [p.name for p in out.iterdir() if p.name.startswith(".bmaparse-")], step
        convert(inputs, out, fmt=fmt, jobs=1, incremental=incremental)
        assert state(out) == after, step  # the rerun: one row per report (verify checks keys)
        shutil.rmtree(out)


def test_a_stopped_change_of_format_keeps_one_format(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 3)
    base = tmp_path / "base"
    convert([inputs], base, fmt="parquet", jobs=1)
    scratch = tmp_path / "scratch"
    shutil.copytree(base, scratch)
    steps = commit_steps(lambda: convert([inputs], scratch, fmt="csv", jobs=1))[1:]
    removed = [s for s in steps if s.startswith("removed")]
    assert len(removed) == len(SCHEMAS)  # every parquet file
    for step in ("journal", removed[0], removed[-1]):
        out = tmp_path / f"stopped-{steps.index(step)}"
        shutil.copytree(base, out)
        assert in_child(lambda out=out: convert([inputs], out, fmt="csv", jobs=1),
                        stop_at=step) == 86
        assert verify(out).ok
        assert sorted(p.suffix for p in out.iterdir() if not p.name.startswith(".")) == \
            [".csv"] * len(SCHEMAS) + [".json"]


def test_a_killed_run_before_its_commit_leaves_the_previous_state(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 3)
    out = tmp_path / "out"
    convert([inputs], out, jobs=1)
    before = state(out)
    write_inputs(tmp_path / "in", 3, 2)
    assert in_child(lambda: convert([inputs], out, jobs=1), stop_at="staged") == 86
    assert [p.name for p in out.iterdir() if p.name.startswith(".bmaparse-tmp-")]  # left behind
    assert main(["verify", str(out)]) == 0
    assert state(out) == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(".bmaparse-")]


# --- one writer at a time ---------------------------------------------------------------


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def test_a_second_writer_is_refused_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 2)
    out = tmp_path / "out"
    convert([inputs], out, jobs=1)
    capsys.readouterr()
    with OutputLock(out, "convert"):  # another run holds the folder
        before = tree(out)
        assert main(["convert", str(inputs), "-o", str(out), "--jobs", "1"]) == 1
        assert main(["convert", str(inputs), "-o", str(out), "--incremental"]) == 1
        assert main(["verify", str(out)]) == 1
        assert tree(out) == before
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert all(line.startswith(f"bmaparse: error: output folder {out} is in use by another"
                               f" bmaparse process (pid {os.getpid()}, bmaparse convert)")
               for line in err), err
    assert not (out / ".bmaparse.lock").exists()  # released: its file removed


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 2)
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from bmaparse._lock import OutputLock
            lock = OutputLock(Path({str(out)!r}), "convert")
            lock.acquire()
            print("locked", flush=True)
            time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(Exception, match=f"pid {holder.pid}"):
            convert([inputs], out, jobs=1)
        holder.kill()  # SIGKILL: the lock file stays, naming a dead process
        holder.wait()
        assert (out / ".bmaparse.lock").exists()
        lock = OutputLock(out, "convert")
        lock.acquire()
        assert lock.previous is not None and lock.previous["pid"] == holder.pid
        lock.release()
        assert convert([inputs], out, jobs=1).exit_code == 0
        assert verify(out).ok
    finally:
        holder.kill()
        holder.wait()


def test_two_converts_at_once_end_with_one_whole_run(tmp_path: Path) -> None:
    a = write_inputs(tmp_path / "a", 0, 20)
    b = write_inputs(tmp_path / "b", 20, 20)
    out = tmp_path / "out"
    convert([a], out, jobs=1)
    runs = [subprocess.Popen([sys.executable, "-m", "bmaparse", "convert", str(folder), "-o",
                              str(out), "--jobs", "1", "--quiet"], stderr=subprocess.PIPE,
                             text=True) for folder in (a, b)]
    results = [(run.wait(120), run.stderr.read() if run.stderr else "") for run in runs]
    assert {status for status, _ in results} <= {0, 1}
    assert any(status == 0 for status, _ in results)
    for status, err in results:
        if status == 1:
            assert "is in use by another bmaparse process" in err, err
    found = verify(out)
    assert found.ok, found.lines()
    assert found.rows["reports"] == 20


# --- DuckDB held by another process, a full disk ------------------------------------------


def test_a_duckdb_database_held_by_another_process_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 2)
    out = tmp_path / "out"
    convert([inputs], out, fmt="duckdb", jobs=1)
    database = out / "bmaparse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(database)!r})
            con.execute("CREATE TABLE mine (x INTEGER)")
            print("open", flush=True)
            time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = database.read_bytes()
        capsys.readouterr()
        for extra in ([], ["--incremental"]):
            status = main(["convert", str(inputs), "-o", str(out), "--format", "duckdb",
                           "--jobs", "1", *extra])
            assert status == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert f"the database {database} is in use by another process" in err, err
            assert database.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
    assert verify(out).ok


@contextlib.contextmanager
def small_disk(tmp_path: Path, size: str = "600k") -> Iterator[Path]:
    """A real file system of ``size``: a tmpfs mount (as root, where mounting works)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.fail("a full-disk test needs a tmpfs mount (root); mount said: "
                    + done.stderr.decode(errors="replace"))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_is_one_clear_line_and_the_previous_output_stays(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    small = write_inputs(tmp_path / "small", 0, 2)
    big = write_inputs(tmp_path / "big", 0, 400)
    with small_disk(tmp_path, "4m" if fmt == "duckdb" else "600k") as disk:  # 2 MB: a new database
        out = disk / "out"
        assert main(["convert", str(small), "-o", str(out), "--format", fmt, "--jobs", "1",
                     "--quiet"]) == 0
        before = state(out)
        for extra in ([], ["--incremental"]):
            capsys.readouterr()
            status = main(["convert", str(big), "-o", str(out), "--format", fmt, "--jobs", "1",
                           "--quiet", *extra])
            err = capsys.readouterr().err
            assert status == 1, err
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert f"{out}" in err and ("No space left" in err or "space" in err.lower()), err
            assert state(out) == before
            assert not [p.name for p in out.iterdir() if p.name.startswith(".bmaparse-tmp")]


def test_sigterm_stops_a_convert_cleanly(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 3)
    out = tmp_path / "out"
    convert([inputs], out, jobs=1)
    before = state(out)
    write_inputs(tmp_path / "in", 3, 2)
    script = textwrap.dedent(f"""
        import os, signal, sys
        from bmaparse import _commit
        from bmaparse.cli import main
        def hook(step):
            if step == "staged":  # the tables are written, the commit not begun
                os.kill(os.getpid(), signal.SIGTERM)
        _commit.fault_hook = hook
        sys.exit(main(["convert", {str(inputs)!r}, "-o", {str(out)!r}, "--jobs", "2"]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr
    assert not [p.name for p in out.iterdir() if p.name.startswith(".bmaparse-")]
    assert state(out) == before


# --- verify finds what disagrees ------------------------------------------------------------


def converted(tmp_path: Path, fmt: str = "parquet") -> Path:
    out = tmp_path / "out"
    convert([write_inputs(tmp_path / "in", 0, 4)], out, fmt=fmt, jobs=1)
    return out


def test_verify_finds_rows_the_manifest_does_not_count(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = converted(tmp_path)
    reports = pq.read_table(out / "reports.parquet")
    pq.write_table(reports.slice(1), out / "reports.parquet")  # one report gone
    found = verify(out)
    assert not found.ok
    text = "\n".join(found.problems)
    assert "table reports: 3 rows, the manifest says 4" in text
    assert "rows point to reports that are not in reports" in text
    assert "inputs do not have the reports the manifest says they wrote" in text
    assert main(["verify", str(out)]) == 1


def test_verify_after_an_incremental_run_that_met_a_copy(tmp_path: Path) -> None:
    """A copy of a converted input under a new name is skipped by ``--incremental``
    (same sha256): its rows are under the first name, and the folder is consistent
    (verify said "b.txt (0 of 1)"); with those rows gone, both names are reported."""
    import pyarrow.parquet as pq

    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    shutil.copy(ROOT / "samples" / "synth_page_1.txt", inputs / "a.txt")
    convert([inputs], out, jobs=1)
    shutil.copy(inputs / "a.txt", inputs / "b.txt")
    convert([inputs], out, jobs=1, incremental=True)
    assert verify(out).ok, verify(out).problems
    reports = pq.read_table(out / "reports.parquet")
    pq.write_table(reports.slice(0, 0), out / "reports.parquet")
    text = "\n".join(verify(out).problems)
    assert "a.txt (0 of 1)" in text and "b.txt (0 of 1)" in text


def test_verify_finds_repeated_keys_and_missing_files(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = converted(tmp_path)
    reports = pq.read_table(out / "reports.parquet")
    pq.write_table(pa.concat_tables([reports, reports.slice(0, 1)]), out / "reports.parquet")
    (out / "kpis.parquet").unlink()
    problems = "\n".join(verify(out).problems)
    assert "report_keys appear more than once" in problems
    assert "table kpis: its file kpis.parquet is missing" in problems


def test_verify_finds_a_repeated_row_key_in_a_child_table(tmp_path: Path) -> None:
    """A row key (``tables.TABLE_KEYS``) twice: the key a warehouse load upserts by. The
    row count is put right in the manifest, so only the key can tell."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = converted(tmp_path)
    assert verify(out).ok, verify(out).problems
    figures = pq.read_table(out / "budget_figures.parquet")
    assert figures.num_rows > 1
    column = figures.schema.get_field_index("ordinal")
    twin = figures.set_column(column, figures.schema.field("ordinal"),
                              pc.if_else(pc.equal(figures["ordinal"], 2), 1, figures["ordinal"]
                                         ).cast(pa.int32()))
    pq.write_table(twin, out / "budget_figures.parquet")
    problems = "\n".join(verify(out).problems)
    assert "table budget_figures: " in problems, problems
    assert "keys (report_key, ordinal) appear more than once" in problems
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["totals"]["rows"]["budget_figures"] == figures.num_rows  # counts agree


def test_verify_of_a_folder_without_a_manifest(tmp_path: Path) -> None:
    assert main(["verify", str(tmp_path)]) == 1
    assert "not a folder bmaparse wrote" in verify(tmp_path).problems[0]
    assert not verify(tmp_path / "missing").ok


@pytest.mark.parametrize("fmt", FORMATS)
def test_verify_of_a_good_folder_in_every_format(tmp_path: Path, fmt: str) -> None:
    found = verify(converted(tmp_path, fmt))
    assert found.ok, found.lines()
    assert found.rows["reports"] == 4 and len(found.rows) == len(SCHEMAS)


def test_a_planted_journal_moves_nothing_outside_the_folder(tmp_path: Path) -> None:
    out = converted(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (out / ".bmaparse-tmp-1-x").mkdir()
    (out / ".bmaparse-commit.json").write_text(json.dumps(
        {"tool": "bmaparse", "staging": ".bmaparse-tmp-1-x", "replace": [],
         "remove": ["../victim.txt"]}), encoding="utf-8")
    with pytest.raises(OutputError, match="is not an output in the folder"):
        verify(out)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert main(["verify", str(out)]) == 1  # one line, no traceback


def test_a_journal_whose_staging_folder_is_a_link_moves_nothing(tmp_path: Path) -> None:
    out = converted(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.txt").write_text("mine", encoding="utf-8")
    (out / ".bmaparse-tmp-1-x").symlink_to(outside)
    (out / ".bmaparse-commit.json").write_text(json.dumps(
        {"tool": "bmaparse", "staging": ".bmaparse-tmp-1-x", "replace": ["notes.txt"],
         "remove": []}), encoding="utf-8")
    with pytest.raises(OutputError, match="not a folder bmaparse made"):
        verify(out)
    assert (outside / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (out / "notes.txt").exists()


@pytest.mark.parametrize("planted", ["journal", "manifest"])
def test_special_files_planted_as_journal_or_manifest_never_hang(
    tmp_path: Path, planted: str
) -> None:
    out = converted(tmp_path)
    name = ".bmaparse-commit.json" if planted == "journal" else "manifest.json"
    (out / name).unlink(missing_ok=True)
    os.mkfifo(out / name)
    run = subprocess.run([sys.executable, "-m", "bmaparse", "verify", str(out)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    (out / name).unlink()
    (out / name).symlink_to("/dev/zero")
    run = subprocess.run([sys.executable, "-m", "bmaparse", "verify", str(out)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr


def test_a_planted_lock_file_is_never_written_through(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 2)
    out = tmp_path / "out"
    convert([inputs], out, jobs=1)
    victim = tmp_path / "victim.txt"
    for plant in ("hard link", "symbolic link", "fifo"):
        victim.write_text("keep me", encoding="utf-8")
        if plant == "hard link":
            os.link(victim, out / ".bmaparse.lock")
        elif plant == "symbolic link":
            (out / ".bmaparse.lock").symlink_to(victim)
        else:
            os.mkfifo(out / ".bmaparse.lock")
        assert convert([inputs], out, jobs=1).exit_code == 0, plant
        assert victim.read_text(encoding="utf-8") == "keep me", plant
        assert not (out / ".bmaparse.lock").exists(), plant
    (out / ".bmaparse.lock").mkdir()
    with pytest.raises(OutputError, match="cannot open the lock file"):
        convert([inputs], out, jobs=1)


def test_a_forged_manifest_cannot_make_a_run_remove_control_or_user_files(
    tmp_path: Path
) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 2)
    out = tmp_path / "out"
    convert([inputs], out, jobs=1)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"].update({"a": ".bmaparse.lock", "b": ".bmaparse", "c": "notes.txt",
                              "d": ".bmaparse-commit.json"})
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    steps = commit_steps(lambda: convert([inputs], out, fmt="csv", jobs=1))
    assert not [s for s in steps if "bmaparse" in s or "notes" in s], steps
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / ".bmaparse").exists() and verify(out).ok


# --- what the manifest records ---------------------------------------------------------------


def test_the_manifest_is_as_readable_as_the_tables(tmp_path: Path) -> None:
    out = converted(tmp_path)
    assert (out / "manifest.json").stat().st_mode & 0o777 == \
        (out / "reports.parquet").stat().st_mode & 0o777


def test_incremental_does_not_read_an_unchanged_failed_input_again(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    inputs = write_inputs(tmp_path / "in", 0, 2)
    big = inputs / "big.txt"
    big.write_text(next(iter(synth.corpus(1, seed=3))) * 40, encoding="utf-8")
    out = tmp_path / "out"
    limit = ["--max-file-size", str(big.stat().st_size - 1)]
    args = ["convert", str(inputs), "-o", str(out), "--jobs", "1", "--quiet", *limit]
    assert main(args) == 1
    rows = pq.read_table(out / "diagnostics.parquet").num_rows
    assert rows >= 1
    for _ in range(2):
        assert main([*args, "--incremental"]) == 0  # nothing new failed: it was reported
        assert pq.read_table(out / "diagnostics.parquet").num_rows == rows
    os.utime(big, ns=(1, 1))  # changed: read again, its new diagnostic replaces the old
    assert main([*args, "--incremental"]) == 1
    assert pq.read_table(out / "diagnostics.parquet").num_rows == rows
    assert verify(out).ok


def test_names_that_differ_only_in_undecodable_bytes_stay_two_inputs(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    texts = list(synth.corpus(2, seed=5))
    for name, text in zip((b"a\xff.txt", b"a\xfe.txt"), texts, strict=True):
        (folder / os.fsdecode(name)).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    for incremental in (False, True, True):
        convert([folder], out, jobs=1, incremental=incremental)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert sorted(e["path"] for e in manifest["inputs"]) == [
            f"{folder}/a\\xfe.txt", f"{folder}/a\\xff.txt"]
        assert verify(out).ok


# --- exit status that schedulers can live with -------------------------------------------------


def test_exit_status_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 2)
    for i in range(7):
        (inputs / f"not-a-report-{i}.txt").write_text("hello world\n", encoding="utf-8")
    out = str(tmp_path / "out")
    base = ["convert", str(inputs), "-o", out, "--jobs", "1"]
    assert main(base) == 1
    err = capsys.readouterr().err
    assert "inputs with errors: " in err and "and 2 more" in err and "manifest.json" in err
    assert err.count("not-a-report-") == 5
    assert main([*base, "--fail-on", "never"]) == 0
    assert main([*base, "--max-errors", "7"]) == 0
    assert main([*base, "--max-errors", "6"]) == 1
    capsys.readouterr()
    assert main([*base, "--fail-on", "never", "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["exit_code"] == 0 and summary["errors"] == 7
    assert len(summary["failed_inputs"]) == 5


def test_fail_on_warning_counts_inputs_with_warnings(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    text = next(iter(synth.corpus(1, seed=9)))
    (inputs / "a.txt").write_text(text + "\nบรรทัดที่ไม่มีใครรู้จัก\n", encoding="utf-8")
    out = str(tmp_path / "out")
    base = ["convert", str(inputs), "-o", out, "--jobs", "1", "--quiet"]
    assert main(base) == 0
    assert main([*base, "--fail-on", "warning"]) == 1
    assert main([*base, "--fail-on", "warning", "--max-errors", "1"]) == 0


def test_signal_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    assert main(["schema"]) == 0
    assert signal.getsignal(signal.SIGTERM) == before


def test_bmaparse_exposes_convert_and_verify() -> None:
    import bmaparse

    assert bmaparse.convert is convert and bmaparse.verify is verify
    assert issubclass(bmaparse.OutputBusyError, bmaparse.OutputError)
    assert issubclass(bmaparse.OutputError, bmaparse.BmaparseError)
    assert ROOT.is_dir()


def test_verify_reads_a_folder_it_may_not_write(tmp_path: Path) -> None:
    out = converted(tmp_path)
    with small_disk(tmp_path, "8m") as disk:
        shutil.copytree(out, disk / "out")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        found = verify(disk / "out")  # an archived copy on a read-only file system
        assert found.ok and found.rows["reports"] == 4, found.lines()


def test_a_write_ahead_log_left_by_a_crashed_session_is_kept_and_never_breaks_the_database(
    tmp_path: Path
) -> None:
    import duckdb

    inputs = write_inputs(tmp_path / "in", 0, 2)
    out = tmp_path / "out"
    convert([inputs], out, fmt="duckdb", jobs=1)
    database = out / "bmaparse.duckdb"
    crash = textwrap.dedent(f"""
        import duckdb, os
        con = duckdb.connect({str(database)!r})
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute("CREATE TABLE notes (x INTEGER)")
        con.execute("INSERT INTO notes VALUES (42)")
        os._exit(0)  # a session that crashed: its log is not checkpointed
    """)
    for extra in ([], ["--incremental"]):
        subprocess.run([sys.executable, "-c", crash], check=True, timeout=60)
        assert (out / "bmaparse.duckdb.wal").exists()
        assert main(["convert", str(inputs), "-o", str(out), "--format", "duckdb", "--jobs", "1",
                     "--quiet", *extra]) == 0
        assert verify(out).ok
        with duckdb.connect(str(database), read_only=True) as con:
            assert con.execute("SELECT x FROM notes").fetchall() == [(42,)]
        with duckdb.connect(str(database)) as con:
            con.execute("DROP TABLE notes")


def test_an_interrupt_just_after_the_journal_is_written_keeps_the_staged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = write_inputs(tmp_path / "in", 0, 3)
    out = tmp_path / "out"
    convert([inputs], out, fmt="parquet", jobs=1)
    write_inputs(tmp_path / "in", 3, 2)
    write_journal = _commit._write_journal

    def interrupted(*args: Any) -> None:
        write_journal(*args)
        raise KeyboardInterrupt  # a signal at the instant after the journal's rename

    monkeypatch.setattr(_commit, "_write_journal", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert([inputs], out, fmt="csv", jobs=1)
    monkeypatch.undo()
    found = verify(out)
    assert found.ok and found.rows["reports"] == 5, found.lines()
    assert sorted({p.suffix for p in out.iterdir() if not p.name.startswith(".")}) == \
        [".csv", ".json"]


def test_incremental_refuses_a_folder_whose_tables_disagree_with_its_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = converted(tmp_path)
    (out / "kpis.parquet").unlink()
    args = ["convert", str(tmp_path / "in"), "-o", str(out), "--incremental", "--quiet"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "does not agree with its manifest (the tables kpis are missing)" in err, err
    import pyarrow.parquet as pq

    convert([tmp_path / "in"], tmp_path / "other", jobs=1)
    shutil.copy(tmp_path / "other" / "kpis.parquet", out / "kpis.parquet")
    reports = pq.read_table(out / "reports.parquet")
    pq.write_table(reports.slice(1), out / "reports.parquet")
    assert main(args) == 1
    assert "reports has 3 rows, its manifest says 4" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "in"), "-o", str(out), "--quiet"]) == 0  # rebuilt
    assert verify(out).ok


def test_verify_finds_reports_of_inputs_the_manifest_does_not_list(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = converted(tmp_path)
    convert([tmp_path / "in"], out, jobs=1, incremental=True)  # all skipped: still consistent
    assert verify(out).ok
    reports = pq.read_table(out / "reports.parquet")
    paths = pc.if_else(pc.equal(pc.utf8_length(reports["source_path"]), 0),
                       reports["source_path"], pa.scalar("elsewhere.txt"))
    moved = reports.set_column(reports.schema.get_field_index("source_path"), "source_path", paths)
    pq.write_table(moved.cast(reports.schema), out / "reports.parquet")
    problems = "\n".join(verify(out).problems)
    assert "rows from 1 inputs the manifest does not list (e.g. elsewhere.txt)" in problems
    assert "4 inputs do not have the reports the manifest says they wrote" in problems
