"""Every SQL statement of the provenance stage: reuse, near-duplicates, stories.

Reads return plain Python values; writes take whole batches as Arrow tables (one
INSERT ... SELECT per table, never row by row) after deleting the rows of the same
articles, so re-processing an article replaces its rows. The caller owns the
transaction (flows wrap a whole batch in `warehouse.db.transaction`).

What a lookup costs (DuckLake has no index; a read costs what it scans, less the Parquet files
and row groups whose min/max of a filtered column rule them out):

- articles are read by id in two steps: their ids and `updated_at` (two narrow columns), then the
  wide row filtered on both, so only the row groups written when those rows were read (`where_ids`);
- reuse fingerprints and near-duplicate bands are matched among the rows loaded in the last
  WIRETRACE_REUSE_DAYS (`loaded_at`, lake/004); story keywords within the story window (`t`, lake/003),
  an undated article's back to WIRETRACE_UNDATED_DAYS before the batch.

So the cost of a batch follows the batch and the window, not the history. Statements whose input is
empty are not sent: each one costs a round trip to the catalog.

Over 400 lines because it is the one home of the stage's SQL (reuse, near-duplicates,
stories), as the warehouse package keeps every statement; each section is independent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from settings import reuse_days, undated_days
from transforms.near_duplicates import NearDuplicate
from transforms.records import SourceTag
from transforms.reuse import Fingerprints, ReuseEdge
from transforms.stories import StoryAssignment, StoryMember, StoryMerge
from warehouse import db
from warehouse.db import ids_sql

# The time an article counts at: published instant, else its date, else when first loaded.
ARTICLE_TIME = "coalesce(a.published_at, CAST(a.published_date AS TIMESTAMPTZ), a.first_seen_at)"
DATED = "(a.published_at IS NOT NULL OR a.published_date IS NOT NULL)"


@dataclass(frozen=True, slots=True)
class ArticleRow:
    article_id: str
    text: str
    title: str | None
    outlet: str | None
    time: datetime | None
    dated: bool  # has a published date; else `time` is when it was first seen
    origins: frozenset[str]  # agencies with an origin credit
    credited: frozenset[str]  # sources with an origin, cited or via credit
    published_at: datetime | None
    published_date: date | None
    first_seen_at: datetime | None
    url: str | None
    updated_at: datetime | None = None  # when its row was written (the index rows' loaded_at)
    language: str | None = None  # ISO 639-1: which stop list story grouping reads it with


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


def _ids_table(ids: Sequence[str]) -> pa.Table:
    return pa.table({"article_id": pa.array(list(dict.fromkeys(ids)), pa.string())})


where_ids = db.where_ids  # articles by id and write time (warehouse/db.py)


def run_in_progress(con: duckdb.DuckDBPyConnection) -> tuple[str | None, datetime | None]:
    """The run in progress in this working copy (the newest started and not finished): its id, and
    when it started (its articles were written since); (None, None) outside a run."""
    row = con.execute(
        "SELECT run_id, started_at FROM runs WHERE finished_at IS NULL ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def reuse_since(batch: Mapping[str, ArticleRow], days: float | None = None) -> datetime | None:
    """Where the reuse and near-duplicate lookups of a batch start: `days` (default
    WIRETRACE_REUSE_DAYS) before the earliest load of its articles (None: nothing to look up)."""
    loads = [r.updated_at for r in batch.values() if r.updated_at is not None]
    if not loads:
        return None
    return min(loads) - timedelta(days=reuse_days() if days is None else days)


def _loaded_since(since: datetime | None, column: str) -> tuple[str, list]:
    """The window condition on a load-time column, and its parameter (none: no bound)."""
    return (f"{column} >= ?::TIMESTAMPTZ AND", [since]) if since is not None else ("", [])


def processed(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[str]:
    """Those of `ids` that went through the stage before, so may hold index state to replace.

    Every processed article has a story_term_sets row (one narrow row per article): asking it
    first spares new articles, the usual case, a delete that scans the large index tables.
    """
    if not ids:
        return []
    rows = con.execute(
        f"SELECT DISTINCT article_id FROM story_term_sets WHERE article_id IN {ids_sql(ids)}"
    ).fetchall()
    return sorted(r[0] for r in rows)


def read_articles(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], since: datetime | None = None
) -> dict[str, ArticleRow]:
    """The articles `ids` with what reuse and stories need of them (missing ids are left out).
    `since`: when they were written at or after it (where_ids' hint; a run's own articles)."""
    where = where_ids(con, ids, since=since)
    if where is None:
        return {}
    rows = con.execute(
        f"""WITH credits AS (
                SELECT article_id,
                       list(DISTINCT source) FILTER (WHERE role = 'origin' AND kind = 'agency') AS origins,
                       list(DISTINCT source) FILTER (WHERE role IN ('origin', 'cited', 'via')) AS credited
                FROM article_sources WHERE article_id IN {ids_sql(ids)} GROUP BY article_id
            )
            SELECT a.article_id, a.text, a.title, a.outlet, {ARTICLE_TIME} AS t, {DATED},
                   coalesce(c.origins, []), coalesce(c.credited, []),
                   a.published_at, a.published_date, a.first_seen_at, a.url, a.updated_at, a.language
            FROM articles a LEFT JOIN credits c USING (article_id)
            WHERE {where}"""
    ).fetchall()
    return {r[0]: ArticleRow(*r[:6], frozenset(r[6]), frozenset(r[7]), *r[8:]) for r in rows}


# -- reuse --------------------------------------------------------------------------------------


def replace_fingerprints(
    con: duckdb.DuckDBPyConnection,
    fps: Mapping[str, Fingerprints],
    stale: Sequence[str],
    loaded_at: Mapping[str, datetime | None],
) -> None:
    """Store the fingerprints of these articles, after deleting those of `stale` (ids that had some).

    `loaded_at`: each article's updated_at, so that processing it again writes the same rows.
    """
    counts = [len(f.hashes) for f in fps.values()]
    table = pa.table(
        {
            "article_id": pa.array(np.repeat(np.array(list(fps), dtype=object), counts), pa.string()),
            "loaded_at": pa.array(
                np.repeat(np.array([loaded_at[a] for a in fps], dtype=object), counts),
                pa.timestamp("us", "UTC"),
            ),
            "fingerprint": pa.array(
                np.concatenate([f.hashes for f in fps.values()] or [np.zeros(0, np.int64)]), pa.int64()
            ),
            "position": pa.array(
                np.concatenate([f.positions for f in fps.values()] or [np.zeros(0, np.int32)]), pa.int32()
            ),
        }
    )
    _delete_by_id(con, ("reuse_fingerprints",), stale)
    if not table.num_rows:
        return
    with _registered(con, "prov_fps", table):
        con.execute(
            "INSERT INTO reuse_fingerprints SELECT article_id, fingerprint, position, loaded_at FROM prov_fps"
        )


def _fingerprint_table(fps: Mapping[str, Fingerprints]) -> pa.Table:
    """(article_id, fingerprint) rows of these articles, each pair once."""
    pairs = {(a, int(h)) for a, f in fps.items() for h in np.unique(f.hashes)}
    return pa.table(
        {
            "article_id": pa.array([a for a, _ in pairs], pa.string()),
            "fingerprint": pa.array([h for _, h in pairs], pa.int64()),
        }
    )


def reuse_lookup(
    con: duckdb.DuckDBPyConnection,
    fps: Mapping[str, Fingerprints],
    min_hits: int,
    max_postings: int,
    since: datetime | None = None,
) -> tuple[list[tuple[str, str]], dict[int, int]]:
    """What reuse detection needs of the stored fingerprints, for these (stored) articles' fingerprints:

    - candidate pairs (id, other) sharing >= min_hits fingerprints, one row per unordered pair;
      fingerprints held by more than max_postings articles are boilerplate and ignored;
    - fingerprint -> number of outlets holding it (an article without outlet counts as one), for
      every fingerprint of the batch: how often a run of words recurs across outlets (stock phrases).

    The batch's fingerprints come from the caller, and reuse_fingerprints is read once, by
    fingerprint among the rows loaded `since` (reuse_since; None: all), into a small temporary
    table both answers come from.
    """
    if not fps:
        return [], {}
    window, params = _loaded_since(since, "f.loaded_at")
    with _registered(con, "prov_mine", _fingerprint_table(fps)):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE prov_postings AS
                SELECT DISTINCT f.article_id, f.fingerprint FROM reuse_fingerprints f
                WHERE {window} f.fingerprint IN (SELECT fingerprint FROM prov_mine)""",
            params,
        )
        try:
            pairs = con.execute(
                """WITH common AS (
                       SELECT fingerprint FROM prov_postings GROUP BY fingerprint HAVING count(*) <= ?
                   )
                   SELECT least(m.article_id, p.article_id) AS a, greatest(m.article_id, p.article_id) AS b
                   FROM prov_mine m
                   JOIN prov_postings p ON p.fingerprint = m.fingerprint AND p.article_id <> m.article_id
                   WHERE m.fingerprint IN (SELECT fingerprint FROM common)
                   GROUP BY m.article_id, p.article_id
                   HAVING count(*) >= ?""",
                [max_postings, min_hits],
            ).fetchall()
            # the outlets of the postings' articles only: each was written at or after the load of its
            # fingerprints (loaded_at is its updated_at then), so the window bounds them too and the
            # scan reads the row groups written since, not the outlet of every stored article
            loaded, loaded_params = _loaded_since(since, "a.updated_at")
            recurrence = con.execute(
                f"""SELECT p.fingerprint, count(DISTINCT coalesce(a.outlet, p.article_id))
                    FROM prov_postings p
                    JOIN (SELECT a.article_id, a.outlet FROM articles a WHERE {loaded} true) a
                      USING (article_id)
                    GROUP BY p.fingerprint""",
                loaded_params,
            ).fetchall()
        finally:
            con.execute("DROP TABLE IF EXISTS prov_postings")
    return sorted(set(pairs)), dict(recurrence)


