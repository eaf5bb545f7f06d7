"""Reading: one input (a file or bytes) in, a Document with its reports out.

Strategy: bytes -> ``_decode.decode`` -> lines -> ``_lexer.tokenize`` (once for
the whole file, so line numbers are the file's) -> ``_parser.split_reports`` ->
``_parser.build_report`` per report. Problems found while decoding go to the
report whose lines they are on; problems of the whole input (empty, binary,
nothing that looks like a report) stay on the Document. Nothing here raises in
lenient mode; an unreadable file is a diagnostic too, and so is a report the
parser fails on (``internal-error``, its lines kept as ``unrecognized-line``; the
file's other reports are kept), and a failure outside one report's rules
(decoding, splitting: an ``internal-error`` of the input).

Bounded work (``Limits``): an input over ``max_file_bytes`` is refused before it
is decoded (``input-too-large``, nothing parsed; a path is never read past the
limit, and only a regular file is ever opened, ``open_regular``: ``/dev/zero``
or a FIFO is refused, never read or waited on); a line over ``max_line_chars`` is cut
to the limit before tokenizing (``line-too-long``, what is kept still parses);
decoding and parsing one input past ``max_seconds_per_input`` stops it
(``input-timeout``, nothing of it kept; see ``TimeBudget`` for where a timer
can be set). Lines before the first report of a file (no report anchor in them) are not
dropped: each becomes an ``unrecognized-line`` warning of the first report.
Source paths are shown as valid Unicode (bytes of a file name that are not
UTF-8 become ``\\xNN``), so they always fit a table, JSON or CSV.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import math
import os
import re
import signal
import stat
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, BinaryIO

from ._decode import decode
from ._diagnostics import unrecognized_line
from ._evidence import is_report
from ._lexer import Kind, Token, tokenize
from ._normalize import without_surrogates
from ._parser import build_report, raise_if_problems, split_reports
from .errors import InputTooLargeError, ParseError
from .model import STRICT_SEVERITIES, Diagnostic, Report


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
        return not severity_counts(self)["error"]


def severity_counts(document: Document) -> Counter[str]:
    """How many diagnostics of each severity a document and its reports hold."""
    reports = (d for r in document.reports for d in r.diagnostics)
    return Counter(d.severity for d in (*document.diagnostics, *reports))


def failed_document(
    source_path: str | None, *diagnostics: Diagnostic, sha256: str = ""
) -> Document:
    """The Document of an input that gave no report: only its file-level
    ``diagnostics`` (why it failed); ``sha256`` when its bytes were read."""
    return Document(source_path, sha256, None, (), diagnostics)


Source = str | os.PathLike[str] | bytes


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one input may cost. Past a bound bmaparse refuses or cuts,
    with a diagnostic, instead of running out of time or memory."""

    max_file_bytes: int = 64 * 1024 * 1024
    """Largest input read (a file, bytes, or a decompressed zip member): a larger one
    is refused with the error ``input-too-large`` and nothing of it is parsed."""
    max_line_chars: int = 1_000_000
    """Longest line kept whole: a longer one is cut to this many characters, with
    the warning ``line-too-long`` (what is kept still parses)."""
    max_archive_members: int = 100_000
    """Most members read from one zip archive (``too-many-members``)."""
    max_compression_ratio: int = 200
    """Largest decompressed:compressed ratio accepted for a zip member over 1 MiB
    decompressed (``zip-bomb``); real reports compress about 5-10:1."""
    max_seconds_per_input: float = 60.0
    """Longest wall-clock time decoding and parsing one input may take: past it the
    input is stopped, with the error ``input-timeout``, and the run goes on. A
    backstop (a real report takes milliseconds, and no pattern is super-linear),
    kept only where an interval timer can interrupt the parse: in a process's main
    thread on POSIX (``convert``'s workers, ``--jobs 1`` and the CLI are), while
    the process's real-time timer is unused. Elsewhere it is not applied."""

    def __post_init__(self) -> None:
        for name in ("max_file_bytes", "max_line_chars", "max_archive_members",
                     "max_compression_ratio"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a whole number of at least 1, not {value!r}")
        seconds = self.max_seconds_per_input
        if (isinstance(seconds, bool) or not isinstance(seconds, int | float)
                or not 0 < seconds < math.inf):
            raise ValueError(f"Limits.max_seconds_per_input must be a number of seconds above 0,"
                             f" not {seconds!r}")

    def as_dict(self) -> dict[str, Any]:
        """The limits as a plain dict of numbers (as recorded in the manifest)."""
        return {
            "max_file_bytes": self.max_file_bytes, "max_line_chars": self.max_line_chars,
            "max_archive_members": self.max_archive_members,
            "max_compression_ratio": self.max_compression_ratio,
            "max_seconds_per_input": self.max_seconds_per_input,
        }


DEFAULT_LIMITS = Limits()


def display_path(path: str) -> str:
    """``path`` as valid Unicode: an undecodable file-name byte (kept by Python as a
    lone surrogate U+DC80-U+DCFF) becomes its escape ``\\xNN``, so the name fits a
    table, JSON or CSV and two names that differ only in such bytes stay two names
    (U+FFFD made ``a\\xff.txt`` and ``a\\xfe.txt`` one, and one manifest entry was
    lost). Any other lone surrogate (a hand-made str) becomes U+FFFD."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return without_surrogates(_ESCAPED_BYTE.sub(lambda m: f"\\x{ord(m[0]) - 0xDC00:02x}", path))
    return path


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def too_large_message(size: int, limits: Limits, what: str = "input is") -> str:
    """The message of ``input-too-large``: the size and the limit."""
    return (f"{what} {size:,} bytes; the limit is {limits.max_file_bytes:,} bytes"
            " (max_file_bytes, --max-file-size): input refused, nothing of it was parsed")

def load(
    source: Source,
    *,
    source_path: str | None = None,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Decode one input and parse every report in it.

    ``source`` is a path or the input's bytes; ``source_path`` names it in
    diagnostics and tables (for bytes, and for zip members as
    ``archive.zip!member.txt``). A project id in the file name fills
    ``project_id`` of reports whose text has none. Lenient (default): never
    raises; problems are in ``Document.diagnostics`` and each report's
    ``diagnostics``. Strict: raises ``ParseError`` for the first warning or error.
    ``limits`` bounds the input's size, line length and time (see ``Limits``).
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data, path = bytes(source), source_path
        if path is not None:
            path = display_path(path)
        if len(data) > limits.max_file_bytes:
            return _finish(_refused(path, too_large_message(len(data), limits)), strict)
        return _finish(_timed_document(data, path, limits), strict)
    path = display_path(source_path or os.fspath(source))
    try:
        data = read_file_capped(source, limits)
    except InputTooLargeError as exc:
        return _finish(_refused(path, str(exc)), strict)
    except OSError as exc:
        message = display_path(f"cannot read input: {exc}")
        problem = Diagnostic(None, None, "error", "unreadable-input", message, None, path)
        return _finish(failed_document(path, problem), strict)
    return _finish(_timed_document(data, path, limits), strict)


def read_file_capped(path: str | os.PathLike[str], limits: Limits) -> bytes:
    """A file's bytes, never reading more than ``limits.max_file_bytes`` plus one.

    Raises ``InputTooLargeError`` past the limit (by its size on disk, or by what
    was read: a file that grew, a device), ``OSError`` when it cannot be read or
    is not a regular file (a FIFO would block, a device never end).
    """
    fd, size = _open_regular_fd(path, follow_links=True)
    try:
        if size > limits.max_file_bytes:
            raise InputTooLargeError(too_large_message(size, limits))
        # A read of n bytes allocates n bytes first: ask for the size on disk, and
        # only if the file grew since fstat read on, up to the cap.
        data = _read_fd(fd, size + 1)
        if len(data) > size:
            data += _read_fd(fd, limits.max_file_bytes + 1 - len(data))
    finally:
        os.close(fd)
    check_read_size(data, limits)
    return data


def _read_fd(fd: int, n: int) -> bytes:
    """Up to ``n`` bytes from ``fd``: fewer only at the end of the file."""
    parts = []
    while n > 0:
        block = os.read(fd, n)
        if not block:
            break
        parts.append(block)
        n -= len(block)
    return b"".join(parts)


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def open_regular(path: str | os.PathLike[str], *, follow_links: bool = True) -> BinaryIO:
    """``path`` opened for reading (binary), only if it is a regular file.

    Checked before opening (``stat``: a device, FIFO or socket is never opened)
    and on what was opened (``fstat``: a FIFO swapped in since then is opened
    with ``O_NONBLOCK``, so the open does not wait for a writer, and refused).
    ``follow_links=False`` (bmaparse's own files in an output folder: a link
    planted there is data, never a way out) opens with ``O_NOFOLLOW``. Raises
    ``OSError`` (``not a regular file``, or why it cannot be opened).
    """
    fd, _ = _open_regular_fd(path, follow_links=follow_links)
    try:
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_regular_fd(path: str | os.PathLike[str], *, follow_links: bool) -> tuple[int, int]:
    """``open_regular``'s checks and open: (a blocking descriptor, its size by fstat).
    (``read_file_capped`` reads the descriptor itself: no file object, no second fstat.)"""
    if follow_links and not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(f"not a regular file: {display_path(os.fspath(path))}")
    fd = os.open(path, _OPEN_FLAGS if follow_links else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"not a regular file: {display_path(os.fspath(path))}")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def check_read_size(data: bytes, limits: Limits) -> None:
    """Raise ``InputTooLargeError`` when a capped read came back over the limit."""
    if len(data) > limits.max_file_bytes:
        raise InputTooLargeError(too_large_message(len(data), limits, "input is more than"))


def _refused(path: str | None, message: str) -> Document:
    problem = Diagnostic(None, None, "error", "input-too-large", message, None, path)
    return failed_document(path, problem)


class InputTimeout(BaseException):
    """Raised inside a ``TimeBudget`` when its time is up, wherever the parse is. A
    BaseException, so that no ``except Exception`` on the way (a parser bug in one
    report costs only that report) takes it for a bug and carries on."""


class TimeBudget:
    """``with TimeBudget(seconds) as armed:`` raises ``InputTimeout`` in the block once
    ``seconds`` of wall-clock time have passed; ``armed`` says whether it can.

    A real-time interval timer and a SIGALRM handler: ``re`` checks for signals
    while it matches, so even a long match is stopped. Armed only where that is
    possible and takes nothing from the caller: the main thread, a platform with
    ``setitimer`` (not Windows), SIGALRM's handler one Python knows, and the
    process's real-time timer unused (a caller's ``alarm`` or ``setitimer``, or a
    budget already running, is left alone). Elsewhere the block runs unbounded.
    Past the budget the handler raises, and sets the timer again, every
    ``_AGAIN`` s, until the block ends: an exception raised in a ``__del__`` or a
    garbage-collector callback is swallowed ("Exception ignored"), and the block
    would otherwise run on unbounded. A signal that comes in ``__exit__`` finds the
    block over: the handler ends the budget and raises nothing; one that comes in
    ``__enter__`` (a budget shorter than the call) ends the budget and raises. Leaving the block,
    however it is left, disarms the timer and puts the previous handler back:
    nothing of the budget outlives the block. Where bmaparse owns the process (a ``convert``
    worker, ``keep_alarm_handler``) or the thread (a CLI command,
    ``alarm_handler_kept``) the handler stays, and a budget costs two timer calls. A class, not a generator: it is entered once per input.
    """

    __slots__ = ("armed", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> bool:
        if _Alarm.armed or not _main_thread():
            return False
        if not _Alarm.kept:
            current = signal.getsignal(signal.SIGALRM)
            if current is None or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
                return False
            signal.signal(signal.SIGALRM, _on_alarm)
            _Alarm.previous = current
        _Alarm.seconds, _Alarm.armed = self.seconds, True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.armed = True
        return True

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            _end()


_AGAIN = 0.05
"""Seconds between the alarms past the budget, while the block has not ended."""


_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class _Alarm:
    """The one budget a process can run at a time (it has one real-time timer)."""

    armed = False
    seconds = 0.0
    kept = False
    """``_on_alarm`` stays installed (``keep_alarm_handler``)."""
    previous: _Handler = None
    """The SIGALRM handler to put back when a budget ends (unless kept)."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    if not _Alarm.armed:
        return
    code = frame.f_code if frame is not None else None
    if code in _ENDING:
        _end()  # the block is over: its work is done
        return
    if code is _STARTING:  # the block has not begun: no __exit__ will end the budget
        _end()
    else:
        signal.setitimer(signal.ITIMER_REAL, _AGAIN)  # again, should this raise be swallowed
    raise InputTimeout(f"past the budget of {_Alarm.seconds:g} s")


