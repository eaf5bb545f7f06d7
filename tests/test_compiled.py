"""The compiled kernels against the pure-Python reference: identical output on every input.

Every test here runs both paths on the same input and compares. Where the
extension is not built the comparisons are skipped, unless
``BMAPARSE_EXPECT_COMPILED=1`` (CI sets it after a build with a compiler): then
they fail, so a build that silently fell back to pure Python cannot pass.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import test_normalize
from bmaparse import _compiled
from bmaparse._normalize import normalize_line, normalize_lines

try:
    import bmaparse._ckernels as _ckernels
except ModuleNotFoundError:  # not built (a broken build raises another ImportError)
    _ckernels = None

EXPECT_COMPILED = os.environ.get("BMAPARSE_EXPECT_COMPILED", "") not in ("", "0")
SAMPLES = Path(__file__).parent.parent / "samples"
SAMPLE_LINES = sorted(
    {line for path in SAMPLES.glob("*.txt") for line in path.read_text(encoding="utf-8").split("\n")}
)


def require_extension() -> Any:
    """The compiled extension, for a test of it: skipped without it, or failed when
    ``BMAPARSE_EXPECT_COMPILED`` says it must be there (CI's compiled run)."""
    if _ckernels is None:
        if EXPECT_COMPILED:
            pytest.fail("BMAPARSE_EXPECT_COMPILED is set but bmaparse._ckernels did not import")
        pytest.skip("the compiled extension is not built")
    return _ckernels


def compiled_normalize_lines() -> Callable[[str], list[str]]:
    """The compiled kernel; skip (or fail, when it is expected) without the extension."""
    return require_extension().normalize_lines


def assert_same(text: str) -> None:
    assert compiled_normalize_lines()(text) == normalize_lines(text)


# --- the selector --------------------------------------------------------------------


def test_expected_extension_is_built_and_selected() -> None:
    """The selection follows what was built; with ``BMAPARSE_EXPECT_COMPILED`` (CI,
    after an install with a compiler) the extension must be there and chosen."""
    assert _compiled.select({}).compiled == (_ckernels is not None)
    if EXPECT_COMPILED:
        assert _ckernels is not None, "BMAPARSE_EXPECT_COMPILED is set but the extension is missing"


def test_environment_forces_pure_python() -> None:
    kernels = _compiled.select({_compiled.PURE_PYTHON_ENV: "1"})
    assert not kernels.compiled
    assert kernels.normalize_lines is normalize_lines
    assert _compiled.PURE_PYTHON_ENV in kernels.implementation


def test_selects_the_extension_when_built_and_allowed() -> None:
    compiled = compiled_normalize_lines()
    for environ in ({}, {_compiled.PURE_PYTHON_ENV: ""}, {_compiled.PURE_PYTHON_ENV: "0"}):
        kernels = _compiled.select(environ)
        assert kernels.compiled
        assert kernels.implementation == "compiled"
        assert kernels.normalize_lines is compiled


def test_missing_extension_falls_back_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bmaparse._ckernels", None)  # import fails: not built
    kernels = _compiled.select({})
    assert not kernels.compiled
    assert kernels.normalize_lines is normalize_lines
    assert "not built" in kernels.implementation


def test_module_facts_agree() -> None:
    assert _compiled.COMPILED is (_compiled.IMPLEMENTATION == "compiled")
    assert _compiled.normalize_lines is (
        compiled_normalize_lines() if _compiled.COMPILED else normalize_lines
    )


# --- the code points the kernel judges by itself ---------------------------------------


def test_known_code_points_are_stable_starters_or_ordered_marks() -> None:
    # The kernel's NFC check is exact only if every code point it judges alone has
    # the combining class it assumes, is NFC by itself (quick check not "No") and
    # never composes with what precedes it (not "Maybe": the second of a canonical
    # pair, or a Hangul vowel or final jamo).
    compiled_normalize_lines()
    known_combining_class = _ckernels.known_combining_class
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for code in range(sys.maxunicode + 1):
        mapping = unicodedata.decomposition(chr(code))
        if mapping and not mapping.startswith("<"):
            seconds.update(int(part, 16) for part in mapping.split()[1:])
    known = 0
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        ccc = known_combining_class(char)
        if ccc >= 0:
            known += 1
            assert ccc == unicodedata.combining(char), hex(code)
            assert unicodedata.normalize("NFC", char) == char, hex(code)
            assert code not in seconds, hex(code)
    assert known > 0x300


def test_every_code_point_in_context() -> None:
    # Every code point in three shapes; those of the blocks the kernel judges itself
    # (ASCII to IPA, Thai, general punctuation, the ideographic space, BOM) also
    # doubled, around spaces, before and after Thai marks of each combining class
    # and after a base they might compose with.
    compiled = compiled_normalize_lines()
    shapes = ("{c}", "a{c} b", "ก\u0e48{c}\u0e3a")
    close = (
        "{c}{c}", " {c}", "{c} ", "x {c}  y", "ก\u0e3a{c}", "ก\u0e38{c}", "ก{c}\u0e48",
        "ก{c}\u0e38", "ก{c}\u0e32", "\u0e33{c}", "ก\u0e4d{c}\u0e32", "e{c}\u0301", "A{c}",
    )
    studied = {*range(0x400), *range(0xE00, 0xE80), *range(0x2000, 0x2070), 0x3000, 0xFEFF}
    for block in range(0, sys.maxunicode + 1, 4096):
        codes = range(block, min(block + 4096, sys.maxunicode + 1))
        lines = [
            shape.format(c=chr(code))
            for code in codes
            for shape in (shapes + close if code in studied else shapes)
        ]
        text = "\n".join(lines)
        assert compiled(text) == normalize_lines(text), hex(block)


# --- the examples of test_normalize --------------------------------------------------


NORMALIZE_EXAMPLES = [
    *(text for text, _ in test_normalize.CASES),
    *test_normalize.UNCHANGED,
    *test_normalize.PYTHAINLP_AGREES,
    "ก่ี ข\u200b ค่ี\nง่ี  จ",
    "เ่ี ก ีี\nดำา ข",
    "ดำาเนินงาน",
    "a\u00a0b",
    "ก\u0e32\u0e48\u0e32\u0e48",
]
HOSTILE_LINES: list[str] = next(
    mark.args[1]
    for mark in test_normalize.test_adversarial_megabyte_line_completes.pytestmark
    if mark.name == "parametrize"
)


@pytest.mark.parametrize("text", NORMALIZE_EXAMPLES)
def test_normalize_examples(text: str) -> None:
    assert_same(text)
    assert_same(f"\n {text} \n{text}\n")
    assert compiled_normalize_lines()(text) == [normalize_line(line) for line in text.split("\n")]


def test_seed_whole_and_slipped() -> None:
    for path in sorted(SAMPLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert_same(text)
        assert_same(text.replace("ที่", "ท\u0e48\u0e35").replace("หน้า", "หนา\u0e49"))


@pytest.mark.parametrize("line", HOSTILE_LINES, ids=lambda line: f"{len(line)}:{line[:3]!r}")
def test_hostile_megabyte_lines(line: str) -> None:
    assert_same(line)  # (linear: the reference's own test bounds these lines' time)
    assert_same(f"ok\n{line[:1000]}\n{line}")


def test_many_short_lines() -> None:
    assert_same("ก่ี \n" * 100_000)
    assert_same("\n" * 100_000)
    assert_same("ท\u0e48\u0e35\n" * 100_000)


# --- generated text --------------------------------------------------------------------


SPACES = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
ZERO_WIDTH = test_normalize.ZERO_WIDTH
MARKS = "\u0300\u0301\u0316\u0334\u0344\u0345\u05b0\u094d\u0e4e\u1dc0\u20d0\u302a\u034f"
SPECIAL = (
    test_normalize.THAI_ALPHABET + SPACES + ZERO_WIDTH + MARKS
    + "\ud800\udbff\udc00\udfff\ufffd\u1100\u1161\u11a8\uac00Ae\u00e9\u2013\u2026\u212b\u0340"
)
unicode_chars = st.one_of(
    st.characters(exclude_categories=()),  # any code point, surrogates included
    st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F),  # the Thai block
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
    st.sampled_from(SPECIAL),
)
random_text = st.one_of(
    st.text(unicode_chars, max_size=200),
    st.text(st.sampled_from(SPECIAL + "\n  "), max_size=200),
    st.lists(st.one_of(st.sampled_from(SAMPLE_LINES), st.text(unicode_chars, max_size=20)), max_size=8).map(
        "\n".join
    ),
)


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    """A sample line with a few characters inserted, deleted, doubled or swapped."""
    chars = list(draw(st.sampled_from(SAMPLE_LINES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(chars)))
        edit = draw(st.sampled_from(("insert", "delete", "double", "swap")))
        if edit == "insert":
            chars.insert(at, draw(unicode_chars))
        elif at < len(chars) and edit == "delete":
            del chars[at]
        elif at < len(chars) and edit == "double":
            chars.insert(at, chars[at])
        elif at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(chars)


PROPERTY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(random_text)
@example("\ud800 \udc00")
@example("e\u0301\nก\u0e48\u0e38")
def test_random_text(text: str) -> None:
    assert_same(text)


@PROPERTY
@given(st.lists(mutated_lines(), min_size=1, max_size=6).map("\n".join))
def test_mutated_sample_lines(text: str) -> None:
    assert_same(text)


# --- the storage widths and the slips' clusters ----------------------------------------
#
# The pass reads the str's storage at its width (one byte, two or four a code point), and
# repairs the clusters of a line with only slips itself: the same texts at every width,
# and text made of Thai clusters with their slips (``_repair_clusters``' bounds: a Thai
# consonant or a space), must give the reference's lines.

WIDTHS = ("", "\u00e9", "\u0e01", "\U0001f600")
"""Appended to a text, these make its storage one (ASCII, Latin-1), two and four bytes a code point."""
CLUSTER_TEXTS = [
    "a\u00a0b\n  c\t\nd ", "x  y\n\u200bz", "ท\u0e48\u0e35 หนา\u0e49 ส\u0e4d\u0e32 ดำา", "\u0e48\u0e35ก", "ก\u0e48\u0e35",
    "ก่ี่ี่ี ข", " ท\u0e48\u0e35", "ท\u0e48\u0e35 ", "ก\u0e31\u0e31\u0e31\u0e31", "\u0e33\u0e32\u0e33\u0e32",
    "ก\u0e4d\u0e48\u0e32\u0e4d\u0e32ข", "กำ\u0e48า ข\u0e32\u0e49", "ก\u0e48\u0e35\u0301ข", "\u0e4d" * 50 + "ก",
]


@pytest.mark.parametrize("tail", WIDTHS, ids=["ascii", "latin-1", "ucs-2", "ucs-4"])
def test_every_storage_width(tail: str) -> None:
    for text in [*CLUSTER_TEXTS, *NORMALIZE_EXAMPLES, "\n".join(SAMPLE_LINES[:50])]:
        assert_same(text + tail)
        assert_same(tail + text)
        assert_same(f"{text}\n{tail}\n{text}")


cluster_text = st.text(
    st.sampled_from(test_normalize.THAI_ALPHABET + "\u0e4d\u0e33\u0e32\u0e30\u0e48\u0e49\u0e35\u0e38  \n" + "a\u00a0\U0001f600\u0301"),
    max_size=120,
)


@PROPERTY
@given(cluster_text)
@example("ก\u0e48\u0e35\u0e48\u0e35 ข\u0e48\u0e35\nค\u0e4dา")
@example("\u0e48\u0e35 \u0e48\u0e35")
def test_slips_in_their_clusters(text: str) -> None:
    assert_same(text)
