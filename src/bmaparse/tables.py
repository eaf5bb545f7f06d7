"""Arrow tables: the schemas (the single source of truth) and flattening.

Strategy: ``SCHEMAS`` declares every table once, each column with its type
and nullability. A column that is a field of the model takes its description
and Thai label from the field (``model._column``), so they are written once;
the other columns (the parent's key, copies, derived and computed columns)
carry their own. The data dictionary is rendered from ``SCHEMAS``. ``to_tables`` walks the Report tree once,
gathering each table's records (and the parent key for each row), then
builds one Python list per column (``map(attrgetter(name), records)``; no
dict or tuple per row) and converts each list with one ``pa.array`` call.
Only when that call fails does it bisect the list to find the misfits: a
number that does not fit its column becomes null, text that is not valid
Unicode gets U+FFFD, and each adds a diagnostics row, so flattening never
raises on a well-typed Report. Row order is input order, then the order of
the records on the report; diagnostics made while flattening come last.
``build_projects`` is pure pyarrow compute; ``ProjectsBuilder`` computes the
same table while the reports stream past, holding about one row per project
rather than every report. pandas is imported only by ``to_pandas``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ._normalize import without_surrogates
from ._read import Document
from .model import CHILD_TABLES, SCHEMA_VERSION, Diagnostic, Report

if TYPE_CHECKING:
    import pandas as pd

_S, _D, _I8, _I16, _I32, _B = pa.string(), pa.date32(), pa.int8(), pa.int16(), pa.int32(), pa.bool_()
_AMOUNT_TYPE, _NUM = pa.decimal128(18, 2), pa.decimal128(12, 4)
_KEY = ("report_key", _S, False, "The report (snapshot) this row belongs to.")
_ORDINAL = ("ordinal", _I32, False, "Place of the row among the report's rows of this table "
            "(1, 2, ...): with report_key, the row's key.")
_Col = tuple[Any, ...]  # (name, type[, nullable[, description]]): no description: a model field

_RECORDS: dict[str, Any] = {"reports": Report, **CHILD_TABLES, "diagnostics": Diagnostic,
                            "projects": Report}
"""Table name -> the record type its rows are made of (``projects``: the latest Report);
a column declared without a description is the record's field of that name."""


def _schema(table: str, description: str, *cols: _Col) -> pa.Schema:
    """The table's Arrow schema; a column's metadata is its description and Thai label,
    those of the model field (``model._column``) unless the column gives its own."""
    model = {f.name: f.metadata for f in fields(_RECORDS[table])}
    out = []
    for name, typ, *rest in cols:
        meta = {"description": rest[1]} if len(rest) > 1 else {
            ("description" if k == "doc" else k): v for k, v in model[name].items()}
        out.append(pa.field(name, typ, not rest or rest[0], metadata=meta))
    info: dict[bytes | str, bytes | str] = {"table": table, "description": description,
                                            "schema_version": SCHEMA_VERSION}
    return pa.schema(out, metadata=info)


