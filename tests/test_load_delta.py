"""Loads into Delta tables (``warehouse._delta``), against the real ``deltalake``.

A first load holds the folder's rows, every table, with the types and comments Delta
keeps; a second load of the same folder changes nothing (no table's version moves);
later converts upsert (the union, no row key twice, a report parsed again loses its old
child rows), one commit per table, ``reports`` last; a table altered by hand is refused
with nothing written; a load killed midway (SIGKILL, in a child process) leaves the
tables before the kill with the new rows and the rest as they were, and the next load
completes it without rewriting what is done; a path that is not bmaparse's is refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from bmaparse.errors import LoadError
from bmaparse.tables import SCHEMAS
from bmaparse.warehouse import load_into
from bmaparse.warehouse._spec import LOAD_ORDER, LOADS_TABLE
from helpers import ROOT, SEED, child_env
from lake_helpers import (
    Rows,
    apply,
    assert_same_rows,
    expected,
    folders,
    incoming,
    one_line,
    rows_of,
    thai_rows,
    with_changed_report,
)

try:
    import deltalake
except ImportError:  # the extra is not installed: on CI that is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("deltalake is not installed: pip install 'bmaparse[delta]'",
                allow_module_level=True)
from bmaparse.warehouse import _delta  # needs deltalake

DeltaTable = deltalake.DeltaTable
TABLES = (*LOAD_ORDER, LOADS_TABLE)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return folders(tmp_path_factory.mktemp("delta-folders"))


def held(root: Path) -> Rows:
    return {name: DeltaTable(str(root / name)).to_pyarrow_table(
        columns=SCHEMAS[name].names).to_pylist() for name in LOAD_ORDER}


def versions(root: Path) -> dict[str, int]:
    return {name: DeltaTable(str(root / name)).version() for name in TABLES
            if (root / name).exists()}


def loads(root: Path) -> list[str]:
    data = DeltaTable(str(root / LOADS_TABLE)).to_pyarrow_table().sort_by("loaded_at")
    return [str(v) for v in data.column("folder_id").to_pylist()]


def schema(root: Path, name: str) -> pa.Schema:
    exported: Any = DeltaTable(str(root / name)).schema().to_arrow()
    return pa.schema(exported)


def test_a_first_load_holds_the_folders_rows_typed_and_commented(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    root = tmp_path / "lake"
    a = incoming(converted["a"])
    summary = _delta.load(str(root), a)
    assert not summary.unchanged
    assert {n: t.inserted for n, t in summary.tables.items()} == {
        n: a.tables[n].num_rows for n in LOAD_ORDER}
    got = held(root)
    assert_same_rows(got, rows_of(a))
    assert thai_rows(got) == thai_rows(rows_of(a)) and len(thai_rows(got)) > 5
    assert versions(root) == dict.fromkeys(TABLES, 0)  # one commit each
    assert loads(root) == [a.folder_id]
    reports = schema(root, "reports")
    for name in ("progress_percent", "fiscal_year_be", "evaluation_quarter", "start_date",
                 "routine_work", "report_key"):
        assert reports.field(name).type == SCHEMAS["reports"].field(name).type, name
        assert reports.field(name).nullable == SCHEMAS["reports"].field(name).nullable, name
    meta = reports.field("targets").metadata
    assert meta[b"label_th"].decode() == "เป้าหมายของโครงการ"
    assert meta[b"comment"].decode() == "Targets of the project. [เป้าหมายของโครงการ]"
    table = DeltaTable(str(root / "reports")).metadata()
    assert table.name == "reports" and table.description.startswith("One row per report")
    assert schema(root, LOADS_TABLE).field("loaded_at").type == pa.timestamp("us", tz="UTC")


def test_loading_the_same_folder_again_writes_nothing(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    root = tmp_path / "lake"
    a = incoming(converted["a"])
    _delta.load(str(root), a)
    before = versions(root), sorted(str(p) for p in root.rglob("*"))
    summary = _delta.load(str(root), a)
    assert summary.unchanged and summary.tables == {}
    assert (versions(root), sorted(str(p) for p in root.rglob("*"))) == before


def test_later_converts_upsert_one_commit_per_table(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    root = tmp_path / "lake"
    a, b, c = (incoming(converted[n]) for n in "abc")
    _delta.load(str(root), a)
    summary = _delta.load(str(root), b)  # b holds a and more: the lake equals b
    assert summary.tables["reports"].deleted == a.tables["reports"].num_rows
    assert_same_rows(held(root), rows_of(b))
    # one commit per table that had rows or gets some (a merge that changes nothing
    # commits nothing: diagnostics, empty in both folders)
    touched = {n for n in LOAD_ORDER if a.tables[n].num_rows or b.tables[n].num_rows}
    assert touched >= {"reports", "objectives", "findings"} and "diagnostics" not in touched
    assert versions(root) == {n: int(n in touched or n == LOADS_TABLE) for n in TABLES}
    commits = {n: DeltaTable(str(root / n)).history(1)[0] for n in (*touched, LOADS_TABLE)}
    assert {n: h[_delta.FOLDER_ID] for n, h in commits.items()} == dict.fromkeys(
        commits, b.folder_id)
    order = [n for n, _ in sorted(commits.items(), key=lambda kv: kv[1]["timestamp"])]
    assert order[-2:] == ["reports", LOADS_TABLE]  # reports marks the load complete
    _delta.load(str(root), c)  # other inputs: the union, replaced by key
    assert_same_rows(held(root), expected(a, b, c))
    changed, key = with_changed_report(c)
    _delta.load(str(root), changed)  # a report parsed again: its old child rows are gone
    got = held(root)
    assert_same_rows(got, expected(a, b, c, changed))
    mine = [r for r in got["objectives"] if r["report_key"] == key]
    assert mine == [r for r in changed.tables["objectives"].to_pylist() if r["report_key"] == key]
    assert loads(root) == [x.folder_id for x in (a, b, c, changed)]


def _rewrite(root: Path, name: str, change: Any) -> None:
    """Rewrite a table by hand with another schema (``change``: table -> table)."""
    table = DeltaTable(str(root / name))
    data = change(table.to_pyarrow_table())
    deltalake.write_deltalake(table, data, mode="overwrite", schema_mode="overwrite")


ALTERATIONS = {
    "dropped": (lambda root: _rewrite(root, "reports", lambda t: t.drop_columns(["parser_version"])),
                "lacks the NOT NULL column parser_version"),
    "dropped key": (lambda root: _rewrite(root, "objectives", lambda t: t.drop_columns(["ordinal"])),
                    "lacks the key column ordinal"),
    "retyped": (lambda root: _rewrite(root, "objectives", lambda t: t.set_column(
        t.schema.get_field_index("ordinal"), "ordinal", t["ordinal"].cast(pa.int64()))),
        "column ordinal: the table has int64"),
    "added": (lambda root: DeltaTable(str(root / "kpis")).alter.add_columns(
        deltalake.Field("reviewed", "string")), "has a column reviewed"),
    "added not null": (lambda root: _rewrite(root, "kpis", lambda t: t.append_column(
        pa.field("checked", pa.int32(), False), pa.array([0] * t.num_rows, pa.int32()))),
        "has a column checked"),
    "dropped nullable": (lambda root: _rewrite(root, "reports", lambda t: t.drop_columns(
        ["targets"])), "lacks the column targets"),
    "newer load": (lambda root: _loaded_with(root, "4"), "loaded with schema version 4"),
}


@pytest.mark.parametrize("alteration", ALTERATIONS)
def test_a_table_altered_by_hand_is_refused_and_nothing_is_written(
        tmp_path: Path, converted: dict[str, Path], alteration: str) -> None:
    root = tmp_path / "lake"
    _delta.load(str(root), incoming(converted["a"]))
    alter, message = ALTERATIONS[alteration]
    alter(root)
    before = versions(root)
    with pytest.raises(LoadError) as refused:
        _delta.load(str(root), incoming(converted["b"]))
    one_line(str(refused.value), f"delta:{root}: ", message)
    assert versions(root) == before


def _loaded_with(root: Path, version: str) -> None:
    """Rewrite ``bmaparse_loads`` as if its loads had had schema version ``version``."""
    _rewrite(root, LOADS_TABLE, lambda t: t.set_column(
        t.schema.get_field_index("schema_version"), t.schema.field("schema_version"),
        pa.array([version] * t.num_rows, pa.string())))


def test_a_newer_schema_version_adds_a_nullable_column(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    root = tmp_path / "lake"
    _delta.load(str(root), incoming(converted["a"]))
    _rewrite(root, "reports", lambda t: t.drop_columns(["targets"]))
    _loaded_with(root, "2")  # as if loaded by a bmaparse of schema version 2
    b = incoming(converted["b"])
    summary = _delta.load(str(root), b)
    assert summary.evolved == ("reports.targets",)
    assert_same_rows(held(root), rows_of(b))


KILLED = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from bmaparse.warehouse import _delta, read_folder
    root, folder, stop, marker = sys.argv[1:]
    def hook(step):
        if step == stop:
            Path(marker).write_text(step)
            time.sleep(600)
    _delta.fault_hook = hook
    _delta.load(root, read_folder(Path(folder), source=folder))
    sys.exit(3)  # not stopped: the test fails
""")


