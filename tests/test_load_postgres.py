"""Loads into a real PostgreSQL server (tests/pg.py: ``BMAPARSE_TEST_POSTGRES``, else a
throwaway server of this machine's PostgreSQL; skipped only when there is none, failed
on CI). Every test gets an empty database of its own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import bmaparse
from bmaparse import synth
from bmaparse.errors import LoadError
from bmaparse.tables import SCHEMAS, TABLE_KEYS
from bmaparse.warehouse import _postgres, load_into, read_folder
from bmaparse.warehouse._spec import LOAD_ORDER, REPLACED_BY, TableLoad
from pg import Server, drop_database

ROOT = Path(__file__).resolve().parent.parent


def _write_corpus(folder: Path, start: int, stop: int, *, total: int = 60) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    texts = list(synth.corpus(total, 7, layouts=("page", "export", "view", "kpi"), history=True))
    for i in range(start, stop):
        (folder / f"r{i:03d}.txt").write_text(texts[i], encoding="utf-8")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``first``: the samples and 40 synth reports; ``later``: the same folder converted
    again --incremental after 20 more reports and an edited copy of one were added (every
    report of ``first`` is in ``later`` too, so the later load replaces them whole).

    (An input edited in place is not used: ``convert --incremental`` then keeps the old
    report beside the new one and ``verify`` calls the folder inconsistent, so the load
    refuses it; a convert bug, reported.)"""
    base = tmp_path_factory.mktemp("pgload")
    inputs = base / "in"
    shutil.copytree(ROOT / "samples", inputs / "samples")
    _write_corpus(inputs / "synth", 0, 40)
    first = base / "first"
    bmaparse.convert([inputs], first, jobs=1)
    later = base / "later"
    shutil.copytree(first, later)
    _write_corpus(inputs / "synth", 40, 60)
    edited = inputs / "synth" / "r003.txt"  # a new input: an edited copy of one report
    (inputs / "edited.txt").write_text(edited.read_text(encoding="utf-8").replace(
        "โครงการ", "โครงการที่แก้ไข", 1), encoding="utf-8")
    bmaparse.convert([inputs], later, jobs=1, incremental=True)
    return {"first": first, "later": later}


def _connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(_postgres.split_target(url)[0], autocommit=True)


def _rows(conn: psycopg.Connection[Any], table: str, schema: str = "public") -> list[tuple[Any, ...]]:
    """The rows of ``table`` (its columns as they are: in SCHEMAS order when bmaparse made it)."""
    return sorted(conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall(), key=_order)


def _order(row: tuple[Any, ...]) -> list[tuple[bool, str]]:
    return [(v is None, repr(v)) for v in row]


def _folder_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    columns = [table.column(n).to_pylist() for n in table.schema.names]
    return sorted(zip(*columns, strict=True), key=_order) if columns else []


def _snapshot(url: str) -> dict[str, Any]:
    """Every table's rows and every row's xmin (which a rewrite would change)."""
    with _connect(url) as conn:
        out: dict[str, Any] = {t: _rows(conn, t) for t in SCHEMAS}
        out["xmin"] = {t: sorted(r[0] for r in conn.execute(f'SELECT xmin::text FROM "{t}"'))
                       for t in SCHEMAS}
        out["loads"] = conn.execute("SELECT folder_id, source, schema_version, parser_version,"
                                    " reports, rows FROM bmaparse_loads ORDER BY loaded_at").fetchall()
    return out


