r"""Lines in, tokens out.

Strategy: every line is normalised (``_normalize.normalize_lines``), then
classified once. Classification dispatches on the line's first character to the
few patterns that can start with it (``_RULES_BY_FIRST``), then tries the few
patterns anchored at the line's end (name : id, agency : (year), a KPI
definition's numbered name : integer id), and falls back to ``TEXT``. The view
page's glued labels are prefix rules whose first group is the label and second
the value; which field a label fills is the parser's table (``_viewpage``). A short line is classified once and remembered (an archive
repeats its chrome, headings and separators endlessly). Patterns match digits
with ``\d``, which in ``re`` matches Thai digits too, so lines are matched as
written and groups keep Thai digits; the rules turn them into ASCII where they
read values. A token remembers its 1-based line and column and the pattern's
groups, so no later stage re-matches or loses its position.

Rules kept: no pattern is tried on a line whose first character cannot start
it; every pattern is anchored and free of nested quantifiers (linear time on a
1 MB line); the lexer never decides what a line *means* in context, only what
it looks like: the parser owns context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from ._normalize import normalize_lines


class Kind:
    """What a line looks like: one of these strings.

    Plain class attributes, not an ``enum.Enum``: the parser tests a kind many
    times per line, and on CPython 3.11 reading an enum member (``Kind.BLANK``)
    costs ~80 ns against ~15 ns for a class attribute; that was 4% of a parse.
    The values are the names the diagnostics print.
    """

    BLANK = "blank"
    TEXT = "text"
    NUMBER = "number"  # a bare number: chart value, table cell
    # page chrome
    PAGE_TITLE = "page-title"  # ความคืบหน้าโครงการ/กิจกรรม
    KPI_TITLE = "kpi-title"  # รายละเอียดตัวชี้วัด
    CHROME = "chrome"  # Back Home, FusionCharts ..., link labels
    # header
    NAME_ID = "name-id"  # <project name> : 50990000-4321
    KPI_ID = "kpi-id"  # <kpi name> : 0900-0991
    AGENCY_FY = "agency-fy"  # <agency> : (2564)
    PERCENT = "percent"  # ความคืบหน้าโครงการ ร้อยละ 60
    EVAL = "eval"  # *** สยป. ประเมินโครงการ : ไตรมาสที่ 2 100
    KPI_EVAL = "kpi-eval"  # *** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 3: 100 (KPI pages)
    # body
    HEADING = "heading"  # หลักการและเหตุผล, วัตถุประสงค์ของโครงการ, ...
    UNIT_CODES = "unit-codes"  # 50991000/50991000
    STRATEGY = "strategy"  # ด้านที่ / มิติที่ / เป้าหมายที่ / เป้าประสงค์ที่
    ROUTINE = "routine"  # **** ภารกิจงานประจำของหน่วยงาน **** |
    # progress blocks
    PROGRESS_HEAD = "progress-head"  # (1) ความคืบหน้าโครงการฯ ร้อยละ 100.00 (2023-04-27)
    ENTRY = "entry"  # 27/04/2566 : ...
    PROBLEMS = "problems"  # ** ปัญหาของโครงการ :...
    OBSTACLES = "obstacles"  # ** อุปสรรคของโครงการ :...
    SEPARATOR = "separator"  # ------------------&&&--------------------
    # indicators and evaluation
    KPI_NAME = "kpi-name"  # ตัวชี้วัด : ...
    KPI_TARGET = "kpi-target"  # ค่าเป้าหมาย ร้อยละ : 80
    KPI_ACHIEVED = "kpi-achieved"  # ผลงานที่ทำได้ ร้อยละ : 100
    KPI_KINDS = "kpi-kinds"  # ประเภทตัวชี้วัด : ...
    EVAL_SECTION = "eval-section"  # ** ผลการประเมินโครงการ (รายไตรมาส) **
    QTABLE_TITLE = "qtable-title"  # ผลงานเทียบกับเป้าหมายรายไตรมาส
    SCORE_PAIR = "score-pair"  # 100 / 100
    NARRATIVE_HEAD = "narrative-head"  # รายงานผลฯ ไตรมาสที่ 1
    # the project view page of the newer front end: label and value glued together
    VIEW_TITLE = "view-title"  # รายละเอียดโครงการ/กิจกรรม: 50990000-6001
    VIEW_FIELD = "view-field"  # รหัสโครงการ50990000-6001, Kpi ID5099-1023: a label only this page has
    VIEW_TEXT = "view-text"  # ชื่อโครงการ..., หน่วยงาน..., ปี2567: a label ordinary text may start with
    # the KPI definition page of the city-indicator database
    KPIDEF_TITLE = "kpidef-title"  # โครงการจัดทำฐานข้อมูลตัวชี้วัดการพัฒนาเมือง (2562-2563)
    KPIDEF_ID = "kpidef-id"  # ๔. <numbered name> : 205
    DATA_KIND = "data-kind"  # ลักษณะข้อมูล : ตัวชี้วัดเป้าประสงค์
    KPIDEF_SECTION = "kpidef-section"  # 1.นิยาม หรือความหมายของตัวชี้วัด


class Token(NamedTuple):
    """One classified line (a named tuple: tokens are made per line, so cheaply)."""

    kind: str
    """What the line looks like."""
    text: str
    """The normalised line (Thai digits kept as written)."""
    line: int
    """1-based line number in the input."""
    groups: tuple[str | None, ...] = ()
    """The pattern's groups, taken from ``text`` (Thai digits as written)."""
    col: int = 1
    """1-based column where the token's content starts."""


