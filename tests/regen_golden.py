"""Write the golden JSON of every golden input: what ``bmaparse.load`` makes of it.

    PYTHONPATH=src python tests/regen_golden.py

The inputs are the seed export (samples/000_8c07428080a9c9ea.txt) and every
``tests/data/*.txt``; each one's expected document is ``tests/data/STEM.json``.
``tests/test_golden.py`` compares each input with its file, so a new pair in
tests/data is a new test. Run this after a change that is meant to change what
the parser makes of an input, and review the JSON diff: it is the change.

A document is written whole: the input's encoding, sha256 and file-level
diagnostics, then every report with every field. Decimals are strings (exact:
``"100.00"``), dates ISO 8601; paths are relative to the repository.
``parser_version`` and ``schema_version`` are left out, so that a version bump
alone does not rewrite every file (tests/test_seed_golden.py checks them).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import bmaparse
from helpers import DATA, LAYOUTS, ROOT, SEED_PATH

GOLDEN_INPUTS = [SEED_PATH, *LAYOUTS]
"""The seed and every tests/data/*.txt."""
VERSIONS = frozenset({"parser_version", "schema_version"})


def golden_path(source: Path) -> Path:
    """Where the expected document of ``source`` is kept."""
    return DATA / f"{source.stem}.json"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in VERSIONS}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def golden_json(source: Path) -> str:
    """The expected document of ``source`` as the text of its golden file."""
    name = source.relative_to(ROOT).as_posix()
    document = bmaparse.load(source, source_path=name)
    return json.dumps(_plain(document), ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    for source in GOLDEN_INPUTS:
        path, text = golden_path(source), golden_json(source)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if text != old:
            path.write_text(text, encoding="utf-8")
            print(f"{'wrote' if old is None else 'updated'} {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
