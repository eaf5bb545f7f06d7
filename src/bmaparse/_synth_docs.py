"""Synthetic reports, the other kinds of document: KPI pages (whole, and cut before
their name), the newer front end's project view page, the KPI definition page, and the content and text of an
indicator. ``synth`` is the public face;
see its docstring for the rules both modules keep.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from decimal import Decimal

from . import _synth_words as words
from .model import BudgetFigure, Kpi, KpiEntry, KpiSection, QuarterlyResult, Report, StrategyLink

_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_CENT = Decimal("0.01")
_SCORES = ("100", "95", "0", "100.0000", "87.5000", "0.0000")  # evaluation scores as printed
_KPI_VALUES = ("80", "100", "0", "40", "60.00", "92.50")  # percent targets and results


# --- content ------------------------------------------------------------------------


def _kpi(rng: random.Random, ordinal: int, fy: int, kpi_id: str | None) -> Kpi:
    """One indicator; its name carries the fiscal year most of the time."""
    with_year = rng.random() < 0.85
    name = rng.choice(words.KPI_NAMES) + (f" (ปีงบประมาณ พ.ศ. {fy})" if with_year else "")
    numbered = rng.random()  # docs/format.md: names may start with a number, or a year and a number
    if numbered < 0.1:
        name = f"{rng.randint(1, 9)}.{rng.randint(1, 9)} {name}"
    elif numbered < 0.15:
        name = f"ปี {fy} {str(rng.randint(1, 9)).translate(_TO_THAI)}. {name}"
    target_unit = rng.choice(("ร้อยละ", "ร้อยละ", "ร้อยละ", None, *words.KPI_UNITS[1:]))
    achieved_unit = target_unit if rng.random() < 0.8 else rng.choice(words.KPI_UNITS)
    kind, level = rng.choice(("routine", "strategic")), rng.choice(("output", "outcome"))
    kinds = f"{words.KIND_TEXT[kind]} {words.LEVEL_TEXT[level]}"
    if kpi_id:  # a KPI page prints the level on a line of its own, in brackets
        kinds = f"{words.KIND_TEXT[kind]} ({words.LEVEL_TEXT[level]})"
    target, achieved = (Decimal(rng.choice(_KPI_VALUES)) if unit in ("ร้อยละ", None)
                        else Decimal(rng.randint(0, 400)) for unit in (target_unit, achieved_unit))
    qualifier = rng.choice(words.KPI_QUALIFIERS) if rng.random() < 0.15 else None
    return Kpi(ordinal, kpi_id, name, fy if with_year else None, target, target_unit, achieved,
               achieved_unit, kind, level, kinds, target_qualifier=qualifier)


def _kpi_page(rng: random.Random, big: bool) -> Report:
    fy = rng.randint(2560, 2568)
    agency = None  # a central department: the page names none and no table does
    if rng.random() < 0.5:
        prefix = rng.choice(words.KPI_AGENCIES)
    else:  # a district office, named from the district table
        k = rng.randrange(len(words.DISTRICTS))
        prefix, agency = f"50{k + 1:02d}", "สำนักงานเขต" + words.DISTRICTS[k]
    kpi = _kpi(rng, 1, fy, f"{prefix}-{rng.randint(1, 9999):04d}")
    unit = rng.choice(("ร้อยละ", "ร้อยละ", None, *words.KPI_UNITS[1:]))
    rows: list[QuarterlyResult] = []
    entries: list[KpiEntry] = []
    for quarter in range(1, (rng.randint(1, 4) if big else 1) + 1):
        narrative = None
        if big and rng.random() < 0.6:  # reported in the quarter's last month: Dec, Mar, Jun, Sep
            month = (quarter * 3 + 8) % 12 + 1
            said = rng.sample(words.NARRATIVES, rng.randint(1, 2))
            when = f"{rng.randint(1, 28):02d}/{month:02d}/{fy - 1 if month == 12 else fy}"
            narrative = "\n".join([f"{when} : {said[0]}", *said[1:]])
            day, month_, year = map(int, when.split("/"))
            entries.append(KpiEntry(1, quarter, len(entries) + 1, date(year - 543, month_, day), when,
                                    "\n".join(said)))
        sub_a = Decimal(rng.choice(("100", "50", "75", "0")))
        whole = rng.randint(0, 100) if rng.random() < 0.8 else rng.randint(1000, 99999)
        result = Decimal(f"{whole}.{rng.randint(0, 99):02d}")  # printed 1,407.52
        score = None if rng.random() < 0.2 else sub_a
        rows.append(QuarterlyResult(1, quarter, result, score, sub_a, Decimal(100), unit,
                                    narrative))
    year_known = kpi.fiscal_year_be is not None
    return Report(
        report_key="", doc_kind="kpi", layout="page",
        agency_code=f"{prefix}0000", agency_name=agency,
        agency_name_source=None if agency is None else "code",
        fiscal_year_be=kpi.fiscal_year_be, fiscal_year=fy - 543 if year_known else None,
        fiscal_year_source="kpi-name" if year_known else None,
        evaluation_quarter=len(rows),
        evaluation_score=Decimal(rng.choice(_SCORES)) if rng.random() < 0.8 else None,
        kpis=(kpi,), quarterly_results=tuple(rows), kpi_id=kpi.kpi_id, kpi_id_source="text",
        kpi_entries=tuple(entries),
    )


def _kpi_chunk(rng: random.Random, big: bool) -> Report:
    """A KPI page copied from its target line on: no name, no id, no table; the
    evaluation line and dated entries, several on a line at times."""
    fy = rng.randint(2560, 2568)
    kpi = dataclasses.replace(_kpi(rng, 1, fy, "-"), kpi_id=None, name="", fiscal_year_be=None,
                              source_line=None)
    entries = []
    start = date(fy - 544, 10, 1)
    for ordinal in range(1, (rng.randint(1, 5) if big else 1) + 1):
        day = start + timedelta(days=rng.randint(0, 364))
        if day.day <= 12:  # a day that is no month: the date reads one way only
            day = day.replace(day=day.day + 12)
        raw = (f"{day.month}/{day.day}/{day.year}" if rng.random() < 0.2
               else f"{day.day:02d}/{day.month:02d}/{day.year + 543}")
        said = rng.sample(words.NARRATIVES, rng.randint(1, 2) if big else 1)
        entries.append(KpiEntry(1, None, ordinal, day, raw, " ".join(said)))
    return Report(
        report_key="", doc_kind="kpi", layout="export",
        evaluation_quarter=rng.randint(1, 4),
        evaluation_score=Decimal(rng.choice(_SCORES)) if rng.random() < 0.5 else None,
        kpis=(kpi,), kpi_entries=tuple(entries),
    )


def _view(rng: random.Random, big: bool) -> Report:
    """A project as the newer front end's view page shows it: labelled values, two amounts."""
    fy = rng.randint(2560, 2568)
    k = rng.randrange(len(words.DISTRICTS))
    code, agency = f"50{k + 1:02d}0000", "สำนักงานเขต" + words.DISTRICTS[k]
    allocated = Decimal(rng.randint(50, 50000) * 100).quantize(_CENT)
    spent = (allocated * rng.randint(0, 100) / 100).quantize(_CENT)
    if rng.random() < 0.5:  # an amount with satang: 1,120,500.50
        spent = (spent + Decimal(rng.randint(1, 99)) / 100).quantize(_CENT)
    plain = [p for p in words.RATIONALE if "{" not in p]
    said = rng.sample(plain, min(len(plain), rng.randint(3, 8) if big else 1))
    cut = rng.randint(1, len(said) - 1) if len(said) > 1 and rng.random() < 0.3 else len(said)
    rationale = "\n".join(" ".join(part) for part in (said[:cut], said[cut:]) if part)
    start = date(fy - 544, 10, 1) + timedelta(days=rng.choice((0, 0, rng.randint(1, 90))))
    return Report(
        report_key="", doc_kind="project", layout="view",
        project_id=f"{code}-{rng.randint(1000, 9999)}", project_id_source="text",
        project_name="โครงการ" + rng.choice(words.PROJECT_TOPICS),
        agency_code=code, agency_name=agency, agency_name_source="text",
        fiscal_year_be=fy, fiscal_year=fy - 543, fiscal_year_source="year-field",
        progress_percent=Decimal(rng.randint(0, 100)),
        kpi_id=f"{code[:4]}-{rng.randint(1000, 9999)}", kpi_id_source="text",
        policy_id=str(rng.randint(1, 30)), branch_id=f"{rng.choice((0, rng.randint(1, 99))):07d}",
        start_date=start, finish_date=date(fy - 543, 9, 30), rationale=rationale,
        budget_figures=(BudgetFigure(None, "งบฯ ที่ได้รับ (บาท)", allocated, f"{allocated:,}"),
                        BudgetFigure(None, "งบฯ ที่ใช้ไป (บาท)", spent, f"{spent:,}")),
    )