def _end() -> None:
    if _Alarm.armed:  # no call before the store: a signal handled
        _Alarm.armed = False  # from here on finds the budget over
        _disarm()


_ENDING = frozenset({TimeBudget.__exit__.__code__, _end.__code__})
"""The code of leaving a budget's block: an alarm handled there finds the block over."""
_STARTING = TimeBudget.__enter__.__code__
"""An alarm handled in ``__enter__`` (a budget shorter than the call) raises from it,
and the ``with`` statement then calls no ``__exit__``: the handler ends the budget."""


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    if not _Alarm.kept:
        signal.signal(signal.SIGALRM, _Alarm.previous)


def keep_alarm_handler() -> None:
    """Leave the budget's SIGALRM handler installed in this process, for a process
    bmaparse owns (a ``convert`` worker): a budget then swaps no handler and reads
    none (``signal.getsignal`` of a function costs 3 us: an enum lookup fails)."""
    if _main_thread() and not _Alarm.armed:
        signal.signal(signal.SIGALRM, _on_alarm)
        _Alarm.kept = True


@contextlib.contextmanager
def alarm_handler_kept() -> Iterator[None]:
    """``keep_alarm_handler`` for the length of a block that runs none of a caller's
    code (a command of the CLI, in its own thread): every budget in it swaps no
    handler (8 us an input). Set up only where a budget could be armed now (the
    checks of ``TimeBudget``); the previous handler is put back after."""
    if _Alarm.kept or _Alarm.armed or not _main_thread():
        yield
        return
    current = signal.getsignal(signal.SIGALRM)
    if current is None or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
        yield
        return
    signal.signal(signal.SIGALRM, _on_alarm)
    _Alarm.kept = True
    try:
        yield
    finally:
        _Alarm.kept = False
        signal.signal(signal.SIGALRM, current)


