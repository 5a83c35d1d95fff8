"""`wiretrace export`: articles, credits and reuse since a day, as CSV or Parquet files.

Each file is written by one DuckDB COPY from a read-only connection to the warehouse, so
an export neither waits for a run nor holds one up, and costs one scan however many rows it has.
The columns are the README's contract (Warehouse, Exports).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

FORMATS = ("csv", "parquet")

# Which articles an export holds: those published on or after the day, and undated ones first seen on
# or after it (date_basis tells which is which).
_SCOPE = """
    SELECT * FROM article_summary
    WHERE (date_basis <> 'first_seen' AND day >= $since)
       OR (date_basis = 'first_seen' AND CAST(first_seen_at AS DATE) >= $since)
"""

# name -> SELECT over `scoped` (the exported articles); {lists} becomes the list rendering per format.
_QUERIES = {
    "articles": """
        SELECT s.article_id, s.url, s.outlet, s.title, a.byline, s.language, a.published, a.published_at,
               a.published_date, s.first_seen_at, s.date_basis, s.date_shown, s.story_id, s.word_count,
               s.origin, a.source_ref, {topics} AS topics, {origin_agencies} AS origin_agencies,
               {reused_agencies} AS reused_agencies, {cited_sources} AS cited_sources,
               {via_sources} AS via_sources, {photo_sources} AS photo_sources, s.wire_share
        FROM scoped s JOIN articles a USING (article_id)
        ORDER BY s.seen_at, s.article_id""",
    "credits": """
        SELECT c.article_id, s.outlet, s.title, c.source, c.kind, c.role, c.evidence, c.char_start,
               c.char_end
        FROM article_sources c JOIN scoped s USING (article_id)
        ORDER BY c.article_id, c.source, c.role, c.char_start NULLS LAST, c.evidence""",
    "reuse": """
        SELECT r.article_id, s.outlet, s.title, r.copied_from_id, coalesce(f.outlet, '(unknown)') AS
               copied_from_outlet, f.title AS copied_from_title, len(r.passages) AS passages,
               r.shared_chars, r.share
        FROM article_reuse r JOIN scoped s USING (article_id)
        LEFT JOIN articles f ON f.article_id = r.copied_from_id
        ORDER BY r.article_id, r.copied_from_id""",
}
_LISTS = ("topics", "origin_agencies", "reused_agencies", "cited_sources", "via_sources", "photo_sources")


def export(
    con: duckdb.DuckDBPyConnection, out_dir: str | Path, fmt: str, since: date
) -> dict[str, tuple[Path, int]]:
    """Write articles, credits and reuse of the articles since `since`; name -> (file, rows)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # CSV has no lists: '; '-joined text there; Parquet keeps them as lists.
    lists = {name: (f"array_to_string(s.{name}, '; ')" if fmt == "csv" else f"s.{name}") for name in _LISTS}
    # CSV times as ISO 8601 in UTC ("2017-05-10T17:41:00.000000Z"), whatever the session's time zone,
    # which is set to UTC for the export and given back after.
    options = (
        f"FORMAT csv, HEADER true, TIMESTAMPFORMAT '{_CSV_TIME}'"
        if fmt == "csv"
        else "FORMAT parquet, COMPRESSION zstd"
    )
    zone = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    written = {}
    con.execute("SET TimeZone = 'UTC'")
    try:
        for name, sql in _QUERIES.items():
            path = out / f"{name}.{fmt}"
            tmp = out / f".{name}.{fmt}.tmp"
            query = f"WITH scoped AS ({_SCOPE}) {sql.format(**lists)}"
            rows = con.execute(f"COPY ({query}) TO '{_quote(tmp)}' ({options})", {"since": since}).fetchone()
            tmp.replace(path)  # a reader never sees half a file
            written[name] = (path, rows[0])
    finally:
        con.execute("SET TimeZone = $zone", {"zone": zone})
    return written


_CSV_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