def _kpi_definition(rng: random.Random, big: bool) -> Report:
    """An indicator of the city-indicator database: numbered name, integer id, target,
    kind of data, strategy levels, numbered sections."""
    number = str(rng.randint(1, 9))
    label = number.translate(_TO_THAI) + "." if rng.random() < 0.5 else number + "."
    unit = rng.choice((None, *words.KPI_UNITS))
    target = Decimal(rng.choice(_KPI_VALUES)) if unit in ("ร้อยละ", None) else Decimal(rng.randint(1, 400))
    qualifier = rng.choice(words.KPI_QUALIFIERS) if rng.random() < 0.3 else None
    titles = words.KPIDEF_SECTIONS[: rng.randint(2, len(words.KPIDEF_SECTIONS)) if big else 2]
    plain = [p for p in words.RATIONALE if "{" not in p]
    sections = tuple(KpiSection(1, n, title, "\n".join(rng.sample(plain, rng.randint(1, 3) if big else 1)))
                     for n, title in enumerate(titles, 1))
    kpi = Kpi(1, None, f"{label} {rng.choice(words.KPI_NAMES)}", None, target, unit, None, None,
              None, None, None, target_qualifier=qualifier, definition_id=rng.randint(1, 999),
              data_kind=rng.choice(words.DATA_KINDS), definition=sections[0].text,
              calculation_method=sections[1].text)
    area = rng.randint(1, len(words.AREAS))
    codes = [str(area), f"{area}.{rng.randint(1, 5)}"]
    codes.append(f"{codes[1]}.{rng.randint(1, 4)}")
    texts = (words.AREAS[area - 1], rng.choice(words.DIMENSIONS), rng.choice(words.GOALS))
    links = tuple(StrategyLink(i, level, code, text) for i, (level, code, text)
                  in enumerate(zip(("area", "dimension", "goal"), codes, texts, strict=True), 1))
    return Report(report_key="", doc_kind="kpi-definition", layout="page", kpis=(kpi,),
                  strategy_links=links, kpi_sections=sections)


