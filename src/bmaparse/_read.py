"""Reading: one input (a file or bytes) in, a Document with its reports out.

Strategy: bytes -> ``_decode.decode`` -> lines -> ``_lexer.tokenize`` (once for
the whole file, so line numbers are the file's) -> ``_parser.split_reports`` ->
``_parser.build_report`` per report. Problems found while decoding go to the
report whose lines they are on; problems of the whole input (empty, binary,
nothing that looks like a report) stay on the Document. Nothing here raises in
lenient mode; an unreadable file is a diagnostic too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._decode import decode
from ._lexer import Kind, Token, tokenize
from ._parser import build_report, raise_if_problems, split_reports
from .errors import ParseError
from .model import Diagnostic, Report


@dataclass(frozen=True, slots=True)
class Document:
    """One input (a file or zip member): its reports and file-level problems."""

    source_path: str | None
    """The input's path (``archive.zip!member`` inside archives)."""
    sha256: str
    """sha256 of the input's bytes."""
    encoding: str | None
    """The encoding the bytes were decoded with; None when they could not be."""
    reports: tuple[Report, ...]
    """Reports found, in file order."""
    diagnostics: tuple[Diagnostic, ...]
    """Problems that belong to no single report (empty input, no report found ...)."""

    @property
    def ok(self) -> bool:
        """True when no diagnostic of this input, or of its reports, is an error."""
        return not any(
            d.severity == "error"
            for d in (*self.diagnostics, *(d for r in self.reports for d in r.diagnostics))
        )


Source = str | os.PathLike[str] | bytes

# Kinds that only a report has: a chunk with none of them is not a report.
_ANCHORS = frozenset(
    {
        Kind.PAGE_TITLE, Kind.KPI_TITLE, Kind.NAME_ID, Kind.KPI_ID, Kind.PERCENT, Kind.EVAL,
        Kind.UNIT_CODES, Kind.STRATEGY, Kind.ROUTINE, Kind.PROGRESS_HEAD, Kind.KPI_NAME,
        Kind.KPI_TARGET, Kind.KPI_ACHIEVED, Kind.EVAL_SECTION,
    }
)


def load(source: Source, *, source_path: str | None = None, strict: bool = False) -> Document:
    """Decode one input and parse every report in it.

    ``source`` is a path or the input's bytes; ``source_path`` names it in
    diagnostics and tables (for bytes, and for zip members as
    ``archive.zip!member.txt``). A project id in the file name fills
    ``project_id`` of reports whose text has none. Lenient (default): never
    raises; problems are in ``Document.diagnostics`` and each report's
    ``diagnostics``. Strict: raises ``ParseError`` for the first warning or error.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data, path = bytes(source), source_path
    else:
        path = source_path or os.fspath(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            problem = Diagnostic(None, None, "error", "unreadable-input", f"cannot read input: {exc}", None, path)
            return _finish(Document(path, "", None, (), (problem,)), strict)
    return _finish(_document(data, path), strict)


def _document(data: bytes, path: str | None) -> Document:
    sha = hashlib.sha256(data).hexdigest()
    decoded = decode(data, path)
    encoding = None if decoded.encoding == "binary" else decoded.encoding
    if encoding is None or not decoded.text.strip():
        return Document(path, sha, encoding, (), decoded.diagnostics)
    tokens = tokenize(decoded.text.split("\n"))
    chunks = [c for c in split_reports(tokens) if any(t.kind in _ANCHORS for t in c)]
    if not chunks:
        problem = Diagnostic(
            1, 1, "error", "no-report-found",
            "no line of this input looks like a BMA project or KPI report", _first_line(tokens), path,
        )
        return Document(path, sha, encoding, (), (*decoded.diagnostics, problem))
    placed = _place(decoded.diagnostics, chunks)
    reports = tuple(
        build_report(chunk, source_path=path, source_sha256=sha, extra=extra)
        for chunk, extra in zip(chunks, placed, strict=True)
    )
    return Document(path, sha, encoding, reports, ())


def _first_line(tokens: Sequence[Token]) -> str | None:
    return next((t.text[:80] for t in tokens if t.kind is not Kind.BLANK), None)


def _place(diagnostics: Sequence[Diagnostic], chunks: Sequence[Sequence[Token]]) -> list[list[Diagnostic]]:
    """Give each decode diagnostic to the report whose lines it is on (a diagnostic
    with no line, or before the first report, goes to the first report)."""
    starts = [chunk[0].line for chunk in chunks]
    placed: list[list[Diagnostic]] = [[] for _ in chunks]
    for diag in diagnostics:
        index = 0
        for i, start in enumerate(starts):
            if diag.line is not None and diag.line >= start:
                index = i
        placed[index].append(diag)
    return placed


def _finish(document: Document, strict: bool) -> Document:
    if strict:
        problems = [d for d in document.diagnostics if d.severity in ("error", "warning")]
        if problems:
            raise ParseError(problems)
        for report in document.reports:
            raise_if_problems(report)
    return document


def read(source: Source, *, source_path: str | None = None, strict: bool = False) -> Iterator[Report]:
    """Stream the reports of one input (see ``load``).

    Problems of the input as a whole (empty, binary, no report in it) have no
    report to ride on: ``read`` yields nothing for such an input; use ``load``
    to see them, or ``strict=True`` to have them raised.
    """
    yield from load(source, source_path=source_path, strict=strict).reports