def _expected_after(first: dict[str, pa.Table], later: dict[str, pa.Table],
                    later_paths: frozenset[str]) -> dict[str, list[tuple[Any, ...]]]:
    """The REPLACED_BY rules applied by hand: the first load's rows the later folder does
    not replace, and the later folder's rows."""
    keys = {"report": set(later["reports"].column("report_key").to_pylist()),
            "project": set(later["projects"].column("project_id").to_pylist()),
            "kpi": set(later["kpi_results"].column("kpi_key").to_pylist())}
    column = {"report": "report_key", "project": "project_id", "kpi": "kpi_key"}
    out = {}
    for name in SCHEMAS:
        how = REPLACED_BY[name]
        kept = []
        for row in first[name].to_pylist():
            if how == "whole":
                continue
            if how == "diagnostics":
                if row["report_key"] in keys["report"] or (
                        row["report_key"] is None and row["source_path"] in later_paths):
                    continue
            elif row[column[how]] in keys[how]:
                continue
            kept.append(tuple(row.values()))
        out[name] = sorted(kept + _folder_rows(later[name]), key=_order)
    return out


def test_load_reload_and_a_later_convert(pg_url: str, folders: dict[str, Path]) -> None:
    first, later = read_folder(folders["first"], source="x"), read_folder(folders["later"], source="x")
    summary = load_into(folders["first"], pg_url)
    assert not summary.unchanged and summary.evolved == ()
    assert list(summary.tables) == list(LOAD_ORDER)
    assert {n: t.inserted for n, t in summary.tables.items()} == {
        n: t.num_rows for n, t in first.tables.items()}
    assert all(t.deleted == 0 for t in summary.tables.values())
    loaded = _snapshot(pg_url)
    for name in SCHEMAS:
        assert loaded[name] == _folder_rows(first.tables[name]), name
    assert loaded["loads"] == [(first.folder_id, str(folders["first"]), bmaparse.SCHEMA_VERSION,
                                bmaparse.PARSER_VERSION, first.tables["reports"].num_rows,
                                sum(t.num_rows for t in first.tables.values()))]

    again = load_into(folders["first"], pg_url)
    assert again.unchanged and again.tables == {}
    assert _snapshot(pg_url) == loaded  # not a row rewritten, no load recorded

    with _connect(pg_url) as conn:  # a report as an older parser read it: replaced whole
        key = first.tables["objectives"].column("report_key")[0].as_py()
        conn.execute("UPDATE reports SET parser_version = '0.0.1' WHERE report_key = %s", (key,))
        conn.execute("INSERT INTO objectives (report_key, ordinal, text) VALUES (%s, 999, 'stale')",
                     (key,))
    upsert = load_into(folders["later"], pg_url)
    assert not upsert.unchanged
    after = _snapshot(pg_url)
    expected = _expected_after(first.tables, later.tables, later.source_paths)
    for name in SCHEMAS:
        assert after[name] == expected[name], name
    assert not any(r[1] == 999 for r in after["objectives"])
    # the reports of the first load are in the later folder as the same parse: left as
    # they were (not a row rewritten); the new ones and the one of the older parser written
    new = set(later.tables["reports"].column("report_key").to_pylist()) - set(
        first.tables["reports"].column("report_key").to_pylist())
    assert new and upsert.tables["reports"] == TableLoad(deleted=1, inserted=len(new) + 1)
    written = new | {key}
    for name in SCHEMAS:
        if REPLACED_BY[name] == "report":
            column = later.tables[name].column("report_key").to_pylist()
            assert upsert.tables[name].inserted == sum(k in written for k in column), name
        elif REPLACED_BY[name] != "diagnostics":
            assert upsert.tables[name].inserted == later.tables[name].num_rows, name
    assert upsert.tables["objectives"].deleted == 1 + sum(
        k == key for k in first.tables["objectives"].column("report_key").to_pylist())
    with _connect(pg_url) as conn:
        kept = conn.execute("SELECT count(*) FROM reports WHERE xmin::text = ANY(%s)",
                            (sorted(set(loaded["xmin"]["reports"])),)).fetchone()[0]
    assert kept == first.tables["reports"].num_rows - 1
    # every key is unique (the constraints hold, and we check)
    reports = [r[0] for r in after["reports"]]
    assert len(reports) == len(set(reports)) == later.tables["reports"].num_rows
    for name, keys in TABLE_KEYS.items():
        if keys:
            index = [SCHEMAS[name].names.index(k) for k in keys]
            seen = [tuple(r[i] for i in index) for r in after[name]]
            assert len(seen) == len(set(seen)), name
    assert [row[0] for row in after["loads"]] == [first.folder_id, later.folder_id]
    assert load_into(folders["later"], pg_url).unchanged


