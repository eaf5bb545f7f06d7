"""convert: many inputs in, one dataset per table (and a manifest) out.

Strategy: the parent discovers tasks (``_discover``, sorted by source path),
has them run in chunks (``_pool``: in this process, or in worker processes
that each read, parse and flatten a chunk, ``_worker``) and takes the chunks
back in task order, so the rows written do not depend on the number of
workers; a worker that dies costs only the input that killed it. The parent:

- takes the output folder's lock (``_lock``: one writer at a time) and first
  finishes or undoes whatever a stopped run left there (``_commit.recover``);
- takes results in order (``_collect``: drops the rows of reports written by an
  earlier chunk or run, buffers rows up to a bound and writes them through a
  writers ``Sink``, feeds the ``projects`` builder; flat memory: no archive is
  ever held whole, and at most a window of results is in flight, because the
  task feed waits for the parent to take results; the analysis at the end is
  not flat, see ``_write_analysis``);
- writes every table, then ``projects``, then the analysis tables and
  ``findings`` (``bmaparse.analysis``, ``bmaparse.audit``: computed from the
  staged tables, so over the whole folder, old rows and new), then
  ``manifest.json`` into one staging folder, and commits them together (``_commit.Staging.commit``: a journal,
  then renames), so the folder is always one run's state or the next's.

Nothing an input holds can stop the batch: unreadable bytes, a zip bomb, a
parser exception all become diagnostics rows (``report_key`` null) and the
outcome ``error``. ``--incremental`` skips inputs whose sha256 the manifest
already lists, appends to the previous output and merges the manifest.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sys
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._collect import ConvertSummary, _Collector, _KeySet, file_signature
from ._commit import JOURNAL_NAME, recover
from ._discover import Discovery, Task, discover
from ._formats import FORMATS, Format
from ._lock import OutputLock
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
from ._pool import Chunks, in_process, pooled
from ._read import Limits
from ._read_task import iter_documents, load_task, resolve_limits
from ._worker import WorkerConfig
from .errors import OutputError, UsageError
from .model import SCHEMA_VERSION

if TYPE_CHECKING:
    import pyarrow as pa

    from . import tables

__all__ = ("ConvertSummary", "Limits", "UsageError", "convert", "iter_documents", "load_task")

Progress = bool | Callable[[dict[str, Any]], None]
"""True: a progress bar on stderr; a callable: called with each input's manifest entry."""


def convert(
    inputs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    fmt: Format = "parquet",
    jobs: int | None = None,
    strict: bool = False,
    incremental: bool = False,
    force: bool = False,
    progress: Progress = False,
    limits: Limits | None = None,
    follow_links: bool = False,
    shard: tuple[int, int] | None = None,
) -> ConvertSummary:
    """Convert files, folders and ``.zip`` archives into one dataset per table in ``out``.

    >>> import bmaparse
    >>> summary = bmaparse.convert(["samples/"], "out/", fmt="duckdb", jobs=2)
    >>> summary.inputs, summary.reports, summary.errors, summary.files["reports"]
    (8, 9, 0, 'bmaparse.duckdb')
    >>> summary.exit_code                   # 1 when some input had an error
    0

    ``fmt`` is ``parquet``, ``csv``, ``jsonl`` or ``duckdb``; ``jobs`` worker
    processes (default: one per CPU; 1 runs in this process). ``strict``
    rejects an input with any warning or error (only its diagnostics are
    written). ``incremental`` skips inputs the manifest in ``out`` already
    lists (by sha256) and appends the rest. ``force`` writes into a non-empty
    folder bmaparse did not write. ``progress``: True shows a progress bar on
    stderr; a callable is called with each input's manifest entry. ``limits``
    bounds each input (``bmaparse.Limits``: file size, line length, archive
    members, compression ratio, time; default ``Limits()``); an input past a
    bound is a diagnostic, never the end of the run. ``follow_links`` follows
    symbolic links whose target is outside every input (by default they are
    skipped and counted in the manifest's ``skipped_files``). ``shard`` (K, N)
    converts only the inputs of shard K of N (by a stable hash of their path:
    ``bmaparse merge`` puts the N folders together; docs/scale.md); it cannot
    be combined with ``incremental``. Nothing is written outside ``out``.

    The run is one transaction: every table, ``projects`` and the manifest
    become visible together, and whatever stops the run leaves ``out`` as the
    previous run left it. One run at a time writes a folder.

    Raises ``UsageError`` (a missing input, a bad option, a folder that is not
    ours) before writing anything; ``OutputBusyError`` when another process is
    writing ``out`` (nothing touched); ``OutputError`` when the output could not
    be written (``out`` keeps its previous state). Returns the summary;
    ``exit_code`` is 1 when some input had errors.
    """
    started, started_at = time.monotonic(), utc_now()
    options = _Options(fmt, _jobs(fmt, jobs), strict, incremental, progress,
                       resolve_limits(limits))
    out_dir = Path(out)
    if shard is not None and incremental:
        raise UsageError("--shard cannot be combined with --incremental: convert each shard"
                         " into a fresh folder and merge them (docs/scale.md)")
    found = discover(inputs, exclude=out_dir, limits=options.limits, follow_links=follow_links,
                     shard=shard)
    check_output(out_dir, force=force)
    out_dir.mkdir(parents=True, exist_ok=True)
    with OutputLock(out_dir, "convert"):
        recover(out_dir)  # the previous run's state, whole, before it is read
        clean_manifest_temporaries(out_dir)
        mark_output(out_dir)
        return _Run(out_dir, options).convert(found, started, started_at)


