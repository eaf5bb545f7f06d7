"""The parent's side of a ``convert`` run: results in, rows out, counts kept.

Strategy: worker results (``_worker.Chunk``) arrive in task order. A
``_Collector`` turns each input's outcome into its manifest entry (written to
an ``EntryLog`` file, not kept), drops the rows of reports that an earlier
input or run already wrote (a set of keys, 16 bytes each), buffers rows up to a
bound and writes them through the run's sink, and hands every reports row to
the ``projects`` builder. An input read again in an incremental run (any not
skipped as already converted) has its earlier file-level diagnostics replaced:
before a chunk's rows are buffered, the sink is told which inputs it read
(``drop_file_level``; the sink holds which inputs have such rows, so nothing
here grows with the run), and the rows it leaves out are counted in
``ConvertSummary.replaced_rows`` (the manifest's totals subtract them).
``ConvertSummary`` is what the run did, and what the command line prints.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._discover import Task
from ._manifest import EntryLog

FAIL_ON = ("error", "warning", "never")
"""Exit-status policies (``--fail-on``)."""

FAILED_SHOWN = 5
"""Inputs with errors named in the summary (the manifest lists them all)."""


def file_signature(path: str) -> str | None:
    """What tells that a file changed when its content could not be hashed (too
    large, unreadable): size, modification and change times, inode; None when it
    cannot be stat'ed."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


if TYPE_CHECKING:
    import pyarrow as pa

    from . import tables
    from ._worker import Chunk, TaskResult