def delete_reuse(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> set[str]:
    """Delete the reuse edges touching `ids` (either side); return the copiers they had."""
    if not ids:
        return set()
    where = f"article_id IN {ids_sql(ids)} OR copied_from_id IN {ids_sql(ids)}"
    copiers = {
        r[0] for r in con.execute(f"SELECT DISTINCT article_id FROM article_reuse WHERE {where}").fetchall()
    }
    if copiers:  # every matching edge has a copier: none, nothing to delete
        con.execute(f"DELETE FROM article_reuse WHERE {where}")
    return copiers


_PASSAGE = pa.struct(
    [
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("src_start", pa.int32()),
        ("src_end", pa.int32()),
        ("text", pa.string()),
    ]
)


def insert_reuse(con: duckdb.DuckDBPyConnection, edges: Sequence[ReuseEdge]) -> None:
    if not edges:
        return
    table = pa.table(
        {
            "article_id": pa.array([e.article_id for e in edges], pa.string()),
            "copied_from_id": pa.array([e.copied_from_id for e in edges], pa.string()),
            "shared_chars": pa.array([e.shared_chars for e in edges], pa.int32()),
            "share": pa.array([e.share for e in edges], pa.float64()),
            "direction_basis": pa.array([e.direction_basis for e in edges], pa.string()),
            "passages": pa.array(
                [
                    [
                        {"start": p.start, "end": p.end, "src_start": p.src_start, "src_end": p.src_end,
                         "text": p.text}
                        for p in e.passages
                    ]
                    for e in edges
                ],
                pa.list_(_PASSAGE),
            ),
        }
    )  # fmt: skip
    with _registered(con, "prov_edges", table):
        con.execute("INSERT INTO article_reuse BY NAME SELECT * FROM prov_edges")


def read_reuse(con: duckdb.DuckDBPyConnection, copier_ids: Sequence[str]) -> list[ReuseEdge]:
    """Every stored edge whose copying article is in `copier_ids`."""
    from transforms.reuse import Passage

    if not copier_ids:
        return []
    rows = con.execute(
        f"""SELECT article_id, copied_from_id, shared_chars, share, passages, direction_basis
            FROM article_reuse WHERE article_id IN {ids_sql(copier_ids)}
            ORDER BY article_id, copied_from_id"""
    ).fetchall()
    return [
        ReuseEdge(
            a, b, c, s,
            tuple(Passage(p["start"], p["end"], p["src_start"], p["src_end"], p["text"]) for p in ps),
            basis,
        )
        for a, b, c, s, ps, basis in rows
    ]  # fmt: skip


# The `via` rows the provenance stage writes (a link to a stored article it copied): evidence is
# the bare address, with offsets. The tagger's via rows hold the via word too ("Via: http..."),
# or the address without offsets (a page link), so the two never take each other's rows.
_LINK_VIA = "role = 'via' AND char_start IS NOT NULL AND starts_with(evidence, 'http')"


def replace_reuse_roles(
    con: duckdb.DuckDBPyConnection, copier_ids: Sequence[str], tags: Sequence[tuple[str, SourceTag]]
) -> None:
    """Replace the `reuse` rows (and the link `via` rows) of article_sources for these articles.

    Other roles are untouched; a link `via` is left out where the tagger already gave that
    source `via`.
    """
    table = pa.table(
        {
            "article_id": pa.array([a for a, _ in tags], pa.string()),
            "source": pa.array([t.source for _, t in tags], pa.string()),
            "kind": pa.array([t.kind for _, t in tags], pa.string()),
            "role": pa.array([t.role for _, t in tags], pa.string()),
            "evidence": pa.array([t.evidence for _, t in tags], pa.string()),
            "char_start": pa.array([t.start for _, t in tags], pa.int32()),
            "char_end": pa.array([t.end for _, t in tags], pa.int32()),
        }
    )
    con.execute(
        f"""DELETE FROM article_sources
            WHERE (role = 'reuse' OR ({_LINK_VIA})) AND article_id IN {ids_sql(copier_ids)}"""
    )
    if not tags:
        return
    with _registered(con, "prov_tags", table):
        con.execute(
            f"""INSERT INTO article_sources BY NAME
                SELECT * FROM prov_tags t
                WHERE t.role = 'reuse' OR NOT EXISTS (
                    SELECT 1 FROM article_sources s
                    WHERE s.article_id IN {ids_sql([a for a, _ in tags])}
                      AND s.article_id = t.article_id AND s.source = t.source AND s.role = t.role)"""
        )


# -- near-duplicates ----------------------------------------------------------------------------


def _bands_table(
    bands: Mapping[str, Sequence[int]], loaded_at: Mapping[str, datetime | None] | None = None
) -> pa.Table:
    columns = {
        "article_id": pa.array([a for a, ks in bands.items() for _ in ks], pa.string()),
        "band_key": pa.array([k for ks in bands.values() for k in ks], pa.int64()),
    }
    if loaded_at is not None:
        columns["loaded_at"] = pa.array(
            [loaded_at[a] for a, ks in bands.items() for _ in ks], pa.timestamp("us", "UTC")
        )
    return pa.table(columns)


def replace_signatures(
    con: duckdb.DuckDBPyConnection,
    sigs: Mapping[str, np.ndarray],
    bands: Mapping[str, Sequence[int]],
    stale: Sequence[str],
    loaded_at: Mapping[str, datetime | None],
) -> None:
    """Store MinHash signatures and LSH band keys of these articles, after deleting those of `stale`
    (`loaded_at`: each article's updated_at, as for the fingerprints)."""
    sig_table = pa.table(
        {
            "article_id": pa.array(list(sigs), pa.string()),
            "signature": pa.array([s.astype("<u4").tobytes() for s in sigs.values()], pa.binary()),
            "loaded_at": pa.array([loaded_at[a] for a in sigs], pa.timestamp("us", "UTC")),
        }
    )
    band_table = _bands_table(bands, loaded_at)
    _delete_by_id(con, ("near_duplicate_signatures", "near_duplicate_bands"), stale)
    if not sigs:
        return
    with _registered(con, "prov_sigs", sig_table), _registered(con, "prov_bands", band_table):
        con.execute("INSERT INTO near_duplicate_signatures BY NAME SELECT * FROM prov_sigs")
        con.execute("INSERT INTO near_duplicate_bands BY NAME SELECT * FROM prov_bands")


def _delete_by_id(con: duckdb.DuckDBPyConnection, tables: Sequence[str], ids: Sequence[str]) -> None:
    if not ids:
        return
    for table in tables:
        con.execute(f"DELETE FROM {table} WHERE article_id IN {ids_sql(ids)}")


def delete_state(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """Drop the index state of articles (e.g. ones no longer in the warehouse)."""
    _delete_by_id(
        con, ("reuse_fingerprints", "near_duplicate_signatures", "near_duplicate_bands", "story_terms"), ids
    )


def near_duplicate_candidates(
    con: duckdb.DuckDBPyConnection, bands: Mapping[str, Sequence[int]], since: datetime | None = None
) -> list[tuple[str, str]]:
    """Unordered pairs (id, other) that share an LSH band key, for these (stored) articles' keys,
    among the articles loaded `since` (reuse_since; None: all)."""
    if not bands:
        return []
    window, params = _loaded_since(since, "o.loaded_at")
    with _registered(con, "prov_bands", _bands_table(bands)):
        rows = con.execute(
            f"""SELECT DISTINCT least(m.article_id, o.article_id), greatest(m.article_id, o.article_id)
                FROM prov_bands m
                JOIN near_duplicate_bands o ON o.band_key = m.band_key AND o.article_id <> m.article_id
                WHERE {window} true""",
            params,
        ).fetchall()
    return sorted(rows)


def read_signatures(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], since: datetime | None = None
) -> dict[str, np.ndarray]:
    """The MinHash signatures of these articles, among those loaded `since` (the window
    near_duplicate_candidates found them in; None: all)."""
    if not ids:
        return {}
    window, params = _loaded_since(since, "loaded_at")
    rows = con.execute(
        f"""SELECT article_id, signature FROM near_duplicate_signatures
            WHERE {window} article_id IN {ids_sql(ids)}""",
        params,
    ).fetchall()
    return {a: np.frombuffer(s, dtype="<u4").astype(np.uint32) for a, s in rows}


def read_times(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, datetime | None]:
    if not ids:
        return {}
    rows = con.execute(
        f"SELECT a.article_id, {ARTICLE_TIME} FROM articles a WHERE a.article_id IN {ids_sql(ids)}"
    ).fetchall()
    return dict(rows)


def replace_near_duplicates(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], found: Sequence[NearDuplicate]
) -> None:
    """Replace the near-duplicate rows touching `ids` (on either side)."""
    table = pa.table(
        {
            "article_id": pa.array([d.article_id for d in found], pa.string()),
            "duplicate_of_id": pa.array([d.duplicate_of_id for d in found], pa.string()),
            "similarity": pa.array([d.similarity for d in found], pa.float64()),
        }
    )
    quoted = ids_sql(ids)
    con.execute(f"DELETE FROM near_duplicates WHERE article_id IN {quoted} OR duplicate_of_id IN {quoted}")
    if found:
        with _registered(con, "prov_dups", table):
            con.execute("INSERT INTO near_duplicates BY NAME SELECT * FROM prov_dups")


