"""Tokens in, Reports out.

Strategy: three steps, each a function of the previous one's output.

1. ``split_reports`` cuts a file's tokens into reports: a page title (project,
   KPI, view or KPI definition page), or a second percent line (exports have no
   title) starts a new one.
2. ``segment`` cuts one report into sections. What opens a section is data
   (``_ALWAYS_OPENS``, ``_OPENS_FROM_PRELUDE``): a progress head, an indicator name, the evaluation heading, a
   strategy line. Everything before the first opener is the *prelude* (header
   and description). Inside a progress block or an indicator, strategy-looking
   lines are content, so openers depend on the current section.
3. ``build_report`` runs each section's rule (``_SECTION_RULES``; a view, KPI
   or KPI definition page has one reader, ``_READERS``). The rules return typed
   values whose fields are named after the Report fields they fill; what the
   text states is gathered in ``_Stated``. Then the report-level fields are
   derived by functions that return them (``_identity``: ids from the file name,
   agency code and name; ``_fiscal_year``: from the agency line, the indicator
   name or the dates), the progress blocks are checked for order, and the
   Report is built with every field named.

Rules kept: a rule never raises; every line is either taken by a field or
reported (``unrecognized-line``); in strict mode the first warning or error
becomes a ``ParseError`` after the whole report was read, so the error lists
every problem.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from . import _compiled, _evidence, _kpidef, _kpipage, _rules, _viewpage
from ._agencies import agency_name_for
from ._diagnostics import DiagnosticLog, unrecognized_line
from ._lexer import Kind, Token, tokenize
from ._normalize import without_surrogates
from ._values import fiscal_year_be_of, to_ascii_digits
from .errors import ParseError
from .model import (
    STRICT_SEVERITIES,
    BudgetFigure,
    Diagnostic,
    Kpi,
    KpiEntry,
    KpiSection,
    Objective,
    ProgressUpdate,
    QuarterlyResult,
    Report,
    StrategyLink,
)

_FILENAME_ID = re.compile(r"(?<!\d)(\d{8}-\d+)(?!\d)")
_FILENAME_KPI_ID = re.compile(r"(?<![\d-])(\d{4}-\d{3,4})(?![\d-])")  # not inside 50240000-7108


# --- 1. reports in a file ------------------------------------------------------------

_TITLES = frozenset({Kind.PAGE_TITLE, Kind.KPI_TITLE, Kind.VIEW_TITLE, Kind.KPIDEF_TITLE})
_LEADING = frozenset({*_TITLES, Kind.CHROME, Kind.BLANK})
_HAS_PERCENT = frozenset({Kind.PERCENT, Kind.KPI_TITLE, Kind.KPI_ID, Kind.VIEW_TITLE, Kind.KPIDEF_TITLE})
_MAY_START = frozenset({*_TITLES, Kind.PERCENT, Kind.NAME_ID})


def split_reports(tokens: Sequence[Token]) -> list[list[Token]]:
    """Cut a file's tokens into one list per report (blank-only input gives [])."""
    chunks: list[list[Token]] = []
    current: list[Token] = []
    seen_percent = False  # the current report has its percent line, or is a KPI page (none)
    for tok in tokens:
        if tok.kind in _MAY_START and _starts_report(tok, current, seen_percent):
            carried = _trailing_chrome(current) if tok.kind not in _TITLES else []
            head = current[: len(current) - len(carried)]
            chunks.append(head)
            current, seen_percent = carried, False
        current.append(tok)
        seen_percent = seen_percent or tok.kind in _HAS_PERCENT
    chunks.append(current)
    return [c for c in chunks if any(t.kind is not Kind.BLANK for t in c)]


def _starts_report(tok: Token, current: list[Token], seen_percent: bool) -> bool:
    if tok.kind in _TITLES:
        return any(t.kind not in _LEADING for t in current)
    if tok.kind is Kind.PERCENT or tok.kind is Kind.NAME_ID:
        return seen_percent
    return False


