"""The ``bmaparse`` command: ``parse``, ``convert``, ``merge``, ``validate``, ``schema``,
``verify``, ``audit`` (``_audit_cli``), ``report``, ``load``.

Strategy: ``main(argv) -> int`` is a plain function (tests call it with a list
and check the exit status); argparse builds the commands, and each command is
one small handler that returns the exit status. Exit status: 0 clean, 1 some
input had an error (``convert --fail-on`` and ``--max-errors`` set the policy),
the output could not be written, another process is writing it, or ``verify``
found the folder inconsistent; 2 usage error (argparse errors, a missing input,
an output folder bmaparse may not write into); 130 interrupted (Ctrl-C, SIGTERM).
Expected problems print one line ``bmaparse: error: ...`` on stderr, never a
traceback. Heavy modules (pyarrow, tqdm, the writers) are imported inside the
handlers that need them, so ``bmaparse --help`` stays fast. JSON goes to
stdout, with Thai kept readable and decimals written exactly as numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from . import _audit_cli, _compiled
from ._collect import FAIL_ON
from ._display import printable
from ._formats import FORMATS
from ._read import DEFAULT_LIMITS, Limits, alarm_handler_kept, severity_counts
from .errors import BmaparseError, UsageError
from .model import CHILD_TABLES, DERIVED_COLUMNS, PARSER_VERSION, Report


def _whole_number(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``least``."""
    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(
                f"must be at least 1, not {value}" if least == 1 else
                f"must be {least} or more, not {value}")
        return value
    return read


_positive_int = _whole_number(1)
_count = _whole_number(0)


