"""The report's figures: every number on the page, computed from the tables.

Strategy: pure pyarrow compute (group_by, joins, filters) on the columns that
``_load`` read; each function returns a few dozen plain Python values, never
rows of the input, so the page stays small at 100k reports. Nothing is summed
twice: progress and budget come from each project's latest snapshot (the
``projects`` table names it) or from the audit's ``progress_history`` and
``project_budget`` tables where the folder has them; KPIs from the audit's
``kpi_results`` (one row per KPI), or else from the latest snapshot of each project
and of each KPI of the pages that belong to no project.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ._load import Folder

NONE = "(none)"
"""The label of a null group (an agency or a fiscal year that was not read)."""
PROGRESS_BINS = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
KPI_BUCKETS = ((0.5, "< 50%"), (0.8, "50-80%"), (1.0, "80-100%"), (1.2, "100-120%"),
               (float("inf"), "≥ 120%"))
"""achieved / target, upper bounds (exclusive) and labels."""
SEVERITIES = ("error", "warning", "info")

Counts = list[tuple[str, int]]


@dataclass(frozen=True)
class Grid:
    """A heat map: ``values[r][c]`` for row ``rows[r]`` and column ``columns[c]``."""

    rows: list[str]
    columns: list[str]
    values: list[list[float]]


def _label(value: Any) -> str:
    return NONE if value is None else str(value)


def count_by(table: pa.Table, key: str) -> Counts:
    """Rows per value of ``key``, most first (then by label)."""
    if not table.num_rows:
        return []
    grouped = table.group_by(key).aggregate([([], "count_all")]).to_pylist()
    pairs = [(_label(row[key]), int(row["count_all"])) for row in grouped]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def overview(folder: Folder) -> dict[str, int]:
    """The headline numbers."""
    reports, diags = folder.tables["reports"], folder.tables["diagnostics"]
    totals = folder.manifest.get("totals", {})
    severity = dict(count_by(diags, "severity"))
    return {
        "inputs": int(totals.get("inputs", 0)),
        "reports": reports.num_rows,
        "projects": folder.tables["projects"].num_rows,
        "agencies": _distinct(reports["agency_name"]),
        "fiscal_years": _distinct(reports["fiscal_year_be"]),
        "layouts": _distinct(reports["layout"]),
        "inputs_with_errors": int(totals.get("errors", 0)),
        "errors": severity.get("error", 0),
        "warnings": severity.get("warning", 0),
    }


def _distinct(column: pa.ChunkedArray[Any]) -> int:
    return len(pc.unique(column.drop_null()))


def fill_rates(reports: pa.Table, filled: pa.Table, by: str, top: int = 15) -> Grid:
    """Share of reports with a value in each nullable reports column (rows of the grid; the
    flags of ``_load.Folder.filled``) per value of the reports column ``by`` (columns: its
    ``top`` most frequent values)."""
    names = [n for n in filled.column_names if n != by]
    groups = [label for label, _ in count_by(reports, by)[:top]]
    if not groups:
        return Grid(names, [], [[] for _ in names])
    flags = filled.select(names).append_column("group", reports[by])
    aggregated = flags.group_by("group").aggregate(
        [([], "count_all"), *((n, "sum") for n in names)]).to_pylist()
    rows = {_label(row["group"]): row for row in aggregated}
    values = [[rows[g][f"{n}_sum"] / rows[g]["count_all"] for g in groups] for n in names]
    return Grid(names, groups, values)


def by_code(table: pa.Table) -> list[tuple[str, str, int]]:
    """(code, severity, rows) of a diagnostics or findings table, most first."""
    if not table.num_rows:
        return []
    grouped = table.group_by(["code", "severity"]).aggregate([([], "count_all")]).to_pylist()
    out = [(str(r["code"]), _label(r["severity"]), int(r["count_all"])) for r in grouped]
    return sorted(out, key=lambda t: (-t[2], t[0], t[1]))


def error_inputs(diags: pa.Table, limit: int) -> tuple[list[tuple[str, int | None, int, str]], int]:
    """The inputs with error diagnostics: (path, first error line, errors, codes), the
    ``limit`` with most errors first, and how many inputs there are in all."""
    errors = diags.filter(pc.equal(diags["severity"], pa.scalar("error")))
    if not errors.num_rows:
        return [], 0
    grouped = errors.group_by("source_path").aggregate(
        [("line", "min"), ([], "count_all"), ("code", "distinct")]).to_pylist()
    rows = [(_label(r["source_path"]), r["line_min"], int(r["count_all"]),
             ", ".join(sorted(map(str, r["code_distinct"])))) for r in grouped]
    rows.sort(key=lambda r: (-r[2], r[0]))
    return rows[:limit], len(rows)


def progress_distribution(projects: pa.Table) -> Counts:
    """Projects per overall progress bin of their latest snapshot (``none``: not read)."""
    percent = pc.cast(projects["progress_percent"], pa.float64()).to_pylist()
    counts = [0] * len(PROGRESS_BINS)
    missing = 0
    for value in percent:
        if value is None:
            missing += 1
        else:
            counts[_bin(value)] += 1
    labels = [f"{lo}-{hi}" if hi < 100 else f"{lo}-<100" for lo, hi in
              pairwise(PROGRESS_BINS)] + ["100"]
    return [*zip(labels, counts, strict=True), ("none", missing)]


def _bin(value: float) -> int:
    if value >= 100:
        return len(PROGRESS_BINS) - 1
    return max(0, min(len(PROGRESS_BINS) - 2, int(value // 10)))


def progress_per_agency(projects: pa.Table, top: int = 20) -> list[tuple[str, float, int]]:
    """(agency, mean progress, projects with a progress) of the ``top`` agencies with the
    most projects; the latest snapshot of each project."""
    known = projects.filter(pc.is_valid(projects["progress_percent"]))
    if not known.num_rows:
        return []
    known = known.set_column(known.schema.get_field_index("progress_percent"), "progress_percent",
                             pc.cast(known["progress_percent"], pa.float64()))
    grouped = known.group_by("agency_name").aggregate(
        [("progress_percent", "mean"), ("progress_percent", "count")]).to_pylist()
    rows = [(_label(r["agency_name"]), float(r["progress_percent_mean"]),
             int(r["progress_percent_count"])) for r in grouped]
    rows.sort(key=lambda r: (-r[2], r[0]))
    return rows[:top]


def history(folder: Folder) -> pa.Table:
    """One row per project and progress entry: project_id, percent (float), month
    (``YYYY-MM`` of reported_on, else of entry_date). From ``progress_history`` when the
    folder has it, else the progress blocks of each project's latest snapshot."""
    table = folder.derived["progress_history"]
    if table is None:
        updates = folder.tables["progress_updates"]
        latest = folder.tables["projects"]["report_key"]
        table = updates.filter(pc.is_in(updates["report_key"], value_set=latest.combine_chunks()))
    table = table.filter(pc.and_(pc.is_valid(table["project_id"]), pc.is_valid(table["percent"])))
    when = pc.coalesce(table["reported_on"], table["entry_date"])
    month = pc.strftime(when, format="%Y-%m")
    out = pa.Table.from_arrays(
        [table["project_id"], pc.cast(table["percent"], pa.float64()), month],
        names=["project_id", "percent", "month"])
    return out.filter(pc.is_valid(out["month"]))


