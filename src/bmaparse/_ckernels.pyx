# cython: language_level=3
"""Compiled kernels of the hot path; ``_normalize`` and ``_lexer`` are the references they must equal.

``normalize_lines(text)``: one pass over the code points of ``text`` replaces
the NFC quick check and the regex searches of ``_normalize.normalize_lines``
(see that module for the rules and for why a slip can be repaired in its
cluster alone). It sorts each line into one of three:

* nothing found: the line is returned as it is;
* only Thai slips found: the reference repairs their clusters
  (``_normalize._repair_clusters``), as its own ``normalize_lines`` does;
* anything else found: the reference ``normalize_line`` takes the whole line.

Why the output is identical to ``_normalize.normalize_lines(text)``, that is
``[normalize_line(line) for line in text.split("\\n")]``: the reference
changes a line only if ``needs_repair(line)``, and the pass sends to it every
line that may need it.

* The ``_NEEDS_REPAIR`` search: the pass finds a superset of what it matches.
  A zero-width character or whitespace other than a plain space (the same sets
  as ``_ZERO_WIDTH`` and ``_ODD_SPACE``); a plain space doubled, leading or
  trailing; nikhahit anywhere; every pair of Thai characters a slip begins
  with (a tone or ``ะาำ`` then a tone or vowel sign, two vowel signs, ``ำา``).
  Those are the pairs ``_normalize._SLIP_TRIGGERS`` match, taken at every
  position: the reference's non-overlapping matches skip a pair only when it
  overlaps one found, which is in the same cluster, so the clusters repaired
  are the reference's.
* The NFC quick check: a line made only of the code points ``_known_ccc``
  knows (ASCII and Latin up to U+02FF, the Thai block, general punctuation),
  each NFC on its own and never the second of a canonical composition (the
  tests check both for every code point), is NFC exactly when no nonzero
  combining class is lower than the one before it (the quick check of
  UAX #15). A line holding another code point, or out of order, goes whole.

Each character is looked at once, so the time is linear in the text; the lines
sent to the reference cost what they cost there (linear too). Bounds checks
stay on: the only indexing is ``lines[line]``, one item per ``"\\n"`` seen.

``tokenize(text, first_line)``: ``normalize_lines`` above, then every line
classified as ``_lexer.classify`` does, with the same steps in the same order
and ``_lexer``'s own tables: its compiled patterns bucketed by first character,
its suffix patterns, its headings, its kinds and its ``Token`` (no pattern is
written twice). What it saves is the Python around the patterns: a call per
line and per step, the memo's wrapper, the token's construction. The memo of
short lines is a dict emptied when full instead of an LRU cache: what it holds
is a function of the line alone, so how long it keeps it changes nothing.
Measured (``benchmarks/bench_compiled.py``, µs a report for classify): on
lines met before (the seed repeated: most come from the memo) 14 -> 9; on new
lines (2,000 synthetic reports, more distinct lines than the memo holds)
50 -> 48. There the patterns' own matching is the cost; a hand-written matcher
per frequent pattern is the next step, not taken yet (each must give the
regex's groups exactly, ``\\d`` taking every script's digits).

``without_surrogates(text)``: ``_normalize.without_surrogates``, which encodes
the whole text to UTF-8 to learn whether it holds a lone surrogate (the only
code points UTF-8 refuses). Here a str of one byte a code point cannot hold one
and is returned at once; any other is scanned for U+D800..U+DFFF, and only a
text that holds one goes to the reference. Measured (``benchmarks/bench_compiled.py``):
4.3 -> 1.1 µs a seed report. (The same for ``_parser.report_key`` was slower
than the reference: its time is UTF-8 encoding and blake2b, which C calls too.)

``record_init``: the ``__init__`` that ``install_record_inits`` gives the record
classes of ``model`` (``_compiled`` calls it once when it selects this module).
It binds the arguments as the dataclass's generated ``__init__`` does (by place,
by name, else the field's default), then stores each value with
``PyMember_SetOne`` through the slot's own member descriptor: what
``object.__setattr__``, which the generated one calls per field, ends in. A call
it does not bind plainly goes to the generated ``__init__``, kept in the plan,
so its errors are the generated one's. Bounds: at most ``_MAX_FIELDS`` values,
checked when the plan is made; each descriptor is checked to be a
``member_descriptor`` whose ``__objclass__`` is the class itself, and a plan is
used only when ``type(self) is`` the class it records (a dict lookup by
``type(self)`` alone would trust the key's ``__eq__``: a class equal to Report
got Report's slots written into it), as the descriptors demand. One difference
from the generated ``__init__``, which no call through a class's own instance
makes: ``Diagnostic.__init__(a_report, ...)`` re-initialises the Report as a
Report (the plan follows ``type(self)``) where the generated one raises.
Measured: the records of a synthetic report 13.9 -> 9.2 µs (8 µs of it is
Python's own cost of a call with keywords); the three small kernels together in
docs/performance.md ("What is compiled and why").

``to_ascii_digits(s)``: ``_values.pure_to_ascii_digits``, which searches ``s``
for a Thai digit with a regex and then maps every character through
``str.translate``'s dict. Here one pass notes which Thai digits ``s`` holds
(none in a str of one byte a code point) and ``str.replace`` swaps each of
those. About 23 calls a report; a compiled parse 4 µs (seed) to 8 µs
(synthetic) a report less.

Tried and left out: a pre-check that skips the prefix patterns a line cannot
match (the star lines split by the word after the stars, the digit patterns by
the run of digits a line starts with) gave the same classify time (23-24 µs a
synthetic report): a failing pattern fails within a few characters, and the
memo answers most lines before any is tried.
"""