def test_types_keys_and_comments(pg_url: str, folders: dict[str, Path]) -> None:
    load_into(folders["first"], pg_url)
    with _connect(pg_url) as conn:
        types = dict(conn.execute(
            "SELECT table_name || '.' || column_name, CASE WHEN data_type = 'numeric' THEN"
            " format('numeric(%s,%s)', numeric_precision, numeric_scale) ELSE data_type END"
            " FROM information_schema.columns WHERE table_schema = 'public'").fetchall())
        for name, schema in SCHEMAS.items():
            for field in schema:
                assert types[f"{name}.{field.name}"] == _postgres.pg_type(field.type), (
                    name, field.name)
        assert types["budget_figures.amount_thb"] == "numeric(18,2)"
        assert types["reports.progress_percent"] == "numeric(12,4)"
        assert types["progress_updates.reported_on"] == "date"
        assert types["reports.evaluation_quarter"] == "smallint"  # int8: no 1-byte type
        assert types["reports.fiscal_year_be"] == "smallint"
        assert types["reports.source_line_start"] == "integer"
        assert types["reports.routine_work"] == "boolean"
        assert types["bmaparse_loads.loaded_at"] == "timestamp with time zone"
        constraints = dict(conn.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype IN ('p', 'u') AND connamespace = 'public'::regnamespace").fetchall())
        assert constraints["reports"] == "PRIMARY KEY (report_key)"
        assert constraints["budget_figures"] == "PRIMARY KEY (report_key, ordinal)"
        assert constraints["progress_history"] == "PRIMARY KEY (project_id, chrono_index)"
        # objectives.ordinal may be null (as SCHEMAS declares it): a key with nulls equal
        assert constraints["objectives"] == "UNIQUE NULLS NOT DISTINCT (report_key, ordinal)"
        assert constraints["diagnostics"] == (
            "UNIQUE NULLS NOT DISTINCT (report_key, source_path, ordinal)")
        assert constraints["kpi_results"] == "UNIQUE NULLS NOT DISTINCT (kpi_key, quarter)"
        assert "findings" not in constraints and "bmaparse_loads" not in constraints
        assert conn.execute("SELECT obj_description('reports'::regclass, 'pg_class')").fetchone() == (
            SCHEMAS["reports"].metadata[b"description"].decode(),)
        comment = conn.execute(
            "SELECT col_description('project_budget'::regclass, attnum) FROM pg_attribute"
            " WHERE attrelid = 'project_budget'::regclass AND attname = 'allocated'").fetchone()
        assert comment == ("From the latest snapshot holding a `allocated` figure (see "
                           "`bmaparse.analysis`). (งบประมาณที่ได้รับ)",)


def test_thai_text_round_trips_byte_for_byte(pg_url: str, folders: dict[str, Path]) -> None:
    load_into(folders["first"], pg_url)
    folder = read_folder(folders["first"], source="x").tables["reports"]
    want = {k: (v or "").encode() for k, v in zip(folder.column("report_key").to_pylist(),
                                                  folder.column("rationale").to_pylist(), strict=True)}
    assert any(b"\xe0\xb8" in v for v in want.values())  # Thai is in there
    with _connect(pg_url) as conn:
        got = dict(conn.execute("SELECT report_key, convert_to(coalesce(rationale, ''), 'UTF8')"
                                " FROM reports").fetchall())
    assert {k: bytes(v) for k, v in got.items()} == want


def test_a_schema_named_in_the_url(pg_url: str, folders: dict[str, Path]) -> None:
    summary = load_into(folders["first"], pg_url + "?schema=bma")
    assert summary.target.endswith("?schema=bma")
    with _connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM bma.reports").fetchone()[0] > 0
        assert conn.execute("SELECT to_regclass('public.reports')").fetchone() == (None,)
    assert load_into(folders["first"], pg_url + "?schema=bma").unchanged
    assert not load_into(folders["first"], pg_url).unchanged  # another schema: its own loads


def test_a_schema_whose_name_is_not_a_lowercase_identifier(pg_url: str,
                                                           folders: dict[str, Path]) -> None:
    """Mixed case, a dot, a quote: the schema is found again by the later load."""
    for schema in ("Mixed", "a.b", 'q"s', "s" * 70, "ไทย" * 10):  # (the last two: > 63 bytes)
        target = f"{pg_url}?schema={quote(schema)}"
        assert not load_into(folders["first"], target).unchanged
        assert not load_into(folders["later"], target).unchanged
        with _connect(pg_url) as conn:
            stored = conn.execute("SELECT %s::name", (schema,)).fetchone()[0]
            rows = _rows(conn, "reports", stored.replace('"', '""'))
        assert len(rows) == folders_rows(folders["later"])


def folders_rows(folder: Path) -> int:
    return int(json.loads((folder / "manifest.json").read_text())["totals"]["rows"]["reports"])


_TODO = ("restore the column as bmaparse made it, load into a new database or schema, or drop "
         "the bmaparse tables and load again")
ALTERED = {
    "dropped": ("ALTER TABLE kpis DROP COLUMN calculation_method",
                "table kpis lacks the column calculation_method (text), which schema version 3 "
                f"has (dropped by hand?): {_TODO}"),
    "retyped": ("ALTER TABLE budget_figures ALTER COLUMN amount_thb TYPE double precision",
                "table budget_figures, column amount_thb: the table has double precision, "
                f"bmaparse writes numeric(18,2): {_TODO}"),
    "not null added": ("ALTER TABLE reports ADD COLUMN reviewer text NOT NULL DEFAULT 'x'",
                       "table reports has a column reviewer (text) that bmaparse does not write "
                       "(schema version 3): drop that column (keep your own columns in another "
                       "table or a view), load into a new database or schema, or drop the "
                       "bmaparse tables and load again"),
    "key retyped": ("ALTER TABLE objectives ALTER COLUMN ordinal TYPE bigint",
                    "table objectives, column ordinal: the table has bigint, bmaparse writes "
                    f"integer: {_TODO}"),
}


@pytest.mark.parametrize("how", list(ALTERED))
def test_a_table_altered_by_hand_is_refused(pg_url: str, folders: dict[str, Path], how: str) -> None:
    load_into(folders["first"], pg_url)
    statement, message = ALTERED[how]
    with _connect(pg_url) as conn:
        conn.execute(statement)
    before = _snapshot(pg_url)
    with pytest.raises(LoadError) as found:
        load_into(folders["later"], pg_url)
    masked = pg_url.replace(f":{urlpassword(pg_url)}@", ":***@")
    assert str(found.value) == f"{masked}: {message}"
    assert _snapshot(pg_url) == before


def urlpassword(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).password or ""


def test_an_older_folder_is_refused(pg_url: str, folders: dict[str, Path]) -> None:
    load_into(folders["first"], pg_url)
    with _connect(pg_url) as conn:
        conn.execute("UPDATE bmaparse_loads SET schema_version = '4'")
    before = _snapshot(pg_url)
    with pytest.raises(LoadError, match="the warehouse was loaded with schema version 4; this "
                                        "folder has 3: convert it again"):
        load_into(folders["later"], pg_url)
    assert _snapshot(pg_url) == before


def test_a_newer_folder_adds_the_nullable_columns_it_lacks(pg_url: str,
                                                           folders: dict[str, Path]) -> None:
    load_into(folders["first"], pg_url)
    with _connect(pg_url) as conn:  # the warehouse as a schema version 2 would have left it
        conn.execute("ALTER TABLE kpis DROP COLUMN calculation_method")
        conn.execute("UPDATE bmaparse_loads SET schema_version = '2'")
        conn.execute("UPDATE reports SET schema_version = '2'")
    summary = load_into(folders["later"], pg_url)
    assert summary.evolved == ("kpis.calculation_method",)
    later = read_folder(folders["later"], source="x")
    with _connect(pg_url) as conn:
        got = conn.execute("SELECT count(*) FROM kpis WHERE calculation_method IS NOT NULL").fetchone()[0]
        assert conn.execute("SELECT col_description('kpis'::regclass, attnum) FROM pg_attribute"
                            " WHERE attrelid = 'kpis'::regclass AND attname = 'calculation_method'"
                            ).fetchone()[0]
    assert got == pc.sum(pc.is_valid(later.tables["kpis"].column("calculation_method"))).as_py()


def test_a_non_utf8_database_is_refused(pg_server: Server, folders: dict[str, Path]) -> None:
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bmaparse_ascii")
        conn.execute("CREATE DATABASE bmaparse_ascii TEMPLATE template0 ENCODING 'SQL_ASCII'"
                     " LC_COLLATE 'C' LC_CTYPE 'C'")
    url = pg_server.url_of("bmaparse_ascii")
    try:
        with pytest.raises(LoadError) as found:
            load_into(folders["first"], url)
        assert "the database's server_encoding is SQL_ASCII, which cannot hold Thai text" in str(found.value)
        with _connect(url) as conn:
            assert conn.execute("SELECT to_regclass('reports')").fetchone() == (None,)
    finally:
        drop_database(pg_server, url)


def test_wrong_password_unreachable_and_missing_database(pg_server: Server,
                                                         folders: dict[str, Path]) -> None:
    wrong = pg_server.url_of("postgres", password="not-the-password")
    with pytest.raises(LoadError) as found:
        load_into(folders["first"], wrong)
    message = str(found.value)
    assert message.startswith(pg_server.url_of("postgres", password="***") + ": cannot connect: ")
    assert "password authentication failed" in message and "check the user and password" in message
    assert "not-the-password" not in message and "\n" not in message

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    refused = pg_server.url_of("postgres", port=port)
    with pytest.raises(LoadError) as found:
        load_into(folders["first"], refused)
    assert "Connection refused" in str(found.value)
    assert "is the server running, and are the host and port right?" in str(found.value)

    with socket.socket() as silent:  # accepts the connection, never answers: the timeout
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = pg_server.url_of("postgres", port=silent.getsockname()[1]) + "?connect_timeout=2"
        with pytest.raises(LoadError) as found:
            load_into(folders["first"], url)
    assert "timeout expired" in str(found.value)

    with pytest.raises(LoadError) as found:
        load_into(folders["first"], pg_server.url_of("no_such_database_here"))
    assert 'database "no_such_database_here" does not exist' in str(found.value)
    assert "CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0" in str(found.value)


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bmaparse", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_cli(pg_url: str, pg_server: Server, folders: dict[str, Path], tmp_path: Path) -> None:
    done = _cli("load", str(folders["first"]), "--to", pg_url, "--json")
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)
    assert summary["unchanged"] is False and summary["target"] == pg_url.replace(
        f":{urlpassword(pg_url)}@", ":***@")
    assert summary["tables"]["reports"]["inserted"] > 0
    assert "bmaparse: reports: 0 deleted," in done.stderr
    again = _cli("load", str(folders["first"]), "--to", pg_url)
    assert again.returncode == 0 and again.stdout == ""
    assert again.stderr.endswith(f"unchanged ({folders['first']} is its latest load)\n")
    broken = tmp_path / "broken"
    shutil.copytree(folders["first"], broken)
    (broken / "objectives.parquet").unlink()
    failures = [
        ("load", str(folders["later"]), "--to", pg_server.url_of("postgres", password="wrong")),
        ("load", str(folders["later"]), "--to", pg_server.url_of("no_such_db")),
        ("load", str(broken), "--to", pg_url),
    ]
    for args in failures:
        failed = _cli(*args)
        assert failed.returncode == 1, failed
        assert failed.stderr.startswith("bmaparse: error: ") and failed.stderr.count("\n") == 1, failed.stderr
        assert "Traceback" not in failed.stderr and "wrong@" not in failed.stderr
    usage = _cli("load", str(folders["first"]), "--to", "mysql://x")
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1


