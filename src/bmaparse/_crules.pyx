# cython: language_level=3
"""Compiled section rules and value readers; ``_values`` and ``_rules`` are the references they must equal.

This module imports no module of the package but ``_lexer`` (its kinds and
``GROUP_INDEX``, as ``_ckernels`` does: it is complete by the time ``_compiled``
selects). ``_values`` and ``_rules`` hand it their tables, records and helpers
at the end of their import (``bind_values``, ``bind_rules``), then take the
functions below in place of their ``pure_`` references (``_compiled`` decides
whether they are used at all). No table, word list or pattern is written
twice: the scans read ``_values``'s multiplier words, unit, spaces, label stops,
trimmed characters and connector words, and call ``_values``'s ``_amount``,
``parse_number``, ``parse_whole``, ``parse_entry_date`` and ``shown``; the
rules call ``_rules``' helpers that run once a report (``_agency``,
``_is_contact``, ``evaluation``, ``_is_next``, ...) and build the same records.

The value readers are in ``_crules_money.pxi`` and the body's functions in
``_crules_body.pxi``, included here (one extension; three files to keep each
short).

``find_money(text)``: ``_values.pure_find_money``, whose regex has two
lookbehinds and an alternation, replaced by a hand scan that gives the same
matches. Why they are the same: an amount starts at a digit (ASCII, or Thai,
which the reference maps to ASCII first) with no digit before it, nor a digit
and ``.`` or ``,``; the tail after the number (``.`` and decimals, ``.-``,
spaces, a multiplier word, ``บาท``) never starts with a digit or ``,``, so of
the regex's choices only one can reach it: the whole digit run with every
complete ``,ddd`` group after it when the run has 1-3 digits and such a group
follows, else the whole run; then all the decimals, ``.-`` if there, all the
spaces, the first multiplier word (in ``_MULTIPLIERS``' order) that has the
spaces and ``บาท`` after it, else ``บาท`` itself. A failed start cannot be
retried inside its own digit run (the lookbehind refuses it), so each
character is looked at a bounded number of times: linear, like the regex.
The label is ``_values._label``'s, computed with offsets instead of copies.

``labels(text)`` (``_rules._labels``, for the tests; ``body`` calls the C
function): ``_rules._LABEL`` (a lookbehind for a space or the start, one or
two digits, optional decimals, then an alternation of lookaheads) matched by
trying its choices in the regex's own order, at most six, each a few
characters: linear too. Its ``\\d`` and ``\\s`` are every script's
(``str.isdecimal``, ``str.isspace``), as in a str pattern.

``header``, ``body``, ``strategy``, ``progress``, ``kpi``, ``measure``,
``number``, ``percent``, ``money``: the rules of ``_rules`` with typed locals
and C helpers for what runs per line (``_join``, ``_nil``, the budget figures of
a line built without the intermediate ``Money``, the groups of a token whose
kind is known read at their place in ``GROUP_INDEX``, a block number of 1-9
ASCII digits): the same ``DiagnosticLog`` calls in the same order (a block's
percent last, where the reference's keyword arguments evaluate it), the same
records. A token is read as the tuple it is (``Token`` is a named tuple:
``kind``, ``text``, ``line``, ``groups``, ``col``); anything else given as a
token is a TypeError (the parser gives only tokens).

Bounds checks stay on everywhere (no directive turns them off); the C-level
indexes are into a str or tuple whose length was checked just before.
Measured (2,000 synthetic page and export reports, CPU time, medians of
alternating runs): compiled parse 247 -> 177 µs a report with this module;
each rule alone, on the corpus's own calls, its ``pure_`` reference (with the
other compiled kernels) against this one: progress 36 -> 22, body 18 -> 9,
kpi 12 -> 7, header 6 -> 5, strategy 5 -> 3 µs a report; find_money 15 -> 6 µs
on the lines holding บาท.
"""

from cpython.tuple cimport PyTuple_Check
from decimal import Decimal

from ._lexer import GROUP_INDEX, Kind


include "_crules_money.pxi"


# --- what _rules gives (bind_rules) -----------------------------------------------------------

