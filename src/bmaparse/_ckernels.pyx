# cython: language_level=3
"""Compiled kernels of the hot path; ``_normalize`` is the reference they must equal.

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
"""

from ._normalize import _repair_clusters, normalize_line


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
    cdef list slips = []  # offsets of the current line's slips
    cdef Py_ssize_t line = 0
    cdef Py_ssize_t i = 0  # the offset of c in its line
    cdef Py_UCS4 c
    cdef Py_UCS4 prev = 0x0A  # "\n": at the start of a line
    cdef int ccc
    cdef int last_ccc = 0
    cdef bint whole = False  # the line goes through normalize_line
    for c in text:
        if c == 0x0A:
            _repair(lines, line, whole or prev == 0x20, slips)  # (a trailing space)
            line += 1
            i = -1
            whole = False
            last_ccc = 0
        elif not whole:
            if c == 0x20:
                whole = prev == 0x20 or prev == 0x0A  # doubled or leading
                last_ccc = 0
            else:
                ccc = _known_ccc(c)
                if ccc < 0 or _is_odd(c) or (ccc != 0 and last_ccc > ccc):  # (not NFC)
                    whole = True
                elif c == 0x0E4D:
                    slips.append(i)
                elif _is_slip_pair(prev, c):
                    slips.append(i - 1)
                last_ccc = ccc
        prev = c
        i += 1
    _repair(lines, line, whole or prev == 0x20, slips)
    return lines


cdef inline void _repair(list lines, Py_ssize_t line, bint whole, list slips) except *:
    """Normalise ``lines[line]``: the whole line, or the clusters at ``slips``; clear ``slips``."""
    if whole:
        lines[line] = normalize_line(lines[line])
    elif slips:
        lines[line] = _repair_clusters(lines[line], slips)
    if slips:
        slips.clear()


def known_combining_class(Py_UCS4 code_point):
    """The combining class the pass assumes for ``code_point``, -1 if it does not judge it
    (for the tests, which check every code point against ``unicodedata``)."""
    return _known_ccc(code_point)
