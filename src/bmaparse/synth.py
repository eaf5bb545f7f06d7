"""Synthetic BMA reports: random Report trees and the text the system shows for them.

Strategy: two halves that never look at each other's work.

* ``random_report`` draws the *content* of a report from a ``random.Random``:
  every value a parse is expected to give back, derived fields included
  (agency code from the id or the unit code pair, agency name from the agency
  line or the district table, fiscal year and where it came from, chronological
  order of the progress blocks, budget figures with the label the text puts
  before them). Derived values are computed here from the rules of
  docs/format.md ("Derived fields") and docs/data-dictionary.md, never by
  calling the parser, so a round trip checks one against the other.
  Provenance (report key, source, diagnostics, child source lines) is left
  empty; ``content`` strips it from a parsed report for comparison.
* ``render`` writes a report as text in its layout. Choices the content does
  not pin down (``1. `` or ``1.`` before an objective, items on one line or
  one a line, Thai digits in labels, a ``:`` before strategy levels, the
  evaluation line's separator, typing slips and ``สํา`` that the parser must
  repair) are bits of a CRC of the report's text: rendering is deterministic
  and still covers every variant across a corpus.

Rules kept: every phrase comes from ``_synth_words`` (normalised text with no
``:`` and no ``บาท``), so the only fields, dates and budget figures in the text
are the ones placed on purpose; percents, scores and KPI values are Decimals
made from the string that is rendered, so ``str`` gives the printed form back;
an entry date is never one whose other reading (day and month swapped) is a
valid date nearer the block's reporting date, so its reading is certain.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import zlib
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import _synth_words as words
from ._synth_docs import (
    _CENT,
    _SCORES,
    _TO_THAI,
    _kpi,
    _kpi_chunk,
    _kpi_chunk_lines,
    _kpi_definition,
    _kpi_definition_lines,
    _kpi_lines,
    _kpi_page,
    _kpi_page_lines,
    _s,
    _scored,
    _view,
    _view_lines,
)
from .model import (
    CHILD_TABLES,
    PARSER_VERSION,
    SCHEMA_VERSION,
    BudgetFigure,
    Objective,
    ProgressUpdate,
    Report,
    StrategyLink,
)

__all__ = ("content", "corpus", "random_report", "render", "sample_reports", "sample_texts")

LAYOUTS = ("page", "export", "view")
"""Layouts of a project report (``view``: the newer front end's project page)."""
SIZES = ("seed", "small")
"""``seed``: about as much text as the real seed export; ``small``: the least a report holds."""



# --- content ------------------------------------------------------------------------


def random_report(
    rng: random.Random, layout: str | None = None, *, doc_kind: str = "project", size: str = "seed"
) -> Report:
    """A random but realistic Report (content fields only; provenance left empty).

    ``layout`` is ``"page"``, ``"export"`` or ``"view"`` (None: drawn from ``rng``). ``doc_kind``
    ``"kpi"`` makes a KPI detail page (``page``) or a copy of one cut before its name
    and id (``export``; its id would be in the file name, so it has none here);
    ``"kpi-definition"`` an indicator of the city-indicator database. ``size="seed"``
    gives about as much text as the real seed export (~4,000 characters),
    ``"small"`` the least a report holds. Everything is drawn from ``rng`` alone.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    if doc_kind == "kpi":
        if layout not in (None, "page", "export"):
            raise ValueError(f"a KPI page is in layout 'page' or 'export', not {layout!r}")
        return _kpi_chunk(rng, size == "seed") if layout == "export" else _kpi_page(rng, size == "seed")
    if doc_kind == "kpi-definition":
        if layout not in (None, "page"):
            raise ValueError("a KPI definition exists only in layout 'page'")
        return _kpi_definition(rng, size == "seed")
    if doc_kind != "project":
        raise ValueError(f"doc_kind must be 'project', 'kpi' or 'kpi-definition', not {doc_kind!r}")
    if layout is None:
        layout = rng.choice(LAYOUTS)
    elif layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    return _view(rng, size == "seed") if layout == "view" else _project(rng, layout, size == "seed")


def _project(rng: random.Random, layout: str, big: bool) -> Report:
    page = layout == "page"
    fy = rng.randint(2560, 2568)
    code, agency = _agency(rng)
    unit_1 = code[:4] + rng.choice(words.UNIT_SUFFIXES)
    unit_2 = unit_1 if rng.random() < 0.7 else code[:4] + rng.choice(words.UNIT_SUFFIXES)
    said = [_fill(rng, p, agency=agency, year=fy)
            for p in rng.sample(words.RATIONALE, rng.randint(10, 15) if big else 1)]
    cut = rng.randint(2, len(said) - 2) if big and rng.random() < 0.3 else len(said)
    rationale = "\n".join(" ".join(part) for part in (said[:cut], said[cut:]) if part)  # paragraphs
    targets = [_sentences(rng, words.TARGETS, rng.randint(2, 4) if big else 1)
               for _ in range(rng.choice((1, 1, 2)) if big else 1)]
    budget: list[BudgetFigure] = []
    if rng.random() < 0.2:
        phrase, figure = _money(rng, None)
        targets[-1] += " " + phrase
        budget.append(figure)
    updates = _updates(rng, fy, rng.randint(1, 8) if big else 1, big, budget)
    kpis = tuple(_kpi(rng, i, fy, None) for i in range(1, (rng.randint(1, 3) if big else 1) + 1))
    if page and rng.random() < 0.85:
        fy_source = "agency-line"
    else:  # docs/format.md: else the first indicator's name that has a year, else the oldest date
        fy_source = "kpi-name" if any(k.fiscal_year_be for k in kpis) else "dates"
    contact_raw, title, name, unit, phone = _contact(rng)
    # An export shows no id, name or agency line: the agency code comes from the unit code
    # pair and the name from the district table, which has no Permanent Secretary's units.
    named = page or code.startswith("50")
    routine = rng.random() < 0.3
    return Report(
        report_key="", doc_kind="project", layout=layout,
        project_id=f"{code}-{rng.randint(1000, 9999)}" if page else None,
        project_id_source="text" if page else None,
        project_name=_project_name(rng, fy) if page else None,
        agency_code=code,
        agency_name=agency if named else None,
        agency_name_source=("text" if page else "code") if named else None,
        fiscal_year_be=fy, fiscal_year=fy - 543, fiscal_year_source=fy_source,
        progress_percent=_overall(rng, updates[0].percent),
        contact_raw=contact_raw, contact_title=title, contact_name=name, contact_unit=unit,
        contact_phone=phone,
        evaluation_quarter=rng.randint(1, 4),  # an export's evaluation line has no score
        evaluation_score=Decimal(rng.choice(_SCORES)) if page and rng.random() < 0.7 else None,
        rationale=rationale, unit_code_1=unit_1, unit_code_2=unit_2, targets="\n".join(targets),
        routine_work=routine,
        objectives=_objectives(rng, big),
        strategy_links=() if routine else _strategy(rng),
        progress_updates=updates, budget_figures=tuple(budget), kpis=kpis,
    )


def _agency(rng: random.Random) -> tuple[str, str]:
    """(agency code, name): mostly a district office, sometimes a Permanent Secretary's unit."""
    if rng.random() < 0.08:
        return rng.choice(words.PS_UNITS)
    k = rng.randrange(len(words.DISTRICTS))
    return f"50{k + 1:02d}0000", "สำนักงานเขต" + words.DISTRICTS[k]


def _fill(rng: random.Random, phrase: str, **extra: object) -> str:
    if "{" not in phrase:
        return phrase
    return phrase.format(n=rng.randint(1, 9), month=rng.choice(words.MONTHS), **extra)


def _sentences(rng: random.Random, pool: Sequence[str], k: int) -> str:
    return " ".join(_fill(rng, p) for p in rng.sample(pool, k))


def _project_name(rng: random.Random, fy: int) -> str:
    """``1.6 โครงการ... "quoted" (Best Service) ปี 2566``: numbering, flourish and year optional."""
    parts = [f"{rng.randint(1, 9)}.{rng.randint(1, 9)}"] if rng.random() < 0.15 else []
    parts.append("โครงการ" + rng.choice(words.PROJECT_TOPICS))
    if rng.random() < 0.15:
        parts.append(rng.choice(words.PROJECT_FLOURISHES))
    if rng.random() < 0.4:
        parts.append(f"ปี {fy}")
    return " ".join(parts)


def _contact(rng: random.Random) -> tuple[str, str | None, str | None, str | None, str | None]:
    """A contact line in a form docs/format.md lists, and what it says:
    (raw, title, name, unit, phone)."""
    title = name = unit = phone = None
    roll = rng.random()
    if roll < 0.15:  # only a unit or a role
        parts = [unit := rng.choice(words.UNITS + words.ROLES)]
    else:
        written, name = rng.choice(words.TITLES), _name(rng)
        title = words.TITLE_CANON.get(written, written)
        parts = [written + name]
        if rng.random() < 0.15:  # a second person, whom the parser drops
            parts[-1] += rng.choice((" และ", ", ")) + rng.choice(words.TITLES) + _name(rng)
        if roll < 0.45:
            parts.append(unit := rng.choice(words.UNITS))
        elif roll < 0.55:  # a position in brackets
            unit = rng.choice(words.ROLES)
            parts.append(f"({unit})")
    if rng.random() < 0.7:
        form, said = rng.choice(words.PHONES)
        a = rng.randint(1000, 8998)
        values = {"a": a, "b": a + 1, "c": rng.randint(100, 999), "d": rng.randint(1, 9),
                  "e": rng.randint(100, 999)}
        parts.append(form.format(**values))
        phone = said.format(**values)
    return " ".join(parts), title, name, unit, phone


def _name(rng: random.Random) -> str:
    return f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"


def _objectives(rng: random.Random, big: bool) -> tuple[Objective, ...]:
    """Numbered ``1, 2, ...`` or ``N.1, N.2, ...``, or one unnumbered sentence."""
    scheme = rng.choice(("plain", "plain", "plain", "sub", "none"))
    if scheme == "none":
        return (Objective(1, None, rng.choice(words.OBJECTIVES)),)
    texts = rng.sample(words.OBJECTIVES, rng.randint(2, 5) if big else rng.randint(1, 2))
    major = rng.randint(1, 3)
    return tuple(Objective(i, f"{major}.{i}" if scheme == "sub" else str(i), text)
                 for i, text in enumerate(texts, 1))


def _strategy(rng: random.Random) -> tuple[StrategyLink, ...]:
    area = rng.randint(1, len(words.AREAS))
    codes = [str(area)]
    for top in (5, 4, 4):  # dimension, goal, objective: each code extends the one above
        codes.append(f"{codes[-1]}.{rng.randint(1, top)}")
    texts = (words.AREAS[area - 1], rng.choice(words.DIMENSIONS), rng.choice(words.GOALS),
             rng.choice(words.GOAL_OBJECTIVES))
    levels = zip(words.LEVELS, codes, texts, strict=True)
    return tuple(StrategyLink(i, *level) for i, level in enumerate(levels, 1))


def _percent(hundredths: int, form: str) -> Decimal:
    """A percent printed ``100``/``95``, ``52.50`` or ``22.5`` (floored to what the form shows)."""
    whole, frac = divmod(hundredths, 100)
    if form == "int" or (form == "1dp" and frac < 10):
        return Decimal(whole)
    return Decimal(f"{whole}.{frac // 10}" if form == "1dp" else f"{whole}.{frac:02d}")


def _overall(rng: random.Random, newest: Decimal | None) -> Decimal:
    """The overall percent: the newest block's, as printed there or with two decimals."""
    value = newest if newest is not None else Decimal(0)
    return rng.choice((value, value.quantize(_CENT)))


def _updates(
    rng: random.Random, fy: int, n: int, big: bool, budget: list[BudgetFigure]
) -> tuple[ProgressUpdate, ...]:
    """``n`` progress blocks, newest first, inside fiscal year ``fy``; their money to ``budget``."""
    start = date(fy - 544, 10, 1)  # FY N runs 1 Oct N-544 .. 30 Sep N-543 (Gregorian)
    offsets = sorted(rng.sample(range((date(fy - 543, 9, 30) - start).days + 1), n), reverse=True)
    levels = sorted((rng.randint(0, 10000) for _ in range(n)), reverse=True)  # in hundredths
    if rng.random() < 0.4:
        levels[0] = 10000
    blocks = []
    for i, (offset, level) in enumerate(zip(offsets, levels, strict=True)):
        reported = start + timedelta(days=offset)
        entry, raw = _entry_date(rng, reported)
        lines = [_sentences(rng, words.PROGRESS, rng.randint(1, 3) if big else 1)
                 for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 3))]
        if rng.random() < 0.3:
            phrase, figure = _money(rng, i + 1)
            lines[0] = f"{lines[0]} {phrase}" if rng.random() < 0.6 else phrase
            budget.append(figure)
        percent = _percent(level, rng.choice(("int", "2dp", "2dp", "1dp")))
        blocks.append(ProgressUpdate(i + 1, n - i, percent, reported, entry, raw, "\n".join(lines),
                                     _problems(rng), _problems(rng)))
    return tuple(blocks)


