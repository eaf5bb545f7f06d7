"""One writer at a time: the lock of an output folder.

Strategy: ``OUT/.bmaparse.lock`` is locked with ``flock`` (``msvcrt.locking`` on
Windows) for as long as a command writes or repairs the folder, and removed
when the command lets it go. The operating system drops the lock when the
process ends, however it ends, so a lock left by a dead process is simply free:
the next command takes it over (``previous`` says who left it). The holder
writes who it is into the file (pid, host, command), and a second command that
finds the lock taken refuses at once, naming the folder and that process,
having touched nothing (the lock file already exists; opening it changes
nothing). A command that took the lock checks that the file is still the one
at the path (a releasing holder may have just removed it) and retries if not.
Worker processes forked by the holder close their copy of it
(``close_inherited``). Nothing is ever written through a lock file planted by
someone else: a symbolic link, a FIFO or device, or a hard link to a file
elsewhere is removed (it is only a name in OUT) and a new lock file made; a
folder in its place is refused.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import stat
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import OutputBusyError, OutputError

LOCK_NAME = ".bmaparse.lock"


class OutputLock:
    """The lock of the output folder ``out`` (which must exist) for ``command``.

    >>> with OutputLock(out, "convert") as lock:
    ...     lock.previous   # the holder recorded by a process that died holding it, or None
    """

    def __init__(self, out: Path, command: str) -> None:
        self.path = out / LOCK_NAME
        self.command = command
        self.previous: dict[str, Any] | None = None
        """What a process that ended without releasing the lock had written (taken over)."""
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, or raise ``OutputBusyError`` naming the process that holds it
        (``OutputError`` when something that is not a lock file stands in its place)."""
        for _ in range(100):  # a holder that releases removes the file: retry on a new one
            fd = self._open()
            if fd is None:  # a planted link or special file was removed: make a real one
                continue
            try:
                if not _try_lock(fd):
                    holder = _holder(fd)
                    raise OutputBusyError(
                        f"output folder {self.path.parent} is in use by another bmaparse process"
                        f" ({describe(holder)}); wait for it to finish, or write elsewhere")
                if _same_file(fd, self.path):
                    break
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        else:  # pragma: no cover - a lock file replaced a hundred times in a row
            raise OutputBusyError(f"output folder {self.path.parent}: its lock keeps changing")
        try:
            self.previous = _holder(fd) or None
            record = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command}
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii"))
        except OSError as exc:
            os.close(fd)
            raise OutputError(f"cannot write the lock file {self.path}: {exc}") from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD.add(fd)

    def _open(self) -> int | None:
        """The lock file opened, or None after removing what stood in its place: a
        symbolic link, a FIFO or device, a hard link to a file elsewhere (never
        written through: they are names in OUT, removed; their targets untouched)."""
        try:
            fd = os.open(self.path, _FLAGS, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP or (exc.errno == errno.ENXIO and self.path.is_symlink()):
                self.path.unlink()  # a symbolic link (O_NOFOLLOW refused it)
                return None
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise  # a folder this process may not write: the caller says what that means
            raise OutputError(f"cannot open the lock file {self.path}: {exc.strerror or exc};"
                              " if it is not bmaparse's, remove it") from None
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
            if hasattr(os, "O_NONBLOCK"):
                os.set_blocking(fd, True)
            return fd
        os.close(fd)
        self.path.unlink()
        return None

    def release(self) -> None:
        """Let the lock go and remove its file (so a file left means its holder died);
        idempotent."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _HELD.discard(fd)
        try:
            if sys.platform != "win32" and _same_file(fd, self.path):  # ours, not a new one
                os.unlink(self.path)
        except OSError:
            pass
        finally:
            _unlock(fd)
            os.close(fd)


_FLAGS = (os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
          | getattr(os, "O_NONBLOCK", 0))
"""O_NOFOLLOW: a planted link is never followed; O_NONBLOCK: a planted FIFO never waits."""

_HELD: set[int] = set()
"""The lock files this process holds open (a forked worker closes its copies)."""


def close_inherited() -> None:
    """In a forked worker: close the copies of the parent's lock files. The lock stays
    the parent's (it is held while any copy is open), so a worker that outlives a
    killed parent would otherwise keep the folder locked."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


def _same_file(fd: int, path: Path) -> bool:
    """Is ``fd`` still the file at ``path`` (not one a releasing holder removed)?"""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    here = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino)


def describe(holder: dict[str, Any]) -> str:
    """``pid 123 on host, convert``, or what is known of it."""
    if not holder:
        return "unknown process"
    parts = [f"pid {holder.get('pid', '?')}"]
    if holder.get("host") and holder.get("host") != socket.gethostname():
        parts[0] += f" on {holder['host']}"
    if holder.get("command"):
        parts.append(f"bmaparse {holder['command']}")
    return ", ".join(parts)


def _holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
