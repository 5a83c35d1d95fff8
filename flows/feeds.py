"""The feed part of a run, as task wiring: poll the due feeds, record new entries, fetch, keep matches.

    config (clients/config_files.py) -> due feeds -> poll (clients/feeds.py) -> feed states, moves and new
    or changed entries, in one transaction -> pages to fetch -> fetch -> sort -> extract and tag (the
    seeds' tasks) -> topic filter -> load the matching ones -> every entry's outcome

Decisions are in transforms/feed_decisions.py and feed_pages.py, statements in warehouse/feeds.py,
HTTP in clients/. Every entry seen is kept in feed_entries, matched or not, so no page is fetched
twice; feed state is saved in the same transaction as the new entries, so a crash after it never loses
an entry. Pages are fetched in a thread of their own (clients/feeds.py PageStream) while the chunk
fetched before is extracted, tagged and saved: fetching overlaps extraction, with a bounded number
of pages waiting between them. New fetches start only within the run's time budget
(settings.feed_fetch_budget); the entries not reached stay pending for the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NONE
from prefect.exceptions import MissingContextError
from prefect.futures import PrefectFuture
from prefect.utilities.annotations import quote

from clients.config_files import load_feed_config
from clients.feeds import PageStream, poll
from clients.robots import RobotsCache
from flows.counts import FeedCounts
from flows.tasks import extract_and_tag, load_batch, now
from flows.workers import Pool
from settings import Settings, allow_private_networks
from transforms import feed_decisions as fd
from transforms import feed_pages as fp
from transforms.feeds import FeedConfig, FetchPolicy, Topic
from transforms.records import Failure, RawDocument, TaggedArticle
from warehouse import db
from warehouse import feeds as wf


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("wiretrace.feeds")


def _private_ok(policy: FetchPolicy) -> bool:
    return allow_private_networks() or policy.allow_private_networks


@task(name="poll-feeds", cache_policy=NONE)
def poll_feeds_task(
    config: FeedConfig,
    states: dict[str, fd.FeedStateRow],
    force: bool,
    max_bytes: int,
    robots: RobotsCache,
) -> list[fd.PollOutcome]:
    moment = now()
    due = fd.select_due(config, states, moment, force)
    outcomes = poll(due, states, config.fetch, max_bytes, _private_ok(config.fetch), robots)
    log = _logger()
    by = {s: sum(o.status == s for o in outcomes) for s in ("parsed", "not_modified", "unchanged", "failed")}
    log.info(
        "polled %d of %d feeds (%d not due): %d parsed, %d not modified (304), %d unchanged (same hash), "
        "%d failed", len(due), len(config.feeds), len(config.feeds) - len(due), by["parsed"],
        by["not_modified"], by["unchanged"], by["failed"],
    )  # fmt: skip
    for o in outcomes:
        if o.status == "failed":
            log.warning("feed %s: %s failed: %s", o.polled_url, o.stage, o.error)
    return outcomes


@task(name="record-polls-and-new-entries", cache_policy=NONE)
def record_polls_task(
    con: duckdb.DuckDBPyConnection,
    outcomes: list[fd.PollOutcome],
    states: dict[str, fd.FeedStateRow],
    run_id: str,
) -> fd.EntryChanges:
    """Feed states, moves, poll failures and new or changed entries in one transaction.

    `states`: feed_state as read before the polls (read once: the runs that write a feed's state are
    those of its shard, one at a time, under the deployment's concurrency limit)."""
    moment = now()
    candidates = [(o.spec.url, e) for o in outcomes if o.result for e in o.result.entries]
    with db.transaction(con):
        known = wf.known_entries(con, [(feed, e.key) for feed, e in candidates])
        links = [e.canonical_link for key, e in candidates if key not in known and e.canonical_link]
        entries = fd.entry_rows(candidates, known, wf.known_urls(con, links), moment, run_id)
        wf.save_feed_states(con, [fd.next_state(o, states.get(o.spec.url), moment) for o in outcomes])
        moves = fd.feed_moves(outcomes, states, moment, run_id)
        wf.save_feed_moves(con, moves)
        wf.upsert_entries(con, entries.rows)
        failed = [
            Failure(o.spec.url, "feed", o.stage, o.error or "failed")
            for o in outcomes
            if o.status == "failed"
        ]
        db.record_failures(con, failed, run_id, moment)
        # Only a feed whose last poll failed has an open failure to resolve: in the common run (every
        # feed fine, before and now) there is no statement to run.
        recovered = [
            o.spec.url for o in outcomes if o.status != "failed" and _may_have_failed(states.get(o.spec.url))
        ]
        db.resolve_failures(con, "feed", recovered, moment)
    log = _logger()
    counts = {s: sum(r.status == s for r in entries.new) for s in ("pending", "duplicate", "skipped")}
    log.info(
        "%d new entries: %d to fetch, %d already seen through another link or feed, %d with no link; "
        "%d known entries changed and are fetched again", len(entries.new), counts["pending"],
        counts["duplicate"], counts["skipped"], len(entries.changed),
    )  # fmt: skip
    for m in moves:
        log.info("feed %s moved permanently: %s -> %s", m.feed_url, m.old_url, m.new_url)
    return entries


def _may_have_failed(state: fd.FeedStateRow | None) -> bool:
    # No state: a feed first polled now, or one whose row is gone; its failures (if any) are resolved.
    return state is None or state.consecutive_failures > 0 or state.last_status == "failed"


def log_fetched(pages: Sequence[fp.FetchedPage]) -> None:
    failed = [p for p in pages if p.error]
    retries = sum(p.entry.status == "failed" for p in pages)
    log = _logger()
    log.info("fetched %d pages (%d retried): %d failed", len(pages), retries, len(failed))
    for p in failed:
        log.warning("page failed: %s (%d attempts): %s", p.entry.link, p.attempts, p.error)


def load_feed_pages(
    con: duckdb.DuckDBPyConnection,
    work: Sequence[tuple[fd.EntryRow, RawDocument]],
    results: Sequence[TaggedArticle | Failure],
    topics: Sequence[Topic],
    run_id: str,
    version: str,
    settings: Settings,
    moment: datetime,
) -> tuple[list[fd.EntryRow], FeedCounts]:
    """Keep the extracted articles matching a topic and load them, in batches (the seeds' tasks)."""
    settled: list[fd.EntryRow] = []
    counts = FeedCounts()
    for start in range(0, len(work), settings.batch_size):
        batch, done = work[start : start + settings.batch_size], results[start : start + settings.batch_size]
        raws = [raw for _, raw in batch]
        # matched in the workers (extract_and_tag with the topics): a match carries its topics' names
        kept = [r if isinstance(r, TaggedArticle) and (r.topics or not topics) else None for r in done]
        matched = [k for k in kept if k is not None]
        failures = fp.page_failures(done, raws)
        # The raw bytes' WARC records are encoded here, not in the pool: its workers are extracting
        # the next chunk, and this load would wait behind all of it.
        outcome = load_batch(con, quote([*matched, *failures]), quote(raws), run_id, version, pool=None)
        settled += fp.settle_processed(batch, done, kept, moment, run_id)
        counts += FeedCounts(
            pages_failed=len(failures),
            pages_matched=len(matched),
            pages_unmatched=len(batch) - len(matched) - len(failures),
            new=outcome.new,
            updated=outcome.updated,
            loaded=tuple(outcome.loaded),
        )
    return settled, counts


@dataclass
class Chunk:
    """Fetched pages, sorted, whose extraction runs (a Prefect future) while the chunk before is loaded."""

    pages: Sequence[fp.FetchedPage]
    moment: datetime
    fetched: fp.SortedPages
    extraction: PrefectFuture | None

    def urls(self) -> dict[str, str | None]:
        """The pages this chunk will load or settle: for the next chunk, as known as if saved."""
        return {raw.url: None for _, raw in self.fetched.work if raw.url}


def start_chunk(
    con: duckdb.DuckDBPyConnection,
    pages: Sequence[fp.FetchedPage],
    in_flight: dict[str, str | None],
    outlets: dict[str, str | None],
    topics: Sequence[Topic],
    run_id: str,
    pool: Pool | None,
    settings: Settings,
) -> Chunk:
    """Sort fetched pages and start extracting (and matching against `topics`) the new ones (returns
    at once).

    `in_flight`: the pages of the chunk before, not saved yet, count as known (a page reached again
    through another link is a duplicate, as within one chunk)."""
    moment = now()
    known = {**in_flight, **wf.known_settled_urls(con, [p.url for p in pages if p.url])}
    fetched = fp.sort_pages(pages, known, outlets, moment, run_id)
    raws = [raw for _, raw in fetched.work]
    extraction = extract_and_tag.submit(quote(raws), pool, settings, quote(topics)) if raws else None
    return Chunk(pages, moment, fetched, extraction)


def finish_chunk(
    con: duckdb.DuckDBPyConnection, chunk: Chunk, topics: Sequence[Topic], run_id: str, version: str,
    settings: Settings,
) -> FeedCounts:  # fmt: skip
    """Wait for the chunk's extraction, load what matches, and save every entry's outcome."""
    fetched, moment = chunk.fetched, chunk.moment
    results = chunk.extraction.result() if chunk.extraction is not None else []
    processed, counts = load_feed_pages(con, fetched.work, results, topics, run_id, version, settings, moment)
    # A duplicate of a page of the chunk before was sorted before that chunk was saved: its article id now.
    unresolved = [e.canonical_url for e in fetched.settled if e.status == "duplicate" and not e.article_id]
    ids = wf.known_settled_urls(con, [u for u in unresolved if u])
    settled = [
        replace(e, article_id=ids[e.canonical_url]) if ids.get(e.canonical_url or "") else e
        for e in fetched.settled
    ]
    with db.transaction(con):
        wf.upsert_entries(con, [*settled, *processed])
        db.record_failures(con, list(fetched.fetch_failures), run_id, moment)
        # Fetch failures are keyed by the link fetched, extraction failures by the page's canonical URL
        # (often the same string): a link that fetched resolves its fetch error only, a page that
        # loaded every error (the extract error this chunk just recorded for a page stays open).
        db.resolve_failures(con, "feed", [*filter(None, fetched.fetched_links)], moment, stages=["fetch"])
        done = [e.canonical_url for e in processed if e.status != "failed" and e.canonical_url]
        db.resolve_failures(con, "feed", done, moment)
    return counts + FeedCounts(
        pages_fetched=len(chunk.pages),
        pages_failed=len(fetched.fetch_failures),
        pages_duplicate=sum(e.status == "duplicate" for e in fetched.settled),
    )


def ingest_feeds(
    con: duckdb.DuckDBPyConnection,
    feeds_file: str,
    run_id: str,
    version: str,
    force: bool,
    pool: Pool | None,
    settings: Settings,
    shard: int = 0,
    shards: int = 1,
) -> FeedCounts:
    """Poll the due feeds of `feeds_file` and load the new pages that match a topic.

    With `shards` > 1, only the feeds and pages on the hosts of `shard` (transforms/feed_decisions.py
    shard_of): the runs of the other shards, on other workers, poll and fetch the rest, never the same.
    Raises FeedConfigError when the config cannot be used; network and page problems are recorded
    (feed_state, feed_entries, ingest_failures) and never raised.
    """
    full = load_feed_config(feeds_file)
    config = fd.feeds_of_shard(full, shard, shards)
    max_bytes = settings.max_document_bytes
    robots = RobotsCache()  # one read of each site's robots.txt per run
    # quote(): Prefect would otherwise walk every feed, entry and page of a task's arguments, looking
    # for futures (a second of CPU for 1000 feeds); these never hold any.
    states = wf.read_feed_states(con)
    # A failing feed taken out of the feeds file (a run with an empty one, for seeds alone, takes out
    # all) fails no more: its failures are resolved, by the shard its host belongs to.
    configured = {f.url for f in full.feeds}
    wf.retire_feeds(con, [
        url for url, state in states.items()
        if state.consecutive_failures > 0 and url not in configured and fd.shard_of(url, shards) == shard
    ], now())  # fmt: skip
    outcomes = poll_feeds_task(quote(config), quote(states), force, max_bytes, robots)
    entries = record_polls_task(con, quote(outcomes), quote(states), run_id)
    todo = wf.entries_to_fetch(con, config.fetch.max_runs, config.fetch.max_pages)
    todo = fd.entries_of_shard(todo, shard, shards) if shards > 1 else todo
    outlets = {f.url: f.outlet for f in full.feeds}  # a page of this shard may come from any feed
    totals = FeedCounts(
        feeds_polled=len(outcomes),
        feeds_not_modified=sum(o.status in ("not_modified", "unchanged") for o in outcomes),
        feeds_failed=sum(o.status == "failed" for o in outcomes),
        entries_new=len(entries.new),
    )
    # A chunk at a time, fetched while the chunk before is processed: pages in memory stay bounded, and
    # each chunk's outcome is saved before the next.
    policy, chunk = config.fetch, settings.pages_per_chunk
    deadline = time.monotonic() + settings.feed_fetch_budget
    ahead = max(settings.pages_ahead, 2 * chunk)
    with PageStream(
        todo, policy, max_bytes, _private_ok(policy), robots, settings.max_wait_in_run, ahead, deadline
    ) as stream:
        # Three stages at once: this chunk is fetched (the stream's thread) and extracted (the pool)
        # while the chunk before it is loaded here.
        pending: Chunk | None = None
        for pages in stream.batches(chunk):
            log_fetched(pages)
            in_flight = pending.urls() if pending else {}
            started = start_chunk(con, pages, in_flight, outlets, config.topics, run_id, pool, settings)
            if pending is not None:
                totals += finish_chunk(con, pending, config.topics, run_id, version, settings)
            pending = started
        if pending is not None:
            totals += finish_chunk(con, pending, config.topics, run_id, version, settings)
    if stream.not_started:
        _logger().info(
            "%d pages left for the next run: the run's %g s of fetching (WIRETRACE_FEED_BUDGET) were spent",
            len(stream.not_started), settings.feed_fetch_budget,
        )  # fmt: skip
    _logger().info(
        "feeds: %d polled (%d not modified, %d failed), %d new entries, %d pages fetched, %d matched a "
        "topic, %d did not, %d duplicates, %d failed", totals.feeds_polled, totals.feeds_not_modified,
        totals.feeds_failed, totals.entries_new, totals.pages_fetched, totals.pages_matched,
        totals.pages_unmatched, totals.pages_duplicate, totals.pages_failed,
    )  # fmt: skip
    return totals
