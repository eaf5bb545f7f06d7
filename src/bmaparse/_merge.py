"""merge: the folders of ``convert --shard K/N`` runs in, one folder out, as one convert.

Strategy: every part is locked (a convert still writing one is refused) and its
interrupted commit finished (``_commit.recover``), and its manifest is checked
against the others: all carry a ``shard`` record of the same N over the same
inputs (``inputs_total``, ``inputs_digest``: the shard keys of the whole
discovery, ``_discover``), from the same parser and schema version, format,
``strict`` and limits; no shard is given twice, and none is missing unless
``partial``. Then, into one staging folder of the locked output (``_commit``):

- the reports that more than one part wrote (the same report in copies that
  fell in different shards) are kept once, from the copy one convert would have
  kept: the first in input order, that is the smallest ``source_path``; the
  other parts' rows of that report (every table) are dropped and their inputs'
  manifest entries counted as duplicates (``written``, ``duplicates``,
  ``outcome``), as one convert counts them;
- every parsed table is copied part by part (one table of one part in memory at
  a time), ``projects`` is rebuilt from the kept reports and the analysis tables
  and ``findings`` are computed over the whole, by the same code as convert
  (``batch._write_projects``, ``batch._write_analysis``);
- the manifest lists every part's inputs (sorted by path, as convert does),
  with the totals of the merged tables, ``shard`` (the shards merged) and
  ``merged_from``; it passes ``bmaparse verify``.

The commit makes it all visible together; a merge that stops leaves the output
as it was. The rows come out part by part, not in one convert's order: equal
after sorting.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._collect import FAILED_SHOWN, ConvertSummary, _drop_reports
from ._commit import JOURNAL_NAME, recover
from ._formats import FORMATS
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
from .batch import _output_errors, _write_analysis, _write_projects
from .errors import OutputBusyError, OutputError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ("merge",)

_SAME = ("format", "parser_version", "schema_version", "strict", "limits")
"""Manifest fields every part must share: what one convert would have had once."""
_SAME_INPUTS = ("count", "inputs_total", "inputs_digest")
"""Shard fields every part must share: one N over one discovery."""


def merge(
    parts: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    partial: bool = False,
    force: bool = False,
    jobs: int | None = None,
) -> ConvertSummary:
    """Merge the output folders of ``convert --shard K/N`` runs into ``out``.

    >>> import bmaparse
    >>> for k in (1, 2):
    ...     bmaparse.convert(["exports/"], f"parts/{k}", shard=(k, 2))
    >>> summary = bmaparse.merge(["parts/1", "parts/2"], "out/")
    >>> summary.reports, summary.exit_code

    The result is what one ``convert`` of the same inputs writes (the same rows,
    in another order; the same manifest entries and totals). ``fmt`` is the
    output format (default: the parts'). ``partial`` merges the shards given even
    when some of the N are missing (the manifest's ``shard.complete`` is then
    false). ``force`` writes into a non-empty folder bmaparse did not write; a
    folder bmaparse wrote is replaced, as by convert. ``jobs``: DuckDB threads
    for the analysis tables (default: one per CPU).

    Raises ``UsageError`` (nothing written) when a part is not a shard folder,
    the parts do not form one set (another N, other inputs, another version,
    format or option, a shard twice, a shard missing without ``partial``) or
    ``out`` is a part; ``OutputBusyError`` when a part or ``out`` is being
    written; ``OutputError`` when a part does not agree with its manifest or
    ``out`` could not be written (it keeps its previous state). Returns the
    summary of the merged folder (``exit_code`` 1 when some input had errors).
    """
    started, started_at = time.monotonic(), utc_now()
    if not parts:
        raise UsageError("merge needs at least one part (a folder of convert --shard K/N)")
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    folders = [Path(p) for p in parts]
    out_dir = Path(out)
    _check_folders(folders, out_dir)
    with contextlib.ExitStack() as locks:
        manifests = [_open_part(part, locks) for part in folders]
        shard = _check_parts(folders, manifests, partial)
        # in shard order, whatever order the parts were given in: the merged manifest
        # (its skipped_files and merged_from come from the parts in turn) is then one
        order = sorted(range(len(folders)), key=lambda i: shard_indexes(manifests[i]["shard"]))
        folders, manifests = [folders[i] for i in order], [manifests[i] for i in order]
        check_output(out_dir, force=force)
        out_dir.mkdir(parents=True, exist_ok=True)
        locks.enter_context(OutputLock(out_dir, "merge"))
        recover(out_dir)
        clean_manifest_temporaries(out_dir)
        mark_output(out_dir)
        run = _Merge(folders, manifests, out_dir, fmt or str(manifests[0]["format"]),
                     jobs or os.cpu_count() or 1)
        return run.write(shard, started, started_at)


def _check_folders(folders: Sequence[Path], out: Path) -> None:
    where: dict[str, Path] = {}
    for part in folders:
        if not part.is_dir():
            raise UsageError(f"merge part not found: {part} (a folder of convert --shard K/N)")
        real = os.path.realpath(part)
        if real in where:
            raise UsageError(f"{part} is given twice (as {where[real]} too)")
        where[real] = part
    if os.path.realpath(out) in where:
        raise UsageError(f"the output {out} is one of the parts; merge into another folder")


def _open_part(part: Path, locks: contextlib.ExitStack) -> dict[str, Any]:
    """``part``'s manifest, its lock held in ``locks`` and an interrupted commit of it
    finished (as ``verify`` does: a read-only part is read as it is, unless a commit
    of it was interrupted)."""
    lock = OutputLock(part, "merge")
    try:
        lock.acquire()
    except OutputBusyError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        if (part / JOURNAL_NAME).exists():
            raise OutputError(f"{part}: a commit was interrupted and cannot be finished here"
                              f" ({exc}); run `bmaparse verify {part}` where it can be written"
                              ) from None
    else:
        locks.callback(lock.release)
        recover(part)
    manifest = read_manifest(part)
    if manifest is None:
        raise UsageError(f"{part} has no bmaparse manifest.json: not a folder that convert"
                         " --shard K/N finished")
    return manifest


def shard_indexes(shard: Mapping[str, Any]) -> list[int]:
    """The shards a manifest's ``shard`` record holds: ``index`` (one convert) or
    ``indexes`` (a merge)."""
    if "indexes" in shard:
        return [int(k) for k in shard["indexes"]]
    return [int(shard["index"])]


def _check_parts(folders: Sequence[Path], manifests: Sequence[Mapping[str, Any]],
                 partial: bool) -> dict[str, Any]:
    """The merged ``shard`` record, once the parts are known to form one set."""
    first, head = folders[0], manifests[0]
    owner: dict[int, Path] = {}
    for part, manifest in zip(folders, manifests, strict=True):
        shard = manifest.get("shard")
        if not isinstance(shard, dict) or manifest.get("incremental"):
            raise UsageError(f"{part} was not written by convert --shard K/N (its manifest has"
                             " no shard); merge puts together the shards of one input set")
        for name in _SAME:
            if manifest.get(name) != head.get(name):
                raise UsageError(
                    f"{part} has {name} {manifest.get(name)!r} and {first} has"
                    f" {head.get(name)!r}: the shards of one merge come from one bmaparse"
                    " version, format and options; convert them again alike")
        for name in _SAME_INPUTS:
            if shard.get(name) != head["shard"].get(name):
                what = "another N" if name == "count" else "other inputs"
                raise UsageError(
                    f"{part} is a shard of {what} than {first} (shard {name}"
                    f" {shard.get(name)!r} vs {head['shard'].get(name)!r}): every shard must"
                    " be converted with the same INPUT arguments over the same files")
        _check_record(part, shard)
        for index in shard_indexes(shard):
            if index in owner:
                raise UsageError(f"shard {index}/{shard['count']} is in both {owner[index]} and"
                                 f" {part}: its reports would be counted twice")
            owner[index] = part
    count = int(head["shard"]["count"])
    missing = [k for k in range(1, count + 1) if k not in owner]
    if missing and not partial:
        shown = ", ".join(f"{k}/{count}" for k in missing)
        raise UsageError(f"shards missing: {shown}; convert them too, or pass --partial to"
                         " merge only the shards given")
    return {"indexes": sorted(owner), "count": count, "complete": not missing,
            **{name: head["shard"][name] for name in _SAME_INPUTS if name != "count"}}


def _check_record(part: Path, shard: Mapping[str, Any]) -> None:
    """UsageError when ``part``'s ``shard`` record is not one convert or merge writes
    (a manifest edited by hand): whole numbers, 1 <= index <= count."""
    count = shard.get("count")
    indexes = shard.get("indexes", [shard.get("index")])

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not (whole(count) and isinstance(indexes, list) and indexes
            and all(whole(k) and 1 <= k <= count for k in indexes)):
        raise UsageError(f"{part}: its manifest's shard record is damaged ({dict(shard)!r}):"
                         " convert that shard again")


class _Merge:
    """One merge into a locked, recovered output folder."""

    def __init__(self, parts: Sequence[Path], manifests: Sequence[dict[str, Any]], out: Path,
                 fmt: str, jobs: int) -> None:
        self.parts, self.manifests, self.out, self.fmt = parts, manifests, out, fmt
        self.source_fmt = str(manifests[0]["format"])
        self.summary = ConvertSummary(out, fmt, jobs)

    def write(self, shard: dict[str, Any], started: float, started_at: str) -> ConvertSummary:
        from . import tables, writers

        old = read_manifest_head(self.out) or {}
        staging = writers.Staging(self.out)
        entries: EntryLog | None = None
        summary = self.summary
        try:
            with _output_errors(self.out):
                dropped, lost = self._duplicates()
                files = self._write_tables(staging, dropped)
                entries = EntryLog(staging.dir)
                self._entries(entries, lost)
                summary.files = {name: relative_path(self.out, path) for name, path in files.items()}
                summary.seconds = time.monotonic() - started
                head = self.manifests[0]
                merged_from = [{"path": str(part), "indexes": shard_indexes(m["shard"]),
                                "started_at": m.get("started_at"), "seconds": m.get("seconds")}
                               for part, m in zip(self.parts, self.manifests, strict=True)]
                write_run_manifest(
                    staging.path(MANIFEST_NAME), entries, run=summary.as_dict(),
                    skipped_files=head.get("skipped_files", {}), previous=None,
                    strict=bool(head.get("strict")), started_at=started_at,
                    limits=head.get("limits"),
                    extra={"shard": shard, "merged_from": merged_from})
                staging.stage([MANIFEST_NAME])
                remove = stale_outputs(self.out, old.get("files", {}), summary.files,
                                       writers.output_names(tables.SCHEMAS))
                if (self.out / writers.DATABASE_WAL).exists():
                    remove.append(writers.DATABASE_WAL)
                staging.commit(last=[MANIFEST_NAME], remove=remove)
        except BaseException:
            staging.discard()
            if staging.decided:
                with contextlib.suppress(Exception):
                    recover(self.out)
            raise
        finally:
            if entries is not None:
                entries.close()
        summary.manifest = str(self.out / MANIFEST_NAME)
        return summary

    def _read(self, index: int, name: str, columns: Sequence[str] | None = None) -> pa.Table:
        """Table ``name`` of part ``index`` (``columns`` only), checked against its manifest."""
        from . import tables, writers

        part = self.parts[index]
        try:
            table = writers.read_existing(self.source_fmt, part, name, tables.SCHEMAS[name],
                                          columns)
        except (OSError, ValueError) as exc:
            raise OutputError(f"{part}: table {name} cannot be read ({exc}); see"
                              f" `bmaparse verify {part}`") from None
        except Exception as exc:  # any reader's error (a damaged file), in one line
            message = " ".join(str(exc).split())[:200]
            raise OutputError(f"{part}: table {name} cannot be read ({message}); see"
                              f" `bmaparse verify {part}`") from None
        expected = self.manifests[index].get("totals", {}).get("rows", {}).get(name)
        if table is None or table.num_rows != expected:
            found = "is missing" if table is None else f"has {table.num_rows} rows"
            raise OutputError(f"{part} does not agree with its manifest (table {name} {found},"
                              f" the manifest says {expected}); see `bmaparse verify {part}`,"
                              " or convert that shard again")
        return table

    def _duplicates(self) -> tuple[list[list[str]], Counter[str]]:
        """Per part, the report_keys whose rows it must drop (another part holds the copy
        one convert keeps: the smallest source_path); per input path, the reports it
        wrote that are dropped."""
        import pyarrow as pa
        import pyarrow.compute as pc

        pieces = []
        for index in range(len(self.parts)):
            t = self._read(index, "reports", ["report_key", "source_path"])
            pieces.append(t.append_column("part", pa.repeat(pa.scalar(index, pa.int32()),
                                                            t.num_rows)))
        every = pa.concat_tables(pieces)
        dropped: list[list[str]] = [[] for _ in self.parts]
        lost: Counter[str] = Counter()
        if every.num_rows == 0:
            return dropped, lost
        every = every.take(pc.sort_indices(every, sort_keys=[
            ("report_key", "ascending"), ("source_path", "ascending"), ("part", "ascending")]))
        keys = every["report_key"].combine_chunks()
        again: Any = pc.equal(keys.slice(1), keys.slice(0, len(keys) - 1))  # not the first copy
        later = every.slice(1).filter(pc.fill_null(again, False))
        for key, path, part in zip(later["report_key"].to_pylist(),
                                   later["source_path"].to_pylist(),
                                   later["part"].to_pylist(), strict=True):
            dropped[int(part or 0)].append(str(key))
            lost[str(path)] += 1
        return dropped, lost

    def _write_tables(self, staging: Any, dropped: Sequence[Sequence[str]]) -> dict[str, str]:
        """Every parsed table, part by part, then ``projects`` and the analysis tables,
        into ``staging``; table -> staged path (rows counted in the summary)."""
        from . import tables, writers

        summary, fmt = self.summary, self.fmt
        rows: Counter[str] = Counter()
        projects = tables.ProjectsBuilder()
        sink = writers.open_sink(fmt, self.out, {n: tables.SCHEMAS[n] for n in tables.TABLES},
                                 staging=staging)
        try:
            for index in range(len(self.parts)):
                for name in tables.TABLES:
                    table = self._read(index, name)
                    if dropped[index]:
                        table = _drop_reports({name: table}, dropped[index])[name]
                    rows[name] += table.num_rows
                    sink.write({name: table})
                    if name == "reports":
                        projects.add(table)
                    del table
            files = dict(sink.close())
        except BaseException:
            sink.abort()
            raise
        project_files, rows["projects"] = _write_projects(writers, tables, fmt, self.out,
                                                          projects, staging)
        files.update(project_files)
        analysis_files, analysis_rows = _write_analysis(writers, tables, fmt, self.out, staging,
                                                        summary.jobs)
        files.update(analysis_files)
        rows.update(analysis_rows)
        summary.rows = {name: rows.get(name, 0) for name in tables.SCHEMAS}
        return files

    def _entries(self, log: EntryLog, lost: Counter[str]) -> None:
        """Every part's input entries, by path, into ``log``; an input whose reports
        another part's copy replaced counts them as duplicates (as one convert does).
        Counts the summary's inputs, reports, duplicates, skipped and errors."""
        summary = self.summary
        for entry in heapq.merge(*(_inputs(m) for m in self.manifests),
                                 key=lambda e: str(e["path"])):
            n = lost.get(str(entry["path"]), 0)
            if n:
                entry["written"] -= n
                entry["duplicates"] += n
                if entry["outcome"] == "ok" and entry["written"] == 0:
                    entry["outcome"] = "duplicate"
            log.append(entry)
            outcome = entry.get("outcome")
            summary.inputs += 1
            summary.reports += int(entry.get("written") or 0)
            summary.duplicates += int(entry.get("duplicates") or 0)
            summary.skipped += outcome == "skipped"
            summary.errors += outcome == "error"
            summary.warned += outcome != "error" and bool(entry.get("warnings"))
            if outcome == "error" and len(summary.failed_inputs) < FAILED_SHOWN:
                summary.failed_inputs.append(str(entry["path"]))


def _inputs(manifest: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """A part's input entries (sorted by path, as every run writes them)."""
    yield from manifest.get("inputs", ())