_SIZE = re.compile(r"(\d+)\s*(?:([kmg])(?:i?b)?|b)?", re.IGNORECASE)
_UNITS = {None: 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _size(text: str) -> int:
    """A byte count: ``1000``, ``512K``, ``64M``, ``64MiB``, ``1G`` (K, M, G are 1024-based)."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1000, 512K, 64M, 1G)")
    value = int(match[1]) * _UNITS[match[2] and match[2].lower()]
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 byte, not {text!r}")
    return value


def _add_limit_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--max-file-size", type=_size, default=DEFAULT_LIMITS.max_file_bytes, metavar="SIZE",
        help="refuse an input (file or zip member) larger than SIZE bytes, with the error"
             " input-too-large (K, M, G suffixes; default: 64M)")
    command.add_argument(
        "--max-line-length", type=_positive_int, default=DEFAULT_LIMITS.max_line_chars,
        metavar="N", help="cut a line longer than N characters, with the warning line-too-long"
                          " (default: 1000000)")

    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
        return value

    command.add_argument(
        "--max-seconds", type=seconds, default=DEFAULT_LIMITS.max_seconds_per_input, metavar="N",
        help="stop decoding and parsing an input after N seconds, with the error input-timeout"
             " (default: 60; applied where a timer can interrupt the parse: POSIX)")


def _add_inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument("inputs", metavar="INPUT", nargs="+",
                         help="text files, folders (searched recursively) or .zip archives")


def _add_link_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--follow-links", action="store_true",
        help="follow symbolic links to files and folders outside the inputs (by default"
             " they are skipped, and counted in the manifest's skipped_files)")


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(max_file_bytes=args.max_file_size, max_line_chars=args.max_line_length,
                  max_seconds_per_input=args.max_seconds)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bmaparse`` command."""
    parser = argparse.ArgumentParser(
        prog="bmaparse",
        description="Parse BMA project-report text exports into typed data and tables.",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # --version on one line
    )
    parser.add_argument("--version", action="version", version=f"bmaparse {PARSER_VERSION} ({_compiled.IMPLEMENTATION})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    parse = commands.add_parser("parse", help="print the reports in FILE as JSON")
    parse.add_argument("file", metavar="FILE", help="a text file, a folder or a .zip archive")
    _add_limit_options(parse)
    _add_link_option(parse)
    parse.set_defaults(handler=_parse)

    convert = commands.add_parser(
        "convert", help="convert files, folders and .zip archives into tables"
    )
    _add_inputs(convert)
    convert.add_argument("-o", "--output", metavar="OUT", required=True,
                         help="output folder (created if missing)")
    convert.add_argument("--format", choices=FORMATS, default="parquet",
                         help="output format (default: parquet)")
    convert.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                         help="worker processes (default: one per CPU; 1: no workers)")
    convert.add_argument("--strict", action="store_true",
                         help="reject an input with any warning or error (only its diagnostics"
                              " are written)")
    convert.add_argument("--incremental", action="store_true",
                         help="skip inputs already converted into OUT and append the new ones")
    convert.add_argument("--force", action="store_true",
                         help="write into a non-empty folder that bmaparse did not write")
    convert.add_argument("--quiet", action="store_true",
                         help="no progress bar and no summary line")
    convert.add_argument("--json", action="store_true",
                         help="print the run summary as one JSON object on stdout")
    convert.add_argument("--fail-on", choices=FAIL_ON, default="error",
                         help="exit 1 when inputs have errors (default), errors or warnings, or"
                              " never (the manifest and diagnostics still say which)")
    convert.add_argument("--max-errors", type=_count, default=0, metavar="N",
                         help="exit 1 only when more than N inputs fail under --fail-on"
                              " (default: 0)")
    convert.add_argument("--shard", metavar="K/N", default=None,
                         help="convert only shard K of N of the inputs (by a stable hash of"
                              " their path); bmaparse merge puts the N folders together")
    _add_limit_options(convert)
    _add_link_option(convert)
    convert.set_defaults(handler=_convert)
    _add_merge_command(commands)

    verify = commands.add_parser(
        "verify", help="check that the tables and the manifest of a converted folder agree")
    verify.add_argument("output", metavar="OUT", help="a folder written by bmaparse convert")
    verify.set_defaults(handler=_verify)

    validate = commands.add_parser(
        "validate", help="print every diagnostic as PATH:LINE:COL: SEVERITY CODE message"
    )
    _add_inputs(validate)
    validate.add_argument("--quiet", action="store_true", help="no summary line on stderr")
    _add_limit_options(validate)
    _add_link_option(validate)
    validate.set_defaults(handler=_validate)

    schema = commands.add_parser("schema", help="print the data dictionary")
    schema.add_argument("--format", choices=("markdown", "text"), default="markdown",
                        help="markdown (default) or plain text")
    schema.set_defaults(handler=_schema)

    report = commands.add_parser(
        "report", help="write one self-contained HTML page of charts about a converted folder")
    report.add_argument("output", metavar="OUT", help="a folder written by bmaparse convert")
    report.add_argument("-o", "--html", metavar="FILE", default="report.html",
                        help="the page to write (default: report.html)")
    report.add_argument("--findings-limit", type=_count, default=5000, metavar="N",
                        help="list at most N findings in the page's table; all are counted"
                             " (default: 5000)")
    report.add_argument("--errors-limit", type=_count, default=200, metavar="N",
                        help="list at most N inputs with errors; all are counted (default: 200)")
    report.add_argument("--quiet", action="store_true", help="no summary line on stderr")
    report.set_defaults(handler=_report)
    _audit_cli.add_command(commands)
    _add_load_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bmaparse`` command with ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    handler: Callable[[argparse.Namespace], int] = args.handler
    args.own_process = argv is None  # the console script, not a caller's main([...])
    try:
        with _terminated_as_interrupt(), alarm_handler_kept():
            return handler(args)
    except UsageError as exc:
        return _fail(str(exc), 2)
    except BmaparseError as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return _fail("interrupted; the output folder keeps its previous state", 130)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        _silence_stdout()
        return 1
    except OSError as exc:
        return _fail(str(exc), 1)


@contextlib.contextmanager
def _terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the job) handled as Ctrl-C: the run stops the same
    clean way (its staged files removed, the output folder as it was), exit 130."""
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str, status: int) -> int:
    print(f"bmaparse: error: {printable(message)}", file=sys.stderr)
    return status


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's final flush of a
    closed pipe does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _emit(text: str) -> None:
    """Write ``text`` to stdout as UTF-8, whatever the terminal's encoding."""
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a terminal that cannot show Thai; a lone surrogate
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()


# --- JSON ---------------------------------------------------------------------------------


_DERIVED = {CHILD_TABLES[table]: names for table, names in DERIVED_COLUMNS.items()}
"""Record type -> its derived columns (properties), written like its fields."""


