"""verify: do the tables and the manifest of a converted folder agree?

Strategy: take the folder's lock (a run writing it is not disturbed: verify
refuses, as a second writer would), finish or undo an interrupted commit
(``_commit.recover``), then read the manifest and only the key columns of each
table, and check what a pipeline relies on:

- every file the manifest lists exists, and every table can be read;
- each table has the rows the manifest's totals say;
- ``reports.report_key`` is never null and never repeated; ``projects.project_id``
  is never repeated;
- every child row's ``report_key`` (null allowed in ``diagnostics``: a problem
  of an input as a whole; and in ``findings``: one about an agency or a layout), and every ``projects.report_key``, is in ``reports``;
- every input the manifest says wrote reports (``written``) has exactly that many
  rows in ``reports`` with its path and sha256.

Every finding is a line that names the table or the input; ``ok`` is True
when there is none.
"""

from __future__ import annotations

import errno
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._commit import JOURNAL_NAME, recover
from ._lock import OutputLock
from ._manifest import MANIFEST_NAME, MARKER_NAME, read_manifest
from .errors import OutputBusyError

_SHOWN = 3
"""Examples named per finding."""


@dataclass(slots=True)
class Verification:
    """What ``verify`` found in an output folder."""

    out: Path
    recovered: list[str] = field(default_factory=list)
    """What was finished or undone first (an interrupted commit), one line each."""
    problems: list[str] = field(default_factory=list)
    """Each way the folder is not consistent, one line each."""
    rows: dict[str, int] = field(default_factory=dict)
    """Rows found per table."""
    inputs: int = 0
    """Inputs the manifest lists."""

    @property
    def ok(self) -> bool:
        """True when the tables and the manifest agree."""
        return not self.problems

    def lines(self) -> list[str]:
        """The findings as printed by ``bmaparse verify``."""
        lines = [f"bmaparse: {self.out}: {line}" for line in self.recovered]
        lines += [f"bmaparse: {self.out}: {problem}" for problem in self.problems]
        if self.ok:
            total = sum(self.rows.values())
            lines.append(f"bmaparse: {self.out}: consistent: {len(self.rows)} tables,"
                         f" {self.rows.get('reports', 0)} reports, {total} rows,"
                         f" {self.inputs} inputs")
        else:
            lines.append(f"bmaparse: {self.out}: NOT consistent ({len(self.problems)} problems)")
        return lines


def verify(out: str | os.PathLike[str]) -> Verification:
    """Check that the tables and the manifest in ``out`` agree, after finishing or
    undoing an interrupted commit. Raises ``OutputBusyError`` when another process
    is writing ``out``."""
    root = Path(out)
    found = Verification(root)
    if not root.is_dir():
        found.problems.append("not a folder")
        return found
    lock = OutputLock(root, "verify")
    try:
        lock.acquire()
    except OutputBusyError:
        raise
    except OSError as exc:  # a folder we may read but not write (an archived copy)
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        if (root / JOURNAL_NAME).exists():
            found.problems.append(f"a commit was interrupted and cannot be finished here: {exc}")
            return found
        _verify_locked(root, found)
        return found
    try:
        found.recovered = recover(root)
        _verify_locked(root, found)
    finally:
        lock.release()
    return found


def _verify_locked(root: Path, found: Verification) -> None:
    manifest = read_manifest(root)
    if manifest is None:
        found.problems.append(
            "no manifest.json: a convert never finished here" if (root / MARKER_NAME).exists()
            else "no bmaparse manifest.json: not a folder bmaparse wrote")
        return
    _check(root, manifest, found)


def _check(root: Path, manifest: dict[str, Any], found: Verification) -> None:
    from . import tables, writers

    problems = found.problems
    fmt = str(manifest.get("format"))
    if fmt not in writers.FORMATS:
        problems.append(f"{MANIFEST_NAME} names an unknown format {fmt!r}")
        return
    for name, relative in sorted(manifest.get("files", {}).items()):
        if not (root / str(relative)).exists():
            problems.append(f"table {name}: its file {relative} is missing")
    wanted = ("report_key", "project_id", "source_path", "source_sha256")
    columns = {name: [c for c in schema.names if c in wanted or c in tables.TABLE_KEYS[name]]
               for name, schema in tables.SCHEMAS.items()}
    read: dict[str, Any] = {}
    for name, names in columns.items():
        try:
            table = writers.read_existing(fmt, root, name, tables.SCHEMAS[name], names)
        except Exception as exc:  # a damaged file: any reader's error, said in one line
            problems.append(f"table {name}: cannot be read: {' '.join(str(exc).split())[:200]}")
            continue
        if table is None:
            problems.append(f"table {name}: missing")
            continue
        read[name] = table
        found.rows[name] = table.num_rows
    expected = manifest.get("totals", {}).get("rows")
    if not isinstance(expected, dict):
        problems.append(f"{MANIFEST_NAME} has no row totals (totals.rows)")
        expected = {}
    for name, rows in found.rows.items():
        if expected.get(name) != rows:
            problems.append(f"table {name}: {rows} rows, the manifest says {expected.get(name)}")
    if "reports" in read:
        _check_keys(read, problems)
        _check_inputs(read["reports"], manifest.get("inputs", ()), found)


