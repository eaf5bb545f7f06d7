"""Atomic output: one staging folder per run and a commit journal.

Strategy: a run writes every file it makes (all tables, ``projects``, the
manifest) into one staging folder inside the output folder,
``OUT/.bmaparse-tmp-<pid>-<random>/``, so that temporary names are obviously
temporary and a rename into place never crosses a file system. Sinks opened on
a shared ``Staging`` only *stage* their files on ``close()``; the run then calls
``Staging.commit()`` once, which makes the whole set visible together:

1. every staged file is fsynced;
2. the journal ``OUT/.bmaparse-commit.json`` is written (a temporary, fsync,
   rename, fsync of the folder): it names the staging folder, the files to move
   into place (the manifest last) and the old files to remove. Its rename is the
   commit point: before it the folder is the previous run's, after it the new
   run's, whatever stops the process;
3. each staged file is ``os.replace``d over its final name, the old files are
   removed, the folder is fsynced, the journal is removed, the staging folder too.

``recover(OUT)`` finishes a commit that was stopped between 2 and 3 (rolls it
forward: the journal and the staged files are all there) and removes what a
run stopped before 2 left (rolls it back: its staging folder, nothing else was
touched). Every command that writes or checks a folder runs it first, holding
the folder's lock (``bmaparse._lock``), so no live run's files are ever touched.
A sink opened without a ``Staging`` makes its own and commits it on ``close()``.
No pyarrow here: the command line and ``verify`` load this module cheaply.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

TMP_PREFIX = ".bmaparse-tmp-"
_TMP_NAME = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")
JOURNAL_NAME = ".bmaparse-commit.json"
_JOURNAL_TEMP = JOURNAL_NAME + ".tmp"

fault_hook: Callable[[str], None] | None = None
"""Called with the name of each step of a commit (``staged``, ``journal``,
``replaced <name>``, ``removed <name>``, ``committed``) and of a recovery
(``recovered``); the fault-injection tests set it to stop the process there."""


def _step(name: str) -> None:
    if fault_hook is not None:
        fault_hook(name)


class Staging:
    """A private folder inside ``out_dir`` whose files become final together at ``commit``."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.dir = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=out_dir))
        self.staged: list[str] = []
        """Names staged so far, in the order they will be moved into place."""
        self.decided = False
        """True once the journal is written: the commit will happen, by ``recover``
        if this process does not finish it."""

    def path(self, name: str) -> Path:
        return self.dir / name

    def stage(self, names: Iterable[str]) -> dict[str, str]:
        """Mark finished files for the commit; name -> the path it will have."""
        for name in names:
            if name not in self.staged:
                self.staged.append(name)
        return {name: str(self.out_dir / name) for name in names}

    def commit(self, last: Iterable[str] = (), remove: Iterable[str] = ()) -> dict[str, str]:
        """Move every staged file into place together (``last`` after the others),
        removing the old outputs ``remove`` (names relative to the folder); name ->
        final path. Once the journal is written, a failure leaves it for
        ``recover`` to finish."""
        last = list(last)
        names = [n for n in self.staged if n not in last] + [n for n in last if n in self.staged]
        for name in names:
            _fsync(self.dir / name)
        _step("staged")
        journal = {"staging": self.dir.name, "replace": names, "remove": sorted(set(remove))}
        _write_journal(self.out_dir, journal)
        self.decided = True
        _step("journal")
        _roll_forward(self.out_dir, journal)
        return {name: str(self.out_dir / name) for name in names}

    def discard(self) -> None:
        """Remove the staged files, unless the commit is decided (``recover`` needs them)."""
        if not self.decided:
            shutil.rmtree(self.dir, ignore_errors=True)


def _write_journal(out_dir: Path, journal: Mapping[str, object]) -> None:
    temp = out_dir / _JOURNAL_TEMP
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(json.dumps({"tool": "bmaparse", **journal}, ensure_ascii=True) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temp, out_dir / JOURNAL_NAME)
    _fsync(out_dir, directory=True)


def _roll_forward(out_dir: Path, journal: Mapping[str, object]) -> None:
    staging = out_dir / str(journal["staging"])
    for name in _names(journal, "replace"):
        source = staging / name
        if source.exists() or source.is_symlink():
            os.replace(source, out_dir / name)
            _step(f"replaced {name}")
    for name in _names(journal, "remove"):
        path = out_dir / name
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        _step(f"removed {name}")
    _fsync(out_dir, directory=True)
    (out_dir / JOURNAL_NAME).unlink()
    _fsync(out_dir, directory=True)
    _step("committed")
    shutil.rmtree(staging, ignore_errors=True)


def _names(journal: Mapping[str, object], key: str) -> list[str]:
    names = journal.get(key)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"commit journal: {key!r} is not a list of names")
    return [str(n) for n in names]


def _safe_name(name: object) -> bool:
    """A name of a file directly in the output folder (a journal is data: it must
    never move or remove anything elsewhere)."""
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name
            and "\\" not in name and "\0" not in name)


def read_journal(out_dir: Path) -> dict[str, object] | None:
    """The journal of an interrupted commit in ``out_dir``, None when there is none;
    ValueError when it is not one bmaparse could have written."""
    try:
        text = (out_dir / JOURNAL_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        journal = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{out_dir / JOURNAL_NAME} is not valid JSON: {exc}") from None
    if not isinstance(journal, dict) or journal.get("tool") != "bmaparse":
        raise ValueError(f"{out_dir / JOURNAL_NAME} was not written by bmaparse")
    staging = journal.get("staging")
    if not (_safe_name(staging) and _TMP_NAME.match(str(staging))):
        raise ValueError(f"{out_dir / JOURNAL_NAME}: bad staging folder {staging!r}")
    for key in ("replace", "remove"):
        if not all(_safe_name(n) for n in _names(journal, key)):
            raise ValueError(f"{out_dir / JOURNAL_NAME}: a name in {key!r} leaves the folder")
    return journal


def recover(out_dir: str | os.PathLike[str]) -> list[str]:
    """Finish or undo what a stopped run left in ``out_dir``; what was done, one line
    each (empty when the folder was clean). The caller holds the folder's lock."""
    root, done = Path(out_dir), list[str]()
    if not root.is_dir():
        return done
    journal = read_journal(root)
    if journal is not None:
        _roll_forward(root, journal)
        done.append(f"finished an interrupted commit ({len(_names(journal, 'replace'))} files)")
    with contextlib.suppress(FileNotFoundError):
        (root / _JOURNAL_TEMP).unlink()  # a journal not yet committed: the run rolls back
    for entry in root.iterdir():
        if _TMP_NAME.match(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed the staged files of an interrupted run ({entry.name})")
    _step("recovered")
    return done


def _fsync(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # not possible everywhere (Windows); the files are synced
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_stale_temporaries(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove staging folders left in ``out_dir`` by processes that no longer run
    (assumes one host); returns what was removed. Live sinks are left alone, and so
    is the staging folder of an interrupted commit (``recover`` finishes it)."""
    root, removed = Path(out_dir), list[Path]()
    if not root.is_dir():
        return removed
    try:
        journal = read_journal(root)
    except ValueError:
        journal = None
    keep = str(journal["staging"]) if journal is not None else ""
    for entry in root.iterdir():
        match = _TMP_NAME.match(entry.name)
        if (match and entry.is_dir() and entry.name != keep
                and not _alive(int(match.group(1)))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or we cannot tell: leave it
    return True