from cpython.dict cimport PyDict_GetItem
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_SET_ITEM
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from cpython.object cimport PyObject
from cpython.unicode cimport (
    Py_UNICODE_ISDECIMAL, PyUnicode_1BYTE_KIND, PyUnicode_2BYTE_KIND, PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ,
    PyUnicode_Tailmatch,
)

import dataclasses as _dataclasses
import re as _re
from inspect import signature as _signature
from types import MemberDescriptorType as _MemberDescriptorType

from ._lexer import _CODE, _HEADING_SET, _LONGEST_HEADING, _NUM, _RULES_BY_FIRST, _SUFFIX, Kind, Token
from ._normalize import _normalize_cluster, normalize_line
from ._normalize import without_surrogates as _pure_without_surrogates


cdef inline bint _is_tone(Py_UCS4 c):
    return 0x0E48 <= c <= 0x0E4B


cdef inline bint _is_vowel_sign(Py_UCS4 c):
    return c == 0x0E31 or 0x0E34 <= c <= 0x0E3A or c == 0x0E47


cdef inline bint _is_follow(Py_UCS4 c):
    return c == 0x0E30 or c == 0x0E32 or c == 0x0E33


cdef inline bint _is_odd(Py_UCS4 c):
    """A zero-width character or whitespace other than " " (``_ZERO_WIDTH``, ``_ODD_SPACE``)."""
    if c < 0x100:
        return 0x09 <= c <= 0x0D or 0x1C <= c <= 0x1F or c == 0x85 or c == 0xA0 or c == 0xAD
    return (
        0x2000 <= c <= 0x200D or c == 0x2028 or c == 0x2029 or c == 0x202F
        or c == 0x205F or c == 0x2060 or c == 0x1680 or c == 0x3000 or c == 0xFEFF
    )


cdef inline int _known_ccc(Py_UCS4 c):
    """The canonical combining class of a code point this pass can judge, else -1."""
    if c < 0x300 or 0x2010 <= c <= 0x2027 or 0x2030 <= c <= 0x205E:
        return 0
    if 0x0E00 <= c <= 0x0E7F:
        if c == 0x0E38 or c == 0x0E39:
            return 103
        if c == 0x0E3A:
            return 9
        if _is_tone(c):
            return 107
        return 0
    return -1


cdef inline bint _is_slip_pair(Py_UCS4 prev, Py_UCS4 c):
    """Whether ``prev`` then ``c`` may begin a Thai typing slip."""
    if _is_tone(prev) or _is_follow(prev):
        if _is_tone(c) or _is_vowel_sign(c):
            return True
    if _is_vowel_sign(prev) and _is_vowel_sign(c):
        return True
    return prev == 0x0E33 and c == 0x0E32


def normalize_lines(str text not None):
    """``text`` split at ``"\\n"`` with every line normalised, as ``_normalize.normalize_lines``."""
    cdef list lines = text.split("\n")
    cdef Py_ssize_t n = len(text)
    cdef int kind = PyUnicode_KIND(text)
    if kind == PyUnicode_1BYTE_KIND:
        _scan(lines, <uint8_t*>PyUnicode_DATA(text), n)
    elif kind == PyUnicode_2BYTE_KIND:
        _scan(lines, <uint16_t*>PyUnicode_DATA(text), n)
    else:
        _scan(lines, <uint32_t*>PyUnicode_DATA(text), n)
    return lines


ctypedef fused _unit:  # a code unit of a str's storage, one per code point (PEP 393)
    uint8_t
    uint16_t
    uint32_t


cdef void _scan(list lines, _unit *data, Py_ssize_t n) except *:
    """Normalise the lines of ``lines`` that need it, given the text they were split
    from (``n`` code points at ``data``: ``j`` only ever runs over ``range(n)``)."""
    cdef list slips = []  # offsets of the current line's slips
    cdef Py_ssize_t line = 0
    cdef Py_ssize_t start = 0  # the offset of the current line in the text
    cdef Py_ssize_t j
    cdef Py_UCS4 c
    cdef Py_UCS4 prev = 0x0A  # "\n": at the start of a line
    cdef int ccc
    cdef int last_ccc = 0
    cdef bint whole = False  # the line goes through normalize_line
    for j in range(n):
        c = data[j]
        if c == 0x0A:
            _repair(lines, line, whole or prev == 0x20, slips)  # (a trailing space)
            line += 1
            start = j + 1
            whole = False
            last_ccc = 0
        elif whole:
            pass
        elif 0x21 <= c <= 0x7E or 0x0E01 <= c <= 0x0E2E:  # (most of a text) ASCII graphic, Thai
            last_ccc = 0  # consonant: a starter, NFC alone, neither odd nor the second of a slip
        elif c == 0x20:
            whole = prev == 0x20 or prev == 0x0A  # doubled or leading
            last_ccc = 0
        else:
            ccc = _known_ccc(c)
            if ccc < 0 or _is_odd(c) or (ccc != 0 and last_ccc > ccc):  # (not NFC)
                whole = True
            elif c == 0x0E4D:
                slips.append(j - start)
            elif _is_slip_pair(prev, c):
                slips.append(j - start - 1)
            last_ccc = ccc
        prev = c
    _repair(lines, line, whole or prev == 0x20, slips)


cdef inline void _repair(list lines, Py_ssize_t line, bint whole, list slips) except *:
    """Normalise ``lines[line]``: the whole line, or the clusters at ``slips``; clear ``slips``."""
    if whole:
        lines[line] = normalize_line(lines[line])
    elif slips:
        lines[line] = _repair_clusters(lines[line], slips)
    if slips:
        slips.clear()


