"""Coverage-guided fuzz target over ``load`` (bytes) and ``parse`` (text), for atheris.

What must hold for any input (a failure is a crash, which libFuzzer saves):
- ``load(bytes)`` never raises and gives no ``internal-error`` (a parser crash);
- ``parse(text)`` never raises; ``parse(text, strict=True)`` raises only ``ParseError``;
- ``to_tables`` builds for what ``load`` and ``parse`` return.

Run (bounded, as CI does):
    python fuzz/fuzz_read_parse.py -max_total_time=60 -rss_limit_mb=2048 CORPUS_DIR samples tests/data
(``tests/data`` holds one example of each layout and kind of document.)
Without atheris installed, ``tests/test_fuzz.py`` drives ``check`` with hypothesis.
"""

from __future__ import annotations

import contextlib
import sys

import pyarrow  # noqa: F401  (imported before instrumentation: only bmaparse is instrumented)

try:
    import atheris
except ImportError:  # tests/test_fuzz.py imports ``check`` without atheris
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["bmaparse"]):
        import bmaparse
        from bmaparse import tables
else:
    import bmaparse
    from bmaparse import tables

_LIMITS = bmaparse._read.Limits(max_file_bytes=1 << 20, max_line_chars=100_000)


def check(data: bytes) -> None:
    """One fuzz input: the first byte picks the mode, the rest is the input."""
    if not data:
        return
    mode, body = data[0] % 2, data[1:]
    if mode == 0:
        document = bmaparse.load(body, source_path="fuzz/50240000-7108.txt", limits=_LIMITS)
        for d in document.diagnostics:
            if d.code == "internal-error":
                raise AssertionError(d.message)
        tables.to_tables([document])
        return
    text = body.decode("utf-8", "replace")
    report = bmaparse.parse(text)
    tables.to_tables([report])
    with contextlib.suppress(bmaparse.ParseError):
        bmaparse.parse(text, strict=True)


def main() -> None:
    if atheris is None:
        sys.exit("atheris is not installed: pip install atheris (or run tests/test_fuzz.py)")
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
