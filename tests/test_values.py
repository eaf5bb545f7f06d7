"""Tests of the value parsers (_values); the agency table is tests/test_agencies.py.

Table-driven: every variant listed in docs/format.md has a row with its exact
expected value. Hypothesis checks that every function is total and that the
number, date and fiscal-year functions agree with their definitions. A set of
1 MB adversarial strings is run through every function, each call under a time
bound ten times what the slowest linear one takes: a pattern that backtracks
badly fails the bound instead of hanging the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmaparse._agencies import agency_name_for
from bmaparse._values import (
    THAI_DIGITS,
    Contact,
    DateResult,
    Money,
    find_money,
    fiscal_year_be_of,
    fiscal_year_in_text,
    parse_contact,
    parse_entry_date,
    parse_iso_date,
    parse_number,
    to_ascii_digits,
)
from helpers import SEED_LINES, bounded

PROPERTY = settings(max_examples=300, deadline=None)
THAI_TO_ASCII = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def thai(s: str) -> str:
    """``s`` with ASCII digits written as Thai digits."""
    return s.translate(THAI_TO_ASCII)


# --- digits and numbers ------------------------------------------------------------


def test_thai_digits_table_maps_all_ten() -> None:
    assert sorted(THAI_DIGITS.items()) == [(0x0E50 + i, ord(str(i))) for i in range(10)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("๐๑๒๓๔๕๖๗๘๙", "0123456789"),
        ("ไตรมาสที่ ๒ : 100", "ไตรมาสที่ 2 : 100"),
        ("๗.๒.๑", "7.2.1"),
        ("", ""),
        ("abc 123", "abc 123"),
    ],
)
def test_to_ascii_digits(text: str, expected: str) -> None:
    assert to_ascii_digits(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100", Decimal("100")),
        ("95", Decimal("95")),
        ("100.00", Decimal("100.00")),
        ("52.50", Decimal("52.50")),
        ("22.5", Decimal("22.5")),
        ("0.0000", Decimal("0.0000")),
        ("100.0000", Decimal("100.0000")),
        ("1,324,600", Decimal("1324600")),
        ("๑,๓๒๔,๖๐๐", Decimal("1324600")),
        ("๒๒.๕", Decimal("22.5")),
        (" 80 ", Decimal("80")),
        ("1,324,600.50", Decimal("1324600.50")),
        ("15,000.-", Decimal("15000")),
        ("-5", Decimal("-5")),
        ("007", Decimal("7")),
        ("-", None),
        ("", None),
        ("   ", None),
        ("abc", None),
        ("1.2.3", None),
        ("1,2345", None),
        ("1,32,4600", None),
        (",100", None),
        ("100,", None),
        ("1e5", None),
        (".5", None),
        ("5.", None),
        ("NaN", None),
        ("Infinity", None),
        ("100 %", None),
        ("١٢٣", None),  # Arabic-Indic digits are not Thai digits
    ],
)
def test_parse_number(text: str, expected: Decimal | None) -> None:
    got = parse_number(text)
    assert got == expected
    if expected is not None:
        assert str(got) == str(expected)  # the written scale is kept


@given(st.integers(0, 8).flatmap(lambda p: st.decimals(-(10**15), 10**15, places=p)))
@PROPERTY
def test_parse_number_round_trips_str(d: Decimal) -> None:
    written = str(d) if "E" not in str(d) else format(d, "f")  # str() can use exponents
    assert str(parse_number(written)) == str(d)  # same value, same scale
    assert str(parse_number(f" {thai(written)} ")) == str(d)


@given(st.decimals(allow_nan=False, allow_infinity=False), st.booleans(), st.booleans())
@PROPERTY
def test_parse_number_round_trips_separators_and_thai_digits(
    d: Decimal, commas: bool, thai_digits: bool
) -> None:
    written = format(d, ",f" if commas else "f")
    if thai_digits:
        written = thai(written)
    assert str(parse_number(written)) == str(d)


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-04-27", date(2023, 4, 27)),
        (" 2021-03-31 ", date(2021, 3, 31)),
        ("๒๐๒๓-๐๔-๒๗", date(2023, 4, 27)),
        ("2023-02-29", None),
        ("2023-13-01", None),
        ("0000-01-01", None),
        ("2023-4-27", None),
        ("27/04/2566", None),
        ("", None),
    ],
)
def test_parse_iso_date(text: str, expected: date | None) -> None:
    assert parse_iso_date(text) == expected


@pytest.mark.parametrize(
    ("raw", "near", "expected"),
    [
        # Buddhist Era, day/month: the norm, no problem even when month/day is possible.
        ("27/04/2566", None, DateResult(date(2023, 4, 27), None, None)),
        ("4/1/2566", None, DateResult(date(2023, 1, 4), None, None)),
        ("28/10/2563", None, DateResult(date(2020, 10, 28), None, None)),
        ("04/01/2566", date(2023, 1, 4), DateResult(date(2023, 1, 4), None, None)),
        ("๒๗/๐๔/๒๕๖๖", None, DateResult(date(2023, 4, 27), None, None)),
        (" 27/04/2566 ", None, DateResult(date(2023, 4, 27), None, None)),
        ("29/02/2567", None, DateResult(date(2024, 2, 29), None, None)),
        # Gregorian, month/day.
        ("1/31/2021", None, DateResult(date(2021, 1, 31), None, None)),
        ("12/12/2021", None, DateResult(date(2021, 12, 12), None, None)),
        (
            "01/05/2021",
            None,
            DateResult(
                date(2021, 1, 5),
                "ambiguous-date",
                "01/05/2021 read as month/day (2021-01-05); day/month (2021-05-01) also possible",
            ),
        ),
        # Expected order invalid, the other valid.
        (
            "28/10/2020",
            None,
            DateResult(
                date(2020, 10, 28),
                "ambiguous-date",
                "28/10/2020 read as day/month (2020-10-28); month/day is not a valid date",
            ),
        ),
        (
            "1/31/2564",
            None,
            DateResult(
                date(2021, 1, 31),
                "ambiguous-date",
                "1/31/2564 read as month/day (2021-01-31); day/month is not a valid date",
            ),
        ),
        # Both valid: the reading nearer the report date wins.
        (
            "4/1/2566",
            date(2023, 4, 2),
            DateResult(
                date(2023, 4, 1),
                "ambiguous-date",
                "4/1/2566 read as month/day (2023-04-01), nearer the report date 2023-04-02; "
                "day/month (2023-01-04) also possible",
            ),
        ),
        ("4/1/2566", date(2023, 1, 10), DateResult(date(2023, 1, 4), None, None)),
        # Gregorian M/D against D/M is never certain: flagged even when near agrees.
        (
            "01/05/2021",
            date(2021, 1, 6),
            DateResult(
                date(2021, 1, 5),
                "ambiguous-date",
                "01/05/2021 read as month/day (2021-01-05), nearer the report date 2021-01-06; "
                "day/month (2021-05-01) also possible",
            ),
        ),
        (
            "01/05/2021",
            date(2021, 5, 3),
            DateResult(
                date(2021, 5, 1),
                "ambiguous-date",
                "01/05/2021 read as day/month (2021-05-01), nearer the report date 2021-05-03; "
                "month/day (2021-01-05) also possible",
            ),
        ),
        # Two-digit years: BE 25yy, always flagged.
        (
            "27/04/66",
            None,
            DateResult(
                date(2023, 4, 27),
                "ambiguous-date",
                "27/04/66: two-digit year read as Buddhist Era 2566",
            ),
        ),
        (
            "4/1/66",
            None,
            DateResult(
                date(2023, 1, 4),
                "ambiguous-date",
                "4/1/66: two-digit year read as Buddhist Era 2566",
            ),
        ),
        # Nothing valid.
        (
            "32/13/2566",
            None,
            DateResult(None, "bad-date", "32/13/2566 is not a valid date as day/month or month/day"),
        ),
        (
            "29/02/2565",
            None,
            DateResult(None, "bad-date", "29/02/2565 is not a valid date as day/month or month/day"),
        ),
        (
            "0/0/2566",
            None,
            DateResult(None, "bad-date", "0/0/2566 is not a valid date as day/month or month/day"),
        ),
        ("", None, DateResult(None, "bad-date", "'' is not a date of the form D/M/YYYY")),
        (
            "27-04-2566",
            None,
            DateResult(None, "bad-date", "'27-04-2566' is not a date of the form D/M/YYYY"),
        ),
        (
            "27/04/566",
            None,
            DateResult(None, "bad-date", "'27/04/566' is not a date of the form D/M/YYYY"),
        ),
    ],
)
def test_parse_entry_date(raw: str, near: date | None, expected: DateResult) -> None:
    assert parse_entry_date(raw, near) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31)), st.booleans())
@PROPERTY
def test_parse_entry_date_reads_any_be_date(d: date, padded: bool) -> None:
    fmt = "{:02d}/{:02d}/{}" if padded else "{}/{}/{}"
    raw = fmt.format(d.day, d.month, d.year + 543)
    assert parse_entry_date(raw) == DateResult(d, None, None)
    assert parse_entry_date(thai(raw)) == DateResult(d, None, None)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31)), st.integers(-40, 40))
@PROPERTY
def test_parse_entry_date_near_its_own_date_is_clean(d: date, offset: int) -> None:
    near = d + timedelta(days=offset // 8)  # a report date within a few days
    raw = f"{d.day}/{d.month}/{d.year + 543}"
    assert parse_entry_date(raw, near) == DateResult(d, None, None)


# --- fiscal years ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2022, 10, 1), 2566),
        (date(2023, 9, 30), 2566),
        (date(2022, 9, 30), 2565),
        (date(2023, 10, 1), 2567),
        (date(2023, 4, 27), 2566),
        (date(2021, 3, 31), 2564),
    ],
)
def test_fiscal_year_be_of(d: date, expected: int) -> None:
    assert fiscal_year_be_of(d) == expected


@given(st.integers(2000, 2800))
@PROPERTY
def test_fiscal_year_be_of_boundaries(fy: int) -> None:
    first, last = date(fy - 544, 10, 1), date(fy - 543, 9, 30)
    assert fiscal_year_be_of(first) == fy
    assert fiscal_year_be_of(last) == fy
    assert fiscal_year_be_of(first - timedelta(days=1)) == fy - 1
    assert fiscal_year_be_of(last + timedelta(days=1)) == fy + 1


@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)))
@PROPERTY
def test_fiscal_year_be_of_matches_definition(d: date) -> None:
    fy = fiscal_year_be_of(d)
    assert date(fy - 544, 10, 1) <= d <= date(fy - 543, 9, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(ปีงบประมาณ พ.ศ. 2566)", 2566),
        ("ปีงบประมาณ พ.ศ.2566", 2566),
        ("ปีงบประมาณ 2566", 2566),
        ("ปีงบประมาณพ.ศ.2566", 2566),
        ("ปีงบประมาณ พ.ศ ๒๕๖๖", 2566),
        ("(ปีงบประมาณ พ.ศ. ๒๕๖๖)", 2566),
        ("ปีงบฯ 2565", 2565),
        ("ปีงบ 2564", 2564),
        ("ร้อยละของคลองที่ได้รับการขุดลอก (ปีงบประมาณ พ.ศ. 2564)", 2564),
        ("ปีงบประมาณ 2023", None),  # Gregorian: out of the plausible BE range
        ("ปีงบประมาณ 2023 และปีงบประมาณ 2566", 2566),
        ("ปีงบประมาณ 25661", None),
        ("ปีงบประมาณ 256", None),
        ("พ.ศ. 2566", None),
        ("2566", None),
        ("", None),
    ],
)
def test_fiscal_year_in_text(text: str, expected: int | None) -> None:
    assert fiscal_year_in_text(text) == expected


# --- money ---------------------------------------------------------------------------------


def money(text: str, amount: str, raw: str, label: str | None, start: int | None = None) -> Money:
    """The Money expected for ``raw`` found in ``text`` (at its first occurrence)."""
    at = text.index(raw) if start is None else start
    return Money(at, at + len(raw), label, Decimal(amount), raw)


MONEY_CASES = [
    ("งบประมาณที่ใช้ จำนวน 1,324,600 บาท", [("1324600.00", "1,324,600 บาท", "งบประมาณที่ใช้")]),
    ("เบิกจ่าย 1,324,600.50 บาท", [("1324600.50", "1,324,600.50 บาท", "เบิกจ่าย")]),
    ("ดำเนินการขุดลอกคลอง งบประมาณ 1.5 ล้านบาท", [("1500000.00", "1.5 ล้านบาท", "งบประมาณ")]),
    ("ได้รับจัดสรร 2 ล้าน บาท", [("2000000.00", "2 ล้าน บาท", "ได้รับจัดสรร")]),
    ("งบประมาณ ๑,๓๒๔,๖๐๐ บาท", [("1324600.00", "๑,๓๒๔,๖๐๐ บาท", "งบประมาณ")]),
    ("ค่าอาหาร 15,000.- บาท", [("15000.00", "15,000.- บาท", "ค่าอาหาร")]),
    ("ค่าอาหาร 15,000.-บาท", [("15000.00", "15,000.-บาท", "ค่าอาหาร")]),
    ("ใช้จ่าย1324600บาท", [("1324600.00", "1324600บาท", "ใช้จ่าย")]),
    ("1,324,600 บาท", [("1324600.00", "1,324,600 บาท", None)]),
    ("งบประมาณ 1.5 พันล้านบาท", [("1500000000.00", "1.5 พันล้านบาท", "งบประมาณ")]),
    ("วงเงิน 3 แสนบาท", [("300000.00", "3 แสนบาท", "วงเงิน")]),
    ("ค่าวัสดุ 12.345 บาท", [("12.35", "12.345 บาท", "ค่าวัสดุ")]),  # rounded half up
    ("ค่าจ้าง 100 บาทต่อวัน", [("100.00", "100 บาท", "ค่าจ้าง")]),  # บาท glued to the next word
    # Label rules: connectors dropped (รวม kept), stops at : ( , and line breaks.
    ("รวมเป็นเงิน 5,000 บาท", [("5000.00", "5,000 บาท", "รวม")]),
    ("คงเหลือเป็นจำนวนเงิน 700 บาท", [("700.00", "700 บาท", "คงเหลือ")]),
    ("ใช้ไปคิดเป็นเงิน 300 บาท", [("300.00", "300 บาท", "ใช้ไป")]),
    ("งบประมาณทั้งสิ้น 9 บาท", [("9.00", "9 บาท", "งบประมาณ")]),
    ("เบิกจ่ายแล้ว จำนวนเงิน 250 บาท", [("250.00", "250 บาท", "เบิกจ่ายแล้ว")]),
    ("ค่าอาหาร = 500 บาท", [("500.00", "500 บาท", "ค่าอาหาร")]),
    ("จำนวน 1,000 บาท", [("1000.00", "1,000 บาท", None)]),
    ("งบประมาณ : 1,000 บาท", [("1000.00", "1,000 บาท", None)]),
    ("(งบประมาณ 20,000 บาท)", [("20000.00", "20,000 บาท", "งบประมาณ")]),
    ("ครั้งที่ 1, ค่าวิทยากร 3,600 บาท", [("3600.00", "3,600 บาท", "ค่าวิทยากร")]),
    ("จัดอบรม 2 วัน\nค่าอาหาร 500 บาท", [("500.00", "500 บาท", "ค่าอาหาร")]),
    (
        "ค่าอาหาร 500 บาท ค่าที่พัก 1,000 บาท",
        [("500.00", "500 บาท", "ค่าอาหาร"), ("1000.00", "1,000 บาท", "ค่าที่พัก")],
    ),
    # Not money.
    ("จำนวน 155 คน", []),
    ("เมื่อวันที่ 7-8 มีนาคม 2566", []),
    ("ปีงบประมาณ 2566", []),
    ("1,2345 บาท", []),  # malformed thousands separators
    ("1\nบาท", []),  # a line break between number and unit
    ("บาท", []),
    ("99,999,999,999,999,999 บาท", []),  # does not fit decimal(18,2)
]


@pytest.mark.parametrize(("text", "expected"), MONEY_CASES)
def test_find_money(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    want: list[Money] = []
    for amount, raw, label in expected:
        after = want[-1].end if want else 0
        want.append(money(text, amount, raw, label, text.index(raw, after)))
    assert find_money(text) == want


@given(
    st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["", " "]),
)
@PROPERTY
def test_find_money_reads_rendered_amounts(
    d: Decimal, commas: bool, thai_digits: bool, space: str
) -> None:
    written = format(d, ",f" if commas else "f")
    if thai_digits:
        written = thai(written)
    text = f"งบประมาณที่ใช้ จำนวน {written}{space}บาท"
    raw = f"{written}{space}บาท"
    assert find_money(text) == [money(text, str(d), raw, "งบประมาณที่ใช้")]


# --- contact lines ----------------------------------------------------------------------------

CONTACT_CASES = [
    # found by the synth round trip: brackets left by a removed phone, ต่อ inside a word
    ("ฝ่ายเทศกิจ (3027)", Contact(None, None, "ฝ่ายเทศกิจ", "3027")),
    ("นายสมชาย ใจดี ฝ่ายเทศกิจ (โทร. 6822-3 )", Contact("นาย", "สมชาย ใจดี", "ฝ่ายเทศกิจ", "6822-3")),
    ("นายสมชาย ใจดี (หัวหน้าฝ่ายเทศกิจ) (3027)", Contact("นาย", "สมชาย ใจดี", "หัวหน้าฝ่ายเทศกิจ", "3027")),
    ("นายสมชาย ใจดี กองควบคุมโรคติดต่อ 5884,5885",
     Contact("นาย", "สมชาย ใจดี", "กองควบคุมโรคติดต่อ", "5884,5885")),
    ("นายสมชาย ใจดีโทร. 1234", Contact("นาย", "สมชาย ใจดี", None, "1234")),
    # The real seed line.
    (
        "นายพงศ์ภานุ กรนุ่ม ฝ่ายพัฒนาชุมชนและสวัสดิการสังคม",
        Contact("นาย", "พงศ์ภานุ กรนุ่ม", "ฝ่ายพัฒนาชุมชนและสวัสดิการสังคม", None),
    ),
    # Name only; titles.
    ("นางสาวสมใจ ใจดี", Contact("นางสาว", "สมใจ ใจดี", None, None)),
    ("นางสมศรี มีสุข", Contact("นาง", "สมศรี มีสุข", None, None)),
    ("นายสมชาย ใจดี", Contact("นาย", "สมชาย ใจดี", None, None)),
    ("คุณสมศรี มีสุข", Contact("คุณ", "สมศรี มีสุข", None, None)),
    ("น.ส.สมใจ ใจดี", Contact("นางสาว", "สมใจ ใจดี", None, None)),
    ("น.ส. สมใจ ใจดี", Contact("นางสาว", "สมใจ ใจดี", None, None)),
    ("นส.สมใจ ใจดี", Contact("นางสาว", "สมใจ ใจดี", None, None)),
    ("นาย สมชาย  ใจดี", Contact("นาย", "สมชาย ใจดี", None, None)),
    ("น.ส สมใจ ใจดี", Contact("นางสาว", "สมใจ ใจดี", None, None)),
    ("นายสมชาย", Contact("นาย", "สมชาย", None, None)),
    ("นางสาวิตรี ใจดี", Contact("นาง", "สาวิตรี ใจดี", None, None)),  # นาง + สาวิตรี
    ("ว่าที่ร้อยตรีสมชาย ใจดี", Contact("ว่าที่ร้อยตรี", "สมชาย ใจดี", None, None)),
    ("ว่าที่ ร.ต.สมชาย ใจดี", Contact("ว่าที่ร้อยตรี", "สมชาย ใจดี", None, None)),
    ("ว่าที่ร.ต.หญิงสมใจ ใจดี", Contact("ว่าที่ร้อยตรีหญิง", "สมใจ ใจดี", None, None)),
    ("ดร.สมชาย ใจดี", Contact("ดร.", "สมชาย ใจดี", None, None)),
    ("นพ.สมชาย ใจดี", Contact("นายแพทย์", "สมชาย ใจดี", None, None)),
    ("นายสมชาย กองแก้ว ฝ่ายโยธา", Contact("นาย", "สมชาย กองแก้ว", "ฝ่ายโยธา", None)),
    # Phones.
    ("นายสมชาย ใจดี โทร. 5956", Contact("นาย", "สมชาย ใจดี", None, "5956")),
    ("นายสมชาย ใจดี โทร.5420", Contact("นาย", "สมชาย ใจดี", None, "5420")),
    ("นายสมชาย ใจดี โทร 6628", Contact("นาย", "สมชาย ใจดี", None, "6628")),
    ("นางสมศรี มีสุข (โทร. 6822-3 )", Contact("นาง", "สมศรี มีสุข", None, "6822-3")),
    ("นายสมชาย ใจดี (3027)", Contact("นาย", "สมชาย ใจดี", None, "3027")),
    ("นายสมชาย ใจดี #6757", Contact("นาย", "สมชาย ใจดี", None, "6757")),
    ("นายสมชาย ใจดี / 5486", Contact("นาย", "สมชาย ใจดี", None, "5486")),
    ("นายสมชาย ใจดี เบอร์โทรภายใน 5689", Contact("นาย", "สมชาย ใจดี", None, "5689")),
    ("นายสมชาย ใจดี ต่อ 3195", Contact("นาย", "สมชาย ใจดี", None, "3195")),
    ("นายสมชาย ใจดี 5884,5885", Contact("นาย", "สมชาย ใจดี", None, "5884,5885")),
    ("นายสมชาย ใจดี 0 2282 4196", Contact("นาย", "สมชาย ใจดี", None, "0 2282 4196")),
    ("นายสมชาย ใจดี 022257612 ต่อ 111", Contact("นาย", "สมชาย ใจดี", None, "022257612 ต่อ 111")),
    ("นายสมชาย ใจดี โทร. ๕๙๕๖", Contact("นาย", "สมชาย ใจดี", None, "5956")),
    ("นายสมชาย ใจดี Tel. 5956", Contact("นาย", "สมชาย ใจดี", None, "5956")),
    ("นายสมชาย ใจดี ต่อ 12", Contact("นาย", "สมชาย ใจดี", None, "12")),
    ("นายสมชาย ใจดี โทร. -", Contact("นาย", "สมชาย ใจดี", None, None)),
    (
        "นายสมชาย ใจดี โทร. 1234 มือถือ 081 234 5678",
        Contact("นาย", "สมชาย ใจดี", None, "1234, 081 234 5678"),
    ),
    (
        "นางสาวสมใจ ใจดี ฝ่ายการคลัง โทร. 1234",
        Contact("นางสาว", "สมใจ ใจดี", "ฝ่ายการคลัง", "1234"),
    ),
    # A position in brackets.
    ("นายสมชาย ใจดี (หัวหน้าฝ่ายโยธา)", Contact("นาย", "สมชาย ใจดี", "หัวหน้าฝ่ายโยธา", None)),
    (
        "นายสมชาย ใจดี (หัวหน้าฝ่ายโยธา โทร. 1234)",
        Contact("นาย", "สมชาย ใจดี", "หัวหน้าฝ่ายโยธา", "1234"),
    ),
    (
        "นายสมชาย ใจดี (ผอ.เขต) โทร 02-123-4567 ต่อ 12",
        Contact("นาย", "สมชาย ใจดี", "ผอ.เขต", "02-123-4567 ต่อ 12"),
    ),
    # Two people: the first person's name only.
    ("นายสมชาย ใจดี และนางสมศรี มีสุข", Contact("นาย", "สมชาย ใจดี", None, None)),
    ("นายสมชาย ใจดีและนางสมศรี มีสุข", Contact("นาย", "สมชาย ใจดี", None, None)),
    (
        "นายสมชาย ใจดี และ นางสมศรี มีสุข ฝ่ายโยธา",
        Contact("นาย", "สมชาย ใจดี", "ฝ่ายโยธา", None),
    ),
    ("นายสมชาย ใจดี,นางสมศรี มีสุข", Contact("นาย", "สมชาย ใจดี", None, None)),
    (
        "นายสมชาย ใจดี, นางสมศรี มีสุข โทร. 5884,5885",
        Contact("นาย", "สมชาย ใจดี", None, "5884,5885"),
    ),
    (
        "นายสมชาย ใจดี, สมศรี มีสุข ฝ่ายโยธา",
        Contact("นาย", "สมชาย ใจดี", "ฝ่ายโยธา", None),
    ),
    ("นายสมชาย และนางสมศรี มีสุข", Contact("นาย", "สมชาย", None, None)),
    ("นายสมชาย ใจดี, (หัวหน้าฝ่ายโยธา)", Contact("นาย", "สมชาย ใจดี", "หัวหน้าฝ่ายโยธา", None)),
    ("นายสมชาย ใจดี, ธุรการ", Contact("นาย", "สมชาย ใจดี", "ธุรการ", None)),
    # Glued unit; unit before the person; และ inside a unit name.
    ("นายสมชาย ใจดีฝ่ายโยธา", Contact("นาย", "สมชาย ใจดี", "ฝ่ายโยธา", None)),
    (
        "ฝ่ายโยธา นายสมชาย ใจดี โทร. 1234",
        Contact("นาย", "สมชาย ใจดี", "ฝ่ายโยธา", "1234"),
    ),
    (
        "นายสมชาย ใจดี ฝ่ายพัฒนาชุมชนและคุณภาพชีวิต",
        Contact("นาย", "สมชาย ใจดี", "ฝ่ายพัฒนาชุมชนและคุณภาพชีวิต", None),
    ),
    # Only a unit, or a role with no person (นายช่าง, นายตรวจ are job titles).
    ("ฝ่ายเทศกิจ", Contact(None, None, "ฝ่ายเทศกิจ", None)),
    ("กองสุขาภิบาลอาหาร", Contact(None, None, "กองสุขาภิบาลอาหาร", None)),
    ("เจ้าหน้าที่ฝ่ายการคลัง", Contact(None, None, "เจ้าหน้าที่ฝ่ายการคลัง", None)),
    ("ผู้อำนวยการเขต", Contact(None, None, "ผู้อำนวยการเขต", None)),
    ("นายช่างโยธาชำนาญงาน", Contact(None, None, "นายช่างโยธาชำนาญงาน", None)),
    ("นายตรวจ ฝ่ายเทศกิจ", Contact(None, None, "นายตรวจ ฝ่ายเทศกิจ", None)),
    ("ฝ่ายเทศกิจ โทร. 5956", Contact(None, None, "ฝ่ายเทศกิจ", "5956")),
    ("ธุรการ กองคลัง", Contact(None, None, "ธุรการ กองคลัง", None)),
    ("สํานักงานเขตบางรัก", Contact(None, None, "สำนักงานเขตบางรัก", None)),  # ํ + า -> ำ
    (
        "ผู้ประสานงาน:นายสมชาย ใจดี โทร. 5956",
        Contact("นาย", "สมชาย ใจดี", "ผู้ประสานงาน", "5956"),
    ),
    # No title: two Thai words that are not unit words are a name.
    ("สมชาย ใจดี โทร. 1234", Contact(None, "สมชาย ใจดี", None, "1234")),
    # Nothing.
    ("", Contact(None, None, None, None)),
    ("   ", Contact(None, None, None, None)),
    ("โทร. 1234", Contact(None, None, None, "1234")),
]


@pytest.mark.parametrize(("line", "expected"), CONTACT_CASES)
def test_parse_contact(line: str, expected: Contact) -> None:
    assert parse_contact(line) == expected


# --- the real seed --------------------------------------------------------------------------------


def test_seed_values() -> None:
    lines = SEED_LINES
    assert parse_contact(lines[1]) == Contact(
        "นาย", "พงศ์ภานุ กรนุ่ม", "ฝ่ายพัฒนาชุมชนและสวัสดิการสังคม", None
    )
    entry = next(line for line in lines if line.startswith("27/04/2566 : "))
    assert find_money(entry) == [money(entry, "1324600.00", "1,324,600 บาท", "งบประมาณที่ใช้")]
    assert parse_entry_date("27/04/2566", date(2023, 4, 27)) == DateResult(date(2023, 4, 27), None, None)
    assert parse_entry_date("04/01/2566", date(2023, 1, 4)) == DateResult(date(2023, 1, 4), None, None)
    unit_code = next(line for line in lines if line[:8].isdigit() and "/" in line)[:8]
    name = agency_name_for(unit_code[:4] + "0000")
    assert name == "สำนักงานเขตราษฎร์บูรณะ"
    assert any(name in line for line in lines)  # the seed's text names its district
    assert fiscal_year_be_of(date(2023, 4, 27)) == 2566
    kpi_name = next(line for line in lines if line.startswith("ตัวชี้วัด"))
    assert fiscal_year_in_text(kpi_name) == 2566


# --- totality and linear time --------------------------------------------------------------------

FUNCTIONS: list[Callable[[str], Any]] = [
    to_ascii_digits,
    parse_number,
    parse_iso_date,
    parse_entry_date,
    fiscal_year_in_text,
    find_money,
    parse_contact,
    agency_name_for,
]
THAI_ALPHABET = st.sampled_from(
    [*"0123456789๐๑๒๓๔๕๖๗๘๙ ,.:-/()#\n",
       "บาท", "ล้าน", "พัน", "นาย", "นาง", "นางสาว", "น.ส.", "คุณ", "และ", "โทร.", "ต่อ", "ฝ่าย",
       "กอง", "ปีงบประมาณ", "พ.ศ.", "สมชาย", "ใจดี", "จำนวน", "เป็นเงิน", "ิ", "่", "ำ", "ช่าง"]
)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@given(text=st.text())
@PROPERTY
def test_total_on_any_text(fn: Callable[[str], Any], text: str) -> None:
    fn(text)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@given(parts=st.lists(THAI_ALPHABET, max_size=40))
@PROPERTY
def test_total_on_thai_like_text(fn: Callable[[str], Any], parts: list[str]) -> None:
    fn("".join(parts))


@given(text=st.lists(THAI_ALPHABET, max_size=40).map("".join))
@PROPERTY
def test_money_and_contact_invariants(text: str) -> None:
    assert len(to_ascii_digits(text)) == len(text)
    for m in find_money(text):
        assert text[m.start : m.end] == m.raw
        assert m.amount == m.amount.quantize(Decimal("0.01"))
        assert m.label is None or (m.label.strip() == m.label and m.label)
    contact = parse_contact(text)
    for value in (contact.title, contact.name, contact.unit, contact.phone):
        assert value is None or (value and value == " ".join(value.split()))
    if contact.phone is not None:
        assert not set(contact.phone) & set("๐๑๒๓๔๕๖๗๘๙")


MB = 1 << 20
ADVERSARIAL = {
    "digits": "1" * MB,
    "thai-digits": "๑" * MB,
    "digit-spaces": "1 " * (MB // 2),
    "one-then-spaces": "1" + " " * MB + "x",
    "commas": "1," * (MB // 2),
    "groups": "1,000" * (MB // 5),
    "dots": "1." * (MB // 2),
    "space-dots": "1" + " ." * (MB // 2),
    "slashes": "1/" * (MB // 2),
    "baht": "1 บาท " * (MB // 6),
    "million-no-baht": "1 ล้าน " * (MB // 7),
    "titles": "นาย" * (MB // 3),
    "titles-commas": "นายก, " * (MB // 6),
    "and-title": "และนาย " * (MB // 7),
    "phone-marks": "โทร" + " ." * (MB // 2) + "x",
    "hashes": "#1" * (MB // 2),
    "brackets": "(" * MB,
    "fiscal": "ปีงบประมาณ พ" + " " * MB,
    "fiscal-dots": "ปีงบประมาณ พ" + " ." * (MB // 2),
    "one-word": "ก" * MB,
    "slash-dates": "1/1/" * (MB // 4),
}


LINEAR_BOUND = 30.0
"""Seconds one call on a megabyte may take. The slowest linear case (find_money on
"1 บาท" repeated) takes about 3.5 s on a loaded machine; a pattern that backtracks
quadratically does some 10**12 steps on a megabyte: hours."""


@pytest.mark.slow
@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("text", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_linear_on_adversarial_megabyte(fn: Callable[[str], Any], text: str) -> None:
    bounded(lambda: fn(text), f"{fn.__name__} on {text[:12]!r}... ({len(text):,} characters)",
            LINEAR_BOUND)
