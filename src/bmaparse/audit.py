"""Audit findings: which projects, KPIs and inputs look wrong, and why.

Strategy: each rule is one SQL query over the base and analysis tables
registered on a DuckDB connection (``analysis.connect``, ``analysis.derive``)
that returns the rows it flags with their values; the thresholds are bound as
query parameters. Each row becomes a finding in the same query (no Python per
row: an archive can have tens of thousands): the rule's stable ``code`` and
``severity``, where it points (project, agency, report, file, line),
``evidence`` (the row's other columns, ``to_json`` of a struct) and an English
``message``, the rule's ``str.format`` template turned into a SQL ``concat``
of its text and the row's values. Rules run in the
order of ``RULES``; each query orders its rows, so findings never depend on
DuckDB's threads. Each query costs its planning and scans, so ``compute`` makes
what four rules share (each project's latest snapshot, ``_latest``) once, and
does not run a rule whose ``needs`` table is empty (an archive without
diagnostics). docs/audit.md describes every rule and threshold.

``convert`` writes ``findings`` with the default ``Thresholds()``;
``bmaparse audit OUT`` and ``findings(folder, thresholds)`` recompute them
from a converted folder with others.
"""

from __future__ import annotations

import dataclasses
import json
import os
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from ._read import Document
    from .model import Report

SEVERITIES = ("error", "warning", "info")
"""From the most to the least serious."""


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The limits the rules apply, each with its default (docs/audit.md); ``bmaparse
    audit`` has an option for each (``--stale-days`` for ``stale_days`` ...)."""

    backwards_points: Decimal = field(default=Decimal(0), metadata=_help(
        "progress-backwards: percentage points a later snapshot may report less (default: 0)"))
    complete_percent: Decimal = field(default=Decimal(100), metadata=_help(
        "complete-without-spending, stale-project: progress counted as complete (default: 100)"))
    overspend_ratio: Decimal = field(default=Decimal(1), metadata=_help(
        "spent-over-allocation: spent or disbursed above allocated times this (default: 1)"))
    stale_days: int = field(default=180, metadata=_help(
        "stale-project: days without a progress entry before the archive's latest date"
        " (default: 180)"))
    agency_lag_days: int = field(default=90, metadata=_help(
        "behind-agency: days a project's latest snapshot may be older than its agency's latest"
        " of the same fiscal year (default: 90)"))
    min_evaluation_score: Decimal = field(default=Decimal(50), metadata=_help(
        "low-evaluation-score: scores below this (default: 50)"))
    min_fill_rate: float = field(default=0.5, metadata=_help(
        "low-fill-rate: a column filled in fewer of an agency's reports than this, where its"
        " layout fills it at least this often (default: 0.5)"))
    min_fill_reports: int = field(default=20, metadata=_help(
        "low-fill-rate: only agencies with at least this many reports of the layout"
        " (default: 20)"))
    max_unrecognized_per_report: float = field(default=0.0, metadata=_help(
        "unrecognized-lines: unrecognized lines per report of a layout above this (default: 0)"))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class Rule:
    """One audit rule: a query whose rows are findings, and the message of a row."""

    code: str
    severity: str
    query: str
    """Returns project_id, agency, report_key, source_path, line, then the evidence;
    besides the tables it may read ``_latest`` (``compute`` makes it)."""
    message: str
    """``str.format`` template over the query's columns and the thresholds."""
    params: tuple[str, ...] = ()
    """The ``Thresholds`` bound to the query's ``?``, in order."""
    needs: str | None = None
    """A table without whose rows the query has none: the rule is not run when it is empty."""


_WHERE = ("project_id", "agency", "report_key", "source_path", "line")
_AGENCY = "coalesce(agency_name, agency_code)"

_SNAPSHOTS = f"""
    SELECT project_id, {_AGENCY} AS agency, report_key, source_path,
           source_line_start AS line, latest_reported_on, progress_percent,
           lag(report_key) OVER w AS earlier_report_key,
           lag(latest_reported_on) OVER w AS earlier_reported_on,
           lag(progress_percent) OVER w AS earlier_percent
    FROM reports WHERE project_id IS NOT NULL AND latest_reported_on IS NOT NULL
      AND progress_percent IS NOT NULL
    WINDOW w AS (PARTITION BY project_id ORDER BY latest_reported_on, report_key)"""

