"""The schema listing (warehouse/sql/lake/schema.sql) is what the migrations build, and builds it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse import lake, schema_listing
from warehouse.session import run_session


@pytest.fixture(scope="module")
def fresh_lake(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("listing") / "w.sqlite"
    with run_session(db):
        pass
    con = lake.connect(db, read_only=True)
    yield con
    con.close()


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str, bool]]]:
    rows = con.execute(
        """SELECT c.table_name, c.column_name, c.data_type, c.is_nullable FROM duckdb_columns() c
           JOIN duckdb_tables() t ON t.database_name = c.database_name AND t.table_name = c.table_name
           WHERE c.database_name = current_database() ORDER BY c.table_name, c.column_index"""
    ).fetchall()
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, nullable in rows:
        out.setdefault(table, []).append((column, data_type, nullable))
    return out


def _views(con: duckdb.DuckDBPyConnection) -> set[str]:
    query = "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
    return {name for (name,) in con.execute(query).fetchall()}


def test_committed_listing_is_what_the_migrations_build(fresh_lake) -> None:
    committed = schema_listing.LISTING.read_text(encoding="utf-8")
    assert committed == schema_listing.render(fresh_lake), (
        "warehouse/sql/lake/schema.sql is out of date with the migrations: run `make schema`"
    )


def test_column_comments_of_the_catalog_are_what_the_listing_shows(fresh_lake) -> None:
    # lake/006 says what runs.status and inputs_seen hold now: the catalog keeps it (COMMENT ON), and
    # the listing shows it instead of the older note beside the column's definition in 001
    comments = dict(
        fresh_lake.execute(
            """SELECT column_name, comment FROM duckdb_columns()
               WHERE database_name = current_database() AND table_name = 'runs' AND comment IS NOT NULL"""
        ).fetchall()
    )
    assert "pages_fetched" in comments["inputs_seen"] and "'crashed' when it failed" in comments["status"]
    assert (
        schema_listing.read_history().column_notes[("runs", "inputs_seen")]
        == "seed files / feed pages considered"
    )
    listing = schema_listing.LISTING.read_text(encoding="utf-8")
    for column in ("status", "finished_at", "inputs_seen"):
        assert f"-- {comments[column]}\n" in listing, column
    assert "feed pages considered" not in listing


def test_listing_run_as_sql_builds_the_same_tables_and_views(fresh_lake) -> None:
    plain = duckdb.connect()
    plain.execute(schema_listing.LISTING.read_text(encoding="utf-8"))
    assert _columns(plain) == _columns(fresh_lake)
    assert _views(plain) == _views(fresh_lake)
    # a view redefined by later migrations is listed once, as its last definition
    listing = schema_listing.LISTING.read_text(encoding="utf-8")
    assert listing.count("VIEW story_timeline AS") == 1
    last = schema_listing.read_history().views["story_timeline"].text
    assert "date_shown" in last and last in listing


def test_statements_split_outside_quotes_and_comments() -> None:
    sql = """-- about t
-- more about t
CREATE TABLE t (a VARCHAR); -- trailing; note

-- unrelated block

-- about v
CREATE VIEW v AS SELECT ';' AS semi /* ; */ FROM t;
"""
    first, second = schema_listing.split_statements(sql, "x.sql")
    assert first.comments == ("-- about t", "-- more about t")
    assert first.text == "CREATE TABLE t (a VARCHAR); -- trailing; note"
    assert second.comments == ("-- about v",)
    assert second.text == "CREATE VIEW v AS SELECT ';' AS semi /* ; */ FROM t;"


def test_history_keeps_the_last_view_definition_and_column_notes(tmp_path: Path) -> None:
    (tmp_path / "001_a.sql").write_text(
        "CREATE TABLE t (\n    a VARCHAR NOT NULL, -- logical key\n    b INTEGER\n);\n"
        "CREATE VIEW v AS SELECT a FROM t;\n",
        encoding="utf-8",
    )
    (tmp_path / "002_b.sql").write_text(
        "-- what c is\nALTER TABLE t ADD COLUMN c DATE;\nCREATE OR REPLACE VIEW v AS SELECT a, c FROM t;\n",
        encoding="utf-8",
    )
    history = schema_listing.read_history(schema_listing.migration_files(tmp_path))
    assert history.views["v"].text == "CREATE OR REPLACE VIEW v AS SELECT a, c FROM t;"
    assert history.views["v"].file == "002_b.sql"
    assert history.column_notes == {("t", "a"): "logical key", ("t", "c"): "what c is"}
