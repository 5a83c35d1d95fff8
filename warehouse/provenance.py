"""Every SQL statement of the provenance stage: reuse, near-duplicates, stories.

Reads return plain Python values; writes take whole batches as Arrow tables (one
INSERT ... SELECT per table, never row by row) after deleting the rows of the same
articles, so re-processing an article replaces its rows. The caller owns the
transaction (flows wrap a whole batch in `warehouse.db.transaction`).

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

from transforms.near_duplicates import NearDuplicate
from transforms.records import SourceTag
from transforms.reuse import Fingerprints, ReuseEdge
from transforms.stories import StoryAssignment, StoryMember, StoryMerge

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


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


def _ids_table(ids: Sequence[str]) -> pa.Table:
    return pa.table({"article_id": pa.array(list(dict.fromkeys(ids)), pa.string())})


def read_articles(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, ArticleRow]:
    """The articles `ids` with what reuse and stories need of them (missing ids are left out)."""
    if not ids:
        return {}
    with _registered(con, "prov_ids", _ids_table(ids)):
        rows = con.execute(
            f"""SELECT a.article_id, a.text, a.title, a.outlet, {ARTICLE_TIME} AS t, {DATED},
                   coalesce(list(DISTINCT s.source)
                            FILTER (WHERE s.role = 'origin' AND s.kind = 'agency'), []),
                   coalesce(list(DISTINCT s.source)
                            FILTER (WHERE s.role IN ('origin', 'cited', 'via')), []),
                   a.published_at, a.published_date, a.first_seen_at, a.url
                FROM articles a
                LEFT JOIN article_sources s USING (article_id)
                WHERE a.article_id IN (SELECT article_id FROM prov_ids)
                GROUP BY ALL"""
        ).fetchall()
    return {r[0]: ArticleRow(*r[:6], frozenset(r[6]), frozenset(r[7]), *r[8:]) for r in rows}


# -- reuse --------------------------------------------------------------------------------------


def replace_fingerprints(con: duckdb.DuckDBPyConnection, fps: Mapping[str, Fingerprints]) -> None:
    """Store the fingerprints of these articles (replacing any they had)."""
    table = pa.table(
        {
            "article_id": pa.array(
                np.repeat(np.array(list(fps), dtype=object), [len(f.hashes) for f in fps.values()]),
                pa.string(),
            ),
            "fingerprint": pa.array(
                np.concatenate([f.hashes for f in fps.values()] or [np.zeros(0, np.int64)]), pa.int64()
            ),
            "position": pa.array(
                np.concatenate([f.positions for f in fps.values()] or [np.zeros(0, np.int32)]), pa.int32()
            ),
        }
    )
    with _registered(con, "prov_ids", _ids_table(list(fps))), _registered(con, "prov_fps", table):
        con.execute("DELETE FROM reuse_fingerprints WHERE article_id IN (SELECT article_id FROM prov_ids)")
        con.execute("INSERT INTO reuse_fingerprints SELECT article_id, fingerprint, position FROM prov_fps")


def reuse_candidates(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], min_hits: int, max_postings: int
) -> list[tuple[str, str]]:
    """Pairs (id, other) sharing >= min_hits fingerprints, one row per unordered pair.

    Fingerprints held by more than max_postings articles are boilerplate and ignored.
    """
    if not ids:
        return []
    with _registered(con, "prov_ids", _ids_table(ids)):
        rows = con.execute(
            """WITH mine AS (
                   SELECT DISTINCT article_id, fingerprint FROM reuse_fingerprints
                   WHERE article_id IN (SELECT article_id FROM prov_ids)
               ),
               postings AS (
                   SELECT DISTINCT f.article_id, f.fingerprint FROM reuse_fingerprints f
                   WHERE f.fingerprint IN (SELECT fingerprint FROM mine)
               ),
               common AS (
                   SELECT fingerprint FROM postings GROUP BY fingerprint HAVING count(*) <= ?
               )
               SELECT least(m.article_id, p.article_id) AS a, greatest(m.article_id, p.article_id) AS b
               FROM mine m
               JOIN postings p ON p.fingerprint = m.fingerprint AND p.article_id <> m.article_id
               WHERE m.fingerprint IN (SELECT fingerprint FROM common)
               GROUP BY m.article_id, p.article_id
               HAVING count(*) >= ?""",
            [max_postings, min_hits],
        ).fetchall()
    return sorted(set(rows))


def fingerprint_recurrence(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[int, int]:
    """fingerprint -> number of outlets holding it (an article without outlet counts as one), for
    every fingerprint of `ids`: how often a run of words recurs across outlets (stock phrases)."""
    if not ids:
        return {}
    with _registered(con, "prov_ids", _ids_table(ids)):
        rows = con.execute(
            """WITH mine AS (
                   SELECT DISTINCT fingerprint FROM reuse_fingerprints
                   WHERE article_id IN (SELECT article_id FROM prov_ids)
               )
               SELECT f.fingerprint, count(DISTINCT coalesce(a.outlet, f.article_id))
               FROM reuse_fingerprints f
               JOIN articles a USING (article_id)
               WHERE f.fingerprint IN (SELECT fingerprint FROM mine)
               GROUP BY f.fingerprint"""
        ).fetchall()
    return dict(rows)


def delete_reuse(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> set[str]:
    """Delete the reuse edges touching `ids` (either side); return the copiers they had."""
    if not ids:
        return set()
    with _registered(con, "prov_ids", _ids_table(ids)):
        where = """article_id IN (SELECT article_id FROM prov_ids)
                   OR copied_from_id IN (SELECT article_id FROM prov_ids)"""
        copiers = {
            r[0]
            for r in con.execute(f"SELECT DISTINCT article_id FROM article_reuse WHERE {where}").fetchall()
        }
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
    with _registered(con, "prov_ids", _ids_table(copier_ids)):
        rows = con.execute(
            """SELECT article_id, copied_from_id, shared_chars, share, passages, direction_basis
               FROM article_reuse
               WHERE article_id IN (SELECT article_id FROM prov_ids)
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
    with _registered(con, "prov_ids", _ids_table(copier_ids)), _registered(con, "prov_tags", table):
        con.execute(
            f"""DELETE FROM article_sources
                WHERE (role = 'reuse' OR ({_LINK_VIA})) AND article_id IN (SELECT article_id FROM prov_ids)"""
        )
        con.execute(
            """INSERT INTO article_sources BY NAME
               SELECT * FROM prov_tags t
               WHERE t.role = 'reuse' OR NOT EXISTS (
                   SELECT 1 FROM article_sources s
                   WHERE s.article_id = t.article_id AND s.source = t.source AND s.role = t.role)"""
        )