# -- stories ------------------------------------------------------------------------------------


def story_of(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], since: datetime | None = None
) -> dict[str, str]:
    """article_id -> story_id of these articles, for those in a story (`since`: where_ids' hint)."""
    where = where_ids(con, ids, alias="articles", since=since)
    if where is None:
        return {}
    rows = con.execute(f"SELECT article_id, story_id FROM articles WHERE {where} AND story_id IS NOT NULL")
    return dict(rows.fetchall())


def _add_document_counts(con: duckdb.DuckDBPyConnection, term_sets: str, sign: int) -> None:
    """Add (sign +1) or take away (-1) the term sets selected by `term_sets` in story_term_df.

    A MERGE of the signed counts, not an upsert: DuckLake tables have no unique key (the load
    lock serialises writers), and its MERGE takes one UPDATE or DELETE action, so terms whose
    count reaches 0 go in a second statement.
    """
    con.execute(
        f"""MERGE INTO story_term_df USING (
                -- '' stands for the article itself: the row counting grouped articles
                SELECT term, {sign:d} * count(*) AS n
                FROM (SELECT unnest(list_append(terms, '')) AS term FROM ({term_sets}))
                GROUP BY term
            ) d ON story_term_df.term = d.term
            WHEN MATCHED THEN UPDATE SET df = story_term_df.df + d.n
            {"WHEN NOT MATCHED THEN INSERT VALUES (d.term, d.n)" if sign > 0 else ""}"""
    )
    if sign < 0:
        con.execute("DELETE FROM story_term_df WHERE df <= 0")


