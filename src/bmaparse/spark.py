"""Spark: the tables of ``convert`` as Spark DataFrames, parsed on the executors.

Strategy: the driver lists the inputs with the same discovery as ``convert``
(``_discover.discover``: files, folders, ``.zip`` archives, sorted by source
path) and cuts the tasks into the same chunks (``_pool.chunks``); only the
small task descriptions travel (pickled, one row per chunk). Each executor
reads its files itself and runs the very function a ``convert`` worker runs
(``_worker.process``: read, parse, flatten with ``tables.to_tables``), so an
empty or unreadable file keeps its diagnostics (Spark's ``binaryFile`` source
would drop an empty file). The rules it keeps:

- Every file is parsed once: one ``mapInArrow`` turns a chunk into one row per
  table, (chunk, table, Arrow IPC stream), persisted; each table is one decode
  of its rows (another ``mapInArrow``), typed by ``tables.SCHEMAS``.
- The same report in two inputs is kept once, the copy ``convert`` keeps: the
  first in input order. Inside a chunk the worker already keeps only the first
  copy (as in ``convert``); across chunks the copy of the lowest chunk wins: the
  (report_key, chunk) pairs that lose are found from ``reports`` and removed
  from every table with an anti join (broadcast: they are the duplicates only).
  Rows without a report (a file's own diagnostics) are all kept.
- ``projects`` is ``tables.build_projects`` (the function ``convert``'s
  builder equals) run per partition of the deduplicated reports hashed by
  ``project_id``: each project is whole in one partition.
- Each DataFrame has the Spark image of ``tables.SCHEMAS[name]``: the same
  columns in the same order, the same types, NOT NULL where the schema says so,
  and each column's metadata (description, Thai label) as Spark field metadata;
  the last step of every frame casts back to it (``spark_schema``).
- The analysis tables (``progress_history``, ``project_budget``,
  ``kpi_results``, ``findings``) are not made here: they are DuckDB SQL
  (``bmaparse.analysis``, ``bmaparse.audit``) over a whole folder, and a second
  implementation in Spark SQL could drift from them. The Parquet that ``write``
  makes is what ``bmaparse.analysis.connect("parquet", path)`` reads, so the same
  SQL computes them on one machine from the written files (docs/scale.md).

Paths: discovery runs on the driver and every executor opens the paths it was
given, so on a cluster the inputs must be at the same (POSIX) path on the
driver and every executor: a shared file system (NFS, ``/dbfs/...``,
``/Volumes/...`` on Databricks). Relative paths are made absolute on the
driver; ``source_path`` stays as written, as in ``convert``.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, Literal

try:
    import pyspark  # noqa: F401
except ImportError as exc:  # one clear line, not pyspark's own traceback
    raise ImportError("bmaparse.spark needs pyspark: pip install 'bmaparse[spark]'") from exc

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 (Spark's own idiom)
from pyspark.sql.types import (
    BinaryType,
    BooleanType,
    ByteType,
    DataType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    ShortType,
    StringType,
    StructField,
    StructType,
)

from . import tables
from ._discover import Task, discover
from ._pool import chunks
from ._read import Limits
from ._read_task import close_archives, resolve_limits
from ._worker import WorkerConfig, process
from .errors import OutputError, UsageError

__all__ = ("FORMATS", "SparkTables", "read_tables", "spark_schema", "write")

FORMATS = ("parquet", "delta")
"""What ``write`` writes."""

_CHUNK = "_bmaparse_chunk"
"""The column that carries a row's chunk (input order) until deduplication."""
_PARSED = StructType([StructField("chunk", IntegerType(), False),
                      StructField("table", StringType(), False),
                      StructField("data", BinaryType(), False)])
"""A parsed chunk: one row per table, its rows as an Arrow IPC stream."""


