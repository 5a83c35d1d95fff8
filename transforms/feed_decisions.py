"""Feed decisions: what a poll means for a feed, which entries to fetch, what became of each page.

Pure functions over small frozen records; the flow (flows/feeds.py) does the I/O around them:
    due feeds (select_due) -> poll -> poll_outcome -> next_state, entry_rows -> fetch -> fetched_page
    -> sort_pages (failed / duplicate / to process) -> filter_topics -> settle_processed
The rows of feed_state and feed_entries are defined here so that decisions and the warehouse share them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from transforms.decode import charset_of
from transforms.feeds import (
    FeedConfig,
    FeedEntry,
    FeedParseResult,
    FeedSpec,
    FetchPolicy,
    Topic,
    body_hash,
    is_due,
    next_poll_at,
    parse_feed,
    parse_retry_after,
)
from transforms.pipeline import article_id_for
from transforms.records import Failure, RawDocument, TaggedArticle
from transforms.topics import matching_topics
from transforms.urls import choose_canonical, find_canonical_link

PAGE_TYPES = {"text/html": "text/html", "application/xhtml+xml": "text/html", "text/plain": "text/plain"}
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"
# The head of a page searched for rel=canonical: heads are small, and the rest may be 10 MB.
_HEAD_BYTES = 300_000


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


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A page request's outcome: a body to process, or why there is none."""

    entry: EntryRow
    attempts: int
    url: str | None = None  # the page's canonical URL (final URL, or its rel=canonical on the same site)
    body: bytes | None = field(default=None, repr=False)
    media_type: str | None = None
    error: str | None = None


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
            status, error = "skipped", "entry has no http(s) link"
        elif e.canonical_link in seen:
            status, article_id = "duplicate", seen[e.canonical_link]
        else:
            seen[e.canonical_link] = None  # later entries of this poll with the same link are duplicates
        new.append(
            EntryRow(feed, e.key, e.link, e.canonical_link, None, e.title, e.published, status, article_id,
                     None, 0, error, moment, moment, run_id, digest)
        )  # fmt: skip
    return EntryChanges(tuple(new), tuple(changed), tuple(hashed))


# -- pages --------------------------------------------------------------------------------------


