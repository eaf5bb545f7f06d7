"""Values: pieces of (already normalised) line text -> typed values.

Strategy: small pure functions, one per kind of value (numbers, dates, fiscal
years, money, contact lines), each taking a ``str`` and returning a value or
None. They run once or more per line of millions of reports, so:

- Every pattern is compiled once, here, and written so it cannot backtrack
  badly: no two adjacent quantifiers can take the same character, and every
  repeated group starts with a character its neighbours cannot take. Each
  function runs in linear time even on a megabyte of adversarial text.
- Thai digits are mapped to ASCII first (``str.translate``, same length, so
  match offsets are offsets into the caller's text); the patterns then use
  ``[0-9]``, never ``\\d`` (which would also take Arabic-Indic or other digits).
- Money and measures are ``Decimal``, never ``float``.
- Every function is total: bad input gives None (or a problem code), never an
  exception. Pythainlp is not imported here: it is slow to import and these
  rules need none of it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

THAI_DIGITS: dict[int, int] = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
"""``str.translate`` table: Thai digits ๐-๙ -> ASCII 0-9."""


_THAI_DIGIT = re.compile("[๐-๙]")


def pure_to_ascii_digits(s: str) -> str:
    """``s`` with Thai digits replaced by ASCII digits; same length as ``s`` (the
    reference of the compiled ``to_ascii_digits``; this module's last lines pick)."""
    # translate() looks every character up in a dict; a search for a Thai
    # digit is ~10x cheaper on a Thai line, and most lines have none.
    return s.translate(THAI_DIGITS) if _THAI_DIGIT.search(s) else s


# --- numbers and dates -------------------------------------------------------------

# Thousands separators only in well-formed groups ("1,324,600", not "1,32,4600").
# A trailing ".-" (the Thai way of writing a whole amount, "15,000.-") is accepted.
_NUMBER = re.compile(r"(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+)|\.-)?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SLASH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})")
_BE_OFFSET = 543
_BE_FROM = 2400  # a written year >= this is Buddhist Era (2400 BE = 1857 CE)


@lru_cache(maxsize=4096)  # pure, immutable result; archives repeat values endlessly
def parse_number(s: str) -> Decimal | None:
    """A decimal number as written, keeping its scale (``"100.00"`` -> ``Decimal("100.00")``).

    Accepts Thai digits, surrounding whitespace, a leading ``-``, well-formed
    thousands separators and a trailing ``.-``. Anything else (``"-"``, ``""``,
    ``"1.2.3"``, ``"1,2345"``, exponents) gives None.
    """
    if not isinstance(s, str):
        return None
    m = _NUMBER.fullmatch(to_ascii_digits(s).strip())
    if m is None:
        return None
    sign, whole, frac = m.groups()
    digits = whole.replace(",", "")
    return Decimal(f"{sign}{digits}.{frac}" if frac else f"{sign}{digits}")


MAX_WHOLE_DIGITS = 9
"""Most significant digits ``parse_whole`` reads: every such number fits an int32
column, and ``int()`` refuses a text of more than 4,300 digits with ValueError."""


def parse_whole(s: str) -> int | None:
    """A whole number written with decimal digits only (Thai, ASCII or any script's),
    or None: for any other text, and for more than ``MAX_WHOLE_DIGITS`` digits
    after the leading zeros (``"0007"`` -> 7; ``"1" * 5000`` -> None)."""
    if not isinstance(s, str):
        return None
    digits = to_ascii_digits(s).strip()
    if not digits.isdecimal():
        return None
    significant = digits.lstrip("0") or "0"  # int() counts leading zeros against its limit
    return int(significant) if len(significant) <= MAX_WHOLE_DIGITS else None


def shown(value: object, limit: int = 60) -> str:
    """``value`` as a diagnostic message shows it: its repr, or for a long one its
    first characters and its length (a message never holds a megabyte of digits)."""
    text = str(value)
    if len(text) <= limit:
        return repr(value) if isinstance(value, str) else text
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # pure, immutable result; archives repeat values endlessly
def parse_iso_date(s: str) -> date | None:
    """``"2023-04-27"`` -> ``date(2023, 4, 27)``; anything else (or an impossible date) -> None."""
    if not isinstance(s, str):
        return None
    m = _ISO_DATE.fullmatch(to_ascii_digits(s).strip())
    return _date(int(m[1]), int(m[2]), int(m[3])) if m else None


@dataclass(frozen=True, slots=True)
class DateResult:
    """An entry date as read, and what was assumed to read it."""

    value: date | None
    """The date (Gregorian); None when no reading is a valid date."""
    problem: str | None
    """None, ``ambiguous-date`` (read, but another reading was possible or the
    expected one was invalid) or ``bad-date`` (nothing valid)."""
    message: str | None
    """English: what was assumed. None when ``problem`` is None."""

    @property
    def severity(self) -> Literal["error", "warning"]:
        """The severity of ``problem``'s diagnostic: ``error`` when no date was read
        (``bad-date``), else ``warning``."""
        return "error" if self.problem == "bad-date" else "warning"


@lru_cache(maxsize=4096)  # pure, immutable result; archives repeat values endlessly
def parse_entry_date(raw: str, near: date | None = None) -> DateResult:
    """Read an entry date such as ``27/04/2566`` (D/M/Buddhist Era) or ``1/31/2021`` (M/D/Gregorian).

    A year >= 2400 is Buddhist Era read day/month; a smaller year is Gregorian
    read month/day; a two-digit year is BE 25yy (always ``ambiguous-date``).
    When the expected order is not a valid date and the other is, the other is
    used (``ambiguous-date``). When both are valid and differ, the one nearer
    ``near`` (the block's reporting date) wins, ``ambiguous-date`` if it is not
    the expected one, and always for Gregorian years (M/D against D/M is never
    certain there); BE day/month is the system's norm and is not flagged.
    """
    text = to_ascii_digits(raw).strip() if isinstance(raw, str) else ""
    m = _SLASH_DATE.fullmatch(text)
    if m is None:
        return DateResult(None, "bad-date", f"{raw!r} is not a date of the form D/M/YYYY")
    a, b, written = int(m[1]), int(m[2]), m[3]
    assumed: list[str] = []  # what was assumed to read the date, for the message
    year = int(written)
    if len(written) == 2:
        year += 2500
        assumed.append(f"{text}: two-digit year read as Buddhist Era {year}")
    buddhist = year >= _BE_FROM
    if buddhist:
        year -= _BE_OFFSET
        expected, other = _date(year, b, a), _date(year, a, b)
        names = ("day/month", "month/day")
    else:
        expected, other = _date(year, a, b), _date(year, b, a)
        names = ("month/day", "day/month")
    if isinstance(near, datetime):
        near = near.date()
    elif not isinstance(near, date):
        near = None
    value = expected
    if expected is None and other is None:
        return DateResult(None, "bad-date", f"{text} is not a valid date as day/month or month/day")
    if expected is None:
        value = other
        assumed.append(f"{text} read as {names[1]} ({other}); {names[0]} is not a valid date")
    elif other is not None and other != expected:
        if near is not None and abs((other - near).days) < abs((expected - near).days):
            value = other
            assumed.append(f"{text} read as {names[1]} ({other}), nearer the report date {near}; "
                         f"{names[0]} ({expected}) also possible")
        elif not buddhist:  # M/D vs D/M in a Gregorian date: never certain, so always said
            why = f", nearer the report date {near}" if near is not None else ""
            assumed.append(f"{text} read as {names[0]} ({expected}){why}; {names[1]} ({other}) also possible")
    if assumed:
        return DateResult(value, "ambiguous-date", "; ".join(assumed))
    return DateResult(value, None, None)


def fiscal_year_be_of(d: date) -> int:
    """The Thai fiscal year (Buddhist Era) holding ``d``: FY N runs 1 Oct N-544 .. 30 Sep N-543."""
    return d.year + _BE_OFFSET + (1 if d.month >= 10 else 0)


# "ปีงบประมาณ พ.ศ. 2566", "ปีงบประมาณ พ.ศ.2566", "ปีงบประมาณ 2566", "ปีงบฯ 2566".
# Each optional piece starts with a character the previous one cannot take.
_FISCAL_YEAR = re.compile(
    r"ปีงบ(?:ประมาณ)?ฯ?\s*(?:\.\s*)?(?:พ\s*(?:\.\s*)?ศ\s*(?:\.\s*)?)?([0-9]{4})(?![0-9])"
)
_FY_RANGE = range(2400, 2701)


def fiscal_year_in_text(s: str) -> int | None:
    """The first plausible (2400..2700) Buddhist-Era year after ``ปีงบประมาณ`` in ``s``, else None."""
    if not isinstance(s, str):
        return None
    for m in _FISCAL_YEAR.finditer(to_ascii_digits(s)):
        year = int(m[1])
        if year in _FY_RANGE:
            return year
    return None


# --- money ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of baht found in text."""

    start: int
    """Offset of the amount in the text given to ``find_money``."""
    end: int
    """Offset just past its unit."""
    label: str | None
    """The words before the amount (``งบประมาณที่ใช้``); None when there are none."""
    amount: Decimal
    """Baht, quantized to 0.01 (``1.5 ล้านบาท`` -> ``Decimal("1500000.00")``)."""
    raw: str
    """The amount as written, unit included (``1,324,600 บาท``)."""


_MULTIPLIERS = {"พันล้าน": 10**9, "ล้าน": 10**6, "แสน": 10**5, "หมื่น": 10**4, "พัน": 10**3}
# Not inside another number (lookbehinds); number; optional ".-"; spaces; optional
# multiplier word (its own spaces only after it); then บาท. No right boundary:
# "บาท" glued to the next word still counts when it directly follows the number.
_BAHT = "บาท"
_AMOUNT_SPACES = " \t\u00a0"
"""The spaces allowed between a number, its multiplier word and the unit."""
_AMOUNT_PATTERN = re.compile(
    r"(?<![0-9])(?<![0-9][.,])([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?(?:\.-)?"
    rf"[{_AMOUNT_SPACES}]*(?:(" + "|".join(_MULTIPLIERS) + rf")[{_AMOUNT_SPACES}]*)?{_BAHT}"
)
CENT = Decimal("0.01")
_AMOUNT_MAX = Decimal(10) ** 16  # amount_thb is decimal(18, 2)
_AMOUNT_CONTEXT = Context(prec=60)
_LABEL_STOPS = ":(,\n\r"
_LABEL_TRIM = " \t\u00a0=-–—:;.…*•\"'“”‘’)"
# Connector words between a label and its amount, dropped from the label's end
# (repeatedly, longest first). "รวมเป็นเงิน" keeps "รวม" (a total), "ทั้งสิ้น" goes
# ("งบประมาณทั้งสิ้น" -> "งบประมาณ"). "ประมาณ" is deliberately absent: งบประมาณ ends in it.
_CONNECTORS = (
    "เป็นจำนวนเงิน", "คิดเป็นเงิน", "เป็นจำนวน", "จำนวนเงิน", "เป็นเงิน", "ทั้งสิ้น", "คิดเป็น", "จำนวน",
)


def pure_find_money(text: str) -> list[Money]:
    """Every amount of baht in ``text``, in order (the reference of the compiled
    ``find_money``; this module's last lines pick).

    An amount is a number (Thai or ASCII digits, well-formed thousands
    separators, optional decimals or ``.-``) followed by ``บาท``, optionally with a
    multiplier word between (``ล้าน`` x 10^6, also ``พันล้าน``, ``แสน``, ``หมื่น``, ``พัน``),
    spaces allowed but not line breaks. Amounts of 10^16 baht or more (they do
    not fit ``decimal(18,2)``) are skipped.

    The label is the text before the amount back to the previous amount, ``:``,
    ``(``, ``,`` or a line break, without trailing connector words (จำนวน,
    จำนวนเงิน, เป็นเงิน, ...) and punctuation, reduced to its last
    whitespace-separated chunk (a Thai phrase).
    """
    if not isinstance(text, str) or _BAHT not in text:  # the unit ends every amount
        return []
    found: list[Money] = []
    previous_end = 0
    for m in _AMOUNT_PATTERN.finditer(to_ascii_digits(text)):
        amount = _amount(m[1].replace(",", ""), m[2], m[3])
        if amount is None:
            continue
        label = _label(text, previous_end, m.start())
        found.append(Money(m.start(), m.end(), label, amount, text[m.start() : m.end()]))
        previous_end = m.end()
    return found


def _amount(whole: str, frac: str | None, multiplier: str | None) -> Decimal | None:
    if len(whole) + len(frac or "") > 40:
        return None
    value = Decimal(f"{whole}.{frac}" if frac else whole)
    if multiplier:
        value = _AMOUNT_CONTEXT.multiply(value, Decimal(_MULTIPLIERS[multiplier]))
    try:
        value = value.quantize(CENT, rounding=ROUND_HALF_UP, context=_AMOUNT_CONTEXT)
    except InvalidOperation:  # pragma: no cover - excluded by the length check
        return None
    return value if value < _AMOUNT_MAX else None


def _label(text: str, lo: int, hi: int) -> str | None:
    segment = text[lo:hi]
    cut = max(segment.rfind(c) for c in _LABEL_STOPS)
    segment = segment[cut + 1 :].strip(_LABEL_TRIM)
    end = len(segment)  # connectors dropped by moving the end: a copy per word was quadratic
    stripped = True
    while stripped:
        stripped = False
        for word in _CONNECTORS:
            if segment.endswith(word, 0, end):
                end -= len(word)
                while end and segment[end - 1] in _LABEL_TRIM:
                    end -= 1
                stripped = True
                break
    chunks = segment[:end].rsplit(None, 1)
    label = chunks[-1].strip(_LABEL_TRIM) if chunks else ""
    return label or None


# --- contact lines ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    """The contact line of a report, taken apart."""

    title: str | None
    """นาย, นาง, นางสาว (``น.ส.``, ``นส.`` -> นางสาว), คุณ, ดร., ว่าที่ร้อยตรี, นายแพทย์, แพทย์หญิง."""
    name: str | None
    """First and last name of the first person, single-spaced, without title."""
    unit: str | None
    """The unit or role on the line (ฝ่าย..., a position in brackets); None if none."""
    phone: str | None
    """Phone numbers, ranges and extensions as written, ASCII digits; several joined by ``", "``."""


# (as written, canonical). Order matters: longer forms first. Each may carry
# words that, glued after it, make a job title rather than a person (นายช่าง).
_TITLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ว่าที่ร้อยตรีหญิง", "ว่าที่ร้อยตรีหญิง", ()),
    ("ว่าที่ ร.ต.หญิง", "ว่าที่ร้อยตรีหญิง", ()),
    ("ว่าที่ร.ต.หญิง", "ว่าที่ร้อยตรีหญิง", ()),
    ("ว่าที่ร้อยตรี", "ว่าที่ร้อยตรี", ()),
    ("ว่าที่ ร.ต.", "ว่าที่ร้อยตรี", ()),
    ("ว่าที่ร.ต.", "ว่าที่ร้อยตรี", ()),
    ("นายแพทย์", "นายแพทย์", ()),
    ("นพ.", "นายแพทย์", ()),
    ("แพทย์หญิง", "แพทย์หญิง", ()),
    ("พญ.", "แพทย์หญิง", ()),
    ("ดร.", "ดร.", ()),
    ("นางสาว", "นางสาว", ()),
    ("น.ส.", "นางสาว", ()),
    ("น.ส", "นางสาว", ()),
    ("นส.", "นางสาว", ()),
    ("นาง", "นาง", ("พยาบาล",)),
    ("นาย", "นาย", ("ช่าง", "ตรวจ", "ทะเบียน", "อำเภอ", "กรัฐมนตรี", "กเทศมนตรี", "กสมาคม",
                    "ทหาร", "ตำรวจ", "หน้า", "ด่าน", "เวร", "ประตู")),
    ("คุณ", "คุณ", ("ภาพ", "ธรรม", "ค่า", "สมบัติ", "วุฒิ", "ลักษณะ", "ประโยชน์", "ความ")),
)
_TITLE_CANON = {written: canon for written, canon, _ in _TITLES}
# A name cannot start with a vowel sign or tone mark: "นางสาวิตรี" is นาง + สาวิตรี.
_NOT_INITIAL = "\u0e2f\u0e30-\u0e3a\u0e45-\u0e4e"
_TITLE_ALTS = "|".join(
    re.escape(w) + (f"(?!{'|'.join(no)})" if no else "") for w, _, no in _TITLES
)
_TITLE = rf"(?:{_TITLE_ALTS})(?![{_NOT_INITIAL}])"
_TITLE_AT = re.compile(f"({_TITLE})")
_TITLE_ANYWHERE = re.compile(rf"(?:^|(?<=[\s(,/:;])|(?<=และ))({_TITLE})")
# Words that start a unit or role and never a surname.
_STRONG_UNIT = ("ฝ่าย", "กลุ่มงาน", "สำนักงาน", "สำนัก", "ศูนย์", "โรงเรียน", "หน่วย",
                "เจ้าหน้าที่", "ผู้อำนวยการ", "ผอ.", "หัวหน้า")
