"""The parser's typed shapes: what a rule returns reaches the Report, by name.

The section rules return typed values whose fields are named after the Report
fields they fill, and ``_parser`` copies them into ``_Stated`` by keyword. These
tests catch the two slips the compiler cannot: a field added to a rule's result
but never copied (silently dropped), and a group name read from a token that no
lexer pattern defines (a KeyError, hence an ``internal-error``, at run time only).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from decimal import Decimal
from pathlib import Path

import pytest

import bmaparse
from bmaparse import _kpipage, _parser, _rules, _viewpage
from bmaparse._lexer import GROUP_INDEX

SRC = Path(bmaparse.__file__).parent
_NOT_STATED = {"end", "evaluation", "objectives", "budget", "kpis", "quarterly", "entries"}
"""Result fields that are not Report fields stated in the text: positions, nested
results and child records, which ``_parser`` takes by their own path."""


def _stated_keywords(function: object) -> set[str]:
    """The keywords of every ``_Stated(...)`` call in ``function``'s source."""
    tree = ast.parse(inspect.getsource(function))  # type: ignore[arg-type]
    return {kw.arg for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "_Stated" for kw in node.keywords if kw.arg}


@pytest.mark.parametrize(("result", "builder"), [
    (_rules.Header, _parser._prelude),
    (_rules.Body, _parser._prelude),
    (_rules.Evaluation, _parser._prelude),
    (_viewpage.ViewPage, _parser._view),
    (_kpipage.KpiPage, _parser._kpi_document),
    (_rules.Evaluation, _parser._kpi_document),
])
def test_every_stated_field_of_a_rule_result_is_copied(result: type, builder: object) -> None:
    stated = {f.name for f in dataclasses.fields(_parser._Stated)}
    report = {f.name for f in dataclasses.fields(bmaparse.Report)}
    fields = {f.name for f in dataclasses.fields(result)} - _NOT_STATED
    assert fields <= stated, f"{result.__name__} fields missing from _Stated: {fields - stated}"
    assert fields <= report, f"{result.__name__} fields that are no Report field: {fields - report}"
    copied = _stated_keywords(builder)
    assert fields <= copied, f"{builder.__name__} drops {result.__name__}'s {fields - copied}"  # type: ignore[attr-defined]


def test_every_group_read_from_a_token_is_a_pattern_group() -> None:
    """Every ``.group("name")`` literal in the parser's modules names a group of some
    lexer pattern (``re.Match.group`` calls in these modules use numbers, not names)."""
    names = {name for groups in GROUP_INDEX.values() for name in groups}
    read = {
        (path.name, node.lineno, node.args[0].value)
        for path in SRC.glob("_*.py") if path.name != "_lexer.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "group" and node.args and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
    assert read, "no token group is read by name: the test looks in the wrong place"
    assert {r for r in read if r[2] not in names} == set()


@pytest.mark.parametrize("label", ["ค่าเป้าหมาย", "ผลงานที่ทำได้"])
def test_a_second_target_or_achieved_line_is_reported_not_dropped(label: str) -> None:
    # found by test_properties: the second line replaced the first, which was lost unreported
    text = f"{label} แห่ง : 12 ของชุมชนในพื้นที่\n{label} ร้อยละ : 80"
    report = bmaparse.parse(text)
    (kpi,) = report.kpis
    which = "target" if label == "ค่าเป้าหมาย" else "achieved"
    assert getattr(kpi, f"{which}_value") == Decimal("12")
    assert getattr(kpi, f"{which}_unit") == "แห่ง"
    assert [(d.line, d.code) for d in report.diagnostics] == [(2, "unrecognized-line")]
    assert f"a second {which} line" in report.diagnostics[0].message