def remove_story_terms(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """Take these articles (ids that had state) out of the story index: keyword vectors and counts."""
    if not ids:
        return
    where = f"article_id IN {ids_sql(ids)}"
    _add_document_counts(con, f"SELECT terms FROM story_term_sets WHERE {where}", -1)
    con.execute(f"DELETE FROM story_term_sets WHERE {where}")
    con.execute(f"DELETE FROM story_terms WHERE {where}")


def term_document_frequencies(
    con: duckdb.DuckDBPyConnection, terms: Sequence[str]
) -> tuple[dict[str, int], int]:
    """Document frequency of `terms` among grouped articles, and the number of grouped articles."""
    terms_table = pa.table({"term": pa.array([*dict.fromkeys(terms), ""], pa.string())})
    with _registered(con, "prov_terms", terms_table):
        rows = con.execute(
            "SELECT term, df FROM story_term_df WHERE term IN (SELECT term FROM prov_terms)"
        ).fetchall()
    df = dict(rows)
    return df, df.pop("", 0)


def insert_story_terms(
    con: duckdb.DuckDBPyConnection,
    vectors: Mapping[str, Mapping[str, float]],
    term_sets: Mapping[str, Sequence[str]],
    times: Mapping[str, tuple[datetime | None, bool]],
) -> None:
    """Add articles to the story index (after `remove_story_terms` for the same ids).

    `times` holds each article's (time, dated), stored with its keywords for `story_members`.
    """
    vec_table = pa.table(
        {
            "article_id": pa.array([a for a, v in vectors.items() for _ in v], pa.string()),
            "term": pa.array([t for v in vectors.values() for t in v], pa.string()),
            "weight": pa.array([w for v in vectors.values() for w in v.values()], pa.float64()),
            "t": pa.array([times[a][0] for a, v in vectors.items() for _ in v], pa.timestamp("us", "UTC")),
            "dated": pa.array([times[a][1] for a, v in vectors.items() for _ in v], pa.bool_()),
        }
    )
    sets_table = pa.table(
        {
            "article_id": pa.array(list(term_sets), pa.string()),
            "terms": pa.array([sorted(set(ts)) for ts in term_sets.values()], pa.list_(pa.string())),
        }
    )
    with _registered(con, "prov_vec", vec_table), _registered(con, "prov_sets", sets_table):
        # in time order, so that the blocks of story_terms keep narrow ranges of t
        con.execute("INSERT INTO story_terms BY NAME SELECT * FROM prov_vec ORDER BY t, article_id")
        con.execute("INSERT INTO story_term_sets BY NAME SELECT * FROM prov_sets")
        _add_document_counts(con, "SELECT terms FROM prov_sets", 1)


def fill_story_term_times(con: duckdb.DuckDBPyConnection) -> int:
    """Give keyword rows without a time (converted from a DuckDB-file warehouse, which has none)
    their article's time, rewritten in time order like the rows of a run; return how many."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE prov_timed AS
            SELECT st.article_id, st.term, st.weight, {ARTICLE_TIME} AS t, {DATED} AS dated
            FROM story_terms st JOIN articles a USING (article_id)
            WHERE st.t IS NULL"""
    )
    try:
        con.execute("DELETE FROM story_terms WHERE t IS NULL")
        con.execute("INSERT INTO story_terms BY NAME SELECT * FROM prov_timed ORDER BY t, article_id")
        return con.execute("SELECT count(*) FROM prov_timed").fetchone()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS prov_timed")


