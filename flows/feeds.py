"""The feed part of a run: poll the due feeds, find new entries, fetch their pages, keep what matches.

    config -> due feeds -> poll (conditional GET) -> parse -> new entries (recorded as 'pending')
           -> pages to fetch (new + failed ones to retry) -> fetch (per-host limits) -> extract and tag
           -> topic filter -> load the matching ones -> record every entry's outcome

Plain functions do the work; thin Prefect tasks name the steps and log what was polled, new, matched
and failed. `ingest_feeds` is the one entry point the main flow calls. Every entry seen is kept in
feed_entries, matched or not, so no page is fetched twice; feed state (ETag, hash, backoff) is saved in
the same transaction as the new entries, so a crash after it never loses an entry.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import httpx
import yaml
from prefect import get_run_logger, task
from prefect.cache_policies import NONE
from prefect.exceptions import MissingContextError

from flows.tasks import chunks, extract_and_tag, load_batch, now
from settings import SETTINGS, Settings
from transforms.decode import charset_of
from transforms.feeds import (
    FeedConfig,
    FeedConfigError,
    FeedParseResult,
    FeedSpec,
    FetchPolicy,
    Topic,
    body_hash,
    is_due,
    next_poll_at,
    parse_feed,
    parse_feed_config,
    parse_retry_after,
)
from transforms.outlet import host_of
from transforms.pipeline import article_id_for
from transforms.records import Failure, RawDocument, TaggedArticle
from transforms.topics import matching_topics
from transforms.urls import choose_canonical, find_canonical_link, is_http_url
from warehouse import db
from warehouse import feeds as wf

T = TypeVar("T")
PAGE_TYPES = {"text/html": "text/html", "application/xhtml+xml": "text/html", "text/plain": "text/plain"}


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("wiretrace.feeds")


# -- configuration ------------------------------------------------------------------------------


def load_feed_config(path: str | Path) -> FeedConfig:
    """feeds.yaml as a FeedConfig; FeedConfigError (naming the file) when it cannot be used."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FeedConfigError(f"{path}: feeds config not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedConfigError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise FeedConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_feed_config(data)
    except FeedConfigError as exc:
        raise FeedConfigError(f"{path}: {exc}") from exc


def select_due(
    config: FeedConfig, states: dict[str, wf.FeedStateRow], moment: datetime, force: bool
) -> list[FeedSpec]:
    """Feeds whose next poll time has come (all of them with force)."""
    return [
        f
        for f in config.feeds
        if force or is_due(states[f.url].next_poll_at if f.url in states else None, moment)
    ]


# -- HTTP ---------------------------------------------------------------------------------------


class FetchError(Exception):
    """A request that gave no usable body; `retry` says whether trying again may help."""

    def __init__(self, reason: str, retry: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.status = status


class HostGate:
    """At most `per_host` requests at once to one host, their starts at least `min_delay` apart."""

    def __init__(self, per_host: int, min_delay: float) -> None:
        self.per_host = per_host
        self.min_delay = min_delay
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def run(self, host: str, call: Callable[[], Awaitable[T]]) -> T:
        sem = self._sems.setdefault(host, asyncio.Semaphore(self.per_host))
        async with sem:
            if self.min_delay > 0:
                async with self._lock:
                    clock = asyncio.get_running_loop().time()
                    start = max(clock, self._next.get(host, clock))
                    self._next[host] = start + self.min_delay
                if start > clock:
                    await asyncio.sleep(start - clock)
            return await call()


@dataclass(frozen=True)
class Response:
    url: str  # final URL, after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def _client(policy: FetchPolicy) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=5,
        timeout=httpx.Timeout(policy.timeout),
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
        limits=httpx.Limits(max_connections=policy.concurrency, max_keepalive_connections=policy.concurrency),
    )