def _trailing_chrome(tokens: list[Token]) -> list[Token]:
    """The page chrome at the end of one report belongs to the next one."""
    i = len(tokens)
    while i > 0 and tokens[i - 1].kind in _LEADING:
        i -= 1
    return tokens[i:]


# --- 2. sections of a report ------------------------------------------------------------

_STRATEGY_HEADING = "สนับสนุนยุทธศาสตร์กรุงเทพมหานคร"
_ALWAYS_OPENS = {
    Kind.PROGRESS_HEAD: "progress",
    Kind.KPI_NAME: "kpi",
    Kind.EVAL_SECTION: "evaluation",
}
_OPENS_FROM_PRELUDE = {Kind.STRATEGY: "strategy", Kind.ROUTINE: "strategy"}


_MAY_OPEN = frozenset({*_ALWAYS_OPENS, *_OPENS_FROM_PRELUDE, Kind.HEADING})


def _opens(tok: Token, current: str) -> str | None:
    """The section ``tok`` opens, given the section it appears in; None to stay."""
    section = _ALWAYS_OPENS.get(tok.kind)
    if section is None and current == "prelude":
        section = _OPENS_FROM_PRELUDE.get(tok.kind)
        if tok.kind is Kind.HEADING and tok.text == _STRATEGY_HEADING:
            section = "strategy"
    return section


def segment(tokens: Sequence[Token]) -> list[tuple[str, list[Token]]]:
    """Cut one report's tokens into (section name, tokens), the prelude first."""
    current, section = "prelude", list[Token]()
    sections: list[tuple[str, list[Token]]] = [(current, section)]
    for tok in tokens:
        if tok.kind in _MAY_OPEN and (name := _opens(tok, current)) is not None:
            current, section = name, [tok]
            sections.append((current, section))
        else:
            section.append(tok)
    return sections


# --- 3. the report ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stated:
    """Report fields as the report's text states them (None where it says nothing).
    Each fills the Report field of its name, or feeds a derived one (``_identity``,
    ``_fiscal_year``); the rule that reads it has a field of the same name."""

    project_id: str | None = None
    project_name: str | None = None
    agency_name: str | None = None
    fiscal_year_be: int | None = None
    fiscal_year_source: str | None = None
    progress_percent: Decimal | None = None
    contact_raw: str | None = None
    contact_title: str | None = None
    contact_name: str | None = None
    contact_unit: str | None = None
    contact_phone: str | None = None
    evaluation_quarter: int | None = None
    evaluation_score: Decimal | None = None
    rationale: str | None = None
    unit_code_1: str | None = None
    unit_code_2: str | None = None
    targets: str | None = None
    kpi_id: str | None = None
    policy_id: str | None = None
    branch_id: str | None = None
    start_date: date | None = None
    finish_date: date | None = None


@dataclass(slots=True)
class _Parts:
    """What the section rules of one report have made so far."""

    stated: _Stated = _Stated()
    objectives: tuple[Objective, ...] = ()
    links: tuple[StrategyLink, ...] = ()
    routine: bool | None = None
    blocks: int = 0
    """How many progress blocks the report has (to number them oldest first)."""
    updates: list[ProgressUpdate] = field(default_factory=list)
    budget: list[BudgetFigure] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    quarterly: list[QuarterlyResult] = field(default_factory=list)
    entries: tuple[KpiEntry, ...] = ()
    sections: tuple[KpiSection, ...] = ()


def _prelude(parts: _Parts, tokens: list[Token], log: DiagnosticLog) -> None:
    header = _rules.header(tokens, log)
    body = _rules.body(tokens[header.end :], log)
    parts.stated = _Stated(
        project_id=header.project_id,
        project_name=header.project_name,
        agency_name=header.agency_name,
        fiscal_year_be=header.fiscal_year_be,
        fiscal_year_source=header.fiscal_year_source,
        progress_percent=header.progress_percent,
        contact_raw=header.contact_raw,
        contact_title=header.contact_title,
        contact_name=header.contact_name,
        contact_unit=header.contact_unit,
        contact_phone=header.contact_phone,
        evaluation_quarter=header.evaluation.evaluation_quarter,
        evaluation_score=header.evaluation.evaluation_score,
        rationale=body.rationale,
        unit_code_1=body.unit_code_1,
        unit_code_2=body.unit_code_2,
        targets=body.targets,
    )
    parts.objectives = body.objectives
    parts.budget.extend(body.budget)