SCHEMAS: dict[str, pa.Schema] = {
    "reports": _schema(
        "reports", "One row per report: one snapshot of a project (or KPI) page.",
        ("report_key", _S, False), ("doc_kind", _S, False), ("layout", _S, False),
        ("project_id", _S), ("project_id_source", _S), ("project_name", _S), ("agency_code", _S),
        ("agency_name", _S), ("agency_name_source", _S), ("fiscal_year_be", _I16),
        ("fiscal_year", _I16), ("fiscal_year_source", _S), ("progress_percent", _NUM),
        ("contact_raw", _S), ("contact_title", _S), ("contact_name", _S), ("contact_unit", _S),
        ("contact_phone", _S), ("evaluation_quarter", _I8), ("evaluation_score", _NUM),
        ("rationale", _S), ("unit_code_1", _S), ("unit_code_2", _S), ("targets", _S),
        ("kpi_id", _S), ("kpi_id_source", _S), ("policy_id", _S), ("branch_id", _S),
        ("start_date", _D), ("finish_date", _D), ("routine_work", _B), ("source_path", _S),
        ("source_sha256", _S), ("source_line_start", _I32), ("source_line_end", _I32),
        ("parser_version", _S, False), ("schema_version", _S, False),
        ("latest_reported_on", _D, True, "Latest reported_on of the report's progress updates."),
    ),
    "objectives": _schema(
        "objectives", "Objectives of the project, one row per item.", _KEY,
        ("ordinal", _I32), ("label", _S), ("text", _S, False), ("source_line", _I32),
    ),
    "strategy_links": _schema(
        "strategy_links", "Levels of the BMA strategy the project supports.", _KEY,
        ("ordinal", _I32), ("level", _S, False), ("code", _S, False), ("text", _S, False),
        ("source_line", _I32),
    ),
    "progress_updates": _schema(
        "progress_updates", "Progress blocks, in printed order (newest first).", _KEY,
        ("project_id", _S, True, "The report's project id (copied for convenience)."),
        ("seq", _I32), ("chrono_index", _I32), ("percent", _NUM), ("reported_on", _D),
        ("entry_date", _D), ("entry_date_raw", _S), ("text", _S), ("problems", _S),
        ("obstacles", _S), ("source_line", _I32),
    ),
    "budget_figures": _schema(
        "budget_figures", "Amounts of money found in the text.", _KEY, _ORDINAL,
        ("seq", _I32), ("label", _S),
        ("kind", _S, False, "What the amount is, read from the label: `allocated` (งบประมาณ, "
         "ได้รับ, จัดสรร), `spent` (ใช้, ใช้ไป), `disbursed` (เบิกจ่าย) or `unknown`."),
        ("amount_thb", _AMOUNT_TYPE), ("raw", _S, False), ("source_line", _I32),
    ),
    "kpis": _schema(
        "kpis", "Indicators, one row per indicator.", _KEY,
        ("ordinal", _I32), ("kpi_id", _S), ("name", _S, False), ("fiscal_year_be", _I16),
        ("target_value", _NUM), ("target_unit", _S), ("achieved_value", _NUM),
        ("achieved_unit", _S), ("kind", _S), ("level", _S), ("kinds_raw", _S),
        ("source_line", _I32), ("target_qualifier", _S), ("achieved_qualifier", _S),
        ("definition_id", _I32), ("data_kind", _S), ("definition", _S),
        ("calculation_method", _S),
    ),
    "quarterly_results": _schema(
        "quarterly_results", "Quarterly KPI evaluation rows.", _KEY, _ORDINAL,
        ("kpi_ordinal", _I32), ("quarter", _I8), ("result_value", _NUM), ("score", _NUM),
        ("subscore_a", _NUM), ("subscore_b", _NUM), ("result_unit", _S), ("narrative", _S),
        ("source_line", _I32),
    ),
    "kpi_entries": _schema(
        "kpi_entries", "Dated entries of KPI narratives; a line may hold several.", _KEY,
        ("kpi_ordinal", _I32), ("quarter", _I8), ("ordinal", _I32), ("entry_date", _D),
        ("entry_date_raw", _S), ("text", _S, False), ("source_line", _I32),
    ),
    "kpi_sections": _schema(
        "kpi_sections", "Numbered sections of KPI definition pages, each kept whole.", _KEY,
        _ORDINAL,
        ("kpi_ordinal", _I32), ("number", _I32), ("title", _S, False), ("text", _S),
        ("source_line", _I32),
    ),
    "diagnostics": _schema(
        "diagnostics", "Problems and notes found while reading, parsing and flattening.",
        ("report_key", _S, True, "The report; null when no report could be made (file-level)."),
        ("source_path", _S),
        ("ordinal", _I32, False, "Place of the row among the diagnostics of its report (of its "
         "file when report_key is null), 1, 2, ...: with report_key and source_path, its key."),
        ("line", _I32), ("col", _I32), ("severity", _S, False),
        ("code", _S, False), ("message", _S, False), ("raw", _S),
    ),
    "projects": _schema(
        "projects", "One row per project_id, from its latest snapshot (build_projects).",
        ("project_id", _S, False, "Project id such as `50240000-7108`."),
        ("report_key", _S, False, "The latest snapshot (see build_projects for the order)."),
        ("snapshots", _I32, False, "Number of distinct reports of this project."),
        ("latest_reported_on", _D, True, "latest_reported_on of the latest snapshot."),
        ("progress_percent", _NUM, True, "Overall progress percent of the latest snapshot."),
        ("project_name", _S), ("agency_code", _S, True, "8-digit agency code."),
        ("agency_name", _S), ("fiscal_year_be", _I16),
    ),
}
"""Table name -> Arrow schema. Field metadata: ``description``, ``label_th``."""


