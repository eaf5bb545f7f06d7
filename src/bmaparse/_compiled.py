"""Which implementation runs the hot path: the compiled kernels or the pure-Python reference.

The compiled extension ``bmaparse._ckernels`` (built from ``_ckernels.pyx`` by
``pip install`` where a C compiler works) is optional. It is chosen once, at
import, by :func:`select`; the rest of the package takes its kernels from here
(``_compiled.normalize_lines``; ``_compiled.tokenize``, which ``_lexer.tokenize``
calls; ``_compiled.without_surrogates``, which ``_parser`` calls) and never
imports the extension itself, so one switch decides for the whole process
(``_values`` takes ``_compiled.to_ascii_digits`` and ``model`` calls
``_compiled.install_record_inits`` when they are imported: see below):

* ``BMAPARSE_PURE_PYTHON=1`` in the environment forces the pure-Python modules;
* an extension that does not import (not built: no compiler at install time)
  falls back to them too, and :data:`IMPLEMENTATION` says why, once, for
  ``bmaparse --version`` to show; nothing is printed on import.

The pure-Python modules stay the reference: the compiled kernels must give
identical output for every input (``tests/test_compiled*.py``: ``_lexer``,
``_surrogates``, ``_values``, ``_records``). The kernels are ``normalize_lines``
(the reference is ``_normalize.normalize_lines``), ``tokenize`` of a str,
which normalises and classifies every line (the reference is
``_lexer.pure_tokenize``), ``without_surrogates`` (``_normalize``'s) and
``to_ascii_digits`` (``_values.pure_to_ascii_digits``; None in pure Python, where
``_values`` keeps its own). This module imports none of ``_values`` and ``model``,
so it has chosen by the time they ask.

The section rules and value readers are a second extension, ``bmaparse._crules``
(:data:`rules`): ``_values`` and ``_rules`` hand it their tables when they are
imported (``bind_values``, ``bind_rules``: it imports no module that imports
them) and take its ``find_money``, ``number``, ``percent``, ``money``,
``header``, ``body``, ``strategy``, ``progress``, ``kpi`` and ``measure`` in
place of their ``pure_`` references (``tests/test_compiled_rules.py``). Both
extensions are built by the same ``pip install``; they are used together or
not at all: :data:`COMPILED` is True only when both import (a build with one of
them missing runs pure Python, and :data:`IMPLEMENTATION` names the missing one).

The records of the Report tree (``model``: frozen slotted dataclasses) are built
by their generated ``__init__``, which stores each field through
``object.__setattr__``, a Python call per field. With the extension selected,
``install_record_inits`` (which ``model`` calls on ``RECORD_CLASSES``) gives each
record class ``_ckernels.record_init`` instead: the same binding of the
arguments, then each value stored in its slot from C (a call it does not bind
plainly goes to the generated ``__init__``, kept, so errors read the same;
``tests/test_compiled_records.py``); ``model.COMPILED_RECORDS`` lists the classes
it took, none in pure Python. Measured: the records of a synthetic report
13.9 -> 9.2 µs, most of what is left being Python's own cost of a call with
keywords (8 µs for an ``__init__`` that does nothing).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import NamedTuple

from . import _lexer, _normalize

__all__ = [
    "COMPILED", "IMPLEMENTATION", "PURE_PYTHON_ENV", "Kernels", "install_record_inits", "normalize_lines", "rules",
    "select", "to_ascii_digits", "tokenize", "without_surrogates",
]

PURE_PYTHON_ENV = "BMAPARSE_PURE_PYTHON"
"""Set to anything but ``""`` or ``"0"`` to run the pure-Python modules."""


class Kernels(NamedTuple):
    """The functions of the hot path, and a line saying which implementation they are."""

    implementation: str
    normalize_lines: Callable[[str], list[str]]
    tokenize: Callable[[str, int], list[_lexer.Token]]
    without_surrogates: Callable[[str], str]
    install_record_inits: Callable[[Sequence[type]], tuple[type, ...]]
    to_ascii_digits: Callable[[str], str] | None
    rules: ModuleType | None
    """The compiled section rules and value readers (``_crules``), not yet bound."""

    @property
    def compiled(self) -> bool:
        return self.implementation == "compiled"


def select(environ: Mapping[str, str]) -> Kernels:
    """The compiled kernels if they import and ``environ`` does not forbid them."""
    if environ.get(PURE_PYTHON_ENV, "") not in ("", "0"):
        return _pure(f"{PURE_PYTHON_ENV} is set")
    try:
        from ._ckernels import install_record_inits
        from ._ckernels import normalize_lines as compiled_normalize_lines
        from ._ckernels import to_ascii_digits as compiled_to_ascii_digits
        from ._ckernels import tokenize as compiled_tokenize
        from ._ckernels import without_surrogates as compiled_without_surrogates
        crules = importlib.import_module(f"{__package__}._crules")  # (through sys.modules, as the above)
    except ModuleNotFoundError as exc:
        return _pure(f"the compiled extension {exc.name} is not built: no C compiler at install time?")
    except ImportError as exc:  # built, but for another Python, or damaged
        return _pure(f"the compiled extension fails: {exc}")
    return Kernels("compiled", compiled_normalize_lines, compiled_tokenize, compiled_without_surrogates,
                   install_record_inits, compiled_to_ascii_digits, crules)


def _pure(why: str) -> Kernels:
    return Kernels(f"pure Python ({why})", _normalize.normalize_lines, _lexer.pure_tokenize,
                   _normalize.without_surrogates, _keep_record_inits, None, None)


def _keep_record_inits(classes: Sequence[type]) -> tuple[type, ...]:
    """Pure Python: the record classes keep their generated ``__init__``."""
    return ()


_KERNELS = select(os.environ)
COMPILED: bool = _KERNELS.compiled
"""True when the compiled kernels are in use."""
IMPLEMENTATION: str = _KERNELS.implementation
"""``"compiled"``, or ``"pure Python (why)"``."""
normalize_lines = _KERNELS.normalize_lines
tokenize = _KERNELS.tokenize
without_surrogates = _KERNELS.without_surrogates
install_record_inits = _KERNELS.install_record_inits
to_ascii_digits = _KERNELS.to_ascii_digits
rules = _KERNELS.rules