def _strategy(parts: _Parts, tokens: list[Token], log: DiagnosticLog) -> None:
    links, routine = _rules.strategy(tokens, log)
    parts.links += links
    parts.routine = bool(parts.routine) or routine or None
    if parts.links and not parts.routine:
        parts.routine = False


def _progress(parts: _Parts, tokens: list[Token], log: DiagnosticLog) -> None:
    update, budget = _rules.progress(tokens, log, parts.blocks - len(parts.updates))
    parts.updates.append(update)
    parts.budget.extend(budget)


def _kpi(parts: _Parts, tokens: list[Token], log: DiagnosticLog) -> None:
    parts.kpis.append(_rules.kpi(tokens, log, len(parts.kpis) + 1))


def _evaluation(parts: _Parts, tokens: list[Token], log: DiagnosticLog) -> None:
    ordinal = len(parts.kpis) or 1
    parts.quarterly.extend(_kpipage.quarter_rows(tokens[1:], log, ordinal))


_SECTION_RULES: dict[str, Callable[[_Parts, list[Token], DiagnosticLog], None]] = {
    "prelude": _prelude,
    "strategy": _strategy,
    "progress": _progress,
    "kpi": _kpi,
    "evaluation": _evaluation,
}


def _project(tokens: list[Token], log: DiagnosticLog) -> _Parts:
    sections = segment(tokens)
    parts = _Parts(blocks=sum(1 for name, _ in sections if name == "progress"))
    for name, section in sections:
        _SECTION_RULES[name](parts, section, log)
    return parts


def _kpi_document(tokens: list[Token], log: DiagnosticLog, cut: bool = False) -> _Parts:
    page = _kpipage.kpi_page(tokens, log, cut)
    stated = _Stated(kpi_id=page.kpi_id, evaluation_quarter=page.evaluation.evaluation_quarter,
                     evaluation_score=page.evaluation.evaluation_score)
    return _Parts(stated=stated, kpis=list(page.kpis), quarterly=list(page.quarterly),
                  entries=page.entries)


def _kpi_chunk(tokens: list[Token], log: DiagnosticLog) -> _Parts:
    """A KPI page copied from mid-page (layout export): it opens at the target line."""
    return _kpi_document(tokens, log, cut=True)


def _view(tokens: list[Token], log: DiagnosticLog) -> _Parts:
    page = _viewpage.view_page(tokens, log)
    stated = _Stated(
        project_id=page.project_id,
        project_name=page.project_name,
        agency_name=page.agency_name,
        fiscal_year_be=page.fiscal_year_be,
        fiscal_year_source=page.fiscal_year_source,
        progress_percent=page.progress_percent,
        rationale=page.rationale,
        kpi_id=page.kpi_id,
        policy_id=page.policy_id,
        branch_id=page.branch_id,
        start_date=page.start_date,
        finish_date=page.finish_date,
    )
    return _Parts(stated=stated, budget=list(page.budget))


def _kpi_definition(tokens: list[Token], log: DiagnosticLog) -> _Parts:
    page = _kpidef.kpi_definition(tokens, log)
    return _Parts(kpis=list(page.kpis), links=page.links, sections=page.sections)


def _not_a_report(tokens: list[Token], log: DiagnosticLog) -> _Parts:
    """No line marks a report: no field is taken, every line is kept as unrecognized."""
    for tok in tokens:
        log.unrecognized(tok, "text, which is not a report")
    return _Parts()


_READERS: dict[tuple[str, str], Callable[[list[Token], DiagnosticLog], _Parts]] = {
    ("project", "page"): _project,
    ("project", "export"): _project,
    ("project", "view"): _view,
    ("kpi", "page"): _kpi_document,
    ("kpi", "export"): _kpi_chunk,
    ("kpi-definition", "page"): _kpi_definition,
}
"""(doc_kind, layout) -> the reader of such a report (``_evidence.shape`` picks)."""