def _derived(table: str, description: str, *cols: pa.Field[Any] | _Col) -> pa.Schema:
    """The schema of a table computed from other tables (``bmaparse.analysis``,
    ``bmaparse.audit``): a column is a field of a base table (reused whole, with its
    description and Thai label) or ``(name, type, nullable, description[, label_th])``."""
    out = []
    for col in cols:
        if isinstance(col, pa.Field):
            out.append(col)
            continue
        name, typ, nullable, doc, *label = col
        out.append(pa.field(name, typ, nullable, metadata={"description": doc} | (
            {"label_th": label[0]} if label else {})))
    return pa.schema(out, metadata={"table": table, "description": description,
                                    "schema_version": SCHEMA_VERSION})


def _base(table: str, *names: str, nullable: bool | None = None) -> list[pa.Field[Any]]:
    fields_ = [SCHEMAS[table].field(n) for n in names]
    return fields_ if nullable is None else [f.with_nullable(nullable) for f in fields_]


_SNAPSHOTS = "Number of reports (snapshots) that hold it."
_AGENCY = ("agency", _S, True, "The agency's name, or its 8-digit code when the reports give "
           "no name.", "หน่วยงาน")
_PATH = ("source_path", _S, True, "The input file of that report.")
_AMOUNT = "From the latest snapshot holding a `{}` figure (see `bmaparse.analysis`)."
SCHEMAS |= {
    "progress_history": _derived(
        "progress_history", "One row per project and progress entry (`chrono_index`), from "
        "the latest snapshot holding it: sum or chart it without counting an entry twice.",
        *_base("progress_updates", "project_id", "chrono_index", nullable=False),
        *_base("progress_updates", "seq", "percent", "reported_on", "entry_date",
               "entry_date_raw", "text", "problems", "obstacles"),
        ("report_key", _S, False, "The latest snapshot holding the entry."), _PATH,
        *_base("progress_updates", "source_line"),
        ("snapshots", _I32, False, _SNAPSHOTS),
    ),
    "project_budget": _derived(
        "project_budget", "Allocated, spent and disbursed per project and fiscal year: the "
        "latest figures, with the report and line each came from.",
        ("project_id", _S, False, "Project id such as `50240000-7108`."),
        ("fiscal_year_be", _I16, True, "Fiscal year (Buddhist Era) of the reports.",
         "ปีงบประมาณ"),
        ("agency_code", _S, True, "8-digit agency code."), _AGENCY,
        ("allocated", _AMOUNT_TYPE, True, _AMOUNT.format("allocated"), "งบประมาณที่ได้รับ"),
        ("spent", _AMOUNT_TYPE, True, _AMOUNT.format("spent"), "งบประมาณที่ใช้ไป"),
        ("disbursed", _AMOUNT_TYPE, True, _AMOUNT.format("disbursed"), "เบิกจ่าย"),
        ("report_key", _S, False, "The latest of the reports the figures came from."), _PATH,
        ("source_line", _I32, True, "Line of that report's figure."),
        *[col for kind in ("allocated", "spent", "disbursed") for col in (
            (f"{kind}_report_key", _S, True, f"The report `{kind}` came from."),
            (f"{kind}_line", _I32, True, f"The line `{kind}` came from."))],
    ),
    "kpi_results": _derived(
        "kpi_results", "One row per KPI and quarter (quarter null when the KPI's latest "
        "snapshot has none), from its latest snapshot, with the projects serving it.",
        ("kpi_key", _S, False, "The KPI: its `kpi_id`, else `name (project_id)` (or "
         "`name (report_key)` when the report has no project id)."),
        *_base("kpis", "kpi_id", "name", "fiscal_year_be"),
        *_base("quarterly_results", "quarter"),
        *_base("kpis", "target_value", "target_unit", "target_qualifier", "achieved_value",
               "achieved_unit"),
        *_base("quarterly_results", "result_value", "result_unit", "score"),
        ("project_ids", _S, True, "The projects serving the KPI, comma-separated: those whose "
         "`reports.kpi_id` is its id, and the project whose report holds it."),
        ("projects", _I32, False, "How many project ids `project_ids` lists."),
        ("report_key", _S, False, "The KPI's latest snapshot."), _PATH,
        ("source_line", _I32, True, "Line of the quarterly row, else of the indicator."),
        ("snapshots", _I32, False, _SNAPSHOTS),
    ),
    "findings": _derived(
        "findings", "Audit findings: a rule of `bmaparse.audit` (docs/audit.md) and the "
        "values that triggered it.",
        ("code", _S, False, "The rule, stable and kebab-case: `progress-backwards` ..."),
        ("severity", _S, False, "`error`, `warning` or `info`.", "ระดับ"),
        ("project_id", _S, True, "The project, when the finding is about one."), _AGENCY,
        ("report_key", _S, True, "The report the finding points at, when there is one."), _PATH,
        ("line", _I32, True, "Line in `source_path`."),
        ("evidence", _S, False, "Compact JSON of the values that triggered the rule."),
        ("message", _S, False, "What was found, in English, naming the values."),
    ),
}

