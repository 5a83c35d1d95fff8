"""wiretrace: which outlets carried a story, when, and whose copy it is.

The analyst's way in from Python is `open_warehouse()`:

    .venv/bin/python -c "import wiretrace; print(wiretrace.open_warehouse().sql('FROM story_summary'))"

Importing this package stays light: duckdb and the settings load when the function is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["WarehouseNotFound", "open_warehouse"]


class WarehouseNotFound(FileNotFoundError):
    """There is no published warehouse at the path: nothing has run yet, or the path is wrong."""


def open_warehouse(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse ($WIRETRACE_DB, else warehouse/wiretrace.duckdb).

    Every documented table and view answers on it. Read-only like every analyst session: it never
    waits for a run, and a run never waits for it (README, Warehouse).
    """
    import duckdb

    from settings import default_db

    where = Path(path) if path else default_db()
    if not where.is_file():
        raise WarehouseNotFound(f"no warehouse at {where}: run `wiretrace run` first, or pass its path")
    return duckdb.connect(str(where), read_only=True)