def _trim(tokens: Sequence[Token]) -> Sequence[Token]:
    lines = [i for i, t in enumerate(tokens) if t.kind is not Kind.BLANK]
    return tokens[lines[0] : lines[-1] + 1] if lines else ()


def report_key(tokens: Sequence[Token]) -> str:
    """Stable hash of the report's normalised non-blank lines: the same report
    gets the same key whatever its encoding, line ends, blank lines or file name."""
    text = "\n".join([t.text for t in tokens if t.kind is not Kind.BLANK])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def build_report(
    tokens: Sequence[Token],
    *,
    source_path: str | None = None,
    source_sha256: str | None = None,
    extra: Sequence[Diagnostic] = (),
) -> Report:
    """Parse one report's tokens (from ``split_reports``) into a Report."""
    log = DiagnosticLog(source_path)
    toks = list(tokens)
    inner = _trim(toks)
    found = _evidence.shape(inner)
    if found.doc_kind is None:
        parts = _not_a_report(toks, log)
    else:
        parts = _READERS[found.doc_kind, found.layout or ""](toks, log)
        for tok, code, message in _evidence.problems(found):
            log.add(tok, "warning", code, message)
    stated = parts.stated
    ids = _identity(stated, found.doc_kind, source_path, log, toks)
    kpis = tuple(parts.kpis)
    if ids.kpi_id_source == "filename" and len(kpis) == 1 and kpis[0].kpi_id is None:
        kpis = (dataclasses.replace(kpis[0], kpi_id=ids.kpi_id),)  # the page's own indicator
    fiscal_year_be, fiscal_year_source = _fiscal_year(stated, parts)
    updates = _check_order(parts.updates, log)
    if not inner:
        log.diagnostics.append(
            Diagnostic(None, None, "error", "empty-report", "no report text", None, source_path)
        )
    elif found.doc_kind is None:
        log.diagnostics.append(Diagnostic(
            inner[0].line, 1, "error", "no-report-found",
            "no line of this text looks like a BMA project or KPI report; no field was taken",
            inner[0].text[:80], source_path))
    diagnostics = sorted([*extra, *log.diagnostics], key=lambda d: (d.line or 0, d.col or 0))
    return Report(
        report_key=report_key(toks),
        doc_kind=found.doc_kind or _evidence.NOT_A_REPORT,
        layout=found.layout or _evidence.NOT_A_REPORT,
        project_id=ids.project_id,
        project_id_source=ids.project_id_source,
        project_name=stated.project_name,
        agency_code=ids.agency_code,
        agency_name=ids.agency_name,
        agency_name_source=ids.agency_name_source,
        fiscal_year_be=fiscal_year_be,
        fiscal_year=fiscal_year_be - 543 if fiscal_year_be is not None else None,
        fiscal_year_source=fiscal_year_source,
        progress_percent=stated.progress_percent,
        contact_raw=stated.contact_raw,
        contact_title=stated.contact_title,
        contact_name=stated.contact_name,
        contact_unit=stated.contact_unit,
        contact_phone=stated.contact_phone,
        evaluation_quarter=stated.evaluation_quarter,
        evaluation_score=stated.evaluation_score,
        rationale=stated.rationale,
        unit_code_1=stated.unit_code_1,
        unit_code_2=stated.unit_code_2,
        targets=stated.targets,
        kpi_id=ids.kpi_id,
        kpi_id_source=ids.kpi_id_source,
        policy_id=stated.policy_id,
        branch_id=stated.branch_id,
        start_date=stated.start_date,
        finish_date=stated.finish_date,
        routine_work=parts.routine,
        source_path=source_path,
        source_sha256=source_sha256,
        source_line_start=inner[0].line if inner else None,
        source_line_end=inner[-1].line if inner else None,
        objectives=parts.objectives,
        strategy_links=parts.links,
        progress_updates=updates,
        budget_figures=tuple(parts.budget),
        kpis=kpis,
        quarterly_results=tuple(parts.quarterly),
        kpi_entries=parts.entries,
        kpi_sections=parts.sections,
        diagnostics=tuple(diagnostics),
    )


