"""Feed pages: what a page response means, which pages are duplicates, what became of each entry.

Pure functions over small frozen records (transforms/feed_decisions.py has the rows and the polls):
    fetch -> page_verdict (keep, retry, give up) -> fetched_page -> sort_pages (failed / duplicate / to
    process) -> extract and tag -> filter_topics -> settle_processed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from transforms.decode import charset_of
from transforms.feed_decisions import EntryRow
from transforms.feeds import FetchPolicy, Topic, parse_retry_after
from transforms.pipeline import article_id_for
from transforms.records import Failure, RawDocument, TaggedArticle
from transforms.topics import matching_topics
from transforms.urls import choose_canonical, find_canonical_link

PAGE_TYPES = {"text/html": "text/html", "application/xhtml+xml": "text/html", "text/plain": "text/plain"}
PAGE_ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"
# The head of a page searched for rel=canonical: heads are small, and the rest may be 10 MB.
_HEAD_BYTES = 300_000


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A page request's outcome: a body to process, or why there is none."""

    entry: EntryRow
    attempts: int
    url: str | None = None  # the page's canonical URL (final URL, or its rel=canonical on the same site)
    body: bytes | None = field(default=None, repr=False)
    media_type: str | None = None
    error: str | None = None


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
    status: int,
    retry_after: str | None,
    attempt: int,
    policy: FetchPolicy,
    moment: datetime,
    max_wait: float,
    redirected_to: str | None = None,
) -> Verdict:
    """200 is kept; 5xx, 429 and 503 are retried with backoff (never sooner than Retry-After, and not
    at all within the run when Retry-After is longer than `max_wait`); other statuses are final.

    `redirected_to`: the URL that answered when the link redirected, named in the error (the link's
    own server did not answer 404)."""
    if status == 200:
        return Verdict(keep=True)
    error = f"HTTP {status}" + (f" from {redirected_to} (the link redirected there)" if redirected_to else "")
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
            reason = p.error or "failed"
            if p.attempts > 1 and not reason.endswith(" attempts)"):  # the fetcher states a retried one's
                reason = f"{reason} (after {p.attempts} attempts)"
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
