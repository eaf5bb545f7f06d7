"""The Delta Lake target: a converted folder into one Delta table per table (``delta:PATH``).

Strategy: ``PATH/<table>`` is a Delta table for every table of ``LOAD_ORDER`` and
``PATH/bmaparse_loads`` records the loads, written with the ``deltalake`` package (no
Spark). Delta has no transaction across tables: each table gets one commit, in
``LOAD_ORDER`` (``reports`` last), then the ``bmaparse_loads`` row. A reader that takes
its report keys from ``reports`` never sees a half-loaded report; a load killed midway
leaves the tables before it with the new rows (their commits are whole) and the rest as
they were, and the next load of the same folder completes it: a table whose latest
commit carries this folder's id (``bmaparse.folder_id`` in the commit's metadata) is
skipped, the others are replaced again, which changes nothing a second time. Every
commit also carries the load's own id (``bmaparse.load_id``): a table whose latest
commit is a load's that ``bmaparse_loads`` never recorded is not what the latest
recorded folder left, so loading that folder again is not "unchanged": it is loaded.

First the reading: the latest ``bmaparse_loads`` row and every live table's schema,
checked by ``_schema.check`` before anything is written; a folder that is the latest
load ends there, nothing written, the versions unmoved. Then per table: a missing table
is created with the folder's Arrow schema (Delta keeps int8 as ``byte``, int16 as
``short``, decimals, dates, ``NOT NULL`` and the field metadata; ``description`` and
``label_th`` also become the column's ``comment``, which Spark and Databricks show); an
existing one gets one ``MERGE``: source rows matched on the row key (null-safe: ``IS NOT
DISTINCT FROM`` for nullable key columns) update, the others insert, and target rows
the source does not match are deleted when ``REPLACED_BY`` says the folder replaces
them (an ``IN`` list of the folder's report, project or KPI keys). ``findings`` is
overwritten whole. Delta has no primary key: uniqueness holds because every load
deletes what it replaces.

``PATH`` must be missing, empty, or hold only bmaparse's tables (its Delta tables, named
by it): anything else is refused. A local ``PATH`` is locked (``PATH/.bmaparse.lock``)
for the load: a second load waits for nothing, it is refused. An object store URL
(``s3://``, ``abfss://``, ``gs://``) is passed to ``deltalake`` as it is (credentials
from the environment, as ``deltalake`` reads them); it gets Delta's own optimistic
concurrency (a conflicting commit fails the load) and no folder check.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from .._lock import OutputLock
from ..errors import LoadError, OutputBusyError
from ..tables import TABLE_KEYS
from . import _schema
from ._spec import LOAD_ORDER, LOADS_TABLE, REPLACED_BY, Incoming, LoadSummary, TableLoad

fault_hook: Callable[[str], None] | None = None
"""Tests only: called with each step's name (``checked``, ``table:NAME`` after each
table's commit, ``loads`` after the ``bmaparse_loads`` commit), to stop a load there."""

FOLDER_ID = "bmaparse.folder_id"
"""The commit metadata key holding the loaded folder's id (every commit a load makes)."""
LOAD_ID = "bmaparse.load_id"
"""The commit metadata key naming the load (a random id) that made the commit; a load
is finished when its id is on a commit of ``bmaparse_loads``."""

_TABLES = (*LOAD_ORDER, LOADS_TABLE)


def load(location: str, incoming: Incoming) -> LoadSummary:
    """Load ``incoming`` into the Delta tables under ``location`` (created when missing);
    see the module docstring. LoadError (one line) when the location is not bmaparse's,
    its tables cannot take this folder, or a table cannot be read or written."""
    target = f"delta:{location}"
    remote = "://" in location
    root = Path(location).expanduser()
    if not remote:
        _check_folder(root, target)
        root.mkdir(parents=True, exist_ok=True)
    with _errors(target), _locked(root, target, remote):
        return _load(location.rstrip("/") if remote else os.fspath(root), incoming, target)


