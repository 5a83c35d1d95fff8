"""Feeds: the feeds.yaml config, feed bytes to entries, and when to poll a feed next.

Pure functions over small frozen records. feedparser's dicts are converted to FeedEntry where they
are received, so nothing past this module sees a library object.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser

from transforms.topics import Query, QuerySyntaxError, parse_query
from transforms.urls import canonicalize_url, is_http_url, strip_credentials

DEFAULT_INTERVAL = timedelta(minutes=15)
MIN_INTERVAL = timedelta(minutes=1)
MAX_BACKOFF = timedelta(days=1)
# A Retry-After longer than this is taken as a misconfigured server, not a real request.
MAX_RETRY_AFTER = timedelta(days=7)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class FeedConfigError(ValueError):
    """feeds.yaml cannot be used; the message names the entry and what is wrong."""


@dataclass(frozen=True, slots=True)
class FeedSpec:
    url: str
    outlet: str | None = None
    interval: timedelta = DEFAULT_INTERVAL


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    query: Query


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How politely and how hard feeds and pages are fetched (feeds.yaml `fetch:`, all optional)."""

    timeout: float = 20.0  # seconds per request (connect, read, ...)
    per_host: int = 2  # requests at once to one host
    min_delay: float = 1.0  # seconds between the starts of two page requests to one host
    attempts: int = 3  # tries of a page within one run (5xx, 429, timeouts, connection errors)
    retry_base: float = 1.0  # seconds before the first retry; doubles each time
    max_runs: int = 5  # runs that try a failed page before it is given up
    max_pages: int = 10_000  # pages per run at most, a safety cap: settings.feed_fetch_budget decides
    concurrency: int = 16  # requests at once in all
    user_agent: str = ""  # empty: settings.USER_AGENT
    allow_private_networks: bool = False  # as WIRETRACE_ALLOW_PRIVATE_NETWORKS=1 (local feeds)


@dataclass(frozen=True, slots=True)
class FeedConfig:
    feeds: tuple[FeedSpec, ...]
    topics: tuple[Topic, ...] = ()
    fetch: FetchPolicy = FetchPolicy()


def parse_duration(value: object, where: str) -> timedelta:
    """'15m', '2h', '1d', '90s' -> timedelta. A bare number is refused: its unit would be a guess."""
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])
    raise FeedConfigError(f"{where}: {value!r} is not a duration; write e.g. 15m, 2h, 1d or 90s")


def _feed_spec(item: object, i: int) -> FeedSpec:
    where = f"feeds[{i}]"
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, Mapping):
        raise FeedConfigError(f"{where}: expected a mapping with url, outlet, interval; got {item!r}")
    unknown = set(item) - {"url", "outlet", "interval"}
    if unknown:
        raise FeedConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: url, outlet, interval")
    url = item.get("url")
    if not isinstance(url, str) or not is_http_url(url):
        raise FeedConfigError(f"{where}: url must be an http(s) URL, got {url!r}")
    outlet = item.get("outlet")
    if outlet is not None and not (isinstance(outlet, str) and outlet.strip()):
        raise FeedConfigError(f"{where} ({url}): outlet must be a non-empty string")
    interval = DEFAULT_INTERVAL
    if item.get("interval") is not None:
        interval = parse_duration(item["interval"], f"{where} ({url}) interval")
        if interval < MIN_INTERVAL:
            raise FeedConfigError(f"{where} ({url}): interval {item['interval']!r} is below one minute")
    return FeedSpec(url.strip(), outlet.strip() if outlet else None, interval)


def _topic(item: object, i: int) -> Topic:
    where = f"topics[{i}]"
    if not isinstance(item, Mapping) or set(item) != {"name", "query"}:
        raise FeedConfigError(f"{where}: expected a mapping with exactly name and query; got {item!r}")
    name, query = item["name"], item["query"]
    if not isinstance(name, str) or not name.strip():
        raise FeedConfigError(f"{where}: name must be a non-empty string")
    try:
        return Topic(name.strip(), parse_query(query))
    except QuerySyntaxError as exc:
        raise FeedConfigError(f"{where} ({name}): bad query: {exc}") from exc


