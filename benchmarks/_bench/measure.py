"""The measures of one corpus size, in each mode of bmaparse: floor, parse, load,
py floor and TextFSM in one helper process, then the convert CLI, each run
started by its own helper process.

* ``floor``: read the bytes + decode UTF-8 + ``splitlines``, file by file;
* ``parse``: ``bmaparse.parse(text)`` per report, the texts already in memory;
* ``load``: ``bmaparse.load(path)`` per file (read, sha256, decode, split, parse);
* ``py floor``: the least any CPython line parser that normalises Thai pays for
  the same texts: the NFC quick check and bmaparse's searches for Thai typing
  slips and odd spaces (each a precompiled ``re`` of one class or a literal,
  scanned in C), the split into lines, and one precompiled match and one tuple
  per line. It classifies nothing and builds no value: it shows how much of the
  100 µs budget is gone before any field is read.
* ``textfsm``: the TextFSM template of ``_bench/fsm.py`` per report, the texts
  already in memory (when textfsm is installed): the baseline of the parse target.

These run in one fresh helper process per size and mode, interleaved chunk by
chunk (``--chunk`` files: floor, then parse of the texts just decoded, then py
floor, then TextFSM, then load), so load drift on the shared cores hits all
alike; the texts of one chunk only are in memory. Wall time (``perf_counter``)
and CPU time (``process_time``) are summed over chunks; the helper's peak RSS
(``ru_maxrss``) is its whole run. parse and load depend on the mode (``pure``:
``BMAPARSE_PURE_PYTHON=1``; ``compiled``); floor, py floor and TextFSM do not,
and pool the helpers of both modes. ``--repeat`` rounds alternate the modes;
each row is the median of its rounds, and ``x_textfsm`` the median of the
ratios of CPU time to TextFSM's measured in the same process (CPU time, not
wall: a helper that other work on the cores preempts keeps its CPU time).

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
  the parent and forked workers count twice). ``--repeat`` rounds alternate the
  modes and j1 and j2; each row is the median of its rounds.
* ``startup``: the same CLI over a folder of one report: the fixed cost in every
  convert figure (it matters at 1k reports, not at 100k).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fsm
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
    """Wall time of every round."""
    mode: str = ""
    """``pure`` or ``compiled``; ``""`` for measures that do not run bmaparse."""
    x_textfsm: float | None = None
    """CPU time over the TextFSM template's for the same reports (median of rounds)."""

    @property
    def per_second(self) -> float:
        return self.size / self.seconds if self.seconds else float("inf")

    @property
    def micros(self) -> float:
        return self.seconds / self.size * 1e6


# --- in-process measures (floor, parse, load, py floor, TextFSM) ----------------------------------------


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def inprocess(root: Path, n: int, folders: int, chunk: int) -> dict[str, Any]:
    """floor, parse, py floor, TextFSM, load over the corpus, interleaved by chunks
    (run in a fresh process, in the mode its environment sets)."""
    bmaparse = import_bmaparse()
    files = [root / file_name(i, n, folders) for i in range(n)]
    bmaparse.parse(SEED_REPORT.read_text(encoding="utf-8"))  # warm the lazy imports and regexes
    textfsm = fsm.parser() if fsm.available() else None
    baseline = _rss_peak_mb()
    measures = ("floor", "parse", "load", "py floor", *(("textfsm",) if textfsm else ()))
    wall = dict.fromkeys(measures, 0.0)
    cpu = dict(wall)
    parse, load = bmaparse.parse, bmaparse.load
    normalize = importlib.import_module(f"{bmaparse.__name__}._normalize")
    scans = (*normalize._SLIP_TRIGGERS, *normalize._LINE_TRIGGERS)
    lines = 0
    work: dict[str, Callable[[Any], object]] = {
        "parse": parse, "py floor": functools.partial(python_floor, scans=scans)}
    if textfsm is not None:
        work["textfsm"] = textfsm
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
        for measure, function in work.items():
            _timed(wall, cpu, measure, function, texts)
        del texts
        _timed(wall, cpu, "load", load, batch)
    return {"wall": wall, "cpu": cpu, "rss_mb": _rss_peak_mb(), "baseline_rss_mb": baseline,
            "lines": lines, "implementation": bmaparse.implementation}


def _timed(wall: dict[str, float], cpu: dict[str, float], measure: str,
           function: Callable[[Any], object], items: Sequence[Any]) -> None:
    """Add the time of ``function`` over ``items`` to ``measure``'s wall and CPU sums."""
    w, c = time.perf_counter(), time.process_time()
    for item in items:
        function(item)
    wall[measure] += time.perf_counter() - w
    cpu[measure] += time.process_time() - c


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


