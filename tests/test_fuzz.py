"""The fuzz target (fuzz/fuzz_read_parse.py) driven by hypothesis: the bounded
fuzz run that works everywhere, atheris or not (CI also runs atheris when it installs)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import LAYOUTS, ROOT, SEED

SEEDS = [SEED, *(path.read_bytes() for path in LAYOUTS)]


def _target() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_read_parse", ROOT / "fuzz" / "fuzz_read_parse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TARGET = _target()


@st.composite
def seed_mutants(draw: st.DrawFn) -> bytes:
    """A real report with byte-level damage: a slice kept, bytes overwritten, inserted."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    start = draw(st.integers(0, len(data)))
    data = data[start : start + draw(st.integers(0, len(data)))]
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        data[at:at + draw(st.integers(0, 3))] = draw(st.binary(max_size=8))
    return bytes([draw(st.integers(0, 255))]) + bytes(data)


FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(st.binary(max_size=2048))
def test_fuzz_target_on_arbitrary_bytes(data: bytes) -> None:
    TARGET.check(data)


@FUZZ
@given(seed_mutants())
def test_fuzz_target_on_damaged_reports(data: bytes) -> None:
    TARGET.check(data)