async def http_get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], max_bytes: int, timeout: float
) -> Response:
    """GET with a size limit on the decoded body and a deadline on the whole exchange.

    httpx's timeouts apply to each read, so a server dripping bytes could hold a request forever;
    the deadline bounds it. Transport problems become FetchError(retry=True).
    """

    async def exchange() -> Response:
        async with client.stream("GET", url, headers=headers) as resp:
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    f"too large: {int(declared) / 1e6:.1f} MB declared, the limit is "
                    f"{max_bytes / 1e6:.1f} MB",
                    retry=False,
                    status=resp.status_code,
                )
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(
                        f"too large: over the {max_bytes / 1e6:.1f} MB limit",
                        retry=False,
                        status=resp.status_code,
                    )
            return Response(
                str(resp.url), resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, bytes(body)
            )

    try:
        return await asyncio.wait_for(exchange(), timeout * 3)
    except TimeoutError as exc:
        raise FetchError(f"timed out after {timeout * 3:.0f} s in all", retry=True) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__})", retry=True) from exc
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(f"not http(s): {exc}", retry=False) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError("too many redirects", retry=False) from exc
    except (httpx.DecodingError, httpx.InvalidURL) as exc:
        raise FetchError(f"bad response: {exc}", retry=False) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc or 'connection failed'}", retry=True) from exc


def _run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, also when the caller's thread has a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _host(url: str) -> str:
    return host_of(url) or ""


# -- polling ------------------------------------------------------------------------------------


@dataclass(frozen=True)
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


async def _poll_one(
    client: httpx.AsyncClient,
    gate: HostGate,
    spec: FeedSpec,
    state: wf.FeedStateRow | None,
    policy: FetchPolicy,
    max_bytes: int,
) -> PollOutcome:
    headers = {
        "Accept": "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
        "text/xml;q=0.9, */*;q=0.5"
    }
    if state and state.etag:
        headers["If-None-Match"] = state.etag
    if state and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        resp = await gate.run(
            _host(spec.url), lambda: http_get(client, spec.url, headers, max_bytes, policy.timeout)
        )
    except FetchError as exc:
        return PollOutcome(spec, "failed", exc.status, exc.reason)
    # A 304 keeps the validators we sent unless the server gives new ones.
    etag = resp.headers.get("etag") or (state.etag if state else None)
    modified = resp.headers.get("last-modified") or (state.last_modified if state else None)
    if resp.status == 304:
        return PollOutcome(
            spec,
            "not_modified",
            304,
            etag=etag,
            last_modified=modified,
            body_hash=state.body_hash if state else None,
        )
    if resp.status != 200:
        reason = f"HTTP {resp.status}"
        return PollOutcome(spec, "failed", resp.status, reason, retry_after=resp.headers.get("retry-after"))
    digest = body_hash(resp.body)
    validators = {
        "etag": resp.headers.get("etag"),
        "last_modified": resp.headers.get("last-modified"),
        "body_hash": digest,
    }
    if state and state.body_hash == digest:
        # Servers' validators are often wrong (a new ETag per request): the body says it is unchanged.
        return PollOutcome(spec, "unchanged", 200, **validators)
    result = parse_feed(resp.body, resp.headers, resp.url)
    if not result.ok:
        return PollOutcome(spec, "failed", 200, result.error, stage="parse", body_hash=None)
    return PollOutcome(spec, "parsed", 200, **validators, result=result)


def poll(
    specs: Sequence[FeedSpec], states: dict[str, wf.FeedStateRow], policy: FetchPolicy, max_bytes: int
) -> list[PollOutcome]:
    """Poll feeds concurrently (per-host limits, no delay: one request per feed per interval)."""

    async def main() -> list[PollOutcome]:
        gate = HostGate(policy.per_host, 0.0)
        async with _client(policy) as client:
            return list(
                await asyncio.gather(
                    *(_poll_one(client, gate, s, states.get(s.url), policy, max_bytes) for s in specs)
                )
            )

    return _run_async(main) if specs else []


