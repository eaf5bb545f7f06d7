"""The compiled ``tokenize`` against the pure-Python lexer: identical tokens for every line.

``_ckernels.tokenize(text, first_line)`` must equal ``_lexer.pure_tokenize(text,
first_line)``: the same ``Token`` list, compared field by field (kind, text,
line, groups, col), on every line of the samples and test data, on each kind's
real lines, on mutated lines, on every code point at a line's ends, on random
text made of what the patterns look for, and on the hostile long lines of
``test_hostile_lines`` (both finish, within the same bound, and agree). The
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
from bmaparse._lexer import Token, pure_tokenize
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