@dataclass(frozen=True, slots=True)
class _Options:
    """A run's options, checked."""

    fmt: Format
    jobs: int
    strict: bool
    incremental: bool
    progress: Progress
    limits: Limits


def _jobs(fmt: str, jobs: int | None) -> int:
    """The worker processes to run, once ``fmt`` and ``jobs`` are known to be usable."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    return jobs or os.cpu_count() or 1


def _progress_bar(total: int) -> Any:
    """The progress bar on stderr (tqdm is imported only when a bar is shown)."""
    from tqdm import tqdm

    return tqdm(total=total, unit="file", file=sys.stderr, leave=False, dynamic_ncols=True)


class _Run:
    """One ``convert`` run into a locked, recovered output folder."""

    def __init__(self, out: Path, options: _Options) -> None:
        self.out, self.options = out, options
        self.old_manifest = (read_manifest(out) if options.incremental
                             else read_manifest_head(out))
        self.previous = self.old_manifest if options.incremental else None
        if self.previous is not None:
            _check_appendable(self.previous, out, options.fmt)
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
                    previous=self.previous, strict=self.options.strict, started_at=started_at,
                    limits=self.options.limits.as_dict(),
                    extra={"shard": found.shard} if found.shard else None)
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

        fmt = self.options.fmt
        self.entries = EntryLog(staging.dir)
        known = frozenset(
            e["sha256"] for e in (self.previous or {}).get("inputs", ()) if e.get("sha256"))
        projects = tables.ProjectsBuilder()
        written = _KeySet()
        if self.previous is not None:
            written = _existing_reports(writers, tables, fmt, self.out, projects, self.previous)
        tasks, unchanged, kept_failures = _unchanged_failures(found.tasks, self.previous)
        jobs = min(self.options.jobs, max(1, len(tasks)))
        summary = ConvertSummary(self.out, fmt, jobs)
        summary.inputs = summary.skipped = unchanged
        schemas = {name: tables.SCHEMAS[name] for name in tables.TABLES}
        sink = writers.open_sink(fmt, self.out, schemas, append=self.previous is not None,
                                 staging=staging)
        previous_sha = {str(e["path"]): str(e["sha256"])
                        for e in (self.previous or {}).get("inputs", ()) if e.get("sha256")}
        collector = _Collector(sink, summary, written, self.entries, projects, tasks,
                               kept_failures=kept_failures, previous_sha=previous_sha)
        config = WorkerConfig(self.options.strict, known, self.options.limits)
        try:
            self._collect(collector, tasks, config, started)
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
            writers, tables, fmt, self.out, projects, staging)
        files.update(project_files)
        analysis_files, analysis_rows = _write_analysis(writers, tables, fmt, self.out, staging,
                                                        summary.jobs)
        files.update(analysis_files)
        collector.rows.update(analysis_rows)
        summary.rows = {name: collector.rows.get(name, 0) for name in tables.SCHEMAS}
        summary.files = {name: relative_path(self.out, path) for name, path in files.items()}
        return summary

    def _collect(self, collector: _Collector, tasks: Sequence[Task], config: WorkerConfig,
                 started: float) -> None:
        """Run every task (in this process or a pool) and hand each chunk to ``collector``."""
        summary, progress = collector.summary, self.options.progress
        bar = None  # made after the pool: no tqdm thread in the process when workers fork
        results: Chunks = (in_process(tasks, config) if summary.jobs == 1
                           else pooled(tasks, summary.jobs, config))
        try:
            for chunk in results:
                entries = collector.take(chunk)
                if callable(progress):
                    for entry in entries:
                        progress(entry)
                elif progress is True:
                    bar = bar or _progress_bar(len(tasks))
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
) -> tuple[list[Task], int, frozenset[str]]:
    """An incremental run's tasks without the inputs that failed before without a
    sha256 (too large, unreadable) and have not changed since (same ``file_signature``):
    reading them again would only append the same diagnostics again. Their manifest
    entries (and file-level diagnostics) stay as they were. (tasks, how many were
    left out, their source paths)."""
    if previous is None:
        return tasks, 0, frozenset()
    failed = {e["path"]: e["file_signature"] for e in previous.get("inputs", ())
              if not e.get("sha256") and e.get("file_signature")}
    if not failed:
        return tasks, 0, frozenset()
    kept, left = [], set()
    for t in tasks:
        if t.source_path not in failed or failed[t.source_path] != file_signature(t.path):
            kept.append(t)
        else:
            left.add(t.source_path)
    return kept, len(tasks) - len(kept), frozenset(left)


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


def _write_analysis(writers: Any, tables: Any, fmt: str, out: Path, staging: Any, jobs: int
                    ) -> tuple[dict[str, str], dict[str, int]]:
    """The analysis tables and ``findings`` (default thresholds), computed from the
    tables this run staged (the whole folder), into ``staging``, by DuckDB on as many
    threads as the run has workers (its small queries cost CPU to share out); for
    duckdb the primary keys and views too. (files, rows per table).

    The results are never held whole: they go, piece by piece, to a spool of Parquet
    files in the staging folder while DuckDB computes them, then from the spool to
    the sink once DuckDB has let go of the staged tables (a DuckDB output is the very
    file it reads). DuckDB's own joins and windows still grow with the archive: at
    100k reports convert peaks at ~750 MB, ~240 MB without this step (docs/audit.md)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from . import analysis, audit

    spool = Path(os.path.abspath(staging.path(".analysis")))  # "md:x/..." is no URL
    spool.mkdir()
    try:
        con = analysis.connect(fmt, staging.dir)
        try:
            con.execute(f"SET threads = {int(jobs)}")
            findings = (("findings", part) for part in audit.parts(con))
            spooled = _spool(itertools.chain(analysis.derive_batches(con), findings), spool,
                             {name: tables.SCHEMAS[name] for name in tables.ANALYSIS_TABLES})
        finally:
            con.close()
        sink = writers.open_sink(fmt, out, {name: tables.SCHEMAS[name]
                                            for name in tables.ANALYSIS_TABLES}, staging=staging)
        rows = dict.fromkeys(spooled, 0)
        try:
            for name, path in spooled.items():
                for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
                    sink.write({name: pa.Table.from_batches([batch])})
                    rows[name] += batch.num_rows
            files = dict(sink.close())
        except BaseException:
            sink.abort()
            raise
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    if fmt == "duckdb":
        writers.finish_database(staging.path(writers.DATABASE), analysis.DUCKDB_KEYS,
                                analysis.DUCKDB_VIEWS)
    return files, rows


def _spool(pieces: Iterable[tuple[str, pa.Table]], folder: Path, schemas: Mapping[str, pa.Schema]
           ) -> dict[str, Path]:
    """Each table's pieces, in order, into ``folder/<table>.parquet`` (every table of
    ``schemas``, empty or not); table -> path."""
    import pyarrow.parquet as pq

    paths = {name: folder / f"{name}.parquet" for name in schemas}
    spooled = {name: pq.ParquetWriter(paths[name], schema) for name, schema in schemas.items()}
    try:
        for name, piece in pieces:
            spooled[name].write_table(piece)
    finally:
        for writer in spooled.values():
            writer.close()
    return paths
