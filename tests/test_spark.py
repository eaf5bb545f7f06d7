"""``bmaparse.spark`` in a real Spark, local mode: the same rows and schemas as ``convert``.

One SparkSession (``local[2]``, UI off, few shuffle partitions) serves every test:
the JVM takes seconds to start. The corpus: the samples, every layout of
``tests/data``, a synth corpus of every layout (some files holding several
reports, copies of earlier files in the same chunk and in earlier ones), an
empty file, a binary file and a zip archive (a copy inside it, a nested
archive). Every table ``read_tables`` makes holds ``convert``'s rows (compared
sorted: convert writes diagnostics made while flattening at the end of their
chunk), under ``tables.SCHEMAS``' columns, types, nullability and column
metadata; the Parquet that ``write`` makes reads back equal. Without pyspark or
Java the tests are skipped, except on CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bmaparse import synth, tables
from bmaparse.batch import convert
from bmaparse.errors import OutputError, UsageError
from helpers import DATA, SAMPLES, variant, zip_bytes

SYNTH_FILES = 200
LAYOUTS = ("page", "export", "view", "kpi")


def _missing() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[dev]' installs it)"
    try:
        subprocess.run(["java", "-version"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "no Java runtime (java -version failed): Spark needs Java 17 or later"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("bmaparse-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.pyspark.python", sys.executable)  # this venv's bmaparse
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark") / "in"
    for folder in (SAMPLES, DATA):
        shutil.copytree(folder, root / folder.name, ignore=shutil.ignore_patterns("*.json"))
    rng = random.Random(14)
    texts = list(synth.corpus(SYNTH_FILES, seed=14, layouts=LAYOUTS, history=True))
    for i, text in enumerate(texts):
        if i % 17 == 5:  # several reports in one file
            text = "\n\n".join([text, *texts[max(0, i - 3) : i]])
        if i % 19 == 7:  # a copy of an earlier file: in this chunk or an earlier one
            text = texts[rng.randrange(i)]
        path = root / "synth" / f"part-{i % 3}" / f"{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "odd").mkdir()
    (root / "odd" / "empty.txt").write_bytes(b"")
    (root / "odd" / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (root / "odd" / "archive.zip").write_bytes(zip_bytes({
        "a.txt": variant(601), "dir/b.txt": variant(602), "copy.txt": texts[3].encode(),
        "nested.zip": zip_bytes({"x.txt": variant(603)})}))
    return root


@pytest.fixture(scope="module")
def converted(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spark-convert") / "out"
    summary = convert([corpus], out, jobs=1)
    assert summary.duplicates > 0 and summary.errors > 0  # dedup and a bad input crossed
    return out


@pytest.fixture(scope="module")
def frames(spark: Any, corpus: Path) -> Any:
    import bmaparse.spark

    found = bmaparse.spark.read_tables(spark, [corpus])
    yield found
    found.unpersist()


@pytest.fixture(scope="module")
def collected(frames: Any) -> dict[str, pa.Table]:
    """Every frame as an Arrow table (``toArrow``: Spark's own conversion)."""
    return {name: frame.toArrow() for name, frame in frames.items()}


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)


def _plain(schema: pa.Schema) -> list[tuple[str, pa.DataType, bool]]:
    return [(f.name, f.type, f.nullable) for f in schema]


def test_every_table_but_the_analysis_ones(frames: Any) -> None:
    assert list(frames) == [n for n in tables.SCHEMAS if n not in tables.ANALYSIS_TABLES]


def test_rows_equal_converts(collected: dict[str, pa.Table], converted: Path) -> None:
    for name, got in collected.items():
        expected = pq.read_table(converted / f"{name}.parquet")
        assert got.num_rows == expected.num_rows, name
        assert _rows(got) == _rows(expected), name
    assert collected["reports"].num_rows > SYNTH_FILES // 2
    assert collected["diagnostics"].num_rows > 0 and collected["projects"].num_rows > 0


def test_the_first_copy_in_input_order_is_kept(collected: dict[str, pa.Table],
                                               converted: Path) -> None:
    """A report in two inputs: its rows name the input convert keeps (the first)."""
    got = collected["reports"].select(["report_key", "source_path"]).to_pylist()
    assert len({row["report_key"] for row in got}) == len(got)
    expected = pq.read_table(converted / "reports.parquet", columns=["report_key", "source_path"])
    assert sorted((r["report_key"], r["source_path"]) for r in got) == sorted(
        (r["report_key"], r["source_path"]) for r in expected.to_pylist())