# Words that start a unit or role (some also start surnames: กองแก้ว).
_UNIT_WORDS = (*_STRONG_UNIT, "กอง", "ส่วน", "งาน", "กลุ่ม", "นัก", "ครู", "ปลัด", "รอง", "ผู้",
               "เจ้าพนักงาน", "พนักงาน", "เลขานุการ", "โรงพยาบาล", "สถานี", "เขต", "แขวง",
               *(w + x for w, _, no in _TITLES for x in no))
# One name chunk: no space, bracket, separator or digit; stops before "และ"+title
# and before a unit word glued to it ("ใจดีฝ่ายโยธา").
_CHUNK = rf"(?:(?!และ ?{_TITLE}|{'|'.join(map(re.escape, _STRONG_UNIT))})[^\s,()/:;0-9])+"
_NAME = re.compile(rf" ?({_CHUNK})(?: ({_CHUNK}))?")
_THAI_WORD = re.compile(r"[\u0e01-\u0e4e]+")
_PERSON_SPLIT = re.compile(rf",|(?:และ|/) ?(?={_TITLE})")
_SEP = " ,/:;|*#-–—"

_PHONE_WORDS = ("เบอร์โทรศัพท์ภายใน", "เบอร์โทรศัพท์", "เบอร์โทรภายใน", "เบอร์ภายใน", "เบอร์โทร",
                "เบอร์", "โทรศัพท์มือถือ", "โทรศัพท์ภายใน", "โทรศัพท์", "โทรภายใน", "โทรสาร", "โทร",
                "มือถือ", "หมายเลข")