# --- text ------------------------------------------------------------------------------


def _s(value: object) -> str:
    return "" if value is None else str(value)


def _scored(sep: str, score: Decimal | None) -> str:
    """The evaluation line's tail: nothing when there is no score."""
    return "" if score is None else f"{sep}{score}"


def _measures(k: Kpi) -> list[str]:
    return [f"{word}{' ' + unit if unit else ''} : {_s(value)}{' ' + said if said else ''}"
            for word, unit, value, said in (
                ("ค่าเป้าหมาย", k.target_unit, k.target_value, k.target_qualifier),
                ("ผลงานที่ทำได้", k.achieved_unit, k.achieved_value, k.achieved_qualifier))]


def _kpi_lines(k: Kpi) -> list[str]:
    return [f"ตัวชี้วัด : {k.name}", *_measures(k), f"ประเภทตัวชี้วัด : {_s(k.kinds_raw)}"]


def _kpi_page_lines(r: Report, style: int) -> list[str]:
    k = r.kpis[0]
    kind, bracket, level = _s(k.kinds_raw).partition(" (")
    out = ["รายละเอียดตัวชี้วัด", "", "Back Home", "", f"{k.name} : {k.kpi_id}", "", *_measures(k),
           f"ประเภทตัวชี้วัด : {kind}", *([f"({level}"] if bracket else []),
           "", "0", "", "รายละเอียดตัวชี้วัดฯ : พิมพ์ข้อมูล", ""]
    if r.evaluation_quarter is not None:
        sep = (" ", " : ", ": ")[(style >> 2) % 3]
        out += [f"{words.KPI_EVAL}{r.evaluation_quarter}{_scored(sep, r.evaluation_score)}", ""]
    rows = r.quarterly_results
    out += ["ผลงานเทียบกับเป้าหมายรายไตรมาส", "ไตรมาสที่", "(1 - 4)", "*ผลงาน*",
            f"({_s(rows[0].result_unit if rows else None)})", "*ผลประเมินตัวชี้วัด*", "(* 2.1 / 2.2 *)"]
    for q in rows:  # quarter, result, score (an empty line when none), "a / b"
        out += [str(q.quarter), "" if q.result_value is None else f"{q.result_value:,}", _s(q.score),
                f"{_s(q.subscore_a)} / {_s(q.subscore_b)}"]
    for q in rows:
        if q.narrative:
            out += ["", f"รายงานผลฯ ไตรมาสที่ {q.quarter}", *q.narrative.split("\n")]
    return out