def fill_loaded_at(con: duckdb.DuckDBPyConnection) -> int:
    """Give index rows without a load time (converted from a DuckDB-file warehouse, which has none)
    their article's updated_at, rewritten in that order like the rows of a run; return how many."""
    done = 0
    for table, columns in (
        ("reuse_fingerprints", "x.article_id, x.fingerprint, x.position"),
        ("near_duplicate_bands", "x.article_id, x.band_key"),
        ("near_duplicate_signatures", "x.article_id, x.signature"),
    ):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE prov_loaded AS
                SELECT {columns}, a.updated_at AS loaded_at
                FROM {table} x JOIN articles a USING (article_id)
                WHERE x.loaded_at IS NULL"""
        )
        try:
            con.execute(f"DELETE FROM {table} WHERE loaded_at IS NULL")
            con.execute(
                f"INSERT INTO {table} BY NAME SELECT * FROM prov_loaded ORDER BY loaded_at, article_id"
            )
            done += con.execute("SELECT count(*) FROM prov_loaded").fetchone()[0]
        finally:
            con.execute("DROP TABLE IF EXISTS prov_loaded")
    return done


def story_members(
    con: duckdb.DuckDBPyConnection,
    terms: Sequence[str],
    exclude: Sequence[str],
    dated_since: datetime | None,
    until: datetime,
    undated_since: datetime,
    max_term_articles: int = 2000,
) -> list[StoryMember]:
    """Grouped articles that may be in the batch's window sharing one of `terms`, with their vectors.

    Dated articles count from `dated_since` (None: no bound) to `until`, undated ones
    (first seen only) from `undated_since`; `stories.within_window` decides exactly.

    A term held by more than max_term_articles articles in the window (a word like
    'government') is not used to find members: it would drag in the whole window.

    Only story_terms is read, by its time column first (`t >= dated_since`, a plain range the
    storage prunes blocks by), so the cost follows the window, not the warehouse. The members'
    story ids come from the `stories` rows of the window (a member's story ends at or after it:
    `last_seen >= dated_since`), which list their articles (refresh_stories writes them from
    `articles` in every batch): a read of the stories table's rows, not of every article's story_id.
    A member no such row lists (none, unless a row was not refreshed) is looked up by id.
    """
    terms_table = pa.table({"term": pa.array(list(dict.fromkeys(terms)), pa.string())})
    # dated_since is the lowest time any member can have (undated_since is never below it)
    since = "st.t >= ?::TIMESTAMPTZ AND" if dated_since is not None else ""
    bounds = [dated_since] if dated_since is not None else []
    ending = "last_seen >= ?::TIMESTAMPTZ" if dated_since is not None else "true"
    with _registered(con, "prov_ids", _ids_table(exclude)), _registered(con, "prov_terms", terms_table):
        rows = con.execute(
            f"""WITH window_terms AS (
                    SELECT st.article_id, st.term, st.weight, st.t, st.dated FROM story_terms st
                    WHERE {since}
                          CASE WHEN st.dated THEN st.t <= ?::TIMESTAMPTZ ELSE st.t >= ?::TIMESTAMPTZ END
                      AND st.article_id NOT IN (SELECT article_id FROM prov_ids)
                ),
                hits AS (
                    SELECT article_id, term FROM window_terms WHERE term IN (SELECT term FROM prov_terms)
                ),
                useful AS (SELECT term FROM hits GROUP BY term HAVING count(*) <= ?),
                chosen AS (
                    SELECT DISTINCT article_id FROM hits WHERE term IN (SELECT term FROM useful)
                ),
                vectors AS (
                    SELECT article_id, any_value(t) AS t, any_value(dated) AS dated,
                           list(term) AS terms, list(weight) AS weights
                    FROM window_terms
                    WHERE article_id IN (SELECT article_id FROM chosen)
                    GROUP BY article_id
                ),
                listed AS (SELECT unnest(articles) AS article_id, story_id FROM stories WHERE {ending})
                SELECT v.article_id, l.story_id, v.t, v.dated, v.terms, v.weights
                FROM vectors v
                LEFT JOIN listed l USING (article_id)
                ORDER BY v.article_id""",
            [*bounds, until, undated_since, max_term_articles, *bounds],
        ).to_arrow_table()
    # thousands of members in a full window: two flat lists per member convert fastest
    cols = [rows.column(i).to_pylist() for i in range(rows.num_columns)]
    unlisted = [a for a, s in zip(cols[0], cols[1], strict=True) if s is None]
    found = story_of(con, unlisted) if unlisted else {}
    return [
        StoryMember(a, s or found[a], t, dict(zip(ts, ws, strict=True)), d)
        for a, s, t, d, ts, ws in zip(*cols, strict=True)
        if s is not None or a in found
    ]


def assign_story_ids(
    con: duckdb.DuckDBPyConnection, assignments: Sequence[StoryAssignment], since: datetime | None = None
) -> None:
    where = where_ids(con, [a.article_id for a in assignments], alias="articles", since=since)
    if where is None:
        return
    table = pa.table(
        {
            "article_id": pa.array([a.article_id for a in assignments], pa.string()),
            "story_id": pa.array([a.story_id for a in assignments], pa.string()),
        }
    )
    with _registered(con, "prov_assign", table):
        con.execute(
            f"""UPDATE articles SET story_id = p.story_id FROM prov_assign p
                WHERE articles.article_id = p.article_id AND {where}"""
        )


def story_sizes(
    con: duckdb.DuckDBPyConnection,
    story_ids: Sequence[str],
    exclude: Sequence[str] = (),
    since: datetime | None = None,
) -> dict[str, int]:
    """Number of articles in each of these stories, not counting `exclude` (stories left empty are absent),
    as their `stories` rows list them: before the batch changes a story (stories_now after).

    The members' stories of a window may be thousands: counted from the stories table's rows (one per
    story), not from the story_id of every article. `since`: none of them ends before it (their
    `last_seen`), so the read skips the row groups of older stories.
    """
    if not story_ids:
        return {}
    table = pa.table({"story_id": pa.array(sorted(set(story_ids)), pa.string())})
    ending, params = _loaded_since(since, "last_seen")
    kept = f"list_filter(articles, x -> x NOT IN {ids_sql(exclude)})" if exclude else "articles"
    with _registered(con, "prov_stories", table):
        rows = con.execute(
            f"""SELECT story_id, len({kept})
                FROM stories
                WHERE {ending} story_id IN (SELECT story_id FROM prov_stories)""",
            params,
        ).fetchall()
    return {story: n for story, n in rows if n}


@dataclass(frozen=True, slots=True)
class StoriesNow:
    """The articles in some stories now, inside a batch (stories_now): what both the batch's story
    changes (`sizes`) and the refresh of the stories rows (refresh_stories) read, read once."""

    story_ids: tuple[str, ...]  # the stories asked for
    rows: tuple[tuple[str, str, datetime], ...]  # (article_id, story_id, updated_at) of their articles

    def sizes(self, story_ids: Sequence[str]) -> dict[str, int]:
        """Number of articles in each of these stories (some of `story_ids`); empty ones are absent."""
        wanted = set(story_ids)
        counts: dict[str, int] = {}
        for _, story, _ in self.rows:
            if story in wanted:
                counts[story] = counts.get(story, 0) + 1
        return counts


def stories_now(
    con: duckdb.DuckDBPyConnection, story_ids: Sequence[str], batch_ids: Sequence[str] = ()
) -> StoriesNow:
    """The articles in these stories now, inside a batch that gave `batch_ids` a story and merged
    some of `story_ids` into others: the members their `stories` rows list (those of a merged story
    included) and the batch's own articles, by id (_story_rows)."""
    chosen = tuple(sorted(set(story_ids)))
    return StoriesNow(chosen, tuple(_story_rows(con, chosen, batch_ids)))