def _main_thread() -> bool:
    return _HAS_TIMER and threading.current_thread() is threading.main_thread()


_HAS_TIMER = hasattr(signal, "setitimer")


def timeout_message(limits: Limits) -> str:
    """The message of ``input-timeout``: the budget."""
    return (f"decoding and parsing took longer than {limits.max_seconds_per_input:g} s, the limit"
            " (max_seconds_per_input, --max-seconds): input stopped, nothing of it was kept")


def _timed_document(data: bytes, path: str | None, limits: Limits) -> Document:
    """``_document`` within ``limits.max_seconds_per_input``; past it, a Document
    holding only the error ``input-timeout``. A bug outside the rules of one report
    (decoding, splitting) is an ``internal-error`` of the input, as ``parse`` and
    ``convert`` make it."""
    try:
        with TimeBudget(limits.max_seconds_per_input):
            return _document(data, path, limits)
    except InputTimeout:
        code, message = "input-timeout", timeout_message(limits)
    except Exception as exc:
        code = "internal-error"
        message = display_path(f"reading this input failed ({type(exc).__name__}: {exc}); nothing of it was parsed")
    return failed_document(path, Diagnostic(None, None, "error", code, message, None, path))


def _document(data: bytes, path: str | None, limits: Limits) -> Document:
    sha = hashlib.sha256(data).hexdigest()
    decoded = decode(data, path)
    encoding = None if decoded.encoding == "binary" else decoded.encoding
    if encoding is None or not decoded.text.strip():
        return Document(path, sha, encoding, (), decoded.diagnostics)
    text, cut = decoded.text, []
    if len(text) > limits.max_line_chars:  # only then can a line be too long
        lines = text.split("\n")
        cut = _cut_long_lines(lines, limits.max_line_chars, path)
        text = "\n".join(lines)
        del lines
    tokens = tokenize(text)
    del text
    found = split_reports(tokens)
    chunks = [c for c in found if is_report(c)]
    diagnostics = [*decoded.diagnostics, *cut]
    if not chunks:
        problem = Diagnostic(
            1, 1, "error", "no-report-found",
            "no line of this input looks like a BMA project or KPI report", _first_line(tokens), path,
        )
        return Document(path, sha, encoding, (), (*diagnostics, problem))
    if len(chunks) < len(found):
        diagnostics += _outside_reports([c for c in found if not is_report(c)], path)
    placed = _place(diagnostics, chunks)
    reports: list[Report] = []
    failed: list[Diagnostic] = []
    for chunk, extra in zip(chunks, placed, strict=True):
        try:
            reports.append(build_report(chunk, source_path=path, source_sha256=sha, extra=extra))
        except Exception as exc:  # a parser bug costs neither the file nor a line
            failed += _parser_failure(chunk, extra, exc, path)
    return Document(path, sha, encoding, tuple(reports), tuple(failed))


