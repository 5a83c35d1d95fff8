"""Generated warehouse contents for the benchmarks: the rows a warehouse holds before one is measured.

Only benchmarks/ call this module; the pipeline never does. A benchmark generates its articles (or
their Arrow columns) and these statements store them in bulk, with the columns a run would write,
so what is measured afterwards (a run, provenance, a publish) reads the real schema. Nothing here
checks keys or replaces rows: the benchmarks fill empty warehouses with distinct ids.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa


def insert_articles(con: duckdb.DuckDBPyConnection, batch: pa.Table, origin: str) -> None:
    """Articles from an Arrow table of their columns (article_id, text, word_count, first_seen_at and
    any others of `articles`), as loaded by `origin`: the content hash, source_ref (the id), updated_at
    (first seen) and pipeline version ('bench') are filled in."""
    con.register("synthetic_articles", batch)
    try:
        con.execute(
            """INSERT INTO articles BY NAME
               SELECT *, 'h' AS content_hash, ? AS origin, article_id AS source_ref,
                      first_seen_at AS updated_at, 'bench' AS pipeline_version
               FROM synthetic_articles""",
            [origin],
        )
    finally:
        con.unregister("synthetic_articles")


def insert_credits(con: duckdb.DuckDBPyConnection, credits: pa.Table) -> None:
    """article_sources rows from an Arrow table of article_id, source, kind, role and evidence
    (no character offsets)."""
    con.register("synthetic_credits", credits)
    try:
        con.execute(
            """INSERT INTO article_sources BY NAME
               SELECT *, NULL::INTEGER AS char_start, NULL::INTEGER AS char_end FROM synthetic_credits"""
        )
    finally:
        con.unregister("synthetic_credits")


# `n` stored articles in one statement per table (text and raw rows are synthetic and repetitive: what
# grows is the row count, not what compresses). The statements run on the legacy schema too.
_STORED = (
    """INSERT INTO articles BY NAME
       SELECT 'a' || i AS article_id, 'https://example.org/' || i AS url, 'Outlet ' || (i % 500) AS outlet,
              'Title of article ' || i AS title, NULL AS byline, '2026-05-01' AS published,
              NULL::TIMESTAMPTZ AS published_at, DATE '2026-05-01' - (i % 300)::INTEGER AS published_date,
              'en' AS language, repeat('word' || (i % 97) || ' text of the story ', 60) AS text,
              240 AS word_count, 'h' || i AS content_hash, 'feed' AS origin,
              'https://example.org/' || i AS source_ref,
              'v0' AS pipeline_version, $now AS first_seen_at, $now AS updated_at, NULL AS story_id,
              NULL::VARCHAR[] AS topics, NULL AS given_key
       FROM range($n) t(i)""",
    """INSERT INTO article_sources
       SELECT 'a' || i, CASE WHEN i % 2 = 0 THEN 'AFP' ELSE 'Reuters' END, 'agency', 'origin', '(AFP)', 0, 5
       FROM range($n) t(i), range(2) r(j)""",
    """INSERT INTO raw_documents (content_hash, size_bytes, media_type, first_seen_at, warc_path,
                                  warc_offset, warc_length)
       SELECT 'h' || i, 40000, 'text/html', $now, 'bench.warc.gz', i * 8000, 8000 FROM range($n) t(i)""",
)


def fill_stored(con: duckdb.DuckDBPyConnection, n: int, now: datetime) -> None:
    """`n` articles (~1,500 characters of text each), two credits each and a raw row each pointing
    into a WARC file, first seen at `now`. The caller holds the transaction."""
    for sql in _STORED:
        con.execute(sql, {"n": n, "now": now} if "$now" in sql else {"n": n})


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write a DuckDB file's WAL into the file (the storage before DuckLake published a checkpointed copy)."""
    con.execute("CHECKPOINT")