cdef object _BudgetFigure = None
cdef object _ProgressUpdate = None
cdef frozenset _nil_words = frozenset()
cdef dict _group_index = GROUP_INDEX
cdef object _zero = Decimal(0)
cdef object _hundred = Decimal(100)
cdef str _SEPARATOR = Kind.SEPARATOR
cdef str _PROBLEMS = Kind.PROBLEMS
cdef str _OBSTACLES = Kind.OBSTACLES
cdef str _ENTRY = Kind.ENTRY
cdef str _BLANK = Kind.BLANK
cdef str _PROGRESS_HEAD = Kind.PROGRESS_HEAD
cdef Py_ssize_t _ENTRY_DATE = GROUP_INDEX[Kind.ENTRY]["date"]
cdef Py_ssize_t _ENTRY_TEXT = GROUP_INDEX[Kind.ENTRY]["text"]
cdef Py_ssize_t _PROBLEMS_TEXT = GROUP_INDEX[Kind.PROBLEMS]["text"]
cdef Py_ssize_t _OBSTACLES_TEXT = GROUP_INDEX[Kind.OBSTACLES]["text"]
cdef str _KPI_NAME = Kind.KPI_NAME
cdef str _KPI_ID = Kind.KPI_ID
cdef str _KPI_TARGET = Kind.KPI_TARGET
cdef str _KPI_ACHIEVED = Kind.KPI_ACHIEVED
cdef str _KPI_KINDS = Kind.KPI_KINDS
cdef object _Kpi = None
cdef object _Measure = None
cdef frozenset _textlike = frozenset()
cdef frozenset _measure_lines = frozenset()
cdef object _fiscal_year_in_text = None
cdef object _kind = None
cdef object _level = None
cdef object _tuple_new = tuple.__new__
cdef str _HEADING = Kind.HEADING
cdef str _UNIT_CODES = Kind.UNIT_CODES
cdef object _Body = None
cdef object _Objective = None
cdef dict _heading_field = {}
cdef frozenset _out_of_place = frozenset()
cdef object _is_next = None
cdef str _NAME_ID = Kind.NAME_ID
cdef str _AGENCY_FY = Kind.AGENCY_FY
cdef str _NUMBER = Kind.NUMBER
cdef str _PERCENT = Kind.PERCENT
cdef Py_ssize_t _PERCENT_AT = GROUP_INDEX[Kind.PERCENT]["percent"]
cdef Py_ssize_t _PROJECT_NAME_AT = GROUP_INDEX[Kind.NAME_ID]["project_name"]
cdef Py_ssize_t _PROJECT_ID_AT = GROUP_INDEX[Kind.NAME_ID]["project_id"]
cdef object _Header = None
cdef object _Evaluation = None
cdef frozenset _chrome = frozenset()
cdef frozenset _evals = frozenset()
cdef object _stars_only = None
cdef object _agency = None
cdef object _is_contact = None
cdef object _evaluation = None
cdef object _parse_contact = None
cdef object _no_contact = None
cdef str _STRATEGY = Kind.STRATEGY
cdef str _ROUTINE = Kind.ROUTINE
cdef Py_ssize_t _TITLE_AT = GROUP_INDEX[Kind.STRATEGY]["title"]
cdef Py_ssize_t _LEVEL_AT = GROUP_INDEX[Kind.STRATEGY]["level"]
cdef Py_ssize_t _CODE_AT = GROUP_INDEX[Kind.STRATEGY]["code"]
cdef object _StrategyLink = None
cdef dict _levels = {}
cdef str _title_lead = ""
cdef str _title_tail = ""


def bind_rules(rules):
    """Take ``_rules``'s tables and records (it calls this once, at its end)."""
    global _BudgetFigure, _ProgressUpdate, _nil_words, _Kpi, _Measure, _textlike, _measure_lines
    global _fiscal_year_in_text, _kind, _level, _Body, _Objective, _heading_field, _out_of_place, _is_next
    _Body = rules.Body
    global _Header, _Evaluation, _chrome, _evals, _stars_only, _agency, _is_contact, _evaluation, _parse_contact
    global _no_contact
    _Header, _Evaluation = rules.Header, rules.Evaluation
    _chrome, _evals = rules._CHROME, rules._EVALS
    _stars_only, _agency, _is_contact = rules._stars_only, rules._agency, rules._is_contact
    _evaluation, _parse_contact, _no_contact = rules.evaluation, rules.parse_contact, rules._NO_CONTACT
    global _StrategyLink, _levels, _title_lead, _title_tail
    _StrategyLink, _levels = rules.StrategyLink, rules._LEVELS
    _title_lead, _title_tail = rules._TITLE_LEAD, rules._TITLE_TAIL
    _Objective = rules.Objective
    _heading_field = rules._HEADING_FIELD
    _out_of_place = rules._OUT_OF_PLACE
    _is_next = rules._is_next
    _Kpi = rules.Kpi
    _Measure = rules.Measure
    _textlike = rules._TEXTLIKE
    _measure_lines = rules._MEASURE_LINES
    _fiscal_year_in_text = rules.fiscal_year_in_text
    _kind = rules._kind
    _level = rules._level
    _BudgetFigure = rules.BudgetFigure
    _ProgressUpdate = rules.ProgressUpdate
    _nil_words = rules._NIL