def run_inprocess(corpus: Corpus, chunk: int, mode: str) -> dict[str, Any]:
    """One round of the in-process measures, in a fresh helper process in ``mode``."""
    command = [sys.executable, str(BENCH), "_inprocess", str(corpus.root), str(corpus.n),
               str(corpus.folders), str(chunk)]
    done = subprocess.run(command, env=child_env(mode), capture_output=True, text=True,
                          check=True)
    got: dict[str, Any] = json.loads(done.stdout)
    if (got["implementation"] == "compiled") != (mode == "compiled"):
        raise RuntimeError(f"asked for {mode}, ran {got['implementation']}")
    print(f"  {mode:8} in-process helper: RSS after imports {got['baseline_rss_mb']:.0f} MB, "
          f"peak {got['rss_mb']:.0f} MB; parse {got['wall']['parse'] / corpus.n * 1e6:.0f} µs"
          + (f", TextFSM {got['wall']['textfsm'] / corpus.n * 1e6:.0f} µs"
             if "textfsm" in got["wall"] else ""), file=sys.stderr)
    return got


MODAL = ("parse", "load")
"""The in-process measures that run bmaparse, and so differ between its modes."""


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _median_row(size: int, measure: str, mode: str, rounds: Sequence[dict[str, Any]]) -> Row:
    """The row of a measure's rounds: the median of each figure."""
    walls = [r["wall"] for r in rounds]
    return Row(size, measure, statistics.median(walls), _median([r.get("cpu") for r in rounds]),
               _median([r.get("rss_mb") for r in rounds]),
               _median([r.get("tree_mb") for r in rounds]),
               [round(w, 3) for w in walls], mode,
               _median([r.get("x_textfsm") for r in rounds]))


def inprocess_rows(corpus: Corpus, chunk: int, modes: Sequence[str], repeat: int) -> list[Row]:
    """floor, parse, load, py floor, TextFSM: ``repeat`` rounds alternating ``modes``."""
    rounds: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _ in range(repeat):
        for mode in modes:
            got = run_inprocess(corpus, chunk, mode)
            textfsm = got["cpu"].get("textfsm")
            for measure, wall in got["wall"].items():
                modal = measure in MODAL
                rounds.setdefault((measure, mode if modal else ""), []).append({
                    "wall": wall, "cpu": got["cpu"][measure],
                    "rss_mb": got["rss_mb"] if modal else None,
                    "x_textfsm": got["cpu"][measure] / got["cpu"]["textfsm"] if textfsm else None})
    order = ("floor", "py floor", "textfsm", *MODAL)
    return [_median_row(corpus.n, measure, mode, rounds[measure, mode])
            for measure in order for mode in ("", *modes) if (measure, mode) in rounds]


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


def run_convert(corpus: Corpus, jobs: int, out: Path, mode: str) -> dict[str, Any]:
    target = out / "convert-out" / f"n{corpus.n}-j{jobs}-{mode}"
    command = [sys.executable, "-m", "bmaparse", "convert", str(corpus.root), "-o", str(target),
               "--format", "parquet", "--jobs", str(jobs), "--quiet", "--force"]
    helper = [sys.executable, str(BENCH), "_measure", "--", *command]
    done = subprocess.run(helper, env=child_env(mode), capture_output=True, text=True,
                          check=True)
    got: dict[str, Any] = json.loads(done.stdout)
    if got["code"] not in (0, 1):  # 1: some input had errors, still a full run
        raise RuntimeError(f"convert failed ({got['code']}): {got['stderr']}")
    return got


def convert_rows(corpus: Corpus, out: Path, repeat: int, modes: Sequence[str]) -> list[Row]:
    """convert --jobs 1 and 2 in each mode: ``repeat`` rounds, alternating, medians."""
    rounds: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for _ in range(repeat):  # alternate modes and jobs, so that drift hits all alike
        for mode in modes:
            for jobs in (1, 2):
                got = run_convert(corpus, jobs, out, mode)
                rounds.setdefault((jobs, mode), []).append(got)
                print(f"  {mode:8} convert n={corpus.n} jobs={jobs}: {got['wall']:.2f} s wall, "
                      f"{got['cpu']:.2f} s CPU, peak {got['rss_mb']:.0f} MB, "
                      f"tree {got['tree_mb']:.0f} MB", file=sys.stderr)
    return [_median_row(corpus.n, f"convert j{jobs}", mode, rounds[jobs, mode])
            for jobs in (1, 2) for mode in modes]


def startup_rows(tiny: Corpus, out: Path, repeat: int, modes: Sequence[str]) -> list[Row]:
    """convert --jobs 1 of one report in each mode: the fixed cost of every convert."""
    rounds: dict[str, list[dict[str, Any]]] = {}
    for _ in range(repeat):
        for mode in modes:
            rounds.setdefault(mode, []).append(run_convert(tiny, 1, out, mode))
    return [_median_row(1, "startup", mode, rounds[mode]) for mode in modes]


def attach_textfsm(rows: Sequence[Row]) -> None:
    """``x_textfsm`` of the convert rows: their CPU time (the whole tree's) over
    TextFSM's at the same size (TextFSM ran in other processes, so this ratio is
    rougher than parse's)."""
    textfsm = {r.size: r.cpu for r in rows if r.measure == "textfsm" and r.cpu}
    for row in rows:
        if row.measure.startswith("convert") and row.size in textfsm and row.cpu is not None:
            row.x_textfsm = row.cpu / textfsm[row.size]