def _backends(url: str, where: str) -> list[tuple[Any, ...]]:
    with _connect(url) as conn:
        return conn.execute(
            "SELECT pid, wait_event_type, wait_event FROM pg_stat_activity"
            f" WHERE application_name = 'bmaparse load' AND datname = current_database() {where}"
        ).fetchall()


def _wait_for(condition: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_load_killed_midway_leaves_the_previous_load(pg_url: str,
                                                       folders: dict[str, Path]) -> None:
    load_into(folders["first"], pg_url)
    before = _snapshot(pg_url)
    blocker = _connect(pg_url)
    blocker.autocommit = False
    # the load deletes and copies every child table, then waits for this lock on reports
    blocker.execute("LOCK TABLE reports IN SHARE MODE")
    process = subprocess.Popen([sys.executable, "-m", "bmaparse", "load", str(folders["later"]),
                                "--to", pg_url, "--quiet"], stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _backends(pg_url, "AND wait_event_type = 'Lock'"),
                  "the load to wait for the lock on reports")
        with _connect(pg_url) as conn:  # it has written the child tables, uncommitted
            pid = _backends(pg_url, "")[0][0]
            assert conn.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND relation ="
                                " 'objectives'::regclass AND mode = 'RowExclusiveLock'",
                                (pid,)).fetchone() == (1,)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        blocker.rollback()
        blocker.close()
    _wait_for(lambda: not _backends(pg_url, ""), "the killed load's session to end")
    assert process.returncode == -signal.SIGKILL
    assert _snapshot(pg_url) == before
    assert not load_into(folders["later"], pg_url).unchanged  # and a load still goes through


