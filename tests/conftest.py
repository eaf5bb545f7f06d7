"""Test-wide settings and the fixtures several test modules share.

Property tests explore new random examples on every local run (that is how the
bugs pinned with ``@example`` were found). On CI (``CI`` set) they are
derandomized: the same examples every run, so a submission never fails on the
luck of the draw; what local runs find gets pinned with ``@example``.

The fixtures build input folders in ``tmp_path``; plain values and functions
(the seed, ``variant``, ``zip_bytes`` ...) are in ``helpers.py``; the PostgreSQL server
and a database per test (``pg_server``, ``pg_url``) in ``pg.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from helpers import SEED, variant, zip_bytes
from pg import pg_server, pg_url  # noqa: F401 (fixtures: a real PostgreSQL server, a database)

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def mixed_inputs(tmp_path: Path) -> Path:
    """A folder of six inputs: the seed, a copy of it, an archive holding it under
    another name and a nested archive, a binary file and an empty file."""
    folder = tmp_path / "in"
    (folder / "copy").mkdir(parents=True)
    (folder / "seed.txt").write_bytes(SEED)
    (folder / "copy" / "seed-copy.txt").write_bytes(SEED)
    nested = zip_bytes({"inner.txt": variant(99)})
    (folder / "archive.zip").write_bytes(
        zip_bytes({"2566/50240000-7108.txt": SEED, "nested.zip": nested})
    )
    (folder / "garbage.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "empty.txt").write_bytes(b"")
    return folder


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    """A folder of five reports whose file names, member names and text start
    with formula characters (``=``, ``+``, ``-``, ``@``, tab) or hold line breaks,
    and one name that is not UTF-8."""
    folder = tmp_path / "in"
    folder.mkdir()
    text = SEED.decode()
    text = text.replace("นายพงศ์ภานุ", "=HYPERLINK(\"http://x\")", 1)
    lines = text.split("\n")
    lines.insert(6, "@SUM(1+1)\u2028-2+3\x85+cmd|' /C calc'!A0")
    (folder / "=cmd.txt").write_text("\n".join(lines), encoding="utf-8")
    (folder / "-minus.txt").write_bytes(variant(3))
    (folder / "+plus.zip").write_bytes(zip_bytes({"@at.txt": variant(4), "\tTab.txt": variant(5)}))
    (folder / os.fsdecode(b"bad\xff-name.txt")).write_bytes(variant(6))
    return folder
