"""How analysts, reports and checks open the warehouse: read-only, on a snapshot that never waits for a run.

Kept apart from warehouse/session.py (a run's connection) so that opening the warehouse to read
imports only the lake connection, not the loaders: `wiretrace sql` and `open_warehouse()` start fast.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import lake


def open_read_only(db: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse at `db` (a catalog path or a PostgreSQL catalog).

    The DuckLake is attached read-only as `wiretrace` and USEd. A legacy `.duckdb` file (the storage
    before DuckLake) opens read-only as it is; `wiretrace migrate` converts it for runs.
    lake.WarehouseNotFound when there is no warehouse at `db`.
    """
    if lake.is_legacy(db):
        return duckdb.connect(str(db), read_only=True)
    return lake.connect(db, read_only=True)
