"""The compiled section rules and value readers (``_crules``) against the pure-Python references.

``_values`` and ``_rules`` take ``find_money``, ``number``, ``percent``, ``money``,
``progress``, ``kpi`` and ``measure`` from ``_crules`` when ``_compiled`` selected the
extensions; their ``pure_`` functions are the references. Every test here runs
both and compares: whole reports (``repr`` of what ``bmaparse.parse`` returns,
diagnostics included) with the module names pointing at the compiled functions
and then at the references (``reference_rules``), on every sample and test
input, synthetic reports of every layout and size, mutated reports; and each
function alone, with the diagnostics it logged, on real and random lines, money-like
text (Thai digits, separators, multiplier words, huge digit runs, surrogates) and
hostile megabyte lines (linear in time: ``helpers.bounded``). The skip-or-fail
rule is ``test_compiled``'s: without the extensions these are skipped, unless
``BMAPARSE_EXPECT_COMPILED=1``.
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bmaparse
import test_hostile_lines
from bmaparse import _compiled, _lexer, _rules, _values, synth
from bmaparse._diagnostics import DiagnosticLog
from bmaparse._lexer import Kind, Token
from helpers import bounded
from test_compiled import EXPECT_COMPILED, require_extension
from test_compiled_lexer import ALL_LINES, DOCUMENTS, KIND_LINES, mutated_lines, random_lines

try:
    import bmaparse._crules as _crules
except ModuleNotFoundError:  # not built (a broken build raises another ImportError)
    _crules = None  # type: ignore[assignment]

RULES = ("number", "percent", "money", "header", "body", "strategy", "progress", "kpi", "measure")
"""The functions of ``_rules`` the extension replaces (each has a ``pure_`` reference)."""
VALUE_READERS = ("find_money",)
"""The same for ``_values``."""
HELPERS = {"labels": "_labels"}
"""Functions the extension exports for these tests only (the name of the reference in ``_rules``)."""


def compiled_rules() -> ModuleType:
    """The compiled rules; skip (or fail, when they are expected) without the extensions.
    In pure-Python mode with the extensions built they are given the tables here (what
    ``_values`` and ``_rules`` do when they are selected), so they are compared there too."""
    require_extension()
    if _crules is None:
        if EXPECT_COMPILED:
            pytest.fail("BMAPARSE_EXPECT_COMPILED is set but bmaparse._crules did not import")
        pytest.skip("the compiled rules are not built")
    if not _compiled.COMPILED:
        _crules.bind_values(_values)
        _crules.bind_rules(_rules)
    return _crules


def _selected_names() -> list[tuple[ModuleType, str, Callable[..., object]]]:
    """(module, name, reference) of every name the selection may point at a compiled function."""
    names: list[tuple[ModuleType, str, Callable[..., object]]] = [
        (_values, name, getattr(_values, f"pure_{name}")) for name in VALUE_READERS]
    names += [(_rules, name, getattr(_rules, f"pure_{name}")) for name in RULES]
    names.append((_rules, "find_money", _values.pure_find_money))  # _rules' own import of it
    return names


@contextmanager
def reference_rules() -> Iterator[None]:
    """The pure-Python references in place of whatever was selected, for the block."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in _selected_names()]
    try:
        for module, name, reference in _selected_names():
            setattr(module, name, reference)
        yield
    finally:
        for module, name, selected in saved:
            setattr(module, name, selected)


def parsed(text: str, strict: bool = False) -> str:
    """The whole report as ``repr`` shows it (diagnostics included), or the exception."""
    try:
        return repr(bmaparse.parse(text, "in.txt", strict))
    except Exception as exc:  # the reference's own failure must be the compiled one's too
        return f"{type(exc).__name__}: {exc}"


def assert_same_report(text: str, strict: bool = False) -> None:
    compiled_rules()
    compiled = parsed(text, strict)
    with reference_rules():
        reference = parsed(text, strict)
    assert compiled == reference, text[:300]


# --- the selector ----------------------------------------------------------------------


def test_the_selected_names_are_the_compiled_functions() -> None:
    crules = compiled_rules()
    public = {name for name, value in vars(crules).items()
              if getattr(value, "__module__", None) == crules.__name__ and not name.startswith(("_", "bind_"))}
    assert public == {*RULES, *VALUE_READERS, *HELPERS}  # a new compiled function is listed above
    for module, name, reference in _selected_names():
        expected = getattr(crules, name) if _compiled.COMPILED else reference
        assert getattr(module, name) is expected, (module.__name__, name)


