"""Decoding: the bytes of one input in, one ``str`` out, with diagnostics on how it was read.

Strategy: the first stage of bytes -> text -> tokens -> Report. It never raises
and takes time linear in the input. Lines and columns are those of the returned text.

* Fast path (it runs on millions of files): a strict UTF-8 decode and one
  ``bytes.translate`` looking for control bytes and 0xEF (BOM, U+FFFD); clean
  UTF-8 has no diagnostic. On the seed (11 KB) a call costs about 2x ``bytes.decode``.
* Slow path, in order: magic numbers (zip, PDF, PNG ...) -> ``binary``; a byte
  order mark (UTF-8, UTF-16 LE/BE); BOM-less UTF-16, told by one byte column
  (the high bytes) being nearly all NUL (ASCII) or 0x01-0x1F (0x0E for Thai);
  else UTF-8, whose failures are a multi-byte sequence cut by the end of the
  file (dropped, ``truncated-input``), cp874, or damaged UTF-8 (``utf-8-replace``).
* cp874 is told by a simple check, not by charset-normalizer (also not a
  dependency). Measured on the seed encoded as cp874: charset-normalizer 3.4
  named cp874 for 8 of its 36 Thai lines (cp932 for 24) and 68 of 385 30-character
  windows, at 0.4-2 ms a call; the check names all of them, and took every
  damaged UTF-8 line for UTF-8 (charset-normalizer: no answer). The check: at least
  10% of the non-ASCII bytes invalid UTF-8 (cp874 Thai: 22% or more; damaged
  UTF-8: a few bytes), 90% of them Thai letters 0xA1-0xFB (UTF-8 Thai: 83%) and
  at most 1% undefined in cp874 (UTF-8 Thai: 14%). Never ``tis-620``: it maps
  0x80-0x9F to C1 controls.
* Undecodable bytes are kept as lone surrogates (``surrogateescape``,
  ``surrogatepass``) until they are placed; the finished text has each run as
  ``errors="replace"`` renders it.
* Cleaning: ``\\r\\n`` and lone ``\\r`` -> ``\\n``; NUL, C0 controls but ``\\t`` and
  ``\\n``, DEL and U+FEFF removed, one warning per kind (none for U+FEFF).
* Binary only when clearly so: a magic number, or more than one character in
  ten (smoothed for short inputs) NUL, control (form feed aside) or undecodable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Diagnostic, Severity


@dataclass(frozen=True, slots=True)
class Decoded:
    """The text of one input and how it was obtained."""

    text: str
    """Decoded text: BOM removed, ``\\n`` line ends, no NUL or other control characters."""
    encoding: str
    """``utf-8``, ``utf-8-sig``, ``utf-16-le``, ``utf-16-be``, ``cp874``, ``utf-8-replace``
    (invalid UTF-8 kept with U+FFFD) or ``binary`` (refused, text is empty)."""
    diagnostics: tuple[Diagnostic, ...]
    """What was detected, repaired or refused, in that order."""


_MAGIC = (
    (b"PK\x03\x04", "a zip archive (or an Office/OpenDocument file)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\x1f\x8b", "gzip data"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an ELF executable"),
)
_ASCII_MAGIC = tuple(magic for magic, _ in _MAGIC if magic.isascii())
# Bytes that send valid UTF-8 to the slow path: controls, and 0xEF, the lead byte of
# U+F000-U+FFFF (BOM U+FEFF, U+FFFD); rare in Thai text, and the slow path is right too.
_SLOW_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xEF])
_ASCII_BYTES = bytes(range(0x80))
_THAI_BYTES = bytes(range(0xA1, 0xFC))
_HIGH_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r")  # UTF-16 high bytes

_REMOVE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufeff]")
_CONTROL = re.compile("[\x01-\x08\x0b-\x1f\x7f]")
_BAD = re.compile("[\ud800-\udfff]+")
_MAX_DECODE_ERRORS = 20


def decode(data: bytes, source_path: str | None = None) -> Decoded:
    """Decode one input's bytes; never raises. Diagnostics carry ``source_path``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_slow(data, source_path)
    if (
        not text
        or text.isspace()
        or len(data.translate(None, _SLOW_BYTES)) != len(data)
        or data.startswith(_ASCII_MAGIC)
    ):
        return _decode_slow(data, source_path)
    if b"\r" in data:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Decoded(text, "utf-8", ())


