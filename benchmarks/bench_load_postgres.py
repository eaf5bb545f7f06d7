"""How long ``bmaparse load`` takes into PostgreSQL (docs/warehouse.md, "Measured").

Run from the repository root (bmaparse and psycopg installed):

    python benchmarks/bench_load_postgres.py --url postgresql://USER:PW@127.0.0.1:PORT/postgres \\
        --size 20000 --rounds 3 --out /tmp/bench-load

Strategy: write ``synth.corpus(SIZE, 0, layouts=("page", "export", "view", "kpi"),
history=True)`` once under ``OUT/in`` (one file per report), convert it with
``bmaparse convert`` into ``OUT/first``; then add ``SIZE // 10`` more reports and convert
again ``--incremental`` into ``OUT/later`` (a copy of ``first``). Per round, into a fresh
database (``CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0`` through ``--url``, a
role that may create databases), run ``bmaparse load`` in a fresh process three times:
``first`` (an empty database), ``first`` again (unchanged), ``later`` (the new reports
added; the reports already there as the same parse left as they are; the tables
computed per project, per KPI and over the whole folder replaced). Printed per step: the median wall time of the
process (start-up and reading the folder included), the load's own ``seconds``, the
process's peak memory (max RSS, highest of the rounds) and the rows deleted and
inserted, with the load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _corpus(folder: Path, start: int, stop: int) -> None:
    from bmaparse import synth

    folder.mkdir(parents=True, exist_ok=True)
    texts = synth.corpus(stop, 0, layouts=("page", "export", "view", "kpi"), history=True)
    for i, text in enumerate(texts):
        if i >= start:
            (folder / f"r{i:06d}.txt").write_text(text, encoding="utf-8")


def _bmaparse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bmaparse", *args], capture_output=True,
                          text=True, check=True)


def _prepare(out: Path, size: int) -> tuple[Path, Path]:
    first, later = out / "first", out / "later"
    if (later / "manifest.json").exists():
        return first, later
    shutil.rmtree(out, ignore_errors=True)
    _corpus(out / "in", 0, size)
    _bmaparse("convert", str(out / "in"), "-o", str(first), "--quiet", "--fail-on", "never")
    shutil.copytree(first, later)
    _corpus(out / "in", size, size + size // 10)
    _bmaparse("convert", str(out / "in"), "-o", str(later), "--incremental", "--quiet",
              "--fail-on", "never")
    return first, later


def _database(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("BMAPARSE_TEST_POSTGRES"),
                        help="a role that may create databases (default: BMAPARSE_TEST_POSTGRES)")
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-load-postgres"))
    args = parser.parse_args()
    if not args.url:
        parser.error("--url (or BMAPARSE_TEST_POSTGRES) is required")
    first, later = _prepare(args.out, args.size)
    steps = {"first load": first, "reload (unchanged)": first, "later convert": later}
    walls: dict[str, list[float]] = {s: [] for s in steps}
    seconds: dict[str, list[float]] = {s: [] for s in steps}
    peaks: dict[str, list[float]] = {s: [] for s in steps}
    rows: dict[str, tuple[int, int]] = {}
    for _ in range(args.rounds):
        target = _database(args.url, "bmaparse_bench")
        for step, folder in steps.items():
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "bmaparse", "load", str(folder), "--to", target, "--json",
                 "--quiet"], stdout=subprocess.PIPE, text=True)
            out = process.stdout.read() if process.stdout else ""
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            walls[step].append(time.perf_counter() - started)
            if process.returncode:
                raise SystemExit(f"bmaparse load {folder} failed ({process.returncode})")
            peaks[step].append(usage.ru_maxrss / 1024)
            summary = json.loads(out)
            seconds[step].append(summary["seconds"])
            rows[step] = (sum(t["deleted"] for t in summary["tables"].values()),
                          sum(t["inserted"] for t in summary["tables"].values()))
    reports = json.loads((first / "manifest.json").read_text())["totals"]
    print(f"{reports['reports']} reports, {sum(reports['rows'].values())} rows;"
          f" load average {os.getloadavg()[0]:.2f}; {args.rounds} rounds, medians:")
    for step in steps:
        deleted, inserted = rows[step]
        print(f"  {step:20} {statistics.median(walls[step]):6.2f} s wall"
              f" ({statistics.median(seconds[step]):6.2f} s in load_into,"
              f" peak {max(peaks[step]):4.0f} MiB);"
              f" {deleted} deleted, {inserted} inserted")


if __name__ == "__main__":
    main()
