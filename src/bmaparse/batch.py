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

- drops the rows of reports written by an earlier chunk (same ``report_key``:
  a copied file), keeping a set of written keys (``_KeySet``: 16 bytes a key);
- buffers rows up to a bound and writes them through a writers ``Sink`` (flat
  memory: no archive is ever held whole, and at most a window of results is in
  flight, because the task feed waits for the parent to take results);
- hands every reports row it writes to a ``tables.ProjectsBuilder``, which keeps
  about one row per project (not per report) for the ``projects`` table;
- after the last input closes the sink (every table moves into place
  atomically), writes ``projects`` from the builder, and last writes
  ``manifest.json``.

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
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._discover import (
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
from ._manifest import (
    EntryLog,
    clean_manifest_temporaries,
    prepare_output,
    read_manifest,
    read_manifest_head,
    relative_path,
    remove_stale_files,
    utc_now,
    write_run_manifest,
)
from ._read import Document, Limits
from .model import SCHEMA_VERSION, Diagnostic, Report

if TYPE_CHECKING:
    import pyarrow as pa

    from . import tables

__all__ = (
    "FORMATS", "ConvertSummary", "Limits", "UsageError", "convert", "iter_documents", "load_task",
)


FORMATS = ("parquet", "csv", "jsonl", "duckdb")
"""Output formats ``convert`` writes (the writers package's names)."""

_FLUSH_ROWS = 100_000
_FLUSH_BYTES = 8 * 1024 * 1024


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
    """Set a worker's options; in a pool worker, also exit when the parent is gone
    (a killed ``convert`` must not leave workers waiting on its queue forever)."""
    global _worker_strict, _worker_known, _worker_limits
    _worker_strict, _worker_known, _worker_limits = strict, known, limits
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


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
    try:
        while waiting or in_flight:
            while waiting and len(in_flight) < jobs * 4:
                chunk = waiting.popleft()
                in_flight.append((chunk, executor.submit(_process, chunk)))
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
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


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


@dataclass(slots=True)
class ConvertSummary:
    """What a ``convert`` run did (also the ``--json`` output)."""

    out: Path
    fmt: str
    jobs: int
    inputs: int = 0
    """Inputs (texts) seen this run, skipped ones included."""
    reports: int = 0
    """Reports written this run."""
    duplicates: int = 0
    """Reports not written because an earlier input (or run) had them."""
    skipped: int = 0
    """Inputs skipped (already converted, nested archives)."""
    errors: int = 0
    """Inputs with an error (outcome ``error``)."""
    rows: dict[str, int] = field(default_factory=dict)
    """Rows written this run, per table (``projects``: the whole rebuilt table)."""
    files: dict[str, str] = field(default_factory=dict)
    """Table -> output file or folder."""
    manifest: str = ""
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every input parsed cleanly, 1 when some had errors."""
        return 1 if self.errors else 0

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-able values."""
        return {
            "out": str(self.out), "format": self.fmt, "jobs": self.jobs,
            "inputs": self.inputs, "reports": self.reports, "duplicates": self.duplicates,
            "skipped": self.skipped, "errors": self.errors, "rows": dict(self.rows),
            "files": dict(self.files), "manifest": self.manifest,
            "seconds": round(self.seconds, 3), "exit_code": self.exit_code,
        }

    def line(self) -> str:
        """One human-readable line: counts, rows per table, time, where the files are."""
        extras = [f"{n} {what}" for n, what in (
            (self.errors, "with errors"), (self.duplicates, "duplicate reports"),
            (self.skipped, "skipped"),
        ) if n]
        rows = ", ".join(f"{name} {n}" for name, n in self.rows.items())
        return (
            f"bmaparse: {self.inputs} inputs{' (' + ', '.join(extras) + ')' if extras else ''}, "
            f"{self.reports} reports; rows: {rows}; {self.seconds:.1f} s; "
            f"wrote {self.fmt} to {self.out}"
        )


class _KeySet:
    """The report_keys written so far. A key of 32 lowercase hex digits (every key
    bmaparse makes) is held as the 16 bytes it spells, about half the memory of
    the text; any other key as its text (bytes never equal a str: no collision)."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._ids: set[bytes | str] = set()
        self.update(keys)

    @staticmethod
    def _id(key: str) -> bytes | str:
        if len(key) == 32:
            try:
                digest = bytes.fromhex(key)
            except ValueError:
                return key
            if digest.hex() == key:
                return digest
        return key

    def __contains__(self, key: str) -> bool:
        return self._id(key) in self._ids

    def update(self, keys: Iterable[str]) -> None:
        """Add ``keys``."""
        self._ids.update(map(self._id, keys))


class _Collector:
    """The parent's side of a run: takes results in order, drops the rows of reports
    already written, buffers rows (flushed to the sink past a row or byte bound) and
    keeps the counts; manifest entries go to ``entries`` (a file, not memory)."""

    def __init__(
        self, sink: Any, summary: ConvertSummary, written: _KeySet, entries: EntryLog,
        projects: tables.ProjectsBuilder,
    ) -> None:
        self.sink, self.summary, self.written, self.entries = sink, summary, written, entries
        self.projects = projects
        self.rows: Counter[str] = Counter()
        self.parts: dict[str, list[pa.Table]] = {}
        self.buffered_rows = self.buffered_bytes = 0

    def take(self, chunk: _Chunk) -> list[dict[str, Any]]:
        """Account for one chunk; its inputs' manifest entries, in order."""
        earlier = {k for r in chunk.results for k in r.report_keys if k in self.written}
        entries = [self._take_one(result) for result in chunk.results]
        decoded = _decode_tables(chunk.tables)
        self._add(_drop_reports(decoded, earlier) if earlier else decoded)
        return entries

    def _take_one(self, result: _Result) -> dict[str, Any]:
        fresh = [k for k in result.report_keys if k not in self.written]
        self.written.update(fresh)
        outcome = ("error" if result.severities.get("error") else
                   "skipped" if result.skipped_as else
                   "duplicate" if result.report_keys and not fresh else "ok")
        duplicates = len(result.report_keys) - len(fresh) + result.repeated_in_file
        entry = _entry(result, outcome, len(fresh), duplicates)
        self.entries.append(entry)
        summary = self.summary
        summary.inputs += 1
        summary.reports += len(fresh)
        summary.duplicates += duplicates
        summary.errors += outcome == "error"
        summary.skipped += outcome == "skipped"
        return entry

    def _add(self, tables: Mapping[str, pa.Table]) -> None:
        for name, table in tables.items():
            self.rows[name] += table.num_rows
            if table.num_rows:
                self.parts.setdefault(name, []).append(table)
                self.buffered_rows += table.num_rows
                self.buffered_bytes += table.nbytes
        if self.buffered_rows >= _FLUSH_ROWS or self.buffered_bytes >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows through the sink."""
        import pyarrow as pa

        if self.parts:
            batch = {name: pa.concat_tables(parts) for name, parts in self.parts.items()}
            self.sink.write(batch)
            if "reports" in batch:
                self.projects.add(batch["reports"])
        self.parts, self.buffered_rows, self.buffered_bytes = {}, 0, 0


def _decode_tables(encoded: Mapping[str, bytes]) -> dict[str, pa.Table]:
    import pyarrow as pa

    return {name: pa.ipc.open_stream(data).read_all() for name, data in encoded.items()}


def _drop_reports(tables: Mapping[str, pa.Table], keys: Iterable[str]) -> dict[str, pa.Table]:
    """``tables`` without the rows of the reports in ``keys``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = pa.array(sorted(set(keys)), pa.string())
    kept = {}
    for name, table in tables.items():
        if table.num_rows and "report_key" in table.column_names:
            hit: Any = pc.is_in(table["report_key"], value_set=value_set)
            table = table.filter(pc.invert(pc.fill_null(hit, False)))
        kept[name] = table
    return kept


def _check_options(fmt: str, jobs: int | None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    return jobs or os.cpu_count() or 1


def _entry(result: _Result, outcome: str, written: int, duplicates: int) -> dict[str, Any]:
    if result.skipped_as == "already-converted":
        return {"path": result.source_path, "sha256": result.sha256 or None, "size": result.size,
                "outcome": "skipped", "reason": result.skipped_as}
    entry: dict[str, Any] = {
        "path": result.source_path, "sha256": result.sha256 or None, "size": result.size,
        "outcome": outcome, "reports": written + duplicates, "written": written,
        "duplicates": duplicates, "encoding": result.encoding,
        "errors": result.severities.get("error", 0),
        "warnings": result.severities.get("warning", 0),
    }
    if result.skipped_as:
        entry["reason"] = result.skipped_as
    if result.failure:
        entry["failure"] = result.failure
    return entry


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

    Raises ``UsageError`` (a missing input, a bad option, a folder that is not
    ours) before writing anything. Returns the summary; ``exit_code`` is 1 when
    some input had errors.
    """
    from . import tables, writers

    started, started_at = time.monotonic(), utc_now()
    used_jobs = _check_options(fmt, jobs)
    limits = resolve_limits(limits)
    out_dir = Path(out)
    found = discover(inputs, exclude=out_dir, limits=limits)
    old_manifest = read_manifest(out_dir) if incremental else read_manifest_head(out_dir)
    previous = old_manifest if incremental else None
    if previous is not None:
        _check_appendable(previous, out_dir, fmt)
    prepare_output(out_dir, force=force)
    writers.clean_stale_temporaries(out_dir)
    clean_manifest_temporaries(out_dir)
    known = frozenset(
        e["sha256"] for e in (previous or {}).get("inputs", ()) if e.get("sha256")
    )
    projects = tables.ProjectsBuilder()
    written = _KeySet()
    if previous is not None:
        written = _existing_reports(writers, tables, fmt, out_dir, projects)

    tasks = found.tasks
    used_jobs = min(used_jobs, max(1, len(tasks)))
    summary = ConvertSummary(out_dir, fmt, used_jobs)
    schemas = {name: tables.SCHEMAS[name] for name in tables.TABLES}
    sink = writers.open_sink(fmt, out_dir, schemas, append=previous is not None)
    with contextlib.closing(EntryLog(out_dir)) as log:  # removed once the manifest is written
        collector = _Collector(sink, summary, written, log, projects)
        bar = None  # made after the pool: no tqdm thread in the process when workers fork
        results: _Chunks = (_in_process(tasks, strict, known, limits) if used_jobs == 1
                            else _pooled(tasks, used_jobs, strict, known, limits))
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
            collector.flush()
            files = dict(sink.close())
        except BaseException:
            with contextlib.suppress(Exception):
                results.close()
            sink.abort()
            raise
        finally:
            if bar is not None:
                bar.close()

        # A task and a key per input were the run's to keep; free them before the
        # last step that needs memory, writing projects.
        del tasks, results
        found.tasks.clear()
        collector.written = _KeySet()
        files_rows = _write_projects(writers, tables, fmt, out_dir, projects)
        files.update(files_rows[0])
        collector.rows["projects"] = files_rows[1]
        summary.rows = {name: collector.rows.get(name, 0) for name in tables.SCHEMAS}
        summary.files = {name: relative_path(out_dir, path) for name, path in files.items()}
        if old_manifest is not None:
            remove_stale_files(out_dir, old_manifest.get("files", {}), summary.files)
        summary.seconds = time.monotonic() - started
        path = write_run_manifest(out_dir, collector.entries, run=summary.as_dict(),
                                  skipped_files=found.skipped, previous=previous, strict=strict,
                                  started_at=started_at, limits=limits.as_dict())
        summary.manifest = str(path)
        return summary


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
    writers: Any, tables: Any, fmt: str, out: Path, projects: tables.ProjectsBuilder
) -> _KeySet:
    """report_keys already in the output's reports table; its rows go to ``projects``
    (the projects table is rebuilt from every report, old and new)."""
    columns = list(tables.PROJECT_SOURCE_COLUMNS)
    table = writers.read_existing(fmt, out, "reports", tables.SCHEMAS["reports"], columns)
    if table is None:
        return _KeySet()
    projects.add(table)
    return _KeySet(k for k in table.column("report_key").to_pylist() if k is not None)


def _write_projects(
    writers: Any, tables: Any, fmt: str, out: Path, projects: tables.ProjectsBuilder
) -> tuple[dict[str, str], int]:
    """Write ``projects`` from the builder (its own sink: it replaces, never appends);
    (files, rows)."""
    sink = writers.open_sink(fmt, out, {"projects": tables.SCHEMAS["projects"]})
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