def _decode_slow(data: bytes, path: str | None) -> Decoded:
    kind = next((name for magic, name in _MAGIC if data.startswith(magic)), None)
    if kind is not None:
        return _binary(path, f"input is {kind}, not text")
    raw, encoding, how, dropped = _to_text(data)
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    text, removed = _REMOVE.subn("", _BAD.sub(lambda m: _replace(m[0], encoding), raw))
    nuls, controls = raw.count("\x00"), removed - raw.count("\x00") - raw.count("\ufeff")
    bad = len(raw) - len(raw.encode("utf-8", "ignore").decode("utf-8"))
    junk = nuls + controls - raw.count("\f") + bad
    if junk * 10 > len(raw) + 20:  # more than 1 in 10, smoothed for short inputs
        return _binary(path, f"input is not text: {junk} of {len(raw)} characters are NUL, "
                       "control or undecodable bytes")
    diags = [_diag(path, "info", "encoding-detected", how)] if how else []
    diags += _decode_errors(raw, encoding, path) if bad else []
    diags += _removals(raw, encoding, path, nuls, controls)
    diags += _truncation(text, dropped, path)
    if not text.strip():
        diags.append(_diag(path, "error", "empty-input", "input is empty or only whitespace"))
    return Decoded(text, encoding, tuple(diags))


def _to_text(data: bytes) -> tuple[str, str, str | None, int]:
    """(text with lone surrogates for undecodable bytes, encoding, how it was decoded, bytes dropped)."""
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding, dropped = _from_utf8(data[3:], allow_cp874=False)
        encoding = "utf-8-sig" if encoding == "utf-8" else encoding
        return text, encoding, "decoded as UTF-8 (byte order mark)", dropped
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if data[0] == 0xFF else "utf-16-be"
        text, dropped = _from_utf16(data[2:], encoding)
        return text, encoding, f"decoded as {encoding} (byte order mark)", dropped
    guess = _utf16_without_bom(data)
    if guess is not None:
        text, dropped = _from_utf16(data, guess)
        return text, guess, f"decoded as {guess} (detected without byte order mark)", dropped
    text, encoding, dropped = _from_utf8(data, allow_cp874=True)
    how = "decoded as cp874 (Thai Windows code page)" if encoding == "cp874" else None
    return text, encoding, how, dropped


def _from_utf8(body: bytes, *, allow_cp874: bool) -> tuple[str, str, int]:
    try:
        return body.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(body):
            return body[: exc.start].decode("utf-8"), "utf-8", exc.end - exc.start
    text = body.decode("utf-8", "surrogateescape")
    if allow_cp874 and _looks_cp874(body, len(text.encode("utf-8", "ignore"))):
        return body.decode("cp874", "surrogateescape"), "cp874", 0
    return text, "utf-8-replace", 0


def _looks_cp874(body: bytes, valid_utf8_bytes: int) -> bool:
    high = body.translate(None, _ASCII_BYTES)
    invalid = len(body) - valid_utf8_bytes
    if not high or invalid * 10 < len(high):
        return False
    thai = len(high) - len(high.translate(None, _THAI_BYTES))
    undefined = len(high) - len(high.decode("cp874", "ignore"))
    return thai * 10 >= len(high) * 9 and undefined * 100 <= len(high)


