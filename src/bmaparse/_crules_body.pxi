# Included by _crules.pyx (one extension, two more files to keep each short):
# the item labels and body. See _crules.pyx for why the scan equals the regex.


# --- body: rationale, unit codes, objectives, targets -----------------------------------------


cdef inline bint _decimal(Py_UCS4 c):
    """``\\d`` of a str pattern (every script's decimal digits)."""
    return c.isdecimal()


cdef Py_ssize_t _item_label_at(str text, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *label_end, bint *dot):
    """The end of ``_rules._LABEL``'s match at ``p`` (where its lookbehind holds), or -1;
    ``label_end`` and ``dot`` get the end of its group 1 and whether group 2 took part.
    The pattern's choices in its own order: two digits then one; the decimals
    ``.dd``, ``.d``, none; then ``.`` not before a digit, a space, or another
    character but a digit, a space or ``.,/``."""
    cdef Py_ssize_t w, f, q, r, e
    cdef Py_ssize_t wholes[2]
    cdef Py_ssize_t fracs[3]
    cdef int nw = 0, nf, a, b
    cdef Py_UCS4 c
    if not (p < n and _decimal(text[p])):
        return -1
    if p + 1 < n and _decimal(text[p + 1]):
        wholes[nw] = 2
        nw += 1
    wholes[nw] = 1
    nw += 1
    for a in range(nw):
        q = p + wholes[a]
        nf = 0
        if q + 1 < n and text[q] == "." and _decimal(text[q + 1]):
            if q + 2 < n and _decimal(text[q + 2]):
                fracs[nf] = 3
                nf += 1
            fracs[nf] = 2
            nf += 1
        fracs[nf] = 0
        nf += 1
        for b in range(nf):
            r = q + fracs[b]
            if r >= n:
                continue
            c = text[r]
            if c == "." and not (r + 1 < n and _decimal(text[r + 1])):
                dot[0], e = True, r + 1
            elif c.isspace() or not (_decimal(c) or c == "." or c == "," or c == "/"):
                dot[0], e = False, r
            else:
                continue
            while e < n and text[e].isspace():
                e += 1
            label_end[0] = r
            return e
    return -1


cdef list _labels(str text):
    """``_rules._labels``: item labels that form a sequence from the start of ``text``."""
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t p = 0, end, label_end = 0
    cdef bint dot = False
    cdef list found = []
    while p < n:
        if p == 0 or text[p - 1].isspace():
            end = _item_label_at(text, n, p, &label_end, &dot)
        else:
            end = -1
        if end < 0:
            if p == 0:
                return []  # a list starts at the start of the line
            p += 1
            continue
        label = _to_ascii_digits(text[p:label_end])
        if not found:
            if label.endswith(".0") or label == "0":
                return []
            found.append((label, p, end))
        elif _is_next(found[-1][0], label) and (dot or "." in label):
            found.append((label, p, end))
        p = end
    return found


def labels(str text not None):
    """``_rules._labels(text)`` (for the tests: ``body`` calls the C function)."""
    return _labels(text)


cdef tuple _split_objectives_targets(list tokens):
    """``_rules._split_objectives_targets``."""
    cdef list last = _labels(tokens[0][1])
    cdef list objectives = [(tokens[0], last)]
    cdef list found
    cdef Py_ssize_t i
    for i in range(1, len(tokens)):
        tok = tokens[i]
        found = _labels(tok[1])
        if not (last and found and _is_next(last[-1][0], found[0][0])):
            return objectives, tokens[i:]
        objectives.append((tok, found))
        last = found
    return objectives, []


cdef list _objectives(list labelled):
    """``_rules._objectives``."""
    cdef list items = []  # [label, its lines' text, line]
    cdef list found
    cdef Py_ssize_t k, end
    cdef str text
    for tok, found in labelled:
        text = tok[1]
        if not found:
            if items and items[-1][0] is not None:
                items[-1][1].append(text)
            else:
                items.append((None, [text], tok[2]))
            continue
        for k in range(len(found)):
            end = found[k + 1][1] if k + 1 < len(found) else len(text)
            items.append((found[k][0], [text[found[k][2]:end].strip()], tok[2]))
    return [_Objective(k + 1, item[0], "\n".join(item[1]), item[2]) for k, item in enumerate(items)]


def body(list tokens not None, log):
    """``_rules.pure_body``: rationale, unit code pair, objectives and targets."""
    cdef dict parts = {"rationale": [], "objectives": [], "targets": []}
    cdef list after_codes = [], labelled, budget = [], rationale, targets
    cdef tuple codes = None
    cdef list current = parts["rationale"]
    cdef bint headed = False
    cdef tuple tok
    for each in tokens:
        if _token(each)[0] is _HEADING:
            headed = True
            break
    for each in tokens:
        tok = _token(each)
        kind = tok[0]
        if kind is _HEADING and tok[1] in _heading_field:
            current = parts[_heading_field[tok[1]]]
        elif kind is _UNIT_CODES and codes is None:
            codes = tok
            if not headed:
                current = after_codes
        elif kind is _BLANK:
            continue
        elif kind in _out_of_place:
            log.unrecognized(tok, "project description")
        else:
            current.append(tok)
    labelled = [(t, _labels(t[1])) for t in parts["objectives"]]
    rationale, targets = parts["rationale"], parts["targets"]
    if after_codes:
        objectives, more = _split_objectives_targets(after_codes)
        labelled += objectives
        targets += more
    for t in rationale + targets:
        _money_into(budget, t[1], t[2], None)
    return _Body(
        _join([t[1] for t in rationale]),
        _to_ascii_digits(_group(codes, "unit_code_1") or "") if codes is not None else None,
        _to_ascii_digits(_group(codes, "unit_code_2") or "") if codes is not None else None,
        _join([t[1] for t in targets]),
        tuple(_objectives(labelled)),
        tuple(budget),
    )
