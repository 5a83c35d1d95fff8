"""Feed decisions: what a poll means for a feed, and which of its entries to fetch.

Pure functions over small frozen records; the flow (flows/feeds.py) does the I/O around them:
    due feeds (select_due) -> poll -> poll_outcome -> next_state, feed_moves, entry_rows
Pages are decided in transforms/feed_pages.py. The rows of feed_state, feed_moves and feed_entries are
defined here so that decisions and the warehouse share them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from transforms.feeds import (
    FeedConfig,
    FeedEntry,
    FeedParseResult,
    FeedSpec,
    body_hash,
    is_due,
    next_poll_at,
    parse_feed,
    parse_retry_after,
)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class FeedStateRow:
    feed_url: str  # as configured in feeds.yaml
    outlet: str | None = None
    last_polled_at: datetime | None = None
    last_status: str | None = None
    last_http_status: int | None = None
    last_error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    bozo_reason: str | None = None
    entries_in_feed: int | None = None
    consecutive_failures: int = 0
    next_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    current_url: str | None = None  # where a permanent redirect moved the feed; polled instead
    moved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EntryRow:
    feed_url: str
    entry_key: str
    link: str | None
    canonical_link: str | None
    canonical_url: str | None
    title: str | None
    published: str | None
    status: str
    article_id: str | None
    topics: tuple[str, ...] | None
    attempts: int
    last_error: str | None
    first_seen_at: datetime
    updated_at: datetime
    last_run_id: str | None
    content_hash: str | None = None  # of title, summary and dates: a change means the page is fetched again


@dataclass(frozen=True, slots=True)
class FeedMove:
    """A feed answered with a permanent redirect: it is polled at `new_url` from now on."""

    feed_url: str
    old_url: str
    new_url: str
    moved_at: datetime
    run_id: str


@dataclass(frozen=True, slots=True)
class PollOutcome:
    spec: FeedSpec
    status: str  # 'parsed', 'not_modified', 'unchanged', 'failed'
    http_status: int | None = None
    error: str | None = None
    stage: str = "poll"  # of the error: 'poll' or 'parse'
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    result: FeedParseResult | None = None
    retry_after: str | None = None
    polled_url: str | None = None  # the URL requested (the feed's current one)
    moved_to: str | None = None  # where permanent redirects (301/308) led


# -- shards: several workers, each polling and fetching its own hosts ---------------------------


def host_key(url: str) -> str:
    """The host that politeness and sharding count by: its name, and its port when the URL gives one
    (two servers on one address are two sites, as robots.txt counts them)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: the URL fails when fetched, here it is a name
        port = None
    return f"{host}:{port}" if port is not None else host


