"""bmaparse: BMA project-report text exports in, typed data out.

>>> import bmaparse
>>> report = bmaparse.parse(text)                       # one report from a str
>>> for report in bmaparse.read("50240000-7108.txt"):   # a file or bytes: decode, split, stream
...     ...
>>> tables = bmaparse.to_tables(reports)                # dict[str, pyarrow.Table]
>>> frames = bmaparse.to_pandas(reports)                # dict[str, pandas.DataFrame]
>>> summary = bmaparse.convert(["exports/"], "out/")    # the batch converter, into tables
>>> bmaparse.verify("out/").ok                           # do its tables and manifest agree?
>>> bmaparse.merge(["part1/", "part2/"], "out/")       # the folders of convert --shard K/N
>>> bmaparse.audit.findings("out/")                      # what looks wrong (docs/audit.md)
>>> bmaparse.load_into("out/", "postgresql://...")       # into a warehouse (docs/warehouse.md)

``bmaparse.compiled`` says whether the optional compiled kernels are in use
(``bmaparse.implementation`` says why not; ``BMAPARSE_PURE_PYTHON=1`` forces the
pure-Python reference).

``to_tables``, ``to_pandas``, ``convert`` (and its ``ConvertSummary``), ``merge``, ``verify``
and ``load_into`` are imported on first use (they load pyarrow, and pandas), so ``import bmaparse``
stays light for code that only parses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _compiled
from ._parser import parse
from ._read import Document, Limits, load, read
from .errors import (
    BmaparseError,
    LoadError,
    OutputBusyError,
    OutputError,
    ParseError,
    UsageError,
)
from .model import (
    PARSER_VERSION,
    SCHEMA_VERSION,
    BudgetFigure,
    Diagnostic,
    Kpi,
    KpiEntry,
    KpiSection,
    Objective,
    ProgressUpdate,
    QuarterlyResult,
    Report,
    StrategyLink,
)

if TYPE_CHECKING:
    from . import analysis as analysis  # the aliases re-export them
    from . import audit as audit
    from . import synth as synth
    from ._merge import merge
    from ._verify import verify
    from .batch import ConvertSummary, convert
    from .tables import to_pandas, to_tables
    from .warehouse import load_into

__version__ = PARSER_VERSION

compiled: bool = _compiled.COMPILED
"""True when the optional compiled kernels are in use (see ``implementation``)."""
implementation: str = _compiled.IMPLEMENTATION
"""``"compiled"``, or ``"pure Python (why)"``."""

__all__ = (
    "PARSER_VERSION",
    "SCHEMA_VERSION",
    "BmaparseError",
    "BudgetFigure",
    "ConvertSummary",
    "Diagnostic",
    "Document",
    "Kpi",
    "KpiEntry",
    "KpiSection",
    "Limits",
    "LoadError",
    "Objective",
    "OutputBusyError",
    "OutputError",
    "ParseError",
    "ProgressUpdate",
    "QuarterlyResult",
    "Report",
    "StrategyLink",
    "UsageError",
    "__version__",
    "compiled",
    "convert",
    "implementation",
    "load",
    "load_into",
    "merge",
    "parse",
    "read",
    "to_pandas",
    "to_tables",
    "verify",
)


_LAZY = {"to_tables": "tables", "to_pandas": "tables", "convert": "batch", "ConvertSummary": "batch",
         "verify": "_verify", "merge": "_merge", "load_into": "warehouse"}
"""Public names whose modules load pyarrow: imported on first use."""

_LAZY_MODULES = ("synth", "analysis", "audit")
"""Public submodules, imported on first use: ``bmaparse.synth`` without ``import bmaparse.synth``
(``analysis`` and ``audit``: the analysis tables and findings of a converted folder)."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'bmaparse' has no attribute {name!r}")
