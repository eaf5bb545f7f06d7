"""What the numbers were measured on, the printed tables, and the targets checked.

The targets are those of the performance issue (docs/performance.md): parse at
most 100 µs per report (wall and CPU) and at most 12x the floor; convert
``--jobs 1`` at least 3,000 reports/s and ``--jobs 2`` at least 1.6x faster;
time growing no faster than 1.1x the size from one size to the next; peak and
tree RSS at 100k reports at most 1.3x those at 10k. Each is PASS or FAIL.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "src"],
                               capture_output=True, text=True, check=True).stdout
        info["src_modified"] = [line[3:] for line in dirty.splitlines()]
    return info


def print_table(rows: Sequence[Row], floors: dict[int, Row]) -> None:
    print(f"\n{'size':>7} {'measure':12} {'wall s':>8} {'CPU s':>8} {'reports/s':>10} "
          f"{'µs/report':>10} {'x floor':>8} {'peak MB':>8} {'tree MB':>8}")
    for row in rows:
        floor = floors.get(row.size)
        ratio = f"{row.seconds / floor.seconds:7.1f}x" if floor and row.measure != "startup" else ""
        cpu = "" if row.cpu is None else f"{row.cpu:8.2f}"
        rss = "" if row.rss_mb is None else f"{row.rss_mb:8.0f}"
        tree = "" if row.tree_mb is None else f"{row.tree_mb:8.0f}"
        print(f"{row.size:7d} {row.measure:12} {row.seconds:8.2f} {cpu:>8} {row.per_second:10.0f} "
              f"{row.micros:10.1f} {ratio:>8} {rss:>8} {tree:>8}")


def targets(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Each target of the performance issue, PASS or FAIL, from the measured rows."""
    by = {(r.size, r.measure): r for r in rows}
    sizes = sorted({r.size for r in rows if r.measure == "parse"})
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float, limit: float, ok: bool, unit: str = "") -> None:
        checks.append({"target": name, "value": round(value, 3), "limit": limit,
                       "unit": unit, "pass": ok})

    for n in sizes:
        parse, floor = by[n, "parse"], by[n, "floor"]
        check(f"parse µs/report (wall) <= 100 [{n}]", parse.micros, 100, parse.micros <= 100, "µs")
        cpu_us = (parse.cpu or 0) / n * 1e6
        check(f"parse µs/report (CPU) <= 100 [{n}]", cpu_us, 100, cpu_us <= 100, "µs")
        ratio = parse.seconds / floor.seconds
        check(f"parse <= 12x floor [{n}]", ratio, 12, ratio <= 12, "x")
        if (n, "convert j1") in by:
            j1, j2 = by[n, "convert j1"], by[n, "convert j2"]
            check(f"convert j1 >= 3000 reports/s [{n}]", j1.per_second, 3000,
                  j1.per_second >= 3000, "reports/s")
            speedup = j1.seconds / j2.seconds
            check(f"convert j2 >= 1.6x j1 [{n}]", speedup, 1.6, speedup >= 1.6, "x")
    for small, big in itertools.pairwise(sizes):
        for measure in ("parse", "convert j1", "convert j2"):
            if (small, measure) in by and (big, measure) in by:
                growth = by[big, measure].seconds / by[small, measure].seconds
                limit = 1.1 * big / small
                check(f"{measure} time({big})/time({small}) <= {limit:g}", growth, limit,
                      growth <= limit, "x")
    if {100_000, 10_000} <= set(sizes):
        for measure in ("convert j1", "convert j2"):
            if (100_000, measure) in by:
                for attr, what in (("rss_mb", "peak RSS"), ("tree_mb", "tree RSS")):
                    big, small = getattr(by[100_000, measure], attr), getattr(by[10_000, measure], attr)
                    check(f"{measure} {what}(100k) <= 1.3x {what}(10k)", big / small, 1.3,
                          big / small <= 1.3, "x")
    return checks


def print_targets(checks: Sequence[dict[str, Any]]) -> None:
    print("\ntargets")
    for c in checks:
        print(f"  {'PASS' if c['pass'] else 'FAIL'}  {c['target']:48} {c['value']:>10,.2f} {c['unit']}")


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