def shard_of(url: str, shards: int) -> int:
    """Which of `shards` shards the URL's host belongs to: the same on every machine and every run
    (a digest, not Python's salted hash()), so one host is only ever polled by one worker per cycle."""
    digest = hashlib.sha256(host_key(url).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def check_shard(shard: int, shards: int) -> None:
    """ValueError unless 0 <= shard < shards."""
    if shards < 1 or not 0 <= shard < shards:
        raise ValueError(f"shard {shard} of {shards}: a shard is a number from 0 to shards - 1, shards >= 1")


def feeds_of_shard(config: FeedConfig, shard: int, shards: int) -> FeedConfig:
    """The config with only the feeds whose (configured) URL's host is in `shard`."""
    check_shard(shard, shards)
    return replace(config, feeds=tuple(f for f in config.feeds if shard_of(f.url, shards) == shard))


def entries_of_shard(entries: Sequence[EntryRow], shard: int, shards: int) -> list[EntryRow]:
    """The entries whose page is on a host of `shard`: whichever feed listed a page, one worker fetches
    from its host, so politeness per host holds across machines."""
    check_shard(shard, shards)
    return [e for e in entries if shard_of(e.link or e.entry_key, shards) == shard]


# -- polls --------------------------------------------------------------------------------------


def select_due(
    config: FeedConfig, states: Mapping[str, FeedStateRow], moment: datetime, force: bool
) -> list[FeedSpec]:
    """Feeds whose next poll time has come (all of them with force)."""
    return [
        f
        for f in config.feeds
        if force or is_due(states[f.url].next_poll_at if f.url in states else None, moment)
    ]


def poll_url(spec: FeedSpec, state: FeedStateRow | None) -> str:
    """The URL to poll: where the feed last moved permanently, else the configured one."""
    return (state.current_url if state else None) or spec.url


def poll_headers(state: FeedStateRow | None) -> dict[str, str]:
    """Accept, and the validators of the last response for a conditional GET."""
    headers = {"Accept": FEED_ACCEPT}
    if state and state.etag:
        headers["If-None-Match"] = state.etag
    if state and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def failed_poll(spec: FeedSpec, url: str, error: str, http_status: int | None = None) -> PollOutcome:
    return PollOutcome(spec, "failed", http_status, error, polled_url=url)


def poll_outcome(
    spec: FeedSpec,
    state: FeedStateRow | None,
    polled: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    final_url: str,
    moved_to: str | None,
) -> PollOutcome:
    """What a feed's response means: 304, the same body as last time, parsed entries, or a failure."""
    common = {"polled_url": polled, "moved_to": moved_to}
    # A 304 keeps the validators we sent unless the server gives new ones.
    etag = headers.get("etag") or (state.etag if state else None)
    modified = headers.get("last-modified") or (state.last_modified if state else None)
    if status == 304:
        previous = state.body_hash if state else None
        return PollOutcome(
            spec, "not_modified", 304, etag=etag, last_modified=modified, body_hash=previous, **common
        )
    if status != 200:
        return PollOutcome(
            spec, "failed", status, f"HTTP {status}", retry_after=headers.get("retry-after"), **common
        )
    digest = body_hash(body)
    validators = {
        "etag": headers.get("etag"),
        "last_modified": headers.get("last-modified"),
        "body_hash": digest,
    }
    if state and state.body_hash == digest:
        # Servers' validators are often wrong (a new ETag per request): the body says it is unchanged.
        return PollOutcome(spec, "unchanged", 200, **validators, **common)
    result = parse_feed(body, headers, final_url)
    if not result.ok:
        return PollOutcome(spec, "failed", 200, result.error, stage="parse", **common)
    return PollOutcome(spec, "parsed", 200, **validators, result=result, **common)


def next_state(outcome: PollOutcome, old: FeedStateRow | None, moment: datetime) -> FeedStateRow:
    """The feed_state row after a poll: validators and hash on success, backoff on failure, and the
    new URL after a permanent redirect (a temporary one changes nothing)."""
    spec = outcome.spec
    base = replace(old or FeedStateRow(spec.url), outlet=spec.outlet, last_polled_at=moment)
    if moved := moved_to(outcome, old):
        current = None if moved == spec.url else moved
        base = replace(base, current_url=current, moved_at=moment, etag=None, last_modified=None)
    if outcome.status == "failed":
        failures = base.consecutive_failures + 1
        return replace(
            base,
            last_status="failed",
            last_http_status=outcome.http_status,
            last_error=f"{outcome.stage}: {outcome.error}",
            consecutive_failures=failures,
            next_poll_at=next_poll_at(
                moment, spec.interval, failures, parse_retry_after(outcome.retry_after, moment)
            ),
        )
    parsed = outcome.result
    return replace(
        base,
        last_status=outcome.status,
        last_http_status=outcome.http_status,
        last_error=None,
        etag=outcome.etag,
        last_modified=outcome.last_modified,
        body_hash=outcome.body_hash,
        bozo_reason=parsed.bozo_reason if parsed else base.bozo_reason,
        entries_in_feed=len(parsed.entries) if parsed else base.entries_in_feed,
        consecutive_failures=0,
        next_poll_at=next_poll_at(moment, spec.interval, 0),
        last_success_at=moment,
    )


def moved_to(outcome: PollOutcome, state: FeedStateRow | None) -> str | None:
    """The feed's new URL when this poll found it moved permanently, else None.

    Only a move that ends in a usable feed counts: a 301 to a missing page or to a site's front page
    (a common way of retiring feeds) would otherwise lose the feed's real address.
    """
    if (
        outcome.status == "failed"
        or not outcome.moved_to
        or outcome.moved_to == poll_url(outcome.spec, state)
    ):
        return None
    return outcome.moved_to


def feed_moves(
    outcomes: Sequence[PollOutcome], states: Mapping[str, FeedStateRow], moment: datetime, run_id: str
) -> list[FeedMove]:
    """The permanent moves these polls found (each recorded once, when it happens)."""
    moves = []
    for o in outcomes:
        state = states.get(o.spec.url)
        if new_url := moved_to(o, state):
            moves.append(FeedMove(o.spec.url, poll_url(o.spec, state), new_url, moment, run_id))
    return moves


# -- entries ------------------------------------------------------------------------------------


def entry_content_hash(entry: FeedEntry) -> str:
    """What the feed says of an entry, hashed: when it changes under the same guid, the page changed."""
    text = "\n".join(x or "" for x in (entry.title, entry.summary, entry.published, entry.updated))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class EntryChanges:
    """The rows this run's polls add to or change in feed_entries."""

    new: tuple[EntryRow, ...]  # never seen: 'pending', 'duplicate' or 'skipped'
    changed: tuple[EntryRow, ...]  # seen, and their title, summary or date changed: 'pending' again
    hashed: tuple[EntryRow, ...]  # seen before content hashes were kept: the hash is stored, no refetch

    @property
    def rows(self) -> list[EntryRow]:
        return [*self.new, *self.changed, *self.hashed]


def entry_rows(
    candidates: Sequence[tuple[str, FeedEntry]],
    known: Mapping[tuple[str, str], EntryRow],
    seen_urls: Mapping[str, str | None],
    moment: datetime,
    run_id: str,
) -> EntryChanges:
    """What the entries of this run's polls (feed URL, entry) change in feed_entries.

    A new entry is 'pending', or 'duplicate' of a page already known (`seen_urls`: canonical URL ->
    article id), or 'skipped' with no http(s) link. A known entry (`known`, by feed URL and key) whose
    title, summary or dates changed is 'pending' again, so its page is fetched again.
    """
    seen = dict(seen_urls)
    new: list[EntryRow] = []
    changed: list[EntryRow] = []
    hashed: list[EntryRow] = []
    for feed, e in candidates:
        digest = entry_content_hash(e)
        old = known.get((feed, e.key))
        if old is not None:
            if old.content_hash is None:
                hashed.append(replace(old, content_hash=digest))
            elif old.content_hash != digest:
                status = "pending" if e.canonical_link else "skipped"
                changed.append(
                    replace(old, link=e.link, canonical_link=e.canonical_link, title=e.title,
                            published=e.published, status=status, last_error=None, updated_at=moment,
                            last_run_id=run_id, content_hash=digest)
                )  # fmt: skip
            continue
        status, article_id, error = "pending", None, None
        if not e.canonical_link:
            refused = f": {e.refused_link!r}" if e.refused_link else ""
            status, error = "skipped", f"entry has no http(s) link{refused}"
        elif e.canonical_link in seen:
            status, article_id = "duplicate", seen[e.canonical_link]
        else:
            seen[e.canonical_link] = None  # later entries of this poll with the same link are duplicates
        new.append(
            EntryRow(feed, e.key, e.link or e.refused_link, e.canonical_link, None, e.title, e.published,
                     status, article_id, None, 0, error, moment, moment, run_id, digest)
        )  # fmt: skip
    return EntryChanges(tuple(new), tuple(changed), tuple(hashed))