_HEADINGS = (
    "หลักการและเหตุผล",
    "วัตถุประสงค์ของโครงการ",
    "วัตถุประสงค์",
    "เป้าหมายของโครงการ",
    "สนับสนุนยุทธศาสตร์กรุงเทพมหานคร",
)
_NUM = r"\d[\d,]*(?:\.\d+)?"

# (kind, pattern). The first character of each pattern's literal start decides
# the bucket it is tried in; see _bucket_keys.
_PREFIX_RULES: tuple[tuple[str, str, str], ...] = (
    (Kind.PAGE_TITLE, "ค", r"ความคืบหน้าโครงการ/กิจกรรม\s*$"),
    (Kind.PERCENT, "ค", rf"ความคืบหน้าโครงการ\s*ร้อยละ\s*({_NUM})?\s*$"),
    (Kind.KPI_TARGET, "ค", r"ค่าเป้าหมาย\s*([^:]*?)\s*:\s*(.*)$"),
    (Kind.KPI_ACHIEVED, "ผ", r"ผลงานที่ทำได้\s*([^:]*?)\s*:\s*(.*)$"),
    (Kind.QTABLE_TITLE, "ผ", r"ผลงานเทียบกับเป้าหมายรายไตรมาส\s*$"),
    (Kind.KPI_KINDS, "ป", r"ประเภทตัวชี้วัด\s*:?\s*(.*)$"),
    (Kind.KPI_NAME, "ต", r"ตัวชี้วัด\s*:\s*(.*)$"),
    (Kind.KPI_TITLE, "ร", r"รายละเอียดตัวชี้วัด\s*$"),
    (Kind.CHROME, "ร", r"รายละเอียดตัวชี้วัดฯ?\s*:\s*พิมพ์ข้อมูล\s*$"),
    (Kind.NARRATIVE_HEAD, "ร", r"รายงานผลฯ?\s*ไตรมาสที่\s*(\d)\s*$"),
    (Kind.CHROME, "ด", r"ดูโครงการแผนปีฯ?\s*:\s*พิมพ์ข้อมูล\s*$"),
    (Kind.CHROME, "B", r"Back Home\s*$"),
    (Kind.CHROME, "F", r"FusionCharts will render here\s*$"),
    (Kind.STRATEGY, "ด", r"(ด้านที่)\s*(\d+)\s*(.*)$"),
    (Kind.STRATEGY, "ม", r"(มิติที่)\s*(\d+(?:\.\d+)*)\s*(.*)$"),
    (Kind.STRATEGY, "เ", r"(เป้าหมายที่)\s*(\d+(?:\.\d+)*)\s*(.*)$"),
    (Kind.STRATEGY, "เ", r"(เป้าประสงค์ที่)\s*(\d+(?:\.\d+)*)\s*(.*)$"),
    (Kind.PROGRESS_HEAD, "(", rf"\((\d+)\)\s*ความคืบหน้าโครงการฯ?\s*ร้อยละ\s*({_NUM})?\s*"
     r"(?:\(\s*([^)]*?)\s*\))?\s*$"),
    (Kind.ROUTINE, "*", r"\*+\s*ภารกิจงานประจำของหน่วยงาน[\s*%|]*$"),
    (Kind.EVAL, "*", r"\*+\s*สยป\.?\s*ประเมินโครงการ\s*:?\s*ไตรมาสที่\s*(\d+)\s*:?\s*(.*?)\s*$"),
    (Kind.KPI_EVAL, "*", r"\*+\s*สยป\.?\s*ตรวจประเมินตัวชี้วัด\s*:?\s*ไตรมาสที่\s*(\d+)\s*:?\s*(.*?)\s*$"),
    (Kind.PROBLEMS, "*", r"\*+\s*ปัญหาของโครงการ\s*:?\s*(.*)$"),
    (Kind.OBSTACLES, "*", r"\*+\s*อุปสรรคของโครงการ\s*:?\s*(.*)$"),
    (Kind.EVAL_SECTION, "*", r"\*+\s*ผลการประเมินโครงการ\s*\(รายไตรมาส\)\s*\**\s*$"),
    (Kind.SEPARATOR, "-", r"-{3,}\s*&&&\s*-{3,}\s*$"),
    (Kind.UNIT_CODES, "0", r"(\d{8})\s*/\s*(\d{8})\s*$"),
    (Kind.ENTRY, "0", r"(\d{1,2}/\d{1,2}/\d{2,4})\s*:\s*(.*)$"),
    (Kind.SCORE_PAIR, "0", rf"({_NUM})\s*/\s*({_NUM})\s*$"),
    (Kind.NUMBER, "0", rf"({_NUM})\s*%?\s*$"),
    # the project view page (see _VIEW_LABELS below for the label -> field table)
    (Kind.VIEW_TITLE, "ร", r"รายละเอียดโครงการ/กิจกรรม\s*:?\s*(\d{8}-\d+)?\s*$"),
    (Kind.CHROME, "ข", r"ข้อมูลโครงการ/กิจกรรม\s*(?:พิมพ์\s*PDF)?\s*$"),
    (Kind.VIEW_FIELD, "ร", r"(รหัสโครงการ)\s*(\d{8}-\d+)\s*$"),
    (Kind.VIEW_FIELD, "P", r"(Policy ID)\s*(\S*)\s*$"),
    (Kind.VIEW_FIELD, "B", r"(Branch ID)\s*(\S*)\s*$"),
    (Kind.VIEW_FIELD, "K", r"(K(?:pi|PI) ID)\s*(\S*)\s*$"),
    (Kind.VIEW_FIELD, "ง", r"(งบฯ?\s*ที่ได้รับ\s*\(บาท\))\s*(\S*)\s*$"),
    (Kind.VIEW_FIELD, "ง", r"(งบฯ?\s*ที่ใช้ไป\s*\(บาท\))\s*(\S*)\s*$"),
    (Kind.VIEW_FIELD, "ค", rf"(คืบหน้าล่าสุด)\s*:?\s*(?:ร้อยละ\s*)?({_NUM})?\s*$"),
    (Kind.VIEW_FIELD, "S", r"(Start Date)\s*(\d{4}-\d{2}-\d{2})?(?:[ T][\d:.]*)?\s*$"),
    (Kind.VIEW_FIELD, "F", r"(Finish Date)\s*(\d{4}-\d{2}-\d{2})?(?:[ T][\d:.]*)?\s*$"),
    (Kind.VIEW_TEXT, "ป", r"(ปี)\s*(\d{4})\s*$"),
    (Kind.VIEW_TEXT, "ช", r"(ชื่อโครงการ)\s*(.*)$"),
    (Kind.VIEW_TEXT, "ห", r"(หน่วยงาน)\s*(.*)$"),
    (Kind.VIEW_TEXT, "ห", r"(หลักการและเหตุผล)\s*(.+)$"),  # the bare heading is a HEADING
    # the KPI definition page
    (Kind.KPIDEF_TITLE, "โ", r"โครงการจัดทำฐานข้อมูลตัวชี้วัดการพัฒนาเมือง\s*(?:\(\s*(\d{4})\s*-\s*(\d{4})\s*\))?\s*$"),
    (Kind.DATA_KIND, "ล", r"ลักษณะข้อมูล\s*:\s*(.*)$"),
    (Kind.KPIDEF_SECTION, "0", r"(\d{1,2})\s*\.\s*((?:นิยาม|วิธีการคำนวณ|เกณฑ์การ|แหล่งข้อมูล|แหล่งที่มา|ความถี่|"
     r"หน่วยงานรับผิดชอบ|ผู้รับผิดชอบ|วิธีการจัดเก็บ|หมายเหตุ)[^:]*?)\s*$"),
)

