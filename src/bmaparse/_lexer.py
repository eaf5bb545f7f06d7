r"""Lines in, tokens out.

Strategy: every line is normalised (``_normalize.normalize_lines``), then
classified once. Classification dispatches on the line's first character to the
few patterns that can start with it (``_RULES_BY_FIRST``), then tries the few
patterns anchored at the line's end (name : id, agency : (year), a KPI
definition's numbered name : integer id), and falls back to ``TEXT``. The view
page's glued labels are prefix rules whose groups are ``label`` and ``value``;
which field a label fills is the parser's table (``_viewpage``). A short line
is classified once and remembered (an archive repeats its chrome, headings and
separators endlessly). Patterns match digits
with ``\d``, which in ``re`` matches Thai digits too, so lines are matched as
written and groups keep Thai digits; the rules turn them into ASCII where they
read values. A token remembers its 1-based line and column and the pattern's
groups, so no later stage re-matches or loses its position.

This module is the reference: ``pure_tokenize`` and ``classify``. ``tokenize``
runs the implementation ``_compiled`` selected, this reference or the compiled
kernel ``_ckernels.tokenize``, which reads its patterns and kinds from here and
must give identical tokens (``tests/test_compiled_lexer.py``).

Groups are named where the pattern is written (``(?P<quarter>\d+)``: the value
and its pattern declared together) and read by name, ``tok.group("quarter")``.
A token stays a plain value: its groups are the match's tuple, and the names
are found through ``GROUP_INDEX`` (kind -> name -> position), the same for
every pattern of a kind (checked when the patterns are compiled).

Rules kept: no pattern is tried on a line whose first character cannot start
it; every pattern is anchored and free of nested quantifiers; the lexer never
decides what a line *means* in context, only what it looks like: the parser
owns context.

Linear time on any line (a 1 MB line of ``*``, ``:``, digits or marks takes
milliseconds; ``tests/test_hostile_lines.py`` checks every kind): a normalised
line has no run of spaces (one plain space at most, never at either end), so a
pattern writes `` ?`` where a space may be, never ``\s*``, which beside another
quantifier that can take the same characters (``(.*?)\s*:``, ``\s*:?\s*``)
tries every way of sharing a run between them. Likewise no optional prefix
before a lazy ``(.*?)`` that can take the prefix's characters: ``(?:\*+ ?)?(.*?)``
split a line of 40,000 ``*`` every possible way (16 s); such a prefix is left
in the group and stripped by the rule.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from . import _normalize


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

    def group(self, name: str) -> str | None:
        """The pattern's group ``name`` (Thai digits as written); None when the group
        took no part in the match. A name the kind's patterns lack is a KeyError."""
        return self.groups[GROUP_INDEX[self.kind][name]]


_HEADINGS = (
    "หลักการและเหตุผล",
    "วัตถุประสงค์ของโครงการ",
    "วัตถุประสงค์",
    "เป้าหมายของโครงการ",
    "สนับสนุนยุทธศาสตร์กรุงเทพมหานคร",
)
_NUM = r"\d[\d,]*(?:\.\d+)?"
# A strategy level's code (7.2.1): digits and dots, not ending in a dot. A class, not
# \d+(?:\.\d+)*: re keeps a backtracking frame for every repetition of a group (about
# 100 bytes: 100 MB for a line of 1 MB), and only a class repeats without one.
_CODE = r"\d[\d.]*(?<!\.)"

