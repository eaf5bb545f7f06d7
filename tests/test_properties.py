"""Properties that hold for any input: lenient parsing never raises, strict
parsing raises only ParseError, every line is accounted for."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse._kpipage import _HEADER_CELL
from bmaparse._lexer import Kind, Token, tokenize
from bmaparse._normalize import without_surrogates
from bmaparse._parser import lines_of
from helpers import LAYOUTS, SEED_LINES, data_lines

REAL_LINES = [*SEED_LINES, *(line for path in LAYOUTS for line in data_lines(path.name))]

thai = st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F)
noise = st.text(alphabet=st.one_of(thai, st.characters(), st.sampled_from(" :()*-/&%.,0123456789\r\n")))
real_line = st.sampled_from(REAL_LINES)
mutated_line = st.one_of(
    real_line,
    st.builds(lambda line, cut: line[:cut], real_line, st.integers(0, 60)),
    st.builds(lambda line, extra: line + extra, real_line, noise),
    noise,
)
report_like = st.lists(mutated_line, max_size=60).map("\n".join)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.one_of(st.text(), noise, report_like))
def test_lenient_parse_never_raises(text: str) -> None:
    report = bmaparse.parse(text)
    assert re.fullmatch("[0-9a-f]{32}", report.report_key)
    assert report.doc_kind in ("project", "kpi", "kpi-definition", "unknown")
    for d in report.diagnostics:
        assert d.severity in ("error", "warning", "info")


@SETTINGS
@given(report_like)
def test_strict_parse_raises_only_parse_error(text: str) -> None:
    try:
        bmaparse.parse(text, strict=True)
    except bmaparse.ParseError as exc:
        assert exc.line is None or exc.line >= 1
        assert exc.diagnostics


@SETTINGS
@given(report_like)
@example("\ud800\n\ud800")  # lone surrogates: parse reads U+FFFD (found by CI's hypothesis)
@example("ตัวชี้วัด:")  # an indicator line without a name (found by a local run)
@example("ตัวชี้วัด:\nนายพงศ์ภานุ กรนุ่ม")  # ... and its name on the next line (found by a local run)
@example("ร้อยละ\n50991000/50991000\n1. เพื่อก 2.")  # an item cut after its number (found by a local run)
def test_every_line_is_taken_or_reported(text: str) -> None:
    """A non-blank line's text is found in some field, or it is reported, or it is
    a line whose whole meaning is structure (chrome, headings, separators ...)."""
    _assert_accounted(lines_of(text), [bmaparse.parse(text)])


NONE_WORDS = {"ไม่มี", "-"}  # problems/obstacles that say "none" become null by contract
# Numbered items run together on one line ("1. เพื่อ... 2. เพื่อ...") become one field each.
_ITEM_NUMBER = re.compile(r"(?:^|\s)\d+(?:\.\d+)*\.?(?=\s|[^\d\s.]|$)")  # "2." may end a cut line
_DATED = re.compile(r"\s*(\d{1,2}/\d{1,2}/\d{2,4})\s*:\s*")


def _header_cell(tok: Token) -> bool:
    """A cell of the quarterly table's header (ไตรมาสที่, (1 - 4) ...): structure."""
    return tok.kind is Kind.TEXT and _HEADER_CELL.fullmatch(tok.text) is not None


def _found(piece: str, values: str) -> bool:
    piece = piece.strip().lstrip(":").strip()
    if not piece or piece in NONE_WORDS or piece in values or bmaparse._values.to_ascii_digits(piece) in values:
        return True
    # A table's unit cell "(ร้อยละ)" is kept as ร้อยละ; the "%" that ends a strategy goal
    # is structure, not text.
    for inner in (piece.strip("()").strip(), piece.rstrip("%").strip()):
        if inner != piece and (not inner or inner in values):
            return True
    # The stars before a sub-unit's name ("** กองตัวอย่าง") are structure; stars alone are not.
    unstarred = piece.lstrip("*").strip()
    if unstarred != piece and unstarred and unstarred in values:
        return True
    items = [item.strip() for item in _ITEM_NUMBER.split(piece) if item.strip()]
    if items != [piece] and all(item in values for item in items):
        return True
    # Dated entries run together on one line ("15/11/2565 : a 20/12/2565 : b") become one
    # record each, as may the text before the first date (the end of the previous entry).
    entries = [part.strip() for part in _DATED.split(piece) if part and part.strip()]
    return entries != [piece] and all(part in values for part in entries)


def _all_text(report: bmaparse.Report) -> str:
    parts: list[str] = []

    def walk(obj: object) -> None:
        if isinstance(obj, tuple):
            for item in obj:
                walk(item)
        elif hasattr(obj, "__slots__") and not isinstance(obj, str):
            for name in obj.__slots__:  # type: ignore[attr-defined]
                walk(getattr(obj, name))
        elif obj is not None:
            parts.append(str(obj))

    walk(report)
    return "\n".join(parts)


# --- mutated real reports, through parse and through load ----------------------------------
#
# Real reports (the seed export, a whole page, a KPI page) damaged the ways archives
# damage them: lines dropped, duplicated, swapped, cut, the file cut short, random Thai
# and control characters inserted, then saved in some encoding and possibly damaged
# as bytes. Whatever comes out: lenient never raises, strict raises only ParseError,
# every line is taken by a field or reported, and the tables build.