def _load(root: str, incoming: Incoming, target: str) -> LoadSummary:
    live = {name: _open(f"{root}/{name}", name, target) for name in _TABLES}
    latest = _latest_load(live[LOADS_TABLE])
    added: dict[str, list[str]] = {}
    for name, table in live.items():
        if table is None:
            continue
        live_columns = [(f.name, f.type) for f in _arrow_schema(table)]
        try:
            added[name] = _schema.check(name, live_columns, latest[1] if latest else None,
                                        incoming.schema_version)
        except LoadError as exc:
            raise LoadError(f"{target}: {exc}") from None
    _step("checked")
    if (latest is not None and latest[0] == incoming.folder_id
            and not _unfinished(live)):
        return LoadSummary(target=target, unchanged=True)
    commit = CommitProperties(custom_metadata={FOLDER_ID: incoming.folder_id,
                                               LOAD_ID: uuid.uuid4().hex})
    evolved = []
    for name, columns in added.items():
        table = live[name]
        if columns and table is not None:
            schema = _schema.schema_of(name)
            fields = [_commented(schema.field(c)) for c in columns]
            # not marked with the folder's id: that mark says the table's rows are done
            table.alter.add_columns([_delta_field(f) for f in fields])
            evolved += [f"{name}.{c}" for c in columns]
    tables: dict[str, TableLoad] = {}
    for name in LOAD_ORDER:
        path = f"{root}/{name}"
        table = live[name]
        if table is not None and _last_folder(table) == incoming.folder_id:
            tables[name] = TableLoad(deleted=0, inserted=0)  # done by a load killed later on
        else:
            tables[name] = _replace(path, name, table, incoming, commit)
        _step(f"table:{name}")
    _record(f"{root}/{LOADS_TABLE}", live[LOADS_TABLE], incoming, commit)
    _step("loads")
    return LoadSummary(target=target, unchanged=False, tables=tables, evolved=tuple(evolved))


def _replace(path: str, name: str, table: DeltaTable | None, incoming: Incoming,
             commit: CommitProperties) -> TableLoad:
    """One commit: the rows of ``name`` this folder replaces deleted, its rows inserted."""
    rows = _with_comments(incoming.tables[name])
    if table is None:
        _create(path, name, rows, commit)
        return TableLoad(deleted=0, inserted=rows.num_rows)
    how = REPLACED_BY[name]
    if how == "whole":
        before = table.count()
        write_deltalake(table, rows, mode="overwrite", commit_properties=commit)
        return TableLoad(deleted=before, inserted=rows.num_rows)
    replaced = _replaced(table, name, how, incoming)
    if rows.num_rows == 0 and replaced is None:
        return TableLoad(deleted=0, inserted=0)
    schema = _schema.schema_of(name)
    on = " AND ".join(
        f"t.{_q(c)} = s.{_q(c)}" if not schema.field(c).nullable
        else f"(t.{_q(c)} IS NOT DISTINCT FROM s.{_q(c)})" for c in TABLE_KEYS[name])
    merge = (table.merge(rows, predicate=on, source_alias="s", target_alias="t",
                         commit_properties=commit)
             .when_matched_update_all().when_not_matched_insert_all())
    if replaced is not None:
        merge = merge.when_not_matched_by_source_delete(predicate=replaced)
    metrics = merge.execute()
    updated = int(metrics.get("num_target_rows_updated", 0))
    return TableLoad(deleted=updated + int(metrics.get("num_target_rows_deleted", 0)),
                     inserted=updated + int(metrics.get("num_target_rows_inserted", 0)))


