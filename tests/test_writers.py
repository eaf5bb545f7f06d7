"""writers/: every format round-trips, appends, aborts and survives a crash atomically."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tempfile
import textwrap
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bmaparse import SCHEMA_VERSION, writers
from bmaparse._read import Limits
from bmaparse.batch import convert
from bmaparse.tables import SCHEMAS, TABLES, to_tables
from bmaparse.writers import FORMATS, clean_stale_temporaries, open_sink, read_existing
from helpers import seed_report

FACTS = {name: SCHEMAS[name] for name in TABLES}
RISKY = {"project_name": "=1+1", "contact_raw": "+x", "contact_unit": "-x", "targets": "@x",
         "contact_phone": "\tx", "agency_name_source": "\rx", "contact_title": "",
         "rationale": 'บรรทัด 1\r\nline 2, "quoted"\n\tend', "unit_code_2": "a=b"}


def batch(first: int, count: int = 2) -> dict[str, pa.Table]:
    reports = [seed_report(f"k{i}", evaluation_score=Decimal("-5.5"), **RISKY)
               for i in range(first, first + count)]
    return to_tables(reports)


def concat(*batches: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return {name: pa.concat_tables([b[name] for b in batches]) for name in TABLES}


def write(fmt: str, out: Path, *batches: dict[str, pa.Table], append: bool = False,
          schemas: dict[str, pa.Schema] = FACTS) -> dict[str, str]:
    sink = open_sink(fmt, out, schemas, append=append)
    try:
        for b in batches:
            sink.write(b)
        return sink.close()
    except BaseException:
        sink.abort()
        raise


def read_all(fmt: str, out: Path) -> dict[str, pa.Table | None]:
    return {name: read_existing(fmt, out, name, SCHEMAS[name]) for name in TABLES}


def visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def final_names(fmt: str) -> list[str]:
    suffix = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}
    return ["bmaparse.duckdb"] if fmt == "duckdb" else sorted(n + suffix[fmt] for n in TABLES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_batches_round_trip(fmt: str, tmp_path: Path) -> None:
    b1, b2 = batch(0), batch(10, 3)
    paths = write(fmt, tmp_path, b1, {"reports": b2["reports"]}, {**b2, "reports": b2["reports"]
                                                                 .slice(0, 0)})
    assert set(paths) == set(TABLES)
    assert visible(tmp_path) == final_names(fmt)
    expected = concat(b1, b2)
    got = read_all(fmt, tmp_path)
    for name in TABLES:
        table = got[name]
        assert table is not None
        assert table.schema.equals(SCHEMAS[name]), name
        assert table.equals(expected[name]), name
    assert got["reports"].column("project_name").to_pylist()[0] == "=1+1"
    assert got["reports"].column("agency_name").to_pylist()[0] == "สำนักงานเขตราษฎร์บูรณะ"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_table_present_when_empty(fmt: str, tmp_path: Path) -> None:
    write(fmt, tmp_path)
    assert visible(tmp_path) == final_names(fmt)
    for name, table in read_all(fmt, tmp_path).items():
        assert table is not None and table.num_rows == 0, name
        assert table.schema.equals(SCHEMAS[name])


@pytest.mark.parametrize("fmt", FORMATS)
def test_append_keeps_old_rows_then_new(fmt: str, tmp_path: Path) -> None:
    b1, b2, b3 = batch(0), batch(5), batch(9, 1)
    write(fmt, tmp_path, b1)
    write(fmt, tmp_path, b2, b3, append=True)
    expected, got = concat(b1, b2, b3), read_all(fmt, tmp_path)
    for name in TABLES:
        assert got[name] is not None and got[name].equals(expected[name]), name
    write(fmt, tmp_path, b3)  # append=False replaces
    assert read_all(fmt, tmp_path)["reports"].num_rows == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", FORMATS)
def test_abort_keeps_previous_output(fmt: str, tmp_path: Path) -> None:
    write(fmt, tmp_path, batch(0))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for append in (False, True):
        sink = open_sink(fmt, tmp_path, FACTS, append=append)
        sink.write(batch(3))
        sink.abort()
        sink.abort()  # idempotent
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    with pytest.raises(RuntimeError):
        sink.write(batch(0))


@pytest.mark.parametrize("fmt", FORMATS)
def test_killed_process_leaves_no_final_file(fmt: str, tmp_path: Path) -> None:
    fresh, kept = tmp_path / "fresh", tmp_path / "kept"
    write(fmt, kept, batch(0))
    before = {p.name: p.read_bytes() for p in kept.iterdir()}
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_writers import batch, FACTS
        from bmaparse.writers import open_sink
        for out, append in (({str(fresh)!r}, False), ({str(kept)!r}, True)):
            sink = open_sink({fmt!r}, out, FACTS, append=append)
            sink.write(batch(7))
        os._exit(9)   # killed: no close(), no abort(), no cleanup
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert all(name.startswith(".bmaparse-tmp-") for name in visible(fresh))
    assert len(visible(fresh)) == 1
    assert {p.name: p.read_bytes() for p in kept.iterdir() if p.is_file()} == before
    for out in (fresh, kept):
        removed = clean_stale_temporaries(out)
        assert len(removed) == 1 and not removed[0].exists()
    assert visible(fresh) == [] and sorted(before) == visible(kept)


def test_live_staging_is_not_cleaned(tmp_path: Path) -> None:
    sink = open_sink("parquet", tmp_path, FACTS)
    assert clean_stale_temporaries(tmp_path) == []
    sink.write(batch(0))
    assert set(sink.close()) == set(TABLES)
    assert clean_stale_temporaries(tmp_path / "missing") == []


def test_parquet_file_details(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    write("parquet", tmp_path, *(batch(i) for i in range(0, 20, 2)))  # 10 small batches
    path = tmp_path / "progress_updates.parquet"
    meta = pq.read_metadata(path)
    assert meta.num_row_groups == 1 and meta.num_rows == 100  # small batches coalesced
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.metadata[b"schema_version"] == SCHEMA_VERSION.encode()
    schema = pq.read_schema(path)
    assert schema.equals(SCHEMAS["progress_updates"], check_metadata=True)
    assert schema.field("problems").metadata[b"label_th"] == "ปัญหาของโครงการ".encode()
    rows = duckdb.sql(f"SELECT report_key, progress_percent, latest_reported_on, "
                      f"evaluation_quarter FROM '{tmp_path / 'reports.parquet'}' "
                      f"ORDER BY report_key LIMIT 1").fetchall()
    assert rows[0][:2] == ("k0", Decimal("100.0000")) and rows[0][3] == 1


def test_parquet_row_groups_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bmaparse.writers import parquet

    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 7)
    write("parquet", tmp_path, batch(0, 3), batch(3, 3), {"objectives": batch(6, 2)["objectives"]})
    meta = pq.read_metadata(tmp_path / "objectives.parquet")
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [7, 7, 7, 7, 4]


def test_parquet_buffers_are_bounded_over_all_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bmaparse.writers import parquet

    monkeypatch.setattr(parquet, "BUFFER_BYTES", 20_000)
    batches = [batch(i, 1) for i in range(12)]
    sink = open_sink("parquet", tmp_path, FACTS)
    for one in batches:
        sink.write(one)
        assert sum(size for _, size in sink._sizes.values()) < 20_000  # type: ignore[attr-defined]
    sink.close()
    for name, table in concat(*batches).items():
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(table), name
    assert any(pq.read_metadata(tmp_path / f"{name}.parquet").num_row_groups > 1
               for name in FACTS)  # the largest buffer was written out early


def test_csv_bom_quoting_and_neutralisation(tmp_path: Path) -> None:
    write("csv", tmp_path, batch(0, 1))
    raw = (tmp_path / "reports.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf\"report_key\",")
    text = raw.decode("utf-8-sig")
    for cell in ('"\'=1+1"', '"\'+x"', '"\'-x"', '"\'@x"', '"\'\tx"', '"\'\rx"', '"a=b"', '""'):
        assert cell in text, cell
    assert '"บรรทัด 1\r\nline 2, ""quoted""\n\tend"' in text
    assert ",-5.5000," in text and ",2566,2023," in text  # numbers are not neutralised
    budget = (tmp_path / "budget_figures.csv").read_text(encoding="utf-8-sig")
    assert ",1324600.00," in budget
    import csv

    with (tmp_path / "reports.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["project_name"] == "'=1+1" and rows[0]["contact_phone"] == "'\tx"
    assert rows[0]["routine_work"] == "true" and rows[0]["contact_phone"] != ""
    assert rows[0]["latest_reported_on"] == "2023-04-01" and rows[0]["evaluation_score"] == "-5.5000"


def test_csv_null_and_empty_string_differ(tmp_path: Path) -> None:
    write("csv", tmp_path, batch(0, 1))
    got = read_existing("csv", tmp_path, "reports", SCHEMAS["reports"], ["contact_title",
                                                                         "contact_phone"])
    assert got is not None and got.column_names == ["contact_title", "contact_phone"]
    assert got.to_pylist() == [{"contact_title": "", "contact_phone": "\tx"}]
    full = read_existing("csv", tmp_path, "progress_updates", SCHEMAS["progress_updates"])
    assert full is not None and full.column("problems").null_count == 5


def test_jsonl_lines_are_valid_json_with_thai_and_exact_decimals(tmp_path: Path) -> None:
    odd = seed_report("j1", project_name='ctl \x00\x01\x1f\x7f "q" \\ \u2028\x85 ไทย',
                      contact_raw="\ud83d")  # a lone surrogate: repaired by to_tables
    write("jsonl", tmp_path, to_tables([odd]), batch(0))
    lines = (tmp_path / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    objs = [json.loads(line, parse_float=Decimal) for line in lines]
    assert list(objs[0]) == SCHEMAS["reports"].names
    assert objs[0]["project_name"] == 'ctl \x00\x01\x1f\x7f "q" \\ \u2028\x85 ไทย'
    assert objs[0]["contact_raw"] == "\ufffd"
    assert "สำนักงานเขตราษฎร์บูรณะ" in lines[0] and "\\u0e" not in lines[0]
    assert '"progress_percent":100.0000,' in lines[0] and '"evaluation_quarter":1,' in lines[0]
    assert '"latest_reported_on":"2023-04-01"' in lines[0] and '"routine_work":true' in lines[0]
    assert '"contact_phone":null' in lines[0]
    budget = (tmp_path / "budget_figures.jsonl").read_text(encoding="utf-8")
    assert '"amount_thb":1324600.00,' in budget
    assert all(json.loads(line) for line in budget.splitlines())


def test_duckdb_real_typed_tables(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    write("duckdb", tmp_path, batch(0), batch(2))
    with duckdb.connect(str(tmp_path / "bmaparse.duckdb"), read_only=True) as con:
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                 "WHERE table_name = 'reports'").fetchall())
        assert types["progress_percent"] == "DECIMAL(12,4)" and types["fiscal_year_be"] == (
            "SMALLINT")
        assert types["evaluation_quarter"] == "TINYINT" and types["latest_reported_on"] == "DATE"
        assert types["routine_work"] == "BOOLEAN" and types["source_line_start"] == "INTEGER"
        money = con.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = "
                            "'budget_figures' AND column_name = 'amount_thb'").fetchall()
        assert money == [("DECIMAL(18,2)",)]
        total = con.execute("SELECT sum(amount_thb) FROM budget_figures").fetchall()
        assert total == [(Decimal("11298400.00"),)]
        assert con.execute("SELECT count(*) FROM reports WHERE project_name = '=1+1'"
                           ).fetchall() == [(4,)]


def test_duckdb_sink_leaves_other_tables(tmp_path: Path) -> None:
    write("duckdb", tmp_path, batch(0))
    projects = SCHEMAS["projects"]
    write("duckdb", tmp_path, schemas={"projects": projects})  # batch.py's projects pass
    assert read_existing("duckdb", tmp_path, "reports", SCHEMAS["reports"]).num_rows == 2  # type: ignore[union-attr]
    assert read_existing("duckdb", tmp_path, "projects", projects).num_rows == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", FORMATS)
def test_append_refuses_a_changed_schema(fmt: str, tmp_path: Path) -> None:
    old = {"objectives": pa.schema([*SCHEMAS["objectives"]][:-1])}
    write(fmt, tmp_path, {"objectives": batch(0)["objectives"].drop_columns("source_line")},
          schemas=old)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ValueError, match="objectives"):
        open_sink(fmt, tmp_path, {"objectives": SCHEMAS["objectives"]}, append=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_existing_absent_and_projection(fmt: str, tmp_path: Path) -> None:
    assert read_existing(fmt, tmp_path, "reports", SCHEMAS["reports"]) is None
    write(fmt, tmp_path, batch(0))
    got = read_existing(fmt, tmp_path, "reports", SCHEMAS["reports"], ["report_key", "project_id"])
    assert got is not None and got.to_pylist() == [
        {"report_key": "k0", "project_id": "50240000-7108"},
        {"report_key": "k1", "project_id": "50240000-7108"}]
    with pytest.raises(ValueError, match="nope"):
        read_existing(fmt, tmp_path, "reports", SCHEMAS["reports"], ["nope"])


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        open_sink("xlsx", tmp_path, FACTS)
    with pytest.raises(ValueError, match="format"):
        read_existing("xlsx", tmp_path, "reports", SCHEMAS["reports"])
    sink = open_sink("jsonl", tmp_path, FACTS)
    with pytest.raises(ValueError, match="unknown table"):
        sink.write({"nope": batch(0)["reports"]})
    with pytest.raises(ValueError, match="columns"):
        sink.write({"reports": batch(0)["objectives"]})
    shuffled = batch(0)["kpis"].select(list(reversed(SCHEMAS["kpis"].names)))
    sink.write({"kpis": shuffled})  # column order does not matter
    sink.close()
    with pytest.raises(RuntimeError):
        sink.close()
    assert read_existing("jsonl", tmp_path, "kpis", SCHEMAS["kpis"]).equals(batch(0)["kpis"])  # type: ignore[union-attr]
    assert visible(tmp_path) == final_names("jsonl")


def test_writers_do_not_import_model_or_duckdb(tmp_path: Path) -> None:
    src = Path(writers.__file__).parent
    allowed = {"..errors", ".._commit", ".._formats"}  # errors, commit journal, format names
    for path in src.glob("*.py"):
        imports = re.findall(r"^\s*(?:from|import) (\S+)", path.read_text(encoding="utf-8"),
                             re.MULTILINE)
        assert not [m for m in imports if m.startswith(("..", "bmaparse")) and m not in allowed], \
            path.name
        assert ("duckdb" in imports) == (path.name == "duckdb.py"), path.name
    code = ("import sys; from bmaparse import writers; writers.open_sink('csv', sys.argv[1], {}); "
            "print('duckdb' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


_cell = st.none() | st.text(st.characters(exclude_categories=("Cs",)), max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cell, _cell, st.none() | st.integers(-(2**31), 2**31 - 1)),
                max_size=6))
def test_any_text_round_trips(rows: list[tuple[str | None, str | None, int | None]]) -> None:
    # CSV's documented ambiguity: text that itself starts with ' and a formula character
    assume(not any(t and t[:1] == "'" and t[1:2] in "=+-@\t\r" for _, t, _ in rows))
    table = pa.Table.from_pylist(
        [{"report_key": f"k{i}", "ordinal": n, "label": label, "text": text or "",
          "source_line": n} for i, (label, text, n) in enumerate(rows)],
        schema=SCHEMAS["objectives"])
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            out = Path(tmp) / fmt
            write(fmt, out, {"objectives": table}, schemas={"objectives": SCHEMAS["objectives"]})
            back = read_existing(fmt, out, "objectives", SCHEMAS["objectives"])
            assert back is not None and back.equals(table), fmt


# --- through convert: odd names and formula text --------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_csv_cells_never_start_a_formula(tmp_path: Path, hostile_folder: Path) -> None:
    out = tmp_path / "out"
    convert([hostile_folder], out, fmt="csv", jobs=1)
    seen = 0
    for path in out.glob("*.csv"):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        for row in csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")):
            for cell in row:
                seen += 1
                assert not cell.startswith(FORMULA_STARTS), (path.name, cell[:40])
    assert seen > 100
    reports = (out / "reports.csv").read_text(encoding="utf-8-sig")
    assert "'=cmd.txt" not in reports  # a path is neutralised as a whole cell, not inside it
    assert "bad\\xff-name.txt" in reports  # an undecodable file-name byte is its escape


def test_jsonl_and_manifest_are_always_valid_json(tmp_path: Path, hostile_folder: Path) -> None:
    out = tmp_path / "out"
    convert([hostile_folder], out, fmt="jsonl", jobs=1)
    rows = 0
    for path in out.glob("*.jsonl"):
        for line in path.read_bytes().split(b"\n")[:-1]:
            assert isinstance(json.loads(line.decode("utf-8")), dict)
            rows += 1
    assert rows > 10
    manifest = json.loads((out / "manifest.json").read_bytes().decode("utf-8"))
    assert len(manifest["inputs"]) == 5 and manifest["limits"] == Limits().as_dict()
