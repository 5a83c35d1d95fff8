"""`wiretrace migrate` on a warehouse of the storage before DuckLake, built from a real seed run.

The old-format file is made with the legacy migrations (warehouse/sql/0NN_*.sql, as every
warehouse before DuckLake has them) and the rows of a seed run; converted, every table must hold
the same rows both ways, and every README question must answer the same.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_warehouse
from warehouse import db, lake
from warehouse.migrate import MigrateError, migrate_legacy
from warehouse.report_queries import load_questions
from wiretrace import open_warehouse

REPO = Path(__file__).resolve().parents[2]
WIRETRACE = str(Path(sys.executable).with_name("wiretrace"))


@pytest.fixture(scope="module")
def seed_lake(seeds_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a copy of the session's run on the seeds (tests/conftest.py): legacy() writes beside it
    return copy_warehouse(seeds_run, tmp_path_factory.mktemp("migrate") / "seeds")


@pytest.fixture(scope="module")
def legacy(seed_lake: Path) -> Path:
    """A DuckDB-file warehouse with the legacy schema holding the seed run's rows."""
    old = seed_lake.parent / "old.duckdb"
    con = lake.connect(seed_lake, read_only=True)
    try:
        con.execute(f"ATTACH '{old}' AS legacy")
        con.execute("USE legacy")
        assert db.migrate(con, db.SQL_DIR)  # the legacy files, into the plain DuckDB file
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'legacy' AND table_name <> "
            "'schema_migrations'"
        ).fetchall():
            # the legacy columns only: the lake has added some since (story_terms.t, lake/003)
            columns = ", ".join(f'"{c}"' for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'legacy' AND table_name = ?",
                [table],
            ).fetchall())  # fmt: skip
            con.execute(f"INSERT INTO legacy.{table} BY NAME SELECT {columns} FROM {lake.ALIAS}.{table}")
        con.execute("USE wiretrace")
        con.execute("DETACH legacy")
    finally:
        con.close()
    return old


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name <> 'schema_migrations' ORDER BY 1"
    ).fetchall()
    return [t for (t,) in rows]


def test_migrate_converts_every_table_and_leaves_the_old_file(legacy: Path, tmp_path: Path) -> None:
    before = legacy.read_bytes()
    new = tmp_path / "new.sqlite"
    done = subprocess.run(
        [WIRETRACE, "migrate", "--from", str(legacy), "--db", str(new)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "articles 5" in done.stdout and "left as it was" in done.stdout
    assert legacy.read_bytes() == before
    old = duckdb.connect(str(legacy), read_only=True)
    con = open_warehouse(new)
    try:
        con.execute(f"ATTACH '{legacy}' AS legacy (READ_ONLY)")
        tables = _tables(old)
        assert "articles" in tables and set(tables) <= set(_tables(con))
        for table in tables:
            columns = ", ".join(f'"{c}"' for (c,) in old.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]
            ).fetchall())  # fmt: skip
            for a, b in (("legacy.main", "wiretrace.main"), ("wiretrace.main", "legacy.main")):
                extra = con.execute(
                    f"SELECT count(*) FROM (SELECT {columns} FROM {a}.{table} EXCEPT ALL "
                    f"SELECT {columns} FROM {b}.{table})"
                ).fetchone()[0]
                assert extra == 0, f"{table}: {extra} rows of {a} not in {b}"
        assert con.execute("SELECT * FROM duplicate_keys").fetchall() == []
        # the lake's own migrations ran on it too (lake/006's notes on the runs columns)
        assert (
            "pages_fetched"
            in con.execute(
                """SELECT comment FROM duckdb_columns() WHERE database_name = current_database()
               AND table_name = 'runs' AND column_name = 'inputs_seen'"""
            ).fetchone()[0]
        )
        # keyword rows get their articles' times (lake/003), which the legacy file never had
        assert con.execute(
            "SELECT count(*) FROM story_terms WHERE t IS NULL OR dated IS NULL"
        ).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM story_terms").fetchone()[0] > 0
        # and the index rows their articles' load times (lake/004), which their lookups filter on
        for table in ("reuse_fingerprints", "near_duplicate_bands", "near_duplicate_signatures"):
            missing, held = con.execute(
                f"""SELECT count(*) FILTER (WHERE x.loaded_at IS DISTINCT FROM a.updated_at), count(*)
                    FROM {table} x JOIN articles a USING (article_id)"""
            ).fetchone()
            assert missing == 0 and held > 0, table
        # the README's questions answer the same on the old file and the lake
        for q in load_questions():
            assert sorted(map(repr, old.execute(q.sql).fetchall())) == sorted(
                map(repr, con.execute(q.sql).fetchall())
            ), q.name
    finally:
        old.close()
        con.close()
    # and the lake takes runs: a second migrate into it is refused, the old file untouched
    with pytest.raises(MigrateError, match="already holds a warehouse"):
        migrate_legacy(legacy, new)
    assert legacy.read_bytes() == before


def test_run_on_a_legacy_warehouse_names_the_command_that_converts_it(legacy: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [WIRETRACE, "run", "--seeds", str(tmp_path), "--db", str(legacy)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"wiretrace migrate --from {legacy}" in done.stderr
    # still readable as it is
    with open_warehouse(legacy) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