def _base_tables() -> tuple[str, ...]:
    """The tables ``read_tables`` returns: every table of ``convert`` but the analysis
    tables, in the order of ``tables.SCHEMAS``."""
    return tuple(name for name in tables.SCHEMAS if name not in tables.ANALYSIS_TABLES)


def _spark_type(arrow_type: pa.DataType) -> DataType:
    """The Spark type of an Arrow type of ``tables.SCHEMAS``."""
    simple: dict[pa.DataType, DataType] = {
        pa.string(): StringType(), pa.bool_(): BooleanType(), pa.int8(): ByteType(),
        pa.int16(): ShortType(), pa.int32(): IntegerType(), pa.int64(): LongType(),
        pa.date32(): DateType(),
    }
    if arrow_type in simple:
        return simple[arrow_type]
    if pa.types.is_decimal128(arrow_type):
        return DecimalType(arrow_type.precision, arrow_type.scale)
    raise TypeError(f"bmaparse.spark: no Spark type for the Arrow type {arrow_type}")


def spark_schema(name: str) -> StructType:
    """The Spark schema of table ``name``: ``tables.SCHEMAS[name]``'s columns, types,
    nullability, and each column's metadata (``description``, Thai ``label``) as a
    Spark field's metadata (str -> str)."""
    return StructType([
        StructField(f.name, _spark_type(f.type), f.nullable,
                    {k.decode(): v.decode() for k, v in (f.metadata or {}).items()})
        for f in tables.SCHEMAS[name]
    ])


class SparkTables(dict[str, DataFrame]):
    """What ``read_tables`` returns: table name -> DataFrame, in the order of
    ``tables.SCHEMAS``. ``parsed`` is the persisted DataFrame every table is
    decoded from, ``losers`` the (report_key, chunk) copies left out (both
    persisted); ``unpersist`` frees them once the tables are written."""

    parsed: DataFrame
    losers: DataFrame

    def unpersist(self) -> None:
        """Free the persisted parse (the frames are recomputed if used again)."""
        self.parsed.unpersist()
        self.losers.unpersist()


def read_tables(
    spark: SparkSession,
    inputs: Sequence[str | os.PathLike[str]],
    *,
    strict: bool = False,
    limits: Limits | None = None,
    follow_links: bool = False,
    partitions: int | None = None,
) -> SparkTables:
    """The tables ``convert`` writes for ``inputs`` (files, folders, ``.zip``
    archives), as Spark DataFrames, parsed by the executors.

    >>> from pyspark.sql import SparkSession
    >>> import bmaparse.spark
    >>> spark = SparkSession.builder.master("local[2]").getOrCreate()
    >>> frames = bmaparse.spark.read_tables(spark, ["samples/"])
    >>> frames["reports"].count(), list(frames)[:3]
    (9, ['reports', 'objectives', 'strategy_links'])

    Every base table and ``projects`` (not the analysis tables: docs/scale.md), with
    the rows ``convert`` writes (a report found twice kept once, the first copy in
    input order) and the schemas of ``tables.SCHEMAS`` (``spark_schema``).
    ``strict``, ``limits`` and ``follow_links`` are ``convert``'s. ``partitions``:
    how many Spark tasks parse (default: four per core of the cluster, at most one
    per chunk of 64 inputs). The inputs are listed now, on the driver (a
    ``UsageError`` when one does not exist); nothing is parsed until a frame is
    used, and the first use parses every input once for all tables (persisted:
    ``SparkTables.unpersist`` frees it). Every executor must be able to read the
    inputs at the paths the driver sees.
    """
    if partitions is not None and partitions < 1:
        raise UsageError(f"partitions must be at least 1, not {partitions}")
    limits = resolve_limits(limits)
    tasks = [_absolute(task) for task in discover(inputs, limits=limits,
                                                  follow_links=follow_links).tasks]
    pieces = chunks(tasks)
    parts = partitions or max(1, min(len(pieces), 4 * _cores(spark)))
    config = WorkerConfig(strict, frozenset(), limits)
    rows = [(i, pickle.dumps(list(piece), protocol=pickle.HIGHEST_PROTOCOL))
            for i, piece in enumerate(pieces)]
    listed = spark.createDataFrame(rows, StructType([StructField("chunk", IntegerType(), False),
                                                     StructField("tasks", BinaryType(), False)]))
    parsed = listed.repartition(parts).mapInArrow(partial(_parse, config), _PARSED)
    parsed = parsed.persist()
    decoded = {name: _decode(parsed, name) for name in _base_tables() if name != "projects"}
    keys = decoded["reports"].select("report_key", _CHUNK)
    losers = (keys.withColumn("_first", F.min(_CHUNK).over(Window.partitionBy("report_key")))
              .filter(F.col(_CHUNK) != F.col("_first")).select("report_key", _CHUNK)).persist()
    frames = SparkTables()
    frames.parsed, frames.losers = parsed, losers
    for name, frame in decoded.items():
        kept = frame.join(F.broadcast(losers), ["report_key", _CHUNK], "left_anti")
        frames[name] = _typed(kept, name)
    source = frames["reports"].select(*(name for name in tables.SCHEMAS["reports"].names
                                        if name in tables.PROJECT_SOURCE_COLUMNS))
    frames["projects"] = _typed(
        source.filter(F.col("project_id").isNotNull()).repartition(parts, "project_id")
        .mapInArrow(_projects, spark_schema("projects")), "projects")
    return frames  # in the order of SCHEMAS: its projects come after diagnostics