# -- near-duplicates ----------------------------------------------------------------------------


def replace_signatures(
    con: duckdb.DuckDBPyConnection, sigs: Mapping[str, np.ndarray], bands: Mapping[str, Sequence[int]]
) -> None:
    """Store MinHash signatures and LSH band keys of these articles (replacing any they had)."""
    sig_table = pa.table(
        {
            "article_id": pa.array(list(sigs), pa.string()),
            "signature": pa.array([s.astype("<u4").tobytes() for s in sigs.values()], pa.binary()),
        }
    )
    band_table = pa.table(
        {
            "article_id": pa.array([a for a, ks in bands.items() for _ in ks], pa.string()),
            "band_key": pa.array([k for ks in bands.values() for k in ks], pa.int64()),
        }
    )
    ids = list(dict.fromkeys([*sigs, *bands]))
    with (
        _registered(con, "prov_ids", _ids_table(ids)),
        _registered(con, "prov_sigs", sig_table),
        _registered(con, "prov_bands", band_table),
    ):
        con.execute(
            "DELETE FROM near_duplicate_signatures WHERE article_id IN (SELECT article_id FROM prov_ids)"
        )
        con.execute("DELETE FROM near_duplicate_bands WHERE article_id IN (SELECT article_id FROM prov_ids)")
        con.execute("INSERT INTO near_duplicate_signatures SELECT article_id, signature FROM prov_sigs")
        con.execute("INSERT INTO near_duplicate_bands SELECT article_id, band_key FROM prov_bands")


def delete_state(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """Drop the index state of articles (e.g. ones whose text is now empty)."""
    with _registered(con, "prov_ids", _ids_table(ids)):
        for table in (
            "reuse_fingerprints",
            "near_duplicate_signatures",
            "near_duplicate_bands",
            "story_terms",
        ):
            con.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT article_id FROM prov_ids)")