# ต่อ ("extension") and ติดต่อ ("contact") also end ordinary words
# (กองควบคุมโรคติดต่อ), so they mark a phone only at a word start.
_PHONE_MARK = (
    rf"(?:{'|'.join(_PHONE_WORDS)}|(?<![\u0e01-\u0e4e])(?:ติดต่อ|ต่อ)|(?i:tel|phone|mobile|fax))"
)
_PHONE_SEP = r"(?: ?[-,/#] ?| ?ต่อ\.? ?| )"
# A phone is a digit run after a marker (โทร., ต่อ, #), or without one a run of
# 3+ digits or digit groups joined by separators ("0 2282 4196", "5884,5885").
_PHONE = re.compile(
    rf"(?:{_PHONE_MARK}[ .:]*|#[ ]?)([0-9]+(?:{_PHONE_SEP}[0-9]+)*)"
    rf"|([0-9]+(?:{_PHONE_SEP}[0-9]+)+|[0-9]{{3,}})"
)
_EMPTY_BRACKETS = re.compile(r"\(\s*\)")
_DANGLING_MARK = re.compile(rf"(?:^|(?<= )){_PHONE_MARK}[ .:#-]*$")


@lru_cache(maxsize=4096)  # pure, immutable result; archives repeat values endlessly
def parse_contact(line: str) -> Contact:
    """Take a contact line apart: title, name of the first person, unit or role, phone.

    Phones (with their marker words ``โทร.``, ``เบอร์โทรภายใน``, ``ต่อ``, ``#``, ``/``,
    brackets) come out first, so a comma between phone numbers is never a second
    person. The first title at a word start begins the person (``นายช่าง...`` and
    other job titles are roles, not นาย + name); the next chunk is the surname
    unless it starts a unit. Later people (after ``และ``, ``,``, ``/``) are dropped;
    every other word (before the person, after them, in brackets) is the unit.
    A line with no title is a unit, unless it starts with two Thai words that
    are not unit words: then those are an untitled name.
    """
    if not isinstance(line, str):
        return Contact(None, None, None, None)
    line = to_ascii_digits(line).replace("\u0e4d\u0e32", "\u0e33")  # สํา -> สำ
    text, phone = _take_phones(" ".join(line.split()))
    title = name = None
    pieces: list[str] = []
    found = _TITLE_ANYWHERE.search(text)
    if found is not None:
        title = _TITLE_CANON[found[1]]
        pieces.append(_clean_unit(text[: found.start()]))
        name, end = _name_at(text, found.end())
        pieces.extend(_unit_pieces(text[end:]))
    else:
        text = text.strip(_SEP)
        m = _untitled_name(text)
        if m is not None:
            name = f"{m[1]} {m[2]}"
            pieces.extend(_unit_pieces(text[m.end() :]))
        else:
            pieces.append(_clean_unit(text))
    unit = " ".join(p for p in pieces if p) or None
    return Contact(title, name, unit, phone)


