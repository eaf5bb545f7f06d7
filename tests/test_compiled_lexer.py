"""The compiled ``tokenize`` against the pure-Python lexer: identical tokens for every line.

``_ckernels.tokenize(text, first_line)`` must equal ``_lexer.pure_tokenize(text,
first_line)``: the same ``Token`` list, compared field by field (kind, text,
line, groups, col), on every line of the samples and test data, on each kind's
real lines, on mutated lines, on every code point at a line's ends, on random
text made of what the patterns look for, and on the hostile long lines of
``test_hostile_lines`` (both finish, within the same bound, and agree). And each
hand matcher of the kernel alone (``_ckernels.hand_match``) must give what its
pattern's ``re.match`` gives: on every real line and every cut of the model lines
(the shortest real lines of each pattern), with each studied code point in every
place of them, every code point where the digit readers look, random text made of
the patterns' words and their near misses, and megabyte lines (linear time). The
skip-or-fail rule is ``test_compiled``'s: without the extension these are
skipped, unless ``BMAPARSE_EXPECT_COMPILED=1``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import test_hostile_lines
from bmaparse import _compiled, _lexer, model
from bmaparse._lexer import Kind, Token, pure_tokenize
from helpers import DATA, SAMPLES, bounded, child_env
from test_compiled import require_extension

Tokenize = Callable[[str, int], list[Token]]


def compiled_tokenize() -> Tokenize:
    """The compiled kernel; skip (or fail, when it is expected) without the extension."""
    return require_extension().tokenize


def outcome(tokenize: Tokenize, text: str, first_line: int) -> list[tuple[object, ...]] | str:
    """The tokens as plain tuples with their type checked, or the exception's type."""
    try:
        tokens = tokenize(text, first_line)
    except Exception as exc:  # the reference's own failure must be the kernel's too
        return type(exc).__name__
    assert all(type(token) is Token for token in tokens)
    return [(t.kind, t.text, t.line, t.groups, t.col) for t in tokens]


def assert_same(text: str, first_line: int = 1) -> None:
    compiled = compiled_tokenize()
    assert outcome(compiled, text, first_line) == outcome(pure_tokenize, text, first_line), text[:200]


# --- the selector ----------------------------------------------------------------------


def test_lexer_tokenize_runs_the_selected_kernel() -> None:
    assert _compiled.tokenize is (compiled_tokenize() if _compiled.COMPILED else pure_tokenize)
    text = "ความคืบหน้าโครงการ ร้อยละ 60\n\nx : 50990000-4321"
    assert _lexer.tokenize(text, 7) == pure_tokenize(text, 7)
    assert _lexer.tokenize(text.split("\n"), 7) == pure_tokenize(text, 7)


def test_pure_python_selects_the_reference_lexer() -> None:
    assert _compiled.select({_compiled.PURE_PYTHON_ENV: "1"}).tokenize is pure_tokenize


def test_compiled_selects_the_compiled_lexer() -> None:
    assert _compiled.select({}).tokenize is compiled_tokenize()


IMPORT_FIRST = """
import importlib, sys, types
package = types.ModuleType("bmaparse")  # the package without its __init__, which picks an order
package.__path__ = [sys.argv[2]]
sys.modules["bmaparse"] = package
importlib.import_module("bmaparse." + sys.argv[1])
from bmaparse import _compiled, _lexer, _values, model
print(_compiled.IMPLEMENTATION, _lexer.tokenize("ด้านที่ 1 x")[0].kind, len(model.COMPILED_RECORDS),
      _values.to_ascii_digits("๑2") == "12", _values.to_ascii_digits is (_compiled.to_ascii_digits or _values.pure_to_ascii_digits))
"""


@pytest.mark.parametrize("first", ["_lexer", "_compiled", "model", "_values", "_parser"])
def test_either_module_may_be_imported_first(first: str) -> None:
    # _lexer imports _compiled last, _compiled imports _lexer, the kernel reads
    # _lexer's tables: whichever is imported first, all of it works.
    src = str(Path(_lexer.__file__).parent)
    done = subprocess.run([sys.executable, "-c", IMPORT_FIRST, first, src], env=child_env(),
                          capture_output=True, text=True, check=True)
    records = str(len(model.RECORD_CLASSES) if _compiled.COMPILED else 0)
    assert done.stdout.split() == [*_compiled.IMPLEMENTATION.split(), "strategy", records, "True", "True"]