_LATEST_TABLE = f"""
    CREATE OR REPLACE TEMP TABLE _latest AS
    SELECT p.project_id, {_AGENCY.replace('agency', 'p.agency')} AS agency, p.report_key,
           r.source_path, r.source_line_start AS line, p.agency_code, p.latest_reported_on,
           p.progress_percent, p.fiscal_year_be, r.evaluation_score, r.evaluation_quarter
    FROM projects p JOIN reports r USING (report_key)"""
"""Each project's latest snapshot, made once by ``compute`` for the four rules on it."""

_FILL_SKIP = ("report_key", "doc_kind", "layout", "agency_code", "parser_version",
              "schema_version", "source_path", "source_sha256", "source_line_start",
              "source_line_end")

RULES: tuple[Rule, ...] = (
    Rule("progress-backwards", "warning", f"""
        SELECT project_id, agency, report_key, source_path, line, progress_percent AS percent,
               latest_reported_on AS reported_on, earlier_percent, earlier_reported_on,
               earlier_report_key
        FROM ({_SNAPSHOTS})
        WHERE latest_reported_on > earlier_reported_on AND progress_percent < earlier_percent - ?
        ORDER BY project_id, latest_reported_on, report_key""",
         "project {project_id}: progress {percent}% on {reported_on} is below the"
         " {earlier_percent}% reported on {earlier_reported_on}", ("backwards_points",)),
    Rule("complete-without-spending", "warning", """
        SELECT project_id, agency, report_key, source_path, line, progress_percent AS percent
        FROM _latest l
        WHERE progress_percent >= ? AND NOT EXISTS (
            SELECT 1 FROM budget_figures b JOIN reports r USING (report_key)
            WHERE r.project_id = l.project_id AND b.kind IN ('spent', 'disbursed')
              AND b.amount_thb > 0)
        ORDER BY project_id""",
         "project {project_id}: progress {percent}% but no spent or disbursed amount in"
         " any of its reports", ("complete_percent",)),
    Rule("spent-over-allocation", "error", """
        SELECT project_id, agency, coalesce(spent_report_key, disbursed_report_key) AS report_key,
               source_path, coalesce(spent_line, disbursed_line) AS line, fiscal_year_be,
               allocated, spent, disbursed
        FROM project_budget
        WHERE allocated > 0 AND greatest(coalesce(spent, 0), coalesce(disbursed, 0)) > allocated * ?
        ORDER BY project_id, fiscal_year_be""",
         "project {project_id}, fiscal year {fiscal_year_be}: spent {spent} / disbursed"
         " {disbursed} baht exceeds the {allocated} baht allocated", ("overspend_ratio",)),
    Rule("stale-project", "warning", """
        SELECT project_id, agency, report_key, source_path, line,
               latest_reported_on AS last_entry, progress_percent AS percent,
               archive_latest, archive_latest - latest_reported_on AS days
        FROM _latest, (SELECT max(latest_reported_on) AS archive_latest FROM reports)
        WHERE coalesce(progress_percent, 0) < ?
          AND latest_reported_on < archive_latest - ?::INTEGER
        ORDER BY project_id""",
         "project {project_id}: last progress entry {last_entry} ({percent}%), {days} days"
         " before the archive's latest date {archive_latest}", ("complete_percent", "stale_days")),
    Rule("behind-agency", "info", """
        SELECT project_id, agency, report_key, source_path, line, agency_code, fiscal_year_be,
               latest_reported_on, agency_latest, agency_latest - latest_reported_on AS days
        FROM (SELECT *, max(latest_reported_on) OVER (PARTITION BY agency_code, fiscal_year_be)
                            AS agency_latest
              FROM _latest WHERE agency_code IS NOT NULL)
        WHERE latest_reported_on < agency_latest - ?::INTEGER
        ORDER BY project_id""",
         "project {project_id}: latest snapshot {latest_reported_on} is {days} days older"
         " than its agency's latest of fiscal year {fiscal_year_be}, {agency_latest}", ("agency_lag_days",)),
    Rule("kpi-below-target", "warning", """
        SELECT DISTINCT ON (kpi_key) string_split(project_ids, ',')[1] AS project_id,
               NULL AS agency, report_key, source_path, source_line AS line, kpi_key,
               target_value, achieved_value, target_unit AS unit, projects
        FROM kpi_results
        WHERE achieved_value < target_value AND target_qualifier IS NULL
          AND target_unit IS NOT DISTINCT FROM achieved_unit
        ORDER BY kpi_key, quarter NULLS FIRST""",
         "KPI {kpi_key}: achieved {achieved_value} is below the target {target_value}"
         " ({unit})"),
    Rule("low-evaluation-score", "warning", """
        SELECT project_id, agency, report_key, source_path, line, 'project' AS of,
               project_id AS what, evaluation_quarter AS quarter, evaluation_score AS score
        FROM _latest WHERE evaluation_score < ?
        UNION ALL
        SELECT string_split(project_ids, ',')[1], NULL, report_key, source_path, source_line,
               'kpi', kpi_key, quarter, score
        FROM kpi_results WHERE score < ?
        ORDER BY of DESC, what, quarter""",
         "{of} {what}: evaluation score {score} (quarter {quarter}) is below"
         " {min_evaluation_score}",
         ("min_evaluation_score", "min_evaluation_score")),
    Rule("conflicting-snapshots", "error", f"""
        WITH same AS (  -- snapshots that share a project and a date: the only candidates
            SELECT * FROM (
                SELECT report_key, project_id, {_AGENCY} AS agency, source_path,
                       source_line_start AS line, latest_reported_on, progress_percent,
                       evaluation_score, project_name,
                       count(*) OVER (PARTITION BY project_id, latest_reported_on) AS n
                FROM reports WHERE project_id IS NOT NULL AND latest_reported_on IS NOT NULL)
            WHERE n > 1),
        entries AS (
            SELECT report_key, list(struct_pack(c := chrono_index, p := percent, t := text)
                                    ORDER BY chrono_index) AS entries
            FROM progress_updates SEMI JOIN same USING (report_key) GROUP BY report_key),
        content AS (  -- JSON keeps a missing value apart from an empty one (concat_ws skips it)
            SELECT s.*, md5(to_json(struct_pack(p := s.progress_percent, e := s.evaluation_score,
                                                n := s.project_name, x := e.entries))::VARCHAR
                           ) AS fingerprint
            FROM same s LEFT JOIN entries e USING (report_key))
        SELECT project_id, min(agency) AS agency, min(report_key) AS report_key,
               arg_min(source_path, report_key) AS source_path, arg_min(line, report_key) AS line,
               latest_reported_on AS reported_on, count(DISTINCT fingerprint) AS versions,
               list(report_key ORDER BY report_key)[1:5] AS report_keys,
               list(DISTINCT progress_percent ORDER BY progress_percent) AS percents
        FROM content GROUP BY project_id, latest_reported_on
        HAVING count(DISTINCT fingerprint) > 1
        ORDER BY project_id, latest_reported_on""",
         "project {project_id}: {versions} different snapshots reported on {reported_on}"
         " (reports {report_keys}, progress {percents})"),
    Rule("input-error", "error", """
        SELECT (SELECT min(project_id) FROM reports r WHERE r.source_path = d.source_path)
                   AS project_id, NULL AS agency, min(report_key) AS report_key, source_path,
               min(line) AS line, count(*) AS errors,
               list(DISTINCT code ORDER BY code) AS codes
        FROM diagnostics d WHERE severity = 'error' AND source_path IS NOT NULL
        GROUP BY source_path ORDER BY source_path""",
         "input {source_path}: {errors} errors ({codes}), the first on line {line}",
         needs="diagnostics"),
    Rule("unrecognized-lines", "warning", """
        WITH lines AS (
            SELECT r.doc_kind, r.layout, d.source_path, d.line, d.report_key
            FROM diagnostics d JOIN reports r USING (report_key)
            WHERE d.code = 'unrecognized-line'),
        per AS (SELECT doc_kind, layout, count(*) AS reports FROM reports GROUP BY ALL)
        SELECT NULL AS project_id, NULL AS agency, arg_min(l.report_key, (l.source_path, l.line))
                   AS report_key, min(l.source_path) AS source_path,
               arg_min(l.line, (l.source_path, l.line)) AS line, l.doc_kind, l.layout,
               count(*) AS lines, any_value(p.reports) AS reports,
               round(count(*) / any_value(p.reports), 4) AS per_report
        FROM lines l JOIN per p USING (doc_kind, layout)
        GROUP BY l.doc_kind, l.layout HAVING count(*) / any_value(p.reports) > ?
        ORDER BY l.doc_kind, l.layout""",
         "layout {layout} ({doc_kind}): {lines} unrecognized lines in {reports} reports"
         " ({per_report} per report), the first at {source_path}:{line}",
         ("max_unrecognized_per_report",), "diagnostics"),
)
"""Every rule but ``low-fill-rate`` (``_fill_rates``: one query per column set)."""