def test_pure_python_selects_no_compiled_rules() -> None:
    assert _compiled.select({_compiled.PURE_PYTHON_ENV: "1"}).rules is None


def test_compiled_selects_the_compiled_rules() -> None:
    assert _compiled.select({}).rules is compiled_rules()


def test_without_the_rules_extension_nothing_compiled_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_ckernels`` built, ``_crules`` not: (without any compiler neither is, and the
    message names ``_ckernels``: skipped there, as the other tests of the extension)."""
    require_extension()
    monkeypatch.setitem(sys.modules, "bmaparse._crules", None)  # import fails: not built
    kernels = _compiled.select({})
    assert not kernels.compiled and kernels.rules is None and kernels.to_ascii_digits is None
    assert "bmaparse._crules is not built" in kernels.implementation


# --- whole reports -----------------------------------------------------------------------


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_every_document(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert_same_report(text)
    assert_same_report(text, strict=True)


SYNTH_LAYOUTS = ("page", "export", "view", "kpi")


@pytest.mark.parametrize("size", synth.SIZES)
@pytest.mark.parametrize("layout", SYNTH_LAYOUTS)
def test_synthetic_reports(layout: str, size: str) -> None:
    for text in synth.corpus(60, 12, layouts=(layout,), size=size):
        assert_same_report(text)


MUTATION_BASE = [*(path.read_text(encoding="utf-8") for path in DOCUMENTS),
                 *synth.corpus(40, 5, layouts=SYNTH_LAYOUTS)]


@st.composite
def mutated_reports(draw: st.DrawFn) -> str:
    """A real or synthetic report with lines dropped, doubled, swapped or mutated."""
    lines = draw(st.sampled_from(MUTATION_BASE)).split("\n")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(("drop", "double", "swap", "mutate", "insert")))
        if edit == "drop" and len(lines) > 1:
            del lines[at]
        elif edit == "double":
            lines.insert(at, lines[at])
        elif edit == "swap" and at + 1 < len(lines):
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
        elif edit == "mutate":
            lines[at] = draw(mutated_lines())
        else:
            lines.insert(at, draw(st.one_of(money_text, random_lines)))
    return "\n".join(lines)


PROPERTY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- money-like text ------------------------------------------------------------------------

MONEY_PIECES = [
    "บาท", "ล้าน", "ล้านบาท", "พันล้าน", "แสน", "หมื่น", "พัน", "บา", "บาทบาท", " บาท", ".-", ".-บาท",
    "1,234", "1,234,567", "12,34", "1,2345", "1.5", "0.005", "๑,๒๓๔", "๑.๕", "10000000000000000",
    "งบประมาณ", "งบประมาณที่ใช้", "เบิกจ่าย", "จำนวน", "จำนวนเงิน", "เป็นเงิน", "ทั้งสิ้น", "รวมเป็นเงิน",
    "คิดเป็น", "เป็นจำนวนเงิน", "และ", "(", ")", ":", ",", "=", "-", "–", "…", "*", "“", "”", "\n",
]
MONEY_CHARS = "0123456789๐๑๒๓๔๕๖๗๘๙,.-: \t\u00a0\u2003\u3000\r(xกบาทล้\ud800\udfff\u0e48"
money_text = st.lists(
    st.one_of(st.sampled_from(MONEY_PIECES), st.text(st.sampled_from(MONEY_CHARS), max_size=8),
              st.integers(0, 10**45).map(str), st.integers(1, 80).map(lambda n: "9" * n),
              st.characters()),
    max_size=14,
).map("".join)


def money_of(find: Callable[[str], list[_values.Money]], text: object) -> str:
    try:
        return repr(find(text))  # type: ignore[arg-type]
    except Exception as exc:
        return type(exc).__name__


def assert_same_money(text: object) -> None:
    crules = compiled_rules()
    assert money_of(crules.find_money, text) == money_of(_values.pure_find_money, text), repr(text)[:300]
    if isinstance(text, str):
        for seq in (None, 3):
            compiled = crules.money(text, 7, seq)
            with reference_rules():
                assert compiled == _rules.pure_money(text, 7, seq)


@PROPERTY
@given(money_text)
@example("1,234,567.50 บาท")
@example("งบประมาณ 1.5 ล้านบาท และเบิกจ่ายแล้ว 200,000.- บาท")
@example("1,2345 บาท 12,34 บาท 1.2.3 บาท 1,234.5.6บาท")
@example("๑,๒๓๔ พันล้าน  บาท")
@example("9" * 41 + " บาท " + "9" * 17 + " บาท " + "9" * 16 + " บาท")
@example("จำนวนเงิน ทั้งสิ้น :  จำนวน 5 บาท")
@example("\ud800 1 บาท")
def test_find_money_on_money_like_text(text: str) -> None:
    assert_same_money(text)


@PROPERTY
@given(st.text())
def test_find_money_on_any_text(text: str) -> None:
    assert_same_money(text)


def test_find_money_on_every_real_line_and_odd_arguments() -> None:
    for line in ALL_LINES:
        assert_same_money(line)
    for odd in (None, 5, b"1 \xe0\xb8\x9a", "", "บาท"):
        assert_same_money(odd)


# --- each rule alone, with what it logged --------------------------------------------------


def logged(rule: Callable[..., object], *args: object) -> tuple[str, str]:
    """What ``rule(*args, log)`` returned (or raised) and the diagnostics it logged."""
    log = DiagnosticLog("in.txt")
    try:
        result = repr(rule(*args[:1], log, *args[1:]))
    except Exception as exc:
        result = type(exc).__name__
    return result, repr(log.diagnostics)


def assert_same_rule(name: str, *args: object) -> None:
    compiled = logged(getattr(compiled_rules(), name), *args)
    with reference_rules():
        reference = logged(getattr(_rules, f"pure_{name}"), *args)
    assert compiled == reference, (name, args)


HEADS = [line for line in ALL_LINES + KIND_LINES if _lexer.tokenize(line)[0].kind is Kind.PROGRESS_HEAD]
BODY_LINES = [line for line in ALL_LINES + KIND_LINES
              if _lexer.tokenize(line)[0].kind in (Kind.HEADING, Kind.UNIT_CODES, Kind.TEXT)][:400]
KPI_HEADS = [line for line in ALL_LINES + KIND_LINES
             if _lexer.tokenize(line)[0].kind in (Kind.KPI_NAME, Kind.KPI_ID, Kind.KPI_TARGET, Kind.TEXT)]


def rule_calls(tokens: list[Token]) -> Iterator[tuple[object, ...]]:
    """Every compiled rule called on ``tokens`` as a body, a progress block, an indicator and lines."""
    yield ("header", tokens)
    yield ("body", tokens)
    yield ("strategy", tokens)
    yield ("progress", tokens, 3)
    yield ("kpi", tokens, 2)
    yield ("kpi", tokens, 1, "0900-0991")
    for tok in tokens:
        index = _lexer.GROUP_INDEX.get(tok.kind, {})
        for raw in (tok.text, *(tok.groups[index[group]] for group in ("percent", "value", "text") if group in index)):
            yield ("number", tok, raw, "x")
            yield ("percent", tok, raw, "block percent")
        if tok.kind in (Kind.KPI_TARGET, Kind.KPI_ACHIEVED):
            yield ("measure", tok, "target")


def assert_same_rules(text: str) -> None:
    for name, *args in rule_calls(_lexer.tokenize(text)):
        assert_same_rule(name, *args)  # type: ignore[arg-type]


def test_rules_on_every_document_section() -> None:
    from bmaparse._parser import segment, split_reports
    for path in DOCUMENTS:
        for report in split_reports(_lexer.tokenize(path.read_text(encoding="utf-8"))):
            for _, section in segment(report):
                for name, *args in rule_calls(section):
                    assert_same_rule(name, *args)  # type: ignore[arg-type]


@PROPERTY
@given(st.sampled_from(HEADS + KPI_HEADS + BODY_LINES),
       st.lists(st.one_of(mutated_lines(), random_lines, money_text), max_size=8))
def test_rules_on_random_blocks(head: str, lines: list[str]) -> None:
    assert_same_rules("\n".join([head, *lines]))


@PROPERTY
@given(mutated_reports())
def test_mutated_reports(text: str) -> None:
    assert_same_report(text)


# numbered items: what the lexer keeps as text, and numbering alone
ITEM_PIECES = ["1", "2", "1.", "2.", "1.1", "1.2", "2.1", "10", "0", "1.0", "๑.", "๒.", "๑.๑", "١", "٢.", ".", ",", "/",
               " ", "  ", "\t", "\u00a0", "\u2003", "x", "ก", "วัน", "(", ")", "\ud800", "99.99", "123"]
item_text = st.lists(st.one_of(st.sampled_from(ITEM_PIECES), st.text(st.sampled_from("0123456789๑๒.,/ xก"), max_size=5)),
                     max_size=16).map("".join)


@PROPERTY
@given(st.one_of(item_text, money_text, random_lines))
@example("1. ก 2. ข 2.1 ค 3 วัน 3.ง")
@example("๑.๑ ก ๑.๒ ข ๒. ค")
@example("1.2.3 x")
@example("0. x")
def test_item_labels(text: str) -> None:
    crules = compiled_rules()
    assert crules.labels(text) == _rules._labels(text)


def test_item_labels_of_every_real_line() -> None:
    crules = compiled_rules()
    for line in ALL_LINES:
        assert crules.labels(line) == _rules._labels(line), line


def test_rules_refuse_what_is_not_a_token() -> None:
    crules = compiled_rules()
    with pytest.raises(TypeError):
        crules.progress(["(1) x"], DiagnosticLog(None), 1)
    with pytest.raises(IndexError):
        crules.kpi([], DiagnosticLog(None), 1)
    with pytest.raises(TypeError):
        crules.body([None], DiagnosticLog(None))


# --- hostile megabyte lines ------------------------------------------------------------------

MEGA = 1_000_000
"""Characters of a hostile line; one dense with amounts is a tenth of it (each amount
found is a record made in Python on both paths: 0.4-0.7 s a megabyte on a quiet
machine, too near the bound on a loaded one; the scan's linearity shows without it)."""
HOSTILE_ITEMS = ["1. " * (MEGA // 30), "1 " * (MEGA // 20), "1.1 " * (MEGA // 40), "1" * MEGA, "1." * (MEGA // 2),
                 " " * MEGA + "1.", "1. " + " " * MEGA + "2. x", "".join(f"{i}. " for i in range(1, 100)) * 300]
"""Lines dense with item labels a tenth of a megabyte too (each label is a Python call on both paths)."""
HOSTILE_MONEY = [
    "1," * (MEGA // 2) + "บาท", "1,234" * (MEGA // 5) + " บาท", "1 " * (MEGA // 2) + "บาท",
    "1." * (MEGA // 2) + "บาท", "9" * MEGA + " บาท", "๙" * MEGA + "บาท", "บาท" * (MEGA // 3),
    "1 บาท" * (MEGA // 50), "จำนวน" * (MEGA // 5) + " 1 บาท", " " * MEGA + "1บาท",
    "1" + " " * MEGA + "พัน" + " " * MEGA + "บา", "พันล้าน" * (MEGA // 7) + "1 บาท",
    ":" * MEGA + "1 บาท", "1 ล้าน " * (MEGA // 7) + "บาท", "ก" * MEGA + "1 บาท",
]


def linear(work: Callable[[], str], what: str) -> str:
    """``work()``, failing the test if it is not linear in time (``helpers.bounded``)."""
    found: list[str] = []
    bounded(lambda: found.append(work()), what, test_hostile_lines.BOUND)
    return found[0]


@pytest.mark.slow
def test_hostile_money_lines_are_linear_and_the_same() -> None:
    crules = compiled_rules()
    for line in HOSTILE_MONEY:
        what = f"{line[:30]!r}... ({len(line):,} characters)"
        compiled = linear(functools.partial(money_of, crules.find_money, line), what)
        assert compiled == linear(functools.partial(money_of, _values.pure_find_money, line), what)


@pytest.mark.slow
def test_hostile_item_lines_are_linear_and_the_same() -> None:
    crules = compiled_rules()
    for line in HOSTILE_ITEMS:
        what = f"{line[:30]!r}... ({len(line):,} characters)"
        compiled = linear(functools.partial(lambda t: repr(crules.labels(t)), line), what)
        assert compiled == linear(functools.partial(lambda t: repr(_rules._labels(t)), line), what)
        text = "\n".join(["หลักการและเหตุผล", line, "วัตถุประสงค์", line, line[:5000], "เป้าหมายของโครงการ", line])
        assert_same_rule("body", _lexer.tokenize(text))


@pytest.mark.slow
def test_hostile_progress_blocks_are_linear_and_the_same() -> None:
    compiled_rules()
    head = "(1) ความคืบหน้าโครงการฯ ร้อยละ 50.00 (2023-04-27)"
    for line in random.Random(4).sample(HOSTILE_MONEY, 5):
        text = "\n".join([head, "27/04/2566 : " + line, line, "** ปัญหาของโครงการ : " + line])
        compiled = linear(functools.partial(parsed, text), line[:30])
        with reference_rules():
            assert compiled == linear(functools.partial(parsed, text), line[:30])