def _take_phones(text: str) -> tuple[str, str | None]:
    """The text without its phone numbers and their markers, and the phones."""
    phones: list[str] = []
    kept: list[str] = []
    pos = 0
    for m in _PHONE.finditer(text):
        phones.append(m[1] or m[2])
        kept.append(text[pos : m.start()])
        pos = m.end()
    kept.append(text[pos:])
    rest = _EMPTY_BRACKETS.sub(" ", " ".join(kept))  # "(โทร. 6822-3 )" leaves "( )"
    rest = " ".join(rest.split())
    rest = _DANGLING_MARK.sub("", rest)
    return rest, ", ".join(phones) or None


def _name_at(text: str, pos: int) -> tuple[str | None, int]:
    """The name after a title ending at ``pos``, and where it ends."""
    m = _NAME.match(text, pos)
    if m is None:
        return None, pos
    return (f"{m[1]} {m[2]}" if m[2] else m[1]), m.end()


def _untitled_name(text: str) -> re.Match[str] | None:
    """Two Thai words at the start of ``text`` that are not unit words: a name without title."""
    m = _NAME.match(text)
    if (m is None or m[2] is None or text.startswith(_UNIT_WORDS) or m[2].startswith(_UNIT_WORDS)
            or not _THAI_WORD.fullmatch(m[1]) or not _THAI_WORD.fullmatch(m[2])):
        return None
    return m