CODES = (*(r.code for r in RULES[:8]), "low-fill-rate", *(r.code for r in RULES[8:]))
"""Every finding code, in the order findings are listed."""


def compute(con: Any, thresholds: Thresholds | None = None) -> pa.Table:
    """The findings table (``tables.SCHEMAS["findings"]``) of the base and analysis
    tables registered on ``con`` (``analysis.connect`` then ``analysis.derive``)."""
    import pyarrow as pa

    return pa.concat_tables(list(parts(con, thresholds))).combine_chunks()


def parts(con: Any, thresholds: Thresholds | None = None) -> Iterator[pa.Table]:
    """``compute``'s rows, one rule's findings after another (so that a run writes
    them without holding them all)."""
    import pyarrow as pa

    from .tables import SCHEMAS

    limits = thresholds or Thresholds()
    schema = SCHEMAS["findings"]
    con.execute(_VALUE_MACRO)
    con.execute(_LATEST_TABLE)
    empty = _empty(con, {r.needs for r in RULES if r.needs})
    rules = [None if rule.needs in empty else rule for rule in RULES]
    yield from (_run(con, rule, limits, schema) for rule in rules[:8])
    yield pa.Table.from_pylist(_fill_rates(con, limits), schema=schema)
    yield from (_run(con, rule, limits, schema) for rule in rules[8:])


