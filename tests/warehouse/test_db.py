"""Migrations, transactions and the bulk loads of warehouse/db.py on real DuckDB files."""

import gzip
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CORPUS, SEEDS
from transforms.pipeline import article_id_for, given_key, process
from transforms.records import Failure, RawDocument
from warehouse import db, lake

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def seed_items():
    """The seeds tagged, with raw rows as if archived one after another in one file."""
    items, raw, offset = [], {}, 0
    for path in sorted(SEEDS.glob("*.txt")):
        data = path.read_bytes()
        tagged = process(RawDocument(source_ref=path.name, data=data))
        items.append((article_id_for(None, "seed", path.name), tagged))
        raw[tagged.content_hash] = db.RawRow(len(data), "text/plain", "2026/01/02/r.warc.gz", offset, 100)
        offset += 100
    return items, raw


def lake_before(tmp_path: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A new lake (`tmp_path/w.sqlite`) at the migrations before `version`: a warehouse made then."""
    before = tmp_path / f"before_{version:03d}"
    before.mkdir()
    for f in db.migration_files():
        if int(f.name[:3]) < version:
            shutil.copy(f, before / f.name)
    con = lake.connect(tmp_path / "w.sqlite")
    db.migrate(con, before)
    return con


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
    stored = con.execute("SELECT warc_offset FROM raw_documents ORDER BY 1").fetchall()
    assert stored == [(0,), (100,), (200,), (300,), (400,)]  # one row per distinct input, as first loaded


def test_stale_rows_give_old_bytes_from_data_gzip_and_new_ones_as_archive_records(tmp_path):
    # A warehouse from before 011 (converted by `wiretrace migrate`) holds its raw bytes in data_gzip.
    path = tmp_path / "w.sqlite"
    con = db.connect(path)
    html_gz = next((CORPUS / "aeb" / "html").glob("*.html.gz")).read_bytes()
    old = process(RawDocument(source_ref="page.html.gz", data=html_gz, origin="feed"))
    con.execute(
        "INSERT INTO raw_documents (content_hash, size_bytes, media_type, data_gzip, first_seen_at) "
        "VALUES (?, ?, NULL, ?, ?)",
        [old.content_hash, len(html_gz), gzip.compress(html_gz), NOW],
    )
    db.load_articles(con, [(article_id_for(None, "feed", "page.html.gz"), old)], {}, "v1", NOW)
    items, raw = seed_items()
    first = raw[items[0][1].content_hash]
    db.load_articles(con, items[:1], {items[0][1].content_hash: first}, "v1", NOW)
    rows = {row["source_ref"]: row for row in db.stale_articles(con, "v2", []).to_pylist()}
    assert rows["page.html.gz"]["warc_path"] is None
    assert db.stored_gzip(con, [old.content_hash, items[0][1].content_hash]) == {old.content_hash: html_gz}
    new = rows[items[0][1].source_ref]
    where = (new["warc_path"], new["warc_offset"], new["warc_length"])
    assert where == (first.warc_path, first.warc_offset, first.warc_length)
    assert new["content_hash"] == items[0][1].content_hash
    assert con.execute("SELECT count(*) FROM raw_documents WHERE data_gzip IS NULL").fetchone()[0] == 1


def test_the_archive_folder_is_beside_the_warehouse_unless_set(tmp_path, monkeypatch):
    monkeypatch.delenv("WIRETRACE_ARCHIVE", raising=False)
    assert db.archive_root(db.connect(tmp_path / "w.sqlite")) == (tmp_path / "archive").resolve()
    monkeypatch.setenv("WIRETRACE_ARCHIVE", str(tmp_path / "elsewhere"))
    assert db.archive_root(db.connect(tmp_path / "w.sqlite")) == (tmp_path / "elsewhere").resolve()
    with pytest.raises(RuntimeError, match="no archive folder"):
        db.archive_root(duckdb.connect())


def test_failures_count_attempts_across_runs_and_resolve(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    failure = Failure("a.txt", "seed", "decode", "empty file")
    db.record_failures(con, [failure], "run-1", NOW)
    db.record_failures(con, [failure], "run-1", NOW)  # the same run twice counts once
    db.record_failures(con, [failure], "run-2", NOW)
    assert con.execute("SELECT attempts FROM ingest_failures").fetchone()[0] == 2
    db.resolve_failures(con, "seed", ["a.txt"], NOW)
    assert con.execute("SELECT count(*) FROM open_failures").fetchone()[0] == 0


def test_a_fetched_page_resolves_its_fetch_error_and_not_its_extract_error(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    url = "https://example.org/a"
    failures = [Failure(url, "feed", "fetch", "HTTP 500"), Failure(url, "feed", "extract", "no text")]
    db.record_failures(con, failures, "run-1", NOW)
    db.resolve_failures(con, "feed", [url], NOW, stages=["fetch"])
    assert con.execute("SELECT stage FROM open_failures").fetchall() == [("extract",)]
    db.resolve_failures(con, "feed", [url], NOW)  # loaded: every stage
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


def test_pages_of_one_feed_keep_each_its_own_given_key(tmp_path):
    # A feed's pages share their source_ref (the feed URL): what was given with each goes by its bytes.
    con = db.connect(tmp_path / "w.sqlite")
    feed = "https://example.org/feed.xml"
    items, given = [], {}
    for n, path in enumerate(sorted((CORPUS / "aeb" / "html").glob("*.html.gz"))[:2]):
        raw_doc = RawDocument(
            source_ref=feed, data=path.read_bytes(), origin="feed", url=f"https://example.org/{n}"
        )
        tagged = process(raw_doc)
        items.append((article_id_for(raw_doc.url, "feed", feed), tagged))
        given[("feed", feed, tagged.content_hash)] = given_key(raw_doc)
    db.load_articles(con, items, {}, "v1", NOW, given)
    stored = dict(con.execute("SELECT content_hash, given_key FROM articles").fetchall())
    assert stored == {content: key for (_, _, content), key in given.items()}
    assert len(set(stored.values())) == 2


def _files_read(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """Parquet files DuckLake opened for `sql` (its scan's profile)."""
    plan = con.execute(f"EXPLAIN ANALYZE {sql}").fetchall()[0][1]
    return sum(int(n) for n in re.findall(r"Total Files Read: (\d+)", plan))


def test_a_small_warehouse_is_partitioned_once_it_has_grown(tmp_path, monkeypatch):
    """Below PARTITION_FROM_ARTICLES the keyed tables stay whole (partitions would cost a small
    warehouse more than they save); the daily compaction partitions them once it holds that many.
    BUCKETS partitions up to BUCKETS x ROWS_PER_BUCKET articles, then twice as many each time the
    warehouse doubles (re-partitioned by the compaction's set_table_options, rows unchanged), never
    back to fewer."""
    assert [lake.buckets_for(n) for n in (50_000, 1_000_000, 1_600_001, 10_000_000)] == [16, 16, 32, 128]
    con = db.connect(str(tmp_path / "w.sqlite"))
    items, raw = seed_items()
    with db.transaction(con):
        db.load_articles(con, items, raw, "v1", NOW)
    monkeypatch.setattr(lake, "PARTITION_FROM_ARTICLES", len(items) + 1)
    lake.compact(con, days=0)
    assert lake.partitioned_tables(con) == {}
    monkeypatch.setattr(lake, "PARTITION_FROM_ARTICLES", len(items))
    lake.compact(con, days=0)
    assert lake.partitioned_tables(con) == {t: f"bucket({lake.BUCKETS})" for t in lake.PARTITIONED}
    # the partitioning wrote its rows to the partitions' files (none inlined, even 5 rows) and retired
    # the old files whole: no deletions are left for a flush or a rewrite to work on
    for table in ("articles", "article_sources", "raw_documents"):
        listed = con.execute(
            f"SELECT data_file, delete_file FROM ducklake_list_files('wiretrace', '{table}')"
        )
        files = listed.fetchall()
        assert files and all("/bucket=" in data and deletes is None for data, deletes in files), table

    stored = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in lake.PARTITIONED}
    # as if each of BUCKETS partitions held 2.5 x ROWS_PER_BUCKET rows: 4 times as many partitions
    monkeypatch.setattr(lake, "ROWS_PER_BUCKET", len(items) / (2.5 * lake.BUCKETS))
    lake.set_table_options(con)
    grown = {t: f"bucket({4 * lake.BUCKETS})" for t in lake.PARTITIONED}
    assert lake.partitioned_tables(con) == grown
    assert {
        t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in lake.PARTITIONED
    } == stored
    monkeypatch.setattr(lake, "ROWS_PER_BUCKET", len(items))  # BUCKETS would do: the partitions stay
    lake.set_table_options(con)
    assert lake.partitioned_tables(con) == grown


def test_migration_005_partitions_a_warehouse_made_before_and_keeps_its_rows(tmp_path, monkeypatch):
    """Lake 005 on a warehouse loaded at 001-004 (as large as PARTITION_FROM_ARTICLES says): the keyed
    tables are partitioned by their key's bucket, the stored rows rewritten into the partitions
    unchanged, and a lookup of a few ids opens only their partitions' files; loads after it find the
    stored rows as before."""
    con = lake_before(tmp_path, 5)
    items, raw = seed_items()
    with db.transaction(con):
        assert db.load_articles(con, items, raw, "v1", NOW) == {"new": len(items), "updated": 0}
        con.execute(
            """INSERT INTO story_term_sets SELECT article_id, ['word'] FROM articles;
               INSERT INTO stories (story_id, label, first_seen, last_seen, articles)
               SELECT 'story-' || article_id, title, NOW(), NOW(), [article_id] FROM articles"""
        )
    lake.compact(con, days=7)  # small commits are inlined: files (the flush in a child process)
    tables = sorted(lake.PARTITIONED)
    stored = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    assert all(stored.values())
    assert lake.partitioned_tables(con) == {}

    monkeypatch.setattr(lake, "PARTITION_FROM_ARTICLES", len(items))
    assert db.migrate(con) == [f.name for f in db.migration_files() if int(f.name[:3]) >= 5]

    assert lake.partitioned_tables(con) == {t: f"bucket({lake.BUCKETS})" for t in tables}
    assert {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables} == stored
    # the partitioning inlines nothing, however small: its files are the partitions', the old ones gone
    # once the daily compaction expires the snapshots that read them
    lake.compact(con, days=0)
    files = [
        r[0]
        for r in con.execute("SELECT data_file FROM ducklake_list_files('wiretrace', 'articles')").fetchall()
    ]
    assert files and all("/bucket=" in f for f in files)
    # more partitions hold rows than two ids can be in: the lookup opens the files of theirs only
    ids = [a for a, _ in items]
    assert len(files) > 2
    assert _files_read(con, f"SELECT article_id FROM articles WHERE article_id IN {db.ids_sql(ids[:2])}") <= 2
    assert _files_read(con, f"SELECT content_hash FROM raw_documents WHERE content_hash = '{'0' * 64}'") <= 1

    # the load path after it: a rerun updates the same rows (first seen kept), never adds one
    with db.transaction(con):
        assert db.load_articles(con, items, {}, "v2", NOW.replace(year=2027)) == {
            "new": 0,
            "updated": len(items),
        }
    assert con.execute(
        "SELECT count(*), count(DISTINCT article_id), max(first_seen_at) FROM articles"
    ).fetchone() == (
        len(items),
        len(items),
        NOW,
    )
    assert db.archived_digests(con, list(raw)) == set(raw)
    assert con.execute("SELECT count(*) FROM duplicate_keys").fetchone() == (0,)
    assert db.migrate(con) == []  # converted once: opening it again rewrites nothing