def merge_stories(con: duckdb.DuckDBPyConnection, merges: Sequence[StoryMerge]) -> None:
    """Move every article of each merged story into the story it ends in (merges may chain)."""
    into = {m.from_story: m.into_story for m in merges}

    def final(story: str) -> str:
        while story in into:
            story = into[story]
        return story

    if not into:
        return
    table = pa.table(
        {
            "from_story": pa.array(list(into), pa.string()),
            "into_story": pa.array([final(s) for s in into], pa.string()),
        }
    )
    where = _story_where(con, list(into), alias="articles")
    if where is None:
        return
    with _registered(con, "prov_merges", table):
        con.execute(
            f"""UPDATE articles SET story_id = m.into_story FROM prov_merges m
                WHERE articles.story_id = m.from_story AND {where}"""
        )


def story_articles(con: duckdb.DuckDBPyConnection, story_ids: Sequence[str]) -> list[str]:
    """The members of these stories as their `stories` rows list them (by story id: the rows of their
    partitions only, lake.PARTITIONED; `articles` has no key by story)."""
    if not story_ids:
        return []
    row = con.execute(
        f"""SELECT list(DISTINCT a ORDER BY a) FROM (
                SELECT unnest(articles) AS a FROM stories WHERE story_id IN {ids_sql(story_ids)})"""
    ).fetchone()
    return row[0] or []


