"""The errors bmaparse raises, all ``BmaparseError``.

- ``ParseError``: strict mode found a problem in a text (also a ``ValueError``);
- ``UsageError``: how bmaparse was called (a missing input, a bad option, an
  output folder that is not bmaparse's): exit status 2, nothing written;
- ``OutputError`` (``OutputBusyError``): the output folder could not be written,
  or another process is writing it: exit status 1, the folder as it was;
- ``LoadError``: a warehouse load could not be done (an unreachable server, wrong
  credentials, a table altered by hand, an older schema): exit status 1, the target as
  it was;
- ``InputTooLargeError``, ``ZipBombError``: one input refused by ``Limits``
  while it is read; ``convert`` and ``iter_documents`` turn them into the
  diagnostics ``input-too-large`` and ``zip-bomb``, and the run goes on.

The time budget's ``_read.InputTimeout`` is not here: it is a ``BaseException``
that interrupts a parse wherever it is (as ``KeyboardInterrupt`` does), never
leaves ``load`` (it becomes ``input-timeout``), and must not be caught by an
``except BmaparseError`` or ``except Exception`` on its way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Diagnostic


class BmaparseError(Exception):
    """The base of every error bmaparse raises: ``except BmaparseError`` catches them all."""


class ParseError(ValueError, BmaparseError):
    """Raised in strict mode: the first problem, with its line and column.

    ``diagnostics`` holds every problem found, not only the first. A ``ValueError``
    as well (the text is a bad value), so ``except ValueError`` keeps working.
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


class UsageError(BmaparseError):
    """A problem with how bmaparse was called (exit status 2), e.g. a missing input."""


class OutputError(BmaparseError):
    """The output could not be written, or a folder's tables and manifest could not be
    brought to a consistent state (a full disk, a database another process holds, a
    damaged commit journal). The output folder keeps its previous state; exit status 1."""


class OutputBusyError(OutputError):
    """Another process is writing the output folder: nothing was touched."""


class LoadError(BmaparseError):
    """A warehouse load (``bmaparse load``) could not be done: the target could not be
    reached, refused the credentials, or holds tables this load must not change (altered
    by hand, written by a newer schema). Its message is one line that names the target
    and says what to do; the target keeps its previous state; exit status 1."""


class InputTooLargeError(BmaparseError):
    """A text is larger than ``Limits.max_file_bytes``."""


class ZipBombError(BmaparseError):
    """An archive member that would decompress far beyond its size (ratio, overlap)."""
