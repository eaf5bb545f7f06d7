"""The target-independent part of warehouse loads: the schema check (evolve or refuse),
reading a converted folder, target dispatch, password masking, the missing-driver line.
The loads themselves are tested against the real targets (test_load_postgres.py ...)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

import bmaparse
from bmaparse.errors import LoadError, UsageError
from bmaparse.tables import SCHEMAS, TABLE_KEYS
from bmaparse.warehouse import _schema, load_into, mask_password, read_folder
from bmaparse.warehouse._spec import LOADS_TABLE

ROOT = Path(__file__).resolve().parent.parent


def _live(table: str, *, drop: str = "", retype: dict[str, pa.DataType] | None = None,
          extra: tuple[str, pa.DataType | None] | None = None) -> list[tuple[str, pa.DataType | None]]:
    out: list[tuple[str, pa.DataType | None]] = [
        (f.name, (retype or {}).get(f.name, f.type)) for f in SCHEMAS[table] if f.name != drop]
    if extra:
        out.append(extra)
    return out


def test_a_live_table_as_declared_needs_nothing() -> None:
    for table in SCHEMAS:
        assert _schema.check(table, _live(table), "3", "3") == []


def test_large_and_view_strings_are_strings() -> None:
    live = [(n, pa.large_string() if t == pa.string() else t) for n, t in _live("objectives")]
    assert _schema.check("objectives", live, None, "3") == []


def test_a_missing_nullable_column_is_added_by_a_newer_folder() -> None:
    assert _schema.check("reports", _live("reports", drop="latest_reported_on"), "3", "4") == [
        "latest_reported_on"]
    assert _schema.check("kpis", _live("kpis", drop="calculation_method"), "2", "3") == [
        "calculation_method"]


@pytest.mark.parametrize("warehouse", ["3", None])
def test_a_column_dropped_by_hand_is_refused(warehouse: str | None) -> None:
    with pytest.raises(LoadError) as found:
        _schema.check("kpis", _live("kpis", drop="calculation_method"), warehouse, "3")
    assert str(found.value) == (
        "table kpis lacks the column calculation_method (string), which schema version 3 has "
        "(dropped by hand?): restore the column as bmaparse made it, load into a new database "
        "or schema, or drop the bmaparse tables and load again")


def test_a_missing_key_or_not_null_column_is_refused() -> None:
    with pytest.raises(LoadError) as key:
        _schema.check("objectives", _live("objectives", drop="ordinal"), "3", "4")
    assert str(key.value).startswith("table objectives lacks the key column ordinal (int32), "
                                     "which bmaparse does not add to an existing table: ")
    assert "drop the bmaparse tables and load again" in str(key.value)
    with pytest.raises(LoadError) as not_null:
        _schema.check("objectives", _live("objectives", drop="text"), "3", "4")
    assert "lacks the NOT NULL column text (string), which bmaparse" in str(not_null.value)
    nullable_key = "quarter"
    assert SCHEMAS["kpi_results"].field(nullable_key).nullable
    assert nullable_key in TABLE_KEYS["kpi_results"]
    with pytest.raises(LoadError, match="lacks the key column quarter"):
        _schema.check("kpi_results", _live("kpi_results", drop=nullable_key), "3", "4")


def test_a_retyped_column_is_refused_naming_both_types() -> None:
    with pytest.raises(LoadError) as found:
        _schema.check("budget_figures", _live("budget_figures",
                                              retype={"amount_thb": pa.float64()}), "3", "3")
    assert str(found.value) == (
        "table budget_figures, column amount_thb: the table has double, bmaparse writes "
        "decimal128(18, 2): restore the column as bmaparse made it, load into a new database "
        "or schema, or drop the bmaparse tables and load again")
    with pytest.raises(LoadError, match="the table has some_type, bmaparse writes"):
        live = [(n, None, "some_type") if n == "text" else (n, t) for n, t in _live("objectives")]
        _schema.check("objectives", live, "3", "3")


def test_the_targets_names_of_types_are_used() -> None:
    def pg(field: pa.Field) -> str:
        return {pa.int8(): "smallint", pa.int16(): "smallint"}.get(field.type, "other")

    def stored(typ: pa.DataType) -> pa.DataType:
        return pa.int16() if typ == pa.int8() else typ

    live = _live("reports", retype={"evaluation_quarter": pa.int16()})
    assert _schema.check("reports", live, "3", "3", stored_as=stored) == []
    with pytest.raises(LoadError) as found:
        _schema.check("reports", _live("reports", retype={"evaluation_quarter": pa.int32()}),
                      "3", "3", stored_as=stored, type_name=pg)
    assert "the table has int32, bmaparse writes smallint:" in str(found.value)
    with pytest.raises(LoadError) as without:  # int8 stored as int16 unless stored_as says so
        _schema.check("reports", live, "3", "3")
    assert "the table has int16, bmaparse writes int8:" in str(without.value)


def test_a_column_bmaparse_does_not_write_is_refused() -> None:
    with pytest.raises(LoadError) as found:
        _schema.check("objectives", _live("objectives", extra=("mine", pa.int64(), "bigint")),
                      "3", "3")
    assert str(found.value).startswith(
        "table objectives has a column mine (bigint) that bmaparse does not write "
        "(schema version 3): drop that column (keep your own columns in another table or a "
        "view), load into a new database or schema, or drop the bmaparse tables and load again")


def test_an_older_folder_is_refused_a_newer_one_evolves() -> None:
    with pytest.raises(LoadError) as found:
        _schema.check("reports", _live("reports"), "4", "3")
    assert str(found.value) == (
        "the warehouse was loaded with schema version 4; this folder has 3: convert it again "
        "with this bmaparse (or a newer one) and load that folder")
    assert _schema.check("reports", _live("reports"), "3", "4") == []
    assert _schema.check("reports", _live("reports"), "9", "10") == []  # numbers, not text
    with pytest.raises(LoadError, match="not a version bmaparse writes"):
        _schema.check("reports", _live("reports"), "x", "3")


def test_the_loads_table_has_its_own_schema() -> None:
    live = [(f.name, f.type) for f in _schema.LOADS_SCHEMA]
    assert _schema.check(LOADS_TABLE, live, None, "3") == []
    with pytest.raises(LoadError, match="lacks the key column folder_id"):
        _schema.check(LOADS_TABLE, live[1:], None, "3")


def test_mask_password() -> None:
    assert mask_password("postgresql://etl:s3cret@db:5432/bma") == "postgresql://etl:***@db:5432/bma"
    assert mask_password("postgresql://etl@db/bma") == "postgresql://etl@db/bma"
    assert mask_password("postgres://etl:p%40ss@db/bma?sslmode=require") == (
        "postgres://etl:***@db/bma?sslmode=require")
    assert mask_password("postgresql://db/bma?user=etl&password=s3cret&x=1") == (
        "postgresql://db/bma?user=etl&password=***&x=1")
    assert mask_password("duckdb:/tmp/w.duckdb") == "duckdb:/tmp/w.duckdb"
    assert mask_password("postgresql://etl:s3cret@[::1/bma?password=s3cret&x=1") == (
        "postgresql://etl:***@[::1/bma?password=***&x=1")


def test_a_url_urlsplit_refuses_is_one_usage_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from bmaparse.cli import main

    assert main(["load", str(tmp_path), "--to", "postgresql://etl:s3cret@[::1/bma"]) == 2
    err = capsys.readouterr().err
    assert err == ("bmaparse: error: not a PostgreSQL URL: 'postgresql://etl:***@[::1/bma'"
                   " (Invalid IPv6 URL)\n")


@pytest.mark.parametrize("target", ["mysql://x/y", "out.duckdb", "postgresql:db", "delta:",
                                    "sqlite:/tmp/x"])
def test_an_unknown_target_is_a_usage_error(tmp_path: Path, target: str) -> None:
    with pytest.raises(UsageError) as found:
        load_into(tmp_path, target)
    assert "postgresql://..., delta:PATH or duckdb:PATH" in str(found.value) or "names no path" in str(found.value)


def test_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such folder"):
        load_into(tmp_path / "nope", "postgresql://u:pw@127.0.0.1:1/x")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wh") / "out"
    summary = bmaparse.convert([ROOT / "samples"], out, jobs=1)
    assert summary.reports > 0
    return out


def test_read_folder(converted: Path) -> None:
    incoming = read_folder(converted, source="out")
    assert set(incoming.tables) == set(SCHEMAS)
    for name, table in incoming.tables.items():
        assert table.schema.equals(SCHEMAS[name]), name
    assert incoming.tables["reports"].num_rows > 0
    assert len(incoming.folder_id) == 64
    assert incoming.schema_version == bmaparse.SCHEMA_VERSION
    assert incoming.parser_version == bmaparse.PARSER_VERSION
    paths = set(incoming.tables["reports"].column("source_path").to_pylist())
    assert paths <= incoming.source_paths
    assert read_folder(converted, source="out").folder_id == incoming.folder_id


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "duckdb"])
def test_read_folder_reads_every_format(tmp_path: Path, converted: Path, fmt: str) -> None:
    out = tmp_path / fmt
    bmaparse.convert([ROOT / "samples"], out, jobs=1, fmt=fmt)
    incoming = read_folder(out, source=fmt)
    parquet = read_folder(converted, source="p")
    for name in SCHEMAS:
        assert incoming.tables[name].num_rows == parquet.tables[name].num_rows, name
    assert incoming.tables["reports"].sort_by("report_key").equals(
        parquet.tables["reports"].sort_by("report_key")) or fmt != "duckdb"


def test_a_folder_verify_refuses_is_not_loaded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    bmaparse.convert([ROOT / "samples"], out, jobs=1)
    (out / "objectives.parquet").unlink()
    with pytest.raises(LoadError) as found:
        load_into(out, "postgresql://u:secret@127.0.0.1:1/x")
    message = str(found.value)
    assert message.startswith(f"{out}: not a consistent bmaparse folder (table objectives: its file")
    assert message.endswith(f"run bmaparse verify {out}, convert again, and load that folder")
    assert "secret" not in message
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.txt").write_text("x")
    with pytest.raises(LoadError, match="not a folder bmaparse wrote"):
        load_into(plain, "postgresql://u@127.0.0.1:1/x")


def test_a_missing_driver_is_one_line(converted: Path) -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"  # `import psycopg` now fails
        "import bmaparse\n"
        "from bmaparse.errors import LoadError\n"
        "try:\n"
        f"    bmaparse.load_into({str(converted)!r}, 'postgresql://etl:hunter22@db/bma')\n"
        "except LoadError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == ("loading into postgresql://etl:***@db/bma needs psycopg: "
                          "pip install 'bmaparse[postgres]'\n")


def test_cli_usage_and_refusals_are_one_line(tmp_path: Path, converted: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from bmaparse.cli import main

    assert main(["load", str(converted)]) == 2  # --to is required
    capsys.readouterr()
    assert main(["load", str(converted), "--to", "mysql://u:pw@x/y"]) == 2
    err = capsys.readouterr().err
    assert err == ("bmaparse: error: unknown target 'mysql://u:***@x/y': expected "
                   "postgresql://..., delta:PATH or duckdb:PATH\n")
    assert main(["load", str(tmp_path / "nope"), "--to", "duckdb:x"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    broken = tmp_path / "broken"
    bmaparse.convert([ROOT / "samples"], broken, jobs=1)
    (broken / "reports.parquet").write_bytes(b"not parquet")
    assert main(["load", str(broken), "--to", "postgresql://u:pw@127.0.0.1:1/x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bmaparse: error: ") and err.count("\n") == 1
    assert "not a consistent bmaparse folder" in err


def test_the_airflow_example_compiles() -> None:
    """docs/examples/airflow_bmaparse_dag.py: Python that compiles (Airflow is not installed
    here), calling the functions this bmaparse has."""
    path = ROOT / "docs" / "examples" / "airflow_bmaparse_dag.py"
    source = path.read_text(encoding="utf-8")
    compile(source, str(path), "exec")
    assert "bmaparse.convert([EXPORTS], OUT, incremental=True" in source
    assert "bmaparse.load_into(converted[\"out\"], target)" in source
    assert callable(bmaparse.convert) and callable(bmaparse.load_into)


def test_a_shard_or_a_partial_merge_is_not_loaded(tmp_path: Path) -> None:
    """Loading the shards one by one would leave projects, the analysis tables and
    findings as the last shard alone made them; a merge of every shard is loaded."""
    parts = [tmp_path / f"p{k}" for k in (1, 2)]
    for k, part in enumerate(parts, 1):
        bmaparse.convert([ROOT / "samples"], part, jobs=1, shard=(k, 2))
    bmaparse.merge(parts[:1], tmp_path / "half", partial=True)
    bmaparse.merge(parts, tmp_path / "whole")
    target = f"duckdb:{tmp_path / 'w.duckdb'}"
    with pytest.raises(LoadError, match=r"p1 is shard 1/2 of a convert --shard run: .*merge"):
        load_into(parts[0], target)
    with pytest.raises(LoadError, match=r"a partial merge of shards \[1\] of 2"):
        load_into(tmp_path / "half", target)
    assert not (tmp_path / "w.duckdb").exists()
    assert not load_into(tmp_path / "whole", target).unchanged