class _Identity(NamedTuple):
    """Who the report is about: the Report fields of these names."""

    project_id: str | None
    project_id_source: str | None
    agency_code: str | None
    agency_name: str | None
    agency_name_source: str | None
    kpi_id: str | None
    kpi_id_source: str | None


def _identity(stated: _Stated, doc_kind: str | None, source_path: str | None, log: DiagnosticLog,
              toks: list[Token]) -> _Identity:
    """The ids as the text states them, else from the file name (a project id for a
    project report, a KPI id for a KPI page cut before it: ``mykpi_0999-1234.txt``); the
    agency code from the project id, a KPI page's KPI id or the unit code pair; the
    agency name as stated, else looked up by its code."""
    project_id, project_id_source = _id_from(stated.project_id, source_path if doc_kind == "project" else None,
                                             _FILENAME_ID)
    kpi_id, kpi_id_source = _id_from(stated.kpi_id, source_path if doc_kind == "kpi" else None,
                                     _FILENAME_KPI_ID, ascii_digits=True)
    unit = stated.unit_code_1
    from_unit = f"{unit[:4]}0000" if unit else None
    from_kpi = f"{kpi_id[:4]}0000" if kpi_id and doc_kind == "kpi" else None
    code = project_id[:8] if project_id else from_kpi or from_unit
    if project_id and from_unit and project_id[:4] != from_unit[:4] and toks:
        line = next((t for t in toks if t.kind is Kind.UNIT_CODES), toks[0])
        log.add(line, "warning", "agency-code-mismatch",
                f"unit code {unit} does not belong to agency {project_id[:8]} of the project id")
    agency_name, agency_name_source = stated.agency_name, "text" if stated.agency_name else None
    if not agency_name and code and (looked_up := agency_name_for(code)):
        agency_name, agency_name_source = looked_up, "code"
    return _Identity(project_id, project_id_source, code, agency_name, agency_name_source,
                     kpi_id, kpi_id_source)


def _id_from(stated: str | None, source_path: str | None, pattern: re.Pattern[str],
             ascii_digits: bool = False) -> tuple[str | None, str | None]:
    """(id, its source): the text's (``text``), else the one ``pattern`` finds in the file
    name of ``source_path`` (``filename``; Thai digits kept as written unless
    ``ascii_digits``), else none."""
    if stated:
        return stated, "text"
    found = pattern.search(re.split(r"[/\\!]", source_path)[-1]) if source_path else None
    if found is None:
        return None, None
    return (to_ascii_digits(found.group(1)) if ascii_digits else found.group(1)), "filename"


def _fiscal_year(stated: _Stated, parts: _Parts) -> tuple[int | None, str | None]:
    """(fiscal_year_be, fiscal_year_source): as stated (the agency line, the view page's
    year), else an indicator's name, else the oldest report date."""
    if stated.fiscal_year_be is not None:
        return stated.fiscal_year_be, stated.fiscal_year_source
    from_kpi = next((k.fiscal_year_be for k in parts.kpis if k.fiscal_year_be), None)
    if from_kpi is not None:
        return from_kpi, "kpi-name"
    dates = [u.reported_on for u in parts.updates if u.reported_on is not None]
    if dates:
        return fiscal_year_be_of(min(dates)), "dates"
    return None, None


def _check_order(updates: list[ProgressUpdate], log: DiagnosticLog) -> tuple[ProgressUpdate, ...]:
    """Blocks are numbered by place (chrono_index); say so where the printed
    numbers disagree with the place."""
    for i, u in enumerate(updates):
        if u.seq != i + 1:
            log.diagnostics.append(
                Diagnostic(u.source_line, 1, "warning", "seq-out-of-order",
                           f"progress block numbered ({u.seq}) is block {i + 1} on the page",
                           None, log.source_path)
            )
    return tuple(updates)


def lines_of(text: str) -> list[str]:
    """Split text into lines the way the decoder leaves them (any line end)."""
    return one_line_end(text).split("\n")