def _story_where(con: duckdb.DuckDBPyConnection, story_ids: Sequence[str], alias: str = "a") -> str | None:
    """where_ids' filter for the articles of these stories now (None: no article in them).

    The articles that can be in them: the members their `stories` rows list (refresh_stories writes
    those rows from `articles` at the end of every batch). Looked up by id, so the read is their
    partitions' rows, not the story_id column of every article.
    """
    rows = _story_rows(con, story_ids)
    return _rows_in_stories(rows, story_ids, alias) if rows else None


def _rows_in_stories(
    rows: Sequence[tuple[str, str, datetime]], story_ids: Sequence[str], alias: str = "a"
) -> str:
    """The filter on `articles {alias}` for these (article_id, story_id, updated_at) rows (_story_rows)."""
    where = db.rows_written([a for a, _, _ in rows], [t for _, _, t in rows], alias)
    return f"{where} AND {alias}.story_id IN {ids_sql(story_ids)}"


def _story_rows(
    con: duckdb.DuckDBPyConnection, story_ids: Sequence[str], moved: Sequence[str] = ()
) -> list[tuple[str, str, datetime]]:
    """(article_id, story_id, updated_at) of the articles in these stories now: the members their
    `stories` rows list and `moved`, the articles the batch in progress gave a story (stories_now)."""
    if not story_ids:
        return []
    candidates = sorted({*story_articles(con, story_ids), *moved})
    if not candidates:
        return []
    return con.execute(
        f"""SELECT article_id, story_id, updated_at FROM articles
            WHERE article_id IN {ids_sql(candidates)} AND story_id IN {ids_sql(story_ids)}"""
    ).fetchall()


