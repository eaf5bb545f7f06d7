"""Where bmaparse is imported from, for this process and for every process it starts.

A run measures one version of the code: ``snapshot_source`` copies
``src/bmaparse`` to ``OUT/src-<sha256>`` at the start and its path goes into the
environment (``BMAPARSE_BENCH_SRC``), so that helper and CLI processes import the
snapshot ahead of the checkout or an installed copy, even while the checkout is
being edited (``--live-src`` skips the snapshot and imports ``src/`` as it is).

Every measure of bmaparse runs in both of its modes, each in its own processes:
``pure`` with ``BMAPARSE_PURE_PYTHON=1``, ``compiled`` without it (the mode is
chosen once, at import, by ``bmaparse._compiled``; ``compiled_status`` asks a
child process whether the snapshot's extension imports).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent.parent
SRC = REPO / "src"
SEED_REPORT = REPO / "samples" / "000_8c07428080a9c9ea.txt"
LAYOUTS = ("page", "export")
MB = 1_000_000
BENCH = REPO / "benchmarks" / "bench.py"
"""The entry point, which is also the helper process every stage starts."""


SNAPSHOT_ENV = "BMAPARSE_BENCH_SRC"
BASE_ENV = "BMAPARSE_BENCH_BASE_SRC"
"""``--base-src``: the folder another version of bmaparse is imported from in mode ``base``."""
BASE_MODE = "base"
"""The compiled mode of the ``--base-src`` version: its convert and startup rows
(alternated with the others in the same rounds) are the before of a change."""
PURE_PYTHON_ENV = "BMAPARSE_PURE_PYTHON"
"""bmaparse's switch to its pure-Python modules (``bmaparse._compiled``)."""
MODES = ("pure", "compiled")


def src_dir() -> Path:
    """Where bmaparse is imported from: the run's snapshot, else this checkout's ``src``."""
    return Path(os.environ.get(SNAPSHOT_ENV) or SRC)


def import_bmaparse() -> ModuleType:
    """bmaparse from ``src_dir()`` (ahead of an installed copy)."""
    if "bmaparse" not in sys.modules and str(src_dir()) not in sys.path:
        sys.path.insert(0, str(src_dir()))
    import bmaparse

    return bmaparse


def child_env(mode: str | None = None) -> dict[str, str]:
    """The environment for helper and CLI processes: ``src_dir()`` first on the path;
    ``mode`` ``"pure"`` sets ``BMAPARSE_PURE_PYTHON=1``, ``"compiled"`` clears it,
    ``"base"`` clears it and imports from ``--base-src`` instead, None leaves it as it is."""
    env = dict(os.environ)
    src = env[BASE_ENV] if mode == BASE_MODE else str(src_dir())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    if mode == "pure":
        env[PURE_PYTHON_ENV] = "1"
    elif mode in ("compiled", BASE_MODE):
        env.pop(PURE_PYTHON_ENV, None)
    return env


def compiled_status() -> str:
    """``bmaparse.implementation`` of a child process in compiled mode: ``"compiled"``
    when the snapshot's extension is built and imports, else why not."""
    code = "import bmaparse; print(bmaparse.implementation)"
    done = subprocess.run([sys.executable, "-c", code], env=child_env("compiled"),
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def snapshot_source(out: Path) -> Path:
    """Copy ``src/bmaparse`` to ``out/src-<sha>``: one run measures one version of the
    code, even while others edit the checkout. Returns the folder to import from."""
    package = SRC / "bmaparse"
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    root = out / f"src-{digest.hexdigest()[:12]}"
    if not (root / "bmaparse").is_dir():
        staging = Path(tempfile.mkdtemp(dir=out))
        shutil.copytree(package, staging / "bmaparse",
                        ignore=shutil.ignore_patterns("__pycache__"))
        with contextlib.suppress(OSError):
            staging.rename(root)
        shutil.rmtree(staging, ignore_errors=True)
    return root
