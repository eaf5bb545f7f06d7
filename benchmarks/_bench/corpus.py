"""The corpora: ``n`` synth reports on disk, one report per file, written once.

``bmaparse.synth.corpus(n, seed, layouts=("page", "export"), size="seed")``, one
report per file (final newline added), spread over ``folders`` subfolders of
``OUT/corpus/seed{seed}-n{n}``. A corpus is written under a ``.partial`` name and
renamed when whole; a finished corpus carries ``.complete.json`` (its size, seed
and the sha256 of the synth modules): a rerun with the same size and seed reuses
it, a change to synth regenerates it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .env import LAYOUTS, MB, import_bmaparse


@dataclass(frozen=True)
class Corpus:
    """A corpus on disk: ``n`` files of one report each."""

    root: Path
    n: int
    seed: int
    folders: int
    bytes: int
    chars: int

    def files(self) -> list[Path]:
        return [self.root / file_name(i, self.n, self.folders) for i in range(self.n)]


def file_name(i: int, n: int, folders: int) -> str:
    return f"part-{i * folders // n:02d}/{i:06d}.txt"


def _synth_hash() -> str:
    digest = hashlib.sha256()
    for name in ("synth.py", "_synth_docs.py", "_synth_words.py"):
        digest.update((Path(import_bmaparse().__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def ensure_corpus(out: Path, n: int, seed: int, folders: int) -> Corpus:
    """The corpus of ``n`` reports for ``seed`` under ``out``, written unless cached."""
    folders = max(1, min(folders, n))
    root = out / "corpus" / f"seed{seed}-n{n}"
    marker = root / ".complete.json"
    key = {"n": n, "seed": seed, "folders": folders, "layouts": list(LAYOUTS), "size": "seed",
           "synth": _synth_hash()}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(marker.read_text())
        if all(meta.get(k) == v for k, v in key.items()):
            return Corpus(root, n, seed, folders, meta["bytes"], meta["chars"])
    import_bmaparse()
    synth = importlib.import_module("bmaparse.synth")
    started = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    building = root.with_name(root.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    for k in range(folders):
        (building / f"part-{k:02d}").mkdir(parents=True)
    size = chars = 0
    for i, text in enumerate(synth.corpus(n, seed, layouts=LAYOUTS, size="seed")):
        data = (text + "\n").encode("utf-8")
        (building / file_name(i, n, folders)).write_bytes(data)
        size, chars = size + len(data), chars + len(text) + 1
    (building / ".complete.json").write_text(json.dumps({**key, "bytes": size, "chars": chars}))
    building.rename(root)
    print(f"  wrote corpus {root} ({n} files, {size / MB:.0f} MB) in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return Corpus(root, n, seed, folders, size, chars)


def warm_cache(corpus: Corpus) -> None:
    """Read every file once, so that every measure sees the page cache alike."""
    for path in corpus.files():
        path.read_bytes()
