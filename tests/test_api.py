"""The package's public surface: what ``import bmaparse`` reaches, and what it costs.

Each check runs in a fresh interpreter: in this one other tests have already
imported the submodules, which would hide a missing lazy import.
"""

from __future__ import annotations

import subprocess
import sys


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
