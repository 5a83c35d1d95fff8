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
    """There is no warehouse at the path: nothing has run yet, or the path is wrong."""


def open_warehouse(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse ($WIRETRACE_DB, else warehouse/wiretrace.sqlite).

    The DuckLake is attached read-only as `wiretrace` and USEd: every documented table and view
    answers on it. Like every analyst session it reads a snapshot: it never waits for a run, and a
    run never waits for it (README, Warehouse). A legacy `.duckdb` file opens read-only as it is.
    """
    from settings import default_db
    from warehouse import lake
    from warehouse.readonly import open_read_only

    try:
        return open_read_only(path if path else default_db())
    except lake.WarehouseNotFound as exc:
        raise WarehouseNotFound(str(exc)) from None