ANALYSIS_TABLES = ("progress_history", "project_budget", "kpi_results", "findings")
"""Tables computed from the others once every report is written (``bmaparse.analysis``,
``bmaparse.audit``)."""
TABLES = tuple(name for name in SCHEMAS if name not in ("projects", *ANALYSIS_TABLES))
"""The tables ``to_tables`` returns (``projects`` comes from ``build_projects``)."""
PROJECT_SOURCE_COLUMNS = tuple(n for n in SCHEMAS["projects"].names if n != "snapshots")
"""The reports columns ``build_projects`` reads."""
_HELD = pa.schema([*(SCHEMAS["reports"].field(n) for n in PROJECT_SOURCE_COLUMNS),
                   pa.field("snapshots", pa.int32(), False)])
"""The rows a ``ProjectsBuilder`` holds."""

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "reports": ("report_key",),
    "objectives": ("report_key", "ordinal"),
    "strategy_links": ("report_key", "ordinal"),
    "progress_updates": ("report_key", "chrono_index"),
    "budget_figures": ("report_key", "ordinal"),
    "kpis": ("report_key", "ordinal"),
    "quarterly_results": ("report_key", "ordinal"),
    "kpi_entries": ("report_key", "ordinal"),
    "kpi_sections": ("report_key", "ordinal"),
    "diagnostics": ("report_key", "source_path", "ordinal"),
    "projects": ("project_id",),
    "progress_history": ("project_id", "chrono_index"),
    "project_budget": ("project_id", "fiscal_year_be"),
    "kpi_results": ("kpi_key", "quarter"),
    "findings": (),
}
"""Table name -> the columns that identify a row (unique in a converted folder). A key
column may be nullable (``diagnostics.report_key`` of a file-level problem,
``project_budget.fiscal_year_be``, ``kpi_results.quarter``): null then equals null.
``findings`` has none: its rows are judgements over the whole archive, replaced whole."""

_ROW_ORDINAL = ("budget_figures", "quarterly_results", "kpi_sections")
"""Child tables whose ``ordinal`` flattening numbers (their records have no place of their own)."""
_OWN = {t: SCHEMAS[t].names[2 if t == "progress_updates" or t in _ROW_ORDINAL else 1 :]
        for t in CHILD_TABLES}
