"""_decode: bytes -> str. Inputs are built from the real seed export."""

from __future__ import annotations

import codecs
import gzip
import random
import re
import struct
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse._decode import Decoded, decode
from helpers import SEED, codes, key_of
from helpers import SEED_LINES as LINES
from helpers import SEED_TEXT as SAMPLE

PATH = "exports/50240000-7108.txt"
ENCODINGS = {"utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp874", "utf-8-replace", "binary"}
REMOVED = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufeff]")


def summary(decoded: Decoded) -> list[tuple[str, str, int | None, int | None]]:
    """(code, severity, line, col) of each diagnostic, the shape the tests assert."""
    return [(d.code, d.severity, d.line, d.col) for d in decoded.diagnostics]


def offset(line: int, col: int) -> int:
    """Index in SAMPLE of 1-based (line, col)."""
    return sum(len(text) + 1 for text in LINES[: line - 1]) + col - 1


def clean(text: str) -> str:
    """What decode does to already-decoded text: line ends and removed characters."""
    return REMOVED.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# --- the encodings Windows tools save ----------------------------------------------------

ENCODED = {
    "utf-8": (lambda t: t.encode("utf-8"), "utf-8", None),
    "utf-8-sig": (
        lambda t: t.encode("utf-8-sig"),
        "utf-8-sig",
        "decoded as UTF-8 (byte order mark)",
    ),
    "utf-16-le": (
        lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
        "utf-16-le",
        "decoded as utf-16-le (byte order mark)",
    ),
    "utf-16-be": (
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
        "utf-16-be",
        "decoded as utf-16-be (byte order mark)",
    ),
    "utf-16-le-nobom": (
        lambda t: t.encode("utf-16-le"),
        "utf-16-le",
        "decoded as utf-16-le (detected without byte order mark)",
    ),
    "utf-16-be-nobom": (
        lambda t: t.encode("utf-16-be"),
        "utf-16-be",
        "decoded as utf-16-be (detected without byte order mark)",
    ),
    "cp874": (lambda t: t.encode("cp874"), "cp874", "decoded as cp874 (Thai Windows code page)"),
}


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("name", list(ENCODED))
def test_sample_round_trips_in_every_encoding(name: str, line_end: str) -> None:
    encode, encoding, note = ENCODED[name]
    decoded = decode(encode(SAMPLE.replace("\n", line_end)), PATH)
    assert decoded.text == SAMPLE
    assert decoded.encoding == encoding
    if note is None:
        assert decoded.diagnostics == ()
    else:
        assert summary(decoded) == [("encoding-detected", "info", None, None)]
        assert decoded.diagnostics[0].message == note
        assert decoded.diagnostics[0].source_path == PATH


def test_plain_utf8_keeps_the_same_string_and_has_no_diagnostics() -> None:
    assert decode(SAMPLE.encode()) == Decoded(SAMPLE, "utf-8", ())


def test_ascii_utf16_without_bom_is_told_by_its_nul_bytes() -> None:
    text = "\n".join(line for line in LINES if line.isascii())
    decoded = decode(text.encode("utf-16-le"))
    assert (decoded.text, decoded.encoding) == (text, "utf-16-le")
    assert [d.code for d in decoded.diagnostics] == ["encoding-detected"]


def test_every_thai_line_and_window_in_cp874_is_read_as_cp874() -> None:
    pieces = [*LINES, *(SAMPLE[i : i + 30] for i in range(0, len(SAMPLE), 11))]
    for piece in pieces:
        decoded = decode(piece.encode("cp874"))
        expected = "utf-8" if piece.isascii() else "cp874"
        assert (decoded.encoding, decoded.text) == (expected, clean(piece)), piece


def test_damaged_utf8_is_never_taken_for_cp874() -> None:
    for number, line in enumerate(LINES, 1):
        if line.isascii():
            continue
        data = line[:5].encode() + b"\xff" + line[5:].encode()
        decoded = decode(data)
        assert decoded.encoding == "utf-8-replace", number
        assert summary(decoded) == [("decode-error", "error", 1, 6)]