def _kpi_chunk_lines(r: Report, style: int) -> list[str]:
    k = r.kpis[0]
    kind, bracket, level = _s(k.kinds_raw).partition(" (")
    out = [*_measures(k), f"ประเภทตัวชี้วัด : {kind}", *([f"({level}"] if bracket else []),
           "รายละเอียดตัวชี้วัดฯ : พิมพ์ข้อมูล"]
    if r.evaluation_quarter is not None:
        tail = _scored(" ", r.evaluation_score) if r.evaluation_score is not None else ":"
        out.append(f"{words.KPI_EVAL}{r.evaluation_quarter}{tail}")
    line: list[str] = []
    for n, e in enumerate(r.kpi_entries):  # several entries on a line at times
        line.append(f"{e.entry_date_raw} : {e.text}")
        if (style >> (n % 16)) & 1 or n == len(r.kpi_entries) - 1:
            out.append(" ".join(line))
            line = []
    return out


def _view_lines(r: Report, style: int) -> list[str]:
    """The view page: title (not always kept), labels glued to values, the rationale last,
    glued to its label or under it."""
    allocated, spent = r.budget_figures
    out = [f"รายละเอียดโครงการ/กิจกรรม: {r.project_id}"] if style & 1 else []
    out += [f"คืบหน้าล่าสุด : ร้อยละ {r.progress_percent}", "ข้อมูลโครงการ/กิจกรรม พิมพ์ PDF",
            f"รหัสโครงการ{r.project_id}", f"ปี{r.fiscal_year_be}", f"ชื่อโครงการ{r.project_name}",
            f"Policy ID{r.policy_id}", f"Branch ID{r.branch_id}", f"Kpi ID{r.kpi_id}",
            f"{allocated.label}{allocated.raw}", f"{spent.label}{spent.raw}",
            f"คืบหน้าล่าสุด{r.progress_percent}", f"หน่วยงาน{r.agency_name}",
            f"Start Date{r.start_date} 00:00:00.000", f"Finish Date{r.finish_date} 00:00:00.000"]
    glue = "" if style >> 1 & 1 else "\n"
    return [*out, *f"หลักการและเหตุผล{glue}{r.rationale}".split("\n")]



def _kpi_definition_lines(r: Report, style: int) -> list[str]:
    k = r.kpis[0]
    unit = f" {k.target_unit}" if k.target_unit else ""
    said = f" {k.target_qualifier}" if k.target_qualifier else ""
    colon = ":" if style >> 3 & 1 else ""
    out = [words.KPIDEF_TITLE, "Back Home", f"{k.name} : {k.definition_id}",
           f"ค่าเป้าหมาย{unit} : {k.target_value}{said}", f"ลักษณะข้อมูล : {k.data_kind}",
           "สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ"]
    out += [colon + words.LEVELS[s.level].format(s.code.translate(_TO_THAI)) + s.text
            + ("%" if s.level == "goal" else "") for s in r.strategy_links]
    for section in r.kpi_sections:
        out += [f"{section.number}.{section.title}", *_s(section.text).split("\n")]
    return out
