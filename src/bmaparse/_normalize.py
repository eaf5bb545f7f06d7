"""Repair one line of Thai text: Unicode form, typing slips, invisible characters, spaces.

Strategy
--------
Almost every line is already clean, so the work is split in two:

* ``needs_repair`` is the fast path: one precompiled regex search plus
  ``unicodedata.is_normalized`` (a quick check, nearly free on Thai).
  ``normalize_line`` returns its argument itself when it says no.
* ``_repair`` is the slow path, a few linear passes in this order:

  1. Delete zero-width characters (ZWSP, ZWNJ, ZWJ, WORD JOINER, BOM, SOFT
     HYPHEN); they can hide a slip (``ท่<ZWSP>ี``) or split a space run.
  2. Put a CGJ after 30 combining marks in a row (UAX #15 "stream-safe"):
     CPython's NFC sorts marks by insertion, quadratic on a long unsorted run.
     Real text has a handful at most; this only bounds the time.
  3. Every other whitespace run (NBSP, U+2000-U+200A, U+3000, tab, double
     space) becomes one plain space; strip both ends.
  4. ``ํ`` + tones + ``า`` -> tones + ``ำ`` (``สํานัก`` == ``สำนัก``; ``น้ำ`` is
     น U+0E49 U+0E33).
  5. NFC, only if the line is not NFC (it also puts a tone after a *below*
     vowel, whose combining class is lower).
  6. Repair each "mark run" (a maximal run of vowel signs, tone marks,
     ``ะาำ`` and other combining marks) that holds a slip: a tone before an
     above/below vowel, a tone after ``ะ``/``า``/``ำ``, the same vowel sign or
     tone twice in a row, ``ำา``. In such a run the tones go after the vowel
     signs and before the first of ``ะาำ`` (the only legal place), repeats are
     dropped and ``ำา`` becomes ``ำ``. The part before ``ะาำ`` is put in
     canonical order, so the run stays NFC and holds no slip: the output is a
     fixed point (``normalize_line`` is idempotent, ``needs_repair`` is False).
  7. NFC again if step 6 moved a tone past a non-Thai mark (never on real text).

Rules kept: digits (Thai or Arabic), ASCII, punctuation and every line without
a slip come out identical; every regex runs in linear time (no nested
quantifiers; a run is found from a slip and scanned once).

Against ``pythainlp.util.normalize`` (same output on the slips above; checked
in the tests). On purpose we do not: join ``เเ`` into ``แ``, read ``ๅ`` as
``า``, drop marks dangling at the start or after a space, drop a space before a
mark, move a thanthakhat, collapse repeated ``า``/``ะ``, or keep only the last
of two *different* tones (it does; which tone was meant is a guess, and these
are field values, not search keys). We do, unlike it: drop ``า`` after ``ำ``
(it leaves ``ดำาเนินงาน``), remove ZWJ/WORD JOINER/BOM/SOFT HYPHEN, turn NBSP
and other spaces into a space, and give the same answer when run twice (it
turns ``กา่า่`` into ``ก่า่า``, which it would change again).
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import unicodedata
from functools import lru_cache

import regex

__all__ = ["needs_repair", "normalize_line", "normalize_lines", "without_surrogates"]

_TONES = "\u0e48-\u0e4b"  # mai ek, mai tho, mai tri, mai chattawa
_VOWELS = "\u0e31\u0e34-\u0e3a\u0e47"  # above/below vowels, phinthu, maitaikhu
_FOLLOW = "\u0e30\u0e32\u0e33"  # sara a, sara aa, sara am: a tone never follows
# Removed outright: ZWSP, ZWNJ, ZWJ, WORD JOINER, BOM, SOFT HYPHEN.
_ZERO_WIDTH = "\u00ad\u200b-\u200d\u2060\ufeff"
# Whitespace (``str.isspace``) other than the plain space: becomes a space.
_ODD_SPACE = "\t-\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# A Thai slip, matched at a tone, vowel sign or sara am; lookbehinds tell which.
# One leading class, then one branch per position: about 20 ns a character on
# Thai text, 1.7x faster than the plain alternation (``[T][V]|[F][T]|...``).
_SLIP = (
    f"(?<=[{_TONES}])(?:[{_VOWELS}]"  # ท่ี: tone typed before its vowel
    f"|(?<=[{_FOLLOW}].)"  # หนา้, ำ่: tone typed after ะ/า/ำ
    "|(?<=(?P<tone>.))(?P=tone))"  # a tone typed twice
    f"|(?<=(?P<vowel>[{_VOWELS}]))(?P=vowel)"  # a vowel sign typed twice
    "|(?<=\u0e33)\u0e32"  # ดำา: stray sara aa after sara am
)
_SLIP_RE = re.compile(f"[{_TONES}{_VOWELS}\u0e33](?:{_SLIP})")
_NEEDS_REPAIR = re.compile(
    f"[{_ZERO_WIDTH}{_ODD_SPACE} {_TONES}{_VOWELS}\u0e33\u0e4d](?:"
    f"(?<=[{_ZERO_WIDTH}{_ODD_SPACE}])"  # invisible character, NBSP, tab ...
    f"|{_SLIP}"
    "|(?<= )(?:\\s|\\Z|(?<=\\A.))"  # double, trailing or leading space
    f"|(?<=\u0e4d)[{_TONES}]*\u0e32)"  # สํา, ํ่า: nikhahit + sara aa
)

# The whole-text check. Each search finds a superset of what needs_repair finds
# in any line and says where. A slip (a mark typed out of order or twice, ``ำา``,
# nikhahit) is repaired in its cluster alone: the text between the Thai
# consonants or plain spaces around it. No rule moves, joins, drops or composes
# with a consonant, and a plain space is only ever touched when it is doubled,
# leading or trailing (found by the line searches), so repairing the cluster and
# repairing its line give the same line. Anything else (an invisible character,
# an odd or doubled space) sends its whole line through normalize_line; a text
# that is not NFC goes line by line. The searches are kept simple on purpose: a
# plain class or a literal is scanned in C at a few ns a character; one pattern
# holding them all costs more than the sum (every position tries every branch).
_ODD_SPACE_NOT_NL = _ODD_SPACE.replace("\t-\r", "\t\x0b-\r")  # "\n" separates lines here
_SLIP_TRIGGERS = (
    re.compile(f"[{_TONES}{_FOLLOW}][{_TONES}{_VOWELS}]"),  # tone before vowel, after ะาำ, twice
    re.compile(f"[{_VOWELS}][{_VOWELS}]"),  # a vowel sign twice
    re.compile("\u0e33\u0e32"),  # ดำา
    re.compile("\u0e4d"),  # nikhahit: สํา
)
_LINE_TRIGGERS = (
    re.compile(f"[{_ZERO_WIDTH}{_ODD_SPACE_NOT_NL}]"),  # invisible character, odd space
    re.compile("  "),  # a doubled space
    re.compile("\n "),  # a leading space
    re.compile(" \n"),  # a trailing space
)


_ZERO_WIDTH_RE = re.compile(f"[{_ZERO_WIDTH}]+")
_SPACES_RE = re.compile(r"[^\S ]\s*| \s+")  # any whitespace run but a lone space
_NIKHAHIT_AA_RE = re.compile(f"\u0e4d([{_TONES}]*)\u0e32")
_TONE_RE = re.compile(f"[{_TONES}]+")
_FOLLOW_RE = re.compile(f"[{_FOLLOW}]")
_STRAY_AA_RE = re.compile("\u0e33\u0e32+")
_DOUBLED_RE = re.compile(f"([{_VOWELS}{_TONES}])\\1+")
_FIRST_GROUP = operator.itemgetter(1)  # a replacement in C: a "\\1" template costs a Python call
# A mark run: Thai vowel signs, tones, ะาำ, and any combining mark NFC may
# reorder (``\P{ccc=0}``), so that repairing a run leaves it in canonical order
# and no later NFC pass can move a tone back next to a vowel.
_MARK = f"{_VOWELS}{_TONES}{_FOLLOW}\\P{{ccc=0}}"
_RUN_START_RE = regex.compile(f"(?r)[{_MARK}]*")  # matched backwards from a slip
_RUN_END_RE = regex.compile(f"[{_MARK}]*")
# UAX #15 stream-safe format: a CGJ after 30 non-starters in a row. CPython's
# NFC sorts marks by insertion, quadratic on a long unsorted run; real text
# never has more than a handful.
_LONG_MARK_RUN_RE = regex.compile(r"\P{ccc=0}{30}(?=\P{ccc=0})")


def needs_repair(s: str) -> bool:
    """Tell whether :func:`normalize_line` would change ``s``.

    False means ``s`` is already normal. True is a cheap over-approximation
    only in theory: every pattern it looks for is one the slow path removes.
    """
    return _NEEDS_REPAIR.search(s) is not None or not unicodedata.is_normalized("NFC", s)


def normalize_line(s: str) -> str:
    """Return one line of (Thai) text repaired; ``s`` itself when nothing needs it.

    NFC; ``ํา`` -> ``ำ``; tone marks put after above/below vowels and before
    ``ะาำ``; repeated marks and ``า`` after ``ำ`` dropped; zero-width characters
    removed; whitespace runs turned into one space and both ends stripped.
    Digits, ASCII, punctuation and correct Thai are never changed.

    >>> normalize_line("เจ้าหนา้ที่  สํานัก")
    'เจ้าหน้าที่ สำนัก'
    """
    return _repair(s) if needs_repair(s) else s


def _repair(s: str) -> str:
    """Apply every rule to ``s`` (the slow path; see the module comment)."""
    s = _ZERO_WIDTH_RE.sub("", s)
    if len(s) > 30:  # (a template replacement costs a Python call: skip it when it can't apply)
        s = _LONG_MARK_RUN_RE.sub("\\g<0>\u034f", s)
    s = _SPACES_RE.sub(" ", s).strip(" ")
    if "\u0e4d" in s:
        s = _NIKHAHIT_AA_RE.sub("\\1\u0e33", s)
    if not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    s = _repair_runs(s)
    if not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    return s


def _repair_runs(s: str) -> str:
    """Repair every mark run holding a slip; each character is scanned once."""
    parts: list[str] = []
    done = 0
    for slip in _SLIP_RE.finditer(s):
        if slip.start() < done:  # inside the run just repaired
            continue
        start: int = _RUN_START_RE.match(s, done, slip.start()).start()
        end: int = _RUN_END_RE.match(s, slip.start()).end()
        parts += (s[done:start], _repair_run(s[start:end]))
        done = end
    parts.append(s[done:])
    return "".join(parts)


def _repair_run(run: str) -> str:
    """Rewrite one mark run holding a slip as head + tones + tail.

    The head (what precedes the first of ``ะาำ``) keeps its vowel signs and
    other marks, gets every tone of the run appended, and is put in canonical
    order, which places the tones after every vowel sign. The tail keeps its
    order without tones, with ``ำา`` -> ``ำ``. Then repeated marks are dropped.
    """
    tones = "".join(_TONE_RE.findall(run))
    rest = _TONE_RE.sub("", run)
    follow = _FOLLOW_RE.search(rest)
    cut = follow.start() if follow else len(rest)
    head = unicodedata.normalize("NFC", rest[:cut] + tones)
    tail = _STRAY_AA_RE.sub("\u0e33", rest[cut:])
    return _DOUBLED_RE.sub(_FIRST_GROUP, head + tail)


def _hits(patterns: tuple[re.Pattern[str], ...], text: str) -> list[int]:
    """Positions of the first and last character of every match."""
    return [pos for p in patterns for m in p.finditer(text) for pos in (m.start(), m.end() - 1)]


def normalize_lines(text: str) -> list[str]:
    """``text`` split at ``"\n"`` with every line normalised (:func:`normalize_line`).

    A few searches over the whole text, and one NFC quick-check, find the lines
    (or clusters) that may need work; most texts have none and cost just that.
    """
    lines = text.split("\n")
    if not unicodedata.is_normalized("NFC", text):
        return [normalize_line(line) for line in lines]
    line_hits = _hits(_LINE_TRIGGERS, text)
    if text.startswith(" "):
        line_hits.append(0)
    if text.endswith(" "):
        line_hits.append(len(text) - 1)
    slip_hits = _hits(_SLIP_TRIGGERS, text)
    if not line_hits and not slip_hits:
        return lines
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    whole = {bisect.bisect_right(starts, pos) - 1 for pos in line_hits}
    for i in whole:
        lines[i] = normalize_line(lines[i])
    spots: dict[int, list[int]] = {}
    for pos in slip_hits:
        i = bisect.bisect_right(starts, pos) - 1
        if i not in whole:
            spots.setdefault(i, []).append(pos - starts[i])
    for i, offsets in spots.items():
        lines[i] = _repair_clusters(lines[i], offsets)
    return lines


_CLUSTER_START_RE = regex.compile("(?r)[\u0e01-\u0e2e ]")  # searched backwards from a slip
_CLUSTER_END_RE = re.compile("[\u0e01-\u0e2e ]")


# A cluster is a few characters, and the same slips recur across an archive
# (นา้, ท่ี, ดำา): most repairs are a cache hit. Only short ones are kept, so the
# cache stays small whatever the input.
_normalize_short = lru_cache(maxsize=4096)(normalize_line)


def _normalize_cluster(cluster: str) -> str:
    return _normalize_short(cluster) if len(cluster) <= 16 else normalize_line(cluster)


def _repair_clusters(line: str, offsets: list[int]) -> str:
    """``line`` with the clusters holding ``offsets`` normalised (the line's only
    problems are slips inside those clusters)."""
    parts: list[str] = []
    done = 0
    for offset in sorted(offsets):
        if offset < done:  # in the cluster just repaired
            continue
        before = _CLUSTER_START_RE.search(line, done, offset + 1)
        start = done if before is None else before.start() + (line[before.start()] == " ")
        after = _CLUSTER_END_RE.search(line, offset + 1)
        end = len(line) if after is None else after.start()
        parts += (line[done:start], _normalize_cluster(line[start:end]))
        done = end
    parts.append(line[done:])
    return "".join(parts)


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD, ``text`` itself when it has
    none. They occur in a Python str (undecodable file names, hand-made strings),
    never in decoded text, and cannot go into UTF-8, Arrow, JSON or CSV."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text