def _empty(con: Any, names: set[str]) -> set[str]:
    """Which of the tables ``names`` have no rows."""
    from .analysis import sql_list

    return {n for n in names
            if not con.execute(f"SELECT 1 FROM {sql_list([n])} LIMIT 1").fetchall()}


_VALUE_MACRO = """
CREATE OR REPLACE TEMP MACRO _value(x) AS coalesce(
    CASE WHEN typeof(x) LIKE 'DECIMAL%' OR typeof(x) IN ('DOUBLE', 'FLOAT')
         THEN rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.') ELSE CAST(x AS VARCHAR) END, 'none')
"""
"""A value as a message shows it: decimals without trailing zeros, null as ``none``."""


def _run(con: Any, rule: Rule | None, limits: Thresholds, schema: pa.Schema) -> pa.Table:
    """The findings of one rule: its query's rows, their evidence (``to_json`` of the
    columns after the location) and message made in the same query; none for ``None``
    (a rule whose ``needs`` is empty)."""
    import pyarrow as pa

    if rule is None:
        return schema.empty_table()
    where = ", ".join(_WHERE)
    query = (f"SELECT {_literal(rule.code)} AS code, {_literal(rule.severity)} AS severity,"
             f" {where}, to_json(struct_pack(*COLUMNS(* EXCLUDE ({where}))))::VARCHAR"
             " AS evidence,"
             f" {_message_sql(rule.message, limits)} AS message FROM ({rule.query})")
    table = con.sql(query, params=[getattr(limits, p) for p in rule.params]).to_arrow_table()
    return pa.Table.from_arrays([table[f.name].cast(f.type) for f in schema], schema=schema)


def _message_sql(template: str, limits: Thresholds) -> str:
    """The SQL text expression of a ``str.format`` template: each ``{column}`` is the
    column's ``_value``, each ``{threshold}`` the threshold's value."""
    known = limits.as_dict()
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(_literal(literal))
        if name is not None:
            parts.append(_literal(_text(_plain(known[name]))) if name in known
                         else f"_value({_ident(name)})")
    return "concat(" + ", ".join(parts) + ")"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _finding(code: str, severity: str, row: dict[str, Any], message: str,
             limits: dict[str, Any]) -> dict[str, Any]:
    """One finding: ``row``'s location columns, the rest as evidence; the message is
    ``message`` formatted with the row and the thresholds (``limits``)."""
    where = {k: row.pop(k) for k in _WHERE}
    shown = {k: _plain(v) for k, v in row.items()}
    return {"code": code, "severity": severity, **where,
            "evidence": _EVIDENCE(shown),
            "message": message.format_map(
                {**limits, **where, **{k: _text(v) for k, v in shown.items()}})}


