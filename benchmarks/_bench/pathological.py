"""Inputs built to blow up a parser, each timed alone in its own helper process.

Pathological inputs (``--path-timeout`` per case): one line of 1, 2 and 4 MB
(UTF-8 bytes) of Thai text, separators, digits, colons, dates or money, alone or
as the text of a progress block inside the seed report; and the seed report with
1,000 .. 10,000 progress blocks. Timed with ``bmaparse.parse`` (``load`` would
cut a line past ``Limits.max_line_chars``), best CPU time of up to five runs; a
step is linear when time grows no more than 1.25x faster than size (doubling the
size at most 2.5x the time).

Hostile lines (``--hostile-chars``, default 25k, 100k and 400k characters): for
each shape (a line kind's start, a filler repeated, an end: a run of ``*`` then
``:1``, spaces before a colon, digits in a block number or a quarter, Thai marks,
brackets, dots, dashes, labels, connector words, amounts) the line is parsed
alone, best CPU time of up to five runs, and the time ratio for 4x the size is
shown: about 4 is linear, 16 quadratic (the first shape took 16 s at 40,000
characters before the patterns were audited). Linear when the ratio is at most
6 (1.5x of 4: small sizes carry fixed costs and noise).

A case that passes its timeout or raises is recorded as such and its larger
sizes are skipped: they would only take longer.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from .env import BENCH, MB, SEED_REPORT, child_env, import_bmaparse


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
    parse = import_bmaparse().parse
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
    command = [sys.executable, str(BENCH), "_path", kind, arg, str(size)]
    try:
        done = subprocess.run(command, env=child_env(), capture_output=True, text=True,
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
