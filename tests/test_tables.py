"""tables.py: schemas, flattening, misfits, pandas, projects, the data dictionary."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmaparse
from bmaparse import (
    BudgetFigure,
    Diagnostic,
    Document,
    Objective,
    ProgressUpdate,
    QuarterlyResult,
    Report,
    synth,
)
from bmaparse.model import CHILD_TABLES, DERIVED_COLUMNS, SCHEMA_VERSION
from bmaparse.tables import (
    ANALYSIS_TABLES,
    PROJECT_SOURCE_COLUMNS,
    SCHEMAS,
    TABLE_KEYS,
    TABLES,
    ProjectsBuilder,
    build_projects,
    data_dictionary,
    to_pandas,
    to_tables,
    write_data_dictionary,
)
from helpers import LAYOUTS, ROOT, SEED_PATH, seed_report

D = Decimal
NUMBERED = ("budget_figures", "quarterly_results", "kpi_sections")
"""Child tables whose ``ordinal`` flattening numbers (not a field of their record)."""


def test_schemas_cover_the_model_exactly() -> None:
    scalars = [f.name for f in dataclasses.fields(Report)
               if f.name not in CHILD_TABLES and f.name != "diagnostics"]
    assert SCHEMAS["reports"].names == [*scalars, "latest_reported_on"]
    for name, record in CHILD_TABLES.items():
        head = (["report_key", "project_id"] if name == "progress_updates" else
                ["report_key", "ordinal"] if name in NUMBERED else ["report_key"])
        derived = DERIVED_COLUMNS.get(name, ())
        assert [n for n in SCHEMAS[name].names if n not in derived] == head + [
            f.name for f in dataclasses.fields(record)]
        assert all(isinstance(getattr(record, n), property) for n in derived)
        assert set(derived) <= set(SCHEMAS[name].names)
    assert set(SCHEMAS) == {*TABLES, "projects", *ANALYSIS_TABLES}
    for schema in SCHEMAS.values():
        assert schema.metadata[b"schema_version"] == SCHEMA_VERSION.encode()
        assert all(f.metadata and f.metadata[b"description"] for f in schema)
    labels = {f.name: f.metadata.get(b"label_th", b"").decode() for f in SCHEMAS["progress_updates"]}
    assert labels["problems"] == "ปัญหาของโครงการ"


def test_types_are_explicit() -> None:
    reports, pu = SCHEMAS["reports"], SCHEMAS["progress_updates"]
    assert reports.field("fiscal_year_be").type == pa.int16()
    assert reports.field("evaluation_quarter").type == pa.int8()
    assert reports.field("progress_percent").type == pa.decimal128(12, 4)
    assert reports.field("latest_reported_on").type == pa.date32()
    assert reports.field("routine_work").type == pa.bool_()
    assert SCHEMAS["budget_figures"].field("amount_thb").type == pa.decimal128(18, 2)
    assert pu.field("reported_on").type == pa.date32()
    assert pu.field("chrono_index").type == pa.int32()
    assert SCHEMAS["quarterly_results"].field("quarter").type == pa.int8()
    assert SCHEMAS["projects"].field("snapshots").type == pa.int32()


def test_to_tables_columns_types_and_rows() -> None:
    tables = to_tables([seed_report("k1"), seed_report("k2", None)])
    assert list(tables) == list(TABLES)
    for name, table in tables.items():
        assert table.schema.equals(SCHEMAS[name], check_metadata=True), name
    counts = {n: t.num_rows for n, t in tables.items()}
    assert counts == {"reports": 2, "objectives": 8, "strategy_links": 4, "progress_updates": 10,
                      "budget_figures": 4, "kpis": 2, "quarterly_results": 4, "kpi_entries": 0, "kpi_sections": 0,
                      "diagnostics": 2}
    reports = tables["reports"].to_pylist()
    assert reports[0]["latest_reported_on"] == date(2023, 4, 1)
    assert reports[0]["progress_percent"] == D("100.0000")
    assert reports[1]["project_id"] is None
    pu = tables["progress_updates"].to_pylist()
    assert [r["seq"] for r in pu[:5]] == [1, 2, 3, 4, 5]
    assert pu[0]["report_key"] == "k1" and pu[0]["project_id"] == "50240000-7108"
    assert pu[5]["project_id"] is None
    assert tables["budget_figures"]["amount_thb"].to_pylist()[:2] == [D("1324600.00"),
                                                                    D("1500000.00")]
    diag = tables["diagnostics"].to_pylist()[0]
    assert diag == {"report_key": "k1", "source_path": "seed/000.txt", "ordinal": 1, "line": 3, "col": 1,
                    "severity": "warning", "code": "unrecognized-line",
                    "message": "no field took it", "raw": "ดูโครงการแผนปีฯ"}


def test_every_table_present_and_typed_when_empty() -> None:
    tables = to_tables([])
    assert list(tables) == list(TABLES)
    for name, table in tables.items():
        assert table.num_rows == 0 and table.schema.equals(SCHEMAS[name])


def test_document_contributes_reports_and_file_diagnostics() -> None:
    report = seed_report("k1", path=None, diagnostics=(
        Diagnostic(9, None, "error", "bad-date", "month 13"),))
    doc = Document(source_path="a.zip!b.txt", sha256="00" * 32, encoding="cp874",
                   reports=(report,), diagnostics=(
                       Diagnostic(None, None, "info", "encoding-detected", "cp874"),
                       Diagnostic(1, 1, "warning", "truncated-input", "cut", "x", "other.txt")))
    tables = to_tables([doc, seed_report("k2")])
    assert tables["reports"]["report_key"].to_pylist() == ["k1", "k2"]
    rows = tables["diagnostics"].to_pylist()
    assert [(r["report_key"], r["source_path"], r["code"]) for r in rows] == [
        (None, "a.zip!b.txt", "encoding-detected"),
        (None, "other.txt", "truncated-input"),
        ("k1", "a.zip!b.txt", "bad-date"),
        ("k2", "seed/000.txt", "unrecognized-line"),
    ]


def test_empty_document_gives_only_its_diagnostics() -> None:
    doc = Document("empty.txt", "00", None, (), (Diagnostic(None, None, "error", "empty-input",
                                                            "no text"),))
    tables = to_tables([doc])
    assert tables["reports"].num_rows == 0
    assert tables["diagnostics"].to_pylist()[0]["source_path"] == "empty.txt"


@pytest.mark.parametrize(("changes", "column", "value"), [
    ({"progress_percent": D("123456789.5")}, "progress_percent", "123456789.5"),
    ({"evaluation_score": D("1.23456")}, "evaluation_score", "1.23456"),
    ({"evaluation_score": D("NaN")}, "evaluation_score", "NaN"),
    ({"evaluation_score": D("-Infinity")}, "evaluation_score", "-Infinity"),
    ({"evaluation_quarter": 300}, "evaluation_quarter", "300"),
    ({"fiscal_year_be": 40000}, "fiscal_year_be", "40000"),
    ({"source_line_end": 2**40}, "source_line_end", str(2**40)),
])
def test_misfit_becomes_null_and_a_diagnostic(changes: dict[str, object], column: str,
                                              value: str) -> None:
    tables = to_tables([seed_report("k0"), seed_report("k1", **changes), seed_report("k2")])
    assert tables["reports"][column].to_pylist()[1] is None
    assert tables["reports"][column].null_count == 1 or column == "evaluation_score"
    made = [r for r in tables["diagnostics"].to_pylist() if r["code"] == "value-out-of-range"]
    assert len(made) == 1
    assert made[0]["report_key"] == "k1" and made[0]["severity"] == "error"
    assert made[0]["raw"] == value and f"reports.{column}" in made[0]["message"]
    assert value in made[0]["message"] and made[0]["line"] == 1
    assert made[0]["source_path"] == "seed/000.txt"


def test_lossless_rescale_is_kept() -> None:
    tables = to_tables([seed_report(progress_percent=D("100.000000"))])
    assert tables["reports"]["progress_percent"].to_pylist() == [D("100.0000")]
    assert tables["diagnostics"].num_rows == 1  # only the report's own


def test_child_misfits_point_at_their_record() -> None:
    report = seed_report("k9", budget_figures=(
        BudgetFigure(1, "ใช้", D("1" + "0" * 20), "huge", 33),
        BudgetFigure(2, "ใช้", D("0.001"), "tiny", 2**33)),
        quarterly_results=(QuarterlyResult(1, 5000, None, None, None, None, source_line=61),))
    tables = to_tables([seed_report("k1"), report])
    assert tables["budget_figures"]["amount_thb"].to_pylist()[2:] == [None, None]
    assert tables["budget_figures"]["source_line"].to_pylist()[3] is None
    made = [(r["report_key"], r["line"], r["message"].split(":")[0])
            for r in tables["diagnostics"].to_pylist() if r["code"] == "value-out-of-range"]
    assert made == [("k9", 33, "budget_figures.amount_thb"),
                    ("k9", None, "budget_figures.amount_thb"),
                    ("k9", None, "budget_figures.source_line"),
                    ("k9", 61, "quarterly_results.quarter")]


def test_invalid_unicode_is_repaired_not_raised() -> None:
    report = seed_report("k\ud800", project_name="ชื่อ\udcff", diagnostics=(
        Diagnostic(2**35, None, "warning", "x", "bad \ud83d"),))
    tables = to_tables([report])
    assert tables["reports"]["report_key"].to_pylist() == ["k\ufffd"]
    assert tables["reports"]["project_name"].to_pylist() == ["ชื่อ\ufffd"]
    codes = [r["code"] for r in tables["diagnostics"].to_pylist()]
    # the key is reported once (reports), not in every child row that copies it
    assert codes == ["x", "invalid-text", "invalid-text", "value-out-of-range", "invalid-text"]
    assert tables["diagnostics"]["line"].to_pylist()[0] is None
    assert set(tables["objectives"]["report_key"].to_pylist()) == {"k\ufffd"}
    assert tables["diagnostics"]["message"].to_pylist()[0] == "bad \ufffd"
    # the rows made while flattening (and while flattening those) are numbered on
    assert tables["diagnostics"]["ordinal"].to_pylist() == [1, 2, 3, 4, 5]


def test_to_pandas_round_trip() -> None:
    pytest.importorskip("pandas")
    frames = to_pandas([seed_report("k1"), seed_report("k2")])
    tables = to_tables([seed_report("k1"), seed_report("k2")])
    assert list(frames) == list(tables)
    for name, frame in frames.items():
        assert list(frame.columns) == SCHEMAS[name].names
        assert len(frame) == tables[name].num_rows
    assert frames["reports"]["agency_name"][0] == "สำนักงานเขตราษฎร์บูรณะ"
    assert frames["budget_figures"]["amount_thb"][0] == D("1324600.00")
    assert frames["reports"]["evaluation_quarter"].dtype.pyarrow_dtype == pa.int8()
    back = pa.Table.from_pandas(frames["progress_updates"], preserve_index=False)
    assert back.cast(SCHEMAS["progress_updates"]).equals(tables["progress_updates"])


def test_import_does_not_load_pandas_or_duckdb() -> None:
    code = "import sys, bmaparse; print('pandas' in sys.modules, 'duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


def _reports(*rows: tuple[str, str | None, date | None, str | None]) -> pa.Table:
    schema = pa.schema([SCHEMAS["reports"].field(n) for n in PROJECT_SOURCE_COLUMNS])
    data = [{"report_key": k, "project_id": p, "latest_reported_on": d,
             "progress_percent": None if pct is None else D(pct), "project_name": f"n-{k}",
             "agency_code": "50240000", "agency_name": "เขต", "fiscal_year_be": 2566}
            for k, p, d, pct in rows]
    return pa.Table.from_pylist(data, schema=schema)


def test_build_projects_latest_snapshot_and_counts() -> None:
    reports = _reports(
        ("a1", "P1", date(2023, 1, 1), "10"), ("a2", "P1", date(2023, 4, 1), "50"),
        ("a3", "P1", None, "99"), ("a2", "P1", date(2023, 4, 1), "50"),  # duplicate row
        ("b2", "P2", date(2022, 1, 1), "20"), ("b1", "P2", date(2022, 1, 1), "20"),
        ("c1", "P3", date(2022, 1, 1), None), ("c2", "P3", date(2022, 1, 1), "5"),
        ("d1", "P4", None, None), ("x1", None, date(2024, 1, 1), "1"))
    projects = build_projects(reports)
    assert projects.schema.equals(SCHEMAS["projects"])
    got = [(r["project_id"], r["report_key"], r["snapshots"]) for r in projects.to_pylist()]
    assert got == [("P1", "a2", 3), ("P2", "b1", 2), ("P3", "c2", 2), ("P4", "d1", 1)]
    assert projects.to_pylist()[0]["project_name"] == "n-a2"
    shuffled = reports.take(pa.array([9, 3, 1, 7, 0, 5, 2, 8, 6, 4]))
    assert build_projects(shuffled).equals(projects)
    many = pa.concat_tables([reports.slice(i, 1) for i in range(reports.num_rows)])
    assert build_projects(many).equals(projects)  # many chunks


def test_build_projects_from_full_reports_and_empty() -> None:
    tables = to_tables([seed_report("k1"), seed_report("k2", days=5), seed_report("k3", None)])
    projects = build_projects(tables["reports"])
    assert projects["report_key"].to_pylist() == ["k2"]
    assert projects["snapshots"].to_pylist() == [2]
    assert projects["latest_reported_on"].to_pylist() == [date(2023, 4, 6)]
    assert build_projects(to_tables([])["reports"]).equals(SCHEMAS["projects"].empty_table())


def _many_reports(n: int, projects: int, seed: int = 7) -> pa.Table:
    """n reports (unique keys) of a few projects, with ties and nulls in every sort key."""
    rng = random.Random(seed)
    return _reports(*(
        (f"k{i:05d}", None if rng.random() < 0.05 else f"P{rng.randrange(projects)}",
         None if rng.random() < 0.2 else date(2023, 1, 1 + rng.randrange(4)),
         None if rng.random() < 0.2 else str(rng.randrange(3)))
        for i in rng.sample(range(n), n)))


def test_build_projects_counts_belong_to_their_project() -> None:
    reports = _many_reports(400, 40)  # enough groups that group_by reorders them
    projects = build_projects(reports)
    expected = Counter(p for p in reports["project_id"].to_pylist() if p is not None)
    assert dict(zip(projects["project_id"].to_pylist(), projects["snapshots"].to_pylist(),
                    strict=True)) == expected


@pytest.mark.parametrize("batch", [1, 7, 64, 1000])
def test_projects_builder_is_build_projects(batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProjectsBuilder, "_REDUCE_ROWS", 50)  # reduce often
    monkeypatch.setattr(ProjectsBuilder, "_SLICE_ROWS", 16)  # yield several slices
    reports = _many_reports(1000, 120)
    builder = ProjectsBuilder()
    for start in range(0, reports.num_rows, batch):
        builder.add(reports.slice(start, batch))
    built = pa.concat_tables([SCHEMAS["projects"].empty_table(), *builder.tables()])
    assert built.equals(build_projects(reports), check_metadata=True)


def test_projects_builder_of_full_reports_and_of_nothing() -> None:
    tables = to_tables([seed_report("k1"), seed_report("k2", days=5), seed_report("k3", None)])
    builder = ProjectsBuilder()
    builder.add(tables["reports"].slice(0, 1))
    builder.add(tables["reports"].slice(1))
    assert pa.concat_tables(builder.tables()).equals(build_projects(tables["reports"]))
    assert list(ProjectsBuilder().tables()) == []


def test_data_dictionary_lists_everything() -> None:
    md, text = data_dictionary(), data_dictionary("text")
    for name, schema in SCHEMAS.items():
        assert f"## {name}" in md and f"{name}:" in text
        for field in schema:
            assert f"| {field.name} | {field.type} |" in md
    assert "| problems | string | yes | ปัญหาของโครงการ |" in md
    # each column names its code: the model field, else the function that computes it
    assert "Evaluation score; null when absent. | `Report.evaluation_score` |" in md
    assert "| report_key | string | no |  | The report (snapshot) this row belongs to. | " \
           "`Report.report_key` |" in md
    assert "progress updates. | `to_tables` |" in md and "| `build_projects` |" in md
    assert "## diagnostics\n\nProblems and notes found while reading, parsing and flattening." \
           "\n\nRow key: `report_key`, `source_path`, `ordinal`." in md
    assert "findings: " in text and "  Row key: none (a warehouse load replaces" in text
    with pytest.raises(ValueError, match="format"):
        data_dictionary("html")


def test_committed_data_dictionary_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "dd.md"
    write_data_dictionary(fresh)
    committed = ROOT / "docs" / "data-dictionary.md"
    assert committed.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
        "regenerate: python -c 'from bmaparse.tables import write_data_dictionary; "
        "write_data_dictionary(\"docs/data-dictionary.md\")'")


def test_flatten_10k_seed_reports_counts_rows() -> None:
    # Speed is measured in benchmarks/, not asserted here (shared, noisy machines).
    reports = [seed_report(f"k{i}") for i in range(10_000)]
    tables = to_tables(reports)
    assert tables["reports"].num_rows == 10_000
    assert tables["progress_updates"].num_rows == 50_000


_ints = st.one_of(st.none(), st.integers(), st.integers(-300, 300))
_decimals = st.one_of(st.none(), st.decimals(allow_nan=True, allow_infinity=True),
                      st.decimals(-10**8, 10**8, places=4))
_texts = st.one_of(st.none(), st.text(st.characters(exclude_categories=()), max_size=12))  # surrogates too
_records = {
    "objectives": st.builds(Objective, _ints, _texts, st.text(), _ints),
    "budget_figures": st.builds(BudgetFigure, _ints, _texts, _decimals, st.text(), _ints),
    "quarterly_results": st.builds(QuarterlyResult, st.integers(), st.integers(), _decimals,
                                   _decimals, _decimals, _decimals, _texts, _texts, _ints),
    "progress_updates": st.builds(ProgressUpdate, st.integers(), st.integers(), _decimals,
                                  st.none() | st.dates(), st.none() | st.dates(), _texts, _texts,
                                  _texts, _texts, _ints),
}


@settings(max_examples=150, deadline=None)
@given(st.builds(seed_report, st.text(min_size=1), _texts, path=_texts,
                 progress_percent=_decimals, evaluation_quarter=_ints, fiscal_year_be=_ints,
                 contact_raw=_texts, source_line_end=_ints,
                 **{name: st.lists(s, max_size=3).map(tuple) for name, s in _records.items()}),
       st.lists(st.builds(Diagnostic, _ints, _ints, st.text(), st.text(), st.text(), _texts,
                          _texts), max_size=2))
def test_to_tables_never_raises_on_well_typed_reports(report: Report,
                                                      diags: list[Diagnostic]) -> None:
    doc = Document(None, "00", None, (report,), tuple(diags))
    tables = to_tables([doc, report])
    for name, table in tables.items():
        assert table.schema.equals(SCHEMAS[name], check_metadata=True)
    assert tables["reports"].num_rows == 2
    assert tables["objectives"].num_rows == 2 * len(report.objectives)
    rows = tables["diagnostics"].to_pylist()
    made = Counter(r["message"].split(":")[0] for r in rows if r["code"] == "value-out-of-range")
    for name in ("reports", *_records):  # every new null is reported, once per value
        records = [report] * 2 if name == "reports" else [*getattr(report, name)] * 2
        for field in SCHEMAS[name]:
            if (not pa.types.is_string(field.type) and field.name != "latest_reported_on"
                    and not (name in NUMBERED and field.name == "ordinal")):
                nones = sum(getattr(r, field.name) is None for r in records)
                nulls = tables[name][field.name].null_count
                assert nulls - nones == made[f"{name}.{field.name}"], field.name


def _mangled(text: str, seed: int) -> str:
    """The text with lines repeated, swapped and cut: printed numbers (a progress block's,
    a quarter's, a section's) then repeat, which a row key must survive."""
    rng = random.Random(seed)
    lines = text.split("\n")
    for _ in range(len(lines) // 3):
        i = rng.randrange(len(lines))
        lines.insert(rng.randrange(len(lines) + 1), lines[i][: rng.randrange(len(lines[i]) + 1)]
                     if rng.random() < 0.3 else lines[i])
    return "\n".join(lines)


def test_table_keys_identify_every_row() -> None:
    texts = [*(p.read_text("utf-8") for p in (SEED_PATH, *LAYOUTS)),
             *synth.corpus(120, 3, layouts=("page", "export", "view", "kpi"), history=True)]
    docs = [bmaparse.load(t.encode(), source_path=f"in/{i}.txt") for i, t in enumerate(texts)]
    docs += [bmaparse.load(_mangled(t, i).encode(), source_path=f"bad/{i}.txt")
             for i, t in enumerate(texts[:40])]
    docs.append(bmaparse.load(b"", source_path="empty.txt"))
    tables = to_tables(docs)
    tables["projects"] = build_projects(tables["reports"])
    assert set(TABLE_KEYS) == set(SCHEMAS)
    for name, table in tables.items():
        keys = TABLE_KEYS[name]
        assert keys and set(keys) <= set(table.column_names), name
        rows = table.select(list(keys)).to_pylist()
        assert len({tuple(r.values()) for r in rows}) == len(rows), name
        for key in keys:  # only the documented nullable key columns hold nulls
            assert table[key].null_count == 0 or SCHEMAS[name].field(key).nullable, (name, key)
    assert tables["diagnostics"].filter(pc.is_null(tables["diagnostics"]["report_key"])).num_rows
    repeated = pc.value_counts(tables["budget_figures"]["seq"].drop_null())
    assert max(c.as_py() for c in repeated.field("counts")) > 1  # seq alone is not a key