def _unit_pieces(text: str) -> list[str]:
    """Unit words in the text after a person, other people dropped."""
    pieces = []
    for k, part in enumerate(_PERSON_SPLIT.split(text)):
        part = part.strip(_SEP)
        if not part:
            continue
        title = _TITLE_AT.match(part)
        if title is not None:
            part = part[_name_at(part, title.end())[1] :]
        elif k > 0 and (m := _untitled_name(part)) is not None:  # an untitled second person
            part = part[m.end() :]
        pieces.append(_clean_unit(part))
    return pieces


def _clean_unit(text: str) -> str:
    """Trim separators, a leading และ, and brackets around or left unbalanced."""
    text = text.strip(_SEP)
    if text.startswith("และ"):
        text = text[3:].strip(_SEP)
    if text.startswith("(") and text.find(")") == len(text) - 1:
        text = text[1:-1]
    elif text.count("(") != text.count(")"):
        text = " ".join(text.replace("(", " ").replace(")", " ").split())
    return text.strip(_SEP)


# --- what an amount is -------------------------------------------------------------------

BUDGET_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("disbursed", ("เบิกจ่าย", "เบิกเงิน", "เบิก")),
    ("spent", ("ใช้ไป", "ใช้จ่าย", "ที่ใช้", "ใช้งบ", "ใช้เงิน", "ใช้")),
    ("allocated", ("ได้รับจัดสรร", "จัดสรร", "ได้รับ", "งบประมาณ", "งบฯ", "วงเงิน", "งบ")),
)
"""(kind, words): the first kind one of whose words the label holds. Disbursed before
spent before allocated, as a label may say both (``งบประมาณที่ใช้`` is spent)."""


