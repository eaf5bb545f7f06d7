"""End-to-end throughput of bmaparse against the cost of just reading the files.

Run from the repository root (bmaparse installed, or found in ``src/``):

    python benchmarks/bench.py --sizes 1000,10000,100000 --out /tmp/bench [--json FILE]
    python benchmarks/bench.py --quick                     # 1k and 10k reports only
    python benchmarks/bench.py --profile parse             # cProfile of parse, top 10 by tottime
    python benchmarks/bench.py --profile convert           # pyinstrument (else cProfile) of convert

Corpus: ``bmaparse.synth.corpus(n, seed, layouts=("page", "export"), size="seed")``,
one report per file (final newline added), spread over ``--folders`` subfolders of
``OUT/corpus/seed{seed}-n{n}``. A finished corpus carries ``.complete.json`` (its
size, seed and the sha256 of the synth modules): a rerun with the same size and
seed reuses it, a change to synth regenerates it.

Measures, per corpus size:

* ``floor``: read the bytes + decode UTF-8 + ``splitlines``, file by file;
* ``parse``: ``bmaparse.parse(text)`` per report, the texts already in memory;
* ``load``: ``bmaparse.load(path)`` per file (read, sha256, decode, split, parse);
* ``py floor``: the least any CPython line parser that normalises Thai pays for
  the same texts: the NFC quick check and bmaparse's searches for Thai typing
  slips and odd spaces (each a precompiled ``re`` of one class or a literal,
  scanned in C), the split into lines, and one precompiled match and one tuple
  per line. It classifies nothing and builds no value: it shows how much of the
  100 µs budget is gone before any field is read.

These three run in one fresh helper process per size, interleaved chunk by chunk
(``--chunk`` files: floor, then parse of the texts just decoded, then load), so
load drift on the shared cores hits all three alike; the texts of one chunk only
are in memory. Wall time (``perf_counter``) and CPU time (``process_time``) are
summed over chunks; the helper's peak RSS (``ru_maxrss``) is its whole run.

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

The code measured is a snapshot: at the start ``src/bmaparse`` is copied to
``OUT/src-<sha256>`` and every helper and CLI process imports from there, so one
run measures one version of the code even while the checkout is being edited
(``--live-src`` imports ``src/`` as it is).

Then pathological inputs, each in its own helper process (``--path-timeout``):
one line of 1, 2 and 4 MB (UTF-8 bytes) of Thai text, separators, digits,
colons, dates or money, alone or as the text of a progress block inside the seed
report; and the seed report with 1,000 .. 10,000 progress blocks. Timed with
``bmaparse.parse`` (``load`` would cut a line past ``Limits.max_line_chars``),
best CPU time of up to five runs; a step is linear when time grows no more than
1.25x faster than size (doubling the size at most 2.5x the time).

Then hostile lines (``--hostile-chars``, default 25k, 100k and 400k characters):
for each shape (a line kind's start, a filler repeated, an end: a run of ``*`` then
``:1``, spaces before a colon, digits in a block number or a quarter, Thai marks,
brackets, dots, dashes, labels, connector words, amounts) the line is parsed
alone, in its own helper process, best CPU time of up to five runs, and the time
ratio for 4x the size is shown: about 4 is linear, 16 quadratic (the first shape
took 16 s at 40,000 characters before the patterns were audited). Linear when
the ratio is at most 6 (1.5x of 4: small sizes carry fixed costs and noise).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import importlib
import io
import itertools
import json
import math
import os
import platform
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
SEED_REPORT = REPO / "samples" / "000_8c07428080a9c9ea.txt"
LAYOUTS = ("page", "export")
MB = 1_000_000


_SNAPSHOT_ENV = "BMAPARSE_BENCH_SRC"


def _src() -> Path:
    """Where bmaparse is imported from: the run's snapshot, else this checkout's ``src``."""
    return Path(os.environ.get(_SNAPSHOT_ENV) or SRC)


def _bmaparse() -> ModuleType:
    """bmaparse from ``_src()`` (ahead of an installed copy)."""
    if "bmaparse" not in sys.modules and str(_src()) not in sys.path:
        sys.path.insert(0, str(_src()))
    import bmaparse

    return bmaparse


def _child_env() -> dict[str, str]:
    """The environment for helper and CLI processes: ``_src()`` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_src()), env.get("PYTHONPATH")) if p)
    return env