_OWN["reports"] = SCHEMAS["reports"].names[:-1]  # all but latest_reported_on
_OWN["diagnostics"] = SCHEMAS["diagnostics"].names[3:]  # after report_key, source_path, ordinal
_LINE_COL = {"reports": "source_line_start", "diagnostics": "line"}
_COPIED = ("report_key", "project_id", "source_path")  # repaired silently outside reports
_MISFIT = (pa.ArrowException, OverflowError, TypeError, ValueError, UnicodeError)
_INT32 = range(-(2**31), 2**31)
_Misfit = tuple[int, Any, Any]  # (row, value, replacement or None)
_Ctx = tuple[str | None, str | None]  # (report_key, source_path)


def to_tables(items: Iterable[Report | Document]) -> dict[str, pa.Table]:
    """Flatten reports (or Documents: their reports and their own diagnostics) into
    one Arrow table per name in ``TABLES``, typed by ``SCHEMAS``; never raises on a
    well-typed Report."""
    records: dict[str, list[Any]] = {name: [] for name in TABLES}
    head: dict[str, list[list[Any]]] = {name: [[] for _ in range(len(SCHEMAS[name]) - len(
        _OWN[name]))] for name in TABLES}  # report_key (, project_id | source_path) per row
    runs: dict[str, list[tuple[int, int]]] = {name: [] for name in TABLES[:-1]}  # (row, ctx)
    ctxs: list[_Ctx] = []
    for item in items:
        if isinstance(item, Document):
            doc_path, reports = item.source_path, item.reports
            _add_diagnostics(item.diagnostics, None, doc_path, records, head)
        else:
            doc_path, reports = None, (item,)
        for r in reports:
            key, path = r.report_key, r.source_path or doc_path
            ctxs.append((key, path))
            for name in TABLES[1:-1]:
                runs[name].append((len(records[name]), len(ctxs) - 1))
                children = getattr(r, name)
                if children:
                    records[name].extend(children)
                    head[name][0].extend([key] * len(children))
                    if name == "progress_updates":
                        head[name][1].extend([r.project_id] * len(children))
                    elif name in _ROW_ORDINAL:
                        head[name][1].extend(range(1, len(children) + 1))
            runs["reports"].append((len(records["reports"]), len(ctxs) - 1))
            records["reports"].append(r)
            dates = [u.reported_on for u in r.progress_updates if u.reported_on is not None]
            head["reports"][0].append(max(dates) if dates else None)
            _add_diagnostics(r.diagnostics, key, path, records, head)
    made: list[tuple[Any, ...]] = []
    out = {name: _convert(name, _columns(name, records, head), runs[name], ctxs, made)
           for name in TABLES[:-1]}
    extra: list[tuple[Any, ...]] = []  # misfits in the diagnostics rows themselves
    seen: dict[_Ctx, int] = {}
    columns = _numbered(_extend(_columns("diagnostics", records, head), made), seen)
    out["diagnostics"] = _convert("diagnostics", columns, [], ctxs, extra)
    if extra:  # made of repaired text and checked line numbers: fits, cannot recurse
        columns = _numbered(_extend([[] for _ in SCHEMAS["diagnostics"]], extra), seen)
        out["diagnostics"] = pa.concat_tables([out["diagnostics"],
                                               _convert("diagnostics", columns, [], [], [])])
    return out


def _numbered(columns: list[list[Any]], seen: dict[_Ctx, int]) -> list[list[Any]]:
    """Diagnostics columns with ``ordinal`` set: each row's place among the rows of its
    (report_key, source_path) as they will be stored (lone surrogates as U+FFFD), counted
    on from ``seen`` (updated)."""
    ordinals = columns[2]
    for i, (key, path) in enumerate(zip(columns[0], columns[1], strict=True)):
        ctx = (key if key is None else _text(key), path if path is None else _text(path))
        ordinals[i] = seen[ctx] = seen.get(ctx, 0) + 1
    return columns


