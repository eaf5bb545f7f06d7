"""What shards cost and gain: one convert against ``convert --shard K/N`` runs and a merge.

Run from the repository root (bmaparse installed):

    python benchmarks/bench_shards.py --size 20000 --rounds 3 --out /tmp/bench-shards
    python benchmarks/bench_shards.py --size 2000 --rounds 1      # a quick look

Strategy: write ``synth.corpus(SIZE, 0, layouts=("page", "export", "view", "kpi"),
history=True)`` once under ``OUT/in`` (one file per report, folders of 1,000),
then per round run, each command a fresh ``python -m bmaparse`` process into a
fresh folder, and time its wall clock:

- ``one``: ``convert IN --jobs 1``;
- ``jobs2``: ``convert IN --jobs 2`` (the machine's cores, for reference);
- ``4 shards serial``: ``convert IN --shard K/4 --jobs 1`` for K = 1..4, one after
  another (what one machine of a fanned-out run does, times four), then
  ``merge`` of the four;
- ``2 shards parallel``: ``convert IN --shard K/2 --jobs 1`` for K = 1, 2 at the
  same time, then ``merge`` of the two.

The figures are medians over the rounds; every merged folder is checked with
``bmaparse verify`` and against ``one``'s row totals. The load average is printed
with them, since the machine may be shared. Prints one JSON object per scenario
and a Markdown table (docs/scale.md).
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

LAYOUTS = ("page", "export", "view", "kpi")


def write_corpus(folder: Path, size: int) -> Path:
    """The corpus under ``folder`` (kept between runs when its size matches)."""
    stamp = folder / ".size"
    if stamp.exists() and stamp.read_text() == str(size):
        return folder
    from bmaparse import synth

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i, text in enumerate(synth.corpus(size, 0, layouts=LAYOUTS, history=True)):
        sub = folder / f"d{i // 1000:03}"
        sub.mkdir(exist_ok=True)
        (sub / f"r{i:06}.txt").write_text(text, encoding="utf-8")
    stamp.write_text(str(size))
    return folder


def bmaparse(*args: str) -> list[str]:
    return [sys.executable, "-m", "bmaparse", *args]


CPU: dict[str, float] = {}
"""CPU seconds (user + system) of the last ``timed`` commands, all of them together."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(commands: list[list[str]]) -> float:
    """Run ``commands`` at the same time; seconds until the last one ends (their CPU
    seconds together in ``CPU["last"]``)."""
    cpu = _children_cpu()
    started = time.monotonic()
    running = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for c in commands]
    for process, command in zip(running, commands, strict=True):
        _, err = process.communicate()
        if process.returncode not in (0, 1):  # 1: inputs with errors (none here)
            raise SystemExit(f"{' '.join(command)} failed: {err.decode()}")
    CPU["last"] = _children_cpu() - cpu
    return time.monotonic() - started


def totals(out: Path) -> dict[str, int]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows: dict[str, int] = manifest["totals"]["rows"]
    return rows


def check(merged: Path, expected: dict[str, int]) -> None:
    done = subprocess.run(bmaparse("verify", str(merged)), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"verify {merged} failed: {done.stderr}")
    if totals(merged) != expected:
        raise SystemExit(f"{merged}: rows {totals(merged)} != one convert's {expected}")


def one_round(corpus: Path, work: Path) -> dict[str, float]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    got: dict[str, float] = {}
    got["one"] = timed([bmaparse("convert", str(corpus), "-o", str(work / "one"), "--jobs", "1",
                                 "--quiet")])
    got["one (CPU s)"] = CPU["last"]
    expected = totals(work / "one")
    got["jobs2"] = timed([bmaparse("convert", str(corpus), "-o", str(work / "jobs2"),
                                   "--jobs", "2", "--quiet")])
    got["jobs2 (CPU s)"] = CPU["last"]
    serial, serial_cpu = [], 0.0
    for k in range(1, 5):
        serial.append(timed([bmaparse("convert", str(corpus), "-o", str(work / f"s4-{k}"),
                                      "--shard", f"{k}/4", "--jobs", "1", "--quiet")]))
        serial_cpu += CPU["last"]
    got["4 shards: each shard (mean)"] = statistics.mean(serial)
    got["4 shards: each shard (mean CPU s)"] = serial_cpu / 4
    got["4 shards: slowest shard"] = max(serial)
    got["4 shards: merge"] = timed([bmaparse("merge", *(str(work / f"s4-{k}") for k in range(1, 5)),
                                             "-o", str(work / "m4"), "--quiet")])
    got["4 shards: merge (CPU s)"] = CPU["last"]
    got["4 shards serial + merge"] = sum(serial) + got["4 shards: merge"]
    got["4 shards serial + merge (CPU s)"] = serial_cpu + CPU["last"]
    check(work / "m4", expected)
    got["2 shards parallel"] = timed([bmaparse("convert", str(corpus), "-o", str(work / f"p2-{k}"),
                                               "--shard", f"{k}/2", "--jobs", "1", "--quiet")
                                      for k in (1, 2)])
    parallel_cpu = got["2 shards parallel (CPU s)"] = CPU["last"]
    got["2 shards: merge"] = timed([bmaparse("merge", str(work / "p2-1"), str(work / "p2-2"),
                                             "-o", str(work / "m2"), "--quiet")])
    got["2 shards: merge (CPU s)"] = CPU["last"]
    got["2 shards parallel + merge"] = got["2 shards parallel"] + got["2 shards: merge"]
    got["2 shards parallel + merge (CPU s)"] = parallel_cpu + CPU["last"]
    check(work / "m2", expected)
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-shards"))
    args = parser.parse_args()
    corpus = write_corpus(args.out / "in", args.size)
    rounds = []
    for r in range(args.rounds):
        rounds.append(one_round(corpus, args.out / "work"))
        print(json.dumps({"round": r + 1, **{k: round(v, 2) for k, v in rounds[-1].items()},
                          "loadavg": os.getloadavg()[0]}), file=sys.stderr)
    print(f"\n{args.size} reports ({', '.join(LAYOUTS)}, history), {os.cpu_count()} cores,"
          f" median of {args.rounds} rounds, load average {os.getloadavg()[0]:.1f}\n")
    print("| run | seconds (wall, or CPU where marked) |\n|---|---|")
    for name in rounds[0]:
        print(f"| {name} | {statistics.median(r[name] for r in rounds):.1f} |")
    shutil.rmtree(args.out / "work", ignore_errors=True)


if __name__ == "__main__":
    main()
