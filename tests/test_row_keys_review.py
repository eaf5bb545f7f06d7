"""Row keys (``tables.TABLE_KEYS``) stay unique on odd inputs: what convert writes,
verify accepts and a warehouse load can upsert by."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

import bmaparse
from bmaparse import verify

ROOT = Path(__file__).resolve().parent.parent


def test_a_quarter_printed_twice_is_one_kpi_results_row(tmp_path: Path) -> None:
    text = (ROOT / "samples" / "synth_kpi_1.txt").read_text(encoding="utf-8")
    row = "2\n69.01\n100\n100 / 100\n"
    assert row in text
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "k.txt").write_text(text.replace(row, row + "2\n70.01\n100\n100 / 100\n"),
                                  encoding="utf-8")
    bmaparse.convert([inputs], tmp_path / "out", jobs=1)
    quarters = pq.read_table(tmp_path / "out" / "quarterly_results.parquet")
    assert quarters.column("quarter").to_pylist() == [1, 2, 2, 3, 4]  # both kept there
    results = pq.read_table(tmp_path / "out" / "kpi_results.parquet").to_pylist()
    assert [r["quarter"] for r in results] == [1, 2, 3, 4]
    assert str(results[1]["result_value"]) == "69.0100"  # the first one printed
    found = verify(tmp_path / "out")
    assert found.ok, found.problems
