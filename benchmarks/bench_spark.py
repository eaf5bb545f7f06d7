"""``bmaparse.spark`` on one machine against ``bmaparse convert``: the figures of docs/scale.md.

Run from the repository root (bmaparse and pyspark installed, Java 17 or later):

    python benchmarks/bench_spark.py --size 20000 --cores 2 --rounds 3 --out /tmp/bench-spark

Strategy: write ``synth.corpus(SIZE, 0, layouts=("page", "export", "view", "kpi"),
history=True)`` once under ``OUT``, one file per report. Each round then runs,
each in a fresh process into a fresh folder:

- ``bmaparse convert CORPUS -o DIR --jobs CORES --quiet``, timed from outside
  (the interpreter's start and imports included): what a user runs;
- ``convert`` (the same call, from Python) without the analysis step
  (``batch._write_analysis`` replaced by a no-op): the tables the Spark path
  makes, the base tables and ``projects``;
- Spark in ``local[CORES]``: the session's start (the JVM), then
  ``read_tables`` and ``parsed.count()`` (listing the inputs on the driver,
  then parsing every input once into the persisted Arrow IPC rows), then
  ``write(frames, DIR)`` (decode, dedup, ``projects``, Parquet), each timed with
  a wall clock.

The rows of every table Spark wrote are counted against convert's (a check, not
a figure). The median of each figure over the rounds is printed, with the load
average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

_CONVERT = """
import json, sys, time
from bmaparse import batch
batch._write_analysis = lambda *args: ({}, {})
started = time.perf_counter()
batch.convert([sys.argv[1]], sys.argv[2], jobs=int(sys.argv[3]))
print(json.dumps(time.perf_counter() - started))
"""

_SPARK = """
import json, os, sys, time
started = time.perf_counter()

def tree_cpu(root):
    # CPU seconds of a process and its descendants (finished ones included), from /proc
    ticks, parents, used = os.sysconf("SC_CLK_TCK"), {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(pid)] = int(fields[1])
        used[int(pid)] = sum(int(x) for x in fields[11:15]) / ticks
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total

from pyspark.sql import SparkSession
spark = (SparkSession.builder.master(f"local[{sys.argv[3]}]").appName("bench-spark")
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.pyspark.python", sys.executable)
         .config("spark.sql.shuffle.partitions", str(2 * int(sys.argv[3])))
         .config("spark.driver.memory", "2g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
import bmaparse.spark
timings = {"session": time.perf_counter() - started}
clock = time.perf_counter()
partitions = int(sys.argv[4]) or None
frames = bmaparse.spark.read_tables(spark, [sys.argv[1]], partitions=partitions)
timings["list"] = time.perf_counter() - clock
clock = time.perf_counter()
frames.parsed.count()
timings["parse"] = time.perf_counter() - clock
clock = time.perf_counter()
written = bmaparse.spark.write(frames, sys.argv[2])
timings["decode, dedup, write"] = time.perf_counter() - clock
timings["total"] = time.perf_counter() - started
timings["cpu"] = tree_cpu(spark.sparkContext._gateway.proc.pid) + time.process_time()
spark.stop()
print(json.dumps(timings))
"""


def _corpus(root: Path, size: int) -> Path:
    """The corpus folder, written once per size."""
    folder = root / f"corpus-{size}"
    if (folder / ".done").exists():
        return folder
    from bmaparse import synth

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    texts = synth.corpus(size, 0, layouts=("page", "export", "view", "kpi"), history=True)
    for i, text in enumerate(texts):
        (folder / f"r{i:06}.txt").write_text(text, encoding="utf-8")
    (folder / ".done").write_text("", encoding="utf-8")  # hidden: discovery skips it
    return folder


def _cpu() -> float:
    """CPU seconds (user and system) of every finished child process and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli(corpus: Path, out: Path, cores: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    bmaparse = Path(sys.executable).with_name("bmaparse")
    started = time.perf_counter()
    done = subprocess.run([str(bmaparse), "convert", str(corpus), "-o", str(out), "--jobs",
                           str(cores), "--quiet"], check=False)
    if done.returncode not in (0, 1):  # 1: some inputs had errors (the corpus has a few)
        sys.exit(f"bmaparse convert failed with exit status {done.returncode}")
    return time.perf_counter() - started


def _child(script: str, *args: str) -> dict[str, float] | float:
    done = subprocess.run([sys.executable, "-c", script, *args], check=True,
                          capture_output=True, text=True)
    result: dict[str, float] | float = json.loads(done.stdout.splitlines()[-1])
    return result


def _check(spark_out: Path, convert_out: Path) -> None:
    """Every table Spark wrote has convert's number of rows."""
    import pyarrow.parquet as pq

    for folder in sorted(p for p in spark_out.iterdir() if p.is_dir()):
        spark_rows = pq.read_table(folder).num_rows
        convert_rows = pq.read_table(convert_out / folder.name).num_rows
        if spark_rows != convert_rows:
            sys.exit(f"{folder.name}: Spark wrote {spark_rows} rows, convert {convert_rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=0,
                        help="read_tables(partitions=...); 0: its default")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-spark"))
    args = parser.parse_args()
    corpus = _corpus(args.out, args.size)
    cli, bare, spark = [], [], []
    cpu: dict[str, list[float]] = {"convert": [], "bare": []}
    for _ in range(args.rounds):
        clock = _cpu()
        cli.append(_cli(corpus, args.out / "convert", args.cores))
        cpu["convert"].append(_cpu() - clock)
        shutil.rmtree(args.out / "bare", ignore_errors=True)
        clock = _cpu()
        bare.append(float(_child(_CONVERT, str(corpus), str(args.out / "bare"),  # type: ignore[arg-type]
                                 str(args.cores))))
        cpu["bare"].append(_cpu() - clock)
        shutil.rmtree(args.out / "spark", ignore_errors=True)
        timings = _child(_SPARK, str(corpus), str(args.out / "spark"), str(args.cores),
                         str(args.partitions))
        assert isinstance(timings, dict)
        spark.append(timings)
        _check(args.out / "spark", args.out / "convert")
    print(f"{args.size} reports, one file each; {args.cores} cores; {args.rounds} rounds;"
          f" load average {os.getloadavg()[0]:.2f}; medians:")
    print(f"  bmaparse convert --jobs {args.cores} (CLI, all tables): "
          f"{statistics.median(cli):6.1f} s  (CPU {statistics.median(cpu['convert']):.1f} s)")
    print(f"  convert without the analysis tables:        {statistics.median(bare):6.1f} s"
          f"  (CPU {statistics.median(cpu['bare']):.1f} s)")
    for key in spark[0]:
        label = "CPU (driver, JVM, Python workers)" if key == "cpu" else key
        print(f"  spark local[{args.cores}] {label + ':':<34}"
              f"{statistics.median(t[key] for t in spark):6.1f} s")


if __name__ == "__main__":
    main()