cdef inline tuple _token(object tok):
    """The token as the tuple it is; anything else is refused (the rules read only tokens)."""
    if not PyTuple_Check(tok):
        raise TypeError(f"a Token, not {type(tok).__name__}")
    return <tuple>tok


cdef inline object _group(tuple tok, str name):
    """``Token.group``: the pattern's group ``name``, or None."""
    return (<tuple>tok[3])[_group_index[tok[0]][name]]


cdef inline object _group_at(tuple tok, Py_ssize_t at):
    """``Token.group`` of a token whose kind is known, by the group's place (from ``GROUP_INDEX``)."""
    return (<tuple>tok[3])[at]


cdef object _number(tuple tok, object raw, object log, str what):
    """``_rules.number``."""
    if raw is None or not raw.strip():
        return None
    value = _parse_number(raw)
    if value is None:
        col = tok[1].find(raw) + 1 or None
        log.add(tok, "error", "bad-number", f"{what} is not a number: {_shown(raw)}", raw=raw, col=col)
    return value


cdef object _percent(tuple tok, object raw, object log, str what):
    """``_rules.percent``."""
    value = _number(tok, raw, log, what)
    if value is not None and not _zero <= value <= _hundred:
        log.add(tok, "warning", "percent-out-of-range", f"{what} {_shown(value)} is outside 0..100")
    return value


def number(token, raw, log, what):
    """``_rules.pure_number``: a number from a token's group, or None with a diagnostic."""
    return _number(_token(token), raw, log, what)


def percent(token, raw, log, what):
    """``_rules.pure_percent``: a percent; values outside 0..100 are kept and flagged."""
    return _percent(_token(token), raw, log, what)


cdef object _join(list parts):
    """``_rules._join``."""
    text = "\n".join([p for p in parts if p])
    return text or None


cdef object _nil(object text):
    """``_rules._nil``."""
    if text is None:
        return None
    stripped = text.strip()
    return None if stripped in _nil_words else stripped


cdef object _whole(object raw):
    """``_values.parse_whole(raw)``: a text of 1-9 ASCII digits read here, any other by it."""
    cdef Py_ssize_t n, i
    cdef long value = 0
    cdef Py_UCS4 c
    if type(raw) is not str:
        return _parse_whole(raw)
    n = len(<str>raw)
    if not 0 < n <= 9:
        return _parse_whole(raw)
    for i in range(n):
        c = (<str>raw)[i]
        if not "0" <= c <= "9":
            return _parse_whole(raw)
        value = value * 10 + (<long>c - 48)
    return value


cdef object _block_number(tuple head, object written, object log):
    """``_rules._block_number``, given the head's group ``seq``."""
    raw = written or "0"
    seq = _whole(raw)
    if seq is None:
        log.add(head, "error", "bad-number",
                f"progress block number {_shown(raw)} has more than {_max_whole_digits} digits; read as 0",
                raw=raw, col=2)
        return 0
    return seq


cdef object _entry_date(tuple tok, object written, object near, object log):
    """``_rules._entry_date``."""
    result = _parse_entry_date(written or "", near)
    if result.problem is not None:
        log.add(tok, result.severity, result.problem, result.message or result.problem, raw=written)
    return result.value


cdef void _money_into(list budget, str text, object line, object seq) except *:
    """``budget += _rules.money(text, line, seq)``, without the intermediate ``Money``."""
    cdef Py_ssize_t previous_end = 0
    cdef Py_ssize_t start, end
    if _baht not in text:
        return
    for start, end, amount in _amounts(text):
        if amount is None:
            continue
        budget.append(_BudgetFigure(seq, _label(text, previous_end, start), amount, text[start:end], line))
        previous_end = end


def money(text, line, seq):
    """``_rules.pure_money``: budget figures in one line of text."""
    cdef list budget = []
    if isinstance(text, str):
        _money_into(budget, str.__str__(text) if type(text) is not str else text, line, seq)
    return budget


cdef enum _Part:
    TEXT, PROBLEMS, OBSTACLES


