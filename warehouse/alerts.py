"""Every SQL statement of alerts: the candidate events of a run, and the alerts table (migration 008).

Candidates are looked for among what the run changed (the articles it loaded, the stories and reuse
they touch, the feeds that are failing), so a run's cost follows its new work, not the warehouse size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from transforms.alerts import Alert, Candidate
from warehouse import db

_STORY_EVENTS = """
WITH started AS (SELECT started_at FROM runs WHERE run_id = $run_id),
fresh AS (
    -- articles this run loaded for the first time
    SELECT a.* FROM articles a
    WHERE a.article_id IN {ids} AND a.first_seen_at >= (SELECT started_at FROM started)
),
touched AS (SELECT DISTINCT story_id FROM fresh WHERE story_id IS NOT NULL),
members AS (
    SELECT a.article_id, a.story_id, a.outlet, a.article_id IN (SELECT article_id FROM fresh) AS is_new
    FROM articles a WHERE a.story_id IN (SELECT story_id FROM touched)
),
story_info AS (
    SELECT m.story_id, any_value(s.label) AS label,
           list_sort(list_distinct(flatten(list(coalesce(a.topics, []))))) AS topics,
           bool_or(NOT m.is_new) AS existed
    FROM members m JOIN articles a USING (article_id) LEFT JOIN stories s ON s.story_id = m.story_id
    GROUP BY m.story_id
),
outlets AS (
    -- outlets whose every article in the story is new: they picked it up in this run
    SELECT story_id, outlet FROM members WHERE outlet IS NOT NULL
    GROUP BY story_id, outlet HAVING bool_and(is_new)
)
SELECT 'story_article' AS kind, f.story_id, i.label, i.topics, f.article_id, f.title, f.outlet, f.url,
       f.first_seen_at
FROM fresh f JOIN story_info i USING (story_id)
UNION ALL
SELECT 'new_outlet', o.story_id, i.label, i.topics, arg_min(f.article_id, f.first_seen_at),
       arg_min(f.title, f.first_seen_at), o.outlet, arg_min(f.url, f.first_seen_at), min(f.first_seen_at)
FROM outlets o JOIN story_info i USING (story_id)
JOIN fresh f ON f.story_id = o.story_id AND f.outlet = o.outlet
WHERE i.existed  -- a story seen before this run: a brand-new story has no outlet "picking it up"
GROUP BY o.story_id, i.label, i.topics, o.outlet
ORDER BY 1, 9, 5
"""

_UNCREDITED = """
SELECT u.article_id, u.title, u.outlet, a.url, u.agency, u.copied_chars
FROM uncredited_copies u JOIN articles a USING (article_id)
WHERE u.article_id IN {ids}
   OR u.article_id IN (SELECT article_id FROM article_reuse WHERE copied_from_id IN {ids})
ORDER BY u.article_id, u.agency
"""

# A feed is failing since its last success, else since its first recorded poll failure.
_FAILING_FEEDS = """
SELECT s.feed_url, coalesce(s.last_success_at, min(f.first_failed_at)) AS since,
       coalesce(s.last_error, any_value(f.reason)) AS reason
FROM feed_state s
LEFT JOIN ingest_failures f
  ON f.origin = 'feed' AND f.source_ref = s.feed_url AND f.severity = 'error' AND f.resolved_at IS NULL
WHERE s.consecutive_failures > 0
GROUP BY s.feed_url, s.last_success_at, s.last_error
HAVING since IS NOT NULL
ORDER BY s.feed_url
"""


def candidates(
    con: duckdb.DuckDBPyConnection, run_id: str, loaded_ids: Sequence[str], now: datetime
) -> list[Candidate]:
    """The events of this run that a rule may alert on."""
    out: list[Candidate] = []
    if loaded_ids:
        # the run's ids as a constant list (db.ids_sql): the scans filter by it, nothing per value
        ids = db.ids_sql(loaded_ids)
        for kind, story, label, topics, article, title, outlet, url, _ in con.execute(
            _STORY_EVENTS.replace("{ids}", ids), {"run_id": run_id}
        ).fetchall():
            out.append(Candidate(kind, story, label, tuple(topics or ()), article, title, outlet, url))
        for article, title, outlet, url, agency, chars in con.execute(
            _UNCREDITED.replace("{ids}", ids)
        ).fetchall():
            out.append(
                Candidate(
                    "uncredited_copy",
                    article_id=article,
                    title=title,
                    outlet=outlet,
                    url=url,
                    agency=agency,
                    copied_chars=chars,
                )
            )
    for feed_url, since, reason in con.execute(_FAILING_FEEDS).fetchall():
        out.append(
            Candidate(
                "feed_failing",
                feed_url=feed_url,
                failing_since=since.isoformat(),
                failing_seconds=(now - since).total_seconds(),
                reason=reason,
            )
        )
    return out


def record_new(
    con: duckdb.DuckDBPyConnection, alerts: Sequence[Alert], run_id: str, now: datetime
) -> list[str]:
    """Insert the alerts whose key is not in the table yet (each event alerts once); their keys."""
    if not alerts:
        return []
    batch = pa.table(
        {
            "alert_key": [a.key for a in alerts],
            "rule": [a.rule for a in alerts],
            "kind": [a.kind for a in alerts],
            "subject": [a.subject for a in alerts],
            "payload": [a.payload_json() for a in alerts],
            "story_id": pa.array([a.story_id for a in alerts], pa.string()),
            "article_id": pa.array([a.article_id for a in alerts], pa.string()),
            "feed_url": pa.array([a.feed_url for a in alerts], pa.string()),
        }
    )
    con.register("batch_alerts", batch)
    try:
        # insert-if-missing keeps alert_key unique only under the load lock (DuckLake has no key)
        with db.transaction(con):
            new = con.execute(
                "SELECT alert_key FROM batch_alerts WHERE alert_key NOT IN (SELECT alert_key FROM alerts)"
            ).fetchall()
            con.execute(
                """INSERT INTO alerts BY NAME
                   SELECT b.*, $now AS created_at, $run_id AS run_id, NULL AS delivered_at, 0 AS attempts,
                          NULL AS last_error
                   FROM batch_alerts b WHERE b.alert_key NOT IN (SELECT alert_key FROM alerts)""",
                {"now": now, "run_id": run_id},
            )
        return [k for (k,) in new]
    finally:
        con.unregister("batch_alerts")


def pending(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(alert_key, payload JSON, attempts) of every alert not delivered yet, oldest first."""
    return con.execute(
        """SELECT alert_key, payload, attempts FROM alerts WHERE delivered_at IS NULL
           ORDER BY created_at, alert_key"""
    ).fetchall()


def record_deliveries(con: duckdb.DuckDBPyConnection, results: dict[str, str | None], now: datetime) -> None:
    """key -> None (delivered) or the error; one bulk update."""
    if not results:
        return
    batch = pa.table({"alert_key": list(results), "error": pa.array(list(results.values()), pa.string())})
    con.register("batch_deliveries", batch)
    try:
        with db.transaction(con):
            con.execute(
                """UPDATE alerts SET attempts = alerts.attempts + 1, last_error = b.error,
                       delivered_at = CASE WHEN b.error IS NULL THEN $now END
                   FROM batch_deliveries b WHERE alerts.alert_key = b.alert_key""",
                {"now": now},
            )
    finally:
        con.unregister("batch_deliveries")
