"""``bmaparse report``: one self-contained HTML page about a converted folder.

Strategy: ``_load`` reads only the columns the page needs (any output format,
through ``writers.read_existing``), ``_aggregate`` turns them into a few dozen
numbers per chart with pyarrow compute, ``_svg`` draws each chart as inline SVG
and ``_page`` puts the page together with its style sheet and its one small
script inline. Nothing on the page is fetched (a Content-Security-Policy says
so to the browser), and it needs nothing beyond bmaparse's own dependencies.
The findings table, the only part that grows with the data, is cut at
``findings_limit`` rows and says so. docs/report.md shows the page.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._load import load
from ._page import render

__all__ = ("DEFAULT_ERRORS_LIMIT", "DEFAULT_FINDINGS_LIMIT", "write_report")

DEFAULT_FINDINGS_LIMIT = 5000
"""Findings listed in the page's table (all are counted in its chart)."""
DEFAULT_ERRORS_LIMIT = 200
"""Inputs with errors listed (all are counted)."""


def write_report(out: str | Path, html: str | Path, *,
                 findings_limit: int = DEFAULT_FINDINGS_LIMIT,
                 errors_limit: int = DEFAULT_ERRORS_LIMIT) -> dict[str, int]:
    """Write the report on the converted folder ``out`` to the file ``html`` (replaced
    whole, never left half-written); the counts it shows, with ``bytes`` written."""
    page, counts = render(load(out), findings_limit=findings_limit, errors_limit=errors_limit)
    data = page.encode("utf-8")
    target = Path(html)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # beside it: same disk
    try:
        with temp.open("wb") as file:  # the umask's permissions, as for any new file
            file.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return {**counts, "bytes": len(data)}