def progress(list tokens not None, log, chrono_index):
    """``_rules.pure_progress``: one progress block; the same records and diagnostics."""
    cdef tuple head = _token(tokens[0])
    cdef tuple tok
    cdef object kind
    cdef list text = [], problems = [], obstacles = [], budget = []
    cdef list current = text
    cdef _Part part = TEXT
    cdef bint closed = False
    cdef Py_ssize_t i
    cdef dict at = _group_index[head[0]]  # the head's groups, by name
    cdef tuple groups = head[3]
    seq = _block_number(head, groups[at["seq"]], log)
    written_on = groups[at["date"]]
    reported_on = _parse_iso_date(_to_ascii_digits(written_on)) if written_on else None
    if written_on and reported_on is None:
        log.add(head, "error", "bad-date", f"reporting date {_shown(written_on)} is not a date (YYYY-MM-DD)")
    elif written_on is None:
        log.add(head, "warning", "missing-value", "progress block has no reporting date")
    entry_raw = entry_date = None
    for i in range(1, len(tokens)):
        tok = _token(tokens[i])
        kind = tok[0]
        if closed:
            log.unrecognized(tok, "space after a progress block")
            continue
        if kind is _SEPARATOR:
            closed = True
        elif kind is _PROBLEMS or kind is _OBSTACLES:
            if kind is _PROBLEMS:
                part, current = PROBLEMS, problems
                current.append(_group_at(tok, _PROBLEMS_TEXT) or "")
            else:
                part, current = OBSTACLES, obstacles
                current.append(_group_at(tok, _OBSTACLES_TEXT) or "")
        elif kind is _ENTRY and entry_raw is None and part == TEXT and not text:
            entry_raw, entry_text = _group_at(tok, _ENTRY_DATE), _group_at(tok, _ENTRY_TEXT) or ""
            entry_date = _entry_date(tok, entry_raw, reported_on, log)
            text.append(entry_text.strip())
            _money_into(budget, entry_text, tok[2], seq)
        elif kind is not _BLANK:
            current.append(tok[1])
            if part == TEXT:
                _money_into(budget, tok[1], tok[2], seq)
    update = _ProgressUpdate(
        seq, chrono_index, _percent(head, groups[at["percent"]], log, "block percent"), reported_on,
        entry_date, entry_raw, _join(text), _nil(_join(problems)), _nil(_join(obstacles)), head[2],
    )
    return update, tuple(budget)


# --- indicators -------------------------------------------------------------------------------

cdef tuple _NO_MEASURE = (None, None, None)


cdef tuple _measure(tuple tok, object log, str which):
    """``_rules.pure_measure`` as a plain (unit, value, qualifier) tuple."""
    unit = (_group(tok, "unit") or "").strip() or None
    raw = (_group(tok, "value") or "").strip()
    value = _parse_number(raw) if raw else None
    if value is not None or not raw:
        return (unit, value, None)
    head, _, rest = raw.partition(" ")
    if rest and _parse_number(head) is not None:
        return (unit, _parse_number(head), rest.strip())
    return (unit, _number(tok, raw, log, f"KPI {which} value"), None)


def measure(tok, log, which):
    """``_rules.pure_measure``: a target or achieved line."""
    return _tuple_new(_Measure, _measure(_token(tok), log, which))


cdef str _joined(list parts):
    """``" ".join(p.strip() for p in parts if p.strip())``."""
    cdef list kept = []
    for p in parts:
        p = p.strip()
        if p:
            kept.append(p)
    return " ".join(kept)


def kpi(list tokens not None, log, ordinal, kpi_id=None):
    """``_rules.pure_kpi``: one indicator; the same record and diagnostics."""
    cdef tuple head = _token(tokens[0])
    cdef tuple tok
    cdef tuple target = _NO_MEASURE, achieved = _NO_MEASURE
    cdef list name_parts, kinds_parts = []
    cdef bint headless = head[0] in _measure_lines
    cdef bint naming = True  # current is "name" (else "target", "achieved" or "kinds")
    cdef bint kinding = False  # current is "kinds"
    cdef bint has_target = False, has_achieved = False  # a second one is a diagnostic
    cdef Py_ssize_t i
    if headless:
        name_parts = []
    elif head[0] is _KPI_NAME or head[0] is _KPI_ID:
        name_parts = [_group(head, "name") or ""]
    else:
        name_parts = [head[1]]
    for i in range(0 if headless else 1, len(tokens)):
        tok = _token(tokens[i])
        kind = tok[0]
        if (kind is _KPI_TARGET and has_target) or (kind is _KPI_ACHIEVED and has_achieved):
            log.unrecognized(tok, "indicator block, a second "
                             + ("target" if kind is _KPI_TARGET else "achieved") + " line")
        elif kind is _KPI_TARGET:
            target, naming, kinding, has_target = _measure(tok, log, "target"), False, False, True
        elif kind is _KPI_ACHIEVED:
            achieved, naming, kinding, has_achieved = _measure(tok, log, "achieved"), False, False, True
        elif kind is _KPI_KINDS:
            kinds_parts.append(_group(tok, "kinds") or "")
            naming, kinding = False, True
        elif kind in _textlike and (naming or kinding):
            (name_parts if naming else kinds_parts).append(tok[1])
        elif kind is not _BLANK:
            log.unrecognized(tok, "indicator block")
    name = _joined(name_parts)
    if not name and not headless:
        log.add(head, "warning", "missing-value", "indicator line has no name")
    kinds_raw = _joined(kinds_parts) or None
    return _Kpi(ordinal, kpi_id, name, _fiscal_year_in_text(name), target[1], target[0], achieved[1],
                achieved[0], _kind(kinds_raw), _level(kinds_raw), kinds_raw, head[2], target[2], achieved[2])