cdef inline bint _is_cluster_edge(Py_UCS4 c):
    """A Thai consonant or a plain space: ``_normalize``'s cluster bounds."""
    return 0x0E01 <= c <= 0x0E2E or c == 0x20


cdef str _repair_clusters(str line, list slips):
    """``_normalize._repair_clusters(line, slips)`` for ``slips`` in ascending order (as the
    scan finds them): the same clusters, found by scanning the code points where the
    reference searches with a regex each way, each normalised by the reference's
    ``_normalize_cluster``. The scans of two clusters never overlap: linear."""
    cdef list parts = []
    cdef Py_ssize_t n = len(line)
    cdef Py_ssize_t done = 0
    cdef Py_ssize_t offset, start, end
    for slip in slips:
        offset = slip
        if offset < done:  # in the cluster just repaired
            continue
        start = offset  # back to the last edge at or before the slip, not before done
        while start >= done and not _is_cluster_edge(line[start]):
            start -= 1
        if start < done:
            start = done
        elif line[start] == u" ":
            start += 1
        end = offset + 1  # on to the first edge after it
        while end < n and not _is_cluster_edge(line[end]):
            end += 1
        parts.append(line[done:start])
        parts.append(_normalize_cluster(line[start:end]))
        done = end
    parts.append(line[done:])
    return "".join(parts)


def known_combining_class(Py_UCS4 code_point):
    """The combining class the pass assumes for ``code_point``, -1 if it does not judge it
    (for the tests, which check every code point against ``unicodedata``)."""
    return _known_ccc(code_point)


# --- tokenize: normalise, then classify every line ---------------------------------------


cdef dict _rules_by_first  # first character -> the _Rules that may match, in _lexer's order
cdef tuple _suffix_rules
cdef frozenset _headings = _HEADING_SET
cdef Py_ssize_t _longest_heading = _LONGEST_HEADING
cdef object _token = Token
cdef object _tuple_new = tuple.__new__
cdef str _BLANK = Kind.BLANK
cdef str _TEXT = Kind.TEXT
cdef str _HEADING = Kind.HEADING
cdef str _STRATEGY = Kind.STRATEGY


def tokenize(str text not None, Py_ssize_t first_line=1):
    """``_lexer.pure_tokenize(text, first_line)``: every line normalised and classified."""
    cdef list tokens = []
    cdef Py_ssize_t number = first_line
    cdef str line
    cdef tuple look
    for line in normalize_lines(text):
        look = _look(line)
        tokens.append(_new_token(look, number))
        number += 1
    return tokens


cdef extern from *:
    """
    static PyObject *bmaparse_alloc(PyObject *type, Py_ssize_t items) {
        return ((PyTypeObject *)type)->tp_alloc((PyTypeObject *)type, items);
    }
    """
    object _alloc "bmaparse_alloc" (object type, Py_ssize_t items)


if not (Token.__mro__[1] is tuple and Token.__basicsize__ == tuple.__basicsize__
        and Token.__itemsize__ == tuple.__itemsize__ and len(Token._fields) == 5):
    raise ImportError("_lexer.Token is no longer a plain named tuple of five: _new_token cannot build it")


cdef inline object _new_token(tuple look, Py_ssize_t number):
    """``Token(kind, text, number, groups, col)`` from ``look`` (kind, text, groups, col), built
    as ``tuple.__new__(Token, ...)`` builds it (the type's ``tp_alloc``, then the items)
    without its intermediate tuple and call: a named tuple of five with no fields of its
    own (checked at import)."""
    cdef object token = _alloc(_token, 5)
    cdef object kind = look[0]
    cdef object text = look[1]
    cdef object line = number
    cdef object groups = look[2]
    cdef object col = look[3]
    Py_INCREF(kind)
    PyTuple_SET_ITEM(token, 0, kind)
    Py_INCREF(text)
    PyTuple_SET_ITEM(token, 1, text)
    Py_INCREF(line)
    PyTuple_SET_ITEM(token, 2, line)
    Py_INCREF(groups)
    PyTuple_SET_ITEM(token, 3, groups)
    Py_INCREF(col)
    PyTuple_SET_ITEM(token, 4, col)
    return token


def look(str line not None):
    """``_lexer._look(line)`` (kind, text as kept, groups, column) for a line without
    ``"\\n"`` (the lines ``tokenize`` classifies; for the tests)."""
    if u"\n" in line:
        raise ValueError("a line holds no '\\n'")
    return _look(line)


cdef tuple _look(str text):
    """``_lexer._look``: kind, text as kept, the pattern's groups, column."""
    cdef Py_ssize_t n = len(text)
    cdef Py_UCS4 last
    cdef str stripped, bare
    cdef tuple match
    if n == 0:
        return (_BLANK, text, (), 1)
    if text[0] == u":" and n > 1:  # some pages prefix strategy levels with ":"
        stripped = text[1:].lstrip()
        match = _match_prefix(stripped)
        if match is not None and match[0] is _STRATEGY:
            return (_STRATEGY, text, match[1], 1 + n - len(stripped))
    if n <= _longest_heading:
        bare = text.rstrip(u"ฯ")
        if bare in _headings:
            return (_HEADING, bare, (), 1)
    match = _match_prefix(text)
    if match is None:
        last = text[n - 1]
        if last == u")" or last.isdigit():
            match = _match_suffix(text)
    if match is None:
        return (_TEXT, text, (), 1)
    return (match[0], text, match[1], 1)


