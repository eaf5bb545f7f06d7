"""Any str parses: numbers too long for ``int()``, ``Decimal`` edge cases and a parser
bug all end as diagnostics in lenient mode, and as ``ParseError`` (nothing else) in
strict mode, with the line kept."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse import _parser, _read
from bmaparse._values import MAX_WHOLE_DIGITS, parse_whole, shown
from helpers import SAMPLES, SEED_LINES, data_lines

DOCUMENTS = [
    SEED_LINES,
    data_lines("page_full.txt"),
    data_lines("kpi_page.txt"),
    (SAMPLES / "synth_kpi_1.txt").read_text(encoding="utf-8").split("\n"),
]
LONG = "1" * 5_000  # past Python's int() limit of 4,300 digits


def _strict_codes(text: str) -> list[str]:
    with pytest.raises(bmaparse.ParseError) as raised:
        bmaparse.parse(text, strict=True)
    return [d.code for d in raised.value.diagnostics]


# --- the two numbers of the issue, and their kin -------------------------------------------


def test_a_progress_block_number_too_long_for_int() -> None:
    text = f"({LONG}) ความคืบหน้าโครงการฯ ร้อยละ 10 (2023-01-01)"
    report = bmaparse.parse(text)
    assert report.progress_updates[0].seq == 0
    problem = next(d for d in report.diagnostics if d.code == "bad-number")
    assert (problem.line, problem.col, problem.severity) == (1, 2, "error")
    assert problem.raw == LONG[:200] and len(problem.message) < 200
    assert "has more than 9 digits" in problem.message and "(5,000 characters)" in problem.message
    assert "bad-number" in _strict_codes(text)


@pytest.mark.parametrize("digits", [LONG, "๑" * 5_000, "1๑" * 2_500, "0" * 5_000 + "5"])
def test_an_evaluation_quarter_too_long_for_int(digits: str) -> None:
    text = f"ความคืบหน้าโครงการ ร้อยละ 10\n*** สยป. ประเมินโครงการ : ไตรมาสที่ {digits} 100"
    report = bmaparse.parse(text)
    assert report.evaluation_quarter is None
    problem = next(d for d in report.diagnostics if d.code == "bad-quarter")
    assert problem.line == 2 and problem.raw is not None and len(problem.message) < 200
    assert _strict_codes(text)[0] == "bad-quarter"


def test_a_kpi_page_evaluation_quarter_too_long_for_int() -> None:
    lines = list(DOCUMENTS[2])
    at = next(i for i, line in enumerate(lines) if line.startswith("*** สยป."))
    lines[at] = f"*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ {LONG}: 100"
    report = bmaparse.parse("\n".join(lines))
    assert report.doc_kind == "kpi" and report.evaluation_quarter is None
    assert any(d.code == "bad-quarter" and d.line == at + 1 for d in report.diagnostics)


@pytest.mark.parametrize(
    "line",
    [
        f"ความคืบหน้าโครงการ ร้อยละ {LONG}",
        f"(1) ความคืบหน้าโครงการฯ ร้อยละ {LONG}.{LONG} (2023-01-01)",
        f"ค่าเป้าหมาย ร้อยละ : {LONG}",
        f"ผลงานที่ทำได้ ร้อยละ : ๑{'๒' * 5000}",
        f"*** สยป. ประเมินโครงการ : ไตรมาสที่ 1 {LONG}",
        f"ความคืบหน้าโครงการ ร้อยละ 10\n27/04/2566 : งบประมาณ {LONG} บาท",
    ],
)
def test_long_decimals_are_kept_and_their_messages_are_short(line: str) -> None:
    report = bmaparse.parse(line)
    assert all(len(d.message) < 300 for d in report.diagnostics)
    tables = bmaparse.to_tables([report])  # a value that no column holds is a diagnostic there
    assert tables["reports"].num_rows == 1


def test_parse_whole() -> None:
    assert parse_whole("0007") == 7 and parse_whole(" ๑๒ ") == 12 and parse_whole("٣") == 3
    assert parse_whole("9" * MAX_WHOLE_DIGITS) == 10**MAX_WHOLE_DIGITS - 1
    assert parse_whole("1" + "0" * MAX_WHOLE_DIGITS) is None
    assert parse_whole("0" * 10_000 + "1") == 1
    for bad in (LONG, "", "1.5", "-1", "1_000", "²", "1e3", None):
        assert parse_whole(bad) is None  # type: ignore[arg-type]


def test_shown() -> None:
    assert shown("abc") == "'abc'" and shown(Decimal("101.5")) == "101.5"
    assert shown(LONG) == f"{LONG[:60]!r}... (5,000 characters)"


# --- the property: hostile numbers in every numeric place of real lines ---------------------

NUMBER_RUN = re.compile(r"[0-9๐-๙]+")
HOSTILE_NUMBERS = st.one_of(
    st.integers(4_301, 12_000).map(lambda n: "9" * n),
    st.integers(4_301, 12_000).map(lambda n: "๙" * n),
    st.integers(2_200, 6_000).map(lambda n: "1๒" * n),
    st.integers(4_301, 8_000).map(lambda n: "0" * n + "1"),
    st.integers(10, 4_300).map(lambda n: "1" * n),
    st.integers(2_200, 6_000).map(lambda n: "1" * n + "." + "5" * n),
    st.integers(1_500, 3_000).map(lambda n: "1,000" * n),
    st.sampled_from([
        "1e999999", "1E+999999999", "-1e-999999", "NaN", "-NaN", "sNaN", "Infinity",
        "-Infinity", "inf", "0e0", "-0", "0", "1_000", "0x1F", "١٢٣", "１２３", "²", "⁵",
        "1" * 4_300, "1" * 4_301, "9" * 4_300 + ".5", "1.-", "," * 100, "." * 100, "%",
    ]),
)
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def hostile_report(draw: st.DrawFn) -> str:
    """A real report with hostile numbers in place of digit runs of its lines (every
    line holding a number is a candidate), or put after a line's first word."""
    lines = list(draw(st.sampled_from(DOCUMENTS)))
    with_numbers = [i for i, line in enumerate(lines) if NUMBER_RUN.search(line)]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.sampled_from(with_numbers))
        runs = list(NUMBER_RUN.finditer(lines[i]))  # none left when "NaN" took the only one
        number = draw(HOSTILE_NUMBERS)
        if runs and draw(st.booleans()):
            run = draw(st.sampled_from(runs))
            lines[i] = lines[i][: run.start()] + number + lines[i][run.end() :]
        else:
            at = lines[i].find(" ") + 1
            lines[i] = lines[i][:at] + number + " " + lines[i][at:]
    return "\n".join(lines)


