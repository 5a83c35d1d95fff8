"""The feed part of a run, as task wiring: poll the due feeds, record new entries, fetch, keep matches.

    config (flows/feed_config.py) -> due feeds -> poll (clients/feeds.py) -> feed states, moves and new
    or changed entries, in one transaction -> pages to fetch -> fetch -> sort -> extract and tag (the
    seeds' tasks) -> topic filter -> load the matching ones -> every entry's outcome

Decisions are in transforms/feed_decisions.py and feed_pages.py, statements in warehouse/feeds.py,
HTTP in clients/. Every entry seen is kept in feed_entries, matched or not, so no page is fetched
twice; feed state is saved in the same transaction as the new entries, so a crash after it never loses
an entry. Pages are fetched, then processed, a chunk at a time (fetching does not overlap extraction
yet: issue #13).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NONE
from prefect.exceptions import MissingContextError

from clients.feeds import fetch_pages, poll
from clients.robots import RobotsCache
from flows.counts import FeedCounts
from flows.feed_config import load_feed_config
from flows.tasks import chunks, extract_and_tag, load_batch, now
from settings import Settings, allow_private_networks
from transforms import feed_decisions as fd
from transforms import feed_pages as fp
from transforms.feeds import FeedConfig, FetchPolicy, Topic
from transforms.records import Failure, RawDocument
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
    con: duckdb.DuckDBPyConnection, config: FeedConfig, force: bool, max_bytes: int, robots: RobotsCache
) -> list[fd.PollOutcome]:
    moment = now()
    states = wf.read_feed_states(con)
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
    con: duckdb.DuckDBPyConnection, outcomes: list[fd.PollOutcome], run_id: str
) -> fd.EntryChanges:
    """Feed states, moves, poll failures and new or changed entries in one transaction."""
    moment = now()
    states = wf.read_feed_states(con)
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
        db.resolve_failures(con, "feed", [o.spec.url for o in outcomes if o.status != "failed"], moment)
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


@task(name="fetch-pages", cache_policy=NONE)
def fetch_pages_task(
    entries: list[fd.EntryRow], policy: FetchPolicy, max_bytes: int, robots: RobotsCache, settings: Settings
) -> list[fp.FetchedPage]:
    pages = fetch_pages(entries, policy, max_bytes, _private_ok(policy), robots, settings.max_wait_in_run)
    failed = [p for p in pages if p.error]
    retries = sum(e.status == "failed" for e in entries)
    log = _logger()
    log.info("fetched %d pages (%d retried): %d failed", len(entries), retries, len(failed))
    for p in failed:
        log.warning("page failed: %s (%d attempts): %s", p.entry.link, p.attempts, p.error)
    return pages


def process_feed_pages(
    con: duckdb.DuckDBPyConnection,
    work: Sequence[tuple[fd.EntryRow, RawDocument]],
    topics: Sequence[Topic],
    run_id: str,
    version: str,
    pool: ProcessPoolExecutor | None,
    settings: Settings,
    moment: datetime,
) -> tuple[list[fd.EntryRow], FeedCounts]:
    """Extract and tag in batches (the seeds' tasks), keep the articles matching a topic, load them."""
    settled: list[fd.EntryRow] = []
    counts = FeedCounts()
    for batch in chunks(work, settings.batch_size):
        raws = [raw for _, raw in batch]
        results = extract_and_tag(raws, pool, settings)
        kept = fp.filter_topics(results, topics)
        matched = [k for k in kept if k is not None]
        failures = fp.page_failures(results, raws)
        outcome = load_batch(con, [*matched, *failures], raws, run_id, version, pool=pool)
        settled += fp.settle_processed(batch, results, kept, moment, run_id)
        counts += FeedCounts(
            pages_failed=len(failures),
            pages_matched=len(matched),
            pages_unmatched=len(batch) - len(matched) - len(failures),
            new=outcome.new,
            updated=outcome.updated,
            loaded=tuple(outcome.loaded),
        )
    return settled, counts


def ingest_feeds(
    con: duckdb.DuckDBPyConnection,
    feeds_file: str,
    run_id: str,
    version: str,
    force: bool,
    pool: ProcessPoolExecutor | None,
    settings: Settings,
) -> FeedCounts:
    """Poll the due feeds of `feeds_file` and load the new pages that match a topic.

    Raises FeedConfigError when the config cannot be used; network and page problems are recorded
    (feed_state, feed_entries, ingest_failures) and never raised.
    """
    config = load_feed_config(feeds_file)
    max_bytes = settings.max_document_bytes
    robots = RobotsCache()  # one read of each site's robots.txt per run
    outcomes = poll_feeds_task(con, config, force, max_bytes, robots)
    entries = record_polls_task(con, outcomes, run_id)
    todo = wf.entries_to_fetch(con, config.fetch.max_runs, config.fetch.max_pages)
    outlets = {f.url: f.outlet for f in config.feeds}
    totals = FeedCounts(
        feeds_polled=len(outcomes),
        feeds_not_modified=sum(o.status in ("not_modified", "unchanged") for o in outcomes),
        feeds_failed=sum(o.status == "failed" for o in outcomes),
        entries_new=len(entries.new),
    )
    # A chunk at a time: pages in memory stay bounded, and each chunk's outcome is saved before the next.
    for chunk in chunks(todo, settings.pages_per_chunk):
        moment = now()
        pages = fetch_pages_task(list(chunk), config.fetch, max_bytes, robots, settings)
        known = wf.known_settled_urls(con, [p.url for p in pages if p.url])
        fetched = fp.sort_pages(pages, known, outlets, moment, run_id)
        processed, counts = process_feed_pages(
            con, fetched.work, config.topics, run_id, version, pool, settings, moment
        )
        with db.transaction(con):
            wf.upsert_entries(con, [*fetched.settled, *processed])
            db.record_failures(con, list(fetched.fetch_failures), run_id, moment)
            # Fetch failures are keyed by the link fetched, extraction failures by the page's canonical URL.
            done = [e.canonical_url for e in processed if e.status != "failed" and e.canonical_url]
            db.resolve_failures(con, "feed", [*filter(None, fetched.fetched_links), *done], moment)
        totals += counts + FeedCounts(
            pages_fetched=len(pages),
            pages_failed=len(fetched.fetch_failures),
            pages_duplicate=sum(e.status == "duplicate" for e in fetched.settled),
        )
    _logger().info(
        "feeds: %d polled (%d not modified, %d failed), %d new entries, %d pages fetched, %d matched a "
        "topic, %d did not, %d duplicates, %d failed", totals.feeds_polled, totals.feeds_not_modified,
        totals.feeds_failed, totals.entries_new, totals.pages_fetched, totals.pages_matched,
        totals.pages_unmatched, totals.pages_duplicate, totals.pages_failed,
    )  # fmt: skip
    return totals
