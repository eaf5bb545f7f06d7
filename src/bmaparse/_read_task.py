"""Reading a task (``_discover.Task``) into a Document: a worker's side of an input.

Strategy: a task says where its bytes are; reading turns them into a Document
with ``_read.load`` and never raises for a bad input: an unreadable file or
member, a refused size, a strict-mode rejection all come back as a Document
holding only file-level diagnostics (``_read.failed_document``). The rules:

- Reading is bounded by ``Limits`` (``_read``): a text larger than
  ``max_file_bytes`` (a file's size, a member's declared size, or what is
  actually read: never more than the limit plus one byte) is refused with
  ``InputTooLargeError`` (``input-too-large``). A member that declares more than
  ``max_compression_ratio``:1 over 1 MiB is refused with ``ZipBombError``
  (``zip-bomb``) before a byte of it is decompressed.
- A member is read by seeking to its ``Entry`` in its archive; a worker keeps
  the last few archives open between tasks (``close_archives`` closes them).
- A refusal task (``_discover.Refusal``) is its diagnostic; an ``info`` refusal (a nested
  archive) is still hashed, so ``--incremental`` can tell it was seen.
- With ``known`` sha256s (``--incremental``) an input already converted is not
  parsed: ``read_document`` gives no Document for it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from . import _read
from ._archive import Entry, open_member
from ._discover import READ_FAILURES, Task, discover
from ._read import (
    DEFAULT_LIMITS,
    Document,
    Limits,
    check_read_size,
    display_path,
    failed_document,
    open_regular,
    read_file_capped,
    too_large_message,
)
from .errors import InputTooLargeError, ParseError, ZipBombError
from .model import Diagnostic, Severity

_RATIO_FLOOR = 1024 * 1024
"""Members at most this large (decompressed) are never refused for their ratio."""


def resolve_limits(limits: Limits | None) -> Limits:
    """``limits``, or the defaults when None."""
    return DEFAULT_LIMITS if limits is None else limits


def check_member(entry: Entry, limits: Limits) -> None:
    """Refuse a member by what it declares, before decompressing any of it."""
    if entry.file_size > limits.max_file_bytes:
        raise InputTooLargeError(too_large_message(entry.file_size, limits, "member declares"))
    ratio = entry.file_size / max(entry.compress_size, 1)
    if entry.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
        raise ZipBombError(
            f"member refused: it declares {entry.compress_size:,} bytes that expand to"
            f" {entry.file_size:,} ({ratio:,.0f}:1); more than {limits.max_compression_ratio}:1"
            " on a member over 1 MiB (max_compression_ratio) is taken for a zip bomb"
        )


_open_archives: dict[str, BinaryIO] = {}
"""Archive files a worker keeps open between tasks (a member's task seeks in them)."""


def _archive(path: str) -> BinaryIO:
    archive = _open_archives.get(path)
    if archive is None:
        while len(_open_archives) >= 4:
            _open_archives.pop(next(iter(_open_archives))).close()
        archive = _open_archives[path] = open_regular(path)
    return archive


def close_archives() -> None:
    """Close the archives ``read_task_bytes`` kept open."""
    while _open_archives:
        _open_archives.popitem()[1].close()


def _open_member(task: Task, limits: Limits) -> zipfile.ZipExtFile:
    """A reader of a member task's decompressed bytes, refused first by what the
    member declares (``check_member``)."""
    assert task.member is not None and task.entry is not None
    check_member(task.entry, limits)
    return open_member(_archive(task.path), task.member, task.entry)


def read_task_bytes(task: Task, limits: Limits | None = None) -> bytes:
    """The bytes of a task's text: the whole file, or the decompressed member.

    Raises ``InputTooLargeError`` past ``limits.max_file_bytes`` (checked against
    the declared size, then by reading at most the limit plus one byte),
    ``ZipBombError`` for a member whose declared ratio is absurd, ``OSError`` or
    ``zipfile.BadZipFile`` (and the like) when the bytes cannot be read.
    """
    limits = resolve_limits(limits)
    if task.entry is None:
        return read_file_capped(task.path, limits)
    with _open_member(task, limits) as member:
        data = member.read(limits.max_file_bytes + 1)
    check_read_size(data, limits)
    return data


def task_diagnostic(task: Task, severity: Severity, code: str, message: str) -> Diagnostic:
    """A diagnostic about a whole task (no line)."""
    return Diagnostic(None, None, severity, code, display_path(message), None, task.source_path)


def _hash_task(task: Task, limits: Limits) -> str:
    """sha256 of a skipped (info refusal) task's bytes, streamed; "" when they cannot be
    read within the limits (a refusal never costs a decompression the limits refuse)."""
    digest = hashlib.sha256()
    left = limits.max_file_bytes
    try:
        with (open_regular(task.path) if task.entry is None else _open_member(task, limits)) as data:
            for block in iter(lambda: data.read(1 << 20), b""):
                left -= len(block)
                if left < 0:
                    return ""
                digest.update(block)
    except (*READ_FAILURES, InputTooLargeError, ZipBombError):
        return ""
    return digest.hexdigest()


def _task_size(task: Task) -> int | None:
    """The declared size of a member; the size of a regular file; else None."""
    if task.entry is not None:
        return task.entry.file_size
    try:
        info = os.stat(task.path)
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def read_document(
    task: Task, strict: bool, known: frozenset[str], limits: Limits | None = None
) -> tuple[Document | None, str, int | None]:
    """(document, sha256, size) of a task; document None when ``known`` holds its sha256.

    Never raises for a problem of the input: it becomes a file-level diagnostic.
    ``strict`` turns a ``ParseError`` into the input's diagnostics plus a
    ``strict-rejected`` error (no report is kept).
    """
    limits = resolve_limits(limits)
    if task.refusal is not None:
        sha = _hash_task(task, limits) if task.refusal.severity == "info" else ""
        if sha and sha in known:
            return None, sha, _task_size(task)
        refused = task_diagnostic(task, task.refusal.severity, task.refusal.code, task.refusal.message)
        return failed_document(task.source_path, refused, sha256=sha), sha, _task_size(task)
    try:
        data = read_task_bytes(task, limits)
    except (InputTooLargeError, ZipBombError, *READ_FAILURES) as exc:
        problem = _read_failure(task, exc)
        return failed_document(task.source_path, problem), "", _task_size(task)
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
        document = failed_document(task.source_path, *exc.diagnostics, rejected, sha256=sha)
    return document, document.sha256, len(data)


def _read_failure(task: Task, exc: Exception) -> Diagnostic:
    """The diagnostic of a task whose bytes could not be read, or were refused."""
    if isinstance(exc, InputTooLargeError):
        return task_diagnostic(task, "error", "input-too-large", str(exc))
    if isinstance(exc, ZipBombError):
        return task_diagnostic(task, "error", "zip-bomb", str(exc))
    code = "unreadable-input" if task.member is None else "unreadable-member"
    return task_diagnostic(task, "error", code, f"cannot read input: {exc}")


def internal_error(task: Task, exc: BaseException, prefix: str = "") -> Document:
    """The Document of a task whose reading or parsing raised: an ``internal-error``."""
    message = f"{prefix}{type(exc).__name__}: {exc}"
    return failed_document(task.source_path,
                           task_diagnostic(task, "error", "internal-error", message))


def load_task(task: Task, *, strict: bool = False, limits: Limits | None = None) -> Document:
    """Read and parse one task; problems reading it become file-level diagnostics."""
    try:
        document, _, _ = read_document(task, strict, frozenset(), limits)
    except Exception as exc:
        return internal_error(task, exc)
    assert document is not None
    return document


def iter_documents(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    strict: bool = False,
    limits: Limits | None = None,
    follow_links: bool = False,
) -> Iterator[Document]:
    """The Documents of files, folders and ``.zip`` archives, in source-path order.

    ``follow_links`` follows symbolic links whose target is outside every input
    (see ``discover``). Raises ``UsageError`` before reading anything when an
    input does not exist.
    """
    limits = resolve_limits(limits)
    tasks = discover(inputs, limits=limits, follow_links=follow_links).tasks
    try:
        for task in tasks:
            yield load_task(task, strict=strict, limits=limits)
    finally:
        close_archives()