# Patterns anchored at the end, tried when no prefix rule matched.
_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    (Kind.NAME_ID, r"(.*?)\s*:\s*(\d{8}-\d+)\s*$"),
    (Kind.KPI_ID, r"(.*?)\s*:\s*(\d{4}-\d{3,})\s*$"),
    (Kind.AGENCY_FY, r"(?:\*+\s*)?(.*?)\s*:\s*\(\s*(\d{4})\s*\)\s*$"),
    # a numbered name (``๔.``, ``5.2``, ``ปี 2564 ๒.``) and the database's integer id
    (Kind.KPIDEF_ID, r"((?:ปี\s*\d{4}\s*)?\d{1,3}(?:\.\d{1,3})*(?:\s*\.\s*|\s+)[^\s\d.].*?)\s*:\s*(\d{1,6})\s*$"),
)


def _bucket_keys(first: str) -> tuple[str, ...]:
    return tuple("0123456789๐๑๒๓๔๕๖๗๘๙") if first == "0" else (first,)


def _build_buckets() -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    buckets: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for kind, first, pattern in _PREFIX_RULES:
        for key in _bucket_keys(first):
            buckets.setdefault(key, []).append((kind, re.compile(pattern)))
    return {key: tuple(rules) for key, rules in buckets.items()}