# (kind, pattern). The first character of each pattern's literal start decides
# the bucket it is tried in; see _bucket_keys.
_PREFIX_RULES: tuple[tuple[str, str, str], ...] = (
    (Kind.PAGE_TITLE, "ค", r"ความคืบหน้าโครงการ/กิจกรรม ?$"),
    (Kind.PERCENT, "ค", rf"ความคืบหน้าโครงการ ?ร้อยละ ?(?P<percent>{_NUM})? ?$"),
    (Kind.KPI_TARGET, "ค", r"ค่าเป้าหมาย ?(?P<unit>[^:]*?) ?: ?(?P<value>.*)$"),
    (Kind.KPI_ACHIEVED, "ผ", r"ผลงานที่ทำได้ ?(?P<unit>[^:]*?) ?: ?(?P<value>.*)$"),
    (Kind.QTABLE_TITLE, "ผ", r"ผลงานเทียบกับเป้าหมายรายไตรมาส ?$"),
    (Kind.KPI_KINDS, "ป", r"ประเภทตัวชี้วัด ?:? ?(?P<kinds>.*)$"),
    (Kind.KPI_NAME, "ต", r"ตัวชี้วัด ?: ?(?P<name>.*)$"),
    (Kind.KPI_TITLE, "ร", r"รายละเอียดตัวชี้วัด ?$"),
    (Kind.CHROME, "ร", r"รายละเอียดตัวชี้วัดฯ? ?: ?พิมพ์ข้อมูล ?$"),
    (Kind.NARRATIVE_HEAD, "ร", r"รายงานผลฯ? ?ไตรมาสที่ ?(?P<quarter>\d) ?$"),
    (Kind.CHROME, "ด", r"ดูโครงการแผนปีฯ? ?: ?พิมพ์ข้อมูล ?$"),
    (Kind.CHROME, "B", r"Back Home ?$"),
    (Kind.CHROME, "F", r"FusionCharts will render here ?$"),
    (Kind.STRATEGY, "ด", r"(?P<level>ด้านที่) ?(?P<code>\d+) ?(?P<title>.*)$"),
    (Kind.STRATEGY, "ม", rf"(?P<level>มิติที่) ?(?P<code>{_CODE}) ?(?P<title>.*)$"),
    (Kind.STRATEGY, "เ", rf"(?P<level>เป้าหมายที่) ?(?P<code>{_CODE}) ?(?P<title>.*)$"),
    (Kind.STRATEGY, "เ", rf"(?P<level>เป้าประสงค์ที่) ?(?P<code>{_CODE}) ?(?P<title>.*)$"),
    (Kind.PROGRESS_HEAD, "(", rf"\((?P<seq>\d+)\) ?ความคืบหน้าโครงการฯ? ?ร้อยละ ?(?P<percent>{_NUM})? ?"
     r"(?:\( ?(?P<date>[^)]*?) ?\))? ?$"),
    (Kind.ROUTINE, "*", r"\*+ ?ภารกิจงานประจำของหน่วยงาน[ *%|]*$"),
    (Kind.EVAL, "*", r"\*+ ?สยป\.? ?ประเมินโครงการ ?:? ?ไตรมาสที่ ?(?P<quarter>\d+) ?:? ?(?P<score>.*?) ?$"),
    (Kind.KPI_EVAL, "*", r"\*+ ?สยป\.? ?ตรวจประเมินตัวชี้วัด ?:? ?ไตรมาสที่ ?(?P<quarter>\d+) ?:? ?(?P<score>.*?) ?$"),
    (Kind.PROBLEMS, "*", r"\*+ ?ปัญหาของโครงการ ?:? ?(?P<text>.*)$"),
    (Kind.OBSTACLES, "*", r"\*+ ?อุปสรรคของโครงการ ?:? ?(?P<text>.*)$"),
    (Kind.EVAL_SECTION, "*", r"\*+ ?ผลการประเมินโครงการ ?\(รายไตรมาส\) ?\** ?$"),
    (Kind.SEPARATOR, "-", r"-{3,} ?&&& ?-{3,} ?$"),
    (Kind.UNIT_CODES, "0", r"(?P<unit_code_1>\d{8}) ?/ ?(?P<unit_code_2>\d{8}) ?$"),
    (Kind.ENTRY, "0", r"(?P<date>\d{1,2}/\d{1,2}/\d{2,4}) ?: ?(?P<text>.*)$"),
    (Kind.SCORE_PAIR, "0", rf"(?P<subscore_a>{_NUM}) ?/ ?(?P<subscore_b>{_NUM}) ?$"),
    (Kind.NUMBER, "0", rf"(?P<number>{_NUM}) ?%? ?$"),
    # the project view page (``_viewpage._LABELS`` says which field a label fills)
    (Kind.VIEW_TITLE, "ร", r"รายละเอียดโครงการ/กิจกรรม ?:? ?(?P<project_id>\d{8}-\d+)? ?$"),
    (Kind.CHROME, "ข", r"ข้อมูลโครงการ/กิจกรรม ?(?:พิมพ์ ?PDF)? ?$"),
    (Kind.VIEW_FIELD, "ร", r"(?P<label>รหัสโครงการ) ?(?P<value>\d{8}-\d+) ?$"),
    (Kind.VIEW_FIELD, "P", r"(?P<label>Policy ID) ?(?P<value>\S*) ?$"),
    (Kind.VIEW_FIELD, "B", r"(?P<label>Branch ID) ?(?P<value>\S*) ?$"),
    (Kind.VIEW_FIELD, "K", r"(?P<label>K(?:pi|PI) ID) ?(?P<value>\S*) ?$"),
    (Kind.VIEW_FIELD, "ง", r"(?P<label>งบฯ? ?ที่ได้รับ ?\(บาท\)) ?(?P<value>\S*) ?$"),
    (Kind.VIEW_FIELD, "ง", r"(?P<label>งบฯ? ?ที่ใช้ไป ?\(บาท\)) ?(?P<value>\S*) ?$"),
    (Kind.VIEW_FIELD, "ค", rf"(?P<label>คืบหน้าล่าสุด) ?:? ?(?:ร้อยละ ?)?(?P<value>{_NUM})? ?$"),
    (Kind.VIEW_FIELD, "S", r"(?P<label>Start Date) ?(?P<value>\d{4}-\d{2}-\d{2})?(?:[ T][\d:.]*)? ?$"),
    (Kind.VIEW_FIELD, "F", r"(?P<label>Finish Date) ?(?P<value>\d{4}-\d{2}-\d{2})?(?:[ T][\d:.]*)? ?$"),
    (Kind.VIEW_TEXT, "ป", r"(?P<label>ปี) ?(?P<value>\d{4}) ?$"),
    (Kind.VIEW_TEXT, "ช", r"(?P<label>ชื่อโครงการ) ?(?P<value>.*)$"),
    (Kind.VIEW_TEXT, "ห", r"(?P<label>หน่วยงาน) ?(?P<value>.*)$"),
    (Kind.VIEW_TEXT, "ห", r"(?P<label>หลักการและเหตุผล) ?(?P<value>.+)$"),  # the bare heading is a HEADING
    # the KPI definition page
    (Kind.KPIDEF_TITLE, "โ", r"โครงการจัดทำฐานข้อมูลตัวชี้วัดการพัฒนาเมือง ?(?:\( ?(?P<first_year>\d{4}) ?- ?(?P<last_year>\d{4}) ?\))? ?$"),
    (Kind.DATA_KIND, "ล", r"ลักษณะข้อมูล ?: ?(?P<data_kind>.*)$"),
    (Kind.KPIDEF_SECTION, "0", r"(?P<number>\d{1,2}) ?\. ?(?P<title>(?:นิยาม|วิธีการคำนวณ|เกณฑ์การ|แหล่งข้อมูล|แหล่งที่มา|ความถี่|"
     r"หน่วยงานรับผิดชอบ|ผู้รับผิดชอบ|วิธีการจัดเก็บ|หมายเหตุ)[^:]*?) ?$"),
)

