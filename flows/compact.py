"""The daily maintenance flow of the lake: `wiretrace compact` as a Prefect deployment.

Never part of a run: it rewrites files, and a run's cost must follow its new work only.
Its steps run in a child process (warehouse.lake.compact): a step that dies fails this flow run with
the step's name and signal (CompactionFailed) while the worker that runs it lives on.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from settings import DEFAULT_DB
from warehouse import db, lake

FLOW_NAME = "wiretrace-compact"


@flow(name=FLOW_NAME, log_prints=True)
def compact_warehouse(db_path: str = str(DEFAULT_DB), days: float | None = None) -> dict[str, int]:
    """Flush inlined rows, merge small files, expire snapshots older than `days`, delete unused files."""
    con = db.connect(db_path)
    try:
        done = lake.compact(con, days)
    finally:
        con.close()
    get_run_logger().info("compacted %s: %s", db_path, done)
    return done
