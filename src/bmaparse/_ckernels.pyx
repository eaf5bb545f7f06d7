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

The pass reads the str's own storage (a fused function per PEP 393 width, so
no per-character dispatch on the width), the index running over
``range(len(text))``; an ASCII graphic or a Thai consonant (most of a text)
takes one test. The clusters of a line with slips are found as
``_normalize._repair_clusters`` finds them (back to the last Thai consonant or
space at or before the slip, on to the first after it) by scanning the line,
and each is normalised by the reference's ``_normalize_cluster``. Each
character is looked at a bounded number of times, so the time is linear in the
text; the lines sent to the reference cost what they cost there (linear too).
Bounds checks stay on but for the storage reads of the pass, whose index is
below the length by the loop's own bound. Measured
(``benchmarks/bench_compiled.py --baseline OLD.so``, 2,000 synth reports of the
page and export layouts): 21.0 -> 12.1 µs a report (the seed: 15.7 -> 9.4). The
slips' clusters were ~7 µs of it (about 2.4 lines a report went to the regex
searches of ``_repair_clusters``), Cython's generic iteration over a str most of
the rest; the split at "\\n" is ~3 µs of what is left.

``tokenize(text, first_line)``: ``normalize_lines`` above, then every line
classified as ``_lexer.classify`` does, in ``_clexer.pxi`` (included here): the
same steps in the same order over ``_lexer``'s own rules, each rule matched by
a hand-written matcher when its pattern is one of the shapes that file lists
(most are: every rule of the page and export layouts) and by its regex
otherwise. See that file for the shapes and why each gives the regex's groups.
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
match (the regex era: a failing pattern fails within a few characters); for the
lexer, the buckets of ASCII and Thai first characters in an array indexed by
code point instead of a dict keyed by the character (tokenize 24.7 -> 24.2 µs,
within the noise), and a pre-check of a heading's first character (12.7 against
13.2, the same).
"""

from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_1BYTE_KIND, PyUnicode_2BYTE_KIND, PyUnicode_DATA, PyUnicode_KIND
from libc.stdint cimport uint8_t, uint16_t, uint32_t

import dataclasses as _dataclasses
from inspect import signature as _signature
from types import MemberDescriptorType as _MemberDescriptorType

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


include "_clexer.pxi"


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


def to_ascii_digits(s):
    """``_values.pure_to_ascii_digits(s)``: ``s`` itself when it holds no Thai digit,
    else ``s`` with each Thai digit ๐-๙ replaced by its ASCII digit (a str, also for
    a str subclass, as ``str.translate`` gives)."""
    cdef str plain, out
    if type(s) is str:
        return _to_ascii_digits(<str>s)
    if not isinstance(s, str):
        raise TypeError(f"expected string or bytes-like object, got {type(s).__name__!r}")
    plain = str.__str__(s)
    out = _to_ascii_digits(plain)
    return s if out is plain else out


cdef str _to_ascii_digits(str s):
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

