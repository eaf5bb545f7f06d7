# Included by _crules.pyx (one extension, two more files to keep each short):
# what _values gives, and find_money. See _crules.pyx for why the scan equals the regex.


# --- what _values gives (bind_values) -------------------------------------------------------

cdef object _to_ascii_digits = None
cdef object _amount = None
cdef object _Money = None
cdef object _parse_number = None
cdef object _parse_iso_date = None
cdef object _parse_entry_date = None
cdef object _shown = None
cdef object _parse_whole = None
cdef tuple _multiplier_words = ()
cdef str _baht = ""
cdef str _spaces = ""
cdef str _label_stops = ""
cdef str _label_trim = ""
cdef tuple _connectors = ()
cdef Py_ssize_t _max_whole_digits = 0


def bind_values(values):
    """Take ``_values``'s tables and helpers (it calls this once, at its end)."""
    global _to_ascii_digits, _amount, _Money, _parse_number, _parse_iso_date, _parse_entry_date
    global _shown, _multiplier_words, _baht, _spaces, _label_stops, _label_trim, _connectors
    global _max_whole_digits, _parse_whole
    _to_ascii_digits = values.to_ascii_digits
    _amount = values._amount
    _Money = values.Money
    _parse_number = values.parse_number
    _parse_iso_date = values.parse_iso_date
    _parse_entry_date = values.parse_entry_date
    _shown = values.shown
    _parse_whole = values.parse_whole
    _multiplier_words = tuple(values._MULTIPLIERS)
    _baht = values._BAHT
    _spaces = values._AMOUNT_SPACES
    _label_stops = values._LABEL_STOPS
    _label_trim = values._LABEL_TRIM
    _connectors = tuple(values._CONNECTORS)
    _max_whole_digits = values.MAX_WHOLE_DIGITS


# --- find_money -------------------------------------------------------------------------------


cdef inline bint _digit(Py_UCS4 c):
    """A digit to the reference's ``[0-9]`` after Thai digits became ASCII."""
    return 0x30 <= c <= 0x39 or 0x0E50 <= c <= 0x0E59


cdef inline bint _among(Py_UCS4 c, str chars):
    cdef Py_UCS4 each
    for each in chars:
        if c == each:
            return True
    return False


cdef inline bint _starts(str text, Py_ssize_t n, Py_ssize_t at, Py_UCS4 c):
    return at < n and text[at] == c


cdef inline Py_ssize_t _skip_digits(str text, Py_ssize_t n, Py_ssize_t at):
    while at < n and _digit(text[at]):
        at += 1
    return at


cdef inline Py_ssize_t _skip_spaces(str text, Py_ssize_t n, Py_ssize_t at):
    while at < n and _among(text[at], _spaces):
        at += 1
    return at


cdef class _Amount:
    """Where one amount was found (offsets into the text) and its pieces."""
    cdef Py_ssize_t start, number_end, frac_start, frac_end, end
    cdef object multiplier


cdef bint _match_at(str text, Py_ssize_t n, Py_ssize_t start, _Amount found):
    """The reference pattern's match at ``start`` (a digit whose lookbehinds hold)."""
    cdef Py_ssize_t at = _skip_digits(text, n, start)
    cdef Py_ssize_t groups = 0
    cdef Py_ssize_t after
    cdef str word
    if at - start <= 3:  # [0-9]{1,3}(?:,[0-9]{3})+ before [0-9]+
        while (at + 3 < n and text[at] == "," and _digit(text[at + 1]) and _digit(text[at + 2])
               and _digit(text[at + 3])):
            at += 4
            groups += 1
    found.number_end = at
    found.frac_start = found.frac_end = -1
    if _starts(text, n, at, ".") and at + 1 < n and _digit(text[at + 1]):
        found.frac_start = at + 1
        at = found.frac_end = _skip_digits(text, n, at + 1)
    if _starts(text, n, at, ".") and _starts(text, n, at + 1, "-"):
        at += 2
    at = _skip_spaces(text, n, at)
    for word in _multiplier_words:
        if text.startswith(word, at):
            after = _skip_spaces(text, n, at + len(word))
            if text.startswith(_baht, after):
                found.multiplier, found.end = word, after + len(_baht)
                return True
    if text.startswith(_baht, at):
        found.multiplier, found.end = None, at + len(_baht)
        return True
    return False


cdef str _ascii(str text, Py_ssize_t lo, Py_ssize_t hi):
    """``text[lo:hi]`` with Thai digits made ASCII and the commas dropped."""
    return _to_ascii_digits(text[lo:hi]).replace(",", "")


cdef list _amounts(str text):
    """Every match of the reference pattern, in order, as (start, end, amount or None)."""
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t i = 0
    cdef Py_UCS4 c
    cdef list out = []
    cdef _Amount found = _Amount()
    cdef object frac, amount
    while i < n:
        c = text[i]
        if (_digit(c) and not (i >= 1 and _digit(text[i - 1]))
                and not (i >= 2 and _digit(text[i - 2]) and (text[i - 1] == "." or text[i - 1] == ","))
                and _match_at(text, n, i, found)):
            frac = None if found.frac_start < 0 else _ascii(text, found.frac_start, found.frac_end)
            amount = _amount(_ascii(text, i, found.number_end), frac, found.multiplier)
            out.append((i, found.end, amount))
            i = found.end
        else:
            i += 1
    return out


cdef object _label(str text, Py_ssize_t lo, Py_ssize_t hi):
    """``_values._label(text, lo, hi)``, with offsets instead of copies."""
    cdef Py_ssize_t cut = hi
    cdef Py_ssize_t a, b, end, k
    cdef bint stripped = True
    cdef str word
    while cut > lo and not _among(text[cut - 1], _label_stops):
        cut -= 1
    a, b = cut, hi  # the segment after the last stop, stripped of _LABEL_TRIM
    while a < b and _among(text[a], _label_trim):
        a += 1
    while b > a and _among(text[b - 1], _label_trim):
        b -= 1
    end = b
    while stripped:
        stripped = False
        for word in _connectors:
            if end - a >= len(word) and text.startswith(word, end - len(word), end):
                end -= len(word)
                while end > a and _among(text[end - 1], _label_trim):
                    end -= 1
                stripped = True
                break
    while end > a and text[end - 1].isspace():  # rsplit(None, 1)[-1]: the last chunk
        end -= 1
    k = end
    while k > a and not text[k - 1].isspace():
        k -= 1
    while k < end and _among(text[k], _label_trim):
        k += 1
    while end > k and _among(text[end - 1], _label_trim):
        end -= 1
    return text[k:end] if end > k else None


def find_money(text):
    """``_values.pure_find_money(text)``: every amount of baht in ``text``, in order."""
    if not isinstance(text, str) or _baht not in text:
        return []
    cdef str s = str.__str__(text) if type(text) is not str else text
    cdef list found = []
    cdef Py_ssize_t previous_end = 0
    cdef Py_ssize_t start, end
    for start, end, amount in _amounts(s):
        if amount is None:
            continue
        found.append(_Money(start, end, _label(s, previous_end, start), amount, s[start:end]))
        previous_end = end
    return found
