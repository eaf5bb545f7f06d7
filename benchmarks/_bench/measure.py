"""The measures of one corpus size: floor, parse, load and py floor in one helper
process, then the convert CLI, each run started by its own helper process.

* ``floor``: read the bytes + decode UTF-8 + ``splitlines``, file by file;
* ``parse``: ``bmaparse.parse(text)`` per report, the texts already in memory;
* ``load``: ``bmaparse.load(path)`` per file (read, sha256, decode, split, parse);
* ``py floor``: the least any CPython line parser that normalises Thai pays for
  the same texts: the NFC quick check and bmaparse's searches for Thai typing
  slips and odd spaces (each a precompiled ``re`` of one class or a literal,
  scanned in C), the split into lines, and one precompiled match and one tuple
  per line. It classifies nothing and builds no value: it shows how much of the
  100 µs budget is gone before any field is read.

These run in one fresh helper process per size, interleaved chunk by chunk
(``--chunk`` files: floor, then parse of the texts just decoded, then py floor,
then load), so load drift on the shared cores hits all alike; the texts of one
chunk only are in memory. Wall time (``perf_counter``) and CPU time
(``process_time``) are summed over chunks; the helper's peak RSS
(``ru_maxrss``) is its whole run.

* ``convert j1`` / ``convert j2``: the real CLI, ``python -m bmaparse convert DIR
  -o OUT --format parquet --jobs N --quiet --force``. Each measured run is started
  by a fresh helper process (``bench.py _measure``) that times it (wall, from
  spawn to exit: interpreter start and imports included) and then reads
  ``getrusage(RUSAGE_CHILDREN)``: ``ru_maxrss`` there is the largest peak RSS of
  any single process of the tree (the CLI or one of its pool workers; the kernel
  carries a reaped grandchild's peak up to its parent), and utime + stime the CPU
  of the whole tree. Because the helper has no other children the figures are
  this run's alone. The helper also samples ``/proc`` every 0.1 s and sums VmRSS
  over the tree (``tree MB``: what the run holds at once; pages shared between
  the parent and forked workers count twice). ``--repeat`` runs alternate j1 and
  j2 and the fastest of each is kept.
* ``startup``: the same CLI over a folder of one report: the fixed cost in every
  convert figure (it matters at 1k reports, not at 100k).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import Corpus, file_name
from .env import BENCH, SEED_REPORT, child_env, import_bmaparse


@dataclass
class Row:
    """One measure of one corpus size."""

    size: int
    measure: str
    seconds: float
    """Wall time."""
    cpu: float | None = None
    """CPU time: the process (in-process measures) or the whole process tree (convert)."""
    rss_mb: float | None = None
    """Peak RSS of the largest single process."""
    tree_mb: float | None = None
    """Peak of the sampled sum of RSS over the process tree (convert only)."""
    runs: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.size / self.seconds if self.seconds else float("inf")

    @property
    def micros(self) -> float:
        return self.seconds / self.size * 1e6


# --- in-process measures (floor, parse, load) ----------------------------------------


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def inprocess(root: Path, n: int, folders: int, chunk: int) -> dict[str, Any]:
    """floor, parse, load over the corpus, interleaved by chunks (run in a fresh process)."""
    bmaparse = import_bmaparse()
    files = [root / file_name(i, n, folders) for i in range(n)]
    bmaparse.parse(SEED_REPORT.read_text(encoding="utf-8"))  # warm the lazy imports and regexes
    baseline = _rss_peak_mb()
    wall = dict.fromkeys(("floor", "parse", "load", "py floor"), 0.0)
    cpu = dict(wall)
    parse, load = bmaparse.parse, bmaparse.load
    normalize = importlib.import_module(f"{bmaparse.__name__}._normalize")
    scans = (*normalize._SLIP_TRIGGERS, *normalize._LINE_TRIGGERS)
    lines = 0
    for start in range(0, n, chunk):
        batch = files[start : start + chunk]
        texts = []
        w, c = time.perf_counter(), time.process_time()
        for path in batch:
            with open(path, "rb") as file:
                text = file.read().decode("utf-8")
            lines += len(text.splitlines())
            texts.append(text)
        wall["floor"] += time.perf_counter() - w
        cpu["floor"] += time.process_time() - c

        w, c = time.perf_counter(), time.process_time()
        for text in texts:
            parse(text)
        wall["parse"] += time.perf_counter() - w
        cpu["parse"] += time.process_time() - c

        w, c = time.perf_counter(), time.process_time()
        for text in texts:
            python_floor(text, scans)
        wall["py floor"] += time.perf_counter() - w
        cpu["py floor"] += time.process_time() - c
        del texts

        w, c = time.perf_counter(), time.process_time()
        for path in batch:
            load(path)
        wall["load"] += time.perf_counter() - w
        cpu["load"] += time.process_time() - c
    return {"wall": wall, "cpu": cpu, "rss_mb": _rss_peak_mb(), "baseline_rss_mb": baseline,
            "lines": lines}


_ANY_LINE = re.compile(r"(\S)\S*")


def python_floor(
    text: str, scans: Sequence[re.Pattern[str]]
) -> list[tuple[int, str, re.Match[str] | None]]:
    """The least a CPython parser that normalises Thai pays (see ``py floor`` above);
    ``scans`` are bmaparse's whole-text normalisation searches."""
    unicodedata.is_normalized("NFC", text)
    for pattern in scans:
        pattern.findall(text)
    return [(n, line, _ANY_LINE.match(line)) for n, line in enumerate(text.split("\n"), 1)]


