"""Names on a terminal: the one function that makes text safe to print.

Strategy: a file or member name is data (``source_path`` keeps it exactly), but
printed raw it can forge output (a newline in a name makes a second diagnostic
line) or drive the terminal (``ESC [``). Everything the CLI prints that holds a
name (diagnostic lines, error messages) goes through ``printable``: characters
that move the cursor, end a line, reorder text or cannot be encoded are shown
as Python-style escapes; everything else, Thai included, is left as it is.
"""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
"""C0 and C1 controls, DEL, the line and paragraph separators, the bidirectional
embeddings, overrides and isolates (they reorder what follows), lone surrogates
(undecodable bytes of a file name)."""

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def printable(text: str) -> str:
    """``text`` with every control character escaped (``\\n``, ``\\x1b``, ``\\x85``,
    ``\\u2028``, ``\\udcff`` ...): one line, safe on a terminal, readable."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(_escape, text)