def test_schemas_are_tables_schemas(frames: Any, collected: dict[str, pa.Table]) -> None:
    from pyspark.sql.types import (
        BooleanType,
        ByteType,
        DateType,
        DecimalType,
        IntegerType,
        ShortType,
        StringType,
    )

    spark_types = {pa.string(): StringType(), pa.bool_(): BooleanType(), pa.int8(): ByteType(),
                   pa.int16(): ShortType(), pa.int32(): IntegerType(), pa.date32(): DateType()}
    for name, frame in frames.items():
        schema = tables.SCHEMAS[name]
        assert frame.schema.names == schema.names, name
        for field, spark_field in zip(schema, frame.schema.fields, strict=True):
            expected_type = (DecimalType(field.type.precision, field.type.scale)
                             if pa.types.is_decimal(field.type) else spark_types[field.type])
            assert spark_field.dataType == expected_type, (name, field.name)
            assert spark_field.nullable == field.nullable, (name, field.name)
            assert spark_field.metadata == {k.decode(): v.decode()
                                            for k, v in field.metadata.items()}, (name, field.name)
            assert spark_field.metadata["description"]
        assert _plain(collected[name].schema) == _plain(schema), name


def test_empty_and_bad_files_keep_their_diagnostics(collected: dict[str, pa.Table],
                                                    converted: Path) -> None:
    rows = [r for r in collected["diagnostics"].to_pylist() if r["report_key"] is None]
    by_path = {row["source_path"].rsplit("/", 1)[-1]: row["code"] for row in rows}
    assert by_path["empty.txt"] == "empty-input"
    assert "binary.txt" in by_path
    assert by_path["archive.zip!nested.zip"] == "nested-archive-skipped"
    expected = pq.read_table(converted / "diagnostics.parquet")
    assert sorted(r["code"] for r in rows) == sorted(
        r["code"] for r in expected.to_pylist() if r["report_key"] is None)


def test_archive_members_are_read_and_come_first(collected: dict[str, pa.Table]) -> None:
    paths = set(collected["reports"].column("source_path").to_pylist())
    members = {p.split("!", 1)[1] for p in paths if "archive.zip!" in p}
    assert members == {"a.txt", "copy.txt", "dir/b.txt"}
    # odd/archive.zip!copy.txt comes before synth/part-0/0003.txt, the same report
    assert not any(p.endswith("0003.txt") for p in paths)


@pytest.fixture(scope="module")
def lake(frames: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import bmaparse.spark

    return bmaparse.spark.write(frames, tmp_path_factory.mktemp("spark-lake") / "lake")


def test_parquet_round_trip(spark: Any, frames: Any, lake: dict[str, str],
                            converted: Path) -> None:
    import bmaparse.spark

    assert sorted(lake) == sorted(frames)
    for name, folder in lake.items():
        assert folder.endswith(f"/lake/{name}.parquet")
        back = pq.read_table(folder)
        assert _plain(back.schema) == _plain(tables.SCHEMAS[name]), name
        assert _rows(back) == _rows(pq.read_table(converted / f"{name}.parquet")), name
        again = spark.read.parquet(folder)  # Spark keeps the column metadata
        assert [f.metadata for f in again.schema.fields] == [
            f.metadata for f in frames[name].schema.fields], name
    root = Path(lake["reports"]).parent
    with pytest.raises(OutputError, match="already exists; pass mode='overwrite'"):
        bmaparse.spark.write({"reports": frames["reports"]}, root)
    bmaparse.spark.write({"reports": frames["reports"]}, root, mode="overwrite")
    assert pq.read_table(lake["reports"]).num_rows == frames["reports"].count()


def test_the_analysis_sql_reads_what_write_wrote(lake: dict[str, str], converted: Path) -> None:
    """docs/scale.md: the analysis tables and findings of Spark's output, computed on one
    machine by bmaparse.analysis and bmaparse.audit, are convert's."""
    from bmaparse import analysis, audit

    con = analysis.connect("parquet", Path(lake["reports"]).parent)
    try:
        derived = analysis.derive(con)
        derived["findings"] = audit.compute(con)
    finally:
        con.close()
    assert sorted(derived) == sorted(tables.ANALYSIS_TABLES)
    for name, table in derived.items():
        expected = pq.read_table(converted / f"{name}.parquet")
        assert expected.num_rows > 0, name
        assert _rows(table) == _rows(expected), name


def test_delta_without_delta_lake_is_one_clear_error(frames: Any, tmp_path: Path) -> None:
    import bmaparse.spark

    with pytest.raises(OutputError, match="this Spark session has no Delta Lake"):
        bmaparse.spark.write({"reports": frames["reports"]}, tmp_path / "delta", format="delta")


def test_bad_calls(spark: Any, tmp_path: Path) -> None:
    import bmaparse.spark

    with pytest.raises(UsageError, match="input not found"):
        bmaparse.spark.read_tables(spark, [tmp_path / "nowhere"])
    with pytest.raises(UsageError, match="unknown format 'csv'"):
        bmaparse.spark.write({}, tmp_path / "x", format="csv")  # type: ignore[arg-type]


def test_without_pyspark_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Needs no Spark: pyspark hidden, the import fails with what to install."""
    import importlib

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    monkeypatch.delitem(sys.modules, "bmaparse.spark", raising=False)
    with pytest.raises(ImportError) as caught:
        importlib.import_module("bmaparse.spark")
    assert str(caught.value) == "bmaparse.spark needs pyspark: pip install 'bmaparse[spark]'"
