"""How a run gets its warehouse connection.

A run opens the warehouse through `run_session` and nothing else, so that how runs
coexist with analysts' sessions (locks, publishing) is decided in this one place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse import db


@contextlib.contextmanager
def run_session(db_path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable, migrated connection for the duration of one run."""
    con = db.connect(db_path)
    try:
        yield con
    finally:
        con.close()
