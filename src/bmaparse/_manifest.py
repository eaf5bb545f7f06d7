"""The manifest (``OUT/manifest.json``) and the output folder's ownership rules.

Strategy: the manifest is the last file a run writes, into the run's staging
folder; the run's commit (``writers._atomic``) moves it into place with the
tables, last, so the tables and the manifest of one run become visible together. It is plain JSON a pipeline can read: one entry per input
(path, sha256, size, outcome, counts) and totals for the dataset in the folder.

A folder is *ours* when it holds a manifest with ``"tool": "bmaparse"`` or the
marker ``.bmaparse`` that a run writes before its first output file (so that a
run killed before its manifest does not lock the folder). bmaparse refuses to
write into a non-empty folder that is not ours unless told ``--force``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Container, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._commit import read_plain
from ._lock import LOCK_NAME
from ._read import display_path, open_regular
from .errors import UsageError
from .model import PARSER_VERSION, SCHEMA_VERSION

MANIFEST_NAME = "manifest.json"
MARKER_NAME = ".bmaparse"
TOOL = "bmaparse"
MANIFEST_VERSION = 1
_RUN_KEYS = ("inputs", "reports", "duplicates", "skipped", "errors", "rows")
_TEMP_PREFIX = ".manifest.json."
_TEMP_SUFFIX = ".tmp"


def utc_now() -> str:
    """The current time as ISO 8601 UTC, to the second (``2024-05-01T09:30:00Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest in ``out`` if bmaparse wrote it, else None (also for a link, a
    FIFO or a device planted in its place: never followed, never waited on)."""
    try:
        data = json.loads(read_plain(out / MANIFEST_NAME))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("tool") == TOOL:
        return data
    return None


_INPUTS_LINE = '  "inputs": ['
"""How the ``inputs`` list starts in a manifest bmaparse wrote (the last key)."""


def read_manifest_head(out: Path) -> dict[str, Any] | None:
    """``read_manifest`` without the ``inputs`` list, read only up to it: a run that
    replaces the output needs the files the manifest lists, not its inputs (100k
    inputs make a 34 MB manifest, ~150 MB as Python objects)."""
    head: list[str] = []
    try:
        with open_regular(out / MANIFEST_NAME, follow_links=False) as raw, io.TextIOWrapper(raw, "utf-8") as file:
            for line in file:
                if line.startswith(_INPUTS_LINE):  # "...,\n" before it: close the object there
                    head = ["".join(head).rstrip().rstrip(","), "\n}"]
                    break
                head.append(line)
        data = json.loads("".join(head))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("tool") == TOOL:
        data.pop("inputs", None)
        return data
    return None


def check_output(out: Path, *, force: bool) -> None:
    """Check that bmaparse may write into ``out``, without writing anything.

    Raises ``UsageError`` when ``out`` is a file, or a non-empty folder that
    bmaparse did not write (unless ``force``), or its path is not valid UTF-8
    (pyarrow's and DuckDB's writers open only UTF-8 paths).
    """
    where = os.path.abspath(out)
    if display_path(where) != where:
        raise UsageError(f"output folder {display_path(str(out))}: its path is not valid UTF-8"
                         " (a byte of a file name that no text encodes), which the table writers"
                         " cannot open; choose a folder whose path is UTF-8")
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")
    if out.is_dir() and not force and any(out.iterdir()):
        ours = (read_manifest_head(out) is not None or (out / MARKER_NAME).is_file()
                or (out / LOCK_NAME).is_file())  # a first run that has just begun
        if not ours:
            raise UsageError(
                f"output folder {out} is not empty and was not written by bmaparse;"
                " choose another folder or pass --force to write into it"
            )


def mark_output(out: Path) -> None:
    """Mark ``out`` (which exists) as a folder bmaparse writes."""
    try:  # O_EXCL: never follows a symbolic link planted as the marker out of ``out``
        fd = os.open(out / MARKER_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(json.dumps({"tool": TOOL}) + "\n")


def clean_manifest_temporaries(out: Path) -> None:
    """Remove manifest temporaries left by a killed run."""
    for path in out.glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            path.unlink()


def write_manifest_streaming(
    path: Path, head: Mapping[str, Any], inputs: Iterable[Mapping[str, Any]]
) -> Path:
    """Write ``head`` plus ``"inputs": [...]`` (last) to ``path`` (a staged file: the
    run's commit moves it into place), one input at a time: the same bytes as
    ``json.dumps`` of the whole document with ``indent=2``, without ever holding
    the whole list."""
    return _write_streaming(path, head, (_utf8(_entry_json(entry)) for entry in inputs))


def _write_streaming(path: Path, head: Mapping[str, Any], items: Iterable[bytes]) -> Path:
    """``write_manifest_streaming`` of entries already rendered (``_entry_json``, UTF-8)."""
    with open(path, "wb", buffering=1 << 20) as file:
        text = json.dumps(dict(head), ensure_ascii=False, indent=2)
        file.write(_utf8((text[:-2] + ",\n") if head else "{\n"))  # "...\n}" less its brace
        file.write(b'  "inputs": [')
        first = True
        for item in items:
            file.write((b"\n    " if first else b",\n    ") + item)
            first = False
        file.write(b"]\n}\n" if first else b"\n  ]\n}\n")
    return path


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (an odd file name) as its JSON escape."""
    return text.encode("utf-8", "backslashreplace")


def _entry_json(entry: Mapping[str, Any]) -> str:
    """``json.dumps(entry, ensure_ascii=False, indent=2)`` indented as an item of
    ``inputs``. An entry is a flat object, so the C encoder does it (``indent`` would
    take the pure-Python one, ~30 us an entry): the separators carry the newlines."""
    if not entry or any(isinstance(v, dict | list | tuple) for v in entry.values()):
        return json.dumps(entry, ensure_ascii=False, indent=2).replace("\n", "\n    ")
    body = json.dumps(entry, ensure_ascii=False, separators=(",\n      ", ": "))
    return "{\n      " + body[1:-1] + "\n    }"


_ITEM_SEPARATOR = ",\t"
"""Between the items of an ``EntryLog`` record. JSON escapes a tab inside a string,
so a raw tab in a record is always this separator (and a newline never occurs)."""


def _log_record(entry: Mapping[str, Any]) -> bytes:
    """One ``EntryLog`` line: ``entry`` as compact JSON whose item separators are tabs."""
    return _utf8(_LOG_ENCODER.encode(entry)) + b"\n"


_LOG_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(_ITEM_SEPARATOR, ": "))
"""``json.dumps`` with these options, made once: ``dumps`` builds an encoder per call
for any option but the defaults (a third of a record's cost)."""


def _rendered(record: bytes) -> bytes:
    """``_utf8(_entry_json(entry))`` of an ``EntryLog`` record, without decoding it: a
    flat entry's separators become the newlines and indentation of the manifest's."""
    body = record[1:-1]
    if not body or b"{" in body or b"[" in body or b"\\ud" in body:
        # empty, nested, a bracket in a text, or a lone surrogate's escape (which
        # decoding reads as half of a pair when it is followed by its other half)
        return _utf8(_entry_json(json.loads(record)))
    return b"{\n      " + body.replace(b"\t", b"\n      ") + b"\n    }"


class EntryLog:
    """A run's manifest entries, one JSON line each in a temporary file in OUT
    (a name ``clean_manifest_temporaries`` removes), so that memory does not
    grow with the number of inputs; only the count is kept. A line is close to
    the entry's text in the manifest (``_rendered``): writing the manifest of a
    run that merges nothing decodes no entry."""

    def __init__(self, out: Path) -> None:
        fd, self.path = tempfile.mkstemp(
            prefix=_TEMP_PREFIX, suffix=".entries" + _TEMP_SUFFIX, dir=out)
        self._file = os.fdopen(fd, "wb", buffering=1 << 20)
        self.count = self.errors = 0

    def append(self, entry: Mapping[str, Any]) -> None:
        """Add one input's entry."""
        self._file.write(_log_record(entry))
        self.count += 1
        self.errors += _is_error(entry)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The entries, in the order they were added."""
        for record in self._records():
            entry: dict[str, Any] = json.loads(record)
            yield entry

    def rendered(self) -> Iterator[bytes]:
        """The entries as the manifest writes them (``_entry_json``, UTF-8), in order."""
        for record in self._records():
            yield _rendered(record)

    def _records(self) -> Iterator[bytes]:
        self._file.flush()
        with open(self.path, "rb") as file:
            for line in file:
                yield line[:-1]

    def close(self) -> None:
        """Close and remove the temporary file."""
        self._file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def _updated(
    entry: dict[str, Any], same_path: dict[str, Any] | None, by_sha: Mapping[Any, dict[str, Any]]
) -> dict[str, Any]:
    """``entry``, completed from what the previous run recorded when it was skipped."""
    if entry["outcome"] == "skipped" and entry.get("reason") == "already-converted":
        sha = entry.get("sha256")
        # the path's own entry when it describes this content; else the content's
        # (a path changed into a copy of another input's content: it wrote none of
        # the content's reports, which are another input's; they are its duplicates;
        # a copy under a new name keeps the counts, verify's "elsewhere" rule)
        own = same_path if same_path and (not sha or same_path.get("sha256") == sha) else None
        before = own or by_sha.get(sha) or same_path or {}
        kept = {k: v for k, v in before.items() if k not in ("path", "outcome")}
        kept["previous_outcome"] = before.get("previous_outcome", before.get("outcome"))
        if same_path and own is None and before is not same_path and "written" in before:
            kept["duplicates"] = int(before.get("written") or 0) + int(
                before.get("duplicates") or 0)
            kept["written"] = 0
        entry = {**kept, **entry}
    return entry


def iter_merged_inputs(
    previous: Iterable[dict[str, Any]], current: Iterable[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Input entries of an incremental run, one at a time, sorted by path: the
    previous ones, updated by this run's (``current``, sorted by ``str(path)``, as a
    run's entries are: tasks are sorted by source path). An input this run skipped
    keeps what the previous run recorded about it (counts, encoding), with
    ``outcome`` ``skipped`` and ``previous_outcome``. Holds the previous entries
    (an index by path and by sha256) but never this run's."""
    merged = {entry["path"]: entry for entry in previous}
    by_sha = {entry.get("sha256"): entry for entry in merged.values() if entry.get("sha256")}
    before = sorted(merged, key=str)
    i = 0
    pending: dict[str, Any] | None = None
    for entry in current:
        path = entry["path"]
        if pending is not None and pending["path"] == path:  # the same path twice this run
            pending = _updated(entry, pending, by_sha)
            continue
        if pending is not None:
            if str(path) < str(pending["path"]):
                raise ValueError("iter_merged_inputs: this run's entries are not sorted by path")
            yield pending
        while i < len(before) and str(before[i]) < str(path):
            yield merged[before[i]]
            i += 1
        same = None
        if i < len(before) and before[i] == path:
            same = merged[before[i]]
            i += 1
        pending = _updated(entry, same, by_sha)
    if pending is not None:
        yield pending
    for key in before[i:]:
        yield merged[key]


def relative_path(out: Path, path: str | os.PathLike[str]) -> str:
    """``path`` relative to ``out`` (POSIX separators) when inside it, else as given."""
    try:
        return Path(path).resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return str(path)


def stale_outputs(out: Path, old: Mapping[str, str], new: Mapping[str, str],
                  outputs: Container[str]) -> list[str]:
    """The outputs a previous run listed (``old``: table -> path relative to ``out``)
    that this run does not write again (another format), as names directly in
    ``out``. Only names in ``outputs`` (the files a run can write) are ever one: a
    manifest is data, and must not make a run remove anything else (a path
    outside ``out``, bmaparse's lock or journal, a user's file)."""
    root = out.resolve()
    keep = {(root / p).resolve() for p in new.values()}
    stale = set()
    for relative in old.values():
        path = (root / str(relative)).resolve()
        if path not in keep and path.parent == root and path.name in outputs:
            stale.add(path.name)
    return sorted(stale)


def _is_error(entry: Mapping[str, Any]) -> bool:
    return "error" in (entry.get("outcome"), entry.get("previous_outcome"))


def manifest_head(
    *,
    run: Mapping[str, Any],
    inputs: int,
    errors: int,
    skipped_files: Mapping[str, int],
    previous: Mapping[str, Any] | None,
    strict: bool,
    started_at: str,
    limits: Mapping[str, int] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every field of a run's manifest but ``inputs`` (which comes last). ``run`` is
    the run summary (``ConvertSummary.as_dict``); ``inputs`` and ``errors`` count
    the (merged) input entries; with ``previous`` (an incremental run) row totals
    are added up: the previous totals, plus the rows this run wrote, less the rows
    of the previous output it left out (``run["replaced_rows"]``: file-level
    diagnostics of inputs read again), also listed in ``run``. ``extra`` fields
    (``shard``, ``merged_from``) come after the rest."""
    rows: dict[str, int] = dict(run["rows"])
    replaced: dict[str, int] = dict(run.get("replaced_rows") or {})
    if previous:
        before = previous.get("totals", {}).get("rows", {})
        rows = {name: n + (before.get(name, 0) - replaced.get(name, 0)
                           if name not in REWRITTEN else 0)
                for name, n in rows.items()}
    return {
        "tool": TOOL,
        "manifest_version": MANIFEST_VERSION,
        "parser_version": PARSER_VERSION,
        "schema_version": SCHEMA_VERSION,
        "format": run["format"],
        "jobs": run["jobs"],
        "strict": strict,
        "limits": dict(limits or {}),
        "incremental": previous is not None,
        "started_at": started_at,
        "finished_at": utc_now(),
        "seconds": run["seconds"],
        "files": run["files"],
        "run": {k: run[k] for k in _RUN_KEYS} | ({"replaced_rows": replaced} if replaced else {}),
        "totals": {
            "inputs": inputs,
            "reports": rows.get("reports", 0),
            "errors": errors,
            "rows": rows,
        },
        "skipped_files": dict(sorted(skipped_files.items())),
        **(extra or {}),
    }


REWRITTEN = ("projects", "progress_history", "project_budget", "kpi_results", "findings")
"""Tables every run writes whole, incremental or not (``projects`` and
``tables.ANALYSIS_TABLES``): their rows are this run's, never added to the last's."""


def write_run_manifest(
    path: Path,
    entries: EntryLog,
    *,
    run: Mapping[str, Any],
    skipped_files: Mapping[str, int],
    previous: Mapping[str, Any] | None,
    strict: bool,
    started_at: str,
    limits: Mapping[str, int] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write to ``path`` (a staged file) the manifest of a run whose entries are in
    ``entries`` (this run's, in source-path order), streaming them; with ``previous``
    (an incremental run) they are merged with its inputs first
    (``iter_merged_inputs``, into a second log beside ``path``). The document is
    what ``json.dumps(manifest, indent=2)`` of it whole would give."""
    log = entries
    try:
        if previous is not None:
            log = EntryLog(path.parent)
            for entry in iter_merged_inputs(previous.get("inputs", ()), entries):
                log.append(entry)
        head = manifest_head(run=run, inputs=log.count, errors=log.errors,
                             skipped_files=skipped_files, previous=previous, strict=strict,
                             started_at=started_at, limits=limits, extra=extra)
        return _write_streaming(path, head, log.rendered())
    finally:
        if log is not entries:
            log.close()
