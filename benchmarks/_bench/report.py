"""What the numbers were measured on, the printed tables, and the targets checked.

The targets are those of issue 12 (the compiled core; docs/performance.md),
checked in the fastest mode the run has (``compiled``, else ``pure``, named on
every line):

* parse at most 0.6x the time of the TextFSM template over the same reports
  (stretch 0.45x), at every size (the median of per-process ratios);
* ``convert --jobs 1`` to Parquet at least 3,000 reports/s on 4,000 files,
  start-up included, and 5,000 reports/s at 100k (a run without the 100k size,
  such as ``--quick``, checks that at its largest size instead, and says so);
* ``--jobs 2`` at least 1.7x faster than ``--jobs 1``, at every size from 4,000;
* the peak RSS of convert at 3x (or more) the input at most 1.3x, for each two
  sizes from 4,000 on that far apart;
* pure-Python mode no slower than the recorded baseline (``_bench/baseline.py``);
* and, kept from before, time growing no faster than 1.1x the size from one
  size to the next (parse: CPU time; convert: wall time).

Ratios to TextFSM are of CPU time (``measure.py``): under other work on the
shared cores a process's wall time grows while it waits, its CPU time hardly.

Each is PASS or FAIL; a stretch target says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .baseline import checks as baseline_checks
from .env import REPO, import_bmaparse, src_dir
from .measure import Row


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": model, "python": platform.python_version(), "platform": platform.platform(),
        "bmaparse": import_bmaparse().__version__, "src": str(src_dir()), "loadavg": os.getloadavg(),
    }
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        info["commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True, check=True).stdout.strip()
        info["src_commit"] = subprocess.run(
            ["git", "-C", str(REPO), "log", "-1", "--format=%h", "--", "src"],
            capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "src"],
                               capture_output=True, text=True, check=True).stdout
        info["src_modified"] = [line[3:] for line in dirty.splitlines()]
    return info


def print_table(rows: Sequence[Row], not_built: str | None) -> None:
    """The measures; with ``not_built`` (why the extension is missing), a "not built"
    line stands for each compiled row."""
    floors = {r.size: r for r in rows if r.measure == "floor"}
    print(f"\n{'size':>7} {'measure':11} {'mode':9} {'wall s':>8} {'CPU s':>8} {'reports/s':>10} "
          f"{'µs/report':>10} {'x floor':>8} {'÷ TextFSM':>9} {'peak MB':>8} {'tree MB':>8}")
    for row in rows:
        floor = floors.get(row.size)
        ratio = f"{row.seconds / floor.seconds:7.1f}x" if floor and row.measure != "startup" else ""
        fsm = "" if row.x_textfsm is None else f"{row.x_textfsm:8.2f}x"
        cpu = "" if row.cpu is None else f"{row.cpu:8.2f}"
        rss = "" if row.rss_mb is None else f"{row.rss_mb:8.0f}"
        tree = "" if row.tree_mb is None else f"{row.tree_mb:8.0f}"
        print(f"{row.size:7d} {row.measure:11} {row.mode or '-':9} {row.seconds:8.2f} {cpu:>8} "
              f"{row.per_second:10.0f} {row.micros:10.1f} {ratio:>8} {fsm:>9} {rss:>8} {tree:>8}")
        if not_built and row.mode == "pure":
            print(f"{row.size:7d} {row.measure:11} {'compiled':9} not built")
    if not_built:
        print(f"(compiled: not built: {not_built})")


def _check(name: str, value: float, limit: float, ok: bool, unit: str, mode: str,
           stretch: bool = False) -> dict[str, Any]:
    return {"target": name, "value": round(value, 3), "limit": limit, "unit": unit, "pass": ok,
            "mode": mode, "stretch": stretch}


def _time(row: Row) -> float:
    """What the growth checks compare: CPU time in process (parse), wall time for convert."""
    return row.cpu if row.measure == "parse" and row.cpu else row.seconds


def targets(rows: Sequence[Row], baseline: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each target of issue 12, PASS or FAIL, from the measured rows."""
    mode = "compiled" if any(r.mode == "compiled" for r in rows) else "pure"
    by = {(r.size, r.measure): r for r in rows if r.mode in ("", mode)}
    sizes = sorted({r.size for r in rows if r.measure == "parse"})
    checks: list[dict[str, Any]] = []
    for n in sizes:
        ratio = by[n, "parse"].x_textfsm
        if ratio is not None:
            checks.append(_check(f"parse <= 0.6x TextFSM [{n}]", ratio, 0.6, ratio <= 0.6, "x", mode))
            checks.append(_check(f"parse <= 0.45x TextFSM [{n}]", ratio, 0.45, ratio <= 0.45, "x",
                                 mode, stretch=True))
    converted = sorted(n for n in sizes if (n, "convert j1") in by)
    if 4000 in converted:
        rate = by[4000, "convert j1"].per_second
        checks.append(_check("convert j1 >= 3000 reports/s, 4000 files incl. start-up", rate,
                             3000, rate >= 3000, "reports/s", mode))
    big = 100_000 if 100_000 in converted else max((n for n in converted if n >= 10_000),
                                                  default=None)
    if big is not None:
        rate = by[big, "convert j1"].per_second
        where = "100k" if big == 100_000 else f"{big} (scaled down from 100k)"
        checks.append(_check(f"convert j1 >= 5000 reports/s at {where}", rate, 5000,
                             rate >= 5000, "reports/s", mode))
    for n in (n for n in converted if n >= 4000):
        speedup = by[n, "convert j1"].seconds / by[n, "convert j2"].seconds
        checks.append(_check(f"convert j2 >= 1.7x j1 [{n}]", speedup, 1.7, speedup >= 1.7, "x",
                             mode))
    large = [n for n in converted if n >= 4000]
    for small, bigger in itertools.pairwise(large):
        if bigger >= 3 * small:
            for jobs in ("j1", "j2"):
                growth = (by[bigger, f"convert {jobs}"].rss_mb or 0) / (
                    by[small, f"convert {jobs}"].rss_mb or 1)
                checks.append(_check(f"convert {jobs} peak RSS({bigger}) <= 1.3x RSS({small})",
                                     growth, 1.3, growth <= 1.3, "x", mode))
    if baseline is not None:
        checks += baseline_checks(rows, baseline)
    for small, bigger in itertools.pairwise(sizes):
        for measure in ("parse", "convert j1", "convert j2"):
            if (small, measure) in by and (bigger, measure) in by:
                growth = _time(by[bigger, measure]) / _time(by[small, measure])
                limit = round(1.1 * bigger / small, 2)
                checks.append(_check(f"{measure} time({bigger})/time({small}) <= {limit:g}",
                                     growth, limit, growth <= limit, "x", mode))
    return checks


