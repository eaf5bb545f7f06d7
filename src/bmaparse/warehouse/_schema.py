"""The schema check every warehouse target makes before it writes a table.

Strategy: a target reads the columns of the live table (name, and the Arrow type its
column type stands for, or None when it has none) and the schema version of its latest
load, and calls ``check``; the rules are the same whatever the target:

- a folder written with an older schema version than the warehouse's latest load is
  refused (a newer one may evolve the tables);
- a column of ``SCHEMAS`` the live table lacks is added when the folder's schema version
  is newer than the warehouse's latest load and the column is nullable and not a key
  column (the target runs ALTER TABLE ... ADD COLUMN for each name returned, and reports
  it in ``LoadSummary.evolved``); otherwise (a column dropped by hand, a key or NOT NULL
  column) the load is refused;
- a live column with another type, or one ``SCHEMAS`` does not have, is refused.

A refusal is a ``LoadError`` whose one line names the table, the column, both types and
what to do; it is raised before the target writes anything. The messages do not name
the target: ``load_into`` puts it in front.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from ..errors import LoadError
from ..tables import SCHEMAS, TABLE_KEYS
from ._spec import LOADS_TABLE

_LOADS_FIELDS: list[pa.Field[Any]] = [
    pa.field("folder_id", pa.string(), False,
             metadata={"description": "sha256 of the loaded folder's manifest.json."}),
    pa.field("source", pa.string(), False,
             metadata={"description": "The folder, as the load named it."}),
    pa.field("schema_version", pa.string(), False,
             metadata={"description": "Schema version of the folder's tables."}),
    pa.field("parser_version", pa.string(), False,
             metadata={"description": "bmaparse version that converted the folder."}),
    pa.field("loaded_at", pa.timestamp("us", tz="UTC"), False,
             metadata={"description": "When the load committed (UTC)."}),
    pa.field("reports", pa.int64(), False,
             metadata={"description": "Rows of reports in the folder."}),
    pa.field("rows", pa.int64(), False,
             metadata={"description": "Rows of every table in the folder."}),
]
LOADS_SCHEMA = pa.schema(_LOADS_FIELDS, metadata={"table": LOADS_TABLE,
             "description": "The loads into this warehouse that changed something, one row "
                            "each; a load whose folder_id is the latest changes nothing."})
"""The columns of ``bmaparse_loads``, the target's record of its loads (``_spec.LOADS_TABLE``)."""

_WHAT_TO_DO = ("restore the column as bmaparse made it, load into a new database or schema, "
               "or drop the bmaparse tables and load again")

Live = tuple[str, "pa.DataType | None"] | tuple[str, "pa.DataType | None", str]
"""A live column: its name, the Arrow type its type stands for (None: none does), and
optionally the type as the target names it (shown in messages)."""


def schema_of(table: str) -> pa.Schema:
    """The declared schema of ``table``: one of ``SCHEMAS``, or ``LOADS_SCHEMA``."""
    if table == LOADS_TABLE:
        return LOADS_SCHEMA
    return SCHEMAS[table]


def version_key(version: str) -> tuple[int, ...]:
    """A schema version as a sortable key (``"3"`` < ``"4"`` < ``"10"``; ``"3.1"`` > ``"3"``);
    LoadError for a version that is not dotted whole numbers."""
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        raise LoadError(f"schema version {version!r} is not a version bmaparse writes") from None


def check_versions(warehouse_version: str | None, folder_version: str) -> None:
    """Refuse a folder older than the warehouse's latest load (None: no load yet)."""
    if warehouse_version is None:
        return
    if version_key(folder_version) < version_key(warehouse_version):
        raise LoadError(
            f"the warehouse was loaded with schema version {warehouse_version}; this folder "
            f"has {folder_version}: convert it again with this bmaparse (or a newer one) "
            "and load that folder")


def _same(left: pa.DataType, right: pa.DataType) -> bool:
    return _plain(left) == _plain(right)


def _plain(typ: pa.DataType) -> pa.DataType:
    """The type with its storage variants folded: large or view strings are strings."""
    if pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return pa.string()
    if pa.types.is_large_binary(typ) or pa.types.is_binary_view(typ):
        return pa.binary()
    return typ


def check(table: str, live: Sequence[Live], warehouse_version: str | None,
          folder_version: str, *,
          stored_as: Callable[[pa.DataType], pa.DataType] | None = None,
          type_name: Callable[[pa.Field[Any]], str] | None = None) -> list[str]:
    """The columns to add to the live ``table`` (in schema order) before this folder's
    rows go in; LoadError when the table cannot take them (see the module docstring).

    ``live``: the table's columns as the target has them, ``(name, arrow type or None)``
    or ``(name, arrow type or None, the target's name of the type)``.
    ``warehouse_version``: the schema version of the target's latest load (None: none;
    then a live table must have every column: nothing says it is older).
    ``folder_version``: the folder's schema version.
    ``stored_as``: the Arrow type the target's column reads back as, for a column
    declared with a given Arrow type, when the two differ (PostgreSQL has no one-byte
    integer: int8 columns are smallint, read back as int16). Default: the same type.
    ``type_name``: the target's name of the type it makes for a declared field (shown in
    messages beside the live one). Default: the Arrow type.
    """
    check_versions(warehouse_version, folder_version)
    declared = schema_of(table)
    keys = set(TABLE_KEYS.get(table, ()))
    if table == LOADS_TABLE:
        keys = {"folder_id"}
    have: dict[str, tuple[pa.DataType | None, str]] = {}
    for column in live:
        name, typ = column[0], column[1]
        shown = column[2] if len(column) > 2 else str(typ) if typ is not None else "unknown"
        have[name] = (typ, shown)
    for name, (typ, shown) in have.items():
        if name not in declared.names:
            raise LoadError(
                f"table {table} has a column {name} ({shown}) that bmaparse does not write "
                f"(schema version {folder_version}): drop that column (keep your own columns "
                "in another table or a view), load into a new database or schema, or drop "
                "the bmaparse tables and load again")
        want = declared.field(name).type
        expected = stored_as(want) if stored_as is not None else want
        if typ is None or not _same(typ, expected):
            raise LoadError(
                f"table {table}, column {name}: the table has {shown}, bmaparse writes "
                f"{_shown(declared.field(name), expected, type_name)}: {_WHAT_TO_DO}")
    newer = warehouse_version is not None and (
        version_key(folder_version) > version_key(warehouse_version))
    added = []
    for field in declared:
        if field.name in have:
            continue
        if newer and field.nullable and field.name not in keys:
            added.append(field.name)
            continue
        role = ("key column" if field.name in keys else "NOT NULL column" if not field.nullable
                else "column")
        why = ("which bmaparse does not add to an existing table" if newer else
               f"which schema version {folder_version} has (dropped by hand?)")
        raise LoadError(
            f"table {table} lacks the {role} {field.name} "
            f"({_shown(field, field.type, type_name)}), {why}: {_WHAT_TO_DO}")
    return added


def _shown(field: pa.Field[Any], stored: pa.DataType,
           type_name: Callable[[pa.Field[Any]], str] | None) -> str:
    if type_name is not None:
        return type_name(field)
    return str(stored) if field.type == stored else f"{stored} (declared {field.type})"
