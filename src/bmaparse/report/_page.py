"""The report page: sections of charts and tables around the figures of ``_aggregate``.

Strategy: one HTML document, built as a list of strings, with its style sheet
and its script (``report.css``, ``report.js``, package data) inlined, the charts
as inline SVG (``_svg``) and the findings as a JSON island that the script turns
into a sortable, filterable table. A Content-Security-Policy of ``default-src
'none'`` makes the offline promise a rule the browser enforces: anything that
tried to load from outside the file would be blocked (and show up as an error).
Panels that switch (fill rate by layout or by agency, progress per agency) are
all in the page, all shown; the script hides all but the one selected, so
without scripts every panel is still there to read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape
from importlib.resources import files
from typing import Any

import pyarrow as pa

from . import _aggregate as agg
from . import _svg
from ._load import Folder

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline';"
        " img-src data:")
_METRICS = (("inputs", "inputs"), ("reports", "reports"), ("projects", "projects"),
            ("agencies", "agencies"), ("fiscal_years", "fiscal years"), ("layouts", "layouts"),
            ("inputs_with_errors", "inputs with errors"), ("errors", "error diagnostics"),
            ("warnings", "warnings"))
_AUDIT_HINT = ("not in this folder: run this version's <code>bmaparse convert INPUT... -o OUT"
               " --incremental</code> over the same inputs to add the <code>{table}</code>"
               " table (it recomputes the analysis tables over the whole folder; a folder of"
               " an older schema version needs a full run, without"
               " <code>--incremental</code>)")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def render(folder: Folder, *, findings_limit: int, errors_limit: int) -> tuple[str, dict[str, int]]:
    """The page, and the counts it shows (for the command's summary line); ``findings``
    and ``findings_shown`` only when the folder has a findings table."""
    numbers = agg.overview(folder)
    findings = folder.derived["findings"]
    shown = min(findings_limit, findings.num_rows) if findings is not None else 0
    body = [
        _header(folder),
        _overview(folder, numbers),
        _quality(folder, errors_limit),
        _progress(folder),
        _budget(folder),
        _kpis(folder),
        _findings(findings, findings_limit),
    ]
    page = "\n".join([
        "<!doctype html>", '<html lang="th">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>bmaparse report: {_e(folder.path.name)}</title>",
        f"<style>{_asset('report.css')}</style>", "</head>", "<body>", *body,
        f"<script>{_asset('report.js')}</script>", "</body>", "</html>", ""])
    if findings is None:
        return page, numbers
    return page, {**numbers, "findings": findings.num_rows, "findings_shown": shown}


def _section(key: str, title: str, *parts: str) -> str:
    return f'<section id="{key}"><h2>{_e(title)}</h2>{"".join(parts)}</section>'


def _figure(caption: str, chart: str, note: str = "") -> str:
    extra = f'<p class="note">{note}</p>' if note else ""
    return f"<figure><figcaption>{_e(caption)}</figcaption>{chart}{extra}</figure>"


def _switch(name: str, panels: Sequence[tuple[str, str]]) -> str:
    """A select that shows one of ``panels`` (label, html) at a time (with scripts)."""
    options = "".join(f'<option value="{i}">{_e(label)}</option>' for i, (label, _) in
                      enumerate(panels))
    shown = "".join(f'<div class="panel" data-panel="{i}">{html}</div>'
                    for i, (_, html) in enumerate(panels))
    return (f'<div class="switch"><label>{_e(name)} <select class="switcher">{options}</select>'
            f'</label>{shown}</div>')


def _header(folder: Folder) -> str:
    m = folder.manifest
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<header><h1>bmaparse report</h1><p>{_e(folder.path)} · format {_e(folder.fmt)}"
            f" · converted {_e(m.get('finished_at', '?'))} by bmaparse"
            f" {_e(m.get('parser_version', '?'))} · this page made {when}</p>"
            '<nav><a href="#overview">overview</a> <a href="#quality">data quality</a>'
            ' <a href="#progress">progress</a> <a href="#budget">budget</a>'
            ' <a href="#kpis">KPIs</a> <a href="#findings">findings</a></nav></header>')


def _overview(folder: Folder, numbers: dict[str, int]) -> str:
    tiles = "".join(f'<div class="tile"><b data-metric="{key}" data-value="{numbers[key]}">'
                    f"{numbers[key]:,}</b><span>{_e(label)}</span></div>"
                    for key, label in _METRICS)
    reports = folder.tables["reports"]
    years = sorted(agg.count_by(reports, "fiscal_year_be"))
    return _section(
        "overview", "Overview", f'<div class="tiles">{tiles}</div><div class="row">',
        _figure("Reports per layout", _svg.bars(agg.count_by(reports, "layout"),
                                                "reports per layout", width=560)),
        _figure("Reports per document kind", _svg.bars(agg.count_by(reports, "doc_kind"),
                                                        "reports per document kind", width=560)),
        "</div>",
        _figure("Reports per fiscal year (พ.ศ.)", _svg.columns(years, "reports per fiscal year")),
        _figure("Reports per agency (the 20 with most)",
                _svg.bars(agg.count_by(reports, "agency_name")[:20], "reports per agency")))


def _quality(folder: Folder, errors_limit: int) -> str:
    reports, diags = folder.tables["reports"], folder.tables["diagnostics"]
    by_layout = agg.fill_rates(reports, folder.filled, "layout")
    by_agency = agg.fill_rates(reports, folder.filled, "agency_name", top=15)
    codes = agg.by_code(diags)
    rows, total = agg.error_inputs(diags, errors_limit)
    table = _table(["input", "first error line", "errors", "codes"],
                   [[path, "" if line is None else line, n, c] for path, line, n, c in rows],
                   "inputs-with-errors")
    caption = (f"Inputs with errors: {len(rows):,} of {total:,}" if total > len(rows)
               else f"Inputs with errors: {total:,}")
    return _section(
        "quality", "Data quality",
        _figure("Fill rate of the reports columns (% of reports with a value)",
                _switch("by", [("layout", _svg.heatmap(by_layout.rows, by_layout.columns,
                                                       by_layout.values, "fill rate by layout")),
                               ("agency (the 15 with most reports)",
                                _svg.heatmap(by_agency.rows, by_agency.columns,
                                             by_agency.values, "fill rate by agency"))])),
        _figure("Diagnostics by code",
                _svg.bars([(f"{code} ({sev})", n) for code, sev, n in codes],
                          "diagnostics by code",
                          colours=[_svg.SEVERITY_COLOURS.get(s, "#777") for _, s, _ in codes])),
        f"<h3>{_e(caption)}</h3>",
        table if rows else '<p class="note">No input has an error.</p>')


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], key: str) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table id="{key}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def _progress(folder: Folder) -> str:
    projects = folder.tables["projects"]
    agencies = agg.progress_per_agency(projects)
    over_time = agg.progress_over_time(folder)
    source = ("the audit's progress_history table" if folder.derived["progress_history"]
              is not None else "the progress blocks of each project's latest snapshot")
    panels = [("every project" if group == "all" else group,
               _svg.lines(points, f"progress over time: {group}"))
              for group, points in over_time.items()]
    return _section(
        "progress", "Progress",
        _figure("Projects per overall progress (%), latest snapshot of each project",
                _svg.columns(agg.progress_distribution(projects), "progress distribution")),
        _figure("Mean progress per agency (%), the 20 agencies with most projects",
                _svg.bars([(f"{a} ({n:,})", mean) for a, mean, n in agencies],
                          "mean progress per agency", unit="%", digits=1),
                "In brackets: projects with a progress figure."),
        _figure("Progress over time: mean % of the entries reported each month",
                _switch("project group", panels),
                f"From {_e(source)}; each entry counted once. A point's tooltip says how many"
                " projects reported that month."))


def _budget(folder: Folder) -> str:
    budget = agg.project_budget(folder)
    source = ("the audit's project_budget table" if folder.derived["project_budget"] is not None
              else "budget_figures of each project's latest snapshot (per kind, the figure"
                   " outside the progress blocks, else the newest block's)")

    def chart(rows: list[tuple[str, float, float]], title: str) -> str:
        return _svg.grouped([r[0] for r in rows], [("allocated", [r[1] / 1e6 for r in rows]),
                                                   ("spent", [r[2] / 1e6 for r in rows])],
                            title, unit=" M฿", digits=2)

    return _section(
        "budget", "Budget (million baht)",
        _figure("Allocated vs spent per fiscal year (พ.ศ.)",
                chart(agg.budget_by(budget, "fiscal_year_be"), "budget per fiscal year")),
        _figure("Allocated vs spent per agency (the 15 with most allocated)",
                chart(agg.budget_by(budget, "agency", top=15), "budget per agency"),
                f"From {_e(source)}: one figure per project, never summed over snapshots."))


def _kpis(folder: Folder) -> str:
    per_year, buckets = agg.kpi_outcomes(agg.current_kpis(folder))
    names = ("met", "below target", "not comparable")
    source = ("the audit's kpi_results table" if folder.derived["kpi_results"] is not None
              else "the latest snapshot of each project and of each KPI of the KPI pages")
    return _section(
        "kpis", "KPIs: achieved vs target",
        _figure("KPIs per fiscal year (พ.ศ.)",
                _svg.grouped([y for y, *_ in per_year],
                             [(n, [float(r[i + 1]) for r in per_year]) for i, n in enumerate(names)],
                             "KPIs per fiscal year"),
                "Comparable: target and achieved both read, in the same unit, target above 0."
                f" From {_e(source)}: each KPI counted once, however many snapshots hold it."),
        _figure("Achieved as a share of target (comparable KPIs)",
                _svg.columns(buckets, "achieved / target")))


def _findings(findings: pa.Table | None, limit: int) -> str:
    if findings is None:
        return _section("findings", "Findings",
                        f'<p class="missing">{_AUDIT_HINT.format(table="findings")}.</p>')
    codes = agg.by_code(findings)
    rows = agg.finding_rows(findings, limit)
    total = findings.num_rows
    caption = (f"first {len(rows):,} of {total:,} findings (errors first, then by code, file"
               " and line)" if total > len(rows) else f"all {total:,} findings")
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return _section(
        "findings", "Findings",
        _figure("Findings per code",
                _svg.bars([(f"{code} ({sev})", n) for code, sev, n in codes], "findings per code",
                          colours=[_svg.SEVERITY_COLOURS.get(s, "#777") for _, s, _ in codes])),
        f'<h3 data-metric="findings" data-value="{total}">{_e(caption)}</h3>',
        '<div class="filters"><input id="findings-filter" type="search"'
        ' placeholder="filter: any text (code, project, agency, file, message)">'
        ' <span id="findings-count"></span></div>',
        '<table id="findings-table" class="sortable"><thead><tr>'
        + "".join(f'<th data-col="{i}">{_e(h)}</th>' for i, h in enumerate(
            ["severity", "code", "project", "agency", "source file", "line", "message",
             "evidence"]))
        + "</tr></thead><tbody></tbody></table>",
        f'<script type="application/json" id="findings-data">{data}</script>')