def snapshot_source(out: Path) -> Path:
    """Copy ``src/bmaparse`` to ``out/src-<sha>``: one run measures one version of the
    code, even while others edit the checkout. Returns the folder to import from."""
    package = SRC / "bmaparse"
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    root = out / f"src-{digest.hexdigest()[:12]}"
    if not (root / "bmaparse").is_dir():
        staging = Path(tempfile.mkdtemp(dir=out))
        shutil.copytree(package, staging / "bmaparse",
                        ignore=shutil.ignore_patterns("__pycache__"))
        with contextlib.suppress(OSError):
            staging.rename(root)
        shutil.rmtree(staging, ignore_errors=True)
    return root


# --- corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A corpus on disk: ``n`` files of one report each."""

    root: Path
    n: int
    seed: int
    folders: int
    bytes: int
    chars: int

    def files(self) -> list[Path]:
        return [self.root / _file_name(i, self.n, self.folders) for i in range(self.n)]


def _file_name(i: int, n: int, folders: int) -> str:
    return f"part-{i * folders // n:02d}/{i:06d}.txt"


def _synth_hash() -> str:
    digest = hashlib.sha256()
    for name in ("synth.py", "_synth_words.py"):
        digest.update((Path(_bmaparse().__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def ensure_corpus(out: Path, n: int, seed: int, folders: int) -> Corpus:
    """The corpus of ``n`` reports for ``seed`` under ``out``, written unless cached."""
    folders = max(1, min(folders, n))
    root = out / "corpus" / f"seed{seed}-n{n}"
    marker = root / ".complete.json"
    key = {"n": n, "seed": seed, "folders": folders, "layouts": list(LAYOUTS), "size": "seed",
           "synth": _synth_hash()}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(marker.read_text())
        if all(meta.get(k) == v for k, v in key.items()):
            return Corpus(root, n, seed, folders, meta["bytes"], meta["chars"])
    _bmaparse()
    synth = importlib.import_module("bmaparse.synth")
    started = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    building = root.with_name(root.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    for k in range(folders):
        (building / f"part-{k:02d}").mkdir(parents=True)
    size = chars = 0
    for i, text in enumerate(synth.corpus(n, seed, layouts=LAYOUTS, size="seed")):
        data = (text + "\n").encode("utf-8")
        (building / _file_name(i, n, folders)).write_bytes(data)
        size, chars = size + len(data), chars + len(text) + 1
    (building / ".complete.json").write_text(json.dumps({**key, "bytes": size, "chars": chars}))
    building.rename(root)
    print(f"  wrote corpus {root} ({n} files, {size / MB:.0f} MB) in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return Corpus(root, n, seed, folders, size, chars)


def warm_cache(corpus: Corpus) -> None:
    """Read every file once, so that every measure sees the page cache alike."""
    for path in corpus.files():
        path.read_bytes()


# --- rows --------------------------------------------------------------------------------


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
    bmaparse = _bmaparse()
    files = [root / _file_name(i, n, folders) for i in range(n)]
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
    command = [sys.executable, __file__, "_inprocess", str(corpus.root), str(corpus.n),
               str(corpus.folders), str(chunk)]
    done = subprocess.run(command, env=_child_env(), capture_output=True, text=True, check=True)
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
    helper = [sys.executable, __file__, "_measure", "--", *command]
    done = subprocess.run(helper, env=_child_env(), capture_output=True, text=True, check=True)
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


# --- pathological inputs -------------------------------------------------------------------


def _seed_lines() -> list[str]:
    return SEED_REPORT.read_text(encoding="utf-8").rstrip("\n").split("\n")


_PIECES: dict[str, Callable[[], str]] = {
    "thai": lambda: " ".join(
        line for line in _seed_lines() if not line.startswith(("(", "*", "-", "ค", "ต"))),
    "separators": lambda: "------------------&&&--------------------",
    "digits": lambda: "0123456789",
    "colons": lambda: " : :",
    "dates": lambda: "27/04/2566 : ",
    "money": lambda: "งบประมาณที่ใช้ จำนวน 1,324,600 บาท ",
}
SHAPES = tuple(_PIECES)


def long_line(shape: str, size: int) -> str:
    """A line of about ``size`` UTF-8 bytes: the shape's piece repeated, cut to size.

    A space left at the cut is dropped: a trailing space sends a whole line
    through normalisation's slow path, and a series of sizes should take one path
    (either is linear, but the step between them would read as a blow-up)."""
    piece = _PIECES[shape]()
    line = piece * (size // len(piece.encode("utf-8")) + 1)
    return line.encode("utf-8")[:size].decode("utf-8", "ignore").rstrip(" ")


def line_report(shape: str, size: int, placement: str) -> str:
    """The long line alone, or as the text of the seed's first progress block."""
    line = long_line(shape, size)
    if placement == "alone":
        return line + "\n"
    lines = _seed_lines()
    first = next(i for i, x in enumerate(lines) if x.startswith("(1) "))
    lines[first + 1] = "27/04/2566 : " + line
    return "\n".join(lines) + "\n"


def blocks_report(blocks: int) -> str:
    """The seed report with ``blocks`` progress blocks of its first block's shape."""
    lines = _seed_lines()
    first = next(i for i, x in enumerate(lines) if x.startswith("(1) "))
    end = next(i for i, x in enumerate(lines) if x.startswith("ตัวชี้วัด"))
    out = lines[:first]
    newest = date(2023, 4, 27)
    for seq in range(1, blocks + 1):  # newest first, spread back over the fiscal year
        day = newest - timedelta(days=(seq - 1) * 200 // blocks)
        percent = f"{100 - (seq - 1) * 100 // blocks}.00"
        out += [f"({seq}) ความคืบหน้าโครงการฯ ร้อยละ {percent} ({day.isoformat()})",
                f"{day.day:02d}/{day.month:02d}/{day.year + 543} : ดำเนินการตามแผนงานครั้งที่ {seq}"
                f" งบประมาณที่ใช้ จำนวน {seq * 100:,} บาท",
                "** ปัญหาของโครงการ :ไม่มี", "** อุปสรรคของโครงการ :ไม่มี",
                "------------------&&&--------------------"]
    return "\n".join(out + lines[end:]) + "\n"


# (start, filler, end): the start picks the line kind (and so the patterns and the
# section rule that read the line), the filler is repeated to size.
HOSTILE: dict[str, tuple[str, str, str]] = {
    "stars, then :1": ("", "*", ":1"),
    "stars, agency : (year)x": ("** ", "*", " : (2566)x"),
    "star-spaces, then :1": ("x", " *", ":1"),
    "spaces before a colon": ("ค่าเป้าหมาย", " ", " x"),
    "tabs in a target": ("ค่าเป้าหมาย ร้อยละ", "\t", "x"),
    "colons": ("", ":", "1"),
    "colon-spaces, then an id": ("x", " :", " 50990000-"),
    "digits in a block number": ("(", "1", ") ความคืบหน้าโครงการฯ ร้อยละ 1 (2023-01-01)"),
    "digits in a quarter": ("*** สยป. ประเมินโครงการ : ไตรมาสที่ ", "1", " 100"),
    "Thai digits in a percent": ("ความคืบหน้าโครงการ ร้อยละ ", "๑", "x"),
    "Thai tone marks": ("ก", "\u0e48", ""),
    "brackets in a report date": ("(1) ความคืบหน้าโครงการฯ ร้อยละ 1 (", "( ", ""),
    "dots in a strategy code": ("มิติที่ 1", ".1", " x"),
    "slashes in a score pair": ("1", " /", "x"),
    "dashes before &&&": ("", "-", " &&&x"),
    "star labels": ("", "** ", "ปัญหาของโครงการ x"),
    "item labels": ("1. เพื่อ ", "2. ", ""),
    "connector words": ("27/04/2566 : งบประมาณ", "จำนวน", " 1 บาท"),
    "amounts": ("27/04/2566 : ", "1 บาท ", ""),
    "phone marks": ("นาย สมชาย ใจดี ", "โทร. ", "1"),
}


def hostile_line(shape: str, chars: int) -> str:
    """The shape's start, its filler repeated to about ``chars`` characters, its end."""
    start, filler, end = HOSTILE[shape]
    return start + filler * (chars // len(filler)) + end


def time_parse(text: str, repeat: int = 5) -> dict[str, float]:
    """Best wall and CPU time of ``parse(text)`` over up to ``repeat`` runs (stop past 5 s)."""
    parse = _bmaparse().parse
    parse(SEED_REPORT.read_text(encoding="utf-8"))
    walls, cpus, spent = [], [], 0.0
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        parse(text)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        spent += walls[-1]
        if spent > 5:
            break
    return {"wall": min(walls), "cpu": min(cpus), "chars": len(text),
            "bytes": len(text.encode("utf-8"))}


def run_pathological(kind: str, arg: str, size: int, timeout: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "_path", kind, arg, str(size)]
    try:
        done = subprocess.run(command, env=_child_env(), capture_output=True, text=True,
                              check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"wall": None, "cpu": None, "timeout": timeout}
    except subprocess.CalledProcessError as exc:  # the parse raised: say what, go on
        lines = exc.stderr.strip().splitlines() or ["(no message)"]
        return {"wall": None, "cpu": None, "error": lines[-1][:100]}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def pathological(mbs: Sequence[int], blocks: Sequence[int], timeout: float) -> list[dict[str, Any]]:
    """Every case, its time per unit, and the growth from the previous size."""
    cases: list[tuple[str, str, str, list[int]]] = [
        ("line", f"{shape}/{placement}", "MB", list(mbs))
        for placement in ("in-report", "alone") for shape in SHAPES
    ]
    cases.append(("blocks", "progress blocks", "block", list(blocks)))
    results = []
    for kind, name, unit, sizes in cases:
        previous: tuple[int, float] | None = None
        for size in sizes:
            arg = name if kind == "line" else "-"
            got = run_pathological(kind, arg, size * MB if kind == "line" else size, timeout)
            entry: dict[str, Any] = {"kind": kind, "case": name, "size": size, "unit": unit, **got}
            cpu = got.get("cpu")
            if cpu is not None:
                entry["per_unit"] = cpu / size
                if previous is not None:
                    growth = (cpu / previous[1]) / (size / previous[0])
                    entry["growth"] = growth
                    entry["linear"] = growth <= 1.25
                previous = (size, cpu)
            else:
                entry["linear"] = False
            results.append(entry)
            if cpu is None:
                break  # a timeout: the larger sizes would only take longer
    return results


def hostile(sizes: Sequence[int], timeout: float) -> list[dict[str, Any]]:
    """Every hostile shape at every size (characters), with the time ratio to the
    previous size scaled to 4x the size (``ratio``: 4 linear, 16 quadratic)."""
    results = []
    for shape in HOSTILE:
        previous: tuple[int, float] | None = None
        for size in sizes:
            got = run_pathological("hostile", shape, size, timeout)
            entry: dict[str, Any] = {"case": shape, "size": size, **got}
            cpu = got.get("cpu")
            if cpu is not None and previous is not None:
                # the ratio the time would have for 4x the size, at this growth
                entry["ratio"] = (cpu / max(previous[1], 1e-9)) ** (math.log(4) / math.log(size / previous[0]))
                entry["linear"] = entry["ratio"] <= 6
            if cpu is None:
                entry["linear"] = False
            results.append(entry)
            if cpu is None:
                break  # a timeout: the larger sizes would only take longer
            previous = (size, cpu)
    return results


# --- report ------------------------------------------------------------------------------


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
        "bmaparse": _bmaparse().__version__, "src": str(_src()), "loadavg": os.getloadavg(),
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


# --- profiles ------------------------------------------------------------------------------


def profile_parse(reports: int, seed: int, top: int) -> None:
    bmaparse = _bmaparse()
    texts = list(importlib.import_module("bmaparse.synth").corpus(reports, seed, layouts=LAYOUTS, size="seed"))
    bmaparse.parse(texts[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        bmaparse.parse(text)
    profiler.disable()
    _print_stats(profiler, f"cProfile: parse of {reports} synth reports", top)


def profile_convert(corpus: Corpus, out: Path, top: int, tool: str) -> None:
    _bmaparse()
    batch = importlib.import_module("bmaparse.batch")
    target = out / "convert-out" / f"profile-n{corpus.n}"
    if tool == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
        batch.convert([corpus.root], target, fmt="parquet", jobs=1, force=True)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    cprofiler = cProfile.Profile()
    cprofiler.enable()
    batch.convert([corpus.root], target, fmt="parquet", jobs=1, force=True)
    cprofiler.disable()
    _print_stats(cprofiler, f"cProfile: convert --jobs 1 of {corpus.n} reports (in process)", top)


def _print_stats(profiler: cProfile.Profile, title: str, top: int) -> None:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = stats.total_tt  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    print(f"{title}: {total:.2f} s profiled")
    print(stream.getvalue().split("\n\n", 1)[-1].rstrip())


# --- main ----------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    return sorted({int(float(s.replace("k", "e3"))) for s in text.split(",") if s.strip()})


def _helper(argv: Sequence[str]) -> int | None:
    """The helper modes the benchmark runs itself in; None when ``argv`` is none of them."""
    if not argv:
        return None
    if argv[0] == "_measure":
        print(json.dumps(measure(argv[2:] if argv[1] == "--" else argv[1:])))
        return 0
    if argv[0] == "_inprocess":
        root, n, folders, chunk = argv[1:]
        print(json.dumps(inprocess(Path(root), int(n), int(folders), int(chunk))))
        return 0
    if argv[0] == "_path":
        kind, arg, size = argv[1:]
        if kind == "line":
            shape, placement = arg.split("/")
            text = line_report(shape, int(size), placement)
        elif kind == "hostile":
            text = hostile_line(arg, int(size))
        else:
            text = blocks_report(int(size))
        print(json.dumps(time_parse(text)))
        return 0
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Generate or reuse the corpora, measure everything, print the tables and targets."""
    argv = list(sys.argv[1:] if argv is None else argv)
    helped = _helper(argv)
    if helped is not None:
        return helped
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="corpus sizes in reports, comma-separated (default 1k,10k,100k)")
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bmaparse-bench",
                        help="where corpora (cached) and convert output go")
    parser.add_argument("--seed", type=int, default=2566)
    parser.add_argument("--folders", type=int, default=8, help="subfolders per corpus")
    parser.add_argument("--chunk", type=int, default=1000, help="files per interleaved chunk")
    parser.add_argument("--repeat", type=int, default=1,
                        help="convert runs per size and jobs (alternating; fastest kept)")
    parser.add_argument("--no-convert", action="store_true")
    parser.add_argument("--no-pathological", action="store_true")
    parser.add_argument("--line-mb", default="1,2,4", help="long-line sizes in MB")
    parser.add_argument("--blocks", default="1000,2000,4000,10000", help="progress block counts")
    parser.add_argument("--hostile-chars", default="25k,100k,400k",
                        help="hostile-line sizes in characters (with --no-pathological: none)")
    parser.add_argument("--path-timeout", type=float, default=120.0,
                        help="seconds before a pathological case counts as a blow-up")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--profile", choices=("parse", "convert"),
                        help="only profile: parse (cProfile over --profile-reports synth reports)"
                             " or convert --jobs 1 (pyinstrument if installed, else cProfile)")
    parser.add_argument("--profile-reports", type=int, default=None,
                        help="reports to profile (default 2000 for parse, 10000 for convert)")
    parser.add_argument("--profile-tool", choices=("pyinstrument", "cprofile"), default=None)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--live-src", action="store_true",
                        help="import src/ as it is, not a snapshot taken at the start")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.live_src:
        os.environ[_SNAPSHOT_ENV] = str(snapshot_source(args.out))
    print(f"bmaparse imported from {_src()}", file=sys.stderr)

    if args.profile == "parse":
        profile_parse(args.profile_reports or 2000, args.seed, args.top)
        return 0
    if args.profile == "convert":
        tool = args.profile_tool
        if tool is None:
            try:
                import pyinstrument  # noqa: F401
                tool = "pyinstrument"
            except ImportError:
                tool = "cprofile"
        corpus = ensure_corpus(args.out, args.profile_reports or 10_000, args.seed, args.folders)
        profile_convert(corpus, args.out, args.top, tool)
        return 0

    sizes = [1000, 10_000] if args.quick else _sizes(args.sizes)
    info = machine()
    print(f"bmaparse {info['bmaparse']} on {info['nproc']} CPUs ({info['cpu']}), Python "
          f"{info['python']}; load average {' '.join(f'{x:.2f}' for x in info['loadavg'])}",
          file=sys.stderr)
    started = time.perf_counter()
    rows: list[Row] = []
    corpora = {}
    for n in sizes:
        corpus = corpora[n] = ensure_corpus(args.out, n, args.seed, args.folders)
        warm_cache(corpus)
        print(f"size {n}: {corpus.bytes / MB:.0f} MB, {corpus.chars / n:.0f} characters/report",
              file=sys.stderr)
        rows += run_inprocess(corpus, args.chunk)
        if not args.no_convert:
            rows += convert_rows(corpus, args.out, args.repeat)
    if not args.no_convert:
        tiny = ensure_corpus(args.out, 1, args.seed, 1)
        got = run_convert(tiny, 1, args.out)
        rows.append(Row(1, "startup", got["wall"], got["cpu"], got["rss_mb"], got["tree_mb"]))
    info["loadavg_end"] = os.getloadavg()
    floors = {r.size: r for r in rows if r.measure == "floor"}
    print_table(rows, floors)
    print("(wall s: elapsed; CPU s: the process, or for convert the whole process tree; x floor:"
          " wall / floor wall;\n peak MB: largest single process's peak RSS; tree MB: peak of the"
          " sampled RSS sum over the convert tree)")
    checks = targets(rows)
    print_targets(checks)

    path_results: list[dict[str, Any]] = []
    hostile_results: list[dict[str, Any]] = []
    if not args.no_pathological:
        path_results = pathological(_sizes(args.line_mb), _sizes(args.blocks), args.path_timeout)
        print_pathological(path_results)
        hostile_results = hostile(_sizes(args.hostile_chars), args.path_timeout)
        print_hostile(hostile_results)
    info["loadavg_after_pathological"] = os.getloadavg()
    print(f"\nload average: start {' '.join(f'{x:.2f}' for x in info['loadavg'])}, after the"
          f" table {' '.join(f'{x:.2f}' for x in info['loadavg_end'])}; total "
          f"{time.perf_counter() - started:.0f} s")

    if args.json:
        args.json.write_text(json.dumps({
            "command": " ".join(["python", "benchmarks/bench.py", *argv]), "machine": info,
            "corpora": {n: {"root": str(c.root), "bytes": c.bytes, "chars": c.chars}
                        for n, c in corpora.items()},
            "rows": [{**asdict(r), "reports_per_s": r.per_second, "us_per_report": r.micros,
                      "x_floor": (r.seconds / floors[r.size].seconds) if r.size in floors else None}
                     for r in rows],
            "targets": checks, "pathological": path_results, "hostile": hostile_results,
        }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
