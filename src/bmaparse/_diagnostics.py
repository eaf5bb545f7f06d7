"""The diagnostics collector that section rules write to.

Strategy: rules are functions of their tokens; the only thing they share is
this append-only list of diagnostics, so that a rule can report a bad value
at its exact line and column and go on. ``unrecognized`` is the one way a
rule gives up on a line: nothing is dropped without a diagnostic.
"""

from __future__ import annotations

from ._lexer import Kind, Token
from .model import Diagnostic, Severity

_EXCERPT = 200


class Notes:
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
                raw=excerpt[:_EXCERPT],
                source_path=self.source_path,
            )
        )

    def unrecognized(self, token: Token, where: str) -> None:
        """Record a line that no field took."""
        if token.kind is Kind.BLANK:
            return
        self.add(
            token,
            "warning",
            "unrecognized-line",
            f"line not recognised in the {where} ({token.kind}); kept here, not in a field",
        )
