"""A ``convert`` worker: a chunk of tasks in, their outcomes and tables out.

Strategy: a worker reads its own bytes (``_read_task.read_document``) for each
task of a chunk of consecutive tasks, flattens the whole chunk with one
``tables.to_tables`` call (Arrow's cost is per array, so flattening one document
at a time cost more than parsing it) and gives back the chunk's tables with a
small outcome record per task (``TaskResult``): as they are in this process
(``--jobs 1``), as Arrow IPC streams when a pool worker sends them (``Chunk``
pickles its tables so: they are decoded as they arrive, off the parent's main
thread). A report seen
twice inside a chunk is flattened once. ``process`` never raises: an exception
while converting one input becomes that input's ``internal-error`` row.

What a worker needs to know is one ``WorkerConfig``, passed explicitly:
``process(config, tasks)`` in the parent's own process (``--jobs 1``); in a
pool, ``init_worker`` receives it once (the config holds the sha256 of every
input already converted, too large to send with each chunk) and keeps it for
the life of that worker process, whose chunks then run ``process_in_pool``.
``init_worker`` also makes the pool process bmaparse's own: it ignores Ctrl-C,
closes the output folder's lock, keeps the time budget's alarm handler, freezes
what it inherited out of the garbage collector's sight, and ends when the parent
is gone.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._discover import Task
from ._lock import close_inherited
from ._read import Document, Limits, failed_document, keep_alarm_handler, severity_counts
from ._read_task import internal_error, read_document
from .model import Diagnostic, Report

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """What every task of a run is read with."""

    strict: bool
    known: frozenset[str]
    """sha256 of the inputs already converted (``--incremental``): skipped."""
    limits: Limits


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What a worker sends back for one task."""

    source_path: str
    sha256: str
    size: int | None
    encoding: str | None
    skipped_as: str | None
    """``already-converted`` (incremental), ``nested-archive``, or None."""
    report_keys: tuple[str, ...]
    repeated_in_file: int
    severities: Mapping[str, int]
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """What a worker sends back for a chunk of consecutive tasks."""

    results: tuple[TaskResult, ...]
    """One outcome record per task, in task order."""
    tables: Mapping[str, pa.Table]
    """The rows of every task in the chunk, per table, each report once (a later
    copy inside the chunk is left out)."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (from a pool worker to the parent) with its tables as Arrow IPC
        streams: smaller and quicker than pickling the tables themselves."""
        return _chunk_from_ipc, (self.results, _ipc(self.tables))


def _chunk_from_ipc(results: tuple[TaskResult, ...], encoded: Mapping[str, bytes]) -> Chunk:
    import pyarrow as pa

    return Chunk(results, {name: pa.ipc.open_stream(data).read_all()
                           for name, data in encoded.items()})


# --- a pool's worker process ------------------------------------------------------------

_pool_config: WorkerConfig | None = None
"""This pool worker's config, set once by ``init_worker`` (never in the parent)."""


