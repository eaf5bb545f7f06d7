"""Discovery: command-line inputs in, a sorted list of tasks (one per input text)
out; and reading one task into a Document.

Strategy: discovery only looks at names and at zip central directories; it never
reads or decodes a text. A *task* is a small picklable descriptor (a file path,
or an archive path plus a member name) that a worker turns into bytes itself
with ``read_task_bytes``. The rules it keeps:

- A file named on the command line is read whatever its name, except ``*.zip``,
  which is opened as an archive. Folders are walked recursively for ``*.txt``
  and ``*.zip`` (any case); hidden files and folders (a name starting with
  ``.``) are skipped and counted, and so is every other file.
- Archive members are read in place (never extracted to disk): ``*.txt``
  members only. A nested archive is not followed; it becomes a *note* task that
  yields one ``nested-archive-skipped`` diagnostic. An archive that cannot be
  opened becomes a note task with an ``unreadable-archive`` error.
- ``source_path`` is the path as the user wrote it, joined with the walk
  (``exports/2566/a.txt``), and ``exports/a.zip!dir/b.txt`` inside archives.
  Tasks are deduplicated by real path and sorted by ``source_path``, so the
  order of the inputs on the command line never changes the output. A walk
  resolves each folder's real path once; a file's is that plus its name unless
  the file is a symbolic link (``realpath`` per file cost ~30 us).
- A path that does not exist is a ``UsageError`` raised before any work.
- Reading (``read_document``, in a worker) never raises for a bad input: an
  unreadable file or member, a refused size, a strict-mode rejection all come
  back as a Document holding only file-level diagnostics.
- Reading is bounded by ``Limits`` (``_read``): a text larger than
  ``max_file_bytes`` (a file's size, a member's declared size, or what is
  actually read: never more than the limit plus one byte) is refused with
  ``InputTooLargeError`` (``input-too-large``). A member that declares more than
  ``max_compression_ratio``:1 over 1 MiB, or whose data overlaps another
  member's (the two zip-bomb tricks), is refused with ``ZipBombError``
  (``zip-bomb``) before a byte of it is decompressed. An archive is read only up
  to ``max_archive_members`` members (``too-many-members``); one whose end
  record declares more is not opened at all (zipfile would hold its whole
  directory in memory). The other members of an archive are still read.
- Member names are data only: they become ``source_path`` and nothing is ever
  written, created or opened by a member's name (``../x``, ``/etc/x`` included).
"""

from __future__ import annotations

import hashlib
import itertools
import lzma
import os
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import _read
from ._read import (
    DEFAULT_LIMITS,
    Document,
    InputTooLargeError,
    Limits,
    check_read_size,
    display_path,
    read_file_capped,
    too_large_message,
)
from .errors import ParseError
from .model import Diagnostic

_READ_FAILURES = (
    OSError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, RuntimeError, KeyError,
    NotImplementedError, ValueError, struct.error,
)
"""What reading a file or an archive member raises when the bytes are bad (a damaged
archive, an unsupported compression method, an encrypted member ...)."""

_RATIO_FLOOR = 1024 * 1024
"""Members at most this large (decompressed) are never refused for their ratio."""

ARCHIVE_SEPARATOR = "!"
"""Joins an archive path and a member name in ``source_path``."""


class UsageError(Exception):
    """A problem with how bmaparse was called (exit status 2), e.g. a missing input."""


class ZipBombError(Exception):
    """An archive member that would decompress far beyond its size (ratio, overlap)."""


