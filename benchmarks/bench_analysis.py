"""What writing the analysis tables and findings costs ``convert`` (issue 13: at most 10 %).

Run from the repository root (bmaparse installed, or found in ``src/``):

    python benchmarks/bench_analysis.py --size 4000 --rounds 9 --out /tmp/bench-analysis
    python benchmarks/bench_analysis.py --size 20000 --history --rounds 5
    python benchmarks/bench_analysis.py --size 4000 --stages      # where the time goes, once
    python benchmarks/bench_analysis.py --base-src /tmp/base/src  # another bmaparse too

Strategy: write ``synth.corpus(SIZE, 0)`` (page and export, one file per report;
``--history``: all four layouts with later snapshots, as in docs/audit.md) once
under ``OUT``, then per round run ``convert --jobs 1`` twice, each in a fresh
process into a fresh folder: "with" as it is, "without" with
``batch._write_analysis`` replaced by a no-op. The order alternates between
rounds. Each process reports its CPU time (``time.process_time``) around the
call (imports of bmaparse included in neither: duckdb is imported by the
analysis, so its import counts). The figures: the median of "with" over the
median of "without", minus one, and the median of each round's difference
(with minus without, run back to back, so less of the machine's drift) over
the median of "without"; the load average is printed with them, since the
machine may be shared. ``--stages`` instead times, in one process after
one convert, each step of ``_write_analysis`` (connect, each table, the
findings, writing) over the staged tables. ``--base-src DIR`` measures the
bmaparse in ``DIR`` (a ``src`` folder, e.g. ``git archive`` of another commit
with the built extension copied in) the same way in the same rounds, so a
change's before and after are compared under the same load.
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
    batch._write_analysis = lambda *args: ({}, {})
started = time.process_time()
batch.convert([sys.argv[1]], sys.argv[2], jobs=1, fmt=sys.argv[4])
print(json.dumps(time.process_time() - started))
"""

_STAGES = """
import json, sys, time
from pathlib import Path
from bmaparse import batch, analysis, audit, writers, tables
timings = {}
def staged(writers_, tables_, fmt, out, staging, *rest):
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
    result = original(writers_, tables_, fmt, out, staging, *rest)
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


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(src), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _once(corpus: Path, out: Path, variant: str, fmt: str, src: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(corpus), str(out), variant, fmt],
                          check=True, capture_output=True, text=True, env=_env(src))
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
    parser.add_argument("--base-src", type=Path,
                        help="also measure the bmaparse in this src folder, in the same rounds")
    parser.add_argument("--stages", action="store_true",
                        help="time each step of _write_analysis once instead")
    args = parser.parse_args()
    corpus = _corpus(args.out, args.size, args.history)
    sources = {"this": Path(__file__).resolve().parent.parent / "src"}
    if args.base_src:
        sources["base"] = args.base_src.resolve()
    out = args.out / "converted"
    if args.stages:
        shutil.rmtree(out, ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", _STAGES, str(corpus), str(out), args.format],
                              check=True, capture_output=True, text=True, env=_env(sources["this"]))
        shutil.rmtree(out, ignore_errors=True)
        for name, seconds in json.loads(done.stdout.splitlines()[-1]).items():
            print(f"{name:>24}: {seconds:.3f} s")
        return
    runs: dict[tuple[str, str], list[float]] = {
        (source, variant): [] for source in sources for variant in ("with", "without")}
    for n in range(args.rounds):
        order = list(runs) if n % 2 == 0 else list(runs)[::-1]
        for source, variant in order:
            runs[(source, variant)].append(
                _once(corpus, out, variant, args.format, sources[source]))
        print(f"round {n + 1}: " + ", ".join(f"{s} {v} {t[-1]:.3f} s" for (s, v), t in runs.items()),
              file=sys.stderr)
    load = os.getloadavg()
    for source in sources:
        with_ = statistics.median(runs[(source, "with")])
        without = statistics.median(runs[(source, "without")])
        paired = statistics.median(w - o for w, o in zip(runs[(source, "with")],
                                                         runs[(source, "without")], strict=True))
        print(f"{source}: {args.size} reports{' (history)' if args.history else ''},"
              f" {args.format}, {args.rounds} rounds: convert --jobs 1 CPU median"
              f" {without:.3f} s without, {with_:.3f} s with the analysis:"
              f" +{with_ - without:.3f} s, {100 * (with_ / without - 1):.1f} %;"
              f" median of the rounds' differences +{paired:.3f} s,"
              f" {100 * paired / without:.1f} %")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

if __name__ == "__main__":
    main()
