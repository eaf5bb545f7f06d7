"""The package's public surface: what ``import bmaparse`` reaches, and what it costs.

Each check runs in a fresh interpreter: in this one other tests have already
imported the submodules, which would hide a missing lazy import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import SAMPLES, child_env


def _fresh(code: str) -> list[str]:
    """The words ``code`` prints, run by a new interpreter after ``import sys, bmaparse``."""
    done = subprocess.run([sys.executable, "-c", f"import sys, bmaparse\n{code}"],
                          capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_synth_is_reachable_without_importing_it() -> None:
    out = _fresh(
        "print('bmaparse.synth' in sys.modules)\n"
        "texts = list(bmaparse.synth.corpus(2, seed=1))\n"
        "print(len(texts), all(isinstance(t, str) and t for t in texts))\n"
        "print(bmaparse.synth is sys.modules['bmaparse.synth'])"
    )
    assert out == ["False", "2", "True", "True"]


def test_every_public_name_resolves() -> None:
    out = _fresh("print(*[n for n in bmaparse.__all__ if getattr(bmaparse, n, None) is None])")
    assert out == []


def test_an_unknown_name_is_an_attribute_error() -> None:
    out = _fresh(
        "try:\n    bmaparse.no_such_name\n"
        "except AttributeError as exc:\n    print('no_such_name' in str(exc))"
    )
    assert out == ["True"]


def test_compiled_says_which_implementation_runs() -> None:
    """``bmaparse.compiled`` and ``bmaparse.implementation`` agree with each other and
    with the environment switch, in a fresh interpreter each."""
    for env, expect_pure in (({"BMAPARSE_PURE_PYTHON": "1"}, True), ({"BMAPARSE_PURE_PYTHON": "0"}, None)):
        out = subprocess.run(
            [sys.executable, "-c", "import bmaparse; print(bmaparse.compiled, bmaparse.implementation)"],
            env={**child_env(), **env}, capture_output=True, text=True, check=True,
        ).stdout.split(" ", 1)
        compiled, implementation = out[0] == "True", out[1].strip()
        assert compiled == (implementation == "compiled")
        if expect_pure:
            assert not compiled and "BMAPARSE_PURE_PYTHON" in implementation


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_convert_to_parquet_loads_no_pandas(tmp_path: Path, jobs: str) -> None:
    """``bmaparse convert --format parquet --quiet`` imports only what it uses: no pandas
    (pyarrow would load it for its first array), no tqdm without a bar. duckdb is
    used in every format since the analysis tables and findings (docs/audit.md)."""
    out = _fresh(
        "from bmaparse.cli import main\n"  # as the console script: main() reads sys.argv
        f"sys.argv = ['bmaparse', 'convert', {str(SAMPLES)!r}, '-o', {str(tmp_path / 'out')!r},"
        f" '--format', 'parquet', '--quiet', '--jobs', {jobs!r}]\n"
        "status = main()\n"
        "print(status, *[m for m in ('pandas', 'tqdm') if m in sys.modules])"
    )
    assert out == ["0"]


def test_a_callers_main_leaves_pyarrow_as_it_was(tmp_path: Path) -> None:
    """``main([...])`` called from a program runs in the caller's process: pyarrow
    must still know pandas there afterwards (a review found an ``Int64`` Series
    refused by ``pa.array`` after the console script's shortcut had run)."""
    out = _fresh(
        "from bmaparse.cli import main\n"
        f"status = main(['convert', {str(SAMPLES)!r}, '-o', {str(tmp_path / 'out')!r}, '--quiet', '--jobs', '1'])\n"
        "import pandas as pd, pyarrow as pa\n"
        "print(status, pa.array(pd.Series([1, None], dtype='Int64')).type)"
    )
    assert out == ["0", "int64"]


def test_verify_loads_no_pandas(tmp_path: Path) -> None:
    """``bmaparse verify`` reads Parquet without pandas."""
    from bmaparse.cli import main

    assert main(["convert", str(SAMPLES), "-o", str(tmp_path / "out"), "--quiet", "--jobs", "1"]) == 0
    out = _fresh(
        "from bmaparse.cli import main\n"
        f"sys.argv = ['bmaparse', 'verify', {str(tmp_path / 'out')!r}]\n"
        "status = main()\n"
        "print(status, *[m for m in ('pandas', 'duckdb') if m in sys.modules])"
    )
    assert out[-1] == "0", out  # the status, and no module after it