def one_line_end(text: str) -> str:
    """``text`` with CRLF and lone CR line ends turned into LF, as the decoder does."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def raise_if_problems(report: Report) -> None:
    """Strict mode: a warning or error becomes a ParseError."""
    problems = [d for d in report.diagnostics if d.severity in STRICT_SEVERITIES]
    if problems:
        raise ParseError(problems)


def parse(text: str, source: str | None = None, strict: bool = False) -> Report:
    """Parse one report from a str.

    ``source`` names the input in diagnostics; a project id in its file name
    (``50240000-7108.txt``) fills ``project_id`` when the text has none. In lenient
    mode (the default) this never raises: problems are in ``report.diagnostics``.
    With ``strict=True`` the first warning or error raises ``ParseError`` naming
    its line and column, and nothing else does. Should the parser itself fail (a
    bug), the report holds an ``internal-error`` and every line of the text as
    ``unrecognized-line``, as ``load`` does. Text holding several reports is
    parsed as one; use ``bmaparse.read`` to split files.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() takes a str, not {type(text).__name__} (bytes: bmaparse.load)")
    try:
        report = _parse(text, source)
    except Exception as exc:  # a parser bug costs neither the text nor a line
        report = _failed_report(text, source, exc)
    if strict:
        raise_if_problems(report)
    return report


def _parse(text: str, source: str | None) -> Report:
    text, repaired = _valid_unicode(text, source)
    tokens = tokenize(one_line_end(text))
    report = build_report(tokens, source_path=source, extra=repaired)
    if len(split_reports(tokens)) > 1:
        several = Diagnostic(None, None, "warning", "multiple-reports",
                           "the text holds several reports; parsed as one (bmaparse.read splits them)",
                           None, source)
        report = _with_diagnostics(report, (several,))
    return report


def _failed_report(text: str, source: str | None, exc: Exception) -> Report:
    """The report of a text the parser failed on: an ``internal-error``, then every
    non-blank line as ``unrecognized-line`` (the lines as written, when even
    tokenizing failed)."""
    lines = lines_of(without_surrogates(text))
    try:
        tokens = tokenize(lines)
    except Exception:
        tokens = [Token(Kind.TEXT if line.strip() else Kind.BLANK, line, n) for n, line in enumerate(lines, 1)]
    kept = [t for t in tokens if t.kind is not Kind.BLANK]
    message = (f"the parser failed on this text ({type(exc).__name__}: {without_surrogates(str(exc))[:200]});"
               " its lines are kept as unrecognized-line")
    diagnostics = [Diagnostic(kept[0].line if kept else None, 1, "error", "internal-error", message, None, source)]
    diagnostics += [unrecognized_line(t, "in a text the parser failed on", source) for t in kept]
    return Report(report_key=report_key(tokens), doc_kind=_evidence.NOT_A_REPORT,
                  layout=_evidence.NOT_A_REPORT,
                  source_path=source, source_line_start=kept[0].line if kept else None,
                  source_line_end=kept[-1].line if kept else None, diagnostics=tuple(diagnostics))


def _valid_unicode(text: str, source: str | None) -> tuple[str, tuple[Diagnostic, ...]]:
    """Lone surrogates (possible in a Python str, never in a file) become U+FFFD. A
    str subclass is read as the plain str it holds (the compiled kernels take only
    an exact str; the pure path would read it alike)."""
    if type(text) is not str:
        text = str.__str__(text)
    fixed = _compiled.without_surrogates(text)  # the selected kernel of _normalize's
    if fixed is text:
        return text, ()
    first = next(i for i, (a, b) in enumerate(zip(text, fixed, strict=True)) if a != b)
    problem = Diagnostic(text.count("\n", 0, first) + 1, None, "warning", "invalid-character",
                         "lone surrogate code points replaced with U+FFFD", None, source)
    return fixed, (problem,)


def _with_diagnostics(report: Report, extra: Sequence[Diagnostic]) -> Report:
    return dataclasses.replace(report, diagnostics=(*extra, *report.diagnostics))
