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

from ..errors import UsageError
from ..tables import SCHEMAS
from ._load import Folder, load
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
    whole, never left half-written); the counts it shows, with ``bytes`` written.

    UsageError, with nothing written, when ``html`` is a folder, is in no folder, or is a
    file that ``convert`` writes in ``out`` (its tables, manifest, working folder)."""
    folder = load(out)
    target = _target(folder, html)
    page, counts = render(folder, findings_limit=findings_limit, errors_limit=errors_limit)
    data = page.encode("utf-8")
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # beside it: same disk
    try:
        with temp.open("wb") as file:  # the umask's permissions, as for any new file
            file.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return {**counts, "bytes": len(data)}


def _target(folder: Folder, html: str | Path) -> Path:
    """``html`` as an absolute path (``..`` resolved), or UsageError when the page may not
    be written there."""
    target = Path(os.path.abspath(html))
    if target.is_dir() or not target.name:
        raise UsageError(f"{html}: is a folder; -o names the page's file (e.g. report.html)")
    inside = Path(os.path.realpath(target))
    base = Path(os.path.realpath(folder.path))
    if inside.is_relative_to(base) and _written_by_convert(inside.relative_to(base), folder):
        raise UsageError(f"{html}: is a file bmaparse convert writes in {folder.path};"
                         " write the page elsewhere (e.g. report.html)")
    if not target.parent.is_dir():
        raise UsageError(f"{html}: no folder {target.parent} to write it in")
    return target


def _written_by_convert(relative: Path, folder: Folder) -> bool:
    """Whether ``relative`` (a path inside the converted folder) is, or could be, one of
    its tables, its manifest or its working folder (``.bmaparse``)."""
    name = relative.name
    files = {str(path) for path in folder.manifest.get("files", {}).values()}
    return (relative.parts[0] == ".bmaparse" or str(relative) in files
            or name == "manifest.json" or name.startswith("bmaparse.duckdb")
            or (len(relative.parts) == 1 and name.split(".")[0] in SCHEMAS))
