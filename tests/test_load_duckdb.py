"""Loads into a DuckDB database file (``warehouse._duckdb``), against the real duckdb.

A first load holds the folder's rows, every table; a second load of the same folder
changes nothing (not a byte of the file); later converts upsert (the union, no row key
twice, a report parsed again loses its old child rows); a table altered by hand is
refused with nothing changed; a load killed (SIGKILL, in a child process) while it holds
its transaction leaves the previous load; the convert output's own database and a
database another process holds are refused in one line.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bmaparse.batch import convert
from bmaparse.errors import LoadError
from bmaparse.tables import SCHEMAS, TABLE_KEYS
from bmaparse.warehouse import _duckdb, load_into
from bmaparse.warehouse._spec import LOAD_ORDER, LOADS_TABLE
from helpers import ROOT, SAMPLES, SEED, child_env
from lake_helpers import (
    Rows,
    assert_same_rows,
    expected,
    folders,
    incoming,
    one_line,
    rows_of,
    thai_rows,
    with_changed_report,
)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return folders(tmp_path_factory.mktemp("duckdb-folders"))


def held(path: Path) -> Rows:
    """Every table of the database, as rows of the schema's columns."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {name: con.sql(f"SELECT {', '.join(SCHEMAS[name].names)} FROM {name}")
                .to_arrow_table().to_pylist() for name in LOAD_ORDER}


def loads(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT folder_id, source, schema_version, reports, rows "
                           f"FROM {LOADS_TABLE} ORDER BY loaded_at").fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_first_load_holds_the_folders_rows_typed_keyed_and_commented(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    db = tmp_path / "w.duckdb"
    a = incoming(converted["a"])
    summary = _duckdb.load(str(db), a)
    assert not summary.unchanged and summary.evolved == ()
    assert {n: t.inserted for n, t in summary.tables.items()} == {
        n: a.tables[n].num_rows for n in LOAD_ORDER}
    got = held(db)
    assert_same_rows(got, rows_of(a))
    assert thai_rows(got) == thai_rows(rows_of(a)) and len(thai_rows(got)) > 5
    assert [(f, s, v, r) for f, s, v, r, _ in loads(db)] == [
        (a.folder_id, str(converted["a"]), "3", a.tables["reports"].num_rows)]
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                 "WHERE table_name = 'reports'").fetchall())
        keys = dict(con.execute("SELECT table_name, constraint_column_names FROM "
                                "duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
                                ).fetchall())
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = "
                              "'reports' AND column_name = 'targets'").fetchone()
        table_comment = con.execute("SELECT comment FROM duckdb_tables() "
                                    "WHERE table_name = 'reports'").fetchone()
    assert (types["progress_percent"], types["fiscal_year_be"], types["evaluation_quarter"],
            types["start_date"], types["routine_work"]) == (
        "DECIMAL(12,4)", "SMALLINT", "TINYINT", "DATE", "BOOLEAN")
    keyed = {t for t, k in TABLE_KEYS.items()
             if k and all(not SCHEMAS[t].field(c).nullable for c in k)}
    assert keyed >= {"reports", "budget_figures", "projects"}
    assert {t: list(k) for t, k in keys.items()} == {t: list(TABLE_KEYS[t]) for t in keyed}
    assert comment == ("Targets of the project. [เป้าหมายของโครงการ]",)
    assert table_comment is not None and table_comment[0].startswith("One row per report")


