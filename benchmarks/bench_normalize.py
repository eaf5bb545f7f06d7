"""Time bmaparse's normalize_line against pythainlp.util.normalize on the seed report.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_normalize.py [--reports 1000] [--repeat 3]

Two data sets, built once and shared by every timing: the seed's lines
repeated ``--reports`` times ("seed", which holds one real slip), and the same
reports with four typing slips injected into each ("slipped", of the kinds
docs/format.md lists). Each function runs over every line of a data set; the best
of ``--repeat`` interleaved passes is reported in microseconds per report,
with pythainlp's time divided by ours.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pythainlp.util import normalize as pythainlp_normalize

from bmaparse._normalize import needs_repair, normalize_line

SEED = Path(__file__).resolve().parent.parent / "samples" / "000_8c07428080a9c9ea.txt"

# Each slip turns correct text into a misspelling that normalize_line undoes.
SLIPS: list[tuple[str, str]] = [
    ("ที่", "ท\u0e48\u0e35"),  # tone typed before the vowel
    ("หน้า", "หนา\u0e49"),  # tone typed after sara aa
    ("ที่", "ที่\u0e48\u0e48"),  # doubled tone
    ("สำ", "ส\u0e4d\u0e32"),  # nikhahit + sara aa
    ("ดำเนิน", "ดำาเนิน"),  # stray sara aa
    ("กัน", "กั\u200bน"),  # zero-width space inside a word
    (" ", "\u00a0"),  # no-break space
    (" ", "  "),  # double space
]


def make_reports(count: int) -> tuple[list[list[str]], list[list[str]]]:
    """Return ``count`` copies of the seed and ``count`` copies with slips injected."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    rng = random.Random(2566)
    clean, slipped = [], []
    for _ in range(count):
        report = list(lines)
        injected = 0
        while injected < 4:
            good, bad = rng.choice(SLIPS)
            found = [i for i, line in enumerate(report) if good in line]
            if found:  # (a word's only copy may be slipped already)
                index = rng.choice(found)
                report[index] = report[index].replace(good, bad, 1)
                injected += 1
        clean.append(list(lines))
        slipped.append(report)
    return clean, slipped


def time_pass(func: Callable[[str], object], reports: Sequence[list[str]]) -> float:
    """Seconds ``func`` takes over every line of ``reports``."""
    start = time.perf_counter()
    for report in reports:
        for line in report:
            func(line)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    """Build the data, time everything, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    seed, slipped = make_reports(args.reports)
    slow = sum(needs_repair(line) for report in slipped for line in report)
    repaired = sum(
        [normalize_line(x) for x in bad] == [normalize_line(x) for x in good]
        for good, bad in zip(seed, slipped, strict=True)
    )
    print(f"{args.reports} reports of {len(seed[0])} lines, {sum(map(len, seed[0]))} characters")
    print(f"slipped: {slow} of {sum(map(len, slipped))} lines need repair; after normalize_line")
    print(f"{repaired} of {args.reports} slipped reports equal the normalised seed")

    funcs: dict[str, Callable[[str], object]] = {
        "normalize_line": normalize_line,
        "needs_repair": needs_repair,
        "pythainlp": pythainlp_normalize,
    }
    data = {"seed": seed, "slipped": slipped}
    best = {(d, f): float("inf") for d in data for f in funcs}
    for _ in range(args.repeat):  # interleaved, so that load drift hits all alike
        for (d, f), old in best.items():
            best[d, f] = min(old, time_pass(funcs[f], data[d]))

    print(
        f"\n{'data':8} {'normalize_line':>15} {'needs_repair':>13} {'pythainlp':>11} {'ratio':>7}"
    )
    for d in data:
        ours, check, theirs = (best[d, f] / args.reports * 1e6 for f in funcs)
        print(f"{d:8} {ours:12.1f} µs {check:10.1f} µs {theirs:8.1f} µs {theirs / ours:6.1f}x")
    print(f"(µs per report, best of {args.repeat} passes; ratio = pythainlp / normalize_line)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