def progress_over_time(folder: Folder, groups: int = 10, months: int = 48
                       ) -> dict[str, list[tuple[str, float, int]]]:
    """Group -> (month, mean percent of the entries of that month, projects reporting),
    for every project ("all") and the ``groups`` agencies with the most projects that have
    a history; the last ``months`` months that have entries."""
    entries = history(folder)
    projects = folder.tables["projects"].select(["project_id", "agency_name"])
    entries = entries.join(projects, "project_id", join_type="left outer")
    out = {"all": _monthly(entries, months)}
    for agency, _ in count_by(entries.group_by(["project_id", "agency_name"]).aggregate([]),
                              "agency_name")[:groups]:
        mask = (pc.is_null(entries["agency_name"]) if agency == NONE
                else pc.equal(entries["agency_name"], pa.scalar(agency)))
        out[agency] = _monthly(entries.filter(mask), months)
    return out


def _monthly(entries: pa.Table, months: int) -> list[tuple[str, float, int]]:
    if not entries.num_rows:
        return []
    grouped = entries.group_by("month").aggregate(
        [("percent", "mean"), ("project_id", "count_distinct")]).to_pylist()
    rows = sorted((str(r["month"]), float(r["percent_mean"]), int(r["project_id_count_distinct"]))
                  for r in grouped)
    return rows[-months:]