def test_concurrent_loads_run_one_after_the_other(pg_url: str, folders: dict[str, Path]) -> None:
    holder = _connect(pg_url)
    holder.autocommit = False
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (_postgres._lock_key("public"),))
    results: dict[str, Any] = {}

    def run() -> None:
        try:
            results["summary"] = load_into(folders["first"], pg_url)
        except BaseException as exc:  # reported below
            results["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        _wait_for(lambda: _backends(pg_url, "AND wait_event = 'advisory'"),
                  "the load to wait for the other load's lock")
        assert thread.is_alive()
    finally:
        holder.rollback()
        holder.close()
    thread.join(timeout=120)
    assert "error" not in results, results
    assert not results["summary"].unchanged
    with _connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM bmaparse_loads").fetchone() == (1,)


def test_two_loads_at_once_both_finish(pg_url: str, folders: dict[str, Path]) -> None:
    outcomes: list[Any] = []

    def run(folder: Path) -> None:
        try:
            outcomes.append(load_into(folder, pg_url))
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(folders[k],)) for k in ("first", "first")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(o.unchanged for o in outcomes) == [False, True], outcomes
    assert _snapshot(pg_url)["reports"] == _folder_rows(
        read_folder(folders["first"], source="x").tables["reports"])


def test_the_schema_parameter_is_taken_out_of_the_url() -> None:
    split = _postgres.split_target
    assert split("postgresql://u:p@h:5/db?schema=bma&sslmode=require") == (
        "postgresql://u:p@h:5/db?sslmode=require", "bma")
    # the other parameters go to libpq as written (it decodes %XX, and not +)
    assert split("postgres://u@h/db?options=-csearch_path%3Dx%20y&password=a+b&schema=b%C3%A4") == (
        "postgres://u@h/db?options=-csearch_path%3Dx%20y&password=a+b", "bä")
    assert split("postgresql://u@h/db") == ("postgresql://u@h/db", None)
    with pytest.raises(LoadError, match="schema= names no schema"):
        split("postgresql://u@h/db?schema=")