# --- real lines ---------------------------------------------------------------------------

DOCUMENTS = sorted([*SAMPLES.glob("*.txt"), *DATA.glob("*.txt")])
ALL_LINES = sorted(
    {line for path in DOCUMENTS for line in path.read_text(encoding="utf-8").split("\n")}
)
KIND_LINES = [line for _, _, line in test_hostile_lines.LINES]
"""One real line of every kind (``test_hostile_lines`` checks that every kind is there)."""


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_every_document(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert_same(text)
    assert_same(text, 100)


def test_every_line_alone_and_with_its_prefixes() -> None:
    for line in ALL_LINES:
        assert_same(line)
        assert_same("\n".join(line[:end] for end in range(len(line) + 1)))


def test_every_kind_of_line_in_every_shape() -> None:
    for line in KIND_LINES:
        variants = [line, ":" + line, ": " + line, "*" + line, "** " + line, line + " ", " " + line,
                    line + line, line + " : 50990000-1", line + " : (2566)", line + " : 0900-0991",
                    line + "ฯ", line[:-1], line[1:], swap_digits(line, "๐"), swap_digits(line, "٠")]
        assert_same("\n".join(variants))


def test_headings_and_their_paiyannoi() -> None:
    lines = [h + tail for h in _lexer._HEADINGS for tail in ("", "ฯ", "ฯฯ", " ฯ", " ", "x", "\u0e2f\u0e2f\u0e2f")]
    assert_same("\n".join(lines))


def test_the_memo_overflows_and_keeps_agreeing() -> None:
    many = "\n".join(f"{i} / {i}" if i % 3 else f"ด้านที่ {i} x" for i in range(30_000))
    assert_same(many)
    assert_same(many)  # (from the memo this time)
    assert_same(many, 5)


# --- every code point at the ends of a line --------------------------------------------


def test_every_code_point_first_and_last() -> None:
    # Every code point first and last in one shape (the last decides whether the
    # suffix patterns are tried: ``isdigit``); the code points the lexer looks at
    # (ASCII, Thai, digits and spaces of any script: ``\\d``, ``isdigit``, ``lstrip``)
    # in the shapes of every kind.
    shapes = ("{c}", "{c}1", ":{c}", ": {c}", "ด้านที่ 1{c}", "{c}ด้านที่ 1 x", "x : 1{c}", "ก : 5099000{c}-1",
              "x : ({c})", "1{c}", "{c}/{c}", "1. นิยาม{c}", "๔. x : 2{c}")
    studied = [chr(code) for code in range(sys.maxunicode + 1)
               if code < 0x300 or 0xE00 <= code < 0xE80 or chr(code).isdigit() or chr(code).isspace()
               or chr(code).isnumeric() or unicodedata.category(chr(code)) == "Nd"]
    assert_same("\n".join(shape.format(c=c) for c in studied if c != "\n" for shape in shapes))
    for block in range(0, sys.maxunicode + 1, 65536):
        chars = [chr(code) for code in range(block, min(block + 65536, sys.maxunicode + 1)) if code != 0x0A]
        assert_same("\n".join(f"{c}x : 1{c}" for c in chars))


# --- mutated lines -----------------------------------------------------------------------

DIGIT_ZEROS = [
    chr(code) for code in range(sys.maxunicode + 1)
    if unicodedata.category(chr(code)) == "Nd" and unicodedata.digit(chr(code)) == 0
]
"""The zero of every script's decimal digits (``re``'s ``\\d`` takes them all)."""


def swap_digits(line: str, zero: str) -> str:
    """``line`` with its ASCII digits written in the script whose zero is ``zero``."""
    return re.sub("[0-9]", lambda m: chr(ord(zero) + int(m.group())), line)


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    """A real line cut, doubled, its digits in another script, stars or ':' put before it."""
    line = draw(st.sampled_from(ALL_LINES + KIND_LINES))
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from(("cut-end", "cut-start", "double", "double-char", "digits", "stars", "colon", "space")))
        at = draw(st.integers(0, len(line)))
        if edit == "cut-end":
            line = line[:at]
        elif edit == "cut-start":
            line = line[at:]
        elif edit == "double":
            line = line + draw(st.sampled_from(("", " ", " : ", ":"))) + line
        elif edit == "double-char":
            line = line[:at] + line[at : at + 1] + line[at:]
        elif edit == "digits":
            line = swap_digits(line, draw(st.sampled_from(DIGIT_ZEROS)))
        elif edit == "stars":
            line = "*" * draw(st.integers(1, 5)) + draw(st.sampled_from(("", " "))) + line
        elif edit == "colon":
            line = ":" + draw(st.sampled_from(("", " ", "  "))) + line
        else:
            line = line[:at] + draw(st.sampled_from((" ", "  ", "\t", "\u00a0"))) + line[at:]
    return line