def project_budget(folder: Folder) -> pa.Table:
    """One row per project (and fiscal year): agency, fiscal_year_be, allocated, spent
    (floats, baht). The audit's ``project_budget`` when the folder has it; else, from each
    project's latest snapshot, per kind the figure outside the progress blocks, or
    failing that the newest block's (lowest seq), the first on the page."""
    table = folder.derived["project_budget"]
    if table is not None:
        return table.select(["project_id", "agency", "fiscal_year_be", "allocated", "spent"])
    projects = folder.tables["projects"]
    figures = folder.tables["budget_figures"].filter(
        pc.is_valid(folder.tables["budget_figures"]["amount_thb"]))
    figures = figures.join(projects.select(["report_key", "project_id"]), "report_key",
                           join_type="inner")
    block: Any = pc.fill_null(figures["seq"], pa.scalar(0, pa.int32()))
    figures = figures.append_column("block", block)
    first = figures.sort_by([("project_id", "ascending"), ("kind", "ascending"),
                             ("block", "ascending"), ("source_line", "ascending")])
    out = projects.select(["project_id", "agency_name", "fiscal_year_be"]).rename_columns(
        ["project_id", "agency", "fiscal_year_be"])
    for kind in ("allocated", "spent"):
        picked = _first_per_project(first.filter(pc.equal(first["kind"], pa.scalar(kind))))
        out = out.join(picked.rename_columns(["project_id", kind]), "project_id",
                       join_type="left outer")
    return out


def _first_per_project(figures: pa.Table) -> pa.Table:
    """The first row of each project_id in ``figures`` (sorted by project): its amount."""
    ids = figures["project_id"].combine_chunks()
    if not len(ids):
        return pa.table({"project_id": pa.array([], pa.string()),
                         "amount": pa.array([], pa.float64())})
    starts = pc.not_equal(ids[1:], ids[:-1]) if len(ids) > 1 else pa.array([], pa.bool_())
    keep = pa.concat_arrays([pa.array([True]), starts])
    picked = figures.filter(keep)
    return pa.Table.from_arrays([picked["project_id"], pc.cast(picked["amount_thb"], pa.float64())],
                                names=["project_id", "amount"])


def budget_by(budget: pa.Table, key: str, top: int | None = None
              ) -> list[tuple[str, float, float]]:
    """(group, allocated, spent) summed per value of ``key`` (agency or fiscal_year_be):
    by fiscal year in year order, by agency the ``top`` most allocated."""
    if not budget.num_rows:
        return []
    grouped = budget.group_by(key).aggregate([("allocated", "sum"), ("spent", "sum")]).to_pylist()
    rows = [(_label(r[key]), float(r["allocated_sum"] or 0), float(r["spent_sum"] or 0))
            for r in grouped]
    if top is None:
        return sorted(rows)
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows[:top]


def current_kpis(folder: Folder) -> pa.Table:
    """One row per KPI (fiscal_year_be, target and achieved value and unit), each KPI once
    however many snapshots hold it. From the audit's ``kpi_results`` when the folder has
    it (its first row of each ``kpi_key``: the values are the KPI's, repeated per
    quarter); else the KPI rows of each project's latest snapshot and, among reports of no
    project, of the latest snapshot of each KPI (``kpi_id``, else name)."""
    results = folder.derived["kpi_results"]
    if results is not None:
        first = results.sort_by([("kpi_key", "ascending"), ("quarter", "ascending")])
        return _first_of_each(first, "kpi_key").select(list(_KPI_COLUMNS))
    reports, kpis = folder.tables["reports"], folder.tables["kpis"]
    latest = kpis.filter(pc.is_in(kpis["report_key"], value_set=folder.tables["projects"][
        "report_key"].combine_chunks().cast(pa.string())))
    loose = reports.filter(pc.is_null(reports["project_id"]))
    entries = folder.tables["kpi_entries"].group_by("report_key").aggregate(
        [("entry_date", "max")])
    dated = loose.select(["report_key", "latest_reported_on"]).join(
        entries, "report_key", join_type="left outer")
    dated = pa.Table.from_arrays(
        [dated["report_key"], pc.coalesce(dated["latest_reported_on"], dated["entry_date_max"])],
        names=["report_key", "date"])
    held = kpis.join(dated, "report_key", join_type="inner")
    held = held.append_column("identity", pc.coalesce(held["kpi_id"], held["name"])).sort_by(
        [("identity", "ascending"), ("date", "descending"), ("report_key", "ascending")])
    others = _first_of_each(held, "identity")
    return pa.concat_tables([latest.select(list(_KPI_COLUMNS)),
                             others.select(list(_KPI_COLUMNS))])