def fill_history(
    con: duckdb.DuckDBPyConnection,
    raw: pa.Table,
    bodies: pa.Table,
    vectors: pa.Table,
    *,
    start: datetime,
    step: float,
    version: str,
    bands: int,
) -> None:
    """Stored articles with everything provenance keeps of them, one per row of `raw`.

    `raw`: i (the article's number) and its archived bytes' row (content_hash, size_bytes, warc_path,
    warc_offset, warc_length). `bodies`: k, body, words, terms: article i has body i % len(bodies),
    made unique by a first sentence of its own. `vectors`: k, term, weight, the story keyword vector
    of body k. Article i arrives at `start` + i * `step` seconds. Written: raw_documents, articles
    (stories of 5), two credits, reuse fingerprints (one per 4 words), a MinHash signature and its
    `bands` band keys, story terms and term sets. Ids are digests, in no order, as real ones.
    """
    pool = bodies.num_rows
    con.register("synthetic_raw", raw)
    con.register("synthetic_bodies", bodies)
    con.register("synthetic_vectors", vectors)
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE synthetic_ids AS
                SELECT r.*, left(md5('bench' || r.i), 16) AS article_id,
                       TIMESTAMPTZ '{start.isoformat()}' + to_seconds(r.i * {float(step)}) AS ts,
                       (r.i % {int(pool)})::INTEGER AS k
                FROM synthetic_raw r"""
        )
        con.execute(
            """INSERT INTO raw_documents BY NAME
               SELECT content_hash, size_bytes, 'text/html' AS media_type, warc_path, warc_offset,
                      warc_length, ts AS first_seen_at FROM synthetic_ids"""
        )
        con.execute(
            """INSERT INTO articles BY NAME
               SELECT b.article_id,
                      'https://news' || (b.i % 997) || '.example.com/' || b.article_id AS url,
                      'Outlet ' || (b.i % 997) AS outlet, 'Report ' || b.i AS title,
                      strftime(b.ts, '%Y-%m-%dT%H:%M:%S+00:00') AS published, b.ts AS published_at,
                      b.ts::DATE AS published_date, 'en' AS language,
                      'Report number ' || b.i || ' of the day. ' || p.body AS text,
                      p.words + 6 AS word_count, b.content_hash, 'feed' AS origin,
                      'https://news' || (b.i % 997) || '.example.com/' || b.article_id AS source_ref,
                      b.ts AS first_seen_at, b.ts AS updated_at, $version AS pipeline_version,
                      'story-bench' || lpad((b.i - b.i % 5)::VARCHAR, 10, '0') AS story_id
               FROM synthetic_ids b JOIN synthetic_bodies p ON p.k = b.k ORDER BY b.ts""",
            {"version": version},
        )
        con.execute(
            """INSERT INTO article_sources BY NAME
               SELECT article_id, 'AFP' AS source, 'agency' AS kind, 'origin' AS role,
                      '(AFP)' AS evidence, 0 AS char_start, 5 AS char_end FROM synthetic_ids
               UNION ALL
               SELECT article_id, 'Reuters', 'agency', 'cited', 'Reuters reported', NULL, NULL
               FROM synthetic_ids"""
        )
        con.execute(
            """INSERT INTO reuse_fingerprints BY NAME
               SELECT b.article_id, (hash(b.article_id, g.pos) >> 1)::BIGINT AS fingerprint,
                      g.pos::INTEGER AS position, b.ts AS loaded_at
               FROM synthetic_ids b JOIN synthetic_bodies p ON p.k = b.k,
                    LATERAL (SELECT unnest(range(0, p.words, 4)) AS pos) g
               ORDER BY b.ts, b.article_id"""
        )
        hexes = " || ".join(f"md5(article_id || '{n}')" for n in range(32))  # 32 x 16 bytes
        con.execute(
            f"""INSERT INTO near_duplicate_signatures BY NAME
                SELECT article_id, unhex({hexes}) AS signature, ts AS loaded_at FROM synthetic_ids
                ORDER BY ts"""
        )
        con.execute(
            f"""INSERT INTO near_duplicate_bands BY NAME
                SELECT article_id, (hash(article_id, band) >> 1)::BIGINT AS band_key, ts AS loaded_at
                FROM synthetic_ids, range({int(bands)}) t(band) ORDER BY ts, article_id"""
        )
        con.execute(
            """INSERT INTO story_terms BY NAME
               SELECT b.article_id, v.term, v.weight, b.ts AS t, true AS dated
               FROM synthetic_ids b JOIN synthetic_vectors v ON v.k = b.k ORDER BY b.ts, b.article_id"""
        )
        con.execute(
            """INSERT INTO story_term_sets BY NAME
               SELECT b.article_id, p.terms FROM synthetic_ids b JOIN synthetic_bodies p ON p.k = b.k"""
        )
    finally:
        for name in ("synthetic_raw", "synthetic_bodies", "synthetic_vectors"):
            con.unregister(name)


def finish_history(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """After the last `fill_history`: the document frequencies of the story terms and the stories
    rows; the rows of the tables that grow with history, counted."""
    con.execute(
        """INSERT INTO story_term_df BY NAME
           SELECT term, count(*)::INTEGER AS df
           FROM (SELECT unnest(list_append(terms, '')) AS term FROM story_term_sets) GROUP BY term"""
    )
    con.execute(
        """INSERT INTO stories BY NAME
           SELECT story_id, min(title) AS label, min(published_at) AS first_seen,
                  max(published_at) AS last_seen, list(article_id ORDER BY published_at) AS articles
           FROM articles WHERE origin = 'feed' GROUP BY story_id"""
    )
    tables = ("articles", "reuse_fingerprints", "near_duplicate_bands", "story_terms", "stories")
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