def near_duplicate_candidates(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[tuple[str, str]]:
    """Unordered pairs (id, other) that share an LSH band key."""
    if not ids:
        return []
    with _registered(con, "prov_ids", _ids_table(ids)):
        rows = con.execute(
            """SELECT DISTINCT least(m.article_id, o.article_id), greatest(m.article_id, o.article_id)
               FROM near_duplicate_bands m
               JOIN near_duplicate_bands o ON o.band_key = m.band_key AND o.article_id <> m.article_id
               WHERE m.article_id IN (SELECT article_id FROM prov_ids)"""
        ).fetchall()
    return sorted(rows)


def read_signatures(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, np.ndarray]:
    if not ids:
        return {}
    with _registered(con, "prov_ids", _ids_table(ids)):
        rows = con.execute(
            """SELECT article_id, signature FROM near_duplicate_signatures
               WHERE article_id IN (SELECT article_id FROM prov_ids)"""
        ).fetchall()
    return {a: np.frombuffer(s, dtype="<u4").astype(np.uint32) for a, s in rows}


def read_times(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, datetime | None]:
    if not ids:
        return {}
    with _registered(con, "prov_ids", _ids_table(ids)):
        rows = con.execute(
            f"""SELECT a.article_id, {ARTICLE_TIME} FROM articles a
                WHERE a.article_id IN (SELECT article_id FROM prov_ids)"""
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
    with _registered(con, "prov_ids", _ids_table(ids)), _registered(con, "prov_dups", table):
        con.execute(
            """DELETE FROM near_duplicates WHERE article_id IN (SELECT article_id FROM prov_ids)
               OR duplicate_of_id IN (SELECT article_id FROM prov_ids)"""
        )
        con.execute("INSERT INTO near_duplicates BY NAME SELECT * FROM prov_dups")


# -- stories ------------------------------------------------------------------------------------


def story_of(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, str]:
    """article_id -> story_id of these articles, for those in a story."""
    with _registered(con, "prov_ids", _ids_table(ids)):
        rows = con.execute(
            """SELECT article_id, story_id FROM articles
               WHERE story_id IS NOT NULL AND article_id IN (SELECT article_id FROM prov_ids)"""
        ).fetchall()
    return dict(rows)


def remove_story_terms(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """Take these articles out of the story index: their keyword vectors and their document counts."""
    with _registered(con, "prov_ids", _ids_table(ids)):
        con.execute(
            """WITH gone AS (
                   -- '' stands for the article itself: the row counting grouped articles
                   SELECT term, count(*) AS n
                   FROM (SELECT unnest(list_append(terms, '')) AS term FROM story_term_sets
                         WHERE article_id IN (SELECT article_id FROM prov_ids))
                   GROUP BY term
               )
               UPDATE story_term_df SET df = story_term_df.df - gone.n FROM gone
               WHERE story_term_df.term = gone.term"""
        )
        con.execute("DELETE FROM story_term_df WHERE df <= 0")
        con.execute("DELETE FROM story_term_sets WHERE article_id IN (SELECT article_id FROM prov_ids)")
        con.execute("DELETE FROM story_terms WHERE article_id IN (SELECT article_id FROM prov_ids)")


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
) -> None:
    """Add articles to the story index (after `remove_story_terms` for the same ids)."""
    vec_table = pa.table(
        {
            "article_id": pa.array([a for a, v in vectors.items() for _ in v], pa.string()),
            "term": pa.array([t for v in vectors.values() for t in v], pa.string()),
            "weight": pa.array([w for v in vectors.values() for w in v.values()], pa.float64()),
        }
    )
    sets_table = pa.table(
        {
            "article_id": pa.array(list(term_sets), pa.string()),
            "terms": pa.array([sorted(set(ts)) for ts in term_sets.values()], pa.list_(pa.string())),
        }
    )
    with _registered(con, "prov_vec", vec_table), _registered(con, "prov_sets", sets_table):
        con.execute("INSERT INTO story_terms BY NAME SELECT * FROM prov_vec")
        con.execute("INSERT INTO story_term_sets BY NAME SELECT * FROM prov_sets")
        # A counter every batch updates: the load lock around the batch keeps `term` unique.
        con.execute(
            """MERGE INTO story_term_df t
               USING (SELECT term, count(*) AS df
                      FROM (SELECT unnest(list_append(terms, '')) AS term FROM prov_sets)
                      GROUP BY term) b
               ON t.term = b.term
               WHEN MATCHED THEN UPDATE SET df = t.df + b.df
               WHEN NOT MATCHED THEN INSERT (term, df) VALUES (b.term, b.df)"""
        )


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
    """
    terms_table = pa.table({"term": pa.array(list(dict.fromkeys(terms)), pa.string())})
    with _registered(con, "prov_ids", _ids_table(exclude)), _registered(con, "prov_terms", terms_table):
        rows = con.execute(
            f"""WITH recent AS (
                    SELECT a.article_id, a.story_id, {ARTICLE_TIME} AS t, {DATED} AS dated FROM articles a
                    WHERE a.story_id IS NOT NULL
                      AND a.article_id NOT IN (SELECT article_id FROM prov_ids)
                      AND CASE WHEN {DATED}
                               THEN {ARTICLE_TIME} BETWEEN coalesce(?, '-infinity'::TIMESTAMPTZ) AND ?
                               ELSE {ARTICLE_TIME} >= ? END
                ),
                hits AS (
                    SELECT st.article_id, st.term FROM story_terms st
                    JOIN recent USING (article_id)
                    WHERE st.term IN (SELECT term FROM prov_terms)
                ),
                useful AS (SELECT term FROM hits GROUP BY term HAVING count(*) <= ?),
                chosen AS (
                    SELECT DISTINCT article_id FROM hits WHERE term IN (SELECT term FROM useful)
                )
                SELECT r.article_id, r.story_id, r.t, r.dated, map_from_entries(list((st.term, st.weight)))
                FROM recent r
                JOIN chosen USING (article_id)
                JOIN story_terms st USING (article_id)
                GROUP BY ALL
                ORDER BY r.article_id""",
            [dated_since, until, undated_since, max_term_articles],
        ).fetchall()
    return [StoryMember(a, s, t, dict(v), d) for a, s, t, d, v in rows]


def assign_story_ids(con: duckdb.DuckDBPyConnection, assignments: Sequence[StoryAssignment]) -> None:
    table = pa.table(
        {
            "article_id": pa.array([a.article_id for a in assignments], pa.string()),
            "story_id": pa.array([a.story_id for a in assignments], pa.string()),
        }
    )
    with _registered(con, "prov_assign", table):
        con.execute(
            """UPDATE articles SET story_id = p.story_id FROM prov_assign p
               WHERE articles.article_id = p.article_id"""
        )


def story_sizes(
    con: duckdb.DuckDBPyConnection, story_ids: Sequence[str], exclude: Sequence[str] = ()
) -> dict[str, int]:
    """Number of articles in each of these stories, not counting `exclude` (stories left empty are absent)."""
    table = pa.table({"story_id": pa.array(sorted(set(story_ids)), pa.string())})
    with _registered(con, "prov_stories", table), _registered(con, "prov_ids", _ids_table(exclude)):
        rows = con.execute(
            """SELECT story_id, count(*) FROM articles
               WHERE story_id IN (SELECT story_id FROM prov_stories)
                 AND article_id NOT IN (SELECT article_id FROM prov_ids)
               GROUP BY story_id"""
        ).fetchall()
    return dict(rows)


def merge_stories(con: duckdb.DuckDBPyConnection, merges: Sequence[StoryMerge]) -> None:
    """Move every article of each merged story into the story it ends in (merges may chain)."""
    into = {m.from_story: m.into_story for m in merges}

    def final(story: str) -> str:
        while story in into:
            story = into[story]
        return story

    table = pa.table(
        {
            "from_story": pa.array(list(into), pa.string()),
            "into_story": pa.array([final(s) for s in into], pa.string()),
        }
    )
    with _registered(con, "prov_merges", table):
        con.execute(
            """UPDATE articles SET story_id = m.into_story FROM prov_merges m
               WHERE articles.story_id = m.from_story"""
        )


def current_run(con: duckdb.DuckDBPyConnection) -> str | None:
    """The run in progress in this working copy (started, not finished), if any."""
    row = con.execute(
        "SELECT run_id FROM runs WHERE finished_at IS NULL ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


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


def refresh_stories(con: duckdb.DuckDBPyConnection, story_ids: Sequence[str]) -> None:
    """Recompute the rows of these stories from their member articles (a story left empty goes)."""
    if not story_ids:
        return
    table = pa.table({"story_id": pa.array(sorted(set(story_ids)), pa.string())})
    with _registered(con, "prov_stories", table):
        con.execute("DELETE FROM stories WHERE story_id IN (SELECT story_id FROM prov_stories)")
        con.execute(
            f"""INSERT INTO stories (story_id, label, first_seen, last_seen, articles)
                SELECT a.story_id,
                       arg_min(coalesce(a.title, left(a.text, 80)), ({ARTICLE_TIME}, a.article_id)),
                       min({ARTICLE_TIME}), max({ARTICLE_TIME}),
                       list(a.article_id ORDER BY {ARTICLE_TIME}, a.article_id)
                FROM articles a
                WHERE a.story_id IN (SELECT story_id FROM prov_stories)
                GROUP BY a.story_id"""
        )


def window_bounds(
    times: Sequence[tuple[datetime | None, bool]], window: timedelta
) -> tuple[datetime | None, datetime, datetime] | None:
    """(dated_since, until, undated_since) for `story_members`, from the batch's (time, dated)."""
    known = [t for t, _ in times if t is not None]
    if not known:
        return None
    # an undated article of the batch may belong to a story of any earlier date
    all_dated = all(d for t, d in times if t is not None)
    return (min(known) - window if all_dated else None), max(known) + window, min(known) - window