def media_type(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(media type for RawDocument, error) from the Content-Type of a page."""
    content_type = headers.get("content-type", "")
    declared = content_type.split(";")[0].strip().lower()
    if not declared:
        return None, None  # the pipeline sniffs it from the bytes
    if declared in PAGE_TYPES:
        charset = charset_of(content_type)  # decoding tries the server's charset before guessing
        return PAGE_TYPES[declared] + (f"; charset={charset}" if charset else ""), None
    return None, f"not an article page: content type {declared}"


def page_url(final_url: str, body: bytes, content_type: str) -> str:
    """The canonical URL of a fetched page: its final URL, or its rel=canonical on the same site."""
    if "html" not in (content_type or "html"):
        return choose_canonical(final_url, None)
    head = body[:_HEAD_BYTES].decode("utf-8", errors="replace")
    return choose_canonical(final_url, find_canonical_link(head))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do after a page response: keep it, give up with `error`, or retry after `wait` s."""

    keep: bool = False
    error: str | None = None
    retry: bool = False
    wait: float = 0.0


def page_verdict(
    status: int, retry_after: str | None, attempt: int, policy: FetchPolicy, moment: datetime, max_wait: float
) -> Verdict:
    """200 is kept; 5xx, 429 and 503 are retried with backoff (never sooner than Retry-After, and not
    at all within the run when Retry-After is longer than `max_wait`); other statuses are final."""
    if status == 200:
        return Verdict(keep=True)
    error = f"HTTP {status}"
    wait = policy.retry_base * 2 ** (attempt - 1)
    if status in (429, 503):
        delay: timedelta | None = parse_retry_after(retry_after, moment)
        if delay is not None:
            if delay.total_seconds() > max_wait:
                return Verdict(error=f"{error}, Retry-After {delay} s: left to a later run")
            wait = max(wait, delay.total_seconds())
        return Verdict(error=error, retry=True, wait=wait)
    if 500 <= status < 600:
        return Verdict(error=error, retry=True, wait=wait)
    return Verdict(error=error)  # other 4xx (and odd 2xx/3xx): retrying will not help


def fetched_page(
    entry: EntryRow, attempts: int, final_url: str, headers: Mapping[str, str], body: bytes
) -> FetchedPage:
    """A 200 response as a page to process, or a failure (not an article type, an empty body)."""
    kind, bad_type = media_type(headers)
    if bad_type:
        return FetchedPage(entry, attempts, error=bad_type)
    if not body.strip():
        return FetchedPage(entry, attempts, error="empty body")
    return FetchedPage(
        entry, attempts, page_url(final_url, body, headers.get("content-type", "")), body, kind
    )


def settle(entry: EntryRow, moment: datetime, run_id: str, **changes: object) -> EntryRow:
    """The entry after this run's attempt: one more attempt, and what came of it."""
    return replace(entry, updated_at=moment, last_run_id=run_id, attempts=entry.attempts + 1, **changes)


@dataclass(frozen=True)
class SortedPages:
    """Fetched pages sorted: entries already settled, failures to record, documents to process."""

    settled: tuple[EntryRow, ...]
    fetch_failures: tuple[Failure, ...]
    work: tuple[tuple[EntryRow, RawDocument], ...]
    fetched_links: tuple[str, ...]  # links fetched successfully: their old fetch failures are resolved


def sort_pages(
    pages: Sequence[FetchedPage],
    known: Mapping[str, str | None],
    outlets: Mapping[str, str | None],
    moment: datetime,
    run_id: str,
) -> SortedPages:
    """Failed fetches, pages already processed under their canonical URL (`known`: URL -> article id)
    or earlier in this run (duplicates), and the rest to process.

    A page reached through a redirect or named by rel=canonical is known only once fetched; it is then
    processed once however many entries led to it.
    """
    settled: list[EntryRow] = []
    failures: list[Failure] = []
    work: list[tuple[EntryRow, RawDocument]] = []
    links: list[str] = []
    in_run: set[str] = set()
    for p in pages:
        e = p.entry
        if p.body is None or p.url is None:
            settled.append(settle(e, moment, run_id, status="failed", last_error=f"fetch: {p.error}"))
            reason = f"{p.error} ({p.attempts} attempts this run)"
            failures.append(Failure(e.link or e.entry_key, "feed", "fetch", reason))
            continue
        links.append(e.link or "")
        if p.url in known or p.url in in_run:
            settled.append(
                settle(e, moment, run_id, status="duplicate", canonical_url=p.url,
                       article_id=known.get(p.url), last_error=None)
            )  # fmt: skip
            continue
        in_run.add(p.url)
        raw = RawDocument(
            e.feed_url, p.body, "feed", p.url, outlets.get(e.feed_url), e.published, p.media_type, e.title
        )
        work.append((e, raw))
    return SortedPages(tuple(settled), tuple(failures), tuple(work), tuple(links))


def filter_topics(
    results: Sequence[TaggedArticle | Failure], topics: Sequence[Topic]
) -> list[TaggedArticle | None]:
    """Per result: the article with its matched topic names set, or None (a failure, or no topic matched).

    With no topics configured every article is kept, with no topic names.
    """
    pairs = [(t.name, t.query) for t in topics]
    kept: list[TaggedArticle | None] = []
    for r in results:
        if not isinstance(r, TaggedArticle):
            kept.append(None)
        elif not pairs:
            kept.append(r)
        else:
            names = matching_topics(pairs, r.article.title, r.article.text)
            kept.append(replace(r, topics=names) if names else None)
    return kept


def page_failures(results: Sequence[TaggedArticle | Failure], raws: Sequence[RawDocument]) -> list[Failure]:
    """Extraction failures keyed by page URL: keyed by the feed URL, a feed's failures would collapse."""
    return [
        replace(r, source_ref=raw.url or r.source_ref)
        for r, raw in zip(results, raws, strict=True)
        if isinstance(r, Failure)
    ]


def settle_processed(
    batch: Sequence[tuple[EntryRow, RawDocument]],
    results: Sequence[TaggedArticle | Failure],
    kept: Sequence[TaggedArticle | None],
    moment: datetime,
    run_id: str,
) -> list[EntryRow]:
    """Each processed entry as 'failed', 'matched' (with its article id and topics) or 'unmatched'."""
    settled = []
    for (entry, raw), result, keep in zip(batch, results, kept, strict=True):
        if isinstance(result, Failure):
            error = f"{result.stage}: {result.reason}"
            settled.append(
                settle(entry, moment, run_id, status="failed", canonical_url=raw.url, last_error=error)
            )
        elif keep is not None:
            article_id = article_id_for(keep.article.url, keep.origin, keep.source_ref)
            settled.append(
                settle(entry, moment, run_id, status="matched", canonical_url=raw.url, last_error=None,
                       article_id=article_id, topics=keep.topics)
            )  # fmt: skip
        else:
            settled.append(
                settle(entry, moment, run_id, status="unmatched", canonical_url=raw.url, last_error=None)
            )
    return settled
