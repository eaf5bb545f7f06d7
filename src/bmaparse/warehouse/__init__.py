"""Warehouse loads: a converted folder into PostgreSQL, Delta Lake or DuckDB.

>>> summary = bmaparse.load_into("out/", "postgresql://etl@db.example/bma")
>>> summary.unchanged, summary.tables["reports"].inserted

Strategy: ``load_into`` checks the folder (it must be one ``bmaparse convert`` wrote,
and ``verify`` must find it consistent), reads every table of ``SCHEMAS`` from it in
whatever format convert wrote, and hands them as one ``Incoming`` to the target's
module, picked by the target's prefix and imported only then (so a missing driver is
one line naming the extra to install). What a load does is in ``_spec``; the schema
check every target makes is ``_schema.check``. The folder is read without its lock (loads
into several targets may read it at once), and refused if a convert commits while it is
read. Passwords are masked in every
message and in the summary. Errors: ``UsageError`` for a target that is not one of the
forms below or a folder that does not exist; ``LoadError`` (one line, naming the
target) for everything else; the target keeps its previous state.

Targets: ``postgresql://...`` or ``postgres://...`` (a libpq URL), ``delta:PATH``,
``duckdb:PATH``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa

from ..errors import LoadError, OutputError, UsageError
from ._spec import LOAD_ORDER, LOADS_TABLE, REPLACED_BY, Incoming, LoadSummary, TableLoad

__all__ = ("LOADS_TABLE", "LOAD_ORDER", "REPLACED_BY", "Incoming", "LoadSummary", "TableLoad",
           "load_into", "mask_password")

_BACKENDS: dict[str, tuple[str, str, str]] = {
    "postgresql": ("_postgres", "psycopg", "postgres"),
    "postgres": ("_postgres", "psycopg", "postgres"),
    "delta": ("_delta", "deltalake", "delta"),
    "duckdb": ("_duckdb", "duckdb", "duckdb"),
}
"""Target prefix -> (module, the driver it imports, the extra that installs it)."""

_FORMS = "postgresql://..., delta:PATH or duckdb:PATH"


def load_into(folder: str | os.PathLike[str], target: str, *,
              progress: bool = False) -> LoadSummary:
    """Load the converted ``folder`` into ``target`` and say what changed.

    Idempotent: loading the same folder again changes nothing (``unchanged=True``);
    loading a later convert replaces each of its reports whole (the report's row and
    all its child rows) and the tables computed per project, per KPI or over the whole
    folder, and inserts the rest (``_spec.REPLACED_BY``). ``target``:
    ``postgresql://user:password@host:port/database`` (``postgres://`` too; libpq
    parameters in the query, and ``schema=NAME`` for a schema other than ``public``),
    ``delta:PATH`` or ``duckdb:PATH``. ``progress`` prints a line per step on stderr.

    Raises ``UsageError`` (an unknown kind of target, a folder that does not exist) or
    ``LoadError`` (one line: the folder is not consistent, the driver is missing, the
    target cannot be reached or refuses, a table altered by hand): nothing is written.
    """
    started = time.perf_counter()
    masked = mask_password(target)
    kind, location = _parse_target(target)
    module_name, driver, extra = _BACKENDS[kind]
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"{os.fspath(folder)}: no such folder (a folder written by bmaparse convert)")
    try:
        module = importlib.import_module(f".{module_name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != driver:
            raise
        raise LoadError(f"loading into {masked} needs {driver}: "
                        f"pip install 'bmaparse[{extra}]'") from None
    _say(progress, f"bmaparse: reading {os.fspath(folder)}")
    incoming = read_folder(root, source=os.fspath(folder))
    _say(progress, f"bmaparse: loading into {masked}")
    try:
        summary: LoadSummary = module.load(location, incoming)
    except LoadError as exc:
        raise LoadError(_masked_message(str(exc), target, masked)) from None
    except OutputError as exc:  # a backend's own OutputError: same rule
        raise LoadError(_masked_message(str(exc), target, masked)) from None
    return replace(summary, target=masked, seconds=round(time.perf_counter() - started, 3))


def read_folder(root: Path, *, source: str) -> Incoming:
    """The tables of the converted folder ``root``, typed by ``SCHEMAS``, and who it is;
    LoadError when it is not a consistent folder of this bmaparse's schema version.

    Read without the folder's lock, so that loads of one folder into several targets can
    run at once: a commit left unfinished is finished first (as ``verify`` does, under the
    lock), and a folder whose manifest changed while it was read (a convert committed) or
    that a convert is committing is refused, never read half old, half new."""
    from .._commit import JOURNAL_NAME
    from .._manifest import MANIFEST_NAME
    from .._verify import Verification, _verify_locked, verify
    from ..errors import OutputBusyError
    from ..model import SCHEMA_VERSION

    busy = (f"{source}: a convert is writing this folder: load it when the convert has "
            "finished")
    if (root / JOURNAL_NAME).exists():
        try:
            verify(root)  # finishes or undoes the interrupted commit, under the lock
        except OutputBusyError:
            raise LoadError(busy) from None
    try:
        manifest_bytes = (root / MANIFEST_NAME).read_bytes()
    except OSError:
        manifest_bytes = b""
    found = Verification(root)
    _verify_locked(root, found)
    if not found.ok:
        more = len(found.problems) - 1
        raise LoadError(
            f"{source}: not a consistent bmaparse folder ({found.problems[0]}"
            f"{f'; {more} more problems' if more else ''}): run bmaparse verify {source},"
            " convert again, and load that folder")
    manifest = json.loads(manifest_bytes)
    version = str(manifest.get("schema_version"))
    if version != SCHEMA_VERSION:
        raise LoadError(
            f"{source}: written with schema version {version}; this bmaparse reads "
            f"{SCHEMA_VERSION}: convert it again with this bmaparse and load that folder")
    shard = manifest.get("shard")
    if isinstance(shard, dict) and shard.get("complete") is not True:
        which = (f"shard {shard.get('index')}/{shard.get('count')}" if "index" in shard else
                 f"a partial merge of shards {shard.get('indexes')} of {shard.get('count')}")
        raise LoadError(
            f"{source} is {which} of a convert --shard run: its projects, analysis tables and"
            " findings cover only its own inputs, and a load replaces the warehouse's by"
            " them: bmaparse merge every shard and load the merged folder")
    tables = _read_tables(root, str(manifest.get("format")), source)
    try:
        unchanged = (root / MANIFEST_NAME).read_bytes() == manifest_bytes
    except OSError:
        unchanged = False
    if not unchanged or (root / JOURNAL_NAME).exists():
        raise LoadError(busy)
    paths = frozenset(str(entry["path"]) for entry in manifest.get("inputs", ())
                      if isinstance(entry, dict) and entry.get("path") is not None)
    return Incoming(tables=tables, folder_id=hashlib.sha256(manifest_bytes).hexdigest(),
                    source=source, schema_version=version,
                    parser_version=str(manifest.get("parser_version")), source_paths=paths)


def _read_tables(root: Path, fmt: str, source: str) -> dict[str, pa.Table]:
    from .. import writers
    from ..tables import SCHEMAS

    tables: dict[str, pa.Table] = {}
    for name, schema in SCHEMAS.items():
        try:
            table = writers.read_existing(fmt, root, name, schema)
        except Exception as exc:  # a damaged file: any reader's error, in one line
            raise LoadError(f"{source}: table {name} cannot be read: "
                            f"{' '.join(str(exc).split())[:200]}") from None
        if table is None:
            raise LoadError(f"{source}: table {name} is missing: convert again")
        tables[name] = table.combine_chunks()
    return tables


def _parse_target(target: str) -> tuple[str, str]:
    """(backend kind, location): the full URL for PostgreSQL, the path for the others."""
    head, sep, rest = target.partition(":")
    kind = head.lower()
    if not sep or kind not in _BACKENDS:
        raise UsageError(f"unknown target {mask_password(target)!r}: expected {_FORMS}")
    if kind in ("postgresql", "postgres"):
        if not rest.startswith("//"):
            raise UsageError(f"unknown target {mask_password(target)!r}: expected {_FORMS}")
        try:
            urlsplit(target)
        except ValueError as exc:  # "Invalid IPv6 URL"
            raise UsageError(f"not a PostgreSQL URL: {mask_password(target)!r} ({exc})") from None
        return kind, target
    if not rest:
        raise UsageError(f"target {target!r} names no path: expected {_FORMS}")
    return kind, rest


def mask_password(target: str) -> str:
    """``target`` with its password (in the URL's user part or a ``password=`` query
    parameter) replaced by ``***``; anything else unchanged."""
    try:
        parts = urlsplit(target)
    except ValueError:  # (an unclosed "[" of an IPv6 host): mask what looks like a password
        masked = re.sub(r"(//[^/?#@:]*:)[^/?#]*@", r"\1***@", target, count=1)
        return re.sub(r"([?&]password=)[^&#]*", r"\1***", masked)
    masked = target
    if parts.password:
        userinfo, _, _ = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        masked = masked.replace(f"//{userinfo}@", f"//{user}:***@", 1)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "password" and value:
            masked = masked.replace(f"password={_quoted_in(target, value)}", "password=***")
    return masked


def _quoted_in(target: str, value: str) -> str:
    """How ``value`` (a decoded query value) is written in ``target``."""
    from urllib.parse import quote, quote_plus

    for form in (value, quote(value, safe=""), quote_plus(value)):
        if f"password={form}" in target:
            return form
    return value


def _masked_message(message: str, target: str, masked: str) -> str:
    """A backend's message with the password masked and the target named in front."""
    parts = urlsplit(target) if "://" in target else None
    out = message.replace(target, masked)
    secrets = [parts.password] if parts is not None and parts.password else []
    if parts is not None:
        secrets += [v for k, v in parse_qsl(parts.query) if k == "password" and v]
    for secret in secrets:
        if len(secret) >= 3:
            out = out.replace(secret, "***")
    out = " ".join(out.split())
    return out if out.startswith(masked) else f"{masked}: {out}"


def _say(progress: bool, line: str) -> None:
    if progress:
        print(line, file=sys.stderr)
