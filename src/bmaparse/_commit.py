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
import errno
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ._read import open_regular
from .errors import OutputError

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
        """True from the moment the journal is being written: the commit may happen
        (by ``recover`` if this process does not finish it), so the staged files are
        kept; without a journal on disk, ``recover`` removes them."""

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
            if (self.out_dir / name).is_dir() and not (self.out_dir / name).is_symlink():
                raise OutputError(f"{self.out_dir / name} is a folder: bmaparse cannot put its"
                                  " file there; remove or rename it")
            _fsync(self.dir / name)
        _fsync(self.dir, directory=True)
        _step("staged")
        journal = {"staging": self.dir.name, "replace": names, "remove": sorted(set(remove))}
        self.decided = True  # from the journal's rename on (and it may be cut short)
        _write_journal(self.out_dir, journal)
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
    names = _names(journal, "replace")
    if names and not _is_real_dir(staging):
        raise OutputError(f"{out_dir / JOURNAL_NAME}: its staging folder {staging.name} is not a"
                          " folder bmaparse made (missing, or a link); the commit cannot be"
                          " finished: remove the journal and convert again")
    for name in names:
        source = staging / name
        if source.is_symlink():
            raise OutputError(f"{source} is a link, not a file bmaparse staged; the commit"
                              " cannot be finished: remove the journal and convert again")
        if source.exists():
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


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _names(journal: Mapping[str, object], key: str) -> list[str]:
    names = journal.get(key)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"commit journal: {key!r} is not a list of names")
    return [str(n) for n in names]


def _safe_name(name: object) -> bool:
    """A name of an output directly in the output folder (a journal is data: it must
    never move or remove anything elsewhere, nor bmaparse's own control files)."""
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name
            and "\\" not in name and "\0" not in name and not name.startswith(".bmaparse"))


def read_plain(path: Path, cap: int = 1 << 30) -> bytes:
    """The bytes of ``path`` if it is a regular file, never through a link (a FIFO or
    ``/dev/zero`` planted in an output folder would hang or never end), at most
    ``cap`` of them; ``OSError`` otherwise (``FileNotFoundError`` when absent)."""
    with open_regular(path, follow_links=False) as file:
        data = file.read(cap + 1)
    if len(data) > cap:
        raise OSError(errno.EFBIG, f"larger than {cap:,} bytes", str(path))
    return data


def read_journal(out_dir: Path) -> dict[str, object] | None:
    """The journal of an interrupted commit in ``out_dir``, None when there is none;
    ``OutputError`` when it is not one bmaparse could have written."""
    path = out_dir / JOURNAL_NAME
    try:
        text = read_plain(path, 1 << 20)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{path} is not a commit journal bmaparse wrote ({exc.strerror or exc});"
                          " remove it and convert again") from None
    try:
        journal = json.loads(text)
    except ValueError as exc:
        raise OutputError(f"{path} is not valid JSON ({exc}); remove it and convert again"
                          ) from None
    if not isinstance(journal, dict) or journal.get("tool") != "bmaparse":
        raise OutputError(f"{path} was not written by bmaparse; remove it and convert again")
    staging = journal.get("staging")
    if not (isinstance(staging, str) and _TMP_NAME.match(staging)
            and not any(c in staging for c in "/\\\0")):
        raise OutputError(f"{path}: bad staging folder {staging!r}; remove it and convert again")
    for key in ("replace", "remove"):
        names = journal.get(key)
        if not isinstance(names, list) or not all(_safe_name(n) for n in names):
            raise OutputError(f"{path}: a name in {key!r} is not an output in the folder;"
                              " remove the journal and convert again")
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
        if not _TMP_NAME.match(entry.name):
            continue
        if entry.is_symlink():  # planted: only the name goes, never its target
            entry.unlink()
        elif entry.is_dir():
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
    except OutputError:
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
