"""The provenance stage: text reuse, near-duplicates and stories for a batch of articles.

A plain function (the ingest flow wraps it in a task and a transaction). It reads the
batch and only the state it needs (fingerprints, signatures, keyword vectors of the
candidates) through `warehouse.provenance`, runs the pure transforms and writes the
results back. Every write deletes the rows of the batch's articles first, so running it
twice for the same ids leaves the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import numpy as np

from transforms import near_duplicates as nd
from transforms import reuse, stories
from warehouse import provenance as wp


def _reuse_doc(row: wp.ArticleRow) -> reuse.ReuseDoc:
    return reuse.ReuseDoc(
        row.article_id,
        row.text,
        row.published_at or row.published_date,
        row.origins,
        row.credited,
        row.outlet,
        row.first_seen_at,
        row.url,
        reuse.linked_urls(row.text),
    )


def _reuse(
    con: duckdb.DuckDBPyConnection,
    batch: dict[str, wp.ArticleRow],
    ids: Sequence[str],
    shingles: dict[str, np.ndarray],
    stale: Sequence[str],
) -> dict[str, int]:
    fps = {a: reuse.fingerprints(row.text, shingles[a]) for a, row in batch.items()}
    wp.replace_fingerprints(con, fps, stale, {a: row.updated_at for a, row in batch.items()})
    pairs, recurrence = wp.reuse_lookup(con, fps, reuse.MIN_HITS, reuse.MAX_POSTINGS, wp.reuse_since(batch))
    others = sorted({x for p in pairs for x in p} - set(batch))
    rows = {**batch, **wp.read_articles(con, others)}
    docs = {a: _reuse_doc(r) for a, r in rows.items()}
    pairs = [p for p in pairs if p[0] in docs and p[1] in docs]
    old_copiers = wp.delete_reuse(con, ids)
    edges = reuse.detect_reuse(pairs, docs, recurrence=recurrence)
    wp.insert_reuse(con, edges)

    # reuse credits depend on every edge of a copier, old ones included
    copiers = sorted(old_copiers | {e.article_id for e in edges} | set(ids))
    all_edges = wp.read_reuse(con, copiers)
    missing = ({e.copied_from_id for e in all_edges} | set(copiers)) - set(rows)
    rows.update(wp.read_articles(con, sorted(missing)))
    tags = reuse.reuse_tags(
        all_edges,
        {a: r.origins for a, r in rows.items()},
        {a: r.outlet for a, r in rows.items()},
    )
    tags += reuse.link_tags(all_edges, {a: _reuse_doc(r) for a, r in rows.items()})
    wp.replace_reuse_roles(con, copiers, tags)
    return {"candidate_pairs": len(pairs), "reuse_edges": len(edges), "reuse_tags": len(tags)}


def _near_duplicates(
    con: duckdb.DuckDBPyConnection,
    batch: dict[str, wp.ArticleRow],
    ids: Sequence[str],
    shingles: dict[str, np.ndarray],
    stale: Sequence[str],
) -> int:
    sigs = {a: s for a, row in batch.items() if (s := nd.signature(row.text, shingles[a])) is not None}
    bands = {a: nd.band_keys(s) for a, s in sigs.items()}
    wp.replace_signatures(con, sigs, bands, stale, {a: row.updated_at for a, row in batch.items()})
    since = wp.reuse_since(batch)
    pairs = wp.near_duplicate_candidates(con, bands, since)
    involved = sorted({x for p in pairs for x in p})
    all_sigs = {**wp.read_signatures(con, [x for x in involved if x not in sigs], since), **sigs}
    found = nd.find_near_duplicates(pairs, all_sigs, wp.read_times(con, involved))
    wp.replace_near_duplicates(con, ids, found)
    return len(found)


def _stories(
    con: duckdb.DuckDBPyConnection,
    batch: dict[str, wp.ArticleRow],
    ids: Sequence[str],
    stale: Sequence[str],
    since: datetime | None = None,
    run_id: str | None = None,
) -> int:
    old_story = wp.story_of(con, ids, since)
    # out of the index first, so that a re-processed article is not its own neighbour
    # and the document frequencies are those of the other articles
    wp.remove_story_terms(con, stale)
    docs = [stories.StoryDoc(a, r.text, r.title, r.time, r.dated, r.language) for a, r in batch.items()]
    counts = {d.article_id: stories.term_counts(d.text, d.title, d.language) for d in docs}
    terms = sorted({t for c in counts.values() for t in c})
    df, n_docs = wp.term_document_frequencies(con, terms)
    bounds = wp.window_bounds([(d.time, d.dated) for d in docs], stories.WINDOW)
    members = wp.story_members(con, terms, ids, *bounds) if bounds else []
    # sizes without the batch: its re-processed articles are assigned afresh
    sizes = wp.story_sizes(con, sorted({m.story_id for m in members}), ids, bounds[0] if bounds else None)
    assignments, vectors, merges = stories.assign_stories(
        docs, members, df, n_docs, counts=counts, sizes=sizes
    )
    wp.insert_story_terms(
        con, vectors, {a: list(c) for a, c in counts.items()}, {d.article_id: (d.time, d.dated) for d in docs}
    )
    wp.merge_stories(con, merges)
    wp.assign_story_ids(con, assignments, since)
    new_story = {a.article_id: a.story_id for a in assignments}
    merged = {m.from_story: m.into_story for m in merges}
    touched = set(old_story.values()) | set(new_story.values()) | set(merged)
    # one read of the articles in every story the batch touched: the sizes its old stories are left
    # with, and the members their stories rows are refreshed from (the rows still list the members
    # of the stories it merged: they are refreshed last)
    now = wp.stories_now(con, sorted(touched), ids)
    changes = stories.story_changes(old_story, new_story, merges, now.sizes(sorted(set(old_story.values()))))
    wp.record_story_history(
        con, [(c.kind, c.from_story, c.into_story, c.article_id) for c in changes], datetime.now(UTC), run_id
    )
    wp.refresh_stories(con, now)
    return len(set(new_story.values()))


def update_provenance(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, int]:
    """Find reuse, near-duplicates and stories for these (new or re-loaded) articles; return counts."""
    ids = sorted(set(article_ids))
    # the articles were loaded by the run in progress (usually): looked for among its writes first
    run_id, since = wp.run_in_progress(con)
    batch = wp.read_articles(con, ids, since)
    # only articles processed before have index state to replace (new ones, the usual case, none)
    stale = wp.processed(con, ids)
    # an id no longer in articles keeps no state and no edges
    wp.delete_state(con, [a for a in stale if a not in batch])
    counts = {"articles": len(batch)}
    # word shingles feed both the reuse fingerprints and the MinHash signatures
    shingles = {a: reuse.text_shingles(row.text) for a, row in batch.items()}
    counts.update(_reuse(con, batch, ids, shingles, stale))
    counts["near_duplicates"] = _near_duplicates(con, batch, ids, shingles, stale)
    counts["stories"] = _stories(con, batch, ids, stale, since, run_id)
    return counts