def _jsonable(obj: Any) -> Any:
    """A dataclass tree as dicts and lists; dates as ISO strings, Decimals kept exact."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj)] + list(_DERIVED.get(type(obj), ()))
        return {name: _jsonable(getattr(obj, name)) for name in names}
    if isinstance(obj, list | tuple):
        return [_jsonable(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): _jsonable(value) for key, value in obj.items()}
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


def _dumps(value: Any, level: int = 0) -> str:
    """JSON text of a ``_jsonable`` value, indented by 2, Thai unescaped,
    ``Decimal`` as a number written exactly (``100.00`` stays ``100.00``)."""
    inner, outer = "  " * (level + 1), "  " * level
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dumps(v, level + 1)}"
                 for k, v in value.items())
        return "{\n" + ",\n".join(items) + "\n" + outer + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _dumps(v, level + 1) for v in value) + "\n" + outer + "]"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else "null"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


# --- commands -----------------------------------------------------------------------------


def _parse(args: argparse.Namespace) -> int:
    from ._read_task import iter_documents

    reports: list[Report] = []
    errors = 0
    for document in iter_documents([args.file], limits=_limits(args),
                                   follow_links=args.follow_links):
        errors += severity_counts(document)["error"]
        for diagnostic in document.diagnostics:
            print(diagnostic.format(document.source_path or args.file), file=sys.stderr)
        reports.extend(document.reports)
    _emit(_dumps(_jsonable(reports)) + "\n")
    return 1 if errors else 0


def _validate(args: argparse.Namespace) -> int:
    from ._read_task import iter_documents

    totals: Counter[str] = Counter()
    inputs = reports = 0
    for document in iter_documents(args.inputs, limits=_limits(args),
                                   follow_links=args.follow_links):
        inputs += 1
        reports += len(document.reports)
        totals += severity_counts(document)
        path = document.source_path or "<input>"
        lines = [d.format(path) for d in document.diagnostics]
        lines += [d.format(path) for r in document.reports for d in r.diagnostics]
        if lines:
            _emit("\n".join(lines) + "\n")
    if not args.quiet:
        print(
            f"bmaparse: {inputs} inputs, {reports} reports, {totals['error']} errors,"
            f" {totals['warning']} warnings, {totals['info']} notes",
            file=sys.stderr,
        )
    return 1 if totals["error"] else 0


def _schema(args: argparse.Namespace) -> int:
    from .tables import data_dictionary

    text = data_dictionary(args.format)
    _emit(text if text.endswith("\n") else text + "\n")
    return 0


def _convert(args: argparse.Namespace) -> int:
    _lean_arrow_allocator()  # before anything imports pyarrow
    if args.own_process:
        _arrow_without_pandas()
    from .batch import convert

    summary = convert(
        args.inputs,
        args.output,
        fmt=args.format,
        jobs=args.jobs,
        strict=args.strict,
        incremental=args.incremental,
        force=args.force,
        progress=not args.quiet and sys.stderr.isatty(),
        limits=_limits(args),
        follow_links=args.follow_links,
        shard=_shard(args.shard),
    )
    return _finish(summary, args)


# --- shards (convert --shard, merge) ------------------------------------------------------


def _shard(text: str | None) -> tuple[int, int] | None:
    """``--shard K/N`` as (K, N); ``UsageError`` (one line, exit 2) when it is not one."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. --shard 2/4")
    return int(match[1]), int(match[2])


def _add_merge_command(commands: Any) -> None:
    merge = commands.add_parser(
        "merge", help="merge the folders of convert --shard K/N runs into one")
    merge.add_argument("parts", metavar="PART", nargs="+",
                       help="folders written by bmaparse convert --shard K/N")
    merge.add_argument("-o", "--output", metavar="OUT", required=True,
                       help="output folder (created if missing)")
    merge.add_argument("--format", choices=FORMATS, default=None,
                       help="output format (default: the parts' format)")
    merge.add_argument("--partial", action="store_true",
                       help="merge the shards given even when some of the N are missing")
    merge.add_argument("--force", action="store_true",
                       help="write into a non-empty folder that bmaparse did not write")
    merge.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                       help="threads for the analysis tables (default: one per CPU)")
    merge.add_argument("--quiet", action="store_true", help="no summary line")
    merge.add_argument("--json", action="store_true",
                       help="print the merge summary as one JSON object on stdout")
    merge.add_argument("--fail-on", choices=FAIL_ON, default="error",
                       help="exit 1 when inputs have errors (default), errors or warnings, or"
                            " never, as convert of the same inputs would")
    merge.add_argument("--max-errors", type=_count, default=0, metavar="N",
                       help="exit 1 only when more than N inputs fail under --fail-on")
    merge.set_defaults(handler=_merge)


def _merge(args: argparse.Namespace) -> int:
    _lean_arrow_allocator()
    if args.own_process:
        _arrow_without_pandas()
    from ._merge import merge

    summary = merge(args.parts, args.output, fmt=args.format, partial=args.partial,
                    force=args.force, jobs=args.jobs)
    return _finish(summary, args)


def _finish(summary: Any, args: argparse.Namespace) -> int:
    """Print a convert or merge summary as asked; the exit status under ``--fail-on``."""
    status: int = summary.status(args.fail_on, args.max_errors)
    if args.json:
        _emit(json.dumps({**summary.as_dict(), "exit_code": status}, ensure_ascii=False) + "\n")
    if not args.quiet:
        print(printable(summary.line()), file=sys.stderr)
        failures = summary.failures()
        if failures:
            print(printable(failures), file=sys.stderr)
    return status