# --- cut-off archives ----------------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 2])
def test_utf8_cut_inside_a_thai_character(cut: int) -> None:
    index = offset(5, 100)  # a Thai character in the rationale
    assert len(SAMPLE[index].encode()) == 3
    data = SAMPLE[:index].encode() + SAMPLE[index].encode()[:cut]
    decoded = decode(data, PATH)
    assert decoded.text == SAMPLE[:index]
    assert decoded.encoding == "utf-8"
    assert summary(decoded) == [("truncated-input", "warning", 5, 100)]
    assert decoded.diagnostics[0].message == (
        f"input ends in the middle of a character; {cut} byte(s) dropped"
    )
    assert decoded.diagnostics[0].raw == SAMPLE[index - 80 : index]


def test_utf8_with_bom_cut_inside_a_character() -> None:
    index = offset(2, 10)
    data = codecs.BOM_UTF8 + SAMPLE[: index + 1].encode()[:-1]
    decoded = decode(data)
    assert (decoded.text, decoded.encoding) == (SAMPLE[:index], "utf-8-sig")
    assert summary(decoded) == [
        ("encoding-detected", "info", None, None),
        ("truncated-input", "warning", 2, 10),
    ]


def test_utf16_with_odd_length_is_truncated() -> None:
    decoded = decode((codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"))[:-1])
    assert (decoded.text, decoded.encoding) == (SAMPLE[:-1], "utf-16-le")
    last = len(LINES[-1])
    assert summary(decoded) == [
        ("encoding-detected", "info", None, None),
        ("truncated-input", "warning", len(LINES), last),
    ]
    assert decoded.diagnostics[1].message.endswith("; 1 byte(s) dropped")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "cp874"])
def test_text_ending_in_replacement_character(encoding: str) -> None:
    index = offset(8, 40)
    text = SAMPLE[:index] + "\ufffd"
    # cp874 has no U+FFFD: there an undefined byte ends the file
    cp874 = SAMPLE[:index].encode("cp874") + b"\xff"
    data = cp874 if encoding == "cp874" else ENCODED[encoding][0](text)
    decoded = decode(data, PATH)
    assert (decoded.text, decoded.encoding) == (text, encoding)
    expected = [("truncated-input", "warning", 8, 40)]
    if encoding != "utf-8":
        expected.insert(0, ("encoding-detected", "info", None, None))
    if encoding == "cp874":
        expected.insert(1, ("decode-error", "error", 8, 40))
    assert summary(decoded) == expected
    assert decoded.diagnostics[-1].raw == SAMPLE[index - 39 : index] + "\ufffd"
    assert decoded.diagnostics[-1].source_path == PATH


def test_replacement_character_before_the_last_line_end_is_not_a_cut() -> None:
    data = (SAMPLE[:100] + "\ufffd\r\n").encode()
    assert decode(data) == Decoded(SAMPLE[:100] + "\ufffd\n", "utf-8", ())


def test_replacement_character_then_cut_is_reported_once() -> None:
    data = (SAMPLE[:50] + "\ufffd").encode() + "ก".encode()[:2]
    decoded = decode(data)
    assert decoded.text == SAMPLE[:50] + "\ufffd"
    assert [d.code for d in decoded.diagnostics] == ["truncated-input"]
    assert decoded.diagnostics[0].message.endswith("2 byte(s) dropped")


# --- damaged UTF-8 -------------------------------------------------------------------------


def test_invalid_bytes_mid_file_are_replaced_and_placed() -> None:
    index = offset(7, 21)
    data = SAMPLE[:index].encode() + b"\xff\xfe" + SAMPLE[index:].encode()
    decoded = decode(data, PATH)
    assert decoded.text == SAMPLE[:index] + "\ufffd\ufffd" + SAMPLE[index:]
    assert decoded.encoding == "utf-8-replace"
    assert summary(decoded) == [("decode-error", "error", 7, 21)]
    assert decoded.diagnostics[0].message == (
        "bytes not valid in utf-8 (ff fe) replaced with U+FFFD"
    )
    assert decoded.diagnostics[0].raw == SAMPLE[index - 20 : index] + "\ufffd\ufffd" + (
        SAMPLE[index : index + 58]
    )


