"""The compiled ``without_surrogates`` against ``_normalize.without_surrogates``.

The reference returns its argument itself when it holds no lone surrogate
(``_parser._valid_unicode`` tests ``fixed is text``), else a copy with each one
replaced by U+FFFD; the kernel must do both alike, on a str of every width
(Latin-1, two-byte and four-byte code points). The skip-or-fail rule is
``test_compiled``'s: without the extension these are skipped, unless
``BMAPARSE_EXPECT_COMPILED=1``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmaparse import _compiled
from bmaparse._normalize import without_surrogates
from test_compiled import SAMPLE_LINES, SAMPLES, _ckernels, require_extension


def compiled_without_surrogates() -> Callable[[str], str]:
    """The compiled kernel; skip (or fail, when it is expected) without the extension."""
    return require_extension().without_surrogates


def assert_same(text: str) -> None:
    expected = without_surrogates(text)
    got = compiled_without_surrogates()(text)
    assert got == expected
    assert (got is text) == (expected is text)


def test_the_selection_follows_the_lexer() -> None:
    assert _compiled.select({_compiled.PURE_PYTHON_ENV: "1"}).without_surrogates is without_surrogates
    if _ckernels is not None:
        assert _compiled.select({}).without_surrogates is _ckernels.without_surrogates


def test_every_document_and_line() -> None:
    for path in sorted(SAMPLES.glob("*.txt")):
        assert_same(path.read_text(encoding="utf-8"))
    for line in SAMPLE_LINES:
        assert_same(line)


@pytest.mark.parametrize("pad", ["", "a", "é", "ก", "\U0001f600"])
def test_every_surrogate_and_its_neighbours(pad: str) -> None:
    """Each surrogate, and the code points either side of the range, alone and in a
    str of each width (the pad decides the width)."""
    for code_point in [0xD7FF, *range(0xD800, 0xE000), 0xE000]:
        char = chr(code_point)
        for text in (char, pad + char, char + pad, pad + char + pad):
            assert_same(text)


def test_every_code_point() -> None:
    """Every code point in a Latin-1, a two-byte and a four-byte str."""
    for first in range(0, 0x110000, 0x1000):
        chunk = "".join(map(chr, range(first, first + 0x1000)))
        assert_same(chunk)
        assert_same("a" + chunk[:1])


@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=200))
def test_random_text(text: str) -> None:
    assert_same(text)


@given(st.lists(st.sampled_from(SAMPLE_LINES[:500] or ["x"]), max_size=20),
       st.lists(st.integers(0xD800, 0xDFFF), max_size=3), st.integers(0))
def test_sample_text_with_surrogates_put_in(lines: list[str], surrogates: list[int], where: int) -> None:
    text = "\n".join(lines)
    for code_point in surrogates:
        at = where % (len(text) + 1)
        text = text[:at] + chr(code_point) + text[at:]
    assert_same(text)