@SETTINGS
@given(hostile_report())
@example("\n".join([f"({LONG}) ความคืบหน้าโครงการฯ ร้อยละ 10 (2023-01-01)"]))
@example(f"*** สยป. ประเมินโครงการ : ไตรมาสที่ {LONG} 100")
@example(f"ผลงานเทียบกับเป้าหมายรายไตรมาส\n{LONG}\n{LONG}\n{LONG}\n{LONG} / {LONG}\nรายงานผลฯ ไตรมาสที่ 1")
def test_hostile_numbers_parse_lenient_and_strict(text: str) -> None:
    report = bmaparse.parse(text)
    assert not [d for d in report.diagnostics if d.code == "internal-error"]
    assert all(len(d.message) < 1_000 for d in report.diagnostics)
    try:
        bmaparse.parse(text, strict=True)
    except bmaparse.ParseError as exc:
        assert exc.diagnostics
    document = bmaparse.load(text.encode("utf-8"))
    assert not [d for r in document.reports for d in r.diagnostics if d.code == "internal-error"]
    bmaparse.to_tables([document])


@SETTINGS
@given(st.lists(st.sampled_from([*"0123456789๐๑๒๓๔๕๖๗๘๙.,-:/() %eE*\n", "ไตรมาสที่", "ร้อยละ",
                                  "(1) ความคืบหน้าโครงการฯ ร้อยละ ", "ค่าเป้าหมาย :",
                                  "*** สยป. ประเมินโครงการ : ไตรมาสที่ ", "9" * 900, "๙" * 900]),
                max_size=300).map("".join))
