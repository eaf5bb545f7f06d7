"""Properties that hold for any input: lenient parsing never raises, strict
parsing raises only ParseError, every line is accounted for."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse._lexer import Kind, tokenize
from bmaparse._parser import lines_of

ROOT = Path(__file__).parent.parent
REAL_LINES = [
    *(ROOT / "samples" / "000_8c07428080a9c9ea.txt").read_text(encoding="utf-8").split("\n"),
    *(ROOT / "tests" / "data" / "page_full.txt").read_text(encoding="utf-8").split("\n"),
    *(ROOT / "tests" / "data" / "kpi_page.txt").read_text(encoding="utf-8").split("\n"),
]

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
    assert isinstance(report, bmaparse.Report)
    assert report.doc_kind in ("project", "kpi")
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
def test_every_line_is_taken_or_reported(text: str) -> None:
    """A non-blank line's text is found in some field, or it is reported, or it is
    a line whose whole meaning is structure (chrome, headings, separators ...)."""
    report = bmaparse.parse(text)
    reported = {d.line for d in report.diagnostics if d.line is not None}
    values = _all_text(report)
    structural = {
        Kind.PAGE_TITLE, Kind.KPI_TITLE, Kind.CHROME, Kind.HEADING, Kind.SEPARATOR, Kind.ROUTINE,
        Kind.EVAL_SECTION, Kind.QTABLE_TITLE, Kind.NUMBER, Kind.BLANK,
    }
    for tok in tokenize(lines_of(text)):
        if tok.kind in structural or tok.line in reported:
            continue
        pieces = [g for g in tok.groups if g and g.strip()] or [tok.text]
        assert any(_found(p, values) for p in pieces), (tok.line, tok.kind, tok.text)


NONE_WORDS = {"ไม่มี", "-"}  # problems/obstacles that say "none" become null by contract


def _found(piece: str, values: str) -> bool:
    piece = piece.strip().lstrip(":").strip()
    return not piece or piece in NONE_WORDS or piece in values or bmaparse._values.to_ascii_digits(piece) in values


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