DOCUMENTS = [SEED_LINES, *(data_lines(path.name) for path in LAYOUTS)]
CONTROL = st.sampled_from(
    ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\r", "\t",
     "\u200b", "\ufeff", "\u2028", "\x85", "\ufffd", "\u0e4d\u0e32", "\u0301"]
)
INSERTED = st.lists(st.one_of(thai, CONTROL), min_size=1, max_size=8).map("".join)
OPERATORS = ("drop", "duplicate", "swap", "cut-line", "cut-file", "insert", "join", "split")


@st.composite
def mutated_report(draw: st.DrawFn) -> str:
    """A real report with 0-8 random damages applied in turn."""
    lines = list(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(0, 8))):
        if not lines:
            break
        op = draw(st.sampled_from(OPERATORS))
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, max(0, len(lines[i]))))
        if op == "drop":
            del lines[i]
        elif op == "duplicate":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "cut-line":
            lines[i] = lines[i][:at]
        elif op == "cut-file":
            lines = [*lines[:i], lines[i][:at]]
        elif op == "insert":
            lines[i] = lines[i][:at] + draw(INSERTED) + lines[i][at:]
        elif op == "join" and i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + " " + lines[i + 1]]
        elif op == "split":
            lines[i : i + 1] = [lines[i][:at], lines[i][at:]]
    return "\n".join(lines)


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp874")


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    """A mutated report saved in some encoding, then maybe damaged as bytes."""
    text = draw(mutated_report())
    encoding = draw(st.sampled_from(ENCODINGS))
    data = bytearray(text.encode(encoding, "replace"))
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(("flip", "insert", "truncate")))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=6))
        else:
            del data[at:]
    return bytes(data)


MUTATIONS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@MUTATIONS
@given(mutated_report())
def test_mutated_reports_parse_leniently_and_tables_build(text: str) -> None:
    report = bmaparse.parse(text)
    assert re.fullmatch("[0-9a-f]{32}", report.report_key)
    tables = bmaparse.to_tables([report])
    assert tables["reports"].num_rows == 1
    assert tables["diagnostics"].num_rows == len(report.diagnostics)


@MUTATIONS
@given(mutated_report())
def test_mutated_reports_strict_raises_only_parse_error(text: str) -> None:
    try:
        bmaparse.parse(text, strict=True)
    except bmaparse.ParseError as exc:
        assert exc.diagnostics


@MUTATIONS
@given(mutated_report())
def test_mutated_reports_lose_no_line(text: str) -> None:
    report = bmaparse.parse(text)
    _assert_accounted(lines_of(text), [report])


@MUTATIONS
@given(st.one_of(mutated_bytes(), st.binary(max_size=4096)))
def test_any_bytes_load_leniently_lose_no_line_and_tables_build(data: bytes) -> None:
    from bmaparse._decode import decode

    document = bmaparse.load(data, source_path="50240000-7108.txt")
    codes = {d.code for d in document.diagnostics}
    assert "internal-error" not in codes, document.diagnostics
    try:
        bmaparse.load(data, strict=True)
    except bmaparse.ParseError as exc:
        assert exc.diagnostics
    tables = bmaparse.to_tables([document])
    assert tables["reports"].num_rows == len(document.reports)
    assert tables["diagnostics"].num_rows == len(document.diagnostics) + sum(
        len(r.diagnostics) for r in document.reports)
    if document.reports:
        _assert_accounted(decode(data).text.split("\n"), document.reports, document.diagnostics)
    else:  # nothing parsed: the input as a whole has an error saying why
        assert any(d.severity == "error" for d in document.diagnostics), document.diagnostics


STRUCTURAL = {
    Kind.PAGE_TITLE, Kind.KPI_TITLE, Kind.CHROME, Kind.HEADING, Kind.SEPARATOR, Kind.ROUTINE,
    Kind.EVAL_SECTION, Kind.QTABLE_TITLE, Kind.NUMBER, Kind.BLANK, Kind.KPIDEF_TITLE,
}


def _assert_accounted(lines: list[str], reports: Sequence[bmaparse.Report],
                      others: Sequence[bmaparse.Diagnostic] = ()) -> None:
    """Every non-structural line is inside some field or has a diagnostic on its line."""
    diagnostics = [*others, *(d for r in reports for d in r.diagnostics)]
    reported = {d.line for d in diagnostics if d.line is not None}
    values = "\n".join(_all_text(r) for r in reports)
    for tok in tokenize([without_surrogates(line) for line in lines]):  # what parse reads
        if tok.kind in STRUCTURAL or tok.line in reported or _header_cell(tok):
            continue
        if tok.kind is not Kind.TEXT and tok.groups and not any(g and g.strip() for g in tok.groups):
            continue  # a label with no value (ปัญหาของโครงการ, ประเภทตัวชี้วัด): the field is null
        pieces = [g for g in tok.groups if g and g.strip()] or [tok.text]
        assert any(_found(p, values) for p in pieces), (tok.line, tok.kind, tok.text)