def next_state(outcome: PollOutcome, old: wf.FeedStateRow | None, moment: datetime) -> wf.FeedStateRow:
    """The feed_state row after a poll: validators and hash on success, backoff on failure."""
    spec = outcome.spec
    base = old or wf.FeedStateRow(spec.url)
    if outcome.status == "failed":
        failures = base.consecutive_failures + 1
        return replace(
            base,
            outlet=spec.outlet,
            last_polled_at=moment,
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
        outlet=spec.outlet,
        last_polled_at=moment,
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


def new_entries(
    con: duckdb.DuckDBPyConnection, outcomes: Sequence[PollOutcome], moment: datetime, run_id: str
) -> list[wf.EntryRow]:
    """Rows for the entries not seen before: 'pending', or 'duplicate' of a page already known, or
    'skipped' when there is no http(s) link to fetch."""
    candidates = [(o.spec.url, e) for o in outcomes if o.result for e in o.result.entries]
    known = wf.known_entry_keys(con, [(feed, e.key) for feed, e in candidates])
    fresh = [(feed, e) for feed, e in candidates if (feed, e.key) not in known]
    seen_urls = wf.known_urls(con, [e.canonical_link for _, e in fresh if e.canonical_link])
    rows = []
    for feed, e in fresh:
        status, article_id, error = "pending", None, None
        if not e.canonical_link:
            status, error = "skipped", "entry has no http(s) link"
        elif e.canonical_link in seen_urls:
            status, article_id = "duplicate", seen_urls[e.canonical_link]
        else:
            seen_urls[e.canonical_link] = None  # later entries of this poll with the same link are duplicates
        rows.append(
            wf.EntryRow(
                feed,
                e.key,
                e.link,
                e.canonical_link,
                None,
                e.title,
                e.published,
                status,
                article_id,
                None,
                0,
                error,
                moment,
                moment,
                run_id,
            )
        )
    return rows


@task(name="poll-feeds", cache_policy=NONE)
def poll_feeds_task(
    con: duckdb.DuckDBPyConnection, config: FeedConfig, force: bool, max_bytes: int
) -> list[PollOutcome]:
    moment = now()
    states = wf.read_feed_states(con)
    due = select_due(config, states, moment, force)
    outcomes = poll(due, states, config.fetch, max_bytes)
    log = _logger()
    by = {s: sum(o.status == s for o in outcomes) for s in ("parsed", "not_modified", "unchanged", "failed")}
    log.info(
        "polled %d of %d feeds (%d not due): %d parsed, %d not modified (304), %d unchanged (same hash), "
        "%d failed",
        len(due),
        len(config.feeds),
        len(config.feeds) - len(due),
        by["parsed"],
        by["not_modified"],
        by["unchanged"],
        by["failed"],
    )
    for o in outcomes:
        if o.status == "failed":
            log.warning("feed failed: %s (%s): %s", o.spec.url, o.stage, o.error)
        elif o.result and o.result.bozo_reason:
            log.info(
                "feed %s is ill-formed (%s); kept its %d entries",
                o.spec.url,
                o.result.bozo_reason,
                len(o.result.entries),
            )
    return outcomes


@task(name="record-polls-and-new-entries", cache_policy=NONE)
def record_polls_task(
    con: duckdb.DuckDBPyConnection, outcomes: list[PollOutcome], run_id: str
) -> list[wf.EntryRow]:
    """Feed states, poll failures and new entries in one transaction."""
    moment = now()
    states = wf.read_feed_states(con)
    with db.transaction(con):
        rows = new_entries(con, outcomes, moment, run_id)
        wf.save_feed_states(con, [next_state(o, states.get(o.spec.url), moment) for o in outcomes])
        wf.upsert_entries(con, rows)
        failed = [
            Failure(o.spec.url, "feed", o.stage, o.error or "failed")
            for o in outcomes
            if o.status == "failed"
        ]
        db.record_failures(con, failed, run_id, moment)
        db.resolve_failures(con, "feed", [o.spec.url for o in outcomes if o.status != "failed"], moment)
    counts = {s: sum(r.status == s for r in rows) for s in ("pending", "duplicate", "skipped")}
    _logger().info(
        "%d new entries: %d to fetch, %d already seen through another link or feed, %d with no link",
        len(rows),
        counts["pending"],
        counts["duplicate"],
        counts["skipped"],
    )
    return rows


# -- pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageOutcome:
    entry: wf.EntryRow
    attempts: int
    response: Response | None = None
    media_type: str | None = None
    error: str | None = None


def _media_type(headers: dict[str, str]) -> tuple[str | None, str | None]:
    """(media type for RawDocument, error) from the Content-Type of a page."""
    content_type = headers.get("content-type", "")
    declared = content_type.split(";")[0].strip().lower()
    if not declared:
        return None, None  # the pipeline sniffs it from the bytes
    if declared in PAGE_TYPES:
        charset = charset_of(content_type)  # decoding tries the server's charset before guessing
        return PAGE_TYPES[declared] + (f"; charset={charset}" if charset else ""), None
    return None, f"not an article page: content type {declared}"


async def _fetch_one(
    client: httpx.AsyncClient, gate: HostGate, entry: wf.EntryRow, policy: FetchPolicy, max_bytes: int
) -> PageOutcome:
    url = entry.link or ""
    if not is_http_url(url):
        return PageOutcome(entry, 0, error=f"not an http(s) URL: {url!r}")
    headers = {"Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}
    error = ""
    for attempt in range(1, policy.attempts + 1):
        wait = policy.retry_base * 2 ** (attempt - 1)
        try:
            resp = await gate.run(
                _host(url), lambda: http_get(client, url, headers, max_bytes, policy.timeout)
            )
        except FetchError as exc:
            error = exc.reason
            if not exc.retry:
                return PageOutcome(entry, attempt, error=error)
        else:
            if resp.status == 200:
                media_type, bad_type = _media_type(resp.headers)
                if bad_type:
                    return PageOutcome(entry, attempt, error=bad_type)
                if not resp.body.strip():
                    return PageOutcome(entry, attempt, error="empty body")
                return PageOutcome(entry, attempt, resp, media_type)
            error = f"HTTP {resp.status}"
            if resp.status == 429 or resp.status == 503:
                delay = parse_retry_after(resp.headers.get("retry-after"), now())
                if delay is not None:
                    if delay.total_seconds() > SETTINGS.max_wait_in_run:
                        return PageOutcome(
                            entry, attempt, error=f"{error}, Retry-After {delay} s: left to a later run"
                        )
                    wait = max(wait, delay.total_seconds())
            elif not 500 <= resp.status < 600:
                return PageOutcome(
                    entry, attempt, error=error
                )  # other 4xx (and odd 2xx/3xx): retrying will not help
        if attempt < policy.attempts:
            await asyncio.sleep(wait)
    return PageOutcome(entry, policy.attempts, error=f"{error} (after {policy.attempts} attempts)")


def fetch(entries: Sequence[wf.EntryRow], policy: FetchPolicy, max_bytes: int) -> list[PageOutcome]:
    """Fetch pages concurrently: at most `per_host` at once per host, `min_delay` apart."""

    async def main() -> list[PageOutcome]:
        gate = HostGate(policy.per_host, policy.min_delay)
        async with _client(policy) as client:
            return list(
                await asyncio.gather(*(_fetch_one(client, gate, e, policy, max_bytes) for e in entries))
            )

    return _run_async(main) if entries else []


def page_url(resp: Response) -> str:
    """The canonical URL of a fetched page: its final URL, or its rel=canonical on the same site."""
    head = resp.body[:300_000].decode("utf-8", errors="replace")
    href = find_canonical_link(head) if "html" in resp.headers.get("content-type", "html") else None
    return choose_canonical(resp.url, href)


def raw_document(outcome: PageOutcome, url: str, outlets: dict[str, str | None]) -> RawDocument:
    e = outcome.entry
    assert outcome.response is not None
    return RawDocument(
        source_ref=e.feed_url,
        data=outcome.response.body,
        origin="feed",
        url=url,
        outlet=outlets.get(e.feed_url),
        published=e.published,
        media_type=outcome.media_type,
        title=e.title,
    )


@task(name="fetch-pages", cache_policy=NONE)
def fetch_pages_task(entries: list[wf.EntryRow], policy: FetchPolicy, max_bytes: int) -> list[PageOutcome]:
    retries = sum(e.status == "failed" for e in entries)
    outcomes = fetch(entries, policy, max_bytes)
    failed = [o for o in outcomes if o.error]
    log = _logger()
    log.info(
        "fetched %d pages (%d new, %d retried): %d failed",
        len(entries),
        len(entries) - retries,
        retries,
        len(failed),
    )
    for o in failed:
        log.warning("page failed: %s (%d attempts): %s", o.entry.link, o.attempts, o.error)
    return outcomes


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


# -- the entry point ----------------------------------------------------------------------------


def _settle(entry: wf.EntryRow, moment: datetime, run_id: str, **changes: Any) -> wf.EntryRow:
    """The entry after this run's attempt: one more attempt, and what came of it."""
    return replace(entry, updated_at=moment, last_run_id=run_id, attempts=entry.attempts + 1, **changes)


@dataclass
class _Sorted:
    """Fetched pages sorted: entries already settled, failures to record, documents to process."""

    settled: list[wf.EntryRow]
    fetch_failures: list[Failure]
    work: list[tuple[wf.EntryRow, RawDocument]]
    fetched_links: list[str]


def sort_pages(
    con: duckdb.DuckDBPyConnection,
    pages: Sequence[PageOutcome],
    outlets: dict[str, str | None],
    moment: datetime,
    run_id: str,
) -> _Sorted:
    """Failed fetches, pages already known under their canonical URL (duplicates), and the rest to process.

    A page reached through a redirect or named by rel=canonical is known only once fetched; it is then
    processed once however many entries led to it.
    """
    out = _Sorted([], [], [], [])
    for o in pages:
        if o.response is None:
            out.settled.append(
                _settle(o.entry, moment, run_id, status="failed", last_error=f"fetch: {o.error}")
            )
            reason = f"{o.error} ({o.attempts} attempts this run)"
            out.fetch_failures.append(Failure(o.entry.link or o.entry.entry_key, "feed", "fetch", reason))
    ok = [(o, page_url(o.response)) for o in pages if o.response is not None]
    known = wf.known_settled_urls(con, [url for _, url in ok])
    in_run: set[str] = set()
    for o, url in ok:
        out.fetched_links.append(o.entry.link or "")
        if url in known or url in in_run:
            out.settled.append(
                _settle(
                    o.entry,
                    moment,
                    run_id,
                    status="duplicate",
                    canonical_url=url,
                    article_id=known.get(url),
                    last_error=None,
                )
            )
        else:
            in_run.add(url)
            out.work.append((o.entry, raw_document(o, url, outlets)))
    return out


def process_and_load(
    con: duckdb.DuckDBPyConnection,
    work: Sequence[tuple[wf.EntryRow, RawDocument]],
    topics: Sequence[Topic],
    run_id: str,
    version: str,
    pool: ProcessPoolExecutor | None,
    settings: Settings,
    moment: datetime,
) -> tuple[list[wf.EntryRow], dict]:
    """Extract and tag in batches (the seeds' tasks), keep the articles matching a topic, load them.

    Returns the settled entries and counts (new, updated, matched, unmatched, failed, loaded ids).
    """
    settled: list[wf.EntryRow] = []
    counts: dict = {"new": 0, "updated": 0, "matched": 0, "unmatched": 0, "failed": 0, "loaded": []}
    for batch in chunks(work, settings.batch_size):
        raws = [raw for _, raw in batch]
        results = extract_and_tag(raws, pool, settings)
        kept = filter_topics(results, topics)
        matched = [k for k in kept if k is not None]
        # Failures keyed by page URL: keyed by the feed URL, a feed's failures would collapse into one row.
        failures = [
            replace(r, source_ref=raw.url or r.source_ref)
            for r, raw in zip(results, raws, strict=True)
            if isinstance(r, Failure)
        ]
        outcome = load_batch(con, [*matched, *failures], raws, run_id, version)
        counts["loaded"] += outcome.loaded
        counts["new"] += outcome.new
        counts["updated"] += outcome.updated
        counts["matched"] += len(matched)
        counts["failed"] += len(failures)
        for (entry, raw), result, keep in zip(batch, results, kept, strict=True):
            if isinstance(result, Failure):
                error = f"{result.stage}: {result.reason}"
                settled.append(
                    _settle(entry, moment, run_id, status="failed", canonical_url=raw.url, last_error=error)
                )
            elif keep is not None:
                article_id = article_id_for(keep.article.url, keep.origin, keep.source_ref)
                settled.append(
                    _settle(
                        entry,
                        moment,
                        run_id,
                        status="matched",
                        canonical_url=raw.url,
                        last_error=None,
                        article_id=article_id,
                        topics=keep.topics,
                    )
                )
            else:
                counts["unmatched"] += 1
                settled.append(
                    _settle(entry, moment, run_id, status="unmatched", canonical_url=raw.url, last_error=None)
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
) -> dict:
    """Poll the due feeds of `feeds_file` and load the new pages that match a topic.

    Raises FeedConfigError when the config cannot be used; network and page problems are recorded
    (feed_state, feed_entries, ingest_failures) and never raised.
    """
    config = load_feed_config(feeds_file)
    max_bytes = settings.max_document_bytes
    outcomes = poll_feeds_task(con, config, force, max_bytes)
    fresh = record_polls_task(con, outcomes, run_id)
    todo = wf.entries_to_fetch(con, config.fetch.max_runs, config.fetch.max_pages)
    outlets = {f.url: f.outlet for f in config.feeds}

    totals = {"pages": 0, "new": 0, "updated": 0, "matched": 0, "unmatched": 0, "duplicate": 0, "failed": 0}
    loaded: list[str] = []
    # A chunk at a time: pages in memory stay bounded, and each chunk's outcome is saved before the next.
    for chunk in chunks(todo, settings.pages_per_chunk):
        moment = now()
        pages = fetch_pages_task(list(chunk), config.fetch, max_bytes)
        fetched = sort_pages(con, pages, outlets, moment, run_id)
        processed, counts = process_and_load(
            con, fetched.work, config.topics, run_id, version, pool, settings, moment
        )
        with db.transaction(con):
            wf.upsert_entries(con, [*fetched.settled, *processed])
            db.record_failures(con, fetched.fetch_failures, run_id, moment)
            # Fetch failures are keyed by the link fetched, extraction failures by the page's canonical URL.
            done = [e.canonical_url for e in processed if e.status != "failed" and e.canonical_url]
            db.resolve_failures(con, "feed", [*filter(None, fetched.fetched_links), *done], moment)
        loaded += counts["loaded"]
        totals["pages"] += len(pages)
        totals["duplicate"] += sum(e.status == "duplicate" for e in fetched.settled)
        totals["failed"] += len(fetched.fetch_failures) + counts["failed"]
        for key in ("new", "updated", "matched", "unmatched"):
            totals[key] += counts[key]

    failed = sum(o.status == "failed" for o in outcomes) + totals["failed"]
    result = {
        "inputs": totals["pages"],
        "new": totals["new"],
        "updated": totals["updated"],
        "failed": failed,
        "polled": len(outcomes),
        "not_modified": sum(o.status in ("not_modified", "unchanged") for o in outcomes),
        "entries_new": len(fresh),
        "pages": totals["pages"],
        "matched": totals["matched"],
        "feeds_failed": sum(o.status == "failed" for o in outcomes),
        "loaded_ids": loaded,
    }
    _logger().info(
        "feeds: %d polled (%d not modified), %d new entries, %d pages fetched, %d matched a topic, "
        "%d did not, %d duplicates, %d failed",
        result["polled"], result["not_modified"], result["entries_new"], totals["pages"], totals["matched"],
        totals["unmatched"], totals["duplicate"], failed,
    )  # fmt: skip
    return result
