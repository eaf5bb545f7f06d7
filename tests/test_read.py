"""Reading one input (bmaparse._read): the limits, an input over the size limit, a
device, a line over the length limit, a 50 MB line and 100,000 separators, each
bounded and reported (docs/robustness.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import bmaparse
from bmaparse._read import Limits
from helpers import SEED, SEPARATOR, codes


def test_limits_defaults_and_validation() -> None:
    assert Limits() == Limits(64 * 1024 * 1024, 1_000_000, 100_000, 200)
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="max_file_bytes"):
            Limits(max_file_bytes=bad)  # type: ignore[arg-type]


def test_input_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    limits = Limits(max_file_bytes=10_000)
    path = tmp_path / "big.txt"
    path.write_bytes(SEED)
    for source in (SEED, path):
        document = bmaparse.load(source, limits=limits)
        (problem,) = document.diagnostics
        assert (problem.severity, problem.code, document.reports) == ("error", "input-too-large", ())
        assert f"{len(SEED):,} bytes; the limit is 10,000 bytes" in problem.message
        with pytest.raises(bmaparse.ParseError, match="input-too-large"):
            bmaparse.load(source, limits=limits, strict=True)
    assert list(bmaparse.read(path, limits=limits)) == []
    assert len(bmaparse.load(path, limits=Limits(max_file_bytes=len(SEED))).reports) == 1


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_never_read() -> None:
    (problem,) = bmaparse.load("/dev/zero").diagnostics
    assert problem.code == "unreadable-input" and "not a regular file" in problem.message


def test_long_line_is_cut_with_a_warning_and_the_rest_parses() -> None:
    lines = SEED.decode().split("\n")
    lines[4] += "ก" * 5000
    document = bmaparse.load("\n".join(lines).encode(), limits=Limits(max_line_chars=2000))
    (report,) = document.reports
    (cut,) = [d for d in report.diagnostics if d.code == "line-too-long"]
    dropped = len(lines[4]) - 2000
    assert (cut.severity, cut.line, cut.col) == ("warning", 5, 2001)
    assert f"{dropped:,} characters dropped" in cut.message and "limit of 2,000" in cut.message
    seed = bmaparse.load(SEED).reports[0]
    assert (report.progress_percent, report.project_id, len(report.progress_updates)) == (
        seed.progress_percent, seed.project_id, len(seed.progress_updates))


@pytest.mark.slow
def test_fifty_megabyte_line_is_bounded() -> None:
    document = bmaparse.load(SEED + b"x" * 50_000_000)
    (report,) = document.reports
    (cut,) = [d for d in report.diagnostics if d.code == "line-too-long"]
    assert "49,000,000 characters dropped" in cut.message or "characters dropped" in cut.message
    assert bmaparse.to_tables([document])["reports"].num_rows == 1
    alone = bmaparse.load(b"x" * 50_000_000)
    assert codes(alone) == ["line-too-long", "no-report-found"]


@pytest.mark.slow
def test_a_hundred_thousand_separators_are_bounded() -> None:
    only = bmaparse.load((SEPARATOR + "\n").encode() * 100_000)
    assert codes(only) == ["no-report-found"]
    document = bmaparse.load(SEED + ("\n" + SEPARATOR).encode() * 100_000)
    (report,) = document.reports
    seed_lines = SEED.count(b"\n") + 1
    reported = {d.line for d in report.diagnostics}
    # every separator but one closing the last block is reported, none is lost
    assert sum(1 for n in range(seed_lines + 1, seed_lines + 100_001) if n not in reported) <= 1
    assert bmaparse.to_tables([document])["diagnostics"].num_rows == len(report.diagnostics)