def run_inprocess(corpus: Corpus, chunk: int) -> list[Row]:
    command = [sys.executable, str(BENCH), "_inprocess", str(corpus.root), str(corpus.n),
               str(corpus.folders), str(chunk)]
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, check=True)
    got = json.loads(done.stdout)
    print(f"  in-process helper: RSS after imports {got['baseline_rss_mb']:.0f} MB, "
          f"peak {got['rss_mb']:.0f} MB; {got['lines'] / corpus.n:.0f} lines/report",
          file=sys.stderr)
    return [Row(corpus.n, m, got["wall"][m], got["cpu"][m],
                None if m in ("floor", "py floor") else got["rss_mb"])
            for m in ("floor", "parse", "load", "py floor")]


# --- convert, one fresh helper per run -------------------------------------------------


def _tree_rss_bytes(root: int, page: int) -> int:
    """The sum of RSS over ``root`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry.name}/stat", "rb") as file:
                stat = file.read()
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, ())
        with contextlib.suppress(OSError, ValueError, IndexError), \
                open(f"/proc/{pid}/statm", "rb") as file:
            total += int(file.read().split()[1]) * page
    return total


def measure(command: Sequence[str]) -> dict[str, Any]:
    """Run ``command``; wall time, tree CPU, largest process peak RSS, sampled tree RSS.

    Meant to run in a fresh process (``bench.py _measure``) whose only child is
    ``command``, so that ``RUSAGE_CHILDREN`` is this command's tree alone.
    """
    page = os.sysconf("SC_PAGE_SIZE")
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        peak, finished = 0, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not finished.wait(0.1):
                peak = max(peak, _tree_rss_bytes(process.pid, page))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        wall = time.perf_counter() - started
        finished.set()
        sampler.join()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")[-2000:]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"code": code, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "tree_mb": peak / 2**20, "stderr": stderr}


def run_convert(corpus: Corpus, jobs: int, out: Path) -> dict[str, Any]:
    target = out / "convert-out" / f"n{corpus.n}-j{jobs}"
    command = [sys.executable, "-m", "bmaparse", "convert", str(corpus.root), "-o", str(target),
               "--format", "parquet", "--jobs", str(jobs), "--quiet", "--force"]
    helper = [sys.executable, str(BENCH), "_measure", "--", *command]
    done = subprocess.run(helper, env=child_env(), capture_output=True, text=True, check=True)
    got: dict[str, Any] = json.loads(done.stdout)
    if got["code"] not in (0, 1):  # 1: some input had errors, still a full run
        raise RuntimeError(f"convert failed ({got['code']}): {got['stderr']}")
    return got


def convert_rows(corpus: Corpus, out: Path, repeat: int) -> list[Row]:
    best: dict[int, Row] = {}
    for _ in range(repeat):  # alternate j1 and j2, so that drift hits both
        for jobs in (1, 2):
            got = run_convert(corpus, jobs, out)
            row = best.get(jobs)
            if row is None or got["wall"] < row.seconds:
                runs = [*row.runs] if row else []
                row = Row(corpus.n, f"convert j{jobs}", got["wall"], got["cpu"], got["rss_mb"],
                          got["tree_mb"], runs)
            row.runs.append(round(got["wall"], 3))
            best[jobs] = row
            print(f"  convert n={corpus.n} jobs={jobs}: {got['wall']:.2f} s wall, "
                  f"{got['cpu']:.2f} s CPU, peak {got['rss_mb']:.0f} MB, tree {got['tree_mb']:.0f} MB",
                  file=sys.stderr)
    return [best[1], best[2]]
