"""The PostgreSQL target (being written: see docs/warehouse.md when it lands)."""

from __future__ import annotations

import psycopg  # noqa: F401  (the driver: a missing one is load_into's one line)

from ..errors import LoadError
from ._spec import Incoming, LoadSummary


def load(location: str, incoming: Incoming) -> LoadSummary:
    """Load ``incoming`` into the PostgreSQL database at the URL ``location``."""
    raise LoadError("the PostgreSQL load is not written yet")
