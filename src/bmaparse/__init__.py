"""bmaparse: BMA project-report text exports in, typed data out.

>>> import bmaparse
>>> report = bmaparse.parse(text)                # one report from a str
>>> for report in bmaparse.read("exports/"):     # not a folder: a file or bytes
...     ...
>>> tables = bmaparse.to_tables(reports)         # dict[str, pyarrow.Table]
"""

from ._parser import parse
from ._read import Document, load, read
from .errors import ParseError
from .model import (
    PARSER_VERSION,
    SCHEMA_VERSION,
    BudgetFigure,
    Diagnostic,
    Kpi,
    Objective,
    ProgressUpdate,
    QuarterlyResult,
    Report,
    StrategyLink,
)
from .tables import to_pandas, to_tables

__version__ = PARSER_VERSION

__all__ = (
    "PARSER_VERSION",
    "SCHEMA_VERSION",
    "BudgetFigure",
    "Diagnostic",
    "Document",
    "Kpi",
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