def init_worker(config: WorkerConfig, parent: int) -> None:
    """Make a pool process a worker of ``parent`` run with ``config``; end it when
    the parent is gone (a killed ``convert`` must not leave workers waiting on its
    queue forever, or spinning in a long parse)."""
    global _pool_config
    _pool_config = config
    # What the worker inherited from the parent (modules, compiled patterns: ~45,000
    # objects) lives as long as it does: out of the collector's sight, a full
    # collection no longer walks it, nor copies its pages (forked, shared until written).
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # SIGTERM ends a worker (the pool's own way to stop a broken pool). It was
    # blocked while the pool forked (``_pool._submit``): a SIGTERM to the process
    # group then never reaches the CLI's handler inherited by a worker not yet set up.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    close_inherited()  # the output folder's lock is the parent's alone
    keep_alarm_handler()  # the per-input time budget's, for good: no swap per input
    if not _killed_with_parent(parent):
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def process_in_pool(tasks: Sequence[Task]) -> Chunk:
    """A pool worker's entry point: ``process`` with the config ``init_worker`` kept."""
    assert _pool_config is not None, "init_worker runs first in every pool worker"
    return process(_pool_config, tasks)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _killed_with_parent(parent: int) -> bool:
    """Linux: have the kernel SIGKILL this worker when the parent dies; True when set.

    The watchdog thread (``_exit_with_parent``, elsewhere) cannot run while a
    long regex match holds the GIL; the kernel's signal needs nothing of the
    worker. It is sent when the thread that forked the worker ends: the thread
    that runs ``convert``, which waits for its pool. The parent may have died
    before the call: then it is gone already, and so is this worker.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):  # no libc with prctl (musl has one; a sandbox may not)
        return False
    if os.getppid() != parent:
        os._exit(1)
    return True


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


# --- a chunk ----------------------------------------------------------------------------


def process(config: WorkerConfig, tasks: Sequence[Task]) -> Chunk:
    """A chunk of tasks in, their outcomes and tables out; never raises."""
    results: list[TaskResult] = []
    documents: list[Document] = []
    in_chunk: set[str] = set()
    for task in tasks:
        result, document = _process_one(config, task)
        results.append(result)
        if document is None:
            continue
        first = tuple(r for r in document.reports if r.report_key not in in_chunk)
        in_chunk.update(result.report_keys)
        if len(first) != len(document.reports):  # a copy of a report earlier in the chunk
            document = dataclasses.replace(document, reports=first)
        documents.append(document)
    return Chunk(tuple(results), _flatten(documents))


def died(task: Task) -> Chunk:
    """The chunk of one input whose worker process died: an ``internal-error`` row."""
    result, document = _failed(task, RuntimeError(
        "a worker process died converting this input (killed, out of memory or crashed)"))
    return Chunk((result,), _flatten([document]))


def _process_one(config: WorkerConfig, task: Task) -> tuple[TaskResult, Document | None]:
    """One task's outcome and document (None when skipped); never raises."""
    try:
        document, sha, size = read_document(task, config.strict, config.known, config.limits)
        if document is None:
            return TaskResult(task.source_path, sha, size, None, "already-converted", (), 0,
                              {}), None
        document, repeated = _unique_reports(document)
        result = TaskResult(
            task.source_path,
            sha,
            size,
            document.encoding,
            "nested-archive" if task.refusal is not None and task.refusal.severity != "error" else None,
            tuple(r.report_key for r in document.reports),
            repeated,
            dict(severity_counts(document)),
        )
        return result, document
    except Exception as exc:
        return _failed(task, exc)


def _unique_reports(document: Document) -> tuple[Document, int]:
    """The document without a second copy of a report inside the same file."""
    first: dict[str, Report] = {}
    for report in document.reports:
        first.setdefault(report.report_key, report)
    repeated = len(document.reports) - len(first)
    if repeated:
        document = dataclasses.replace(document, reports=tuple(first.values()))
    return document, repeated


def _failed(task: Task, exc: Exception) -> tuple[TaskResult, Document]:
    """An exception while converting one input, turned into a diagnostics row."""
    text = f"{type(exc).__name__}: {exc}"
    document = internal_error(task, exc, "internal error: ")
    return TaskResult(task.source_path, "", None, None, None, (), 0, {"error": 1}, text), document


def _flatten(documents: list[Document]) -> dict[str, pa.Table]:
    """The chunk's tables; should flattening the chunk fail, each document alone,
    so that one bad document costs only its own rows (an internal-error row)."""
    from . import tables

    try:
        return tables.to_tables(documents)
    except Exception:
        parts: list[Document] = []
        for document in documents:
            try:
                tables.to_tables([document])
                parts.append(document)
            except Exception as exc:
                parts.append(_unflattened(document.source_path or "", exc))
        return tables.to_tables(parts)


def _unflattened(source_path: str, exc: Exception) -> Document:
    """In place of a document that could not be flattened: an ``internal-error``."""
    message = f"internal error: {type(exc).__name__}: {exc}"
    problem = Diagnostic(None, None, "error", "internal-error", message, None, source_path)
    return failed_document(source_path, problem)


def _ipc(tables: Mapping[str, pa.Table]) -> dict[str, bytes]:
    import pyarrow as pa

    encoded = {}
    for name, table in tables.items():
        stream = pa.BufferOutputStream()
        with pa.ipc.new_stream(stream, table.schema) as writer:
            writer.write_table(table)
        encoded[name] = stream.getvalue().to_pybytes()
    return encoded
