"""What a warehouse load does, whatever the target: the order tables are loaded in, how
each table's old rows are replaced, what a load hands to a target, what it reports back.

Strategy: a converted folder is loaded whole, as one unit. A report is replaced whole:
its row in ``reports`` and every row of it in the child tables (and its diagnostics)
are deleted and the folder's rows inserted, so that loading the same folder twice
changes nothing and loading a later convert upserts by key. ``reports`` is written last:
a reader that takes its report keys from ``reports`` never sees a half-loaded report.
The tables computed over a whole folder are replaced per project (``projects``,
``progress_history``, ``project_budget``), per KPI (``kpi_results``) or whole
(``findings``: judgements over the archive as the folder holds it). Row keys are
``tables.TABLE_KEYS``; a key column may be nullable, and null then equals null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from ..tables import SCHEMAS

LOAD_ORDER: tuple[str, ...] = (*(n for n in SCHEMAS if n != "reports"), "reports")
"""Every table, in the order a target writes them: ``reports`` last (it marks completion)."""

Replace = Literal["report", "diagnostics", "project", "kpi", "whole"]

REPLACED_BY: dict[str, Replace] = {
    name: ("diagnostics" if name == "diagnostics" else
           "project" if name in ("projects", "progress_history", "project_budget") else
           "kpi" if name == "kpi_results" else
           "whole" if name == "findings" else "report")
    for name in SCHEMAS
}
"""Table -> which of the target's rows a load deletes before it inserts the folder's:

- ``report``: rows whose ``report_key`` is in the folder's ``reports``;
- ``diagnostics``: those rows, and the file-level rows (``report_key`` null) whose
  ``source_path`` is the path of an input of the folder (``Incoming.source_paths``);
- ``project``: rows whose ``project_id`` is in the folder's ``projects``;
- ``kpi``: rows whose ``kpi_key`` is in the folder's ``kpi_results``;
- ``whole``: every row.
"""

LOADS_TABLE = "bmaparse_loads"
"""The target's record of its loads: one row per load that changed something
(``folder_id``, ``source``, ``schema_version``, ``parser_version``, ``loaded_at``,
``reports``, ``rows``); a load whose ``folder_id`` is the latest recorded changes nothing."""


@dataclass(frozen=True)
class Incoming:
    """What a load hands to a target: a converted folder's tables and who it is."""

    tables: Mapping[str, pa.Table]
    """Every table of ``SCHEMAS``, typed by it (empty tables included)."""
    folder_id: str
    """sha256 of the folder's manifest: the same convert gives the same id."""
    source: str
    """The folder, as the user named it (recorded in ``bmaparse_loads``)."""
    schema_version: str
    parser_version: str
    source_paths: frozenset[str]
    """The ``source_path`` of every input the folder's manifest lists."""


@dataclass(frozen=True)
class TableLoad:
    """One table's part of a load."""

    deleted: int
    """Rows of the target replaced (deleted before the insert)."""
    inserted: int


@dataclass(frozen=True)
class LoadSummary:
    """What ``load_into`` did, as data (an Airflow task returns it)."""

    target: str
    """The target, with any password masked."""
    unchanged: bool
    """True when the folder was the target's latest load already: nothing was written."""
    tables: dict[str, TableLoad] = field(default_factory=dict)
    evolved: tuple[str, ...] = ()
    """Columns added to the target's tables (``table.column``) to match a newer schema."""
    seconds: float = 0.0