def _verify(args: argparse.Namespace) -> int:
    if args.own_process:
        _arrow_without_pandas()
    from ._verify import verify

    found = verify(args.output)
    for line in found.lines():
        print(printable(line), file=sys.stdout if found.ok else sys.stderr)
    return 0 if found.ok else 1


def _report(args: argparse.Namespace) -> int:
    _lean_arrow_allocator()  # 100k reports: ~390 MiB peak with jemalloc, ~530 with mimalloc
    if args.own_process:
        _arrow_without_pandas()
    from .report import write_report

    shown = write_report(args.output, args.html, findings_limit=args.findings_limit,
                         errors_limit=args.errors_limit)
    if not args.quiet:
        findings = ("no findings table (run bmaparse convert --incremental again)" if "findings" not in shown
                    else f"{shown['findings']} findings" if shown["findings"] == shown["findings_shown"]
                    else f"first {shown['findings_shown']} of {shown['findings']} findings listed")
        print(printable(f"bmaparse: wrote {args.html} ({shown['bytes'] / 1024:,.0f} KiB):"
                        f" {shown['reports']} reports, {shown['projects']} projects,"
                        f" {shown['errors']} error diagnostics, {findings}"), file=sys.stderr)
    return 0


def _add_load_command(commands: Any) -> None:
    load = commands.add_parser(
        "load", help="load a converted folder into a warehouse (idempotent; docs/warehouse.md)")
    load.add_argument("output", metavar="OUT", help="a folder written by bmaparse convert")
    load.add_argument("--to", required=True, metavar="TARGET", dest="target",
                      help="postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME],"
                           " delta:PATH or duckdb:PATH")
    load.add_argument("--json", action="store_true",
                      help="print the load summary as one JSON object on stdout")
    load.add_argument("--quiet", action="store_true", help="no summary on stderr")
    load.set_defaults(handler=_load)


def _load(args: argparse.Namespace) -> int:
    _lean_arrow_allocator()
    if args.own_process:
        _arrow_without_pandas()
    from .warehouse import load_into

    summary = load_into(args.output, args.target, progress=not args.quiet and sys.stderr.isatty())
    if args.json:
        _emit(json.dumps(dataclasses.asdict(summary), ensure_ascii=False) + "\n")
    if not args.quiet:
        if summary.unchanged:
            print(printable(f"bmaparse: {summary.target}: unchanged ({args.output} is its"
                            " latest load)"), file=sys.stderr)
        else:
            for name, done in summary.tables.items():
                print(f"bmaparse: {name}: {done.deleted} deleted, {done.inserted} inserted",
                      file=sys.stderr)
            for column in summary.evolved:
                print(f"bmaparse: added column {column}", file=sys.stderr)
            print(printable(f"bmaparse: loaded {args.output} into {summary.target} in"
                            f" {summary.seconds:.1f} s"), file=sys.stderr)
    return 0


def _lean_arrow_allocator() -> None:
    """Arrow buffers from jemalloc, unless ARROW_DEFAULT_MEMORY_POOL says otherwise.

    pyarrow's default pool (mimalloc in its wheels) keeps more freed memory:
    convert --jobs 1 of 10k synth reports peaked at 215 MB with it and 180 MB with
    jemalloc, at the same speed. Arrow reads the variable once, when pyarrow is
    first imported, so it is set before that, in the CLI's own process (forked
    workers inherit the pool); the library leaves its callers' process alone.
    pyarrow's Windows wheels have no jemalloc."""
    if sys.platform != "win32" and "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")


def _arrow_without_pandas() -> None:
    """Tell pyarrow, in the CLI's own process, that there is no pandas to look for.

    pyarrow imports pandas (~0.17 s of CPU, a third of convert's start-up) the
    first time it builds an array from a list, only to ask whether the list is a
    pandas object; convert and verify never hand it one. Its first look is made
    here with pandas hidden, and pyarrow keeps that answer until something really
    needs pandas (``Table.to_pandas`` and ``from_pandas`` import it again; until
    then a pandas object handed to ``pa.array`` is not recognised as one). So it
    is done only in the console script's own process (``main()`` without
    ``argv``), whose convert and verify never hand pyarrow a pandas object, and
    only when nothing has imported pandas yet; a caller's ``main([...])`` and the
    library leave the caller's process alone. Forked workers inherit it."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    hidden = _Hidden("pandas")
    sys.meta_path.insert(0, hidden)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(hidden)


class _Hidden:
    """An import finder that refuses one top-level module: ``import name`` raises
    ``ModuleNotFoundError`` while it is first on ``sys.meta_path``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == self.name:
            raise ModuleNotFoundError(f"{fullname} is hidden", name=fullname)


if __name__ == "__main__":
    sys.exit(main())