def _replaced(table: DeltaTable, name: str, how: str, incoming: Incoming) -> str | None:
    """The predicate (alias ``t``) on the live rows the merge's source does not match
    that this folder replaces; None: there are none. Only the groups (reports, projects,
    KPIs, files) that hold such a row are named, found by reading the live table's key
    columns: a later convert that replaces thousands of reports row for row names none,
    and the merge's predicate stays short (an ``IN`` list of every key costs ~0.4 s a
    table to plan at 20,000 reports)."""
    group = {"report": "report_key", "diagnostics": "report_key", "project": "project_id",
             "kpi": "kpi_key"}[how]
    keys = list(TABLE_KEYS[name])
    wanted = [*keys, *([] if how != "diagnostics" else ["source_path"])]
    live = table.to_pyarrow_table(columns=list(dict.fromkeys(wanted)))
    if live.num_rows == 0:
        return None
    source = {"report": ("reports", "report_key"), "diagnostics": ("reports", "report_key"),
              "project": ("projects", "project_id"), "kpi": ("kpi_results", "kpi_key")}[how]
    replaced: Any = pc.is_in(live[group], value_set=incoming.tables[source[0]][source[1]])
    if how == "diagnostics":
        paths = pa.array(sorted(incoming.source_paths), pa.string())
        files = pc.and_(pc.is_null(live["report_key"]), pc.is_in(live["source_path"], paths))
        replaced = pc.or_(pc.fill_null(replaced, False), files)
    doomed = _unmatched(live.filter(pc.fill_null(replaced, False)),
                        incoming.tables[name].select(keys), keys)
    if doomed.num_rows == 0:
        return None
    parts = []
    reports = [v for v in pc.unique(doomed[group]).to_pylist() if v is not None]
    if reports:
        parts.append(f"t.{group} IN ({', '.join(_lit(str(v)) for v in sorted(reports))})")
    if how == "diagnostics":
        orphans = doomed.filter(pc.is_null(doomed["report_key"]))
        files_left = sorted({str(v) for v in orphans["source_path"].to_pylist()})
        if files_left:
            parts.append("(t.report_key IS NULL AND t.source_path IN "
                         f"({', '.join(map(_lit, files_left))}))")
    return " OR ".join(f"({p})" for p in parts)


def _unmatched(live: pa.Table, source: pa.Table, keys: list[str]) -> pa.Table:
    """The rows of ``live`` whose row key (null equal to null) no row of ``source`` has."""
    def keyed(data: pa.Table) -> pa.Table:
        columns: dict[str, Any] = {}
        for key in keys:  # a null as (filler, True): joins never match nulls
            column = data[key]
            columns[f"{key}.v"] = pc.fill_null(column, _filler(column.type))
            columns[f"{key}.n"] = pc.is_null(column)
        return pa.table(columns)
    names = [n for k in keys for n in (f"{k}.v", f"{k}.n")]
    marked = keyed(live).append_column("_row", pa.array(range(live.num_rows), pa.int64()))
    left = marked.join(keyed(source), keys=names, join_type="left anti")
    return live.take(left["_row"])


def _filler(typ: pa.DataType) -> Any:
    return "" if pa.types.is_string(typ) or pa.types.is_large_string(typ) else 0


def _create(path: str, name: str, rows: pa.Table, commit: CommitProperties) -> None:
    description = (_schema.schema_of(name).metadata or {}).get(b"description", b"").decode()
    write_deltalake(path, rows, mode="error", name=name, description=description or None,
                    commit_properties=commit)


def _record(path: str, table: DeltaTable | None, incoming: Incoming,
            commit: CommitProperties) -> None:
    """Append this load's row to ``bmaparse_loads`` (creating it)."""
    schema = _schema.LOADS_SCHEMA
    row = pa.table({
        "folder_id": [incoming.folder_id], "source": [incoming.source],
        "schema_version": [incoming.schema_version],
        "parser_version": [incoming.parser_version],
        "loaded_at": pa.array([datetime.now(timezone.utc)], pa.timestamp("us", tz="UTC")),
        "reports": pa.array([incoming.tables["reports"].num_rows], pa.int64()),
        "rows": pa.array([sum(t.num_rows for t in incoming.tables.values())], pa.int64()),
    }).cast(schema)
    row = _with_comments(row)
    if table is None:
        _create(path, LOADS_TABLE, row, commit)
    else:
        write_deltalake(table, row, mode="append", commit_properties=commit)


def _latest_load(table: DeltaTable | None) -> tuple[str, str] | None:
    """(folder_id, schema_version) of the latest recorded load, None when there is none."""
    if table is None:
        return None
    names = _arrow_schema(table).names
    if not {"folder_id", "schema_version", "loaded_at"} <= set(names):
        return None  # a table altered by hand: the schema check says how
    data = table.to_pyarrow_table(columns=["folder_id", "schema_version", "loaded_at"])
    if data.num_rows == 0:
        return None
    last = int(pc.index(data["loaded_at"], pc.max(data["loaded_at"])).as_py())
    return str(data["folder_id"][last].as_py()), str(data["schema_version"][last].as_py())


