"""An Airflow DAG: convert the day's new BMA exports, then load them into PostgreSQL.

Copy this file into your DAGs folder and set the three names below. The workers need
``pip install 'bmaparse[postgres]'`` and a folder both tasks can reach (``OUT``). Both
tasks are idempotent, so a retry or a rerun of any day is safe:

- ``convert`` runs ``bmaparse.convert(..., incremental=True)``: inputs already in ``OUT``
  (same path, same sha256) are skipped, new ones are appended; it returns the run's
  summary (``ConvertSummary.as_dict()``, plain JSON, kept as the task's XCom). It fails
  the task only when the run itself failed (an exception); inputs with parse errors
  are in the summary (``errors``, ``failed_inputs``) and in the ``diagnostics`` table;
  raise on ``summary.exit_code`` instead if they should stop the load.
- ``load`` runs ``bmaparse.load_into(OUT, target)``: one transaction; loading the same
  folder again changes nothing (``unchanged``); it returns the ``LoadSummary`` as a
  dict (rows deleted and inserted per table, the target with its password masked). A
  ``bmaparse.LoadError`` (server unreachable, wrong password, a table altered by hand)
  fails the task with one line naming the target and what to do; the database keeps
  its previous state, so the retry starts clean.

The target comes from an Airflow connection (Admin > Connections, type Postgres; its
"schema" field is the database), never from the DAG file. Add ``?schema=NAME`` to load
into a PostgreSQL schema other than ``public``.

Checked with ``python -m py_compile``; it needs Airflow 2.4 or later (``schedule=``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pendulum
from airflow.decorators import dag, task

EXPORTS = "/data/bma/exports"
"""Where the exports arrive: text files, folders, .zip archives."""
OUT = "/data/bma/converted"
"""The converted folder (Parquet), kept between runs: convert --incremental appends to it."""
CONNECTION_ID = "bma_warehouse"
"""The Airflow connection of the PostgreSQL database."""


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Bangkok"),
    catchup=False,
    max_active_runs=1,  # one convert writes OUT at a time (a second would be refused)
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
    tags=["bmaparse"],
)
def bmaparse_warehouse() -> None:
    @task
    def convert() -> dict[str, Any]:
        import bmaparse

        summary = bmaparse.convert([EXPORTS], OUT, incremental=True, jobs=2)
        return summary.as_dict()

    @task
    def load(converted: dict[str, Any]) -> dict[str, Any]:
        from airflow.hooks.base import BaseHook

        import bmaparse

        target = BaseHook.get_connection(CONNECTION_ID).get_uri()  # postgres://user:pw@host/db
        summary = bmaparse.load_into(converted["out"], target)
        return dataclasses.asdict(summary)

    load(convert())


bmaparse_warehouse()