@dataclass(frozen=True, slots=True)
class Note:
    """A diagnostic that discovery already knows, in place of a text to parse."""

    severity: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: a text file, a text member of an archive, or a note."""

    source_path: str
    """What diagnostics and tables call the input (``a.zip!dir/b.txt`` in archives)."""
    path: str
    """The file on disk (the archive, for members)."""
    member: str | None = None
    """The member name inside the archive at ``path``; None for plain files."""
    note: Note | None = None
    """Set for inputs that are not parsed (nested or unreadable archives)."""


@dataclass(slots=True)
class Discovery:
    """The tasks found under some inputs and what was passed over."""

    tasks: list[Task] = field(default_factory=list)
    """Sorted by ``source_path``."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Files passed over, by reason: ``hidden``, ``not-text``, ``repeated``,
    ``unreadable-folder``."""


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def _is_text_name(name: str) -> bool:
    return name.lower().endswith(".txt")


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def discover(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    exclude: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Discovery:
    """Expand files, folders and ``.zip`` archives into sorted tasks.

    ``exclude`` is a folder never walked into (the output folder); ``limits``
    bounds the members read from one archive. Raises
    ``UsageError`` when an input does not exist, before looking at any other.
    """
    paths = [os.fspath(p) for p in inputs]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise UsageError(f"input not found: {missing[0]}")
    found = Discovery()
    seen: set[str] = set()
    excluded = os.path.realpath(exclude) if exclude is not None else None

    def add_file(path: str, real: str) -> None:
        if real in seen:
            found.skipped["repeated"] += 1
        else:
            seen.add(real)
            if _is_zip_name(path):
                found.tasks.extend(_archive_tasks(path, found.skipped, limits))
            else:
                found.tasks.append(Task(source_path=display_path(path), path=path))

    for path in paths:
        if os.path.isdir(path):
            for file, real in _walk(path, excluded, found.skipped):
                add_file(file, real)
        else:
            add_file(path, os.path.realpath(path))
    found.tasks.sort(key=lambda t: t.source_path)
    return found


def _walk(top: str, excluded: str | None, skipped: Counter[str]) -> Iterable[tuple[str, str]]:
    """(path, real path) of the text and zip files under ``top``."""
    def unreadable(_: OSError) -> None:
        skipped["unreadable-folder"] += 1

    for root, dirs, files in os.walk(top, onerror=unreadable):
        real_root = os.path.realpath(root)
        kept = []
        for name in sorted(dirs):
            full = os.path.join(root, name)
            if _is_hidden(name):
                skipped["hidden"] += 1
            elif excluded is None or os.path.realpath(full) != excluded:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if _is_hidden(name):
                skipped["hidden"] += 1
            elif _is_text_name(name) or _is_zip_name(name):
                path = os.path.join(root, name)
                yield path, (os.path.realpath(path) if os.path.islink(path)
                             else os.path.join(real_root, name))
            else:
                skipped["not-text"] += 1


def _archive_tasks(path: str, skipped: Counter[str], limits: Limits) -> list[Task]:
    shown = display_path(path)
    try:
        declared = _declared_members(path)
        if declared is not None and declared > limits.max_archive_members:
            message = (f"the archive declares {declared:,} members; the limit is"
                       f" {limits.max_archive_members:,} (max_archive_members): archive not read")
            return [Task(source_path=shown, path=path, note=Note("error", "too-many-members", message))]
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except _READ_FAILURES as exc:
        message = display_path(f"cannot open the zip archive: {exc}")
        return [Task(source_path=shown, path=path, note=Note("error", "unreadable-archive", message))]
    tasks = []
    if len(infos) > limits.max_archive_members:
        message = (f"the archive holds {len(infos):,} members; only the first"
                   f" {limits.max_archive_members:,} were read (max_archive_members)")
        tasks.append(Task(source_path=shown, path=path, note=Note("error", "too-many-members", message)))
        infos = infos[: limits.max_archive_members]
    overlapping = _overlapping(infos)
    names: set[str] = set()
    for info in infos:
        name = info.filename
        if info.is_dir() or name in names:
            continue
        names.add(name)
        # "." and ".." are not hidden names: a member "../a.txt" is read (its name is data)
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
        source_path = f"{shown}{ARCHIVE_SEPARATOR}{name}"
        if any(_is_hidden(p) for p in parts):
            skipped["hidden"] += 1
        elif _is_text_name(name) and id(info) in overlapping:
            note = Note("error", "zip-bomb", "member refused: its data overlaps another member's"
                        " (an overlapping-entry zip bomb); not decompressed")
            tasks.append(Task(source_path=source_path, path=path, member=name, note=note))
        elif _is_text_name(name):
            tasks.append(Task(source_path=source_path, path=path, member=name))
        elif _is_zip_name(name):
            note = Note(
                "info",
                "nested-archive-skipped",
                "an archive inside an archive is not read; extract it and convert it on its own",
            )
            tasks.append(Task(source_path=source_path, path=path, member=name, note=note))
        else:
            skipped["not-text"] += 1
    return tasks


def _declared_members(path: str) -> int | None:
    """The member count an archive's end record declares (ZIP64 too), without
    reading its directory; None when there is no end record to read."""
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        start = max(0, size - (22 + 65535 + 20))
        file.seek(start)
        tail = file.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or len(tail) - end < 22:
            return None
        count = int.from_bytes(tail[end + 10 : end + 12], "little")
        locator = end - 20
        if count != 0xFFFF or locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            return count
        file.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
        record = file.read(56)
        if len(record) < 40 or record[:4] != b"PK\x06\x06":
            return count
        return int.from_bytes(record[32:40], "little")


def _overlapping(infos: Sequence[zipfile.ZipInfo]) -> set[int]:
    """ids of the members whose compressed data overlaps another member's local
    header (a legitimate archive never has this; overlapping-entry zip bombs do).
    A local header is at least 30 bytes plus the name; so a member ends no earlier
    than its offset + 30 + its compressed size."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    bad: set[int] = set()
    for here, after in itertools.pairwise(ordered):
        if after.header_offset < here.header_offset + 30 + here.compress_size:
            bad.update((id(here), id(after)))
    return bad