cdef tuple _match_prefix(str text):
    """The first of ``text``'s bucket of rules that matches: (kind, groups), else None."""
    cdef _Rule rule
    cdef object groups
    for rule in _rules_by_first.get(text[0], ()):
        groups = rule.match(text)
        if groups is not None:
            return (rule.kind, groups)
    return None


cdef tuple _match_suffix(str text):
    cdef _Rule rule
    cdef object groups
    if u":" not in text:
        return None
    for rule in _suffix_rules:
        groups = rule.match(text)
        if groups is not None:
            return (rule.kind, groups)
    return None


# --- the hand matchers --------------------------------------------------------------------
#
# A rule of _lexer is matched by hand when its pattern is one of the shapes below, with
# its literal words (<L0>, <L1>) read from the pattern itself and _lexer's _NUM and _CODE
# in place of <NUM> and <CODE>; any other pattern keeps its regex. Each shape is matched
# in one pass, left to right, and gives the groups re.match gives: every quantifier in
# these shapes either takes all it can or is followed by something it cannot take, so
# the first way the regex finds is the greedy one, but for the three noted below.
# ``\d`` is re's: a Unicode decimal digit (Py_UNICODE_ISDECIMAL, what _sre calls), so
# Thai digits and every other script's. Every read is bounds-checked (_at gives _END
# past the end, which nothing matches); the lines hold no "\n", the one character
# ``.`` refuses.

cdef enum _Shape:
    _REGEX
    _WORD  # <L0> ?$
    _PERCENT
    _PROGRESS
    _UNIT_VALUE
    _COLON_REST
    _OPT_COLON_REST
    _LEVEL_DIGITS
    _LEVEL_CODE
    _UNIT_CODES
    _ENTRY
    _SCORE_PAIR
    _NUMBER
    _NAME_ID
    _KPI_ID
    _AGENCY_FY
    _WORD_COLON_WORD
    _STARS_REST
    _STARS_EVAL
    _STARS_ROUTINE
    _STARS_SECTION
    _SEPARATOR

_SHAPES = (
    (_WORD, r"<L0> ?$"),
    (_PERCENT, r"<L0> ?<L1> ?(?P<percent><NUM>)? ?$"),
    (_PROGRESS, r"\((?P<seq>\d+)\) ?<L0>ฯ? ?<L1> ?(?P<percent><NUM>)? ?(?:\( ?(?P<date>[^)]*?) ?\))? ?$"),
    (_UNIT_VALUE, r"<L0> ?(?P<unit>[^:]*?) ?: ?(?P<value>.*)$"),
    (_COLON_REST, r"<L0> ?: ?(?P<G>.*)$"),
    (_OPT_COLON_REST, r"<L0> ?:? ?(?P<G>.*)$"),
    (_LEVEL_DIGITS, r"(?P<level><L0>) ?(?P<code>\d+) ?(?P<title>.*)$"),
    (_LEVEL_CODE, r"(?P<level><L0>) ?(?P<code><CODE>) ?(?P<title>.*)$"),
    (_UNIT_CODES, r"(?P<unit_code_1>\d{8}) ?/ ?(?P<unit_code_2>\d{8}) ?$"),
    (_ENTRY, r"(?P<date>\d{1,2}/\d{1,2}/\d{2,4}) ?: ?(?P<text>.*)$"),
    (_SCORE_PAIR, r"(?P<subscore_a><NUM>) ?/ ?(?P<subscore_b><NUM>) ?$"),
    (_NUMBER, r"(?P<number><NUM>) ?%? ?$"),
    (_NAME_ID, r"(?P<project_name>.*?) ?: ?(?P<project_id>\d{8}-\d+) ?$"),
    (_KPI_ID, r"(?P<name>.*?) ?: ?(?P<kpi_id>\d{4}-\d{3,}) ?$"),
    (_AGENCY_FY, r"(?P<agency>.*?) ?: ?\( ?(?P<year>\d{4}) ?\) ?$"),
    (_WORD_COLON_WORD, r"<L0>ฯ? ?: ?<L1> ?$"),
    (_STARS_REST, r"\*+ ?<L0> ?:? ?(?P<G>.*)$"),
    (_STARS_EVAL, r"\*+ ?<L0>\.? ?<L1> ?:? ?<L2> ?(?P<quarter>\d+) ?:? ?(?P<score>.*?) ?$"),
    (_STARS_ROUTINE, r"\*+ ?<L0>[ *%|]*$"),
    (_STARS_SECTION, r"\*+ ?<L0> ?\(<L1>\) ?\** ?$"),
    (_SEPARATOR, r"-{3,} ?&&& ?-{3,} ?$"),
)
"""(shape, the regex it is, as _lexer writes it): what each hand matcher stands for."""


def _shape_reader(str template):
    """A regex that reads a pattern of ``template``'s shape: its words as groups L0, L1."""
    escaped = _re.escape(template.replace("<NUM>", _NUM).replace("<CODE>", _CODE))
    for word in ("L0", "L1", "L2"):
        escaped = escaped.replace(f"<{word}>", f"(?P<{word}>.+?)")
    return _re.compile(escaped.replace("<G>", "<[a-z_0-9]+>"))


cdef list _READERS = [(shape, _shape_reader(template)) for shape, template in _SHAPES]


cdef bint _is_word(str word):
    """A literal word a hand matcher may compare: Thai letters and marks, ASCII letters,
    "/" and single spaces inside (no regex syntax, no digit, no ``ฯ``, no end space)."""
    cdef Py_UCS4 c
    cdef Py_UCS4 prev = 0x20
    if not word or word[len(word) - 1] == u" ":
        return False
    for c in word:
        if not ((0x0E01 <= c <= 0x0E4E and c != 0x0E2F and c != 0x0E3F) or (u"a" <= c <= u"z") or (u"A" <= c <= u"Z")
                or c == u"/" or (c == u" " and prev != 0x20)):
            return False
        prev = c
    return True


