"""A Spark job: BMA report exports in, bmaparse's tables out (docs/scale.md, "Spark").

    spark-submit bmaparse_job.py /shared/exports /shared/more.zip --out /shared/lake
    spark-submit bmaparse_job.py /Volumes/city/bma/raw/exports --out /Volumes/city/bma/lake \\
        --format delta --mode overwrite

Every input path must be readable at the same path on the driver and on every
executor (a shared file system: NFS, /dbfs/..., /Volumes/... on Databricks);
``--out`` is a Spark path every executor can write. Exit status: 0 written,
1 the output could not be written, 2 a bad call (an input that does not exist).
"""

from __future__ import annotations

import argparse
import sys

from pyspark.sql import SparkSession

import bmaparse.spark
from bmaparse.errors import BmaparseError, UsageError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="files, folders, .zip archives")
    parser.add_argument("--out", required=True, help="folder of the tables (a Spark path)")
    parser.add_argument("--format", choices=bmaparse.spark.FORMATS, default="parquet")
    parser.add_argument("--mode", default="errorifexists",
                        choices=("errorifexists", "overwrite", "append", "ignore"))
    parser.add_argument("--partitions", type=int, help="Spark tasks that parse (default: 4 a core)")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName("bmaparse").getOrCreate()
    try:
        frames = bmaparse.spark.read_tables(spark, args.inputs, partitions=args.partitions)
        written = bmaparse.spark.write(frames, args.out, format=args.format, mode=args.mode)
        frames.unpersist()
    except BmaparseError as exc:
        print(f"bmaparse: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    for name, path in written.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