# --- random text of what the patterns look for ------------------------------------------

PATTERNS = [pattern for _, _, pattern in _lexer._PREFIX_RULES] + [pattern for _, pattern in _lexer._SUFFIX_RULES]
WORDS = sorted({word for pattern in PATTERNS for word in re.findall(r"[\u0e00-\u0e7f]+|[A-Za-z]{2,}", pattern)} - {"P"})
"""Every Thai word and Latin label the patterns hold (``P`` is ``(?P<``)."""
PIECES = [*WORDS, *_lexer._HEADINGS, "ฯ", "---", "&&&", "------------------&&&--------------------", "50990000",
          "-4321", "0900-0991", "(2566)", "2023-04-27", "27/04/2566", "๒๗/๐๔/๒๕๖๖", "100.00", "1,234", "%", "/"]
CHARS = ":*()-/.,%&ฯ \t\u00a0\u200b0123456789๐๑๒๓๔๕๖๗๘๙" + "".join(DIGIT_ZEROS[:40]) + "กขคงจฉชซฌญ\u0e48\u0e35\u0e4d\u0e33"
random_lines = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(st.sampled_from(CHARS), max_size=6),
              st.sampled_from(DIGIT_ZEROS).map(lambda z: chr(ord(z) + 4)), st.characters()),
    max_size=10,
).map("".join)
random_text = st.lists(st.one_of(random_lines, mutated_lines()), min_size=1, max_size=8).map("\n".join)
PROPERTY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(random_text, st.integers(-3, 10_000))
@example(":", 1)
@example(": ด้านที่ ๑ x", 1)
@example(":\u3000ด้านที่ 1 x", 1)
@example("๒๗/๐๔/๒๕๖๖ : ทำ\n๕๐๙๙๐๐๐๐-๔๓๒๑", 1)
def test_random_text(text: str, first_line: int) -> None:
    assert_same(text, first_line)


@PROPERTY
@given(st.lists(mutated_lines(), min_size=1, max_size=6).map("\n".join))
def test_mutated_lines(text: str) -> None:
    assert_same(text)


# --- hostile long lines ------------------------------------------------------------------