cdef class _Rule:
    """One rule of _lexer: its kind, its compiled pattern, and the hand matcher of its
    shape with the words it compares (``_REGEX``: the pattern decides)."""

    cdef readonly str kind
    cdef readonly object pattern
    cdef int shape
    cdef str w0
    cdef str w1
    cdef str w2

    def __init__(self, str kind, pattern):
        self.kind = kind
        self.pattern = pattern
        self.shape = _REGEX
        for shape, reader in _READERS:
            read = reader.fullmatch(pattern.pattern)
            if read is not None and all(_is_word(word) for word in read.groups()):
                self.shape = shape
                words = read.groupdict()
                self.w0 = words.get("L0")
                self.w1 = words.get("L1")
                self.w2 = words.get("L2")
                break

    cdef object match(self, str text):
        """The groups ``self.pattern.match(text)`` gives, None where it does not match."""
        cdef object found
        if self.shape == _REGEX:
            found = self.pattern.match(text)
            return None if found is None else found.groups()
        return _hand_match(self, text)


_rules_by_first = {first: tuple(_Rule(kind, pattern) for kind, pattern in rules)
                   for first, rules in _RULES_BY_FIRST.items()}
_suffix_rules = tuple(_Rule(kind, pattern) for kind, pattern in _SUFFIX)


def hand_matched_rules():
    """(kind, pattern source, shape number) of every rule a hand matcher takes (for the tests)."""
    rules = {}
    for rule in (*[r for bucket in _rules_by_first.values() for r in bucket], *_suffix_rules):
        if (<_Rule>rule).shape != _REGEX:
            rules[rule.pattern.pattern] = (rule.kind, rule.pattern.pattern, (<_Rule>rule).shape)
    return tuple(rules.values())


def hand_match(str source not None, str line not None):
    """What the hand matcher of the rule whose pattern is ``source`` gives for ``line``
    (the groups, or None), to compare with ``re.match`` (for the tests)."""
    if u"\n" in line:
        raise ValueError("a line holds no '\\n'")
    for kind, pattern in (*[r for bucket in _RULES_BY_FIRST.values() for r in bucket], *_SUFFIX):
        if pattern.pattern == source:
            rule = _Rule(kind, pattern)
            if (<_Rule>rule).shape == _REGEX:
                break
            return _hand_match(rule, line)
    raise LookupError("no hand matcher takes this pattern")


cdef extern from "Python.h":
    Py_ssize_t PyUnicode_FindChar(object text, Py_UCS4 ch, Py_ssize_t start, Py_ssize_t end,
                                  int direction) except -2


cdef Py_UCS4 _END = 0x110000  # past the line: no code point, matches nothing

cdef struct _Text:
    int kind
    void *data
    Py_ssize_t n


cdef inline Py_UCS4 _at(_Text *t, Py_ssize_t i):
    """The code point at ``i``, or ``_END`` outside the line (every read is checked)."""
    if 0 <= i < t.n:
        return PyUnicode_READ(t.kind, t.data, i)
    return _END


cdef inline bint _is_digit(Py_UCS4 c):
    """re's ``\\d`` on a str: a Unicode decimal digit."""
    if c < 0x80:
        return 0x30 <= c <= 0x39
    if 0x0E50 <= c <= 0x0E59:
        return True
    return c != _END and Py_UNICODE_ISDECIMAL(c)


cdef inline Py_ssize_t _digits(_Text *t, Py_ssize_t i):
    """The end of the run of digits at ``i``."""
    while _is_digit(_at(t, i)):
        i += 1
    return i


cdef inline Py_ssize_t _space(_Text *t, Py_ssize_t i):
    """`` ?``: past one space at ``i``, if there is one."""
    return i + 1 if _at(t, i) == 0x20 else i


cdef inline Py_ssize_t _digits_exactly(_Text *t, Py_ssize_t i, Py_ssize_t count):
    """``\\d{count}`` at ``i``: its end, or -1."""
    cdef Py_ssize_t end = i + count
    while i < end:
        if not _is_digit(_at(t, i)):
            return -1
        i += 1
    return end


cdef inline Py_ssize_t _num(_Text *t, Py_ssize_t i):
    """``_lexer._NUM`` (``\\d[\\d,]*(?:\\.\\d+)?``) at ``i``, greedy: its end, or -1."""
    cdef Py_UCS4 c
    if not _is_digit(_at(t, i)):
        return -1
    i += 1
    c = _at(t, i)
    while c == 0x2C or _is_digit(c):
        i += 1
        c = _at(t, i)
    if c == 0x2E and _is_digit(_at(t, i + 1)):
        i = _digits(t, i + 2)
    return i


cdef inline Py_ssize_t _word(str text, _Text *t, Py_ssize_t i, str word):
    """The end of ``word`` at ``i``, or -1."""
    if i >= 0 and PyUnicode_Tailmatch(text, word, i, t.n, -1):
        return i + len(word)
    return -1


cdef inline Py_ssize_t _char(_Text *t, Py_ssize_t i, Py_UCS4 c):
    """Past ``c`` at ``i``, or -1."""
    return i + 1 if i >= 0 and _at(t, i) == c else -1