def test_one_decode_error_per_line_at_its_first_bad_byte() -> None:
    broken = list(LINES)
    broken[1] = broken[1][:3] + "\udcff" + broken[1][3:9] + "\udcfe" + broken[1][9:]
    broken[4] = broken[4][:200] + "\udce0\udcb8" + broken[4][200:]  # a cut sequence mid-file
    data = "\r\n".join(broken).encode("utf-8", "surrogateescape")
    decoded = decode(data)
    assert decoded.encoding == "utf-8-replace"
    assert decoded.text == data.decode("utf-8", "replace").replace("\r\n", "\n")
    assert summary(decoded) == [
        ("decode-error", "error", 2, 4),
        ("decode-error", "error", 5, 201),
    ]


def test_decode_errors_stop_after_twenty_lines() -> None:
    data = b"".join(f"บรรทัด {n:02d} ".encode() + b"\xff\n" for n in range(1, 26))
    decoded = decode(data)
    assert decoded.encoding == "utf-8-replace"
    assert summary(decoded) == [
        *(("decode-error", "error", n, 11) for n in range(1, 21)),
        ("decode-error", "error", None, None),
    ]
    assert decoded.diagnostics[-1].message == "5 more line(s) with undecodable bytes not listed"


def test_undecodable_bytes_in_utf16_and_cp874_are_placed() -> None:
    index = offset(9, 6)
    data = codecs.BOM_UTF16_BE + SAMPLE[:index].encode("utf-16-be") + b"\xdc\x00"
    data += SAMPLE[index:].encode("utf-16-be")
    decoded = decode(data)
    assert (decoded.text, decoded.encoding) == (
        SAMPLE[:index] + "\ufffd" + SAMPLE[index:], "utf-16-be"
    )
    assert summary(decoded) == [
        ("encoding-detected", "info", None, None),
        ("decode-error", "error", 9, 6),
    ]
    assert decoded.diagnostics[1].message == (
        "bytes not valid in utf-16-be (dc 00) replaced with U+FFFD"
    )
    decoded = decode(SAMPLE[:index].encode("cp874") + b"\xdb" + SAMPLE[index:].encode("cp874"))
    assert (decoded.text, decoded.encoding) == (
        SAMPLE[:index] + "\ufffd" + SAMPLE[index:], "cp874"
    )
    assert summary(decoded) == [
        ("encoding-detected", "info", None, None),
        ("decode-error", "error", 9, 6),
    ]


def test_damaged_and_cut_utf8_reports_both() -> None:
    index = offset(6, 3)
    data = SAMPLE[:index].encode() + b"\x80" + SAMPLE[index:].encode() + "ข".encode()[:2]
    decoded = decode(data)
    assert decoded.text == SAMPLE[:index] + "\ufffd" + SAMPLE[index:] + "\ufffd"
    assert decoded.encoding == "utf-8-replace"
    last = len(LINES[-1]) + 1
    assert summary(decoded) == [
        ("decode-error", "error", 6, 3),
        ("decode-error", "error", len(LINES), last),
        ("truncated-input", "warning", len(LINES), last),
    ]


def test_removing_a_character_never_joins_two_broken_sequences() -> None:
    # 0xC2 0x80 is valid UTF-8 (U+0080) and D800 DC00 a valid surrogate pair: once the
    # form feed or NUL between them is gone they must still be two replacements
    assert decode(b"\xc2\x0c\x80" + SAMPLE.encode()).text == "\ufffd\ufffd" + SAMPLE
    data = codecs.BOM_UTF16_LE + b"\x00\xd8\x00\x00\x00\xdc" + SAMPLE.encode("utf-16-le")
    assert decode(data).text == "\ufffd\ufffd" + SAMPLE


