"""The output formats, by name: one list for the writers (each the name of its
module, ``bmaparse.writers.FORMATS``), ``convert``'s check of ``fmt`` and the
command line's ``--format`` choices. A module of its own because the writers
package loads pyarrow, and ``bmaparse --help`` must not."""

from typing import Literal, get_args

Format = Literal["parquet", "csv", "jsonl", "duckdb"]
"""An output format, by the name ``writers.open_sink`` takes."""

FORMATS: tuple[Format, ...] = get_args(Format)
"""Every output format, in the order the command line lists them."""
