"""The compiled ``__init__`` of the Report tree's records against the generated one.

With the extension selected, every record class of ``model`` builds its
instances with ``_ckernels.record_init``; the dataclass's generated ``__init__``
is kept (``_ckernels.generated_init``) and is the reference: for every call,
plain or wrong, both must leave the same field values in the slots (the same
objects) or raise the same error. The skip-or-fail rule is ``test_compiled``'s:
without the extension these are skipped, unless ``BMAPARSE_EXPECT_COMPILED=1``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bmaparse
from bmaparse import _compiled, model, synth
from test_compiled import EXPECT_COMPILED, SAMPLES, _ckernels, require_extension

RECORD_CLASSES = model.RECORD_CLASSES
VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.tuples(st.integers()), st.just(()))


def generated_init(cls: type) -> Callable[..., None]:
    """The reference ``__init__`` of ``cls``; skip (or fail, when expected) without the extension."""
    if _ckernels is not None and _compiled.COMPILED:
        return _ckernels.generated_init(cls)  # type: ignore[no-any-return]
    if EXPECT_COMPILED:
        pytest.fail("BMAPARSE_EXPECT_COMPILED is set but the compiled records are not in use")
    pytest.skip("the compiled extension is not built or not selected")


def outcome(init: Callable[..., None], cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
    """The slots ``init`` fills on a new ``cls``, as (name, id) pairs, or the error it raises."""
    record = object.__new__(cls)
    try:
        init(record, *args, **kwargs)
    except TypeError as exc:
        return ("TypeError", str(exc))
    names = [f.name for f in dataclasses.fields(cls)]
    return [(name, id(getattr(record, name))) for name in names]


def test_every_record_class_is_taken_when_compiled() -> None:
    defined = {value for value in vars(model).values() if dataclasses.is_dataclass(value)
               and isinstance(value, type) and value.__module__ == model.__name__}
    assert set(RECORD_CLASSES) == defined
    taken = RECORD_CLASSES if _compiled.COMPILED else ()
    assert taken == model.COMPILED_RECORDS
    assert _compiled.select({_compiled.PURE_PYTHON_ENV: "1"}).install_record_inits(RECORD_CLASSES) == ()


def test_the_generated_signature_is_kept() -> None:
    for cls in RECORD_CLASSES:
        parameters = list(inspect.signature(cls).parameters)
        assert parameters == [f.name for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=lambda cls: cls.__name__)
def test_every_field_by_name_and_by_place(cls: type) -> None:
    reference = generated_init(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    values = [object() for _ in names]
    for given_in_place in range(len(names) + 2):
        args = tuple(values[:given_in_place]) + ((object(),) if given_in_place > len(names) else ())
        for named in (names[given_in_place:], names[given_in_place + 1:], [*names[given_in_place:], "nope"],
                      names[max(given_in_place - 1, 0):]):
            kwargs = dict(zip(named, values[len(names) - len(named):] if named else [], strict=False))
            assert outcome(cls.__init__, cls, args, kwargs) == outcome(reference, cls, args, kwargs)


@given(st.sampled_from(RECORD_CLASSES), st.data())
def test_random_calls(cls: type, data: st.DataObject) -> None:
    reference = generated_init(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    args = tuple(data.draw(st.lists(VALUES, max_size=len(names) + 1)))
    named = data.draw(st.lists(st.sampled_from([*names, "nope"]), unique=True))
    kwargs = {name: data.draw(VALUES) for name in named}
    assert outcome(cls.__init__, cls, args, kwargs) == outcome(reference, cls, args, kwargs)


def test_records_stay_frozen_equal_and_replaceable() -> None:
    generated_init(model.Objective)
    objective = model.Objective(1, "1", text="x")
    assert objective == model.Objective(ordinal=1, label="1", text="x", source_line=None)
    assert dataclasses.replace(objective, text="y").text == "y"
    with pytest.raises(dataclasses.FrozenInstanceError):
        objective.text = "z"  # type: ignore[misc]


def test_a_subclass_uses_the_generated_init() -> None:
    generated_init(model.Objective)

    class Numbered(model.Objective):
        __slots__ = ()

    assert Numbered(1, None, text="x").text == "x"
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        Numbered(1, None)


def test_parsed_reports_are_the_same_either_way() -> None:
    """Every sample and 400 synthetic reports of every layout parse to equal Reports with
    the compiled and with the generated ``__init__``."""
    generated_init(model.Report)
    assert _ckernels is not None
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.txt"))]
    texts += synth.corpus(400, 3, layouts=("page", "export", "view", "kpi"))
    compiled = [bmaparse.parse(text, f"{i:04d}_50990000-{i}.txt") for i, text in enumerate(texts)]
    _ckernels.remove_record_inits(RECORD_CLASSES)
    try:
        reference = [bmaparse.parse(text, f"{i:04d}_50990000-{i}.txt") for i, text in enumerate(texts)]
    finally:
        _ckernels.install_record_inits(RECORD_CLASSES)
    assert compiled == reference
    assert model.Report.__init__ is _ckernels.record_init


_HOSTILE = r'''
import dataclasses, sys
import bmaparse
from bmaparse import Report, _ckernels

class Meta(type):  # a class that passes for Report in a dict lookup
    def __hash__(cls): return hash(Report)
    def __eq__(cls, other): return True

class Evil(metaclass=Meta):
    __slots__ = ("a",)

try:
    Report.__init__(Evil(), *["x"] * 40)
except AttributeError:
    pass
else:
    sys.exit("the compiled init wrote Report's slots into another class")

@dataclasses.dataclass(frozen=True, slots=True)
class Huge:
    s0: object = None
    s1: object = None
    s2: object = None

@dataclasses.dataclass(frozen=True, slots=True)
class Tiny:
    a: object = None

Tiny.a = Huge.__dict__["s2"]  # another class's slot planted on a record class
assert _ckernels.install_record_inits([Tiny]) == ()
print("ok")
'''


def test_hostile_classes_never_reach_the_slot_stores() -> None:
    """Found by a review: a class whose metaclass makes it equal to Report got
    Report's plan (its slots written into a smaller object: a segfault), and a
    descriptor of another class planted on a record class was trusted. Run in a
    child: a regression must fail the test, not end the suite."""
    require_extension()
    import subprocess
    import sys

    from helpers import child_env

    done = subprocess.run([sys.executable, "-c", _HOSTILE], env=child_env(),
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]


def test_a_str_subclass_parses_as_its_str() -> None:
    """The kernels take only an exact str; parse reads a subclass as the str it holds
    (it gave an internal-error report in compiled mode, a report in pure mode)."""

    class Text(str):
        pass

    seed = (SAMPLES / "000_8c07428080a9c9ea.txt").read_text(encoding="utf-8")
    assert bmaparse.parse(Text(seed)) == bmaparse.parse(seed)
