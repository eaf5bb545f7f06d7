"""The one error type bmaparse raises, and the warning it can emit."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Diagnostic


class ParseError(ValueError):
    """Raised in strict mode: the first problem, with its line and column.

    ``diagnostics`` holds every problem found, not only the first.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        first = diagnostics[0]
        self.diagnostics = tuple(diagnostics)
        self.line = first.line
        self.col = first.col
        self.code = first.code
        where = first.source_path or "<string>"
        super().__init__(
            f"{first.message} [{first.code}] "
            f"(at {where}, line {first.line or 0}, column {first.col or 0})"
        )