_RULES_BY_FIRST = _build_buckets()
_SUFFIX = tuple((kind, re.compile(pattern)) for kind, pattern in _SUFFIX_RULES)
_HEADING_SET = frozenset(_HEADINGS)
_LONGEST_HEADING = max(map(len, _HEADINGS)) + 1


def classify(text: str, line: int) -> Token:
    """Classify one normalised line."""
    kind, kept, groups, col = _look(text) if len(text) > _MEMO_MAX else _look_memo(text)
    return Token(kind, kept, line, groups, col)


_Look = tuple[str, str, tuple[str | None, ...], int]
"""What a line looks like: kind, text as kept, the pattern's groups, column."""


def _look(text: str) -> _Look:
    if not text:
        return Kind.BLANK, text, (), 1
    if text[0] == ":" and len(text) > 1:  # some pages prefix strategy levels with ":"
        stripped = text[1:].lstrip()
        match = _match_prefix(stripped)
        if match is not None and match[0] is Kind.STRATEGY:
            return Kind.STRATEGY, text, match[1].groups(), 1 + len(text) - len(stripped)
    if len(text) <= _LONGEST_HEADING and text.rstrip("ฯ") in _HEADING_SET:
        return Kind.HEADING, text.rstrip("ฯ"), (), 1
    match = _match_prefix(text)
    if match is None and (text[-1] == ")" or text[-1].isdigit()):
        match = _match_suffix(text)
    if match is None:
        return Kind.TEXT, text, (), 1
    return match[0], text, match[1].groups(), 1


# Short lines repeat across an archive (chrome, headings, separators, "ไม่มี"
# problems, dates): they are classified once. Long ones (rationale) are not kept.
_MEMO_MAX = 100
_look_memo = lru_cache(maxsize=8192)(_look)


def _match_prefix(text: str) -> tuple[str, re.Match[str]] | None:
    for kind, pattern in _RULES_BY_FIRST.get(text[0], ()):
        found = pattern.match(text)
        if found is not None:
            return kind, found
    return None


def _match_suffix(text: str) -> tuple[str, re.Match[str]] | None:
    if ":" not in text:
        return None
    for kind, pattern in _SUFFIX:
        found = pattern.match(text)
        if found is not None:
            return kind, found
    return None


def tokenize(text: str | Iterable[str], first_line: int = 1) -> list[Token]:
    """Normalise and classify each line of ``text`` (a str split at ``"\n"``, or
    its lines); line numbers start at ``first_line``."""
    if not isinstance(text, str):
        text = "\n".join(text)
    return [classify(line, n) for n, line in enumerate(normalize_lines(text), first_line)]
