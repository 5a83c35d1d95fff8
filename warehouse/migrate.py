"""`wiretrace migrate`: a warehouse of the storage before DuckLake (one DuckDB file) into a lake.

The old file is attached READ_ONLY and never written. Every table of the lake schema is filled
from the table of the same name, by column name, in **one transaction**: the new warehouse
holds all of the old one or nothing. A column the old file lacks (a legacy migration it never got,
or one the lake added since) is left NULL, so any legacy version converts.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import db, lake, provenance


class MigrateError(RuntimeError):
    """The old warehouse cannot be converted (not a DuckDB warehouse, or the target holds data)."""


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        """SELECT table_name FROM duckdb_tables()
           WHERE database_name = ? AND schema_name = 'main' ORDER BY table_name""",
        [catalog],
    ).fetchall()
    return [name for (name,) in rows]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    rows = con.execute(
        """SELECT column_name FROM duckdb_columns()
           WHERE database_name = ? AND schema_name = 'main' AND table_name = ? ORDER BY column_index""",
        [catalog, table],
    ).fetchall()
    return [name for (name,) in rows]


def migrate_legacy(old: str | Path, new: str | Path) -> dict[str, int]:
    """Copy every table of the legacy warehouse `old` into the lake `new`; rows per table."""
    old = Path(old)
    if not lake.is_legacy(old):
        raise MigrateError(f"{old} is not a DuckDB warehouse file (nothing to convert)")
    con = db.connect(new)
    try:
        con.execute(f"ATTACH {lake._quote(str(old.absolute()))} AS legacy (READ_ONLY)")
        source = set(_tables(con, "legacy"))
        if not {"schema_migrations", "articles"} <= source:
            raise MigrateError(f"{old} is a DuckDB file but not a wiretrace warehouse (no articles table)")
        tables = [t for t in _tables(con, lake.ALIAS) if t != "schema_migrations"]
        held = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        if held:
            raise MigrateError(f"{new} already holds a warehouse ({held} articles); choose a new --db")
        counts: dict[str, int] = {}
        with db.transaction(con):
            for table in tables:
                if table not in source:
                    counts[table] = 0
                    continue
                shared = [c for c in _columns(con, lake.ALIAS, table) if c in _columns(con, "legacy", table)]
                names = ", ".join(f'"{c}"' for c in shared)
                # runs and friends may hold rows already (a run of the new version): the old ones win
                con.execute(f"DELETE FROM {lake.ALIAS}.main.{table}")
                con.execute(
                    f"INSERT INTO {lake.ALIAS}.main.{table} ({names}) SELECT {names} FROM legacy.{table}"
                )
                counts[table] = con.execute(f"SELECT count(*) FROM {lake.ALIAS}.main.{table}").fetchone()[0]
            # columns the lake derives from other tables rather than leaves NULL (lake/003, lake/004)
            provenance.fill_story_term_times(con)
            provenance.fill_loaded_at(con)
        con.execute("DETACH legacy")
    finally:
        con.close()
    return counts