def _cores(spark: SparkSession) -> int:
    """The cluster's default parallelism (its cores); 2 when the session cannot say
    (Spark Connect has no ``sparkContext``)."""
    try:
        return int(spark.sparkContext.defaultParallelism)
    except Exception:
        return 2


def _absolute(task: Task) -> Task:
    """``task`` with an absolute path to open (an executor's working folder is not the
    driver's); its ``source_path`` stays as the user wrote it."""
    return dataclasses.replace(task, path=os.path.abspath(task.path))


def _typed(frame: DataFrame, name: str) -> DataFrame:
    """``frame`` with exactly ``spark_schema(name)``'s columns, in order, each cast to
    its type and carrying its metadata: a join puts its keys first, and may drop a
    column's metadata. (NOT NULL cannot be cast back: it is kept because the frames
    come from ``mapInArrow`` with the schema's nullability, through anti joins, which
    keep the left side's columns as they are; tests/test_spark.py checks it.)"""
    schema = spark_schema(name)
    return frame.select(*(F.col(f.name).cast(f.dataType).alias(f.name, metadata=f.metadata)
                          for f in schema))


def _decode(parsed: DataFrame, name: str) -> DataFrame:
    """Table ``name``'s rows out of the parsed chunks, with their chunk (``_CHUNK``)."""
    schema = spark_schema(name).add(StructField(_CHUNK, IntegerType(), False))
    return (parsed.filter(F.col("table") == name).select("chunk", "data")
            .mapInArrow(_decode_batches, schema))


# --- on the executors ---------------------------------------------------------------------