def as_base(rows: Sequence[Row]) -> list[Row]:
    """The rows with the ``base`` mode's convert and startup rows in place of the
    compiled ones (and the in-process rows as they are): ``targets`` of the base."""
    base = [dataclasses.replace(r, mode="compiled") for r in rows if r.mode == "base"]
    replaced = {(r.size, r.measure) for r in base}
    return [*base, *(r for r in rows if r.mode != "base" and (r.size, r.measure) not in replaced)]


def print_targets(checks: Sequence[dict[str, Any]], title: str = "") -> None:
    print(f"\ntargets (issue 12){' ' + title if title else ''}")
    for c in checks:
        verdict = ("PASS" if c["pass"] else "FAIL") + (" (stretch)" if c.get("stretch") else "")
        print(f"  {verdict:15} {c['target']:64} {c['mode']:9} {c['value']:>10,.2f} {c['unit']}")


def print_pathological(results: Sequence[dict[str, Any]]) -> None:
    print(f"\n{'pathological input':28} {'size':>6} {'chars':>9} {'CPU s':>8} "
          f"{'per unit':>12} {'growth':>7} linear")
    for r in results:
        if r.get("cpu") is None:
            why = f"(> {r['timeout']:.0f} s)" if "timeout" in r else r["error"]
            print(f"{r['case']:28} {r['size']:6d} {'':>9} {'timeout' if 'timeout' in r else 'error':>8}"
                  f"{'':>21}   NO {why}")
            continue
        per = (f"{r['per_unit'] * 1e3:7.1f} ms/MB" if r["unit"] == "MB"
               else f"{r['per_unit'] * 1e6:7.1f} µs/bl")
        growth = f"{r['growth']:6.2f}x" if "growth" in r else ""
        linear = ("yes" if r["linear"] else "NO") if "linear" in r else ""
        print(f"{r['case']:28} {r['size']:6d} {r['chars']:9d} {r['cpu']:8.3f} {per:>12} "
              f"{growth:>7} {linear}")
    print("(growth: time ratio / size ratio against the previous size; linear when <= 1.25,"
          " i.e. doubling the size at most 2.5x the time)")


def print_hostile(results: Sequence[dict[str, Any]]) -> None:
    print(f"\n{'hostile line (alone)':28} {'chars':>9} {'CPU s':>8} {'ratio 4x':>9} linear")
    for r in results:
        if r.get("cpu") is None:
            why = f"(> {r['timeout']:.0f} s)" if "timeout" in r else r["error"]
            print(f"{r['case']:28} {r['size']:9d} {'timeout' if 'timeout' in r else 'error':>8}"
                  f" {'':>9} NO {why}")
            continue
        ratio = f"{r['ratio']:8.1f}x" if "ratio" in r else ""
        linear = ("yes" if r["linear"] else "NO") if "linear" in r else ""
        print(f"{r['case']:28} {r['size']:9d} {r['cpu']:8.4f} {ratio:>9} {linear}")
    print("(ratio 4x: CPU time against the previous size, scaled to 4x the size: 4 is linear,"
          " 16 quadratic; linear when <= 6)")