_FLUSH_ROWS = 100_000
_FLUSH_BYTES = 8 * 1024 * 1024


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
    warned: int = 0
    """Inputs with a warning and no error."""
    failed_inputs: list[str] = field(default_factory=list)
    """The first inputs with an error (``FAILED_SHOWN`` at most; the manifest has all)."""
    rows: dict[str, int] = field(default_factory=dict)
    """Rows written this run, per table (``projects``: the whole rebuilt table)."""
    replaced_rows: dict[str, int] = field(default_factory=dict)
    """Rows of earlier runs this run left out, per table: the file-level diagnostics
    of inputs it read again (their new rows replace them)."""
    files: dict[str, str] = field(default_factory=dict)
    """Table -> output file or folder."""
    manifest: str = ""
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every input parsed cleanly, 1 when some had errors."""
        return self.status()

    def status(self, fail_on: str = "error", max_errors: int = 0) -> int:
        """The exit status under a policy: ``fail_on`` ``error`` (1 when more than
        ``max_errors`` inputs had an error), ``warning`` (inputs with a warning count
        too) or ``never`` (0: the run itself worked; the manifest says the rest)."""
        if fail_on not in FAIL_ON:
            raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        failing = {"error": self.errors, "warning": self.errors + self.warned,
                   "never": 0}[fail_on]
        return 1 if failing > max_errors else 0

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-able values."""
        return {
            "out": str(self.out), "format": self.fmt, "jobs": self.jobs,
            "inputs": self.inputs, "reports": self.reports, "duplicates": self.duplicates,
            "skipped": self.skipped, "errors": self.errors, "warned": self.warned,
            "failed_inputs": list(self.failed_inputs), "rows": dict(self.rows),
            "replaced_rows": dict(self.replaced_rows),
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

    def failures(self) -> str | None:
        """Which inputs had errors (the first few) and where the rest are; None if none."""
        if not self.errors:
            return None
        shown = ", ".join(self.failed_inputs)
        more = self.errors - len(self.failed_inputs)
        rest = f" and {more} more" if more > 0 else ""
        return (f"bmaparse: inputs with errors: {shown}{rest} (all of them: outcome \"error\""
                f" in {self.out / 'manifest.json'}; why: the diagnostics table)")


class _KeySet:
    """The report_keys written so far. A key of 32 lowercase hex digits (every key
    bmaparse makes) is held as the 16 bytes it spells, about half the memory of
    the text; any other key as its text (bytes never equal a str: no collision)."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._ids: set[bytes | str] = set()
        self._chunk: set[bytes | str] = set()
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

    def add_new(self, keys: Iterable[str], before: set[str]) -> list[str]:
        """Add ``keys``; the ones not held yet, in order. A key held before the
        chunk began (``begin_chunk``) goes into ``before``. One ``_id`` per key: the
        parent's per-report cost."""
        fresh = []
        for key in keys:
            digest = self._id(key)
            if digest not in self._ids:
                self._ids.add(digest)
                fresh.append(key)
                self._chunk.add(digest)
            elif digest not in self._chunk:
                before.add(key)
        return fresh

    def begin_chunk(self) -> None:
        """A chunk begins: the keys ``add_new`` adds from now on are its own."""
        self._chunk.clear()


class _Collector:
    """The parent's side of a run: takes results in order, drops the rows of reports
    already written, buffers rows (flushed to the sink past a row or byte bound) and
    keeps the counts; manifest entries go to ``entries`` (a file, not memory)."""

    def __init__(
        self, sink: Any, summary: ConvertSummary, written: _KeySet, entries: EntryLog,
        projects: tables.ProjectsBuilder, tasks: Sequence[Task] = (),
        kept_failures: frozenset[str] = frozenset(),
        previous_sha: Mapping[str, str] | None = None,
    ) -> None:
        self.sink, self.summary, self.written, self.entries = sink, summary, written, entries
        self.kept_failures = kept_failures
        """Inputs left out as unchanged failures (``batch._unchanged_failures``): an
        archive among them keeps its archive-level rows."""
        self.previous_sha: Mapping[str, str] = previous_sha or {}
        """Input -> the sha256 the previous run's manifest lists for it (incremental)."""
        self.projects = projects
        self.tasks, self.taken = tasks, 0
        """The run's tasks, in the order their results arrive; how many have."""
        self.rows: Counter[str] = Counter()
        self.parts: dict[str, list[pa.Table]] = {}
        self.buffered_rows = self.buffered_bytes = 0

    def take(self, chunk: Chunk) -> list[dict[str, Any]]:
        """Account for one chunk; its inputs' manifest entries, in order."""
        earlier: set[str] = set()  # written by an earlier chunk or run: rows to drop
        self.written.begin_chunk()
        tasks = self.tasks[self.taken:self.taken + len(chunk.results)]
        entries = [self._take_one(result, earlier) for result in chunk.results]
        read = self._read_again(chunk.results, tasks)
        if replaced := self.sink.drop_file_level(read):  # before this chunk's rows are written
            from .writers import FILE_LEVEL_TABLE

            counts = self.summary.replaced_rows
            counts[FILE_LEVEL_TABLE] = counts.get(FILE_LEVEL_TABLE, 0) + replaced
        self._add(_drop_reports(chunk.tables, earlier) if earlier else chunk.tables)
        return entries

    def _read_again(self, results: Sequence[TaskResult], tasks: Sequence[Task]) -> list[str]:
        """The inputs whose previous file-level diagnostics this chunk replaces: every
        input read again; one skipped as already converted whose path the previous run
        listed under another sha256 (it changed into a copy of a known input: the old
        version's rows are stale); and the archive of every member (the archive was opened
        again: its archive-level rows are this run's refusals, none when it is fixed),
        unless the archive's refusal was left out as an unchanged failure."""
        from ._read import display_path

        read = []
        for i, result in enumerate(results):
            task = tasks[i] if i < len(tasks) else None
            if task is not None and task.member is not None \
                    and task.source_path == result.source_path:
                archive = display_path(task.path)
                if archive not in self.kept_failures:
                    read.append(archive)
            if result.skipped_as != "already-converted" or self.previous_sha.get(
                    result.source_path, result.sha256) != result.sha256:
                read.append(result.source_path)
        return read

    def _take_one(self, result: TaskResult, earlier: set[str]) -> dict[str, Any]:
        # a key an earlier task of this chunk added is a duplicate whose rows the
        # worker already left out; one held before the chunk has rows to drop
        fresh = self.written.add_new(result.report_keys, earlier) if result.report_keys else []
        outcome = ("error" if result.severities.get("error") else
                   "skipped" if result.skipped_as else
                   "duplicate" if result.report_keys and not fresh else "ok")
        duplicates = len(result.report_keys) - len(fresh) + result.repeated_in_file
        entry = _entry(result, outcome, len(fresh), duplicates)
        task = self.tasks[self.taken] if self.taken < len(self.tasks) else None
        self.taken += 1
        if not entry["sha256"] and task is not None and task.source_path == result.source_path:
            entry["file_signature"] = file_signature(task.path)
        self.entries.append(entry)
        summary = self.summary
        summary.inputs += 1
        summary.reports += len(fresh)
        summary.duplicates += duplicates
        summary.errors += outcome == "error"
        summary.warned += outcome != "error" and bool(result.severities.get("warning"))
        summary.skipped += outcome == "skipped"
        if outcome == "error" and len(summary.failed_inputs) < FAILED_SHOWN:
            summary.failed_inputs.append(result.source_path)
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


def _entry(result: TaskResult, outcome: str, written: int, duplicates: int) -> dict[str, Any]:
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
