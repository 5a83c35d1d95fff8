"""Typed records passed between pipeline stages.

Every stage takes and returns these small frozen dataclasses, so a stage can be
tested alone and run in a worker process (they pickle cheaply). Library output
(trafilatura documents, feedparser dicts) is converted to them where received.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transforms.textunits import count_words

ROLES = ("origin", "cited", "photo", "via", "reuse")
TEXT_ROLES = ("origin", "cited", "via", "reuse")


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One input exactly as received, plus what the caller already knows of it."""

    source_ref: str  # seed file name relative to its folder, or the URL fetched
    data: bytes
    origin: str = "seed"  # 'seed' or 'feed'
    url: str | None = None
    outlet: str | None = None  # from a manifest or the feed's config
    published: str | None = None  # as given by a manifest or feed entry
    media_type: str | None = None  # 'text/html' / 'text/plain' (+ '; charset=...'); None: from name and bytes
    title: str | None = None  # a feed entry's title, used when the page has none
    topics: tuple[str, ...] = ()  # topics it is already known to match (when re-tagging a stored article)


@dataclass(frozen=True, slots=True)
class Credit:
    """Words that may credit a source but are not part of the article's main text.

    `where` says what they are: 'byline', 'author_meta', 'jsonld', 'caption',
    'credit_line', 'copyright', 'dateline', 'link', 'site_footer'. They are kept so
    that a credit removed from the body is still evidence (with no offsets).
    """

    text: str
    where: str


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned article: main text and metadata, before tagging."""

    text: str
    title: str | None = None
    byline: str | None = None
    published: str | None = None  # ISO 8601: with offset when the time is known, else the date
    language: str | None = None
    url: str | None = None
    outlet: str | None = None
    site_name: str | None = None
    credits: tuple[Credit, ...] = ()
    links: tuple[str, ...] = ()  # hrefs of the main text (for via credits)


@dataclass(frozen=True, slots=True)
class SourceTag:
    """One credit of an agency or outlet, with the exact words that show it."""

    source: str  # canonical name from the registry
    kind: str  # 'agency' or 'outlet'
    role: str  # one of ROLES
    evidence: str
    start: int | None = None  # offsets into Article.text, None when outside it
    end: int | None = None


@dataclass(frozen=True, slots=True)
class TaggedArticle:
    """The result of processing one raw document successfully."""

    source_ref: str
    origin: str
    content_hash: str  # sha256 of the raw bytes (the key of the raw store)
    article: Article
    sources: tuple[SourceTag, ...] = field(default=())
    notes: tuple[str, ...] = ()  # caveats worth recording, e.g. "not UTF-8: read as cp1252"
    topics: tuple[str, ...] = ()  # names of the tracked topics the article matched (feeds)

    @property
    def word_count(self) -> int:
        return count_words(self.article.text)  # Chinese, Japanese, Thai: not one word per paragraph


@dataclass(frozen=True, slots=True)
class Failure:
    """An input that could not become an article: what, where, why."""

    source_ref: str
    origin: str
    stage: str  # 'read', 'decode', 'extract', 'fetch', 'parse', ...
    reason: str
    content_hash: str | None = None
    severity: str = "error"  # 'error': not loaded; 'warning': loaded with a caveat
