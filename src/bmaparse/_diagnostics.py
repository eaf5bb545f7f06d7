"""The diagnostics log that section rules write to.

Strategy: rules are functions of their tokens; the only thing they share is
this append-only log of diagnostics, so that a rule can report a bad value at
its exact line and column and go on. ``unrecognized`` is the one way a rule
gives up on a line: nothing is dropped without a diagnostic. Every
``unrecognized-line`` warning, the log's and those of a text the parser failed
on, is made by ``unrecognized_line``, so all carry the same excerpt.
"""

from __future__ import annotations

from ._lexer import Kind, Token
from .model import Diagnostic, Severity

EXCERPT = 200
"""Most characters of the input a diagnostic's ``raw`` holds."""


class DiagnosticLog:
    """Append-only diagnostics for one report."""

    __slots__ = ("diagnostics", "source_path")

    def __init__(self, source_path: str | None) -> None:
        self.source_path = source_path
        self.diagnostics: list[Diagnostic] = []

    def add(
        self,
        token: Token,
        severity: Severity,
        code: str,
        message: str,
        *,
        raw: str | None = None,
        col: int | None = None,
    ) -> None:
        """Record a problem at ``token``'s line."""
        excerpt = token.text if raw is None else raw
        self.diagnostics.append(
            Diagnostic(
                line=token.line,
                col=col if col is not None else token.col,
                severity=severity,
                code=code,
                message=message,
                raw=excerpt[:EXCERPT],
                source_path=self.source_path,
            )
        )

    def unrecognized(self, token: Token, where: str) -> None:
        """Record a line that no field took (a blank line is no loss: not recorded)."""
        if token.kind is not Kind.BLANK:
            self.diagnostics.append(
                unrecognized_line(token, f"not recognised in the {where}", self.source_path))


def unrecognized_line(token: Token, why: str, source_path: str | None) -> Diagnostic:
    """The ``unrecognized-line`` warning of a line no field took; ``why`` completes
    "line ..." (``not recognised in the KPI page``)."""
    return Diagnostic(token.line, token.col, "warning", "unrecognized-line",
                      f"line {why} ({token.kind}); kept here, not in a field",
                      token.text[:EXCERPT], source_path)
