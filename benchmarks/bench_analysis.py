"""What writing the analysis tables and findings costs ``convert`` (issue 13: at most 10 %).

Run from the repository root (bmaparse installed, or found in ``src/``):

    python benchmarks/bench_analysis.py --size 4000 --rounds 9 --out /tmp/bench-analysis
    python benchmarks/bench_analysis.py --size 20000 --history --rounds 5
    python benchmarks/bench_analysis.py --size 4000 --stages      # where the time goes, once

Strategy: write ``synth.corpus(SIZE, 0)`` (page and export, one file per report;
``--history``: all four layouts with later snapshots, as in docs/audit.md) once
under ``OUT``, then per round run ``convert --jobs 1`` twice, each in a fresh
process into a fresh folder: "with" as it is, "without" with
``batch._write_analysis`` replaced by a no-op. The order alternates between
rounds. Each process reports its CPU time (``time.process_time``) around the
call (imports of bmaparse included in neither: duckdb is imported by the
analysis, so its import counts). The figure is the median of "with" over the
median of "without", minus one; the load average is printed with it, since
the machine may be shared. ``--stages`` instead times, in one process after
one convert, each step of ``_write_analysis`` (connect, each table, the
findings, writing) over the staged tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, sys, time
from bmaparse import batch
if sys.argv[3] == "without":
    batch._write_analysis = lambda writers, tables, fmt, out, staging: ({}, {})
started = time.process_time()
batch.convert([sys.argv[1]], sys.argv[2], jobs=1, fmt=sys.argv[4])
print(json.dumps(time.process_time() - started))
"""

_STAGES = """
import json, sys, time
from pathlib import Path
from bmaparse import batch, analysis, audit, writers, tables
timings = {}
def staged(writers_, tables_, fmt, out, staging):
    clock = time.process_time()
    import duckdb  # noqa: F401
    timings["import duckdb"] = time.process_time() - clock
    clock = time.process_time()
    con = analysis.connect(fmt, staging.dir)
    timings["connect"] = time.process_time() - clock
    for name, query in analysis._QUERIES.items():
        clock = time.process_time()
        con.register(name, analysis.typed(con.sql(query).to_arrow_table(),
                                          tables.SCHEMAS[name]))
        timings[name] = time.process_time() - clock
    clock = time.process_time()
    con.close()
    con = analysis.connect(fmt, staging.dir)
    analysis.derive(con)
    clock = time.process_time()
    audit.compute(con)
    timings["findings"] = time.process_time() - clock
    con.close()
    clock = time.process_time()
    result = original(writers_, tables_, fmt, out, staging)
    timings["whole _write_analysis"] = time.process_time() - clock
    return result
original = batch._write_analysis
batch._write_analysis = staged
batch.convert([sys.argv[1]], sys.argv[2], jobs=1, fmt=sys.argv[3])
print(json.dumps(timings))
"""


def _corpus(root: Path, size: int, history: bool) -> Path:
    """The corpus folder, written once per size and kind."""
    folder = root / f"corpus-{size}{'-history' if history else ''}"
    if (folder / "done").exists():
        return folder
    from bmaparse import synth

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    extra = {"layouts": ("page", "export", "view", "kpi"), "history": True} if history else {}
    for i, text in enumerate(synth.corpus(size, 0, **extra)):
        (folder / f"r{i:06}.txt").write_text(text, encoding="utf-8")
    (folder / "done").write_text("", encoding="utf-8")
    return folder


def _env() -> dict[str, str]:
    src = Path(__file__).resolve().parent.parent / "src"
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(src), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _once(corpus: Path, out: Path, variant: str, fmt: str) -> float:
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(corpus), str(out), variant, fmt],
                          check=True, capture_output=True, text=True, env=_env())
    shutil.rmtree(out, ignore_errors=True)
    return float(json.loads(done.stdout.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--history", action="store_true",
                        help="the history=True corpus of docs/audit.md (all four layouts)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--format", default="parquet")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-analysis"))
    parser.add_argument("--stages", action="store_true",
                        help="time each step of _write_analysis once instead")
    args = parser.parse_args()
    corpus = _corpus(args.out, args.size, args.history)
    out = args.out / "converted"
    if args.stages:
        shutil.rmtree(out, ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", _STAGES, str(corpus), str(out), args.format],
                              check=True, capture_output=True, text=True, env=_env())
        shutil.rmtree(out, ignore_errors=True)
        for name, seconds in json.loads(done.stdout.splitlines()[-1]).items():
            print(f"{name:>24}: {seconds:.3f} s")
        return
    runs: dict[str, list[float]] = {"with": [], "without": []}
    for n in range(args.rounds):
        order = ("with", "without") if n % 2 == 0 else ("without", "with")
        for variant in order:
            runs[variant].append(_once(corpus, out, variant, args.format))
        print(f"round {n + 1}: with {runs['with'][-1]:.3f} s, without {runs['without'][-1]:.3f} s",
              file=sys.stderr)
    with_, without = statistics.median(runs["with"]), statistics.median(runs["without"])
    load = os.getloadavg()
    print(f"{args.size} reports{' (history)' if args.history else ''}, {args.format},"
          f" {args.rounds} rounds: convert --jobs 1 CPU median {without:.3f} s without,"
          f" {with_:.3f} s with the analysis: +{with_ - without:.3f} s,"
          f" {100 * (with_ / without - 1):.1f} % (load average {load[0]:.2f} {load[1]:.2f}"
          f" {load[2]:.2f})")


if __name__ == "__main__":
    main()