_EVIDENCE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _plain(value: Any) -> Any:
    """A value as JSON holds it: decimals as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(_text, value))
    return str(value)


def _fill_rates(con: Any, limits: Thresholds) -> list[dict[str, Any]]:
    """``low-fill-rate``: per agency, kind and layout, each reports column filled in
    fewer than ``min_fill_rate`` of the reports where the layout fills it at least that
    often (a column the layout never has is not the agency's gap)."""
    from .analysis import sql_list

    names = [n for n in con.table("reports").columns if n not in _FILL_SKIP]
    counts = ", ".join(f"count({sql_list([n])}) AS {sql_list([n])}" for n in names)
    query = (f"SELECT agency_code, any_value({_AGENCY}) AS agency, doc_kind, layout,"
             f" count(*) AS reports, {counts} FROM reports WHERE agency_code IS NOT NULL"
             " GROUP BY ALL ORDER BY doc_kind, layout, agency_code")
    result = con.execute(query)
    groups = [dict(zip([d[0] for d in result.description], v, strict=True))
              for v in result.fetchall()]
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for g in groups:
        total = totals.setdefault((g["doc_kind"], g["layout"]), dict.fromkeys(["reports", *names], 0))
        for n in ("reports", *names):
            total[n] += g[n]
    out, shared = [], limits.as_dict()
    for g in groups:
        total = totals[(g["doc_kind"], g["layout"])]
        if g["reports"] < limits.min_fill_reports:
            continue
        for n in names:
            rate, layout_rate = g[n] / g["reports"], total[n] / total["reports"]
            if rate < limits.min_fill_rate <= layout_rate:
                row = {"project_id": None, "agency": g["agency"], "report_key": None,
                       "source_path": None, "line": None, "agency_code": g["agency_code"],
                       "doc_kind": g["doc_kind"], "layout": g["layout"], "column": n,
                       "filled": g[n], "reports": g["reports"], "rate": round(rate, 4),
                       "layout_rate": round(layout_rate, 4)}
                out.append(_finding("low-fill-rate", "info", row,
                                    "agency {agency_code}: {column} filled in {filled} of"
                                    " {reports} {layout} reports ({rate}; the layout:"
                                    " {layout_rate})", shared))
    return out


def findings(folder: str | os.PathLike[str], thresholds: Thresholds | None = None
             ) -> pa.Table:
    """The findings of a converted folder, recomputed with ``thresholds`` (default:
    ``Thresholds()``, as ``convert`` wrote them).

    >>> import bmaparse.audit
    >>> found = bmaparse.audit.findings("out/", bmaparse.audit.Thresholds(stale_days=365))
    >>> found.column_names[:3]
    ['code', 'severity', 'project_id']
    """
    from . import analysis

    con = analysis.connect(analysis.folder_format(folder), folder)
    try:
        analysis.derive(con)
        return compute(con, thresholds)
    finally:
        con.close()


def findings_of(items: Iterable[Report | Document], thresholds: Thresholds | None = None
                ) -> pa.Table:
    """The findings of reports (or Documents) in memory, as ``convert`` would write
    them for those reports (with ``thresholds``)."""
    from . import analysis

    con = analysis.connect_items(items)
    try:
        analysis.derive(con)
        return compute(con, thresholds)
    finally:
        con.close()


def counts(table: pa.Table) -> dict[str, dict[str, int]]:
    """Findings per code (in ``CODES`` order) and severity: {code: {severity: n}}."""
    out: dict[str, dict[str, int]] = {}
    for code, severity in zip(table["code"].to_pylist(), table["severity"].to_pylist(),
                              strict=True):
        per = out.setdefault(str(code), {})
        per[str(severity)] = per.get(str(severity), 0) + 1
    return {c: out[c] for c in sorted(out, key=_order)}


def _order(code: str) -> tuple[int, str]:
    return (CODES.index(code) if code in CODES else len(CODES), code)


def at_least(table: pa.Table, severity: str) -> int:
    """How many findings are ``severity`` or more serious."""
    worse = set(SEVERITIES[: SEVERITIES.index(severity) + 1])
    return sum(1 for s in table["severity"].to_pylist() if s in worse)


def parse_thresholds(values: Sequence[tuple[str, str]]) -> Thresholds:
    """``Thresholds`` from (field name, text) pairs, each text read with the field's type."""
    defaults = Thresholds()
    kinds = {f.name: type(getattr(defaults, f.name)) for f in dataclasses.fields(Thresholds)}
    return dataclasses.replace(defaults, **{name: kinds[name](text) for name, text in values})