def _unfinished(live: dict[str, DeltaTable | None]) -> bool:
    """Whether a table's latest commit is a load's that ``bmaparse_loads`` never recorded
    (a load killed midway): the folder recorded last is then not what the tables hold."""
    loads = live[LOADS_TABLE]
    if loads is None:
        return False
    finished = {str(commit[LOAD_ID]) for commit in loads.history() if LOAD_ID in commit}
    for name in LOAD_ORDER:
        table = live[name]
        history = table.history(1) if table is not None else []
        mark = history[0].get(LOAD_ID) if history else None
        if mark is not None and str(mark) not in finished:
            return True
    return False


def _last_folder(table: DeltaTable) -> str | None:
    """The folder id of the table's latest commit (None: not a load's)."""
    history = table.history(1)
    value = history[0].get(FOLDER_ID) if history else None
    return str(value) if value is not None else None


def _open(path: str, name: str, target: str) -> DeltaTable | None:
    """The live Delta table at ``path`` (None: none); a Delta table named otherwise
    (bmaparse names its tables) is refused; one without a name is left to the schema
    check."""
    try:
        table = DeltaTable(path)
    except TableNotFoundError:
        return None
    named = table.metadata().name
    if named is not None and named != name:  # a rewrite by hand may drop the name
        raise LoadError(f"{target}: {path} is a Delta table bmaparse did not write (it is "
                        f"named {named}, not {name}): load into another path, or remove it")
    return table


def _check_folder(root: Path, target: str) -> None:
    """A local PATH is missing, empty, or bmaparse's: only its tables, each a Delta table."""
    if not root.exists():
        return
    if not root.is_dir():
        raise LoadError(f"{target}: {root} is not a folder: name a folder for the Delta tables")
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.name not in _TABLES or not (entry / "_delta_log").is_dir():
            raise LoadError(f"{target}: {root} holds {entry.name}, which is not one of "
                            "bmaparse's Delta tables: name an empty or new folder")


@contextlib.contextmanager
def _locked(root: Path, target: str, remote: bool) -> Iterator[None]:
    if remote:
        yield
        return
    lock = OutputLock(root, "load")
    try:
        lock.acquire()
    except OutputBusyError as exc:  # "output folder PATH is in use by ...": a Delta folder here
        raise LoadError(f"{target}: {str(exc).replace('output folder', 'the Delta folder', 1)}"
                        ) from None
    try:
        yield
    finally:
        lock.release()


def _with_comments(rows: pa.Table) -> pa.Table:
    """``rows`` with each field's description (and Thai label) also as its Delta
    ``comment``, the column comment Spark and Databricks show."""
    meta: dict[bytes | str, bytes | str] = {}
    meta.update((rows.schema.metadata or {}).items())
    return rows.cast(pa.schema([_commented(f) for f in rows.schema], metadata=meta))


def _commented(field: pa.Field[Any]) -> pa.Field[Any]:
    meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
    if "description" not in meta:
        return field
    comment = meta["description"] + (f" [{meta['label_th']}]" if "label_th" in meta else "")
    kept: dict[bytes | str, bytes | str] = {}
    kept.update(meta.items())
    kept["comment"] = comment
    return field.with_metadata(kept)


def _arrow_schema(table: DeltaTable) -> pa.Schema:
    """The live table's schema as a pyarrow schema (deltalake hands an arro3 one)."""
    exported: Any = table.schema().to_arrow()
    return pa.schema(exported)


def _delta_field(field: pa.Field[Any]) -> Any:
    from deltalake import Field

    return Field.from_arrow(field)


@contextlib.contextmanager
def _errors(target: str) -> Iterator[None]:
    """deltalake's errors (and the file system's) as one-line ``LoadError``s."""
    try:
        yield
    except (DeltaError, OSError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise LoadError(f"{target}: the load failed: {detail}") from None


def _step(name: str) -> None:
    if fault_hook is not None:
        fault_hook(name)


def _q(name: str) -> str:
    return name  # bmaparse's column names are plain lower-case identifiers


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
