# The lexer kernel of _ckernels (included by _ckernels.pyx): ``tokenize`` and the hand
# matchers it classifies lines with. _lexer is the reference and holds every fact used
# here: the rules, their buckets and order, the words of each pattern, the headings, the
# kinds, the Token; tests/test_compiled_lexer.py proves the two equal.
#
# Measured (``python benchmarks/bench_compiled.py --baseline OLD.so``, the build before
# this work as OLD; 2,000 synth reports of the page and export layouts, CPU µs a report,
# each build in its own processes; classify is tokenize less normalize_lines): classify
# 26.7 -> 11.7, tokenize 47.9 -> 23.9, a whole parse 224 -> 183; on the seed repeated
# (every line met before, which the memo used to answer) classify 8.9 -> 8.4. In three
# steps, each kept for what it paid (measured in one process, alternating the builds):
# * hand matchers for the frequent patterns, the regex for the rest: 38.5 -> 26.8. The
#   regex of a progress head alone cost ~1.4 µs a line in pure Python, 4.5 lines a report;
# * each Token made by its type's tp_alloc, not tuple.__new__(Token, (...)): 27.7 -> 19.8;
# * no memo of short lines (with the star lines, chrome and separator matched by hand):
#   22.5 -> 13.2. On 2,000 reports (37,000 distinct lines) the memo filled and emptied
#   every ~370 reports; hashing every line, storing ~22 new results a report and
#   dropping 8,192 at a time cost more than the matching it saved.

from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_SET_ITEM
from cpython.unicode cimport Py_UNICODE_ISDECIMAL, PyUnicode_READ, PyUnicode_Tailmatch

import re as _re

from ._lexer import _CODE, _HEADING_SET, _LONGEST_HEADING, _NUM, _RULES_BY_FIRST, _SUFFIX, Kind, Token



cdef dict _rules_by_first  # first character -> the _Rules that may match, in _lexer's order
cdef tuple _suffix_rules
cdef frozenset _headings = _HEADING_SET
cdef Py_ssize_t _longest_heading = _LONGEST_HEADING
cdef object _token = Token
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
    cdef object line = number  # (made first: nothing is allocated while the Token is empty)
    cdef object kind = look[0]
    cdef object text = look[1]
    cdef object groups = look[2]
    cdef object col = look[3]
    cdef object token = _alloc(_token, 5)
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
# A rule of _lexer is matched by hand when its pattern is exactly one of the shapes below,
# its words (<L0>, <L1>, <L2>) read from the pattern itself, _lexer's _NUM and _CODE in
# place of <NUM> and <CODE>, any group name in place of <G>; a word must be plain letters
# (``_is_word``), so it means itself. Any other pattern keeps its regex, so a pattern
# changed in _lexer falls back to its regex (and the tests, which list the kinds matched
# by hand, say so). Each matcher reads the line once, left to right, and gives the
# groups re.match gives, because in these shapes:
# * a greedy run (``\d+``, ``\*+``, ``-{3,}``, ``<NUM>``) is followed by what it cannot
#   take, so giving some back never lets the rest match: it takes all there is, and a
#   bounded one (``\d{1,2}``, ``\d{2,4}``) fails when there is more;
# * an optional space or character is followed by a word, a digit or an end it cannot
#   start, so taking it when it is there is the only way on;
# * a lazy group stops at the first place the rest matches: ``[^:]*?`` / ``[^)]*?`` at
#   the first ":" / ")" or the space before it, a last ``.*?`` at the end or the space
#   before it, and the name of a suffix shape at the line's last ":" (its tail holds
#   none) or the space before it;
# * ``<CODE>``'s lookbehind gives back the dots the run ends in.
# ``\d`` is re's on a str: a Unicode decimal digit (Py_UNICODE_ISDECIMAL, what _sre
# calls), Thai digits and every other script's. Every read is checked (``_at`` gives
# ``_END`` outside the line, which nothing matches), and no read goes back further than
# one character or the start of what it matched, so a line is read a bounded number of
# times: linear. The lines hold no "\n", the one character ``.`` refuses and the one
# ``$`` matches before.

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