def resolve_limits(limits: Limits | None) -> Limits:
    """``limits``, or the defaults when None."""
    return DEFAULT_LIMITS if limits is None else limits


def check_member(info: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuse a member by what it declares, before decompressing any of it."""
    if info.file_size > limits.max_file_bytes:
        raise InputTooLargeError(too_large_message(info.file_size, limits, "member declares"))
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
        raise ZipBombError(
            f"member refused: it declares {info.compress_size:,} bytes that expand to"
            f" {info.file_size:,} ({ratio:,.0f}:1); more than {limits.max_compression_ratio}:1"
            " on a member over 1 MiB (max_compression_ratio) is taken for a zip bomb"
        )


_open_archives: dict[str, zipfile.ZipFile] = {}
"""Archives a worker keeps open between tasks (a big archive is not re-opened per member)."""


def _archive(path: str) -> zipfile.ZipFile:
    archive = _open_archives.get(path)
    if archive is None:
        while len(_open_archives) >= 4:
            _open_archives.pop(next(iter(_open_archives))).close()
        archive = _open_archives[path] = zipfile.ZipFile(path)
    return archive


def close_archives() -> None:
    """Close the archives ``read_task_bytes`` kept open."""
    while _open_archives:
        _open_archives.popitem()[1].close()


def read_task_bytes(task: Task, limits: Limits | None = None) -> bytes:
    """The bytes of a task's text: the whole file, or the decompressed member.

    Raises ``InputTooLargeError`` past ``limits.max_file_bytes`` (checked against
    the declared size, then by reading at most the limit plus one byte),
    ``ZipBombError`` for a member whose declared ratio is absurd, ``OSError`` or
    ``zipfile.BadZipFile`` (and the like) when the bytes cannot be read.
    """
    limits = resolve_limits(limits)
    if task.member is None:
        return read_file_capped(task.path, limits)
    archive = _archive(task.path)
    info = archive.getinfo(task.member)
    check_member(info, limits)
    with archive.open(info) as member:
        data = member.read(limits.max_file_bytes + 1)
    check_read_size(data, limits)
    return data


# --- reading a task -------------------------------------------------------------------


def task_diagnostic(task: Task, severity: str, code: str, message: str) -> Diagnostic:
    """A diagnostic about a whole task (no line)."""
    return Diagnostic(None, None, severity, code, display_path(message), None, task.source_path)


def _hash_task(task: Task, limits: Limits) -> str:
    """sha256 of a skipped (info note) task's bytes, streamed; "" when they cannot be
    read within the limits (a note never costs a decompression the limits refuse)."""
    digest = hashlib.sha256()
    left = limits.max_file_bytes
    try:
        if task.member is None:
            with open(task.path, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
        else:
            with zipfile.ZipFile(task.path) as archive:
                info = archive.getinfo(task.member)
                check_member(info, limits)
                with archive.open(info) as member:
                    for block in iter(lambda: member.read(1 << 20), b""):
                        left -= len(block)
                        if left < 0:
                            return ""
                        digest.update(block)
    except (*_READ_FAILURES, InputTooLargeError, ZipBombError):
        return ""
    return digest.hexdigest()


def _task_size(task: Task) -> int | None:
    try:
        if task.member is None:
            return os.path.getsize(task.path)
        with zipfile.ZipFile(task.path) as archive:
            return archive.getinfo(task.member).file_size
    except _READ_FAILURES:
        return None


def read_document(
    task: Task, strict: bool, known: frozenset[str], limits: Limits | None = None
) -> tuple[Document | None, str, int | None]:
    """(document, sha256, size) of a task; document None when ``known`` holds its sha256.

    Never raises for a problem of the input: it becomes a file-level diagnostic.
    ``strict`` turns a ``ParseError`` into the input's diagnostics plus a
    ``strict-rejected`` error (no report is kept).
    """
    limits = resolve_limits(limits)
    if task.note is not None:
        sha = _hash_task(task, limits) if task.note.severity == "info" else ""
        if sha and sha in known:
            return None, sha, _task_size(task)
        note = task_diagnostic(task, task.note.severity, task.note.code, task.note.message)
        return Document(task.source_path, sha, None, (), (note,)), sha, _task_size(task)
    try:
        data = read_task_bytes(task, limits)
    except InputTooLargeError as exc:
        problem = task_diagnostic(task, "error", "input-too-large", str(exc))
        return Document(task.source_path, "", None, (), (problem,)), "", _task_size(task)
    except ZipBombError as exc:
        problem = task_diagnostic(task, "error", "zip-bomb", str(exc))
        return Document(task.source_path, "", None, (), (problem,)), "", _task_size(task)
    except _READ_FAILURES as exc:
        code = "unreadable-input" if task.member is None else "unreadable-member"
        problem = task_diagnostic(task, "error", code, f"cannot read input: {exc}")
        return Document(task.source_path, "", None, (), (problem,)), "", _task_size(task)
    if known:
        sha = hashlib.sha256(data).hexdigest()
        if sha in known:
            return None, sha, len(data)
    try:
        document = _read.load(data, source_path=task.source_path, strict=strict, limits=limits)
    except ParseError as exc:
        message = f"--strict: input rejected: {exc}"
        rejected = task_diagnostic(task, "error", "strict-rejected", message)
        sha = hashlib.sha256(data).hexdigest()
        document = Document(task.source_path, sha, None, (), (*exc.diagnostics, rejected))
    return document, document.sha256, len(data)


def severity_counts(document: Document) -> Counter[str]:
    """How many diagnostics of each severity a document and its reports hold."""
    reports = (d for r in document.reports for d in r.diagnostics)
    return Counter(d.severity for d in (*document.diagnostics, *reports))


def load_task(task: Task, *, strict: bool = False, limits: Limits | None = None) -> Document:
    """Read and parse one task; problems reading it become file-level diagnostics."""
    try:
        document, _, _ = read_document(task, strict, frozenset(), limits)
    except Exception as exc:
        problem = task_diagnostic(task, "error", "internal-error", f"{type(exc).__name__}: {exc}")
        return Document(task.source_path, "", None, (), (problem,))
    assert document is not None
    return document


def iter_documents(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    strict: bool = False,
    limits: Limits | None = None,
) -> Iterator[Document]:
    """The Documents of files, folders and ``.zip`` archives, in source-path order.

    Raises ``UsageError`` before reading anything when an input does not exist.
    """
    limits = resolve_limits(limits)
    tasks = discover(inputs, limits=limits).tasks
    try:
        for task in tasks:
            yield load_task(task, strict=strict, limits=limits)
    finally:
        close_archives()
