"""The recorded pure-Python baseline: the target "pure-Python mode no slower than today".

``benchmarks/baseline_pure.json`` holds, per corpus size, the pure mode's parse
and ``convert --jobs 1`` figures of one run (``bench.py --record-baseline``),
with the machine, the load average and the commit they were measured on.

Absolute times move by 15% or more between runs on these shared cores, so the
check compares what one run measures together: the pure mode's CPU time over
the TextFSM template's (``x_textfsm``: for parse the median of ratios taken in
one process, for convert the tree's CPU time over TextFSM's at the same size).
Each measure's ratio against the recorded one is averaged (geometric mean) over
the sizes both have, and passes when at most ``TOLERANCE``. Without textfsm the
check falls back to µs per report, and says so.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .env import REPO
from .measure import Row

BASELINE = REPO / "benchmarks" / "baseline_pure.json"
TOLERANCE = 1.10
"""How much slower than the baseline still passes: the run-to-run noise of the ratio."""

_MEASURES = {"parse": "parse", "convert j1": "convert_j1"}


def load(path: Path = BASELINE) -> dict[str, Any] | None:
    """The recorded baseline, or None when there is none."""
    try:
        baseline: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return baseline


def record(rows: Sequence[Row], info: dict[str, Any], command: str,
           path: Path = BASELINE) -> dict[str, Any]:
    """Write the pure rows of this run as the baseline; sizes not measured now are
    kept from the file as it was (each size says when it was recorded)."""
    old = load(path) or {}
    sizes: dict[str, Any] = dict(old.get("sizes", {}))
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for row in rows:
        if row.mode == "pure" and row.measure in _MEASURES:
            entry = sizes.setdefault(str(row.size), {})
            entry[_MEASURES[row.measure]] = {
                "us_per_report": round(row.micros, 1), "reports_per_s": round(row.per_second),
                "x_textfsm": None if row.x_textfsm is None else round(row.x_textfsm, 3)}
            entry["recorded"] = f"{stamp}, code of commit {info.get('src_commit', '?')}"
    baseline = {
        "what": "bmaparse in pure-Python mode (BMAPARSE_PURE_PYTHON=1), medians of one "
                "benchmarks/bench.py run; x_textfsm: CPU time / the TextFSM template's CPU time "
                "over the same reports (parse: in the same process)",
        "command": command, "recorded": stamp, "src_commit": info.get("src_commit"),
        "machine": {k: info.get(k) for k in ("nproc", "cpu", "python", "platform")},
        "loadavg": {"start": info.get("loadavg"), "end": info.get("loadavg_end")},
        "sizes": dict(sorted(sizes.items(), key=lambda kv: int(kv[0]))),
    }
    path.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return baseline


def checks(rows: Sequence[Row], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Pure mode against the baseline, per measure, over the sizes both have."""
    out = []
    for measure, key in _MEASURES.items():
        now, sizes, absolute = [], [], False
        for row in rows:
            recorded = baseline["sizes"].get(str(row.size), {}).get(key)
            if row.mode != "pure" or row.measure != measure or recorded is None:
                continue
            if row.x_textfsm is not None and recorded.get("x_textfsm"):
                now.append(row.x_textfsm / recorded["x_textfsm"])
            else:
                now.append(row.micros / recorded["us_per_report"])
                absolute = True
            sizes.append(row.size)
        if not now:
            continue
        value = math.exp(sum(map(math.log, now)) / len(now))
        what = (f"pure {measure} {'µs' if absolute else '÷ TextFSM'} <= {TOLERANCE:g}x "
                f"baseline's [{','.join(map(str, sizes))}]")
        out.append({"target": what, "value": round(value, 3), "limit": TOLERANCE, "unit": "x",
                    "pass": value <= TOLERANCE, "mode": "pure", "stretch": False})
    return out
