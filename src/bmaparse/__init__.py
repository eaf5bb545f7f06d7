"""bmaparse: BMA project-report text exports in, typed data out.

>>> import bmaparse
>>> report = bmaparse.parse(text)                       # one report from a str
>>> for report in bmaparse.read("50240000-7108.txt"):   # a file or bytes: decode, split, stream
...     ...
>>> tables = bmaparse.to_tables(reports)                # dict[str, pyarrow.Table]
>>> frames = bmaparse.to_pandas(reports)                # dict[str, pandas.DataFrame]

``to_tables`` and ``to_pandas`` load pyarrow (and pandas) on first use, so
``import bmaparse`` stays light for code that only parses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._parser import parse
from ._read import Document, Limits, load, read
from .errors import ParseError
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
    from .tables import to_pandas, to_tables

__version__ = PARSER_VERSION

__all__ = (
    "PARSER_VERSION",
    "SCHEMA_VERSION",
    "BudgetFigure",
    "Diagnostic",
    "Document",
    "Kpi",
    "KpiEntry",
    "KpiSection",
    "Limits",
    "Objective",
    "ParseError",
    "ProgressUpdate",
    "QuarterlyResult",
    "Report",
    "StrategyLink",
    "__version__",
    "load",
    "parse",
    "read",
    "to_pandas",
    "to_tables",
)


def __getattr__(name: str) -> Any:
    if name in ("to_tables", "to_pandas"):
        from . import tables

        return getattr(tables, name)
    raise AttributeError(f"module 'bmaparse' has no attribute {name!r}")
