"""How a run gets its warehouse connection, and how analysts never block it.

The warehouse is a DuckLake (warehouse/lake.py): every commit is a new snapshot of the catalog,
so there is nothing to copy or publish. Analysts, reports and checks attach read-only and read
a snapshot: a run committing meanwhile neither waits for them nor breaks their session, and
their next query (or session) sees its rows.

A run writes in batches, each one transaction (`db.transaction`) under the load lock, held
from BEGIN to COMMIT: two runs (on one machine, or on many with a PostgreSQL catalog) fetch,
extract and tag at the same time and only take turns to load. A batch that fails, or a process
killed in the middle of one, leaves the warehouse as it was before that batch.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse import db, lake
from warehouse.lake import LegacyWarehouse, WarehouseBusy

__all__ = ["LegacyWarehouse", "WarehouseBusy", "check_writable", "run_session"]


def legacy_beside(db_path: str | Path) -> Path | None:
    """A legacy DuckDB warehouse that `db_path` replaces and that was not converted yet.

    `warehouse/wiretrace.duckdb` beside a missing `warehouse/wiretrace.sqlite`: the user upgraded
    wiretrace and has not run `wiretrace migrate` yet, so a run would start an empty warehouse.
    """
    where = lake.locate(db_path)
    if where.file is None:
        return None
    if lake.is_legacy(where.file):
        return where.file
    old = where.file.with_suffix(".duckdb")
    return old if not where.file.exists() and lake.is_legacy(old) else None


def check_writable(db_path: str | Path) -> None:
    """OSError unless a run could write the warehouse at db_path (its folder, catalog, data and lock).

    LegacyWarehouse when db_path is (or replaces) a warehouse of the storage before DuckLake.
    """
    if (old := legacy_beside(db_path)) is not None:
        raise LegacyWarehouse(lake.legacy_message(old, None if old == Path(db_path).absolute() else db_path))
    where = lake.locate(db_path)
    if where.file is None:
        return  # PostgreSQL: connecting says whether the catalog can be written
    where.file.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(where.lock_file, os.O_RDWR | os.O_CREAT, 0o644))  # type: ignore[arg-type]
    data = Path(where.data_path or "")
    # SQLite writes its -wal and -shm files beside the catalog, and DuckLake new Parquet files.
    for path in (where.file.parent, where.file, data):
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(13, "Permission denied", str(path))


@contextlib.contextmanager
def run_session(db_path: str | Path, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable, migrated connection for one run.

    Its batches wait up to `wait` seconds (default: `settings.lock_wait()`) for another writer's
    load lock, then raise `WarehouseBusy` without writing. Nothing is copied, before or after.
    """
    check_writable(db_path)
    con = db.connect(db_path, wait=wait)
    try:
        yield con
    finally:
        con.close()