def _parser_failure(chunk: Sequence[Token], extra: Sequence[Diagnostic], exc: Exception,
                    path: str | None) -> list[Diagnostic]:
    """A report the parser failed on: an ``internal-error``, its own diagnostics, and every
    one of its lines as ``unrecognized-line`` (nothing is lost)."""
    message = display_path(
        f"the parser failed on the report at lines {chunk[0].line}-{chunk[-1].line}"
        f" ({type(exc).__name__}: {exc}); its lines are kept as unrecognized-line"
    )
    return [Diagnostic(chunk[0].line, 1, "error", "internal-error", message, None, path),
            *extra, *_outside_reports([chunk], path, "in a report the parser failed on")]


def _cut_long_lines(lines: list[str], limit: int, path: str | None) -> list[Diagnostic]:
    """Cut every line longer than ``limit`` characters in place; a warning for each."""
    problems = []
    for i, line in enumerate(lines):
        if len(line) > limit:
            dropped = len(line) - limit
            message = (f"line is {len(line):,} characters long; cut to the limit of {limit:,}"
                       f" (max_line_chars, --max-line-length): {dropped:,} characters dropped")
            problems.append(Diagnostic(i + 1, limit + 1, "warning", "line-too-long", message,
                                       line[:80], path))
            lines[i] = line[:limit]
    return problems