@pytest.mark.parametrize("stop", ["table:kpi_entries", "table:findings", "table:reports"])
def test_a_load_killed_midway_is_completed_by_the_next(
        tmp_path: Path, converted: dict[str, Path], stop: str) -> None:
    root = tmp_path / "lake"
    a, b = incoming(converted["a"]), incoming(converted["b"])
    _delta.load(str(root), a)
    marker = tmp_path / "stopped"
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(root), str(converted["b"]),
                              stop, str(marker)], env=child_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.communicate()[1].decode()
        assert time.monotonic() < deadline, "the child never reached " + stop
        time.sleep(0.05)
    before_busy = versions(root)
    with pytest.raises(LoadError) as busy:  # a second load meanwhile: refused, not raced
        _delta.load(str(root), b)
    one_line(str(busy.value), f"delta:{root}: the Delta folder", "in use by another bmaparse")
    assert versions(root) == before_busy
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done = LOAD_ORDER[: LOAD_ORDER.index(stop.removeprefix("table:")) + 1]
    # what a kill leaves: the tables up to the stop with b's rows, the rest with a's
    got, after_a, after_b = held(root), rows_of(a), apply(rows_of(a), b)
    assert_same_rows(got, {n: (after_b if n in done else after_a)[n] for n in LOAD_ORDER})
    assert loads(root) == [a.folder_id]  # the load is not recorded
    if "reports" not in done:  # a reader going through reports sees a's reports only
        assert {r["report_key"] for r in got["reports"]} == {
            r["report_key"] for r in after_a["reports"]}
    before = versions(root)
    summary = _delta.load(str(root), b)  # the rerun completes it
    assert not summary.unchanged
    assert_same_rows(held(root), rows_of(b))
    assert loads(root) == [a.folder_id, b.folder_id]
    now = versions(root)
    # what the killed load committed is not redone (nor is an empty table's nothing)
    assert {n for n in TABLES if now[n] != before[n]} == {LOADS_TABLE} | {
        n for n in LOAD_ORDER if n not in done and (a.tables[n].num_rows or b.tables[n].num_rows)}


