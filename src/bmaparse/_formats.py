"""The output formats, by name: one list for the writers (each the name of its
module, ``bmaparse.writers.FORMATS``), ``convert``'s check of ``fmt`` and the
command line's ``--format`` choices. A module of its own because the writers
package loads pyarrow, and ``bmaparse --help`` must not."""

FORMATS = ("parquet", "csv", "jsonl", "duckdb")
"""The output formats, by the name ``writers.open_sink`` takes."""
