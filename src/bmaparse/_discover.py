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
  order of the inputs on the command line never changes the output.
- A path that does not exist is a ``UsageError`` raised before any work.
- Reading (``read_document``, in a worker) never raises for a bad input: an
  unreadable file or member, a refused size, a strict-mode rejection all come
  back as a Document holding only file-level diagnostics.
- Reading is bounded: a text larger than ``MAX_INPUT_BYTES`` (a declared or
  actual decompressed size, e.g. a zip bomb) is refused with ``InputTooLargeError``.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import _read
from ._read import Document
from .errors import ParseError
from .model import Diagnostic

_READ_FAILURES = (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, KeyError)
"""What reading a file or an archive member raises when the bytes are bad."""

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Largest text (file or decompressed zip member) bmaparse agrees to read."""

ARCHIVE_SEPARATOR = "!"
"""Joins an archive path and a member name in ``source_path``."""


class UsageError(Exception):
    """A problem with how bmaparse was called (exit status 2), e.g. a missing input."""


class InputTooLargeError(Exception):
    """A text is larger than ``MAX_INPUT_BYTES``."""


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


def discover(inputs: Sequence[str | os.PathLike[str]], *, exclude: Path | None = None) -> Discovery:
    """Expand files, folders and ``.zip`` archives into sorted tasks.

    ``exclude`` is a folder never walked into (the output folder). Raises
    ``UsageError`` when an input does not exist, before looking at any other.
    """
    paths = [os.fspath(p) for p in inputs]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise UsageError(f"input not found: {missing[0]}")
    found = Discovery()
    seen: set[str] = set()
    excluded = os.path.realpath(exclude) if exclude is not None else None

    def add_file(path: str) -> None:
        real = os.path.realpath(path)
        if real in seen:
            found.skipped["repeated"] += 1
        else:
            seen.add(real)
            if _is_zip_name(path):
                found.tasks.extend(_archive_tasks(path, found.skipped))
            else:
                found.tasks.append(Task(source_path=path, path=path))

    for path in paths:
        if os.path.isdir(path):
            for file in _walk(path, excluded, found.skipped):
                add_file(file)
        else:
            add_file(path)
    found.tasks.sort(key=lambda t: t.source_path)
    return found


def _walk(top: str, excluded: str | None, skipped: Counter[str]) -> Iterable[str]:
    def unreadable(_: OSError) -> None:
        skipped["unreadable-folder"] += 1

    for root, dirs, files in os.walk(top, onerror=unreadable):
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
                yield os.path.join(root, name)
            else:
                skipped["not-text"] += 1


def _archive_tasks(path: str, skipped: Counter[str]) -> list[Task]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        note = Note("error", "unreadable-archive", f"cannot open the zip archive: {exc}")
        return [Task(source_path=path, path=path, note=note)]
    tasks = []
    names: set[str] = set()
    for info in infos:
        name = info.filename
        if info.is_dir() or name in names:
            continue
        names.add(name)
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        source_path = f"{path}{ARCHIVE_SEPARATOR}{name}"
        if any(_is_hidden(p) for p in parts):
            skipped["hidden"] += 1
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


def read_task_bytes(task: Task) -> bytes:
    """The bytes of a task's text: the whole file, or the decompressed member.

    Raises ``InputTooLargeError`` past ``MAX_INPUT_BYTES`` (checked against the
    declared size, then while reading), ``OSError`` or ``zipfile.BadZipFile``
    when the bytes cannot be read.
    """
    if task.member is None:
        with open(task.path, "rb") as file:
            data = file.read(MAX_INPUT_BYTES + 1)
    else:
        archive = _archive(task.path)
        info = archive.getinfo(task.member)
        if info.file_size > MAX_INPUT_BYTES:
            raise InputTooLargeError(
                f"member declares {info.file_size} bytes decompressed;"
                f" the limit is {MAX_INPUT_BYTES}"
            )
        with archive.open(info) as member:
            data = member.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputTooLargeError(f"input is larger than the limit of {MAX_INPUT_BYTES} bytes")
    return data


# --- reading a task -------------------------------------------------------------------


def task_diagnostic(task: Task, severity: str, code: str, message: str) -> Diagnostic:
    """A diagnostic about a whole task (no line)."""
    return Diagnostic(None, None, severity, code, message, None, task.source_path)


def _hash_task(task: Task) -> str:
    """sha256 of a task's bytes, streamed (for inputs that are not parsed)."""
    digest = hashlib.sha256()
    try:
        if task.member is None:
            with open(task.path, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
        else:
            with zipfile.ZipFile(task.path) as archive, archive.open(task.member) as member:
                for block in iter(lambda: member.read(1 << 20), b""):
                    digest.update(block)
    except (*_READ_FAILURES, ValueError):
        return ""
    return digest.hexdigest()


def _task_size(task: Task) -> int | None:
    try:
        if task.member is None:
            return os.path.getsize(task.path)
        with zipfile.ZipFile(task.path) as archive:
            return archive.getinfo(task.member).file_size
    except (*_READ_FAILURES, ValueError):
        return None


def read_document(
    task: Task, strict: bool, known: frozenset[str]
) -> tuple[Document | None, str, int | None]:
    """(document, sha256, size) of a task; document None when ``known`` holds its sha256.

    Never raises for a problem of the input: it becomes a file-level diagnostic.
    ``strict`` turns a ``ParseError`` into the input's diagnostics plus a
    ``strict-rejected`` error (no report is kept).
    """
    if task.note is not None:
        sha = _hash_task(task)
        if sha and sha in known:
            return None, sha, _task_size(task)
        note = task_diagnostic(task, task.note.severity, task.note.code, task.note.message)
        return Document(task.source_path, sha, None, (), (note,)), sha, _task_size(task)
    try:
        data = read_task_bytes(task)
    except InputTooLargeError as exc:
        problem = task_diagnostic(task, "error", "input-too-large", f"input refused: {exc}")
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
        document = _read.load(data, source_path=task.source_path, strict=strict)
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


def load_task(task: Task, *, strict: bool = False) -> Document:
    """Read and parse one task; problems reading it become file-level diagnostics."""
    try:
        document, _, _ = read_document(task, strict, frozenset())
    except Exception as exc:
        problem = task_diagnostic(task, "error", "internal-error", f"{type(exc).__name__}: {exc}")
        return Document(task.source_path, "", None, (), (problem,))
    assert document is not None
    return document


def iter_documents(
    inputs: Sequence[str | os.PathLike[str]], *, strict: bool = False
) -> Iterator[Document]:
    """The Documents of files, folders and ``.zip`` archives, in source-path order.

    Raises ``UsageError`` before reading anything when an input does not exist.
    """
    tasks = discover(inputs).tasks
    try:
        for task in tasks:
            yield load_task(task, strict=strict)
    finally:
        close_archives()
