"""No input makes the parser super-linear: hostile long lines of every kind the
lexer knows, each in the place of that kind in a real report (so that the section
rule of that place reads it too); the value rules called directly; and many short
lines of the shapes that accumulate text across lines.

Timing is not asserted (shared machines); a hang is: each case runs under
``bmaparse``'s own time budget (``_read.TimeBudget``, the SIGALRM timer behind
``Limits.max_seconds_per_input``), with a bound a hundred times what linear work
takes. A line of 200,000 characters parses in milliseconds; before this test a
quadratic pattern took 16 s for ``*`` * 40,000 + ``:1``, minutes at 200,000. The
growth for 4x the size is measured by ``python benchmarks/bench.py`` (the table
"hostile lines").

The default run takes a sample (about 20 s); ``BMAPARSE_HOSTILE=full`` runs more
seams and fillers at twice the size, and each rule in every context (about 1 min).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

import pytest

import bmaparse
from bmaparse import _kpipage, _rules, _values
from bmaparse._diagnostics import DiagnosticLog
from bmaparse._lexer import Kind, tokenize
from helpers import SEED_LINES, bounded, data_lines

DOCUMENTS = {
    "seed": SEED_LINES,
    "page": data_lines("page_full.txt"),
    "kpi": data_lines("kpi_page.txt"),
    "kpi-cut": data_lines("kpi_chunk.txt"),
    "kpi-definition": data_lines("kpi_definition.txt"),
    "view": data_lines("project_view.txt"),
}

# What hostile lines are made of: every character a pattern quantifies over (stars,
# colons, spaces, tabs, digits Thai and Arabic, Thai marks, brackets, dots, slashes,
# dashes, commas, percent) and runs of the words the rules look for.
FILLERS = (
    "*", ":", " ", "\t", "1", "๑", "\u0e48", "\u0e35\u0e48", "\u0e4d", "-", "(", ")", ".", "/",
    ",", "%", " :", "* ", "1.", "1,", "(1)", "1 บาท", "จำนวน", "โทร", "นาย", "ปีงบประมาณ ",
    "ไตรมาสที่", "ด้านที่ ", "** ", "( ",
)
FULL = os.environ.get("BMAPARSE_HOSTILE") == "full"
LARGE_FILLERS = ("*", ":", " ", "1", "\u0e48", "(", "* ", " :", "1.") if FULL else ("*", ":", " ", "1", "\u0e48", "(")
SMALL, LARGE = 10_000, 200_000 if FULL else 100_000
"""Characters of filler: every seam and filler at SMALL; the main ones at LARGE, where
a quadratic pattern takes minutes and a linear one milliseconds."""
SEAMS = (8, 4) if FULL else (6, 3)
"""At most this many seams per line, at SMALL and at LARGE."""
BOUND = 5.0
"""Seconds one case may take (the slowest linear one, 200,000 Thai marks: 0.1 s)."""
_ATOM = re.compile(r"\d+|\s+|[^\w\s]|[^\W\d]+")


def _kinds() -> Iterator[tuple[str, int, str]]:
    """One real line per kind of line and document: where it is, and the line."""
    seen: set[tuple[str, str]] = set()
    for name, lines in DOCUMENTS.items():
        for i, line in enumerate(lines):
            kind = tokenize(line)[0].kind
            key = (kind, name if kind == Kind.TEXT else "")
            if kind != Kind.BLANK and key not in seen:
                seen.add(key)
                yield name, i, line


LINES = list(_kinds())
IDS = [f"{name}:{i + 1}:{tokenize(line)[0].kind}" for name, i, line in LINES]


def _seams(line: str, most: int) -> list[int]:
    """Where a filler goes: the start, the end, and between the first and last pieces
    of the line (words, digit runs, a space, a punctuation mark)."""
    cuts = sorted({0, len(line), *(m.end() for m in _ATOM.finditer(line))})
    return cuts if len(cuts) <= most else cuts[: most - 2] + cuts[-2:]


def _bounded(work: Callable[[], object], what: str) -> None:
    bounded(work, what, BOUND)


def _parse_in_place(name: str, index: int, variant: str) -> None:
    lines = DOCUMENTS[name]
    report = bmaparse.parse("\n".join([*lines[:index], variant, *lines[index + 1 :]]))
    assert not [d for d in report.diagnostics if d.code == "internal-error"]


def test_every_kind_of_line_is_covered() -> None:
    kinds = {tokenize(line)[0].kind for _, _, line in LINES}
    assert kinds == {v for k, v in vars(Kind).items() if k.isupper()} - {Kind.BLANK}


@pytest.mark.slow
@pytest.mark.parametrize(("name", "index", "line"), LINES, ids=IDS)
def test_hostile_lines_every_seam_and_filler(name: str, index: int, line: str) -> None:
    for at in _seams(line, SEAMS[0]):
        for filler in FILLERS:
            variant = line[:at] + filler * (SMALL // len(filler)) + line[at:]
            _bounded(lambda v=variant: _parse_in_place(name, index, v),  # type: ignore[misc]
                     f"{filler!r} * {SMALL:,} at {at} of {line[:40]!r}")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "index", "line"), LINES, ids=IDS)
def test_hostile_long_lines(name: str, index: int, line: str) -> None:
    for at in _seams(line, SEAMS[1]):
        for filler in LARGE_FILLERS:
            variant = line[:at] + filler * (LARGE // len(filler)) + line[at:]
            _bounded(lambda v=variant: _parse_in_place(name, index, v),  # type: ignore[misc]
                     f"{filler!r} * {LARGE:,} at {at} of {line[:40]!r}")


@pytest.mark.parametrize("line", ["*" * 200_000 + ":1", "** " + "*" * 200_000 + " : (2566)1",
                                  "x" + " *" * 100_000 + ":1", "*" * 200_000 + ": 50990000-"])
def test_the_reported_star_line(line: str) -> None:
    """The line of the issue: a run of ``*`` then ``:1`` (16 s at 40,000 before)."""
    _bounded(lambda: bmaparse.parse(line), repr(line[:20]))


# Each value rule, called on text made of each filler (and each filler around a
# value the rule reads): contact lines, money, fiscal years, numbers, dates, item
# labels, the quarterly table's header and unit cells.
RULES: dict[str, tuple[Callable[[str], object], str]] = {  # the rule, a value it reads
    "contact": (_values.parse_contact.__wrapped__, "นาย สมชาย ใจดี โทร. 5411 "),
    "money": (_values.find_money, "งบประมาณ 1,324,600 บาท "),
    "fiscal-year": (_values.fiscal_year_in_text, "ปีงบประมาณ พ.ศ. 2566 "),
    "number": (_values.parse_number.__wrapped__, "1,324,600.50"),
    "whole": (_values.parse_whole, "๑๒"),
    "entry-date": (lambda s: _values.parse_entry_date.__wrapped__(s, None), "27/04/2566 "),
    "iso-date": (_values.parse_iso_date.__wrapped__, "2023-04-27"),
    "labels": (_rules._labels, "1. เพื่อ 2. เพื่อ "),
    "quarter-cells": (lambda s: _kpipage.quarter_rows(tokenize(s), DiagnosticLog(None), 1), "(* 2.1 / 2.2 *) "),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_value_rules_on_hostile_text(rule: str) -> None:
    read, value = RULES[rule]
    for filler in FILLERS:
        for around in ("", value, *(v for _, v in RULES.values() if FULL)):
            text = around + filler * (LARGE // len(filler)) + around
            _bounded(lambda t=text: read(t), f"{rule} on {around!r} + {filler!r} * {LARGE:,}")  # type: ignore[misc]


# Many short lines: text a rule gathers across lines (wrapped objectives, strategy
# titles, an indicator's name, a block's text, narratives), many reports after junk
# (each decode diagnostic placed in its report), many blocks, indicators, evaluations.
# Sizes where the quadratic joins and placement before this test took 15-30 s.
MANY = 400_000
HEAD = "ความคืบหน้าโครงการ ร้อยละ 10\n"
KPI_PAGE = "รายละเอียดตัวชี้วัด\nx : 0900-0991\n"
MULTI_LINE = {
    "wrapped objectives": HEAD + "หลักการและเหตุผล\nx\nวัตถุประสงค์ของโครงการ\n1. เพื่อ\n" + "ข้อความ\n" * MANY,
    "wrapped strategy title": HEAD + "สนับสนุนยุทธศาสตร์กรุงเทพมหานคร\nด้านที่ 1 x\n" + "ข้อความ\n" * MANY,
    "narratives of one quarter": KPI_PAGE + "ผลงานเทียบกับเป้าหมายรายไตรมาส\n1\n2\n3\n1 / 1\n"
                                 + "รายงานผลฯ ไตรมาสที่ 1\nข้อความ\n" * (MANY // 2),
    "narratives of no quarter": KPI_PAGE + "รายงานผลฯ ไตรมาสที่ 5\nข้อความ\n" * (MANY // 2),
    "indicator name": "ตัวชี้วัด : x\n" + "ข้อความ\n" * MANY,
    "block text": "(1) ความคืบหน้าโครงการฯ ร้อยละ 1 (2023-01-01)\n" + "ข้อความ\n" * MANY,
    "problems": "(1) ความคืบหน้าโครงการฯ ร้อยละ 1 (2023-01-01)\n" + "** ปัญหาของโครงการ :x\n" * (MANY // 2),
    "reports after junk": "ไม่ใช่รายงาน\x01\n" * 25_000
                          + "ความคืบหน้าโครงการ/กิจกรรม\nความคืบหน้าโครงการ ร้อยละ 1\n" * 25_000,
    "evaluations": HEAD + "*** สยป. ประเมินโครงการ : ไตรมาสที่ 1\n" * (MANY // 4),
    "indicators": "ตัวชี้วัด : x\n" * (MANY // 10),
    "blocks": "".join(f"({i}) ความคืบหน้าโครงการฯ ร้อยละ 1 (2023-01-01)\n" for i in range(MANY // 20)),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(MULTI_LINE))
def test_many_short_lines(case: str) -> None:
    data = MULTI_LINE[case].encode("utf-8")
    document = bmaparse.load(data, limits=bmaparse.Limits(max_seconds_per_input=BOUND * 2))
    assert "input-timeout" not in [d.code for d in document.diagnostics], f"{case}: super-linear work"
    assert "internal-error" not in [d.code for d in document.diagnostics]