def hostile_lines() -> list[str]:
    """``test_hostile_lines``' long lines: each kind's line with each large filler at its
    start, middle and end, and the star lines of the issue."""
    hl = test_hostile_lines
    stars = next(mark for mark in hl.test_the_reported_star_line.pytestmark if mark.name == "parametrize")
    lines: list[str] = list(stars.args[1])
    for line in KIND_LINES:
        for at in sorted({0, len(line) // 2, len(line)}):
            for filler in hl.LARGE_FILLERS:
                lines.append(line[:at] + filler * (hl.LARGE // len(filler)) + line[at:])
    return lines


def bounded_outcome(tokenize: Tokenize, line: str) -> object:
    """``outcome(tokenize, line, 1)``, failing the test if it is not linear in time."""
    found: list[object] = []
    bounded(lambda: found.append(outcome(tokenize, line, 1)),
            f"{line[:40]!r} ({len(line):,} characters)", test_hostile_lines.BOUND)
    return found[0]


@pytest.mark.slow
def test_hostile_long_lines() -> None:
    compiled = compiled_tokenize()
    for line in hostile_lines():
        assert bounded_outcome(compiled, line) == bounded_outcome(pure_tokenize, line), line[:80]


@pytest.mark.parametrize("first_line", [2**62, 2**63 - 1, 2**64, -(2**63), 10**30])
def test_line_numbers_past_a_c_integer_are_counted_exactly(first_line: int) -> None:
    """The compiled kernel counts lines in a ``Py_ssize_t``; ``tokenize`` gives
    numbers it cannot hold to the reference (a review found 2**63-1 wrapping)."""
    tokens = _lexer.tokenize("a\nb\nc", first_line)
    assert [t.line for t in tokens] == [first_line, first_line + 1, first_line + 2]
    assert tokens == pure_tokenize("a\nb\nc", first_line)


def test_a_str_subclass_is_tokenized_as_its_str() -> None:
    class Text(str):
        pass

    text = "โครงการ ก : 50990000-4321\nความคืบหน้าโครงการ ร้อยละ 60"
    assert _lexer.tokenize(Text(text)) == pure_tokenize(text)


# --- each hand matcher against its own regex ---------------------------------------------
#
# ``_ckernels.hand_match(source, line)`` runs the hand matcher bound to the pattern
# ``source`` alone: it must give what ``re.match(source, line)`` gives (the groups, or
# None) on any line without "\n" (the lines tokenize classifies), not only on lines its
# bucket and the rules before it let through.

HAND_KINDS = {
    Kind.PAGE_TITLE, Kind.PERCENT, Kind.KPI_TARGET, Kind.KPI_ACHIEVED, Kind.QTABLE_TITLE, Kind.KPI_KINDS,
    Kind.KPI_NAME, Kind.KPI_TITLE, Kind.CHROME, Kind.STRATEGY, Kind.PROGRESS_HEAD, Kind.ROUTINE, Kind.EVAL,
    Kind.KPI_EVAL, Kind.PROBLEMS, Kind.OBSTACLES, Kind.EVAL_SECTION, Kind.SEPARATOR, Kind.UNIT_CODES,
    Kind.ENTRY, Kind.SCORE_PAIR, Kind.NUMBER, Kind.DATA_KIND, Kind.NAME_ID, Kind.KPI_ID, Kind.AGENCY_FY,
}
"""The kinds whose patterns (all of them but the CHROME of the view page) are matched by hand:
every rule of the page and export layouts. A pattern changed in ``_lexer`` falls back to its
regex, and this list says so."""


def hand_sources() -> list[str]:
    """The patterns a hand matcher takes (skip or fail without the extension)."""
    return [source for _, source, _ in require_extension().hand_matched_rules()]


def hand_lines(sources: list[str], lines: list[str]) -> None:
    """Every hand matcher equals its regex on every line."""
    hand_match = require_extension().hand_match
    for source in sources:
        pattern = re.compile(source)
        for line in lines:
            found = pattern.match(line)
            assert hand_match(source, line) == (None if found is None else found.groups()), (source, line[:200])


def test_the_frequent_rules_are_matched_by_hand() -> None:
    kernels = require_extension()
    rules = kernels.hand_matched_rules()
    assert {kind for kind, _, _ in rules} == HAND_KINDS
    assert {shape for _, _, shape in rules} == {shape for shape, _ in kernels._SHAPES}, "a shape binds no rule"
    patterns = [pattern for _, _, pattern in _lexer._PREFIX_RULES] + [pattern for _, pattern in _lexer._SUFFIX_RULES]
    assert {source for _, source, _ in rules} <= set(patterns)
    with pytest.raises(LookupError):  # a pattern of no shape keeps its regex
        kernels.hand_match(_lexer._PREFIX_RULES[-1][2], "1. นิยาม")
    with pytest.raises(LookupError):  # a pattern changed is no longer the shape it was
        kernels.hand_match(rules[0][1].replace(" ?$", "$"), "x")
    with pytest.raises(ValueError):
        kernels.hand_match(rules[0][1], "a\nb")
    with pytest.raises(ValueError):
        kernels.look("a\nb")


MODEL_LINES = sorted({line for source in PATTERNS for line in sorted(
    (line for line in KIND_LINES + ALL_LINES if re.match(source, line)), key=len)[:2]})
"""The two shortest real lines each pattern matches: the shapes to put code points into."""


def test_every_hand_matcher_on_every_real_line() -> None:
    hand_lines(hand_sources(), ALL_LINES + KIND_LINES + [swap_digits(line, "๐") for line in ALL_LINES])


def test_every_hand_matcher_on_every_cut_of_the_model_lines() -> None:
    # Every start and end of every model line: the edges of each shape (" : 50990000-1").
    hand_lines(hand_sources(), sorted({cut for line in MODEL_LINES for at in range(len(line) + 1)
                                       for cut in (line[:at], line[at:])}))


def studied_code_points() -> list[str]:
    """ASCII, Latin-1, the Thai block, the zero and nine of every script's decimal digits
    (``\\d``), every space, the digits that are not decimal (``isdigit``: ``²``, ``①``),
    and the ends of the code space."""
    nines = [chr(ord(zero) + 9) for zero in DIGIT_ZEROS]
    others = [chr(code) for code in range(sys.maxunicode + 1)
              if chr(code).isspace() or (chr(code).isdigit() and not chr(code).isdecimal())][:200]
    return sorted({*map(chr, range(0x100)), *map(chr, range(0xE00, 0xE80)), *DIGIT_ZEROS, *nines, *others,
                   "\ud800", "\uffff", chr(sys.maxunicode)} - {"\n"})


@pytest.mark.slow
def test_every_hand_matcher_on_every_studied_code_point_everywhere() -> None:
    # Each studied code point in place of, and before, every character of the shortest
    # model line of each pattern. (The other patterns of its bucket meet such near misses
    # in the random tests below.)
    codes = studied_code_points()
    for source in hand_sources():
        line = min((line for line in MODEL_LINES if re.match(source, line)), key=len)
        hand_lines([source], [line[:at] + c + line[at + cut:] for at in range(len(line) + 1) for cut in (0, 1)
                              for c in codes])


DIGIT_SHAPES = ("(1{c}) ความคืบหน้าโครงการ ร้อยละ {c}5 (2{c})", "{c}7/0{c}/2566 : x{c}", "2{c}/04/256{c}: x",
                "x{c} : 5099000{c}-1{c}", "x : 090{c}-099{c}", "ก : ({c}564)", "มิติที่ 1.{c}2 x", "ด้านที่{c}1 x",
                "***{c}สยป.{c}ประเมินโครงการ : ไตรมาสที่ {c}1 {c}", "** ปัญหาของโครงการ{c}x", "---{c}&&&---",
                "ค่าเป้าหมาย{c}: {c}", "5{c}024100{c}/50241000", "1{c}0 / 1,0{c}0", "1{c}.5{c}%",
                "ความคืบหน้าโครงการ ร้อยละ {c}")
"""Lines of the hand shapes with a code point where each reads digits, a space or its end."""


def test_every_studied_code_point_in_the_digits_of_each_shape() -> None:
    codes = studied_code_points()
    assert_same("\n".join(shape.format(c=c) for shape in DIGIT_SHAPES for c in codes))


@pytest.mark.slow
def test_every_code_point_in_the_digit_readers() -> None:
    # The whole code space where the digit readers look (\d is any script's decimal
    # digit: the kernel tests ASCII and Thai itself and asks Py_UNICODE_ISDECIMAL the rest).
    for block in range(0, sys.maxunicode + 1, 65536):
        chars = [chr(code) for code in range(block, min(block + 65536, sys.maxunicode + 1)) if code != 0x0A]
        for shape in DIGIT_SHAPES[0], DIGIT_SHAPES[3]:
            assert_same("\n".join(shape.format(c=c) for c in chars))


NEAR_WORDS = sorted({near for word in WORDS + list(_lexer._HEADINGS) for near in (
    word, word[:-1], word[1:], word[:1] + word, word + word[-1:], word.replace("ที่", "ท่ี"), word + "ฯ", word + " ")})
"""Each word of the patterns, and its near misses: cut at either end, a letter doubled, a slip."""
HAND_PIECES = [*NEAR_WORDS, *PIECES, "(", ")", ":", " : ", ".", ",", "%", "*", "** ", "***", "-", "---", "&&&", "&",
               "|", "ฯ", " ", "2566", "50990000", "0900", "1.2.", "๒.๒.๓", "1,234.5", "100.00"]
hand_text = st.lists(
    st.one_of(st.sampled_from(HAND_PIECES), st.text(st.sampled_from(CHARS), max_size=6),
              st.sampled_from(DIGIT_ZEROS).map(lambda z: chr(ord(z) + 7)), st.characters(blacklist_characters="\n")),
    max_size=12,
).map("".join)


@st.composite
def mutated_model_lines(draw: st.DrawFn) -> str:
    """A line some hand matcher takes, with pieces of the shapes put in, cut out or doubled."""
    line = draw(st.sampled_from(MODEL_LINES))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(line)))
        end = draw(st.integers(at, min(len(line), at + 4)))
        edit = draw(st.sampled_from(("insert", "replace", "delete", "double")))
        piece = draw(st.one_of(st.sampled_from(HAND_PIECES), st.sampled_from(CHARS)))
        if edit == "insert":
            line = line[:at] + piece + line[at:]
        elif edit == "replace":
            line = line[:at] + piece + line[end:]
        elif edit == "delete":
            line = line[:at] + line[end:]
        else:
            line = line[:end] + line[at:]
    return line


def look_outcome(look: Callable[[str], object], line: str) -> object:
    try:
        return look(line)
    except Exception as exc:  # (":" then spaces: the reference's IndexError must be the kernel's)
        return type(exc).__name__


@PROPERTY
@given(st.one_of(hand_text, mutated_model_lines()))
@example("(1) ความคืบหน้าโครงการฯ ร้อยละ 1,2.3 ( 2023 )")
@example("(๑)ความคืบหน้าโครงการร้อยละ( )")
@example("27/04/25666 : x")
@example("มิติที่ 1..2.. x")
@example("x : : 50990000-1 ")
@example("*** สยป ประเมินโครงการไตรมาสที่ 12: ")
@example(": ")
def test_hand_matchers_on_random_text(line: str) -> None:
    hand_lines(hand_sources(), [line])
    assert look_outcome(require_extension().look, line) == look_outcome(_lexer._look, line)
    assert_same(line)


def bounded_hand_match(source: str, line: str, what: str) -> object:
    """``hand_match(source, line)``, failing the test if it is not linear in time."""
    found: list[object] = []
    bounded(lambda: found.append(require_extension().hand_match(source, line)), what, test_hostile_lines.BOUND)
    return found[0]


@pytest.mark.slow
def test_hand_matchers_on_hostile_megabyte_lines() -> None:
    # Every pattern's shortest model line with a megabyte of each filler at its start,
    # middle and end: the hand matcher agrees with the regex and, like it, takes linear time.
    fillers = ("*", ":", " ", "1", "๑", "(", ")", "-", "/", ".", "1.", "1,", " :", "&", "ก")
    size = 1_000_000
    for source in hand_sources():
        pattern = re.compile(source)
        line = min((line for line in MODEL_LINES if pattern.match(line)), key=len)
        for at in sorted({0, len(line) // 2, len(line)}):
            for filler in fillers:
                hostile = line[:at] + filler * (size // len(filler)) + line[at:]
                what = f"{source[:30]!r} on {filler!r} * {size:,} at {at}"
                expected = pattern.match(hostile)
                assert bounded_hand_match(source, hostile, what) == (
                    None if expected is None else expected.groups()), what