include "_crules_body.pxi"


# --- header ------------------------------------------------------------------------------------


def header(list tokens not None, log):
    """``_rules.pure_header``: page chrome, name : id, agency, chart value, percent,
    contact, evaluation; its helpers once a report are ``_rules``' own."""
    cdef tuple tok, name_id = None, agency = None, percent_line = None, contact = None
    cdef Py_ssize_t i = 0, j, n = len(tokens)
    cdef bint after_name = False
    progress_percent = None
    evaluated = _Evaluation()
    while i < n:
        tok = _token(tokens[i])
        kind = tok[0]
        if kind in _chrome:
            i += 1
            continue
        if kind is _NAME_ID and name_id is None:
            name_id, after_name = tok, True
            i += 1
            continue
        elif kind is _AGENCY_FY or (after_name and kind in _textlike):
            if agency is not None or _stars_only(tok):
                log.unrecognized(tok, "page header")
            else:
                agency = tok
        elif kind is _NUMBER and percent_line is None:
            pass
        elif kind is _PERCENT and percent_line is None:
            percent_line, written = tok, _group_at(tok, _PERCENT_AT)
            progress_percent = _percent(tok, written, log, "progress percent")
            if written is None:
                log.add(tok, "warning", "missing-value", "progress percent line has no number")
            j = i + 1
            while j < n and _token(tokens[j])[0] is _BLANK:
                j += 1
            if j < n and _token(tokens[j])[0] in _textlike and _is_contact(tokens, j):
                contact = _token(tokens[j])
                i = j
        elif kind in _evals:
            evaluated = _evaluation(tok, log)
            i += 1
            break
        else:
            break
        after_name = False
        i += 1
    agency_name, fiscal_year_be = _agency(agency) if agency is not None else (None, None)
    person = _parse_contact(contact[1]) if contact is not None else _no_contact
    return _Header(
        i,
        (_group_at(name_id, _PROJECT_NAME_AT) or None) if name_id is not None else None,
        _to_ascii_digits(_group_at(name_id, _PROJECT_ID_AT) or "") if name_id is not None else None,
        agency_name,
        fiscal_year_be,
        "agency-line" if fiscal_year_be is not None else None,
        progress_percent,
        contact[1] if contact is not None else None,
        person.title,
        person.name,
        person.unit,
        person.phone,
        evaluated,
    )


# --- strategy ----------------------------------------------------------------------------------


def strategy(list tokens not None, log):
    """``_rules.pure_strategy``: the four strategy levels, or the routine-work form."""
    cdef list levels = []  # a level's line, its title's parts
    cdef bint routine = False
    cdef tuple tok
    cdef Py_ssize_t i
    for each in tokens:
        tok = _token(each)
        kind = tok[0]
        if kind is _STRATEGY:
            levels.append((tok, [(_group_at(tok, _TITLE_AT) or "").lstrip(_title_lead).rstrip(_title_tail).strip()]))
        elif kind is _ROUTINE:
            routine = True
        elif kind in _textlike and levels:
            levels[-1][1].append(tok[1].rstrip(_title_tail).strip())
        elif not (kind is _HEADING or kind is _BLANK):
            log.unrecognized(tok, "strategy block")
    cdef list built = []
    for i in range(len(levels)):
        tok = _token(levels[i][0])
        built.append(_StrategyLink(i + 1, _levels[_group_at(tok, _LEVEL_AT) or ""],
                                   _to_ascii_digits(_group_at(tok, _CODE_AT) or ""), " ".join(levels[i][1]), tok[2]))
    links = tuple(built)
    if routine and links:
        log.add(tokens[0], "warning", "mixed-strategy", "strategy block has both levels and routine-work lines")
    return links, routine