# Patterns anchored at the end, tried when no prefix rule matched.
_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    (Kind.NAME_ID, r"(?P<project_name>.*?) ?: ?(?P<project_id>\d{8}-\d+) ?$"),
    (Kind.KPI_ID, r"(?P<name>.*?) ?: ?(?P<kpi_id>\d{4}-\d{3,}) ?$"),
    # The "** " of a sub-unit stays in the name (the rule strips it): "(?:\*+ ?)?(.*?)"
    # would try every split of a run of stars between the two.
    (Kind.AGENCY_FY, r"(?P<agency>.*?) ?: ?\( ?(?P<year>\d{4}) ?\) ?$"),
    # a numbered name (``๔.``, ``5.2``, ``ปี 2564 ๒.``) and the database's integer id
    (Kind.KPIDEF_ID, r"(?P<name>(?:ปี ?\d{4} ?)?\d{1,3}(?:\.\d{1,3})*(?: ?\. ?| )[^\s\d.].*?) ?: ?(?P<definition_id>\d{1,6}) ?$"),
)


def _bucket_keys(first: str) -> tuple[str, ...]:
    return tuple("0123456789๐๑๒๓๔๕๖๗๘๙") if first == "0" else (first,)


def _group_index() -> dict[str, dict[str, int]]:
    """Kind -> group name -> position in ``Token.groups``; every pattern of a kind
    must name the same groups in the same order."""
    index: dict[str, dict[str, int]] = {}
    patterns = [(kind, pattern) for kind, _, pattern in _PREFIX_RULES] + list(_SUFFIX_RULES)
    for kind, pattern in patterns:
        compiled = re.compile(pattern)
        names = {name: i - 1 for name, i in compiled.groupindex.items()}
        if len(names) != compiled.groups or index.setdefault(kind, names) != names:
            raise ValueError(f"the patterns of {kind!r} must name the same groups, all of them")
    return index


GROUP_INDEX = _group_index()
"""Kind -> group name -> its position in ``Token.groups``."""


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
    # tuple.__new__ skips the NamedTuple's Python-level __new__: ~110 ns less a line,
    # half of what Token(...) costs, on every line of every report
    return tuple.__new__(Token, (kind, kept, line, groups, col))


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


def pure_tokenize(text: str, first_line: int = 1) -> list[Token]:
    """The reference ``tokenize`` of a str: every line normalised by ``_normalize``
    and classified by ``classify``."""
    return [classify(line, n) for n, line in enumerate(_normalize.normalize_lines(text), first_line)]


def tokenize(text: str | Iterable[str], first_line: int = 1) -> list[Token]:
    """Normalise and classify each line of ``text`` (a str split at ``"\n"``, or
    its lines); line numbers start at ``first_line``. The selected implementation
    runs (``_compiled.tokenize``)."""
    if not isinstance(text, str):
        text = "\n".join(text)
    elif type(text) is not str:
        text = str.__str__(text)  # a str subclass: the compiled kernel takes a str
    if not -_C_LINE_LIMIT < first_line < _C_LINE_LIMIT - len(text):
        return pure_tokenize(text, first_line)  # numbers past the kernel's C integer
    return _compiled.tokenize(text, first_line)


_C_LINE_LIMIT = sys.maxsize // 2
"""Line numbers the compiled kernel counts in a C ``Py_ssize_t``; past them (never
in a real file), the reference counts in Python ints."""


# Last: ``_compiled`` imports this module (its reference), and the compiled kernel
# it selects reads this module's tables, so they must all exist by then; whichever
# of the two is imported first, ``tokenize`` finds the selection when it is called.
from . import _compiled  # noqa: E402