_KPI_COLUMNS = ("fiscal_year_be", "target_value", "target_unit", "achieved_value",
                "achieved_unit")
"""What ``kpi_outcomes`` reads of a KPI."""


def _first_of_each(table: pa.Table, key: str) -> pa.Table:
    """The first row of each value of ``key`` in ``table`` (sorted by ``key``)."""
    values = table[key].combine_chunks()
    if len(values) < 2:
        return table
    starts: Any = pc.fill_null(pc.not_equal(values[1:], values[:-1]), pa.scalar(True))
    return table.filter(pa.concat_arrays([pa.array([True]), starts]))


def kpi_outcomes(kpis: pa.Table) -> tuple[list[tuple[str, int, int, int]], Counts]:
    """Per fiscal year (met, below target, not comparable) and achieved/target buckets of
    the comparable KPIs: both values read, the same unit, a target above zero."""
    target: Any = pc.cast(kpis["target_value"], pa.float64())
    achieved: Any = pc.cast(kpis["achieved_value"], pa.float64())
    no_units: Any = pc.and_(pc.is_null(kpis["target_unit"]), pc.is_null(kpis["achieved_unit"]))
    same_unit: Any = pc.fill_null(pc.equal(kpis["target_unit"], kpis["achieved_unit"]), no_units)
    positive: Any = pc.greater(target, pa.scalar(0.0))
    comparable: Any = pc.fill_null(pc.and_(pc.and_(same_unit, positive), pc.is_valid(achieved)),
                                   pa.scalar(False))
    met: Any = pc.and_(comparable, pc.fill_null(pc.greater_equal(achieved, target),
                                                pa.scalar(False)))
    status: Any = pc.if_else(met, "met", pc.if_else(comparable, "below", "other"))
    table = pa.Table.from_arrays([kpis["fiscal_year_be"], status], names=["year", "status"])
    grouped = table.group_by(["year", "status"]).aggregate([([], "count_all")]).to_pylist()
    years: dict[str, dict[str, int]] = {}
    for row in grouped:
        years.setdefault(_label(row["year"]), {})[row["status"]] = int(row["count_all"])
    per_year = [(year, c.get("met", 0), c.get("below", 0), c.get("other", 0))
                for year, c in sorted(years.items())]
    ratios: list[float] = pc.divide(achieved.filter(comparable),
                                    target.filter(comparable)).to_pylist()
    buckets = [0] * len(KPI_BUCKETS)
    for ratio in ratios:
        buckets[next(i for i, (hi, _) in enumerate(KPI_BUCKETS) if ratio < hi)] += 1
    return per_year, [(label, n) for (_, label), n in zip(KPI_BUCKETS, buckets, strict=True)]


def finding_rows(findings: pa.Table, limit: int) -> list[list[Any]]:
    """The first ``limit`` findings, errors first, then by code, source and line: each
    [severity, code, project_id, agency, source_path, line, message, evidence]."""
    rank: Any = pc.fill_null(pc.index_in(findings["severity"], value_set=pa.array(SEVERITIES)),
                             pa.scalar(len(SEVERITIES), pa.int32()))
    ordered = findings.append_column("rank", rank).sort_by(
        [("rank", "ascending"), ("code", "ascending"), ("source_path", "ascending"),
         ("line", "ascending")]).slice(0, limit)
    names = ["severity", "code", "project_id", "agency", "source_path", "line", "message",
             "evidence"]
    columns = [ordered[n].to_pylist() for n in names]
    return [list(row) for row in zip(*columns, strict=True)]