@lru_cache(maxsize=4096)  # pure; labels repeat endlessly
def budget_kind(label: str | None) -> str:
    """What an amount is, read from the words before it (docs/format.md, "Money"):
    ``allocated`` (งบประมาณ, งบประมาณที่ได้รับ, ได้รับจัดสรร, งบฯ ที่ได้รับ), ``spent``
    (งบประมาณที่ใช้, ใช้งบประมาณ, งบฯ ที่ใช้ไป), ``disbursed`` (เบิกจ่าย), else ``unknown``."""
    if not isinstance(label, str):
        return "unknown"
    for kind, found in BUDGET_KINDS:
        if any(word in label for word in found):
            return kind
    return "unknown"


# Last: the compiled kernels of ``pure_to_ascii_digits`` and ``pure_find_money`` when
# ``_compiled`` selected the extensions (``_compiled`` imports nothing that imports
# this module, so it has chosen; ``_crules`` imports no module of the package, it is
# given this one's tables here).
from . import _compiled  # noqa: E402

to_ascii_digits: Callable[[str], str] = _compiled.to_ascii_digits or pure_to_ascii_digits
"""``s`` with Thai digits replaced by ASCII digits; same length as ``s``."""

if _compiled.rules is not None:  # the compiled readers take this module's tables, once
    _compiled.rules.bind_values(sys.modules[__name__])
find_money: Callable[[str], list[Money]] = (
    pure_find_money if _compiled.rules is None else _compiled.rules.find_money)
"""Every amount of baht in a text (``pure_find_money`` says how)."""