def test_columns_count_removed_characters_and_replacements() -> None:
    data = b"\x00\x01\xe0\xb8ab\x00c\n" + SAMPLE.encode()
    decoded = decode(data)
    assert decoded.text == "\ufffdabc\n" + SAMPLE
    assert summary(decoded) == [
        ("decode-error", "error", 1, 1),
        ("nul-bytes", "warning", 1, 1),
        ("control-characters", "warning", 1, 1),
    ]
    data = b"ab\xe0\xb8c\x00d\x07\n" + SAMPLE.encode()
    assert summary(decode(data)) == [
        ("decode-error", "error", 1, 3),
        ("nul-bytes", "warning", 1, 5),
        ("control-characters", "warning", 1, 6),
    ]


# --- stray NUL and control bytes, mid-file BOMs --------------------------------------------


def test_a_few_nul_bytes_are_removed() -> None:
    a, b = offset(3, 5), offset(10, 1)
    data = (SAMPLE[:a] + "\x00" + SAMPLE[a:b] + "\x00\x00" + SAMPLE[b:]).encode()
    decoded = decode(data, PATH)
    assert (decoded.text, decoded.encoding) == (SAMPLE, "utf-8")
    assert summary(decoded) == [("nul-bytes", "warning", 3, 5)]
    assert decoded.diagnostics[0].message == "3 NUL character(s) removed"


def test_nul_bytes_are_removed_with_a_warning_and_the_report_is_the_same() -> None:
    document = bmaparse.load(SEED.replace(b"\n", b"\x00\n", 5))
    assert "nul-bytes" in codes(document)
    assert document.reports[0].report_key == key_of(SEED)


def test_stray_control_bytes_are_removed() -> None:
    a = offset(4, 12)
    data = (SAMPLE[:a] + "\x07\x0b" + SAMPLE[a:] + "\x0c\x1a").encode("cp874")
    decoded = decode(data)
    assert (decoded.text, decoded.encoding) == (SAMPLE, "cp874")
    assert summary(decoded) == [
        ("encoding-detected", "info", None, None),
        ("control-characters", "warning", 4, 12),
    ]
    assert decoded.diagnostics[1].message == "4 control character(s) removed, the first U+0007"


def test_byte_order_marks_of_pasted_files_are_removed() -> None:
    pasted = SAMPLE.encode("utf-8-sig") + b"\n" + SAMPLE.encode("utf-8-sig")
    decoded = decode(pasted)
    assert decoded.text == SAMPLE + "\n" + SAMPLE
    assert decoded.encoding == "utf-8-sig"
    assert summary(decoded) == [("encoding-detected", "info", None, None)]
    decoded = decode(b"abc\n" + SAMPLE.encode("utf-8-sig"))
    assert (decoded.text, decoded.encoding, decoded.diagnostics) == (
        "abc\n" + SAMPLE, "utf-8", ()
    )


# --- empty and binary input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text", "encoding", "codes"),
    [
        (b"", "", "utf-8", ["empty-input"]),
        (b" \r\n\t\r\n ", " \n\t\n ", "utf-8", ["empty-input"]),
        (codecs.BOM_UTF8, "", "utf-8-sig", ["encoding-detected", "empty-input"]),
        (codecs.BOM_UTF8 + b"\r\n", "\n", "utf-8-sig", ["encoding-detected", "empty-input"]),
        (codecs.BOM_UTF16_LE, "", "utf-16-le", ["encoding-detected", "empty-input"]),
        (b"\x00", "", "utf-8", ["nul-bytes", "empty-input"]),
    ],
)
def test_empty_input(data: bytes, text: str, encoding: str, codes: list[str]) -> None:
    decoded = decode(data, PATH)
    assert (decoded.text, decoded.encoding) == (text, encoding)
    assert [d.code for d in decoded.diagnostics] == codes
    assert decoded.diagnostics[-1].severity == "error"
    assert (decoded.diagnostics[-1].line, decoded.diagnostics[-1].col) == (None, None)


