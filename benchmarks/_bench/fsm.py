"""The TextFSM baseline of the parse target: a template that extracts only the
progress and KPI strings of a report (``benchmarks/textfsm/bma_progress_kpi.textfsm``).

textfsm is a benchmark-only dependency (``pip install -e '.[bench]'``): without it
the TextFSM row and the targets that divide by it are left out, and said so.
The template is loaded once per process; each report is one ``Reset()`` and
one ``ParseText(text)``, the way a TextFSM user parses file after file.

``check`` is ``bench.py --check``: the template must find the seed report's
strings exactly, and on synth reports of both layouts as many progress blocks
and indicators as ``bmaparse.parse``, with the same block numbers and each
indicator name's first line; so the baseline does the work it stands for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .env import LAYOUTS, REPO, SEED_REPORT, import_bmaparse

TEMPLATE = REPO / "benchmarks" / "textfsm" / "bma_progress_kpi.textfsm"
INSTALL_HINT = "pip install -e '.[bench]'"

Rows = list[list[str]]


def available() -> bool:
    """Whether textfsm imports."""
    try:
        importlib.import_module("textfsm")
    except ImportError:
        return False
    return True


def parser(template: Path = TEMPLATE) -> Callable[[str], Rows]:
    """A function from a report's text to the template's rows (the FSM is built once)."""
    textfsm = importlib.import_module("textfsm")
    with template.open(encoding="utf-8") as file:
        fsm = textfsm.TextFSM(file)

    def parse(text: str) -> Rows:
        fsm.Reset()
        rows: Rows = fsm.ParseText(text)
        return rows

    return parse


# The template's columns, in its Value order.
PERCENT, SEQ, BLOCK_PERCENT, BLOCK_DATE, ENTRY_DATE, ENTRY_TEXT, KPI_NAME, KPI_TARGET, \
    KPI_ACHIEVED = range(9)

SEED_ROWS: Rows = [
    ["100", "1", "100.00", "2023-04-27", "27/04/2566", "งบประมาณที่ใช้ จำนวน 1,324,600 บาท"],
    ["100", "2", "100.00", "2023-03-20", "20/03/2566", "ดำเนินการจัดการสัมมนาฯ รุ่นที่ 3 เมื่อวันที่ 7-8 "
     "มีนาคม 2566 ดำเนินการเบิกจ่ายเงิน ชดใช้เงินยืม และจัดทำรายงานสรุปการจัดการสัมมนา"],
    ["100", "3", "89.00", "2023-02-23", "23/02/2566", "ดำเนินการจัดสัมมนา รุ่นที่ 1 ระหว่างวันที่ 20-21 "
     "กุมภาพันธ์ 2566 และเตรียมการจัดสัมมนารุ่นที่ 2 ระหว่างวันที่ 27-28 กุมภาพันธ์ 2566 "
     "อยู่ระหว่างดำเนินการเบิกจ่ายงบประมาณและชดใช้เงินยืม"],
    ["100", "4", "35.00", "2023-01-24", "24/01/2566", "อยู่ระหว่างขอเงินงวด"],
    ["100", "5", "30.00", "2023-01-04", "04/01/2566", "ตุลาคม 2565 เขียนโครงการและขออนุมัติโครงการ "
     "พฤศจิกายน 2565 ขออนุมัติเงินประจำงวด ธันวาคม 2565 ประชุมวางแผนการดำเนินงาน"],
]
"""The seed's progress blocks (PERCENT .. ENTRY_TEXT), then one indicator below."""
SEED_KPI = ["ร้อยละของโครงการ/กิจกรรมที่เป็นงานประจำของหน่วยงานที่ดำเนินการสำเร็จตามเป้าหมาย "
            "(ปีงบประมาณ พ.ศ. 2566)", "80", "100"]


def _mismatches(rows: Rows, report: Any, normalize: Callable[[str], list[str]]) -> list[str]:
    """How the template's rows differ from bmaparse's Report of the same text (names
    compared after bmaparse's normalisation: the template reads the text as it is)."""
    blocks = [r for r in rows if r[SEQ]]
    kpis = [r for r in rows if r[KPI_NAME]]
    problems = []
    if [r[SEQ] for r in blocks] != [str(u.seq) for u in report.progress_updates]:
        problems.append(f"blocks {[r[SEQ] for r in blocks]} != "
                        f"{[u.seq for u in report.progress_updates]}")
    names = [k.name for k in report.kpis]
    if len(kpis) != len(names) or any(not name.startswith(normalize(r[KPI_NAME])[0].rstrip())
                                      for r, name in zip(kpis, names, strict=True)):
        problems.append(f"indicators {[r[KPI_NAME] for r in kpis]} != {names}")
    return problems


def check(reports: int, seed: int) -> list[str]:
    """Every way the template misses what it should find (empty: it does its job)."""
    parse = parser()
    problems = []
    rows = parse(SEED_REPORT.read_text(encoding="utf-8"))
    got = [r[: ENTRY_TEXT + 1] for r in rows if r[SEQ]]
    if got != SEED_ROWS:
        problems.append(f"seed: progress rows {got}")
    if [r[KPI_NAME:] for r in rows if r[KPI_NAME]] != [SEED_KPI]:
        problems.append(f"seed: indicator rows {[r for r in rows if r[KPI_NAME]]}")
    bmaparse = import_bmaparse()
    synth = importlib.import_module("bmaparse.synth")
    normalize = importlib.import_module("bmaparse._normalize").normalize_lines
    for i, text in enumerate(synth.corpus(reports, seed, layouts=LAYOUTS, size="seed")):
        problems += [f"synth report {i}: {p}"
                     for p in _mismatches(parse(text), bmaparse.parse(text), normalize)]
    return problems


def print_check(problems: Sequence[str], reports: int) -> int:
    """Print the outcome of ``check``; the exit status."""
    for problem in problems[:20]:
        print(f"  FAIL  {problem}")
    if problems:
        print(f"the TextFSM template misses {len(problems)} things ({TEMPLATE})")
        return 1
    print(f"PASS  the TextFSM template finds the seed's strings and, on {reports} synth reports,"
          " the progress blocks and indicators bmaparse finds")
    return 0