def _check_keys(read: dict[str, Any], problems: list[str]) -> None:
    import pyarrow.compute as pc

    keys = read["reports"]["report_key"]
    if keys.null_count:
        problems.append(f"table reports: {keys.null_count} rows without a report_key")
    known = pc.unique(keys.drop_null())
    for name, table in read.items():
        if name == "reports" or "report_key" not in table.column_names:
            continue
        column = table["report_key"].drop_null()
        if name not in ("diagnostics", "findings") and table["report_key"].null_count:
            problems.append(f"table {name}: {table['report_key'].null_count} rows without a"
                            " report_key")
        orphan = column.filter(pc.invert(pc.is_in(column, value_set=known)))
        if len(orphan):
            shown = ", ".join(sorted(set(orphan.to_pylist()))[:_SHOWN])
            problems.append(f"table {name}: {len(orphan)} rows point to reports that are not in"
                            f" reports (report_key {shown})")
    for name, table in read.items():
        _check_row_key(name, table, problems)


def _check_row_key(name: str, table: Any, problems: list[str]) -> None:
    """Each row's key (``tables.TABLE_KEYS``; null equals null) appears once: what a
    warehouse load upserts by."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .tables import TABLE_KEYS

    keys = list(TABLE_KEYS[name])
    if not keys or table.num_rows == 0:
        return
    counts = table.select(keys).group_by(keys, use_threads=False).aggregate([([], "count_all")])
    repeated = counts.filter(pc.greater(counts["count_all"], pa.scalar(1)))
    if repeated.num_rows:
        rows = [", ".join(map(str, row.values()))
                for row in repeated.select(keys).slice(0, _SHOWN).to_pylist()]
        shown = ", ".join(rows if len(keys) == 1 else (f"({row})" for row in rows))
        what = f"{keys[0]}s" if len(keys) == 1 else f"keys ({', '.join(keys)})"
        problems.append(f"table {name}: {repeated.num_rows} {what} appear more than once"
                        f" (e.g. {shown})")


def _check_inputs(reports: Any, inputs: Iterable[dict[str, Any]], found: Verification) -> None:
    """Each input that wrote reports has exactly that many rows, by path and sha256
    (an input skipped as already converted keeps what it wrote; a copy found under
    another name has its rows under the name that wrote them); every report comes
    from an input the manifest lists (under another sha256: an earlier version of
    it, whose reports an incremental run keeps as snapshots; the manifest describes
    the version read last)."""
    have = Counter(zip(reports["source_path"].to_pylist(), reports["source_sha256"].to_pylist(),
                       strict=True))
    listed: set[tuple[str, str]] = set()
    written_by_sha: dict[str, list[tuple[str, int]]] = {}
    skipped: list[tuple[str, str, int, int]] = []
    short: list[str] = []
    paths: set[str] = set()
    for entry in inputs:
        found.inputs += 1
        path, sha = str(entry.get("path")), str(entry.get("sha256") or "")
        paths.add(path)
        written = int(entry.get("written") or 0)
        if not sha:
            continue
        listed.add((path, sha))
        written_by_sha.setdefault(sha, []).append((path, written))
        # a version read again (an input changed back to an earlier content): the
        # reports its first reading wrote are its duplicates now, under its own sha256
        duplicates = int(entry.get("duplicates") or 0)
        if entry.get("outcome") == "skipped":  # also a copy of an input skipped this run
            skipped.append((path, sha, written, duplicates))
            continue
        if not written <= have.get((path, sha), 0) <= written + duplicates:
            short.append(f"{path} ({have.get((path, sha), 0)} of {written})")
    for path, sha, written, duplicates in skipped:
        rows = have.get((path, sha), 0)
        elsewhere = any(have.get((p, sha), 0) == n == written
                        for p, n in written_by_sha.get(sha, ()) if p != path)
        if not written <= rows <= written + duplicates and not (rows == 0 and elsewhere):
            short.append(f"{path} ({rows} of {written})")
    if short:
        found.problems.append(
            f"{len(short)} inputs do not have the reports the manifest says they wrote:"
            f" {'; '.join(short[:_SHOWN])}{' ...' if len(short) > _SHOWN else ''}")
    unlisted = sorted({f"{path}" for path, sha in have
                       if (path, sha) not in listed and path not in paths})
    if unlisted:
        found.problems.append(
            f"table reports: rows from {len(unlisted)} inputs the manifest does not list"
            f" (e.g. {', '.join(unlisted[:_SHOWN])})")