def _extend(columns: list[list[Any]], rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def _add_diagnostics(diags: tuple[Any, ...], key: str | None, path: str | None,
                     records: dict[str, list[Any]], head: dict[str, list[list[Any]]]) -> None:
    if diags:
        records["diagnostics"].extend(diags)
        head["diagnostics"][0].extend([key] * len(diags))
        head["diagnostics"][1].extend([d.source_path or path for d in diags])
        head["diagnostics"][2].extend([None] * len(diags))  # numbered by _numbered


def _columns(name: str, records: dict[str, list[Any]], head: dict[str, list[list[Any]]]
             ) -> list[list[Any]]:
    """The table's column lists in schema order, without a tuple per row."""
    own = [list(map(attrgetter(f), records[name])) for f in _OWN[name]]
    return own + head[name] if name == "reports" else head[name] + own


def _convert(name: str, columns: list[list[Any]], runs: list[tuple[int, int]],
             ctxs: list[_Ctx], made: list[tuple[Any, ...]]) -> pa.Table:
    """Column lists -> a typed table; each misfit value appends a diagnostics row to
    ``made``."""
    schema = SCHEMAS[name]
    lines = columns[schema.names.index(_LINE_COL.get(name, "source_line"))]
    arrays = []
    for field, values in zip(schema, columns, strict=True):
        misfits: list[_Misfit] = []
        arrays.append(_array(values, field.type, 0, misfits))
        quiet = name != "reports" and field.name in _COPIED
        for row, value, fixed in misfits if not quiet else ():
            i = bisect_right(runs, (row, len(ctxs))) - 1
            key, path = ctxs[runs[i][1]] if runs else (columns[0][row], columns[1][row])
            where = f"{name}.{field.name}"
            common = (None if key is None else _text(key), None if path is None else _text(path),
                      None, _int32(lines[row]), None)  # ordinal: numbered by _numbered
            if fixed is None:
                msg = f"{where}: value {value} does not fit {field.type}; stored as null"
                made.append((*common, "error", "value-out-of-range", msg, _text(value)))
            else:
                msg = f"{where}: text is not valid Unicode; stored with U+FFFD"
                made.append((*common, "warning", "invalid-text", msg, fixed[:200]))
    return pa.Table.from_arrays(arrays, schema=schema)


def _array(values: list[Any], typ: pa.DataType, start: int, misfits: list[_Misfit]
           ) -> pa.Array[Any]:
    """One pa.array call; on failure bisect to the values that do not fit."""
    try:
        return pa.array(values, type=typ)
    except _MISFIT:
        if len(values) > 1:
            mid = len(values) // 2
            return pa.concat_arrays([_array(values[:mid], typ, start, misfits),
                                     _array(values[mid:], typ, start + mid, misfits)])
    value = values[0]
    if pa.types.is_string(typ):
        fixed = _text(value)
        misfits.append((start, value, fixed))
        return pa.array([fixed], type=typ)
    misfits.append((start, value, None))
    return pa.array([None], type=typ)


def _text(value: Any) -> str:
    """``str(value)`` with lone surrogates replaced by U+FFFD."""
    return without_surrogates(str(value))


def _int32(value: Any) -> int | None:
    return value if type(value) is int and value in _INT32 else None


def to_pandas(items: Iterable[Report | Document]) -> dict[str, pd.DataFrame]:
    """``to_tables`` as pandas DataFrames with ``pd.ArrowDtype`` columns (the table's
    own types): decimals stay exact (``decimal128(12, 4)[pyarrow]``, not ``Decimal``
    objects), dates stay dates and integer columns keep their size and their nulls
    (``int8[pyarrow]``, not ``float64``). ``pd.ArrowDtype`` is there since pandas 2.0."""
    import pandas as pd

    return {name: t.to_pandas(types_mapper=pd.ArrowDtype) for name, t in to_tables(items).items()}


_LATEST_FIRST: Any = [  # per-key null placement (pyarrow >= 25; the stubs only know pairs)
    ("project_id", "ascending", "at_end"), ("latest_reported_on", "descending", "at_end"),
    ("progress_percent", "descending", "at_end"), ("report_key", "ascending", "at_end")]
"""The order of build_projects: each project's latest snapshot first."""


def build_projects(reports: pa.Table) -> pa.Table:
    """One row per non-null project_id of a reports table (or a projection of it with
    ``PROJECT_SOURCE_COLUMNS``), from its latest snapshot: latest_reported_on descending
    (nulls last), then progress_percent descending (nulls last), then report_key."""
    schema = SCHEMAS["projects"]
    t = reports.select(list(PROJECT_SOURCE_COLUMNS))
    t = t.filter(pc.is_valid(t["project_id"]))
    if t.num_rows == 0:
        return schema.empty_table()
    t = t.take(pc.sort_indices(t, sort_keys=_LATEST_FIRST))
    pid = t["project_id"].combine_chunks()
    first = pc.not_equal(pid.slice(1), pid.slice(0, len(pid) - 1))  # a new project starts
    latest = t.filter(pa.concat_arrays([pa.array([True]), first]))
    counts = t.group_by("project_id", use_threads=False).aggregate(  # groups: any order
        [("report_key", "count_distinct")]).sort_by("project_id")["report_key_count_distinct"]
    columns = {n: latest[n] for n in PROJECT_SOURCE_COLUMNS} | {"snapshots": counts}
    return pa.table([columns[n].cast(f.type) for n, f in zip(schema.names, schema, strict=True)],
                    schema=schema)


class ProjectsBuilder:
    """``build_projects`` of a reports table that arrives in batches (``add``), holding
    about one row per project instead of every report.

    Each batch is cut to ``PROJECT_SOURCE_COLUMNS`` (copied, so the batch's buffers
    can go) with a ``snapshots`` count of 1 per row. When the rows held pass twice
    what the last reduction kept, they are reduced to the latest row of each project
    (the order of ``build_projects``; a stable sort, so of equal rows the earliest
    wins, as there), its ``snapshots`` the sum of its rows'; a reduction that would
    keep most rows is skipped (it would only copy them). ``tables`` yields the
    result in slices, so the last reduction never holds a second copy of it.
    Equal to ``build_projects`` of all the batches together as long as no
    report_key comes twice, which is how convert writes reports."""

    _REDUCE_ROWS = 65_536
    """Rows held before the first reduction is tried."""
    _SLICE_ROWS = 8_192
    """Rows per table ``tables`` yields."""

    def __init__(self) -> None:
        self._held: list[pa.Table] = []
        self._rows = 0
        self._next = self._REDUCE_ROWS

    def add(self, reports: pa.Table) -> None:
        """Take one batch of report rows (the reports schema, or its
        ``PROJECT_SOURCE_COLUMNS``)."""
        t = reports.select(list(PROJECT_SOURCE_COLUMNS))
        t = t.take(pc.indices_nonzero(pc.is_valid(t["project_id"])))  # take copies
        if t.num_rows:
            ones = pa.repeat(pa.scalar(1, pa.int32()), t.num_rows)
            self._held.append(t.append_column("snapshots", ones))
            self._rows += t.num_rows
            if self._rows >= self._next:
                self._reduce(final=False)

    def tables(self) -> Iterator[pa.Table]:
        """The projects table (``SCHEMAS["projects"]``), in slices, in project_id order;
        the builder is empty afterwards."""
        schema = SCHEMAS["projects"]
        held, firsts, counts = self._reduce(final=True)
        self._held, self._rows = [], 0
        for start in range(0, len(firsts), self._SLICE_ROWS):
            part = held.take(firsts.slice(start, self._SLICE_ROWS))
            part = part.set_column(part.schema.get_field_index("snapshots"), "snapshots",
                                   counts.slice(start, self._SLICE_ROWS))
            yield pa.table([part[n].cast(f.type) for n, f in zip(schema.names, schema,
                                                                   strict=True)], schema=schema)

    def _reduce(self, *, final: bool) -> tuple[pa.Table, pa.Array[Any], pa.Array[Any]]:
        """(rows held, index of each project's latest row in project_id order, its
        snapshots); held rows are replaced by the reduced ones when that saves."""
        held = pa.concat_tables(self._held) if self._held else _HELD.empty_table()
        if held.num_rows == 0:
            return held, pa.array([], pa.int64()), pa.array([], pa.int64())
        order = pc.sort_indices(held, sort_keys=_LATEST_FIRST)
        pid = held["project_id"].take(order).combine_chunks()
        first = pc.not_equal(pid.slice(1), pid.slice(0, len(pid) - 1))  # a new project
        starts = pc.indices_nonzero(pa.concat_arrays([pa.array([True]), first])).cast(pa.int64())
        firsts = order.take(starts)
        # snapshots per project: the running sum in that order, read at each project's
        # last row and differenced (no hash table of every project)
        total = pc.cumulative_sum(held["snapshots"].take(order).combine_chunks().cast(pa.int64()))
        ends = total.take(pa.concat_arrays([pc.subtract(starts.slice(1), 1),
                                            pa.array([len(pid) - 1], pa.int64())]))
        counts = pc.subtract(ends, pa.concat_arrays([pa.array([0], pa.int64()),
                                                     ends.slice(0, len(ends) - 1)]))
        if not final and len(firsts) <= held.num_rows * 3 // 4:
            reduced = held.take(firsts)
            held = reduced.set_column(reduced.schema.get_field_index("snapshots"), "snapshots",
                                      counts.cast(pa.int32()))
        self._held, self._rows = [held], held.num_rows
        self._next = max(self._REDUCE_ROWS, 2 * held.num_rows)
        return held, firsts, counts


def data_dictionary(fmt: str = "markdown") -> str:
    """Every table and column of ``SCHEMAS``: type, nullable, Thai label, description
    and (markdown) where the values come from in the code."""
    if fmt not in ("markdown", "text"):
        raise ValueError(f"unknown data dictionary format {fmt!r}; use 'markdown' or 'text'")
    md = fmt == "markdown"
    out = ["# bmaparse data dictionary", "", f"Schema version {SCHEMA_VERSION}. Generated from "
           "`bmaparse.tables.SCHEMAS` by `write_data_dictionary` (`bmaparse schema`); do not "
           "edit by hand.", "",
           "A value that does not fit its column is stored as null and reported in "
           "`diagnostics` (code `value-out-of-range`), which is why some columns the parser "
           "always fills are nullable.", ""]
    if md:
        out[2] += (" `in the code` names the field of `bmaparse.model` that a column is (its "
                   "description and Thai label are declared there), or the function of "
                   "`bmaparse.tables` that computes it.")
    else:
        out = [line.lstrip("# ").replace("`", "") for line in out]
    for name, schema in SCHEMAS.items():
        meta = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
        rows = []
        for f in schema:
            fm = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
            cells = (f.name, str(f.type), "yes" if f.nullable else "no",
                     fm.get("label_th", ""), fm.get("description", ""), _origin(name, f.name))
            rows.append(cells)
        keys = TABLE_KEYS[name]
        key = (f"Row key: {', '.join(f'`{k}`' for k in keys)}." if keys else
               "Row key: none (a warehouse load replaces the table whole).")
        if md:
            out += [f"## {name}", "", meta["description"], "", key, "",
                    "| column | type | nullable | Thai label | description | in the code |",
                    "|---|---|---|---|---|---|"]
            out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        else:
            widths = [max(len(r[i]) for r in rows) for i in range(3)]
            out += [f"{name}: {meta['description'].replace('`', '')}", f"  {key.replace('`', '')}"]
            out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True))
                    + f"  {r[4].replace('`', '')}" + (f" [{r[3]}]" if r[3] else "") for r in rows]
        out.append("")
    return "\n".join(out)


def _origin(table: str, column: str) -> str:
    """Where a column's values come from, for the data dictionary: the model field or
    property (``Report.evaluation_score``; the parent report's for the key and copies),
    else the function that computes them."""
    if table in ANALYSIS_TABLES:
        return "`bmaparse.audit`" if table == "findings" else "`bmaparse.analysis`"
    for record in (_RECORDS[table], Report):
        if column in record.__dataclass_fields__ or isinstance(getattr(record, column, None),
                                                                property):
            return f"`{record.__name__}.{column}`"
    return "`build_projects`" if table == "projects" else "`to_tables`"


def write_data_dictionary(path: str | Path, fmt: str = "markdown") -> None:
    """Write ``data_dictionary(fmt)`` to ``path`` (``docs/data-dictionary.md``)."""
    Path(path).write_text(data_dictionary(fmt), encoding="utf-8")