def _entry_date(rng: random.Random, reported: date) -> tuple[date, str]:
    """The entry date and its text: D/M/BE (sometimes in Thai digits) or M/D/CE.

    It is the reporting date, or a few days before it when the day stays above 12
    (the swapped reading is then no date at all).
    """
    day = reported
    if reported.day > 15 and rng.random() < 0.2:
        day = reported - timedelta(days=rng.randint(1, 3))
    roll = rng.random()
    if roll < 0.15 and day.day > 12:
        return day, f"{day.month}/{day.day}/{day.year}"
    raw = f"{day.day:02d}/{day.month:02d}/{day.year + 543}"
    return day, raw.translate(_TO_THAI) if roll > 0.9 else raw


def _problems(rng: random.Random) -> str | None:
    """Problems or obstacles: mostly none (ไม่มี), else one or two lines."""
    if rng.random() < 0.8:
        return None
    return "\n".join(rng.sample(words.PROBLEMS, 1 if rng.random() < 0.7 else 2))


def _money(rng: random.Random, seq: int | None) -> tuple[str, BudgetFigure]:
    """A budget phrase (``งบประมาณที่ใช้ จำนวน 1,324,600 บาท``) and the figure it holds.

    The label is the word before the amount, ``จำนวน`` ("amount of") not included.
    """
    label = rng.choice(words.MONEY_LABELS)
    form = rng.random()
    if form < 0.25:  # ล้านบาท, "1.5" or "2"
        tenths = rng.randint(10, 99)
        number = f"{tenths // 10}.{tenths % 10}" if tenths % 10 else str(tenths // 10)
        raw, amount = f"{number} ล้านบาท", Decimal(tenths) * 100000
    else:
        baht = rng.randint(50, 50000) * 100
        raw, amount = f"{baht:,} บาท", Decimal(baht)
        if form > 0.8:
            raw = raw.translate(_TO_THAI)
    phrase = f"{label} {'จำนวน ' if rng.random() < 0.5 else ''}{raw}"
    return phrase, BudgetFigure(seq, label, amount.quantize(_CENT), raw)


# --- text ------------------------------------------------------------------------------


def render(report: Report) -> str:
    """The report as text in its layout, as the system shows it. Deterministic.

    ``page``: chrome, ``name : id``, ``agency : (year)``, chart value, headings and
    blank lines between blocks. ``export``: the seed's shape, no headings, no blank
    lines. A KPI detail page (``doc_kind="kpi"``) has its quarterly table. The text
    has no final newline.
    """
    style = _style(report)
    if report.layout == "view":
        lines = _view_lines(report, style)
    elif report.doc_kind == "kpi-definition":
        lines = _kpi_definition_lines(report, style)
    elif report.doc_kind == "kpi" and report.layout == "export":
        lines = _kpi_chunk_lines(report, style)
    elif report.doc_kind == "kpi":
        lines = _kpi_page_lines(report, style)
    elif report.layout == "export":
        lines = _export_lines(report, style)
    else:
        lines = _page_lines(report, style)
    text = "\n".join(lines)
    if style >> 8 & 3 == 0:  # typing slips docs/format.md lists; the parser repairs them
        for clean, slip in words.SLIPS:
            text = text.replace(clean, slip)
    if style >> 10 & 3 == 0:  # สำนัก spelled nikhahit + sara aa
        text = text.replace(*words.SARA_AM)
    return text


def _style(report: Report) -> int:
    """Bits for the choices the content leaves open: a CRC of the report's text."""
    kpis = (f"{k.kpi_id}{k.name}" for k in report.kpis)
    key = "|".join((_s(report.project_id), _s(report.contact_raw), _s(report.rationale)[:64], *kpis,
                    f"{len(report.progress_updates)}"))
    return zlib.crc32(key.encode())


def _header(r: Report, style: int) -> list[str]:
    """Percent, contact, links and evaluation: the lines both layouts start with."""
    lines = [f"ความคืบหน้าโครงการ ร้อยละ {_s(r.progress_percent)}"]
    if r.contact_raw:
        lines.append(r.contact_raw)
    lines.append("ดูโครงการแผนปีฯ : พิมพ์ข้อมูล")
    if r.evaluation_quarter is not None:
        sep = " : " if style >> 2 & 1 else " "
        lines.append(f"{words.EVAL}{r.evaluation_quarter}{_scored(sep, r.evaluation_score)}")
    return lines


def _page_lines(r: Report, style: int) -> list[str]:
    out = ["ความคืบหน้าโครงการ/กิจกรรม", "", "Back Home", "", "FusionCharts will render here", ""]
    if r.project_id:
        out += [f"{_s(r.project_name)} : {r.project_id}", ""]
    if r.agency_name:
        star = "" if _s(r.agency_code).startswith("50") else "** "  # a Permanent Secretary's unit
        year = f" : ({r.fiscal_year_be})" if r.fiscal_year_source == "agency-line" else ""
        out += [f"{star}{r.agency_name}{year}", ""]
    out += [_s(r.progress_percent), ""]  # the chart's value
    for line in _header(r, style):
        out += [line, ""]
    out += ["หลักการและเหตุผล", *_s(r.rationale).split("\n"), f"{r.unit_code_1}/{r.unit_code_2}", "",
            "วัตถุประสงค์ของโครงการ", *_objective_lines(r.objectives, style), "",
            "เป้าหมายของโครงการ", *_s(r.targets).split("\n"), "",
            "สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ", *_strategy_lines(r, style), "",
            *_progress_lines(r, style)]
    for kpi in r.kpis:
        out += ["", *_kpi_lines(kpi)]
    return [*out, "", words.EVAL_SECTION]


def _export_lines(r: Report, style: int) -> list[str]:
    out = _header(r, style)
    if r.rationale:
        out += r.rationale.split("\n")
    out += [f"{r.unit_code_1}/{r.unit_code_2}", *_objective_lines(r.objectives, style)]
    if r.targets:
        out += r.targets.split("\n")
    out += [*_strategy_lines(r, style), *_progress_lines(r, style)]
    for kpi in r.kpis:
        out += _kpi_lines(kpi)
    return [*out, words.EVAL_SECTION]


def _objective_lines(objectives: Sequence[Objective], style: int) -> list[str]:
    """``1. a 2. b``, ``1.a 2.b`` or ``2.1 a 2.2 b``, on one line or one item a line,
    sometimes in Thai digits; an unnumbered objective is a line of its own."""
    tight, split, thai = style >> 4 & 1, style >> 5 & 1, style >> 6 & 3 == 0
    lines, items = [], []
    for o in objectives:
        if o.label is None:
            lines.append(o.text)
            continue
        label = o.label.translate(_TO_THAI) if thai else o.label
        dot = " " if "." in o.label else "." if tight else ". "  # 2.1 a / 1.a / 1. a
        items.append(f"{label}{dot}{o.text}")
    if items and not split:
        items = [" ".join(items)]
    return lines + items


def _strategy_lines(r: Report, style: int) -> list[str]:
    if r.routine_work:
        return list(words.ROUTINE)
    colon = ": " if style & 3 == 0 else ""  # some pages prefix each level with ":"
    return [colon + words.LEVELS[s.level].format(s.code.translate(_TO_THAI)) + s.text
            + ("%" if s.level == "goal" else "") for s in r.strategy_links]


def _progress_lines(r: Report, style: int) -> list[str]:
    out = []
    for u in r.progress_updates:
        when = f" ({u.reported_on.isoformat()})" if u.reported_on else ""
        out.append(f"({u.seq}) ความคืบหน้าโครงการฯ ร้อยละ {_s(u.percent)}{when}")
        text = _s(u.text).split("\n")
        if u.entry_date_raw:
            glue = " :" if (style >> 12) % 7 == u.seq % 7 else " : "  # the seed has both
            text[0] = f"{u.entry_date_raw}{glue}{text[0]}"
        problems = (u.problems or "ไม่มี").split("\n")
        obstacles = (u.obstacles or "ไม่มี").split("\n")
        out += [*text, f"** ปัญหาของโครงการ :{problems[0]}", *problems[1:],
                f"** อุปสรรคของโครงการ :{obstacles[0]}", *obstacles[1:], words.SEPARATOR]
    return out


# --- comparison, corpora, samples ---------------------------------------------------------


def content(report: Report) -> Report:
    """The report without provenance, for comparing a parse with what was rendered.

    ``report_key`` "", source path, hash and line range None, no diagnostics, every
    child record's ``source_line`` None, parser and schema version at their defaults.
    """
    children: dict[str, Any] = {
        name: tuple(dataclasses.replace(child, source_line=None) for child in getattr(report, name))
        for name in CHILD_TABLES
    }
    return dataclasses.replace(
        report, report_key="", source_path=None, source_sha256=None, source_line_start=None,
        source_line_end=None, parser_version=PARSER_VERSION, schema_version=SCHEMA_VERSION,
        diagnostics=(), **children,
    )


def corpus(
    n: int, seed: int = 0, *, layouts: Sequence[str] = ("page", "export"), size: str = "seed",
    history: bool = False,
) -> Iterator[str]:
    """``n`` rendered reports, the same ones for the same arguments (for benchmarks).

    Each report's layout is drawn from ``layouts``: ``"page"``, ``"export"``, ``"view"``
    (a project's view page), or ``"kpi"`` for a KPI detail page. ``history=True`` makes
    an archive an auditor would see (``_snapshot``, ``_quirks``): a quarter of the
    reports are later snapshots of an earlier page report, and a few carry the
    anomalies ``bmaparse.audit`` looks for (docs/audit.md). Without it the corpus is
    what it always was.
    """
    if not layouts or set(layouts) - {*LAYOUTS, "kpi"}:
        raise ValueError(f"layouts must be drawn from {(*LAYOUTS, 'kpi')}, not {tuple(layouts)!r}")
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    if history:
        return _history(n, random.Random(seed), tuple(layouts), size)
    return _corpus(n, random.Random(seed), tuple(layouts), size)


def _corpus(n: int, rng: random.Random, layouts: tuple[str, ...], size: str) -> Iterator[str]:
    for _ in range(n):
        yield render(_drawn(rng, layouts, size))


def _drawn(rng: random.Random, layouts: tuple[str, ...], size: str) -> Report:
    layout = rng.choice(layouts)
    if layout == "kpi":
        return random_report(rng, doc_kind="kpi", size=size)
    return random_report(rng, layout, size=size)


_KEPT = 256
"""Page reports a later snapshot may follow (the most recent ones)."""
_LOW_FILL_AGENCY = "50010000"
"""The district office whose page reports lack their evaluation score (low-fill-rate)."""
_STRAY = ("ดูโครงการแผนปีฯ : พิมพ์ข้อมูล\n", "ดูโครงการแผนปีฯ : พิมพ์ข้อมูล\n@@@ 2\n")
"""A stray line after the print link: the evaluation line below goes unrecognized."""


def _history(n: int, rng: random.Random, layouts: tuple[str, ...], size: str) -> Iterator[str]:
    """``corpus(history=True)``: fresh reports (with ``_quirks``) and later snapshots."""
    earlier: list[Report] = []
    for _ in range(n):
        if earlier and rng.random() < 0.25:
            report, keep = _snapshot(rng, earlier[rng.randrange(len(earlier))])
            text = render(report)
        else:
            report, text = _quirks(rng, _drawn(rng, layouts, size))
            keep = report.layout == "page" and bool(report.progress_updates)
        if keep:
            earlier = [*earlier[-_KEPT + 1:], report]
        yield text


def _quirks(rng: random.Random, report: Report) -> tuple[Report, str]:
    """A fresh report and its text, with the rare anomalies of an archive: one agency's
    page reports without an evaluation score, an entry date that is no date
    (``bad-date``), a stray line (``unrecognized-line``)."""
    if report.layout == "page" and report.agency_code == _LOW_FILL_AGENCY:
        report = dataclasses.replace(report, evaluation_score=None)
    roll = rng.random()
    if roll < 0.004 and report.progress_updates:
        oldest = report.progress_updates[-1]
        raw = f"31/02/{(oldest.reported_on or date(2020, 1, 1)).year + 543}"
        report = dataclasses.replace(report, progress_updates=(
            *report.progress_updates[:-1], dataclasses.replace(oldest, entry_date_raw=raw)))
    text = render(report)
    if 0.004 <= roll < 0.008 and report.layout == "page":
        text = text.replace(*_STRAY, 1)
    return report, text


def _snapshot(rng: random.Random, before: Report) -> tuple[Report, bool]:
    """A later snapshot of ``before`` (a page report): a newer progress block on top,
    at a higher percent; rarely a lower one (progress going backwards), or the same
    reporting date with another percent (a conflicting snapshot, not followed
    further). (report, whether a later snapshot may follow it)."""
    newest = before.progress_updates[0]
    assert newest.reported_on is not None and newest.percent is not None
    roll = rng.random()
    if roll < 0.04:  # same date, other content
        percent = _percent(rng.randint(0, 10000), "2dp")
        changed = dataclasses.replace(newest, percent=percent)
        return dataclasses.replace(before, progress_updates=(
            changed, *before.progress_updates[1:]), progress_percent=percent), False
    level = int(newest.percent * 100)
    level = rng.randint(0, level) if roll < 0.1 else rng.randint(level, 10000)
    percent = _percent(level, rng.choice(("int", "2dp", "1dp")))
    reported = newest.reported_on + timedelta(days=rng.randint(15, 120))
    entry, raw = _entry_date(rng, reported)
    block = ProgressUpdate(1, len(before.progress_updates) + 1, percent, reported, entry, raw,
                           _sentences(rng, words.PROGRESS, 1), _problems(rng), _problems(rng))
    older = tuple(dataclasses.replace(u, seq=u.seq + 1 if u.seq is not None else None)
                  for u in before.progress_updates)
    money = tuple(dataclasses.replace(b, seq=b.seq + 1 if b.seq is not None else None)
                  for b in before.budget_figures)
    return dataclasses.replace(before, progress_updates=(block, *older), budget_figures=money,
                               progress_percent=_overall(rng, percent)), True


def sample_reports() -> dict[str, tuple[Report, ...]]:
    """The reports of the committed sample files (``samples/synth_*.txt``), by file name."""
    multi, kinds = random.Random(1), ("export", "page", "export")
    return {
        "synth_page_1.txt": (random_report(random.Random(1), "page"),),
        "synth_export_1.txt": (random_report(random.Random(1), "export"),),
        "synth_kpi_1.txt": (random_report(random.Random(1), doc_kind="kpi"),),
        "synth_kpi_cut_1.txt": (random_report(random.Random(1), "export", doc_kind="kpi"),),
        "synth_view_1.txt": (random_report(random.Random(1), "view"),),
        "synth_kpi_definition_1.txt": (random_report(random.Random(1), doc_kind="kpi-definition"),),
        "synth_multi_1.txt": tuple(random_report(multi, kind) for kind in kinds),
    }


def sample_texts() -> dict[str, str]:
    """Each sample file's text: its reports rendered, a blank line between, a final newline."""
    return {name: "\n\n".join(map(render, made)) + "\n" for name, made in sample_reports().items()}


if __name__ == "__main__":  # python -m bmaparse.synth [FOLDER]: (re)write the sample files
    for file_name, file_text in sample_texts().items():
        folder = Path(sys.argv[1] if len(sys.argv) > 1 else "samples")
        (folder / file_name).write_text(file_text, encoding="utf-8")
