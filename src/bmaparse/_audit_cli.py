"""``bmaparse audit OUT``: the findings of a converted folder, with other thresholds.

Strategy: one option per field of ``audit.Thresholds`` (``stale_days`` ->
``--stale-days``, help from the field), read with the field's type. The
findings go to ``-o FILE`` (``.csv``, ``.jsonl`` or ``.parquet``, by suffix) or,
without it, to stdout as a table, one finding a line; the summary (findings
per code) goes to stderr, or with ``--json`` to stdout as one object (holding
the findings themselves when there is no ``-o``). Exit status: 0, or 1 with
``--fail-on error|warning`` when findings at that severity or worse exist; a
folder that is not a converted one is a usage error (2) naming it. Light to
import: pyarrow and DuckDB are loaded only when the command runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import audit
from ._display import printable
from ._read import display_path
from .errors import UsageError

_FORMATS = (".csv", ".jsonl", ".parquet")


def add_command(commands: Any) -> None:
    """Add ``audit`` to the ``bmaparse`` subcommands (an argparse subparsers object)."""
    command = commands.add_parser(
        "audit", help="recompute the audit findings of a converted folder (docs/audit.md)")
    command.add_argument("output", metavar="OUT", help="a folder written by bmaparse convert")
    command.add_argument("-o", dest="file", metavar="FILE", default=None,
                         help="write the findings to FILE (.csv, .jsonl or .parquet) instead"
                              " of printing them")
    command.add_argument("--fail-on", choices=("error", "warning", "never"), default="never",
                         help="exit 1 when findings of that severity or worse exist"
                              " (default: never)")
    command.add_argument("--json", action="store_true",
                         help="print the summary (and, without -o, the findings) as one JSON"
                              " object on stdout")
    for f in dataclasses.fields(audit.Thresholds):
        kind = type(f.default)
        command.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=_reader(kind),
                             default=f.default, metavar=kind.__name__.upper(),
                             help=f.metadata["help"])
    command.set_defaults(handler=run)


_LARGEST = 2**31 - 1
"""Thresholds are compared in SQL as INTEGER or DECIMAL: a larger one is an error there."""


def _reader(kind: type) -> Any:
    def read(text: str) -> Any:
        try:
            value = kind(text)
        except (ValueError, ArithmeticError):
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or value != value:  # negative, or NaN
            raise argparse.ArgumentTypeError(f"must be 0 or more, not {text!r}")
        if not value < _LARGEST:  # infinite, or past DuckDB's INTEGER and exact decimals
            raise argparse.ArgumentTypeError(f"must be below {_LARGEST:,}, not {text!r}")
        return value
    return read


def run(args: argparse.Namespace) -> int:
    """The ``audit`` command's handler; the exit status."""
    limits = audit.Thresholds(**{f.name: getattr(args, f.name)
                                 for f in dataclasses.fields(audit.Thresholds)})
    if args.file is not None and Path(args.file).suffix not in _FORMATS:
        raise UsageError(f"-o {args.file}: write the findings to a {', '.join(_FORMATS)} file")
    if args.file is not None and display_path(os.path.abspath(args.file)) != os.path.abspath(args.file):
        raise UsageError(f"-o {display_path(args.file)}: its path is not valid UTF-8, which the"
                         " table writers cannot open; choose a path that is UTF-8")
    found = audit.findings(args.output, limits)
    if args.file is not None:
        _write(found, Path(args.file))
    counts = audit.counts(found)
    status = 0 if args.fail_on == "never" or not audit.at_least(found, args.fail_on) else 1
    if args.json:
        summary: dict[str, Any] = {
            "folder": str(args.output), "findings": found.num_rows, "counts": counts,
            "thresholds": {k: _number(v) for k, v in limits.as_dict().items()},
            "output": args.file, "exit_code": status}
        if args.file is None:
            summary["rows"] = [{**row, "evidence": json.loads(row["evidence"])}
                               for row in found.to_pylist()]
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
        return status
    if args.file is None:
        for row in found.to_pylist():
            where = f"{row['source_path']}:{row['line']}" if row["source_path"] else "-"
            print(printable(f"{row['severity']:<7} {row['code']:<25} {where}  {row['message']}"))
    print(printable(f"bmaparse: audit {args.output}: {found.num_rows} findings"
                    + (f", written to {args.file}" if args.file else "")), file=sys.stderr)
    for code, per in counts.items():
        print(printable(f"  {code}: " + ", ".join(f"{n} {s}" for s, n in per.items())),
              file=sys.stderr)
    return status


def _number(value: Any) -> Any:
    """A threshold for JSON: a Decimal as an int when whole, else a float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _write(table: Any, path: Path) -> None:
    """The findings into ``path``, in the format its suffix names."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, os.path.abspath(path), compression="zstd")  # "md:x" is no URI
    elif path.suffix == ".csv":
        import pyarrow.csv as pacsv

        from .writers.csv import BOM, neutralise

        with path.open("wb") as out:
            out.write(BOM)
            pacsv.write_csv(neutralise(table), out)
    else:
        from .writers.jsonl import render

        path.write_bytes(render(table))