def _parse(config: WorkerConfig, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Chunks of tasks in; per chunk, one row per table: (chunk, table, Arrow IPC).
    ``_worker.process`` never raises: a bad input is its diagnostics rows."""
    try:
        for batch in batches:
            for chunk, blob in zip(_cells(batch, "chunk"), _cells(batch, "tasks"), strict=True):
                made = process(config, pickle.loads(blob)).tables
                names = list(made)
                yield pa.RecordBatch.from_arrays(
                    [pa.array([chunk] * len(names), pa.int32()), pa.array(names, pa.string()),
                     pa.array([_ipc(made[n]) for n in names], pa.binary())],
                    schema=_arrow(_PARSED))
    finally:
        close_archives()


def _cells(batch: pa.RecordBatch, name: str) -> list[Any]:
    """A column's values (the columns of the parsed rows are NOT NULL)."""
    return batch.column(name).to_pylist()


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="lz4")  # a quarter of the bytes to hold
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _arrow(schema: StructType) -> pa.Schema:
    """The Arrow schema Spark expects back from a ``mapInArrow`` of ``schema``."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(StructType([StructField(f.name, f.dataType, f.nullable)
                                       for f in schema]))


def _decode_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """(chunk, IPC stream) rows in; the stream's rows out, each with its chunk."""
    for batch in batches:
        for chunk, data in zip(_cells(batch, "chunk"), _cells(batch, "data"), strict=True):
            table = pa.ipc.open_stream(data).read_all()
            if table.num_rows == 0:
                continue
            table = table.append_column(pa.field(_CHUNK, pa.int32(), False),
                                        pa.repeat(pa.scalar(chunk, pa.int32()), table.num_rows))
            table = table.replace_schema_metadata(None)
            yield from table.to_batches()


def _projects(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A partition of report rows (whole projects) in; their ``projects`` rows out,
    by ``tables.build_projects``."""
    held = list(batches)
    if not held:
        return
    projects = tables.build_projects(pa.Table.from_batches(held))
    yield from projects.replace_schema_metadata(None).to_batches()


# --- writing ------------------------------------------------------------------------------


def write(
    frames: Mapping[str, DataFrame],
    path: str | os.PathLike[str],
    format: Literal["parquet", "delta"] = "parquet",
    mode: Literal["error", "errorifexists", "overwrite", "append", "ignore"] = "errorifexists",
) -> dict[str, str]:
    """Write each frame to ``path/<table>.parquet`` (a folder of Parquet parts) or
    ``path/<table>`` (a Delta table) with Spark's writer; table -> the folder written.

    ``mode`` is Spark's save mode (``errorifexists``: a table already there is an
    ``OutputError``; ``overwrite``; ``append``; ``ignore``). ``format="delta"`` needs a
    session that has Delta Lake (the Databricks runtime, or ``delta-spark``
    configured): otherwise an ``OutputError`` that says so. ``path`` is a Spark path:
    every executor writes its part there (a shared file system or object store).
    """
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    from concurrent.futures import ThreadPoolExecutor

    root = os.fspath(path).rstrip("/")
    suffix = ".parquet" if format == "parquet" else ""  # what bmaparse.analysis.connect reads
    targets = {name: f"{root}/{name}{suffix}" for name in frames}
    if isinstance(frames, SparkTables):  # parse once, before the tables' jobs share it
        frames.parsed.count()
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:  # small jobs overlap
        done = [pool.submit(_write_one, frame, name, targets[name], format, mode)
                for name, frame in frames.items()]
        for future in done:
            future.result()
    return targets


_WRITERS = 4
"""Tables written at once: each table's job is small, and Spark runs the jobs of
several threads side by side, so the cores idle less between stages."""


def _write_one(frame: DataFrame, name: str, target: str, fmt: str, mode: str) -> None:
    try:
        frame.write.format(fmt).mode(mode).save(target)
    except Exception as exc:
        raise OutputError(_write_failure(fmt, name, target, exc)) from None


def _write_failure(fmt: str, name: str, target: str, exc: Exception) -> str:
    """One line saying why table ``name`` could not be written to ``target``."""
    text = " ".join(str(exc).split())
    if fmt == "delta" and ("delta" in text.lower() and ("find data source" in text.lower()
                                                           or "DATA_SOURCE_NOT_FOUND" in text)):
        return (f"cannot write {name} as Delta to {target}: this Spark session has no Delta"
                " Lake; use the Databricks runtime or a session made with delta-spark"
                " (configure_spark_with_delta_pip), or write parquet")
    if "PATH_ALREADY_EXISTS" in text or "already exists" in text:
        return (f"cannot write {name}: {target} already exists; pass mode='overwrite' or"
                " 'append', or choose another path")
    return f"cannot write {name} to {target}: {text[:300]}"
