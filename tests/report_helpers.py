"""Converted folders for the report tests, and the findings table they add.

``converted(root, fmt)`` converts a small mixed corpus: the committed samples,
synth reports of every layout (some projects with two snapshots), a binary file
and a report with an unknown line (so there are errors and warnings to show).
``write_findings`` writes a ``findings`` table in the shape agreed for the audit
(issue 13 part 2: code, severity, project_id, agency, report_key, source_path,
line int32, evidence JSON text, message), as the report reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bmaparse.batch import convert
from bmaparse.synth import corpus
from helpers import SAMPLES

FINDING_CODES = ("progress-backwards", "spent-over-allocated", "stale-project", "kpi-below-target")


def converted(root: Path, fmt: str = "parquet", n: int = 240) -> Path:
    """A folder converted in ``fmt`` from the corpus above (built once under ``root``)."""
    inputs = root / "in"
    if not inputs.exists():
        (inputs / "synth").mkdir(parents=True)
        texts = list(corpus(n, 11, layouts=("page", "export", "view", "kpi")))
        for i, text in enumerate(texts):
            (inputs / "synth" / f"{i:04d}.txt").write_text(text + "\n", encoding="utf-8")
        for i, text in enumerate(texts[: n // 4]):
            # the same project with other text: a second snapshot (page and export layouts)
            again = text.replace("หลักการและเหตุผล\n", "หลักการและเหตุผล\nฉบับปรับปรุง ", 1)
            if again != text:
                (inputs / "synth" / f"again-{i:04d}.txt").write_text(again + "\n",
                                                                      encoding="utf-8")
        (inputs / "garbage.txt").write_bytes(bytes(range(256)) * 16)
        seed = (SAMPLES / "synth_page_1.txt").read_text(encoding="utf-8")
        (inputs / "odd.txt").write_text(seed.replace("\n", "\n!! a line no rule knows\n", 3),
                                        encoding="utf-8")
    out = root / f"out-{fmt}"
    if not out.exists():
        convert([inputs, SAMPLES], out, fmt=fmt, jobs=1)
    return out


MESSAGE = "{code} #{i}: <b>not bold</b> ความคืบหน้าลดลง"
"""A finding's message: markup in it must show as text."""


def findings_table(reports: pa.Table, n: int, message: str = MESSAGE) -> pa.Table:
    """``n`` findings on the reports of ``reports`` (cycling), codes and severities mixed;
    ``message`` formatted with ``code`` and ``i``."""
    rows = reports.select(["report_key", "project_id", "agency_name", "source_path",
                           "source_line_start"]).to_pylist()
    out: dict[str, list[object]] = {k: [] for k in (
        "code", "severity", "project_id", "agency", "report_key", "source_path", "line",
        "evidence", "message")}
    for i in range(n):
        row = rows[i % len(rows)]
        code = FINDING_CODES[i % len(FINDING_CODES)]
        out["code"].append(code)
        out["severity"].append(("warning", "error", "info")[i % 3])
        out["project_id"].append(row["project_id"])
        out["agency"].append(row["agency_name"])
        out["report_key"].append(row["report_key"])
        out["source_path"].append(row["source_path"])
        out["line"].append(row["source_line_start"])
        out["evidence"].append(json.dumps({"i": i, "ร้อยละ": [50, 40]}, ensure_ascii=False))
        out["message"].append(message.format(code=code, i=i))
    types = {"line": pa.int32()}
    return pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in out.items()})


def write_findings(out: Path, n: int, message: str = MESSAGE) -> pa.Table:
    """Add a findings.parquet of ``n`` rows to the parquet folder ``out``; the table."""
    table = findings_table(pq.read_table(out / "reports.parquet"), n, message)
    pq.write_table(table, out / "findings.parquet")
    return table
