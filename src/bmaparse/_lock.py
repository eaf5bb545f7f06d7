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
at the path (a releasing holder may have just removed it) and retries if not. Worker processes
forked by the holder share its lock; they die with it. The lock file is opened
with ``O_NOFOLLOW``: a link planted in its place is not followed.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import OutputBusyError

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
        """Take the lock, or raise ``OutputBusyError`` naming the process that holds it."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        for _ in range(100):  # a holder that releases removes the file: retry on a new one
            fd = os.open(self.path, flags, 0o644)
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
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Let the lock go and remove its file (so a file left means its holder died);
        idempotent."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if sys.platform != "win32":  # removed while held: no one can lock it any more
                os.unlink(self.path)
        except OSError:
            pass
        finally:
            _unlock(fd)
            os.close(fd)


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