ZIP = b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + SAMPLE.encode()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ZIP, "input is a zip archive (or an Office/OpenDocument file), not text"),
        (PDF, "input is a PDF document, not text"),
        (PNG, "input is a PNG image, not text"),
        (gzip.compress(SAMPLE.encode()), "input is gzip data, not text"),
        (random.Random(7).randbytes(4096), "input is not text: "),
        (struct.pack("<1000I", *range(1000)), "input is not text: "),
        (bytes(300), "input is not text: 300 of 300 characters are NUL, control or undecodable"),
        (b"\x01\x02\x03\x04\x05", "input is not text: "),
    ],
    ids=["zip", "pdf", "png", "gzip", "random", "ints", "nuls", "controls"],
)
def test_binary_input_is_refused(data: bytes, message: str) -> None:
    decoded = decode(data, PATH)
    assert (decoded.text, decoded.encoding) == ("", "binary")
    assert summary(decoded) == [("binary-input", "error", None, None)]
    assert decoded.diagnostics[0].message.startswith(message)
    assert decoded.diagnostics[0].source_path == PATH


def test_pathological_inputs_take_linear_time() -> None:
    inputs = [
        b"\xffabcdefghijklmnopqrs\n" * 100_000,
        b"abcdefghijklmnopqrst\xff" * 50_000,
        "ก".encode() * 100_000 + b"\xff" * 300_000,
        (SAMPLE[:40] + "\x00").encode() * 20_000,
        ("ก\x07" * 300_000).encode(),
    ]
    start = time.perf_counter()
    for data in inputs:
        assert decode(data).encoding in ENCODINGS
    assert time.perf_counter() - start < 10


# --- properties ----------------------------------------------------------------------------

CHUNKS = st.one_of(
    st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=4),
    st.sampled_from([b"\r\n", b"\r", b"\x00", codecs.BOM_UTF8, "ก".encode()[:2], b"\xa1\xc3"]),
)
MIXED = st.lists(CHUNKS, max_size=30).map(b"".join)
BOMS = st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
ANY_BYTES = st.one_of(st.binary(max_size=3000), MIXED, st.tuples(BOMS, st.binary()).map(b"".join))


@settings(max_examples=300, deadline=None)
@given(ANY_BYTES)
def test_any_bytes_decode_without_raising(data: bytes) -> None:
    decoded = decode(data, PATH)
    assert "\r" not in decoded.text
    assert "\x00" not in decoded.text
    assert REMOVED.search(decoded.text) is None
    assert not re.search("[\ud800-\udfff]", decoded.text)
    assert decoded.encoding in ENCODINGS
    if decoded.encoding == "binary":
        assert decoded.text == ""
    for diagnostic in decoded.diagnostics:
        assert diagnostic.source_path == PATH
        assert diagnostic.severity in {"error", "warning", "info"}
        assert diagnostic.line is None or diagnostic.line >= 1
        assert diagnostic.col is None or diagnostic.col >= 1
        assert diagnostic.raw is None or len(diagnostic.raw) <= 80
    if decoded.encoding == "utf-8-replace":
        body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        assert decoded.text == clean(body.decode("utf-8", "replace"))


@settings(max_examples=200, deadline=None)
@given(MIXED)
def test_diagnostics_point_into_the_returned_text(data: bytes) -> None:
    decoded = decode(data)
    lines = decoded.text.split("\n")
    for diagnostic in decoded.diagnostics:
        if diagnostic.line is None or diagnostic.col is None:
            continue
        line = lines[diagnostic.line - 1]
        if diagnostic.code == "decode-error" or "U+FFFD" in diagnostic.message:
            assert line[diagnostic.col - 1] == "\ufffd"
        elif diagnostic.code == "truncated-input":  # a broken tail was dropped
            assert (diagnostic.line, diagnostic.col) == (len(lines), len(line) + 1)
        else:
            assert 1 <= diagnostic.col <= len(line) + 1


TEXT = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"),
        st.sampled_from("\t\n\r"),
    )
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_text_round_trips_through_utf8(text: str) -> None:
    decoded = decode(text.encode("utf-8"))
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(("%PDF-", "GIF87a", "GIF89a")):
        assert decoded.encoding == "binary"
    else:
        assert (decoded.text, decoded.encoding) == (expected, "utf-8")
