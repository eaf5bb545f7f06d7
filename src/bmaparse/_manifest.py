"""The manifest (``OUT/manifest.json``) and the output folder's ownership rules.

Strategy: the manifest is the last file a run writes, atomically (a temporary
in the output folder, fsync, ``os.replace``), so its presence means "a whole
run finished here". It is plain JSON a pipeline can read: one entry per input
(path, sha256, size, outcome, counts) and totals for the dataset in the folder.

A folder is *ours* when it holds a manifest with ``"tool": "bmaparse"`` or the
marker ``.bmaparse`` that a run writes before its first output file (so that a
run killed before its manifest does not lock the folder). bmaparse refuses to
write into a non-empty folder that is not ours unless told ``--force``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._discover import UsageError
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
    """The manifest in ``out`` if bmaparse wrote it, else None."""
    try:
        data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("tool") == TOOL:
        return data
    return None


def prepare_output(out: Path, *, force: bool) -> None:
    """Create ``out`` or check that bmaparse may write into it; mark it as ours.

    Raises ``UsageError`` when ``out`` is a file, or a non-empty folder that
    bmaparse did not write (unless ``force``).
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")
    if out.is_dir() and not force and any(out.iterdir()):
        ours = read_manifest(out) is not None or (out / MARKER_NAME).is_file()
        if not ours:
            raise UsageError(
                f"output folder {out} is not empty and was not written by bmaparse;"
                " choose another folder or pass --force to write into it"
            )
    out.mkdir(parents=True, exist_ok=True)
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


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest`` to ``out/manifest.json`` atomically; return its path."""
    final = out / MANIFEST_NAME
    fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=out)
    try:
        text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        # A lone surrogate (an odd file name) is written as its JSON escape: valid JSON.
        with os.fdopen(fd, "wb") as file:
            file.write(text.encode("utf-8", "backslashreplace"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return final


def merge_inputs(
    previous: Iterable[dict[str, Any]], current: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Input entries of an incremental run: the previous ones, updated by this run's.

    An input this run skipped keeps what the previous run recorded about it
    (counts, encoding), with ``outcome`` ``skipped`` and ``previous_outcome``.
    """
    merged = {entry["path"]: entry for entry in previous}
    by_sha = {entry.get("sha256"): entry for entry in merged.values() if entry.get("sha256")}
    for entry in current:
        if entry["outcome"] == "skipped" and entry.get("reason") == "already-converted":
            before = merged.get(entry["path"]) or by_sha.get(entry.get("sha256")) or {}
            kept = {k: v for k, v in before.items() if k not in ("path", "outcome")}
            kept["previous_outcome"] = before.get("previous_outcome", before.get("outcome"))
            entry = {**kept, **entry}
        merged[entry["path"]] = entry
    return sorted(merged.values(), key=lambda e: str(e["path"]))


def relative_path(out: Path, path: str | os.PathLike[str]) -> str:
    """``path`` relative to ``out`` (POSIX separators) when inside it, else as given."""
    try:
        return Path(path).resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return str(path)


def remove_stale_files(out: Path, old: Mapping[str, str], new: Mapping[str, str]) -> None:
    """Remove the outputs a previous run listed that this run did not write again
    (another format); never anything outside ``out``."""
    root = out.resolve()
    keep = {(root / p).resolve() for p in new.values()}
    for relative in old.values():
        path = (root / relative).resolve()
        if path in keep or root not in path.parents:
            continue
        with contextlib.suppress(OSError):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def build_manifest(
    *,
    run: Mapping[str, Any],
    entries: list[dict[str, Any]],
    skipped_files: Mapping[str, int],
    previous: Mapping[str, Any] | None,
    strict: bool,
    started_at: str,
    limits: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The manifest of a run. ``run`` is the run summary (``ConvertSummary.as_dict``);
    with ``previous`` (an incremental run) inputs are merged and totals added up."""
    inputs = merge_inputs(previous.get("inputs", ()), entries) if previous else entries
    rows: dict[str, int] = dict(run["rows"])
    if previous:
        before = previous.get("totals", {}).get("rows", {})
        rows = {name: n + (before.get(name, 0) if name != "projects" else 0)
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
        "run": {k: run[k] for k in _RUN_KEYS},
        "totals": {
            "inputs": len(inputs),
            "reports": rows.get("reports", 0),
            "errors": sum(1 for e in inputs
                          if "error" in (e.get("outcome"), e.get("previous_outcome"))),
            "rows": rows,
        },
        "skipped_files": dict(sorted(skipped_files.items())),
        "inputs": inputs,
    }
