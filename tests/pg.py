"""A real PostgreSQL server for the load tests: ``BMAPARSE_TEST_POSTGRES`` when set (a URL
of a role that may create databases; ``.ci/run`` exports one), else a throwaway server
started here with the machine's ``initdb`` and ``pg_ctl`` (on PATH or in
``/usr/lib/postgresql/*/bin``), under a temporary folder, on a free loopback port, with
password authentication, stopped (``pg_ctl stop -m fast``) when the session ends. Run
as root, the server runs as the ``postgres`` user (PostgreSQL refuses root).

Without a server binary the tests skip with a message; with ``CI`` set they fail.

``pg_url`` is an empty UTF-8 database of its own for one test (``fresh_database``), dropped
afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV = "BMAPARSE_TEST_POSTGRES"


@dataclass(frozen=True)
class Server:
    url: str
    """A URL of a role that may create databases (its database: the admin one)."""
    password: str

    def url_of(self, database: str, *, password: str | None = None, port: int | None = None) -> str:
        """The server's URL with another database (and password, or port)."""
        parts = urlsplit(self.url)
        user = parts.username or ""
        secret = self.password if password is None else password
        host = parts.hostname or "127.0.0.1"
        netloc = f"{user}:{secret}@{host}:{port or parts.port or 5432}" if secret else (
            f"{user}@{host}:{port or parts.port or 5432}")
        return urlunsplit((parts.scheme, netloc, "/" + database, parts.query, ""))


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    """Run as ``postgres`` when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *argv]
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]


def _chown_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


@contextlib.contextmanager
def _throwaway(bin_dir: Path) -> Iterator[Server]:
    root = Path(tempfile.mkdtemp(prefix="bmaparse-pg-"))
    data, password = root / "data", secrets.token_hex(12)
    _chown_to_server_user(root)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    _chown_to_server_user(pwfile)
    started = False
    try:
        subprocess.run(_as_server_user([
            str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}", "--no-sync"]), check=True, capture_output=True)
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_server_user([
            str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options,
            "-w", "-t", "60", "start"]), check=True, capture_output=True)
        started = True
        yield Server(f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres", password)
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        raise RuntimeError(f"could not start a throwaway PostgreSQL: {exc.stderr!r} {log}") from exc
    finally:
        if started:
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                            "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """The server the load tests use (see the module docstring)."""
    url = os.environ.get(ENV)
    if url:
        yield Server(url, urlsplit(url).password or "")
        return
    bin_dir = _binaries()
    if bin_dir is None:
        message = (f"no PostgreSQL server: set {ENV} to a URL, or install PostgreSQL "
                   "(initdb, pg_ctl; Debian: apt-get install postgresql)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with _throwaway(bin_dir) as server:
        yield server


_made = 0


def fresh_database(server: Server) -> str:
    """A new empty UTF-8 database; its URL."""
    import psycopg

    global _made
    _made += 1
    name = f"bmaparse_test_{os.getpid()}_{_made}_{int(time.time() * 1000) % 100000}"
    with psycopg.connect(server.url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''
                     " LC_COLLATE 'C' LC_CTYPE 'C'")
    return server.url_of(name)


def drop_database(server: Server, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server.url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server: Server) -> Iterator[str]:
    """An empty UTF-8 database of its own for one test: its URL (dropped afterwards)."""
    url = fresh_database(pg_server)
    try:
        yield url
    finally:
        drop_database(pg_server, url)
