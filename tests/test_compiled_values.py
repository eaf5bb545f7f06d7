"""The compiled ``to_ascii_digits`` against ``_values.pure_to_ascii_digits``.

The reference returns its argument itself when it holds no Thai digit, else a
copy with each Thai digit ๐-๙ made ASCII; the kernel must do both alike, on a
str of every width. With the extension selected, ``_values.to_ascii_digits``
(which the rules import) is the kernel. The skip-or-fail rule is
``test_compiled``'s: without the extension these are skipped, unless
``BMAPARSE_EXPECT_COMPILED=1``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from bmaparse import _compiled, _rules, _values
from test_compiled import SAMPLE_LINES, _ckernels, require_extension


def compiled_to_ascii_digits() -> Callable[[str], str]:
    """The compiled kernel; skip (or fail, when it is expected) without the extension."""
    return require_extension().to_ascii_digits


def assert_same(text: str) -> None:
    expected = _values.pure_to_ascii_digits(text)
    got = compiled_to_ascii_digits()(text)
    assert got == expected
    assert (got is text) == (expected is text)


def test_the_selected_one_is_what_the_rules_call() -> None:
    selected = _values.to_ascii_digits
    assert selected is (_ckernels.to_ascii_digits if _compiled.COMPILED and _ckernels else _values.pure_to_ascii_digits)
    assert _rules.to_ascii_digits is selected
    assert _compiled.select({_compiled.PURE_PYTHON_ENV: "1"}).to_ascii_digits is None


def test_every_code_point() -> None:
    """Every code point alone, and in a str of each width beside a Thai digit."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert_same(char)
        assert_same("๕" + char + "a")
    for first in range(0, sys.maxunicode + 1, 0x1000):
        assert_same("".join(map(chr, range(first, min(first + 0x1000, sys.maxunicode + 1)))))


def test_every_sample_line() -> None:
    for line in SAMPLE_LINES:
        assert_same(line)
        assert_same(line.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")))


@given(st.text(st.sampled_from("0123456789๐๑๒๓๔๕๖๗๘๙ก.,/ -é\U0001f600٣"), max_size=40))
def test_digit_soup(text: str) -> None:
    assert_same(text)


@given(st.text(st.characters(exclude_categories=()), max_size=60))
def test_random_text(text: str) -> None:
    assert_same(text)


class _Text(str):
    """A str subclass: the reference takes it (``str.translate``), so must the kernel."""


def test_a_str_subclass_is_read_as_the_reference_reads_it() -> None:
    kernel = compiled_to_ascii_digits()
    for text in ("abc", "๑๒3", "x๙ ๐", ""):
        given_text = _Text(text)
        got, want = kernel(given_text), _values.pure_to_ascii_digits(given_text)
        assert (got, type(got), got is given_text) == (want, type(want), want is given_text)