def _from_utf16(body: bytes, encoding: str) -> tuple[str, int]:
    dropped = len(body) % 2
    return body[: len(body) - dropped].decode(encoding, "surrogatepass"), dropped


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without BOM: one byte column (the high bytes) nearly all NUL or 0x01-0x1F."""
    sample = data[: min(len(data), 1024) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    in_even = len(even) - len(even.translate(None, _HIGH_BYTES))
    in_odd = len(odd) - len(odd.translate(None, _HIGH_BYTES))
    if len(sample) < 4 or in_even == in_odd:
        return None
    encoding, high, low = ("utf-16-le", in_odd, even) if in_odd > in_even else (
        "utf-16-be", in_even, odd)
    return encoding if high * 10 >= len(low) * 9 and low.count(0) * 10 <= len(low) else None


def _replace(run: str, encoding: str) -> str:
    """A run of undecodable bytes as ``errors="replace"`` renders it."""
    return _original(run, encoding).decode(_codec(encoding), "replace")


def _original(run: str, encoding: str) -> bytes:
    if encoding.startswith("utf-16"):
        return run.encode(encoding, "surrogatepass")
    return run.encode("utf-8", "surrogateescape")


def _codec(encoding: str) -> str:
    return encoding if encoding.startswith(("utf-16", "cp874")) else "utf-8"


def _finish(raw: str, encoding: str) -> str:
    """Undecodable runs replaced first: removing a character must not join two runs."""
    return _REMOVE.sub("", _BAD.sub(lambda m: _replace(m[0], encoding), raw))


def _where(raw: str, index: int, encoding: str) -> tuple[int, int, str]:
    """Line, column and an excerpt in the finished text of the character at ``index`` of raw."""
    start = raw.rfind("\n", 0, index) + 1
    end = raw.find("\n", index)
    before = _finish(raw[start:index], encoding)
    after = _finish(raw[index : min(index + 160, len(raw) if end < 0 else end)], encoding)
    excerpt = (before[-40:] + after)[:80]
    return raw.count("\n", 0, index) + 1, len(before) + 1, excerpt


def _decode_errors(raw: str, encoding: str, path: str | None) -> list[Diagnostic]:
    """One ``decode-error`` per line with undecodable bytes, at the first; then a summary."""
    diags: list[Diagnostic] = []
    line, pos, last_line, lines = 1, 0, 0, 0
    for match in _BAD.finditer(raw):
        line += raw.count("\n", pos, match.start())
        pos = match.start()
        if line == last_line:
            continue
        last_line, lines = line, lines + 1
        if lines <= _MAX_DECODE_ERRORS:
            _, col, excerpt = _where(raw, pos, encoding)
            shown = _original(match[0][:8], encoding).hex(" ")
            message = f"bytes not valid in {_codec(encoding)} ({shown}) replaced with U+FFFD"
            diags.append(_diag(path, "error", "decode-error", message, line, col, excerpt))
    if lines > _MAX_DECODE_ERRORS:
        message = f"{lines - _MAX_DECODE_ERRORS} more line(s) with undecodable bytes not listed"
        diags.append(_diag(path, "error", "decode-error", message))
    return diags


def _removals(raw: str, encoding: str, path: str | None, nuls: int, controls: int
              ) -> list[Diagnostic]:
    """One warning per kind of character removed, at the first one."""
    diags = []
    if nuls:
        line, col, excerpt = _where(raw, raw.index("\x00"), encoding)
        message = f"{nuls} NUL character(s) removed"
        diags.append(_diag(path, "warning", "nul-bytes", message, line, col, excerpt))
    first = _CONTROL.search(raw) if controls else None
    if first is not None:
        line, col, excerpt = _where(raw, first.start(), encoding)
        message = f"{controls} control character(s) removed, the first U+{ord(first[0]):04X}"
        diags.append(_diag(path, "warning", "control-characters", message, line, col, excerpt))
    return diags


def _truncation(text: str, dropped: int, path: str | None) -> list[Diagnostic]:
    """``truncated-input`` for a broken tail dropped, else for a text ending in U+FFFD."""
    if not dropped and not text.endswith("\ufffd"):
        return []
    start = text.rfind("\n") + 1
    if dropped:
        message = f"input ends in the middle of a character; {dropped} byte(s) dropped"
    else:
        message = "input ends in U+FFFD: it was cut in the middle of a character before it was saved"
    col = len(text) - start + (1 if dropped else 0)  # after the text, or on the U+FFFD
    return [_diag(path, "warning", "truncated-input", message,
                  text.count("\n") + 1, col, text[start:][-80:] or None)]


def _binary(path: str | None, message: str) -> Decoded:
    return Decoded("", "binary", (_diag(path, "error", "binary-input", message),))


def _diag(path: str | None, severity: Severity, code: str, message: str,
          line: int | None = None, col: int | None = None, raw: str | None = None) -> Diagnostic:
    return Diagnostic(line, col, severity, code, message, raw, path)