cdef object _hand_match(_Rule rule, str text):
    """The groups ``rule.pattern.match(text)`` gives, None where it does not match."""
    cdef _Text t
    cdef Py_ssize_t i, j, start, end
    cdef int count
    cdef int shape = rule.shape
    cdef object first = None
    cdef object second = None
    cdef object percent
    t.kind = PyUnicode_KIND(text)
    t.data = PyUnicode_DATA(text)
    t.n = len(text)
    if shape >= _WORD_COLON_WORD:
        return _hand_match_more(rule, text, &t)
    if shape == _WORD:  # <L0> ?$
        i = _word(text, &t, 0, rule.w0)
        return () if i >= 0 and _space(&t, i) == t.n else None
    if shape == _PERCENT or shape == _PROGRESS:
        second = None  # the date
        if shape == _PROGRESS:  # \((?P<seq>\d+)\) ?<L0>ฯ? ?
            j = _digits(&t, 1)
            if _at(&t, 0) != 0x28 or j == 1 or _at(&t, j) != 0x29:
                return None
            first = text[1:j]
            i = _word(text, &t, _space(&t, j + 1), rule.w0)
            if i >= 0 and _at(&t, i) == 0x0E2F:
                i += 1
        else:
            i = _word(text, &t, 0, rule.w0)
        if i < 0:
            return None
        i = _word(text, &t, _space(&t, i), rule.w1)  # ?<L1> ?(?P<percent><NUM>)? ?
        if i < 0:
            return None
        i = _space(&t, i)
        j = _num(&t, i)
        percent = None
        if j >= 0:
            percent = text[i:j]
            i = j
        i = _space(&t, i)
        if shape == _PROGRESS and _at(&t, i) == 0x28:  # (?:\( ?(?P<date>[^)]*?) ?\))?
            start = _space(&t, i + 1)
            end = PyUnicode_FindChar(text, 0x29, start, t.n, 1)
            if end < 0:
                return None
            # [^)]*? stops at the first ")", or at a space before it
            second = text[start:end - 1] if end - 1 >= start and _at(&t, end - 1) == 0x20 else text[start:end]
            i = end + 1
        if _space(&t, i) != t.n:  # ?$
            return None
        return (first, percent, second) if shape == _PROGRESS else (percent,)
    if shape == _UNIT_VALUE:  # <L0> ?(?P<unit>[^:]*?) ?: ?(?P<value>.*)$
        i = _word(text, &t, 0, rule.w0)
        if i < 0:
            return None
        start = _space(&t, i)
        end = PyUnicode_FindChar(text, 0x3A, start, t.n, 1)
        if end < 0:  # (the space not taken: no ":" either)
            return None
        # the lazy unit stops at the first ":", or at a space before it
        first = text[start:end - 1] if end - 1 >= start and _at(&t, end - 1) == 0x20 else text[start:end]
        return (first, text[_space(&t, end + 1):])
    if shape == _COLON_REST or shape == _OPT_COLON_REST:  # <L0> ?:? ?(?P<G>.*)$
        i = _space(&t, _word(text, &t, 0, rule.w0))
        if _at(&t, i) == 0x3A:
            i += 1
        elif shape == _COLON_REST:
            return None
        return (text[_space(&t, i):],) if i >= 0 else None
    if shape == _LEVEL_DIGITS or shape == _LEVEL_CODE:  # (?P<level><L0>) ?(?P<code>...) ?(?P<title>.*)$
        i = _word(text, &t, 0, rule.w0)
        if i < 0:
            return None
        first = text[:i]
        start = _space(&t, i)
        if not _is_digit(_at(&t, start)):
            return None
        if shape == _LEVEL_DIGITS:  # \d+
            end = _digits(&t, start)
        else:  # _CODE, \d[\d.]*(?<!\.): the run of digits and dots, less the dots it ends in
            end = start + 1
            while _at(&t, end) == 0x2E or _is_digit(_at(&t, end)):
                end += 1
            while _at(&t, end - 1) == 0x2E:
                end -= 1
        return (first, text[start:end], text[_space(&t, end):])
    if shape == _UNIT_CODES:  # (?P<unit_code_1>\d{8}) ?/ ?(?P<unit_code_2>\d{8}) ?$
        i = _digits_exactly(&t, 0, 8)
        i = _char(&t, _space(&t, i), 0x2F) if i >= 0 else -1
        if i < 0:
            return None
        start = _space(&t, i)
        end = _digits_exactly(&t, start, 8)
        return (text[:8], text[start:end]) if end >= 0 and _space(&t, end) == t.n else None
    if shape == _ENTRY:  # (?P<date>\d{1,2}/\d{1,2}/\d{2,4}) ?: ?(?P<text>.*)$
        i = 0
        for count in range(3):  # each run takes every digit there is, then must fit
            j = _digits(&t, i)
            if not (1 <= j - i <= 2 if count < 2 else 2 <= j - i <= 4):
                return None
            i = _char(&t, j, 0x2F) if count < 2 else j
            if i < 0:
                return None
        i = _char(&t, _space(&t, j), 0x3A)
        return (text[:j], text[_space(&t, i):]) if i >= 0 else None
    if shape == _SCORE_PAIR or shape == _NUMBER:
        end = _num(&t, 0)
        if end < 0:
            return None
        i = _space(&t, end)
        if shape == _NUMBER:  # (?P<number><NUM>) ?%? ?$
            if _at(&t, i) == 0x25:
                i += 1
            return (text[:end],) if _space(&t, i) == t.n else None
        i = _char(&t, i, 0x2F)  # (?P<subscore_a><NUM>) ?/ ?(?P<subscore_b><NUM>) ?$
        if i < 0:
            return None
        start = _space(&t, i)
        j = _num(&t, start)
        return (text[:end], text[start:j]) if j >= 0 and _space(&t, j) == t.n else None
    # the suffix shapes, (?P<name>.*?) ?: ?<tail> ?$: the tail holds no ":", so its ":"
    # is the line's last; the lazy name stops at it, or at a space before it
    end = PyUnicode_FindChar(text, 0x3A, 0, t.n, -1)
    if end < 0:
        return None
    first = text[:end - 1] if end >= 1 and _at(&t, end - 1) == 0x20 else text[:end]
    start = _space(&t, end + 1)
    if shape == _AGENCY_FY:  # \( ?(?P<year>\d{4}) ?\)
        i = _char(&t, start, 0x28)
        start = _space(&t, i) if i >= 0 else -1
        j = _digits_exactly(&t, start, 4) if start >= 0 else -1
        i = _char(&t, _space(&t, j), 0x29) if j >= 0 else -1
    else:  # \d{8}-\d+ or \d{4}-\d{3,}
        i = _digits_exactly(&t, start, 8 if shape == _NAME_ID else 4)
        i = _char(&t, i, 0x2D) if i >= 0 else -1
        j = _digits(&t, i) if i >= 0 else -1
        if i < 0 or j - i < (1 if shape == _NAME_ID else 3):
            return None
        i = j
    if i < 0 or _space(&t, i) != t.n:
        return None
    return (first, text[j - 4:j] if shape == _AGENCY_FY else text[start:j])


