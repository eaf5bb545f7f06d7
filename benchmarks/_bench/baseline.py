"""The recorded pure-Python baseline: the target "pure-Python mode no slower than today".

``benchmarks/baseline_pure.json`` holds, per corpus size, the pure mode's parse
and ``convert --jobs 1`` figures of one run (``bench.py --record-baseline``),
with the machine, the load average and the commit they were measured on.

Absolute times move by 15% or more between runs on these shared cores, so the
check compares what one run measures together: the pure mode's time over the
TextFSM template's (``x_textfsm``; parse's is the median of per-process ratios).
Pure mode passes when that ratio is at most ``TOLERANCE`` times the recorded
one. Without textfsm it falls back to µs per report, and says so.
"""

from __future__ import annotations

import json
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
            entry["recorded"] = f"{stamp}, commit {info.get('commit', '?')}"
    baseline = {
        "what": "bmaparse in pure-Python mode (BMAPARSE_PURE_PYTHON=1), medians of one "
                "benchmarks/bench.py run; x_textfsm = time / the TextFSM template's time",
        "command": command, "recorded": stamp, "commit": info.get("commit"),
        "machine": {k: info.get(k) for k in ("nproc", "cpu", "python", "platform")},
        "loadavg": {"start": info.get("loadavg"), "end": info.get("loadavg_end")},
        "sizes": dict(sorted(sizes.items(), key=lambda kv: int(kv[0]))),
    }
    path.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return baseline


def checks(rows: Sequence[Row], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Pure mode against the baseline, per size and measure both have."""
    out = []
    for row in rows:
        key = _MEASURES.get(row.measure)
        recorded = baseline["sizes"].get(str(row.size), {}).get(key) if key else None
        if row.mode != "pure" or recorded is None:
            continue
        if row.x_textfsm is not None and recorded.get("x_textfsm"):
            value, limit = row.x_textfsm / recorded["x_textfsm"], TOLERANCE
            what = f"pure {row.measure} ÷ TextFSM <= {TOLERANCE:g}x baseline's [{row.size}]"
        else:
            value, limit = row.micros / recorded["us_per_report"], TOLERANCE
            what = f"pure {row.measure} µs <= {TOLERANCE:g}x baseline's (no TextFSM) [{row.size}]"
        out.append({"target": what, "value": round(value, 3), "limit": limit, "unit": "x",
                    "pass": value <= limit, "mode": "pure"})
    return out