def test_a_path_that_is_not_bmaparses_is_refused(tmp_path: Path, converted: dict[str, Path]) -> None:
    a = incoming(converted["a"])
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(LoadError) as refused:
        _delta.load(str(other), a)
    one_line(str(refused.value), "holds notes.txt, which is not one of bmaparse's Delta tables")
    plain = tmp_path / "plain"
    (plain / "reports").mkdir(parents=True)
    with pytest.raises(LoadError, match="holds reports, which is not one of"):
        _delta.load(str(plain), a)
    foreign = tmp_path / "foreign"
    deltalake.write_deltalake(str(foreign / "reports"), pa.table({"x": [1]}), name="sales")
    with pytest.raises(LoadError) as named:
        _delta.load(str(foreign), a)
    one_line(str(named.value), "is a Delta table bmaparse did not write")
    assert sorted(p.name for p in foreign.iterdir()) == ["reports"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(LoadError, match="is not a folder"):
        _delta.load(str(a_file), a)


def test_file_level_diagnostics_of_hostile_names_are_replaced_not_repeated(
        tmp_path: Path) -> None:
    from bmaparse.batch import convert

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("it's.txt", "back\\slash.txt", "new\nline.txt", "ไทย.txt"):
        (folder / name).write_bytes(bytes(range(256)) * 4)  # not a report: file-level rows
    (folder / "empty.txt").write_bytes(b"")
    first, second = tmp_path / "first", tmp_path / "second"
    convert([folder], first, jobs=1)
    (folder / "more.txt").write_bytes(b"")
    (folder / "it's.txt").write_bytes(SEED)  # now a report: its file-level rows must go
    convert([folder], second, jobs=1)
    root = tmp_path / "lake"
    one, two = incoming(first), incoming(second)
    assert one.tables["diagnostics"].num_rows >= 5
    _delta.load(str(root), one)
    _delta.load(str(root), two)
    got = held(root)
    assert_same_rows(got, rows_of(two))
    assert not [r for r in got["diagnostics"] if r["source_path"].endswith("it's.txt")]
    assert [r["source_path"] for r in got["reports"]] == [str(folder / "it's.txt")]


def test_load_into_and_the_cli(tmp_path: Path, converted: dict[str, Path]) -> None:
    root = tmp_path / "lake"
    summary = load_into(converted["a"], f"delta:{root}")
    assert summary.target == f"delta:{root}" and not summary.unchanged
    cli = [sys.executable, "-m", "bmaparse", "load"]
    done = subprocess.run([*cli, str(converted["b"]), "--to", f"delta:{root}"],
                          capture_output=True, env=child_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    again = subprocess.run([*cli, str(converted["b"]), "--to", f"delta:{root}"],
                           capture_output=True, env=child_env(), cwd=ROOT)
    assert again.returncode == 0 and b"unchanged" in again.stderr
    assert_same_rows(held(root), rows_of(incoming(converted["b"])))
    (root / "stray.txt").write_text("x")
    refused = subprocess.run([*cli, str(converted["c"]), "--to", f"delta:{root}"],
                             capture_output=True, env=child_env(), cwd=ROOT)
    assert refused.returncode == 1
    lines = refused.stderr.decode().splitlines()
    assert len(lines) == 1 and "holds stray.txt" in lines[0], lines


def test_the_previous_folder_after_a_killed_load_is_not_unchanged(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    """a loaded; a load of b killed after kpi_entries (its tables up to there hold b's
    rows); loading a again must put a's rows back, not say "unchanged" (a is still the
    latest *recorded* load) and leave b's rows beside a's reports."""
    root = tmp_path / "lake"
    a, b = incoming(converted["a"]), incoming(converted["b"])
    _delta.load(str(root), a)
    stop = "table:kpi_entries"
    marker = tmp_path / "stopped"
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(root), str(converted["b"]),
                              stop, str(marker)], env=child_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.communicate()[1].decode()
        assert time.monotonic() < deadline, "the child never reached " + stop
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done = LOAD_ORDER[: LOAD_ORDER.index("kpi_entries") + 1]
    after_a, after_b = rows_of(a), apply(rows_of(a), b)
    killed = {n: (after_b if n in done else after_a)[n] for n in LOAD_ORDER}
    summary = _delta.load(str(root), a)
    assert not summary.unchanged
    assert_same_rows(held(root), apply(killed, a))
    assert _delta.load(str(root), a).unchanged  # and now it is
