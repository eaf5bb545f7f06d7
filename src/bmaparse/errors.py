"""The errors bmaparse raises: ``ParseError`` for a text, ``OutputError`` for an output folder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


class BmaparseError(Exception):
    """The base of the errors bmaparse raises about its inputs and outputs as a whole
    (``ParseError``, a ``ValueError``, is kept apart for ``except ValueError``)."""


class OutputError(BmaparseError):
    """The output could not be written, or a folder's tables and manifest could not be
    brought to a consistent state (a full disk, a database another process holds, a
    damaged commit journal). The output folder keeps its previous state; exit status 1."""


class OutputBusyError(OutputError):
    """Another process is writing the output folder: nothing was touched."""
