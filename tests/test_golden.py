"""Golden files: each golden input (the seed export and every tests/data/*.txt) is
parsed to exactly the document kept in tests/data/STEM.json. A new NAME.txt and
NAME.json in tests/data is a new test, with no code.

The expected files are written by ``PYTHONPATH=src python tests/regen_golden.py``
and reviewed in the diff (tests/README.md). tests/test_seed_golden.py holds the
seed's values read off the export by hand, which no regeneration rewrites.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import DATA, ROOT
from regen_golden import GOLDEN_INPUTS, golden_json, golden_path


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.name)
def test_golden(source: Path) -> None:
    expected = golden_path(source)
    assert expected.is_file(), f"no {expected.relative_to(ROOT)}: run tests/regen_golden.py"
    got = golden_json(source)
    # compared as data first, so that a failure shows the field that differs
    assert json.loads(got) == json.loads(expected.read_text(encoding="utf-8"))
    assert got == expected.read_text(encoding="utf-8")


def test_every_golden_file_has_its_input() -> None:
    kept = {path.name for path in DATA.glob("*.json")}
    assert kept == {golden_path(source).name for source in GOLDEN_INPUTS}