def _outside_reports(chunks: Sequence[Sequence[Token]], path: str | None,
                     where: str = "not part of any report") -> list[Diagnostic]:
    """Lines that belong to no report (text before the first one): never dropped."""
    return [unrecognized_line(t, where, path)
            for chunk in chunks for t in chunk if t.kind is not Kind.BLANK]


def _first_line(tokens: Sequence[Token]) -> str | None:
    return next((t.text[:80] for t in tokens if t.kind is not Kind.BLANK), None)


def _place(diagnostics: Sequence[Diagnostic], chunks: Sequence[Sequence[Token]]) -> list[list[Diagnostic]]:
    """Give each decode diagnostic to the report whose lines it is on (a diagnostic
    with no line, or before the first report, goes to the first report)."""
    starts = [chunk[0].line for chunk in chunks]  # ascending: a search, not a scan per
    placed: list[list[Diagnostic]] = [[] for _ in chunks]  # diagnostic (that was quadratic)
    for diag in diagnostics:
        index = 0 if diag.line is None else max(bisect.bisect_right(starts, diag.line) - 1, 0)
        placed[index].append(diag)
    return placed


def _finish(document: Document, strict: bool) -> Document:
    if strict:
        problems = [d for d in document.diagnostics if d.severity in STRICT_SEVERITIES]
        if problems:
            raise ParseError(problems)
        for report in document.reports:
            raise_if_problems(report)
    return document


def read(
    source: Source,
    *,
    source_path: str | None = None,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Report]:
    """Stream the reports of one input (see ``load``; ``limits`` as there).

    Problems of the input as a whole (empty, binary, no report in it) have no
    report to ride on: ``read`` yields nothing for such an input; use ``load``
    to see them, or ``strict=True`` to have them raised.
    """
    yield from load(source, source_path=source_path, strict=strict, limits=limits).reports