# --- without_surrogates --------------------------------------------------------------------


def without_surrogates(str text not None):
    """``_normalize.without_surrogates(text)``: ``text`` itself when it holds no lone surrogate."""
    cdef Py_UCS4 c
    if PyUnicode_KIND(text) == 1:  # Latin-1: no code point above U+00FF
        return text
    for c in text:
        if 0xD800 <= c <= 0xDFFF:
            return _pure_without_surrogates(text)
    return text


# --- the records' __init__ --------------------------------------------------------------


cdef extern from "Python.h":
    ctypedef struct PyMemberDef:
        pass
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member
    int PyMember_SetOne(char *addr, PyMemberDef *member, object value) except -1


cdef object _REQUIRED = object()
DEF _MAX_FIELDS = 64  # the most fields a record_init takes (Report has 46)
cdef dict _init_plans = {}  # record class -> _InitPlan


cdef class _InitPlan:
    """A frozen slotted dataclass's ``__init__`` as data: its fields in order, their
    defaults (``_REQUIRED`` where none), their slots' member descriptors, and the
    generated ``__init__`` (which binds any call this one does not)."""

    cdef tuple names
    cdef tuple defaults
    cdef tuple slots
    cdef Py_ssize_t n
    cdef object original
    cdef object cls

    def __init__(self, object cls, tuple names, tuple defaults, tuple slots, object original):
        self.cls = cls
        self.names = names
        self.defaults = defaults
        self.slots = slots
        self.n = len(names)
        self.original = original


def record_init(self, *args, **kwargs):
    """The generated ``__init__`` of the record classes ``install_record_inits`` took:
    binds the arguments as it does, then stores each field in its slot (the
    generated one calls ``object.__setattr__`` per field, which stores it there
    too). Any call it does not bind plainly (too many arguments, a missing or
    unknown name, a name given twice) goes to the generated one, errors and all."""
    cdef _InitPlan plan = _init_plans.get(type(self))
    cdef Py_ssize_t nargs = len(args)
    cdef Py_ssize_t used = 0
    cdef Py_ssize_t i
    cdef PyObject *value
    cdef PyObject *values[_MAX_FIELDS]  # borrowed: args, kwargs and the plan hold them
    if plan is None or plan.cls is not type(self):  # a dict lookup calls the key's __eq__:
        return _original_init(type(self))(self, *args, **kwargs)  # never trust it for slots
    if nargs > plan.n:
        return plan.original(self, *args, **kwargs)
    for i in range(plan.n):
        value = PyDict_GetItem(kwargs, plan.names[i]) if kwargs else NULL
        if value is not NULL:
            if i < nargs:  # given twice
                return plan.original(self, *args, **kwargs)
            used += 1
        elif i < nargs:
            value = <PyObject*>args[i]
        else:
            value = <PyObject*>plan.defaults[i]
            if value is <PyObject*>_REQUIRED:
                return plan.original(self, *args, **kwargs)
        values[i] = value
    if kwargs and used != len(kwargs):  # a name that is no field
        return plan.original(self, *args, **kwargs)
    for i in range(plan.n):
        PyMember_SetOne(<char*><PyObject*>self, (<PyMemberDescrObject*><PyObject*>plan.slots[i]).d_member,
                        <object>values[i])


def generated_init(type cls):
    """The generated ``__init__`` a record class had before ``install_record_inits`` (for the tests)."""
    return _original_init(cls)


cdef object _original_init(type cls):
    """The generated ``__init__`` of the nearest record class ``cls`` inherits from."""
    cdef _InitPlan plan
    for base in cls.__mro__:
        plan = _init_plans.get(base)
        if plan is not None:
            return plan.original
    raise TypeError(f"{cls.__name__} is not a record class")


def install_record_inits(classes):
    """Give each class of ``classes`` that is a frozen slotted dataclass with a plain
    generated ``__init__`` (every field an argument in order, defaults without
    factories, no ``__post_init__``) ``record_init`` instead; the others are left as
    they are. Returns the classes taken. ``inspect.signature`` keeps showing the
    generated signature."""
    taken = []
    for cls in classes:
        if cls in _init_plans:
            taken.append(cls)
            continue
        plan = _plan_of(cls)
        if plan is not None:
            cls.__signature__ = _signature(cls)
            _init_plans[cls] = plan
            cls.__init__ = record_init
            taken.append(cls)
    return tuple(taken)