def test_loading_the_same_folder_again_writes_nothing(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    db = tmp_path / "w.duckdb"
    a = incoming(converted["a"])
    _duckdb.load(str(db), a)
    before = digest(db)
    summary = _duckdb.load(str(db), a)
    assert summary.unchanged and summary.tables == {}
    assert digest(db) == before
    assert len(loads(db)) == 1


def test_later_converts_upsert(tmp_path: Path, converted: dict[str, Path]) -> None:
    db = tmp_path / "w.duckdb"
    a, b, c = (incoming(converted[n]) for n in "abc")
    _duckdb.load(str(db), a)
    summary = _duckdb.load(str(db), b)  # b holds a and more: the warehouse equals b
    assert summary.tables["reports"].deleted == a.tables["reports"].num_rows
    assert_same_rows(held(db), rows_of(b))
    _duckdb.load(str(db), c)  # other inputs: the union, replaced by key
    assert_same_rows(held(db), expected(a, b, c))
    reports = {r["report_key"] for r in held(db)["reports"]}
    assert reports == ({*b.tables["reports"].column("report_key").to_pylist(),
                        *c.tables["reports"].column("report_key").to_pylist()})
    changed, key = with_changed_report(c)
    _duckdb.load(str(db), changed)  # a report parsed again: its old child rows are gone
    got = held(db)
    assert_same_rows(got, expected(a, b, c, changed))
    mine = [r for r in got["objectives"] if r["report_key"] == key]
    assert mine == [r for r in changed.tables["objectives"].to_pylist() if r["report_key"] == key]
    assert [r[0] for r in loads(db)] == [x.folder_id for x in (a, b, c, changed)]


@pytest.mark.parametrize(("change", "message"), [
    ("ALTER TABLE reports DROP COLUMN parser_version", "lacks the NOT NULL column parser_version"),
    ("ALTER TABLE objectives DROP COLUMN ordinal", "lacks the key column ordinal"),
    ("ALTER TABLE objectives ALTER COLUMN ordinal TYPE BIGINT", "column ordinal: the table has BIGINT"),
    ("ALTER TABLE kpis ADD COLUMN reviewed VARCHAR", "has a column reviewed (VARCHAR)"),
    ("ALTER TABLE kpis ADD COLUMN checked INTEGER NOT NULL DEFAULT 0", "has a column checked"),
    ("ALTER TABLE reports DROP COLUMN targets", "lacks the column targets"),
    (f"UPDATE {LOADS_TABLE} SET schema_version = '4'", "loaded with schema version 4"),
])
def test_a_table_altered_by_hand_is_refused_and_nothing_changes(
        tmp_path: Path, converted: dict[str, Path], change: str, message: str) -> None:
    db = tmp_path / "w.duckdb"
    _duckdb.load(str(db), incoming(converted["a"]))
    with duckdb.connect(str(db)) as con:
        con.execute(change)
    before = (held(db) if "DROP" not in change else None, loads(db), digest(db))
    with pytest.raises(LoadError) as refused:
        _duckdb.load(str(db), incoming(converted["b"]))
    one_line(str(refused.value), f"duckdb:{db}: ", message)
    assert (held(db) if "DROP" not in change else None, loads(db), digest(db)) == before


def test_a_newer_schema_version_adds_a_nullable_column(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    db = tmp_path / "w.duckdb"
    _duckdb.load(str(db), incoming(converted["a"]))
    with duckdb.connect(str(db)) as con:  # as if loaded by a bmaparse of schema version 2
        con.execute("ALTER TABLE reports DROP COLUMN targets")
        con.execute(f"UPDATE {LOADS_TABLE} SET schema_version = '2'")
    b = incoming(converted["b"])
    summary = _duckdb.load(str(db), b)
    assert summary.evolved == ("reports.targets",)
    assert_same_rows(held(db), rows_of(b))


KILLED = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from bmaparse.warehouse import _duckdb, read_folder
    db, folder, stop, marker = sys.argv[1:]
    def hook(step):
        if step == stop:
            Path(marker).write_text(step)
            time.sleep(600)
    _duckdb.fault_hook = hook
    _duckdb.load(db, read_folder(Path(folder), source=folder))
    sys.exit(3)  # not stopped: the test fails
""")


@pytest.mark.parametrize("stop", ["created", "table:kpi_entries", "table:reports", "commit"])
def test_a_load_killed_while_it_holds_its_transaction_leaves_the_previous_load(
        tmp_path: Path, converted: dict[str, Path], stop: str) -> None:
    db = tmp_path / "w.duckdb"
    a, b = incoming(converted["a"]), incoming(converted["b"])
    _duckdb.load(str(db), a)
    marker = tmp_path / "stopped"
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(db), str(converted["b"]), stop,
                              str(marker)], env=child_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.communicate()[1].decode()
        assert time.monotonic() < deadline, "the child never reached " + stop
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert_same_rows(held(db), rows_of(a))  # DuckDB replays only committed transactions
    assert [r[0] for r in loads(db)] == [a.folder_id]
    summary = _duckdb.load(str(db), b)  # the rerun loads the folder whole
    assert not summary.unchanged
    assert_same_rows(held(db), rows_of(b))


def test_the_convert_outputs_own_database_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    convert([SAMPLES], out, fmt="duckdb", jobs=1)
    database = out / "bmaparse.duckdb"
    before = digest(database)
    with pytest.raises(LoadError) as refused:
        _duckdb.load(str(database), incoming(out))
    one_line(str(refused.value), "the database bmaparse convert wrote", "name another database")
    assert digest(database) == before


def test_a_database_another_process_holds_is_refused(
        tmp_path: Path, converted: dict[str, Path]) -> None:
    db = tmp_path / "w.duckdb"
    a = incoming(converted["a"])
    _duckdb.load(str(db), a)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, env=child_env())
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        with pytest.raises(LoadError) as refused:
            _duckdb.load(str(db), incoming(converted["b"]))
        one_line(str(refused.value), f"duckdb:{db}: the database is in use by another process")
    finally:
        holder.kill()
        holder.wait()
    assert_same_rows(held(db), rows_of(a))


def test_file_level_diagnostics_of_hostile_names_are_replaced_not_repeated(
        tmp_path: Path) -> None:
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
    db = tmp_path / "w.duckdb"
    one, two = incoming(first), incoming(second)
    assert one.tables["diagnostics"].num_rows >= 5
    assert one.tables["diagnostics"].column("report_key").null_count == one.tables[
        "diagnostics"].num_rows
    _duckdb.load(str(db), one)
    _duckdb.load(str(db), two)
    got = held(db)
    assert_same_rows(got, rows_of(two))
    assert not [r for r in got["diagnostics"] if r["source_path"].endswith("it's.txt")]
    assert [r["source_path"] for r in got["reports"]] == [str(folder / "it's.txt")]


def test_load_into_and_the_cli(tmp_path: Path, converted: dict[str, Path]) -> None:
    db = tmp_path / "w.duckdb"
    summary = load_into(converted["a"], f"duckdb:{db}")
    assert summary.target == f"duckdb:{db}" and not summary.unchanged
    cli = [sys.executable, "-m", "bmaparse", "load"]
    done = subprocess.run([*cli, str(converted["b"]), "--to", f"duckdb:{db}"],
                          capture_output=True, env=child_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    again = subprocess.run([*cli, str(converted["b"]), "--to", f"duckdb:{db}"],
                           capture_output=True, env=child_env(), cwd=ROOT)
    assert again.returncode == 0 and b"unchanged" in again.stderr
    assert_same_rows(held(db), rows_of(incoming(converted["b"])))
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE kpis ADD COLUMN reviewed VARCHAR")
    refused = subprocess.run([*cli, str(converted["c"]), "--to", f"duckdb:{db}"],
                             capture_output=True, env=child_env(), cwd=ROOT)
    assert refused.returncode == 1
    lines = refused.stderr.decode().splitlines()
    assert len(lines) == 1 and "has a column reviewed" in lines[0], lines