def test_digit_soup_parses(text: str) -> None:
    bmaparse.parse(text)
    with contextlib.suppress(bmaparse.ParseError):
        bmaparse.parse(text, strict=True)


# --- a parser bug: parse keeps the text as load does ----------------------------------------


def _boom(*args: object, **kwargs: object) -> None:
    raise KeyError("a bug")


def test_parse_turns_a_parser_bug_into_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "ความคืบหน้าโครงการ ร้อยละ 10\n\nนาย สมชาย ใจดี\n*** สยป. ประเมินโครงการ : ไตรมาสที่ 1"
    expected = bmaparse.parse(text).report_key
    monkeypatch.setattr(_parser, "build_report", _boom)
    monkeypatch.setattr(_read, "build_report", _boom)
    report = bmaparse.parse(text, source="x/50240000-7108.txt")
    first, *rest = report.diagnostics
    assert (first.code, first.severity, first.line) == ("internal-error", "error", 1)
    assert "KeyError" in first.message and first.source_path == "x/50240000-7108.txt"
    assert [(d.code, d.line, d.raw) for d in rest] == [
        ("unrecognized-line", 1, "ความคืบหน้าโครงการ ร้อยละ 10"),
        ("unrecognized-line", 3, "นาย สมชาย ใจดี"),
        ("unrecognized-line", 4, "*** สยป. ประเมินโครงการ : ไตรมาสที่ 1"),
    ]
    assert report.report_key == expected  # the same text keeps its key
    assert (report.source_line_start, report.source_line_end) == (1, 4)
    with pytest.raises(bmaparse.ParseError) as raised:
        bmaparse.parse(text, strict=True)
    assert raised.value.code == "internal-error"
    # load says the same of the same bug
    document = bmaparse.load(text.encode("utf-8"))
    assert [d.code for d in document.diagnostics][:2] == ["internal-error", "unrecognized-line"]


def test_parse_keeps_the_lines_when_even_tokenizing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parser, "tokenize", _boom)
    report = bmaparse.parse("a\r\n\r\n\ud800b")
    assert [(d.code, d.line, d.raw) for d in report.diagnostics] == [
        ("internal-error", 1, None), ("unrecognized-line", 1, "a"), ("unrecognized-line", 3, "\ufffdb"),
    ]
    bmaparse.to_tables([report])


def test_load_turns_a_bug_outside_the_report_rules_into_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_read, "tokenize", _boom)
    document = bmaparse.load(b"text", source_path="x.txt")
    assert [(d.code, d.severity, d.source_path) for d in document.diagnostics] == [
        ("internal-error", "error", "x.txt")]
    assert "KeyError" in document.diagnostics[0].message
    with pytest.raises(bmaparse.ParseError):
        bmaparse.load(b"text", strict=True)


def test_parse_takes_only_a_str() -> None:
    with pytest.raises(TypeError, match=r"bmaparse\.load"):
        bmaparse.parse(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("stars", ["*", "**", "* *"])
def test_a_line_of_stars_after_the_name_is_reported_not_taken_as_the_agency(stars: str) -> None:
    """Found by the any-bytes property: the stars took the agency's place and came out
    as no agency at all, with no diagnostic, and the agency line below was reported."""
    text = "\n".join([
        "โครงการพัฒนาคลองตัวอย่าง ปี 2564 : 50990000-4321",
        stars,
        "สำนักงานเขตตัวอย่าง : (2564)",
        "ความคืบหน้าโครงการ ร้อยละ 60",
    ])
    report = bmaparse.parse(text)
    assert report.agency_name == "สำนักงานเขตตัวอย่าง"
    assert report.fiscal_year_be == 2564
    assert [(d.line, d.code) for d in report.diagnostics] == [(2, "unrecognized-line")]