def _fetch_policy(item: object) -> FetchPolicy:
    if item is None:
        return FetchPolicy()
    if not isinstance(item, Mapping):
        raise FeedConfigError(f"fetch: expected a mapping, got {item!r}")
    defaults = FetchPolicy()
    values = {}
    for key, value in item.items():
        if key not in FetchPolicy.__slots__:
            raise FeedConfigError(f"fetch: unknown key {key!r}; allowed: {', '.join(FetchPolicy.__slots__)}")
        kind = type(getattr(defaults, key))
        if kind is bool:
            if not isinstance(value, bool):
                raise FeedConfigError(f"fetch.{key}: expected true or false, got {value!r}")
            values[key] = value
            continue
        ok = (
            isinstance(value, str)
            if kind is str
            else isinstance(value, int | float) and not isinstance(value, bool)
        )
        if not ok or (kind is not str and value < 0):
            raise FeedConfigError(f"fetch.{key}: expected a non-negative {kind.__name__}, got {value!r}")
        values[key] = kind(value)
    if values.get("per_host", 1) < 1 or values.get("concurrency", 1) < 1 or values.get("attempts", 1) < 1:
        raise FeedConfigError("fetch: per_host, concurrency and attempts must be at least 1")
    return FetchPolicy(**values)


def parse_feed_config(data: object) -> FeedConfig:
    """The parsed YAML of feeds.yaml as a FeedConfig; FeedConfigError says what is wrong and where."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FeedConfigError("feeds config must be a mapping with 'feeds:' and 'topics:'")
    unknown = set(data) - {"feeds", "topics", "fetch", "alerts"}  # alerts: transforms/alerts.py reads it
    if unknown:
        raise FeedConfigError(
            f"unknown top-level key(s) {sorted(unknown)}; allowed: feeds, topics, fetch, alerts"
        )
    raw_feeds = data.get("feeds") or []
    raw_topics = data.get("topics") or []
    if not isinstance(raw_feeds, list) or not isinstance(raw_topics, list):
        raise FeedConfigError("'feeds' and 'topics' must be lists")
    feeds = tuple(_feed_spec(item, i) for i, item in enumerate(raw_feeds))
    topics = tuple(_topic(item, i) for i, item in enumerate(raw_topics))
    for label, names in (("feed url", [f.url for f in feeds]), ("topic name", [t.name for t in topics])):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise FeedConfigError(f"{label} listed twice: {', '.join(dupes)}")
    return FeedConfig(feeds, topics, _fetch_policy(data.get("fetch")))


# -- parsing feeds ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, as needed to find, fetch and describe its page."""

    key: str  # identity within its feed: the guid, else the canonical link, else a digest
    guid: str | None
    link: str | None  # absolute http(s) URL of the page, as the feed gives it
    canonical_link: str | None  # canonicalize_url(link)
    title: str | None
    published: str | None  # ISO 8601 (UTC) from the entry's published/updated date, else as written
    summary: str | None
    updated: str | None = None  # the entry's updated date, when it gives one (ISO 8601 UTC, else as written)
    # the entry's link when it is not http(s) (file:, javascript:): kept as data, never fetched
    refused_link: str | None = None


@dataclass(frozen=True, slots=True)
class FeedParseResult:
    entries: tuple[FeedEntry, ...]
    title: str | None = None
    version: str | None = None  # feedparser's name of the format: 'rss20', 'atom10', ...
    encoding: str | None = None
    bozo_reason: str | None = None  # why the document is ill-formed, when its entries were still read
    error: str | None = None  # why nothing could be read; entries is then empty

    @property
    def ok(self) -> bool:
        return self.error is None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _entry_date(entry: Mapping, kinds: tuple[str, ...] = ("published", "updated", "created")) -> str | None:
    for key in (f"{kind}_parsed" for kind in kinds):
        # dict.get: feedparser's own get maps missing keys to others, with a deprecation warning.
        parsed = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)
        if parsed:
            try:
                moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
            return moment.isoformat()
    for key in kinds:
        if text := _text(dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)):
            return text
    return None


_MAX_REFUSED_LINK = 2000


