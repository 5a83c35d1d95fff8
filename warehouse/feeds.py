"""Statements for feed polling: feed_state and feed_entries (schema in sql/lake/001_schema.sql).

Writes are bulk: rows become a pyarrow table registered with DuckDB, then one statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime

import duckdb
import pyarrow as pa

from transforms.feed_decisions import EntryRow, FeedMove, FeedStateRow
from warehouse import db

_TS = pa.timestamp("us", tz="UTC")


_STATE_SCHEMA = pa.schema(
    [
        ("feed_url", pa.string()),
        ("outlet", pa.string()),
        ("last_polled_at", _TS),
        ("last_status", pa.string()),
        ("last_http_status", pa.int32()),
        ("last_error", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("body_hash", pa.string()),
        ("bozo_reason", pa.string()),
        ("entries_in_feed", pa.int32()),
        ("consecutive_failures", pa.int32()),
        ("next_poll_at", _TS),
        ("last_success_at", _TS),
        ("current_url", pa.string()),
        ("moved_at", _TS),
    ]
)
_ENTRY_SCHEMA = pa.schema(
    [
        ("feed_url", pa.string()),
        ("entry_key", pa.string()),
        ("link", pa.string()),
        ("canonical_link", pa.string()),
        ("canonical_url", pa.string()),
        ("title", pa.string()),
        ("published", pa.string()),
        ("status", pa.string()),
        ("article_id", pa.string()),
        ("topics", pa.list_(pa.string())),
        ("attempts", pa.int32()),
        ("last_error", pa.string()),
        ("first_seen_at", _TS),
        ("updated_at", _TS),
        ("last_run_id", pa.string()),
        ("content_hash", pa.string()),
    ]
)
_MOVE_SCHEMA = pa.schema(
    [
        ("feed_url", pa.string()),
        ("old_url", pa.string()),
        ("new_url", pa.string()),
        ("moved_at", _TS),
        ("run_id", pa.string()),
    ]
)
_STATE_COLUMNS = ", ".join(f.name for f in fields(FeedStateRow))
_ENTRY_COLUMNS = ", ".join(f.name for f in fields(EntryRow))


def _values(row: object) -> tuple:
    """A row's field values as they are (dataclasses.astuple deep-copies each: 0.8 ms a feed state)."""
    return tuple(getattr(row, f.name) for f in fields(row))  # type: ignore[arg-type]


def _table(rows: Iterable[tuple], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) or [[] for _ in schema.names]
    return pa.table({name: list(col) for name, col in zip(schema.names, columns, strict=True)}, schema=schema)


def _upsert(con: duckdb.DuckDBPyConnection, table: str, batch: pa.Table, columns: str, key: str) -> None:
    """Replace the rows of `batch`'s keys, inserting the new ones: one MERGE (DuckLake has no key to
    conflict on; the load lock keeps the key unique). One statement, not a DELETE and an INSERT: each
    costs a round of the catalog."""
    name = f"batch_{table}"
    names = [c.strip() for c in columns.split(",")]
    keys = [k.strip() for k in key.split(",")]
    on = " AND ".join(f"t.{k} = b.{k}" for k in keys)
    update = ", ".join(f"{c} = b.{c}" for c in names if c not in keys)
    values = ", ".join(f"b.{c}" for c in names)
    con.register(name, batch)
    try:
        with db.transaction(con):  # the caller's batch, or one of its own: under the load lock
            con.execute(
                f"""MERGE INTO {table} t USING {name} b ON {on}
                    WHEN MATCHED THEN UPDATE SET {update}
                    WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"""
            )
    finally:
        con.unregister(name)


# -- feed_state ---------------------------------------------------------------------------------


def read_feed_states(con: duckdb.DuckDBPyConnection) -> dict[str, FeedStateRow]:
    rows = con.execute(f"SELECT {_STATE_COLUMNS} FROM feed_state").fetchall()
    return {row[0]: FeedStateRow(*row) for row in rows}


def save_feed_states(con: duckdb.DuckDBPyConnection, rows: Sequence[FeedStateRow]) -> None:
    """Insert or replace the state of each feed polled."""
    if rows:
        _upsert(
            con, "feed_state", _table((_values(r) for r in rows), _STATE_SCHEMA), _STATE_COLUMNS, "feed_url"
        )


def save_feed_moves(con: duckdb.DuckDBPyConnection, moves: Sequence[FeedMove]) -> None:
    """Append the permanent moves found by this run's polls."""
    if moves:
        con.register("batch_moves", _table((_values(m) for m in moves), _MOVE_SCHEMA))
        try:
            con.execute(f"INSERT INTO feed_moves ({', '.join(_MOVE_SCHEMA.names)}) SELECT * FROM batch_moves")
        finally:
            con.unregister("batch_moves")


