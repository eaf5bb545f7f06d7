"""convert: many inputs in, one dataset per table (and a manifest) out.

Strategy: the parent discovers tasks (``_discover``), sorts them by source
path, and hands them to worker processes in chunks of consecutive tasks; a
worker reads its own bytes, calls ``load`` for each task, flattens the whole
chunk with one ``tables.to_tables`` call (Arrow's cost is per array, so
flattening one document at a time cost more than parsing it) and sends back
the chunk's tables as Arrow IPC bytes with a small outcome record per task. A
report seen twice inside a chunk is flattened once. Chunks are taken back in
task order (a window of futures), so the rows written do not depend on the
number of workers; a worker that dies costs only the input that killed it.
The parent:

- takes the output folder's lock (``_lock``: one writer at a time) and first
  finishes or undoes whatever a stopped run left there (``_commit.recover``);
- takes results in order (``_collect``: drops the rows of reports written by an
  earlier chunk or run, buffers rows up to a bound and writes them through a
  writers ``Sink``, feeds the ``projects`` builder; flat memory: no archive is
  ever held whole, and at most a window of results is in flight, because the
  task feed waits for the parent to take results);
- writes every table, then ``projects``, then ``manifest.json`` into one staging
  folder, and commits them together (``_commit.Staging.commit``: a journal,
  then renames), so the folder is always one run's state or the next's.

Nothing an input holds can stop the batch: unreadable bytes, a zip bomb, a
parser exception all become diagnostics rows (``report_key`` null) and the
outcome ``error``. ``--incremental`` skips inputs whose sha256 the manifest
already lists, appends to the previous output and merges the manifest.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._collect import ConvertSummary, _Collector, _KeySet, file_signature
from ._commit import JOURNAL_NAME, recover
from ._discover import (
    Discovery,
    Task,
    UsageError,
    close_archives,
    discover,
    iter_documents,
    load_task,
    read_document,
    resolve_limits,
    severity_counts,
    task_diagnostic,
)
from ._lock import OutputLock, close_inherited
from ._manifest import (
    MANIFEST_NAME,
    EntryLog,
    check_output,
    clean_manifest_temporaries,
    mark_output,
    read_manifest,
    read_manifest_head,
    relative_path,
    stale_outputs,
    utc_now,
    write_run_manifest,
)
from ._read import Document, Limits, keep_alarm_handler
from .errors import OutputError
from .model import SCHEMA_VERSION, Diagnostic, Report

if TYPE_CHECKING:
    import pyarrow as pa

    from . import tables

__all__ = (
    "FORMATS", "ConvertSummary", "Limits", "UsageError", "convert", "iter_documents", "load_task",
)


FORMATS = ("parquet", "csv", "jsonl", "duckdb")
"""Output formats ``convert`` writes (the writers package's names)."""

# --- worker side ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Result:
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
class _Chunk:
    """What a worker sends back for a chunk of consecutive tasks."""

    results: tuple[_Result, ...]
    """One outcome record per task, in task order."""
    tables: Mapping[str, bytes]
    """Arrow IPC stream per table: the rows of every task in the chunk, each
    report once (a later copy inside the chunk is left out)."""


_worker_strict = False
_worker_known: frozenset[str] = frozenset()
_worker_limits: Limits | None = None


def _init_worker(
    strict: bool, known: frozenset[str], limits: Limits | None, parent: int | None = None
) -> None:
    """Set a worker's options; in a pool worker, also end when the parent is gone
    (a killed ``convert`` must not leave workers waiting on its queue forever, or
    spinning in a long parse)."""
    global _worker_strict, _worker_known, _worker_limits
    _worker_strict, _worker_known, _worker_limits = strict, known, limits
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        # SIGTERM ends a worker (the pool's own way to stop a broken pool). It was
        # blocked while the pool forked (``_submit``): a SIGTERM to the process group
        # then never reaches the CLI's handler inherited by a worker not yet set up.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        close_inherited()  # the output folder's lock is the parent's alone
        keep_alarm_handler()  # the per-input time budget's, for good: no swap per input
        if not _killed_with_parent(parent):
            threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


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


def _ipc(tables: Mapping[str, pa.Table]) -> dict[str, bytes]:
    import pyarrow as pa

    encoded = {}
    for name, table in tables.items():
        stream = pa.BufferOutputStream()
        with pa.ipc.new_stream(stream, table.schema) as writer:
            writer.write_table(table)
        encoded[name] = stream.getvalue().to_pybytes()
    return encoded


def _unique_reports(document: Document) -> tuple[Document, int]:
    """The document without a second copy of a report inside the same file."""
    first: dict[str, Report] = {}
    for report in document.reports:
        first.setdefault(report.report_key, report)
    repeated = len(document.reports) - len(first)
    if repeated:
        document = dataclasses.replace(document, reports=tuple(first.values()))
    return document, repeated


def _process(tasks: Sequence[Task]) -> _Chunk:
    """Worker entry point: a chunk of tasks in, their outcomes and tables out; never raises."""
    results: list[_Result] = []
    documents: list[Document] = []
    in_chunk: set[str] = set()
    for task in tasks:
        result, document = _process_one(task)
        results.append(result)
        if document is None:
            continue
        first = tuple(r for r in document.reports if r.report_key not in in_chunk)
        in_chunk.update(result.report_keys)
        if len(first) != len(document.reports):  # a copy of a report earlier in the chunk
            document = dataclasses.replace(document, reports=first)
        documents.append(document)
    return _Chunk(tuple(results), _flatten(documents))


def _process_one(task: Task) -> tuple[_Result, Document | None]:
    """One task's outcome and document (None when skipped); never raises."""
    try:
        document, sha, size = read_document(task, _worker_strict, _worker_known, _worker_limits)
        if document is None:
            return _Result(task.source_path, sha, size, None, "already-converted", (), 0, {}), None
        document, repeated = _unique_reports(document)
        result = _Result(
            task.source_path,
            sha,
            size,
            document.encoding,
            "nested-archive" if task.note is not None and task.note.severity != "error" else None,
            tuple(r.report_key for r in document.reports),
            repeated,
            dict(severity_counts(document)),
        )
        return result, document
    except Exception as exc:
        return _failed(task, exc)


def _flatten(documents: list[Document]) -> dict[str, bytes]:
    """The chunk's tables; should flattening the chunk fail, each document alone,
    so that one bad document costs only its own rows (an internal-error row)."""
    from . import tables

    try:
        return _ipc(tables.to_tables(documents))
    except Exception:
        parts: list[Document] = []
        for document in documents:
            try:
                tables.to_tables([document])
                parts.append(document)
            except Exception as exc:
                parts.append(_failure_document(document.source_path or "", exc))
        return _ipc(tables.to_tables(parts))


def _failure_document(source_path: str, exc: Exception, task: Task | None = None) -> Document:
    text = f"{type(exc).__name__}: {exc}"
    problem = (task_diagnostic(task, "error", "internal-error", f"internal error: {text}")
               if task is not None else
               Diagnostic(None, None, "error", "internal-error", f"internal error: {text}",
                          None, source_path))
    return Document(source_path, "", None, (), (problem,))


def _failed(task: Task, exc: Exception) -> tuple[_Result, Document]:
    """An exception while converting one input, turned into a diagnostics row."""
    text = f"{type(exc).__name__}: {exc}"
    document = _failure_document(task.source_path, exc, task)
    return _Result(task.source_path, "", None, None, None, (), 0, {"error": 1}, text), document


_Chunks = Generator["_Chunk", None, None]
_CHUNK_TASKS = 64
"""Tasks per chunk at most (fewer when there are few tasks per worker)."""


def _chunks(tasks: Sequence[Task], jobs: int) -> list[Sequence[Task]]:
    """Consecutive tasks in chunks: large enough to flatten cheaply, small enough
    that every worker gets several."""
    size = max(1, min(_CHUNK_TASKS, len(tasks) // (jobs * 4)))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def _in_process(
    tasks: Sequence[Task], strict: bool, known: frozenset[str], limits: Limits
) -> _Chunks:
    saved = (_worker_strict, _worker_known, _worker_limits)
    _init_worker(strict, known, limits)
    try:
        for chunk in _chunks(tasks, 1):
            yield _process(chunk)
    finally:
        _init_worker(*saved)
        close_archives()


def _pooled(
    tasks: Sequence[Task], jobs: int, strict: bool, known: frozenset[str], limits: Limits
) -> _Chunks:
    """Chunks through a process pool, in order, at most a window of them in flight.

    A worker that dies (killed, out of memory, a crash in a C extension) breaks the
    pool instead of hanging it; the chunks in flight then run again, each on a pool
    of its own, and the one that kills its worker again is run input by input, so
    only the input that kills a worker is lost (an ``internal-error`` row)."""
    waiting = collections.deque(_chunks(tasks, jobs))
    in_flight: collections.deque[tuple[Sequence[Task], Future[_Chunk]]] = collections.deque()
    options = (strict, known, limits)
    executor = _executor(jobs, options)
    stopped = False
    try:
        while waiting or in_flight:
            while waiting and len(in_flight) < jobs * 4:
                chunk = waiting.popleft()
                in_flight.append((chunk, _submit(executor, chunk)))
            try:
                result = in_flight[0][1].result()
            except BrokenProcessPool:
                executor.shutdown(wait=True, cancel_futures=True)
                for chunk, _ in in_flight:
                    yield from _isolated(chunk, options)
                in_flight.clear()
                executor = _executor(jobs, options)
                continue
            in_flight.popleft()
            yield result
    except BaseException:  # interrupted: do not wait on workers that may be gone
        stopped = True
        _stop(executor)
        raise
    finally:
        if not stopped:
            executor.shutdown(wait=True, cancel_futures=True)


def _submit(executor: ProcessPoolExecutor, chunk: Sequence[Task]) -> Future[_Chunk]:
    """``executor.submit``, with SIGTERM blocked while it may fork a worker (the new
    worker ignores it before unblocking; the parent gets a pending one right after)."""
    if not hasattr(signal, "pthread_sigmask"):
        return executor.submit(_process, chunk)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        return executor.submit(_process, chunk)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _stop(executor: ProcessPoolExecutor) -> None:
    """End an interrupted pool now: cancel what waits, terminate the workers (they
    ignore SIGINT) and reap them, so that the shutdown cannot wait forever on a
    worker that died mid-result (a SIGTERM sent to the whole process group). (``_processes`` is the executor's own
    table of its workers: the standard library gives no public way to end them.)"""
    workers = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.terminate()
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.join(5)


_Options = tuple[bool, frozenset[str], Limits]


def _executor(jobs: int, options: _Options) -> ProcessPoolExecutor:
    _load_what_workers_load()
    return ProcessPoolExecutor(jobs, multiprocessing.get_context(), _init_worker,
                               (*options, os.getpid()))


def _load_what_workers_load() -> None:
    """Import in the parent what every worker imports for its first table: pyarrow
    loads pandas (~0.17 s) the first time it builds an array from a list. Forked
    workers then share it instead of each loading it again."""
    import pyarrow as pa

    pa.array([0])


def _isolated(chunk: Sequence[Task], options: _Options) -> _Chunks:
    """``chunk`` on a pool of its own; if that worker dies too, input by input, and
    an input that kills its worker becomes an internal-error row."""
    with _executor(1, options) as executor:
        try:
            yield executor.submit(_process, chunk).result()
            return
        except BrokenProcessPool:
            pass
    if len(chunk) > 1:
        for task in chunk:
            yield from _isolated([task], options)
        return
    result, document = _failed(chunk[0], RuntimeError(
        "a worker process died converting this input (killed, out of memory or crashed)"))
    yield _Chunk((result,), _flatten([document]))


# --- parent side ----------------------------------------------------------------------


def _check_options(fmt: str, jobs: int | None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    return jobs or os.cpu_count() or 1


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="file", file=sys.stderr, disable=not enabled, leave=False,
                dynamic_ncols=True)


def convert(
    inputs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    fmt: str = "parquet",
    jobs: int | None = None,
    strict: bool = False,
    incremental: bool = False,
    force: bool = False,
    progress: bool | Callable[[dict[str, Any]], None] = False,
    limits: Limits | None = None,
    follow_links: bool = False,
) -> ConvertSummary:
    """Convert files, folders and ``.zip`` archives into one dataset per table in ``out``.

    ``fmt`` is ``parquet``, ``csv``, ``jsonl`` or ``duckdb``; ``jobs`` worker
    processes (default: one per CPU; 1 runs in this process). ``strict``
    rejects an input with any warning or error (only its diagnostics are
    written). ``incremental`` skips inputs the manifest in ``out`` already
    lists (by sha256) and appends the rest. ``force`` writes into a non-empty
    folder bmaparse did not write. ``progress``: True shows a progress bar on
    stderr; a callable is called with each input's manifest entry. ``limits``
    bounds each input (``bmaparse.Limits``: file size, line length, archive
    members, compression ratio; default ``Limits()``); an input past a bound is
    a diagnostic, never the end of the run. Nothing is written outside ``out``.
    ``follow_links`` follows symbolic links whose target is outside every input
    (by default they are skipped and counted in the manifest's ``skipped_files``).

    The run is one transaction: every table, ``projects`` and the manifest
    become visible together, and whatever stops the run leaves ``out`` as the
    previous run left it (see ``writers._atomic``). One run at a time writes a
    folder (``_lock``).

    Raises ``UsageError`` (a missing input, a bad option, a folder that is not
    ours) before writing anything; ``OutputBusyError`` when another process is
    writing ``out`` (nothing touched); ``OutputError`` when the output could not
    be written (``out`` keeps its previous state). Returns the summary;
    ``exit_code`` is 1 when some input had errors.
    """
    started, started_at = time.monotonic(), utc_now()
    used_jobs = _check_options(fmt, jobs)
    limits = resolve_limits(limits)
    out_dir = Path(out)
    found = discover(inputs, exclude=out_dir, limits=limits, follow_links=follow_links)
    check_output(out_dir, force=force)
    out_dir.mkdir(parents=True, exist_ok=True)
    with OutputLock(out_dir, "convert"):
        recover(out_dir)  # the previous run's state, whole, before it is read
        clean_manifest_temporaries(out_dir)
        mark_output(out_dir)
        run = _Run(out_dir, fmt, used_jobs, strict, incremental, progress, limits)
        return run.convert(found, started, started_at)


class _Run:
    """One ``convert`` run into a locked, recovered output folder."""

    def __init__(self, out: Path, fmt: str, jobs: int, strict: bool, incremental: bool,
                 progress: bool | Callable[[dict[str, Any]], None], limits: Limits) -> None:
        self.out, self.fmt, self.jobs, self.strict = out, fmt, jobs, strict
        self.progress, self.limits = progress, limits
        self.old_manifest = read_manifest(out) if incremental else read_manifest_head(out)
        self.previous = self.old_manifest if incremental else None
        if self.previous is not None:
            _check_appendable(self.previous, out, fmt)
        self.entries: EntryLog | None = None

    def convert(self, found: Discovery, started: float, started_at: str) -> ConvertSummary:
        from . import tables, writers

        staging = writers.Staging(self.out)
        try:
            with _output_errors(self.out):
                summary = self._write(found, staging, started)
                path = staging.path(MANIFEST_NAME)
                summary.seconds = time.monotonic() - started
                assert self.entries is not None
                write_run_manifest(
                    path, self.entries, run=summary.as_dict(), skipped_files=found.skipped,
                    previous=self.previous, strict=self.strict, started_at=started_at,
                    limits=self.limits.as_dict())
                staging.stage([MANIFEST_NAME])
                old_files = (self.old_manifest or {}).get("files", {})
                remove = stale_outputs(self.out, old_files, summary.files,
                                       writers.output_names(tables.SCHEMAS))
                if (self.out / writers.DATABASE_WAL).exists():  # the old database's
                    remove.append(writers.DATABASE_WAL)
                staging.commit(last=[MANIFEST_NAME], remove=remove)
        except BaseException:
            staging.discard()  # kept when the commit is decided: finished now, or by recover()
            if staging.decided:
                with contextlib.suppress(Exception):
                    recover(self.out)
            raise
        finally:
            if self.entries is not None:
                self.entries.close()
        summary.manifest = str(self.out / MANIFEST_NAME)
        return summary

    def _write(self, found: Discovery, staging: Any, started: float) -> ConvertSummary:
        """Every table and ``projects`` into ``staging``; the summary (files, rows)."""
        from . import tables, writers

        self.entries = EntryLog(staging.dir)
        known = frozenset(
            e["sha256"] for e in (self.previous or {}).get("inputs", ()) if e.get("sha256"))
        projects = tables.ProjectsBuilder()
        written = _KeySet()
        if self.previous is not None:
            written = _existing_reports(writers, tables, self.fmt, self.out, projects,
                                        self.previous)
        tasks, unchanged = _unchanged_failures(found.tasks, self.previous)
        jobs = min(self.jobs, max(1, len(tasks)))
        summary = ConvertSummary(self.out, self.fmt, jobs)
        summary.inputs = summary.skipped = unchanged
        schemas = {name: tables.SCHEMAS[name] for name in tables.TABLES}
        sink = writers.open_sink(self.fmt, self.out, schemas, append=self.previous is not None,
                                 staging=staging)
        collector = _Collector(sink, summary, written, self.entries, projects, tasks)
        try:
            self._collect(collector, tasks, known, started)
            collector.flush()
            files = dict(sink.close())
        except BaseException:
            sink.abort()
            raise
        # A task and a key per input were the run's to keep; free them before the
        # last step that needs memory, writing projects.
        found.tasks.clear()
        del tasks
        collector.written = _KeySet()
        collector.tasks = []
        project_files, collector.rows["projects"] = _write_projects(
            writers, tables, self.fmt, self.out, projects, staging)
        files.update(project_files)
        summary.rows = {name: collector.rows.get(name, 0) for name in tables.SCHEMAS}
        summary.files = {name: relative_path(self.out, path) for name, path in files.items()}
        return summary

    def _collect(self, collector: _Collector, tasks: Sequence[Task], known: frozenset[str],
                 started: float) -> None:
        """Run every task (in this process or a pool) and hand each chunk to ``collector``."""
        summary, progress = collector.summary, self.progress
        bar = None  # made after the pool: no tqdm thread in the process when workers fork
        results: _Chunks = (
            _in_process(tasks, self.strict, known, self.limits) if summary.jobs == 1
            else _pooled(tasks, summary.jobs, self.strict, known, self.limits))
        try:
            for chunk in results:
                entries = collector.take(chunk)
                if callable(progress):
                    for entry in entries:
                        progress(entry)
                bar = bar or _progress_bar(len(tasks), progress is True)
                rate = summary.reports / max(time.monotonic() - started, 1e-9)
                bar.set_postfix_str(f"{summary.reports} reports, {rate:.0f} reports/s,"
                                    f" {summary.errors} errors", refresh=False)
                bar.update(len(entries))
        except BaseException:
            with contextlib.suppress(Exception):
                results.close()
            raise
        finally:
            if bar is not None:
                bar.close()


@contextlib.contextmanager
def _output_errors(out: Path) -> Generator[None, None, None]:
    """An ``OSError`` while writing the output (a full disk, a folder made read-only)
    as an ``OutputError`` that says what became of ``out``."""
    try:
        yield
    except OSError as exc:
        journal = (out / JOURNAL_NAME).exists()
        state = ("the run's commit was interrupted; the next bmaparse command on it (for"
                 f" example `bmaparse verify {out}`) finishes it" if journal else
                 "it keeps the previous run's tables and manifest")
        raise OutputError(f"could not write the output folder {out}: {exc}; {state}") from exc


def _unchanged_failures(
    tasks: list[Task], previous: Mapping[str, Any] | None
) -> tuple[list[Task], int]:
    """An incremental run's tasks without the inputs that failed before without a
    sha256 (too large, unreadable) and have not changed since (same ``file_signature``):
    reading them again would only append the same diagnostics again. Their manifest
    entries stay as they were. (tasks, how many were left out)."""
    if previous is None:
        return tasks, 0
    failed = {e["path"]: e["file_signature"] for e in previous.get("inputs", ())
              if not e.get("sha256") and e.get("file_signature")}
    if not failed:
        return tasks, 0
    kept = [t for t in tasks if t.source_path not in failed
            or failed[t.source_path] != file_signature(t.path)]
    return kept, len(tasks) - len(kept)


def _check_appendable(previous: Mapping[str, Any], out: Path, fmt: str) -> None:
    """An incremental run appends only to output of the same format and schema."""
    if previous.get("format") != fmt:
        raise UsageError(
            f"{out} holds {previous.get('format')} output; convert --incremental"
            f" with --format {previous.get('format')}, or without --incremental to replace it"
        )
    if previous.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(
            f"{out} was written with schema version {previous.get('schema_version')}"
            f" (this bmaparse writes {SCHEMA_VERSION}); convert without --incremental to rebuild"
        )


def _existing_reports(
    writers: Any, tables: Any, fmt: str, out: Path, projects: tables.ProjectsBuilder,
    previous: Mapping[str, Any],
) -> _KeySet:
    """report_keys already in the output's reports table; its rows go to ``projects``
    (the projects table is rebuilt from every report, old and new). An incremental
    run appends only to a folder whose tables agree with its manifest: a table
    missing, or reports with other rows than the manifest counts, is an
    ``OutputError`` (appending would make the damage permanent)."""
    missing = sorted(name for name, relative in previous.get("files", {}).items()
                     if not (out / str(relative)).exists())
    columns = list(tables.PROJECT_SOURCE_COLUMNS)
    table = None if missing else writers.read_existing(
        fmt, out, "reports", tables.SCHEMAS["reports"], columns)
    expected = previous.get("totals", {}).get("rows", {}).get("reports")
    if missing or table is None or table.num_rows != expected:
        found = (f"the tables {', '.join(missing)} are missing" if missing else
                 "the reports table is missing" if table is None else
                 f"reports has {table.num_rows} rows, its manifest says {expected}")
        raise OutputError(f"{out} does not agree with its manifest ({found}); an incremental"
                          f" run would keep that: see `bmaparse verify {out}`, or convert"
                          " without --incremental to rebuild it")
    projects.add(table)
    return _KeySet(k for k in table.column("report_key").to_pylist() if k is not None)


def _write_projects(
    writers: Any, tables: Any, fmt: str, out: Path, projects: tables.ProjectsBuilder,
    staging: Any,
) -> tuple[dict[str, str], int]:
    """Write ``projects`` from the builder into the run's ``staging`` (its own sink:
    it replaces, never appends); (files, rows)."""
    sink = writers.open_sink(fmt, out, {"projects": tables.SCHEMAS["projects"]},
                             staging=staging)
    rows = 0
    try:
        for part in projects.tables():
            sink.write({"projects": part})
            rows += part.num_rows
        files = dict(sink.close())
    except BaseException:
        sink.abort()
        raise
    return files, rows