def remove_record_inits(classes):
    """Give each class of ``classes`` that ``install_record_inits`` took its generated
    ``__init__`` back (for the benchmarks and tests that compare the two in one run)."""
    for cls in classes:
        plan = _init_plans.pop(cls, None)
        if plan is not None:
            cls.__init__ = (<_InitPlan>plan).original
            del cls.__signature__


def _plan_of(cls):
    if not (isinstance(cls, type) and _dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
            and "__slots__" in cls.__dict__ and not hasattr(cls, "__post_init__")):
        return None
    original = cls.__dict__.get("__init__")
    fields = _dataclasses.fields(cls)
    if original is None or len(fields) != len(cls.__dataclass_fields__) or len(fields) > _MAX_FIELDS:
        return None
    defaults = []
    slots = []
    for f in fields:
        slot = cls.__dict__.get(f.name)
        if (not f.init or f.kw_only or f.default_factory is not _dataclasses.MISSING
                or type(slot) is not _MemberDescriptorType or slot.__objclass__ is not cls):
            return None
        defaults.append(_REQUIRED if f.default is _dataclasses.MISSING else f.default)
        slots.append(slot)
    return _InitPlan(cls, tuple(f.name for f in fields), tuple(defaults), tuple(slots), original)


# --- to_ascii_digits ----------------------------------------------------------------------


cdef tuple _THAI_DIGIT_STRS = tuple(chr(0x0E50 + i) for i in range(10))
cdef tuple _ASCII_DIGIT_STRS = tuple(chr(0x30 + i) for i in range(10))


def to_ascii_digits(str s not None):
    """``_values.pure_to_ascii_digits(s)``: ``s`` itself when it holds no Thai digit,
    else ``s`` with each Thai digit ๐-๙ replaced by its ASCII digit."""
    cdef Py_UCS4 c
    cdef int seen = 0  # bit d: the Thai digit d is in s
    cdef int d
    cdef str out = s
    if PyUnicode_KIND(s) == 1:  # Latin-1: no Thai code point
        return s
    for c in s:
        if 0x0E50 <= c <= 0x0E59:
            seen |= 1 << (<int>c - 0x0E50)
    for d in range(10):
        if seen & (1 << d):
            out = out.replace(_THAI_DIGIT_STRS[d], _ASCII_DIGIT_STRS[d])
    return out


cdef inline Py_ssize_t _run(_Text *t, Py_ssize_t i, Py_UCS4 c):
    """The end of the run of ``c`` at ``i`` (``i`` itself if there is none; -1 stays -1)."""
    if i < 0:
        return -1
    while _at(t, i) == c:
        i += 1
    return i


cdef object _hand_match_more(_Rule rule, str text, _Text *t):
    """``_hand_match`` of the shapes of chrome, star lines and the separator."""
    cdef int shape = rule.shape
    cdef Py_ssize_t i, j
    if shape == _SEPARATOR:  # -{3,} ?&&& ?-{3,} ?$
        i = _run(t, 0, 0x2D)
        if i < 3:
            return None
        i = _space(t, i)
        j = _run(t, i, 0x26)
        if j - i != 3:
            return None
        i = _space(t, j)
        j = _run(t, i, 0x2D)
        return () if j - i >= 3 and _space(t, j) == t.n else None
    if shape == _WORD_COLON_WORD:  # <L0>ฯ? ?: ?<L1> ?$
        i = _word(text, t, 0, rule.w0)
        if i >= 0 and _at(t, i) == 0x0E2F:
            i += 1
        i = _char(t, _space(t, i), 0x3A)
        i = _word(text, t, _space(t, i), rule.w1)
        return () if i >= 0 and _space(t, i) == t.n else None
    i = _run(t, 0, 0x2A)  # \*+ ?<L0>
    if i < 1:
        return None
    i = _word(text, t, _space(t, i), rule.w0)
    if i < 0:
        return None
    if shape == _STARS_REST:  # ?:? ?(?P<G>.*)$
        i = _space(t, i)
        if _at(t, i) == 0x3A:
            i += 1
        return (text[_space(t, i):],)
    if shape == _STARS_ROUTINE:  # [ *%|]*$
        while _at(t, i) in (0x20, 0x2A, 0x25, 0x7C):
            i += 1
        return () if i == t.n else None
    if shape == _STARS_SECTION:  # ?\(<L1>\) ?\** ?$
        i = _char(t, _space(t, i), 0x28)
        i = _char(t, _word(text, t, i, rule.w1), 0x29)
        return () if i >= 0 and _space(t, _run(t, _space(t, i), 0x2A)) == t.n else None
    # _STARS_EVAL: \.? ?<L1> ?:? ?<L2> ?(?P<quarter>\d+) ?:? ?(?P<score>.*?) ?$
    if _at(t, i) == 0x2E:
        i += 1
    i = _space(t, _word(text, t, _space(t, i), rule.w1))
    if _at(t, i) == 0x3A:
        i += 1
    i = _space(t, _word(text, t, _space(t, i), rule.w2))
    j = _digits(t, i) if i >= 0 else -1
    if j <= i:
        return None
    quarter = text[i:j]
    i = _space(t, j)
    if _at(t, i) == 0x3A:
        i += 1
    i = _space(t, i)
    # the lazy score stops at the end, or at a space before it
    return (quarter, text[i:t.n - 1] if t.n - 1 >= i and _at(t, t.n - 1) == 0x20 else text[i:])
