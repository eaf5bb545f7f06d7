"""bmaparse._normalize: exact cases per rule, the real seed, pythainlp agreement, properties."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bmaparse._normalize import _repair, needs_repair, normalize_line, normalize_lines
from helpers import SEED_LINES

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# (input, expected) for each rule; the docs/format.md examples first.
CASES = [
    # nikhahit + sara aa -> sara am; a tone between them stays before sara am
    ("สํานัก", "สำนัก"),
    ("สำนัก", "สำนัก"),
    ("สํานักงานเขตราษฎร์บูรณะ", "สำนักงานเขตราษฎร์บูรณะ"),
    ("น\u0e4d\u0e49\u0e32", "น\u0e49\u0e33"),  # น + ํ + ้ + า -> น้ำ
    ("น\u0e49\u0e4d\u0e32", "น\u0e49\u0e33"),  # tone typed before nikhahit
    # tone typed after sara aa / sara am / sara a
    ("เจ้าหนา้ที่", "เจ้าหน้าที่"),
    ("น\u0e33\u0e49", "น\u0e49\u0e33"),  # ำ่ -> ่ำ
    ("จะ\u0e4a", "จ\u0e4aะ"),
    # tone typed before an above or below vowel
    ("ท\u0e48\u0e35", "ที่"),
    ("ก\u0e49\u0e31น", "กั้น"),
    ("ก\u0e48\u0e38ม", "กุ่ม"),  # below vowel: NFC already reorders it
    ("ท\u0e48\u0e35\u0e48", "ที่"),
    # doubled marks: keep one
    ("พื้นท่ี่่่", "พื้นที่"),
    ("นี้้", "นี้"),
    ("ดีีี", "ดี"),
    # stray sara aa after sara am
    ("ดำาเนินงาน", "ดำเนินงาน"),
    ("สม่ำาเสมอ", "สม่ำเสมอ"),
    # zero-width characters, also inside a word
    ("สำนัก\u200bงาน", "สำนักงาน"),
    ("เจ้า\u200cหน้า\u200dที่\u2060ดำเนิน\ufeffการ\u00ad", "เจ้าหน้าที่ดำเนินการ"),
    ("\ufeffความคืบหน้าโครงการ", "ความคืบหน้าโครงการ"),
    ("ท\u0e48\u200b\u0e35", "ที่"),  # a slip hidden by a zero-width space
    # spaces: NBSP and other Unicode spaces, tabs, runs, both ends
    ("ร้อยละ\u00a0100", "ร้อยละ 100"),
    ("นาย\u2003สมใจ\u3000ใจดี\u202fโทร.\u20091234", "นาย สมใจ ใจดี โทร. 1234"),
    ("จำนวน  155   คน", "จำนวน 155 คน"),
    ("a\t\tb \u00a0 c", "a b c"),
    ("  ** ปัญหาของโครงการ :ไม่มี \t", "** ปัญหาของโครงการ :ไม่มี"),
    ("\u00a0", ""),
    ("", ""),
    # NFC
    ("e\u0301", "\u00e9"),
    ("Cafe\u0301  ", "Caf\u00e9"),
]

# Must come out byte-identical.
UNCHANGED = [
    "๑,๓๒๔,๖๐๐ บาท และ 1,324,600 บาท",  # Thai and Arabic digits mixed
    "เป้าหมายที่ ๗.๒.๑ การพัฒนา%",
    "------------------&&&--------------------",
    "50241000/50241000",
    "**** ภารกิจงานประจำของหน่วยงาน ****% |",
    "(1) ความคืบหน้าโครงการฯ ร้อยละ 100.00 (2023-04-27)",
    'WOW!!! "(Best Service)" : 50990000-4321',
    "น้ำ ก๊วยเตี๋ยว สิทธิ์ กั้น ปั๊ม เก๋ ฤๅษี ๆ",
    "สม่ำเสมอ กำหนด ค่ำ ต่ำ ซ้ำ",
    "Plain ASCII, punctuation: ;:!?()[]{}<>",
    "ก\u0e48\u0e49",  # two different tones: we do not guess (pythainlp keeps the last)
    "เเปลก",  # two sara e: not joined (pythainlp makes แ)
    "นานาาา",  # repeated sara aa: kept (pythainlp drops)
    "ก\u0e4c\u0e34",  # thanthakhat before a vowel: kept (pythainlp moves it)
]

# Slips that pythainlp.util.normalize also repairs: the two must agree.
PYTHAINLP_AGREES = [
    "สํานัก",
    "เจ้าหนา้ที่",
    "พื้นท่ี่่่",
    "ท\u0e48\u0e35",
    "ก\u0e4d\u0e48\u0e32",
    "ก\u0e33\u0e48",
    "จะ\u0e4a",
    "นี้้",
    "ดีีี",
    "ท\u0e48\u0e35\u0e48",
    "สำนัก\u200bงาน",
    "จำนวน  155   คน",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_case(text: str, expected: str) -> None:
    assert normalize_line(text) == expected
    assert needs_repair(text) is (text != expected)


@pytest.mark.parametrize("text", UNCHANGED)
def test_unchanged(text: str) -> None:
    assert not needs_repair(text)
    assert normalize_line(text) is text
    assert _repair(text) == text


def test_both_spellings_of_sara_am_are_identical() -> None:
    assert normalize_line("สํานักงานเขต") == normalize_line("สำนักงานเขต") == "สำนักงานเขต"
    assert normalize_line("สํานักงานเขต").encode() == "สำนักงานเขต".encode()


@pytest.mark.parametrize("text", PYTHAINLP_AGREES)
def test_agrees_with_pythainlp(text: str) -> None:
    from pythainlp.util import normalize

    assert normalize_line(text) == normalize(text)


def test_disagrees_with_pythainlp_on_purpose() -> None:
    from pythainlp.util import normalize

    assert normalize("ดำาเนินงาน") == "ดำาเนินงาน"  # it leaves the stray sara aa
    assert normalize_line("ดำาเนินงาน") == "ดำเนินงาน"
    assert normalize("a\u00a0b") == "a\u00a0b"  # it leaves NBSP
    assert normalize_line("a\u00a0b") == "a b"
    # it is not idempotent on a tone typed after sara aa twice; we are
    assert normalize("ก\u0e32\u0e48\u0e32\u0e48") == "ก\u0e48\u0e32\u0e48\u0e32"
    assert normalize_line("ก\u0e32\u0e48\u0e32\u0e48") == "ก\u0e48\u0e32\u0e32"


def test_seed_changes_only_the_real_slip() -> None:
    changed = [(i, line) for i, line in enumerate(SEED_LINES) if normalize_line(line) != line]
    assert len(changed) == 1
    index, line = changed[0]
    assert "เจ้าหนา้ที่" in line
    assert normalize_line(line) == line.replace("เจ้าหนา้ที่", "เจ้าหน้าที่")
    assert all(normalize_line(x) is x for i, x in enumerate(SEED_LINES) if i != index)


def test_odd_space_class_is_every_space_but_the_plain_one() -> None:
    # needs_repair hard-codes the whitespace set; it must match str.isspace / re's \s.
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isspace() and char != " ":
            assert needs_repair(f"a{char}b"), hex(code)
            assert normalize_line(f"a{char}b") == "a b", hex(code)


@pytest.mark.parametrize(
    "line",
    [
        "ท\u0e48\u0e35" * 333_333,
        "\u0e32" * 1_000_000 + "\u0e48",
        "\u0e4d" + "\u0e48" * 1_000_000 + "\u0e32",
        "\u0e48\u0e49" * 500_000 + "\u0e34",
        "\u0301\u0316" * 500_000 + "\u0e48\u0e34",  # NFC alone is quadratic on this
        "\u0e35" + "\u0e48" * 500_000 + "\u0301" * 500_000 + "\u0e48\u0e48",
        " \t\u00a0\u200b" * 250_000,
        "\u0e33\u0e32" * 500_000,
        "\u0e48\u0e34\u0301" * 333_333,
    ],
    ids=lambda line: f"{len(line)}:{line[:3]!r}",
)
def test_adversarial_megabyte_line_completes(line: str) -> None:
    out = normalize_line(line)
    assert not needs_repair(out)


# Thai-heavy alphabet with every character class the rules look at, plus
# non-Thai combining marks, precomposed letters and invisible characters.
THAI_ALPHABET = (
    "กขนมทสดจห"  # consonants
    "เแโ"  # lead vowels
    "\u0e30\u0e32\u0e33\u0e45"  # follow vowels, lakkhangyao
    "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47"  # above/below vowels
    "\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"  # tones, thanthakhat, nikhahit, yamakkan
    "๑๒ 12 .:"
    "\u00a0\t\u3000\u2002" + ZERO_WIDTH + "\u0301\u0316\u05b0\u094d\u0344e\u00e9\u034f"
)
thai_text = st.text(alphabet=st.sampled_from(THAI_ALPHABET), max_size=40)
thai_words = st.text(alphabet=st.sampled_from(THAI_ALPHABET + "  \n"), max_size=120)
any_text = st.one_of(thai_text, st.text(), st.sampled_from(SEED_LINES))
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(any_text)
def test_output_is_normal(text: str) -> None:
    out = normalize_line(text)
    assert normalize_line(out) == out  # idempotent
    assert not needs_repair(out)  # a fixed point of every rule
    assert unicodedata.is_normalized("NFC", out)
    assert not any(char in out for char in ZERO_WIDTH)
    assert "  " not in out
    assert out == out.strip()
    assert all(char == " " or not char.isspace() for char in out)


@PROPERTY
@given(any_text)
def test_clean_input_is_returned_as_is(text: str) -> None:
    if not needs_repair(text):
        assert _repair(text) == text
        assert normalize_line(text) is text


@PROPERTY
@given(any_text)
def test_digits_and_ascii_letters_survive(text: str) -> None:
    out = normalize_line(text)
    for kept in ("0123456789", "๐๑๒๓๔๕๖๗๘๙"):
        assert [c for c in out if c in kept] == [
            c for c in unicodedata.normalize("NFC", text) if c in kept
        ]


multi_line = st.lists(st.one_of(thai_text, st.sampled_from(SEED_LINES), st.text()), max_size=8).map("\n".join)


@PROPERTY
@given(st.one_of(multi_line, thai_words, st.text(alphabet=st.sampled_from(THAI_ALPHABET + "\n"), max_size=80)))
@example("ก่ี ข\u200b ค่ี\nง่ี  จ")  # word-level slips beside lines that go whole
@example("เ่ี ก ีี\nดำา ข")
def test_whole_text_check_agrees_with_line_by_line(text: str) -> None:
    # The fast path (searches over the text, repairs of single words) may only
    # skip work the per-line path would not do.
    assert normalize_lines(text) == [normalize_line(line) for line in text.split("\n")]


def test_whole_text_fast_path_on_the_seed() -> None:
    clean = "\n".join(SEED_LINES).replace("เจ้าหนา้ที่", "เจ้าหน้าที่")
    assert normalize_lines(clean) == clean.split("\n")
    slipped = clean.replace("เจ้าหน้าที่", "เจ้าหนา้ที่")
    assert normalize_lines(slipped) == clean.split("\n")
