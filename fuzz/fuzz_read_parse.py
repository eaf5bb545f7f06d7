"""Coverage-guided fuzz target over ``load`` (bytes), ``parse`` (text) and zip
archives, for atheris.

What must hold for any input (a failure is a crash, which libFuzzer saves):
- ``load(bytes)`` never raises and gives no ``internal-error`` (a parser crash);
- ``parse(text)`` never raises; ``parse(text, strict=True)`` raises only ``ParseError``;
- a zip archive, whole or damaged, through ``iter_documents`` (discovery, the
  central directory, member reading, ``load``): never raises, no ``internal-error``,
  every document names the archive; a well-formed archive built from the input
  (any member name but ``/``, NUL and a leading dot; a member twice; a nested
  archive) gives exactly one document per member;
- ``to_tables`` builds for what ``load``, ``parse`` and the archives return.

The first byte picks the mode: 0 ``load``, 1 ``parse``, 2 a zip built from the
rest (member name, data, compression and duplicates from its bytes), 3 that zip
with bytes overwritten where the input says, 4 the rest as a zip file as is.

Run (bounded, as CI does):
    python fuzz/fuzz_read_parse.py -max_total_time=60 -rss_limit_mb=2048 CORPUS_DIR samples tests/data
(``tests/data`` holds one example of each layout and kind of document.)
Without atheris installed, ``tests/test_fuzz.py`` drives ``check`` with hypothesis.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import shutil
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import pyarrow  # noqa: F401  (imported before instrumentation: only bmaparse is instrumented)

try:
    import atheris
except ImportError:  # tests/test_fuzz.py imports ``check`` without atheris
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["bmaparse"]):
        import bmaparse
        from bmaparse import tables
        from bmaparse.batch import iter_documents
else:
    import bmaparse
    from bmaparse import tables
    from bmaparse.batch import iter_documents

_LIMITS = bmaparse._read.Limits(max_file_bytes=1 << 20, max_line_chars=100_000,
                                max_archive_members=64)
_WORK = Path(tempfile.mkdtemp(prefix="bmaparse-fuzz-"))
atexit.register(shutil.rmtree, _WORK, True)
_ARCHIVE = _WORK / "fuzz.zip"


def _no_internal_error(document: bmaparse.Document) -> None:
    for d in (*document.diagnostics, *(d for r in document.reports for d in r.diagnostics)):
        if d.code == "internal-error":
            raise AssertionError(d.message)


def _member_zip(body: bytes) -> tuple[bytes, list[str]]:
    """A well-formed zip made from ``body`` and the source-path names of its members:
    byte 0 picks compression, a second copy of the member and a nested archive; byte
    1 the name's length; then the name's characters, then the member's data."""
    flags, length = (body[0], body[1] % 24) if len(body) >= 2 else (0, 0)
    raw = body[2 : 2 + length]
    name = "m" + "".join("_" if b in b"/\\\x00" else chr(b) for b in raw) + ".txt"
    data = body[2 + length :]
    method = zipfile.ZIP_DEFLATED if flags & 1 else zipfile.ZIP_STORED
    members = [(name, data)] + [(name, data[::-1])] * bool(flags & 2)
    if flags & 4:
        members.append(("inner.zip", data[:64]))
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as archive:
        warnings.simplefilter("ignore")  # a duplicate name is the point
        for member, content in members:
            archive.writestr(zipfile.ZipInfo(member), content, compress_type=method)
    names = [name, f"{name}#2"][: 1 + bool(flags & 2)] + ["inner.zip"] * bool(flags & 4)
    return buffer.getvalue(), names


def _damaged(body: bytes) -> bytes:
    """The zip of ``_member_zip(body[8:])`` with four bytes overwritten, at the
    places and with the values ``body[:8]`` gives."""
    spec = body[:8].ljust(8, b"\0")
    data = bytearray(_member_zip(body[8:])[0])
    for at, value in zip(spec[0::2], spec[1::2], strict=True):
        data[at * len(data) // 256] = value
    return bytes(data)


def _archive_documents(data: bytes) -> list[bmaparse.Document]:
    _ARCHIVE.write_bytes(data)
    documents = list(iter_documents([_ARCHIVE], limits=_LIMITS))
    for document in documents:
        assert document.source_path is not None
        assert document.source_path.startswith(str(_ARCHIVE)), document.source_path
        _no_internal_error(document)
    tables.to_tables(documents)
    return documents


def check(data: bytes) -> None:
    """One fuzz input: the first byte picks the mode, the rest is the input."""
    if not data:
        return
    mode, body = data[0] % 5, data[1:]
    if mode == 0:
        document = bmaparse.load(body, source_path="fuzz/50240000-7108.txt", limits=_LIMITS)
        _no_internal_error(document)
        tables.to_tables([document])
    elif mode == 1:
        text = body.decode("utf-8", "replace")
        report = bmaparse.parse(text)
        tables.to_tables([report])
        with contextlib.suppress(bmaparse.ParseError):
            bmaparse.parse(text, strict=True)
    elif mode == 2:
        archive, names = _member_zip(body)
        documents = _archive_documents(archive)
        assert sorted(d.source_path or "" for d in documents) == sorted(
            f"{_ARCHIVE}!{n}" for n in names)
    else:
        _archive_documents(_damaged(body) if mode == 3 else body)


def main() -> None:
    if atheris is None:
        sys.exit("atheris is not installed: pip install atheris (or run tests/test_fuzz.py)")
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