def retire_feeds(con: duckdb.DuckDBPyConnection, feed_urls: Sequence[str], now: datetime) -> None:
    """Feeds that were failing and are no longer in the feeds file: their open failures resolved, the
    reason saying so, and their failure count cleared, so that neither the run summary nor an alert
    counts a feed nobody polls any more (a feed put back starts afresh)."""
    if not feed_urls:
        return
    urls = db.ids_sql(feed_urls)
    with db.transaction(con):
        con.execute(
            f"""UPDATE ingest_failures
                SET resolved_at = ?, reason = reason || ' (no longer in the feeds file)'
                WHERE origin = 'feed' AND severity = 'error' AND resolved_at IS NULL
                  AND source_ref IN {urls}""",
            [now],
        )
        con.execute(f"UPDATE feed_state SET consecutive_failures = 0 WHERE feed_url IN {urls}")


# -- feed_entries -------------------------------------------------------------------------------


def _entry_rows(rows: Sequence[EntryRow]) -> pa.Table:
    values = []
    for r in rows:
        row = list(_values(r))
        row[9] = list(r.topics) if r.topics is not None else None
        values.append(tuple(row))
    return _table(values, _ENTRY_SCHEMA)


def _entry(row: tuple) -> EntryRow:
    return EntryRow(*row[:9], tuple(row[9]) if row[9] is not None else None, *row[10:])


def known_entries(
    con: duckdb.DuckDBPyConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], EntryRow]:
    """The stored rows of the (feed_url, entry_key) pairs already in feed_entries."""
    if not keys:
        return {}
    batch = pa.table({"feed_url": [k[0] for k in keys], "entry_key": [k[1] for k in keys]})
    con.register("batch_keys", batch)
    try:
        rows = con.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM feed_entries SEMI JOIN batch_keys USING (feed_url, entry_key)"
        ).fetchall()
    finally:
        con.unregister("batch_keys")
    return {(row[0], row[1]): _entry(row) for row in rows}


def known_urls(con: duckdb.DuckDBPyConnection, urls: Sequence[str]) -> dict[str, str | None]:
    """Canonical URLs already seen (as an entry's canonical link or a page's canonical URL) ->
    the article id they were loaded as (None when not loaded: pending, unmatched or failed)."""
    if not urls:
        return {}
    # Constant lists, not a join on `u.url = canonical_link OR u.url = canonical_url`, which DuckDB runs
    # as a nested loop (2.1 CPU-s for 250 URLs at a million entries; benchmarks/feed_lookups.py). The
    # look-ups on one column keep their semi-joins: URLs are in no order the files keep, so constants
    # let the storage skip nothing there, and a list of thousands costs more than the join.
    wanted = db.ids_sql(urls)
    rows = con.execute(
        f"""SELECT canonical_link, canonical_url, article_id FROM feed_entries
            WHERE canonical_link IN {wanted} OR canonical_url IN {wanted}"""
    ).fetchall()
    asked = set(urls)
    found: dict[str, str | None] = {}
    for link, url, article_id in rows:
        for key in {link, url} & asked:
            found[key] = max(filter(None, (found.get(key), article_id)), default=None)
    return found


def upsert_entries(con: duckdb.DuckDBPyConnection, rows: Sequence[EntryRow]) -> None:
    """Insert new entries and replace the rows of entries whose status changed."""
    if rows:
        unique = list({(r.feed_url, r.entry_key): r for r in rows}.values())
        _upsert(con, "feed_entries", _entry_rows(unique), _ENTRY_COLUMNS, "feed_url, entry_key")


def entries_to_fetch(con: duckdb.DuckDBPyConnection, max_attempts: int, limit: int) -> list[EntryRow]:
    """Entries whose page is still to load: new ones, then failed ones tried fewer than max_attempts runs."""
    rows = con.execute(
        f"""SELECT {_ENTRY_COLUMNS} FROM feed_entries
            WHERE status = 'pending' OR (status = 'failed' AND attempts < ?)
            ORDER BY status DESC, first_seen_at, feed_url, entry_key
            LIMIT ?""",
        [max_attempts, limit],
    ).fetchall()
    return [_entry(row) for row in rows]


def known_settled_urls(con: duckdb.DuckDBPyConnection, urls: Sequence[str]) -> dict[str, str | None]:
    """Page URLs already processed for another entry (matched or unmatched) -> the article id, if loaded.

    A page reached through a redirect or a rel=canonical is known only once fetched: this finds it.
    """
    if not urls:
        return {}
    con.register("batch_urls", pa.table({"url": list(dict.fromkeys(urls))}))
    try:
        rows = con.execute(
            """SELECT e.canonical_url, max(e.article_id) FROM feed_entries e
               SEMI JOIN batch_urls u ON e.canonical_url = u.url
               WHERE e.status IN ('matched', 'unmatched')
               GROUP BY e.canonical_url"""
        ).fetchall()
    finally:
        con.unregister("batch_urls")
    return dict(rows)