def record_story_history(
    con: duckdb.DuckDBPyConnection,
    changes: Sequence[tuple[str, str, str, str]],
    changed_at: datetime,
    run_id: str | None,
) -> None:
    """Append (kind, from_story_id, into_story_id, article_id) changes to story_history."""
    if not changes:
        return
    table = pa.table(
        {
            "kind": pa.array([c[0] for c in changes], pa.string()),
            "from_story_id": pa.array([c[1] for c in changes], pa.string()),
            "into_story_id": pa.array([c[2] for c in changes], pa.string()),
            "article_id": pa.array([c[3] for c in changes], pa.string()),
        }
    )
    with _registered(con, "prov_changes", table):
        con.execute(
            """INSERT INTO story_history BY NAME
               SELECT ?::TIMESTAMPTZ AS changed_at, *, ?::VARCHAR AS run_id FROM prov_changes""",
            [changed_at, run_id],
        )


def refresh_stories(con: duckdb.DuckDBPyConnection, now: StoriesNow) -> None:
    """Recompute the rows of `now`'s stories from their member articles (a story left empty goes).
    `now` is read before the rows are deleted (stories_now): they list the members."""
    if not now.story_ids:
        return
    con.execute(f"DELETE FROM stories WHERE story_id IN {ids_sql(now.story_ids)}")
    if not now.rows:
        return
    where = _rows_in_stories(now.rows, now.story_ids)
    # the members' rows by id and write time: a label may need a text, so never the whole text column
    con.execute(
        f"""INSERT INTO stories (story_id, label, first_seen, last_seen, articles)
            SELECT a.story_id,
                   arg_min(coalesce(a.title, left(a.text, 80)), ({ARTICLE_TIME}, a.article_id)),
                   min({ARTICLE_TIME}), max({ARTICLE_TIME}),
                   list(a.article_id ORDER BY {ARTICLE_TIME}, a.article_id)
            FROM articles a
            WHERE {where}
            GROUP BY a.story_id"""
    )


def window_bounds(
    times: Sequence[tuple[datetime | None, bool]], window: timedelta, undated: float | None = None
) -> tuple[datetime | None, datetime, datetime] | None:
    """(dated_since, until, undated_since) for `story_members`, from the batch's (time, dated).

    An undated article of the batch may belong to a story of any earlier date; it is looked for
    among dated articles up to `undated` days (default WIRETRACE_UNDATED_DAYS) before the batch's
    earliest time (dated articles of the same batch, however old, are grouped with it in memory), so
    the lookup reads a window of story_terms, never all of it.
    """
    known = [t for t, _ in times if t is not None]
    if not known:
        return None
    all_dated = all(d for t, d in times if t is not None)
    lookback = timedelta(days=undated_days() if undated is None else undated)
    back = window if all_dated else max(window, lookback)
    return min(known) - back, max(known) + window, min(known) - window
