"""Migrations, transactions and the bulk loads of warehouse/db.py on real DuckDB files."""

from datetime import UTC, datetime

import duckdb
import pytest

from tests.conftest import CORPUS, SEEDS
from transforms.pipeline import article_id_for, process
from transforms.records import Failure, RawDocument
from warehouse import db

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def seed_items():
    items, raw = [], {}
    for path in sorted(SEEDS.glob("*.txt")):
        tagged = process(RawDocument(source_ref=path.name, data=path.read_bytes()))
        items.append((article_id_for(None, "seed", path.name), tagged))
        raw[tagged.content_hash] = (path.read_bytes(), "text/plain")
    return items, raw


def test_migrations_apply_once_in_order(tmp_path):
    path = tmp_path / "w.sqlite"
    con = db.connect(path)
    assert db.migrate(con) == []  # nothing left to apply
    versions = [
        r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    ]
    assert versions == [int(p.name[:3]) for p in db.migration_files()]
    assert {"articles", "article_sources", "ingest_failures", "raw_documents", "runs"} <= {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def test_an_edited_migration_is_refused(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    con.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(db.MigrationError, match=r"001_schema\.sql changed after it was applied"):
        db.migrate(con)


def test_transaction_rolls_back_everything_on_error(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    items, raw = seed_items()
    with pytest.raises(ZeroDivisionError), db.transaction(con):
        db.load_articles(con, items, raw, "v1", NOW)
        raise ZeroDivisionError("a failure after the load, inside the transaction")
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM raw_documents").fetchone()[0] == 0


def test_reload_keeps_first_seen_and_replaces_sources(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    items, raw = seed_items()
    assert db.load_articles(con, items, raw, "v1", NOW) == {"new": 5, "updated": 0}
    sources = con.execute("SELECT count(*) FROM article_sources").fetchone()[0]
    later = datetime(2026, 2, 1, tzinfo=UTC)
    assert db.load_articles(con, items, raw, "v2", later) == {"new": 0, "updated": 5}
    assert con.execute("SELECT count(*) FROM article_sources").fetchone()[0] == sources
    first, updated, versions = con.execute(
        "SELECT min(first_seen_at), min(updated_at), list(DISTINCT pipeline_version) FROM articles"
    ).fetchone()
    assert (first, updated, versions) == (NOW, later, ["v2"])
    stored = con.execute("SELECT data_gzip FROM raw_documents").fetchall()
    assert len(stored) == 5  # content-addressed: one row per distinct input


def test_raw_bytes_come_back_whole_whether_they_were_gzip_already_or_not(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    html_gz = next((CORPUS / "aeb" / "html").glob("*.html.gz")).read_bytes()
    text = next(SEEDS.glob("*.txt")).read_bytes()
    items, raw = [], {}
    for name, data in (("page.html.gz", html_gz), ("seed.txt", text)):
        tagged = process(RawDocument(source_ref=name, data=data, origin="feed"))
        items.append((article_id_for(None, "feed", name), tagged))
        raw[tagged.content_hash] = (data, None)
    db.load_articles(con, items, raw, "v1", NOW)
    stored = dict(con.execute("SELECT content_hash, data_gzip FROM raw_documents").fetchall())
    # a .gz input is wrapped as it is (compressing it again gains nothing); text is compressed
    assert len(stored[items[0][1].content_hash]) > len(html_gz)
    assert len(stored[items[1][1].content_hash]) < len(text)
    back = {row["source_ref"]: row["data"] for row in db.stale_articles(con, "v2", [])}
    assert back == {"page.html.gz": html_gz, "seed.txt": text}


def test_failures_count_attempts_across_runs_and_resolve(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    failure = Failure("a.txt", "seed", "decode", "empty file")
    db.record_failures(con, [failure], "run-1", NOW)
    db.record_failures(con, [failure], "run-1", NOW)  # the same run twice counts once
    db.record_failures(con, [failure], "run-2", NOW)
    assert con.execute("SELECT attempts FROM ingest_failures").fetchone()[0] == 2
    db.resolve_failures(con, "seed", ["a.txt"], NOW)
    assert con.execute("SELECT count(*) FROM open_failures").fetchone()[0] == 0


def test_read_only_connection_does_not_migrate(tmp_path):
    path = tmp_path / "w.sqlite"
    db.connect(path).close()
    with db.connect(path, read_only=True) as con, pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE x (a INT)")


def test_runs_take_their_counts_by_column_name(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    db.start_run(con, "r1", "wiretrace-run", NOW)
    db.finish_run(con, "r1", NOW, {"inputs_seen": 5, "articles_new": 4, "failures": 1, "feeds_polled": 12})
    row = con.execute(
        "SELECT status, inputs_seen, articles_new, failures, feeds_polled, pages_fetched FROM runs"
    ).fetchone()
    assert row == ("completed", 5, 4, 1, 12, 0)
    with pytest.raises(ValueError, match="not columns of runs"):
        db.finish_run(con, "r1", NOW, {"inputs": 5})