def _entry_link(entry: Mapping) -> str | None:
    candidates = [entry.get("link")]
    candidates += [
        x.get("href")
        for x in entry.get("links") or ()
        if isinstance(x, Mapping) and x.get("rel") in (None, "alternate")
    ]
    # A guid that is a permalink is the link when the item has no <link>.
    guid = entry.get("id")
    if entry.get("guidislink") or (isinstance(guid, str) and is_http_url(guid)):
        candidates.append(guid)
    return next((c.strip() for c in candidates if isinstance(c, str) and is_http_url(c)), None)


def to_entry(entry: Mapping) -> FeedEntry | None:
    """A feedparser entry dict as a FeedEntry; None when it has neither guid, link nor title."""
    guid = _text(entry.get("id"))
    guid = strip_credentials(guid) if guid and is_http_url(guid) else guid
    link = _entry_link(entry)
    link = strip_credentials(link) if link else None  # never sent, never stored
    canonical = canonicalize_url(link) if link else None
    given = entry.get("link")  # not http(s): kept as text, so that the skipped row shows what was refused
    refused = (
        strip_credentials(given.strip()[:_MAX_REFUSED_LINK]) if not link and isinstance(given, str) else ""
    )
    title = _text(entry.get("title"))
    published = _entry_date(entry)
    if guid:
        key = guid
    elif canonical:
        key = canonical
    elif title:
        key = "sha256:" + hashlib.sha256(f"{title}\n{published}".encode()).hexdigest()[:32]
    else:
        return None
    updated = _entry_date(entry, ("updated",))
    return FeedEntry(
        key, guid, link, canonical, title, published, _text(entry.get("summary")), updated, refused or None
    )


def _describe(exc: object) -> str:
    if isinstance(exc, BaseException):
        text = str(exc).strip()
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return str(exc)


def parse_feed(
    data: bytes, headers: Mapping[str, str] | None = None, url: str | None = None
) -> FeedParseResult:
    """Entries of a feed document. Never raises: an unreadable document gives a result with `error`.

    `headers` are the HTTP response's; Content-Location (else `url`) resolves relative links and
    Content-Type gives the charset. Entries of an ill-formed (bozo) feed are kept, with the reason.
    """
    given = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers = {}
    if location := given.get("content-location") or url:
        response_headers["content-location"] = location
    if content_type := given.get("content-type"):
        response_headers["content-type"] = content_type
    if not data or not data.strip():
        return FeedParseResult((), error="empty document")
    try:
        parsed = feedparser.parse(data, response_headers=response_headers)
    except Exception as exc:  # a parser bug on one feed must not stop the others
        return FeedParseResult((), error=f"feedparser failed: {_describe(exc)}")
    bozo = _describe(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    entries = tuple(e for e in (to_entry(x) for x in parsed.get("entries") or ()) if e is not None)
    version = parsed.get("version") or None
    feed = parsed.get("feed") or {}
    if not entries and not version:
        return FeedParseResult((), error=f"not a feed: {bozo or 'no RSS, Atom or RDF root element'}")
    # The same entry twice in one document (republished items) counts once.
    first: dict[str, FeedEntry] = {}
    for entry in entries:
        first.setdefault(entry.key, entry)
    return FeedParseResult(
        tuple(first.values()),
        title=_text(feed.get("title")),
        version=version,
        encoding=parsed.get("encoding"),
        bozo_reason=bozo,
    )


def body_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- scheduling ---------------------------------------------------------------------------------


def backoff_delay(interval: timedelta, failures: int) -> timedelta:
    """Wait after `failures` failures in a row: the interval doubled per failure, at most one day."""
    if failures <= 0:
        return interval
    return min(interval * (2 ** min(failures, 20)), max(MAX_BACKOFF, interval))


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a delay from now; None when absent or invalid."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = when - now
    return max(timedelta(0), min(delay, MAX_RETRY_AFTER))


def next_poll_at(
    now: datetime, interval: timedelta, failures: int, retry_after: timedelta | None = None
) -> datetime:
    """When a feed is next due: after its interval, later after failures, never before Retry-After."""
    delay = backoff_delay(interval, failures)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + delay


def is_due(next_at: datetime | None, now: datetime) -> bool:
    return next_at is None or next_at <= now
