"""One raw document to one tagged article (or a failure saying why): the whole transform chain.

decode -> extract (HTML) or clean (plain text) -> metadata -> outlet -> language -> tag sources.
Pure and picklable, so flows can run batches of it in worker processes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from transforms.decode import (
    Decoded,
    DecodeError,
    charset_of,
    decode_bytes,
    gunzip,
    sniff_media_type,
    too_large,
)
from transforms.records import Failure, RawDocument, TaggedArticle
from transforms.registry import Registry, load_registry
from transforms.urls import canonicalize_url

# The chain's own modules (extraction, metadata, tagging: trafilatura and the taggers' tables, ~0.5 s
# of imports) are imported where a page is processed, not with this module: the flow's process imports
# it for the helpers below (ids, copies, duplicates) and leaves the pages to the worker processes.

DEFAULT_MAX_BYTES = 10_000_000
_UTF8 = ("utf-8", "utf-8-sig", "ascii")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def article_id_for(url: str | None, origin: str, source_ref: str) -> str:
    """Stable id: the canonical URL when known, else where the input came from."""
    key = f"url:{url}" if url else f"{origin}:{source_ref}"
    # surrogatepass: any str has an id (a lone surrogate too); valid text hashes as plain UTF-8, as before.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def read_document(raw: RawDocument, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Decoded, str]:
    """The decoded text of a raw document and its media type; DecodeError says why not."""
    data = raw.data
    if len(data) > max_bytes:
        raise DecodeError(too_large(len(data), max_bytes))
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, max_bytes)
    media_type = sniff_media_type(raw.source_ref, data, raw.media_type)
    return decode_bytes(data, media_type, charset_of(raw.media_type)), media_type


def process(
    raw: RawDocument, registry: Registry | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> TaggedArticle | Failure:
    """Clean, describe and tag one document. Never raises for bad input: returns a Failure."""
    from transforms.dates import normalize_date
    from transforms.html import NoArticleError, extract_html
    from transforms.language import detect_language
    from transforms.outlet import resolve_outlet
    from transforms.plaintext import clean_plaintext
    from transforms.tag_sources import tag_sources

    registry = registry or load_registry()
    digest = content_hash(raw.data)

    def failed(stage: str, reason: str) -> Failure:
        return Failure(raw.source_ref, raw.origin, stage, reason, digest)

    if raw.url is not None and canonicalize_url(raw.url) is None:
        return failed("read", f"not a valid http(s) URL: {raw.url[:200]!r}")
    try:
        decoded, media_type = read_document(raw, max_bytes)
    except DecodeError as exc:
        return failed("decode", str(exc))
    text = decoded.text
    try:
        article = extract_html(text, raw.url) if media_type == "text/html" else clean_plaintext(text)
    except NoArticleError as exc:
        return failed("extract", str(exc))
    except Exception as exc:  # a library bug on one page must not stop the batch
        return failed("extract", f"{type(exc).__name__}: {exc}")
    if not article.text.strip():
        return failed("extract", "no article text left after cleaning")

    url = raw.url or article.url
    article = replace(
        article,
        url=url,
        title=article.title or raw.title,
        published=article.published or normalize_date(raw.published),
        outlet=resolve_outlet(registry, raw.outlet, url, article.site_name),
        # HTML extraction has already weighed the page's declaration against its text.
        language=article.language or detect_language(article.text),
    )
    notes = _notes(decoded)
    return TaggedArticle(
        source_ref=raw.source_ref,
        origin=raw.origin,
        content_hash=digest,
        article=article,
        sources=tag_sources(article, registry),
        notes=notes,
        topics=raw.topics,
    )


def process_batch(
    raws: Sequence[RawDocument], max_bytes: int = DEFAULT_MAX_BYTES
) -> list[TaggedArticle | Failure]:
    """process() over a batch, in order: the unit of work of one worker process."""
    registry = load_registry()
    return [process(raw, registry, max_bytes) for raw in raws]


# Two small documents that take every common path through the chain: HTML with an address (the
# outlet from its registered domain), metadata, a dateline and credits, and plain text with a byline.
_WARM_UP = (
    RawDocument(
        source_ref="warm-up.html",
        url="https://news.example.co.uk/2017/05/05/rules-change",
        data=b"""<html lang="en"><head><title>Rules change - The Daily</title>
<meta name="author" content="Jane Doe"></head><body><nav><a href="/">Home</a></nav><article>
<h1>Rules change</h1><p class="date">Posted May 5, 2017</p>
<p>PARIS (AFP) - Officials said on Tuesday that the new rules would take effect next month,
according to a statement seen by Reuters.</p><p>The measure, first reported by Quartz, was
described as a major change. "It is important," a spokesman told RIA Novosti.</p>
<p>Photo: Xinhua. Copyright 2017 Agence France-Presse.</p></article></body></html>""",
    ),
    RawDocument(
        source_ref="warm-up.txt",
        data=b"Rules change\nBy Jane Doe\n\nPARIS (AFP) - Officials said on Tuesday that the new "
        b"rules would take effect next month.",
    ),
)


def warm_up() -> None:
    """Load what the chain otherwise loads on its first articles: the registry, the language
    model, the extraction libraries' tables (about a second in all).

    Worker processes are forked from one process that has run this (flows/workers.py), so
    none of them pays it again.
    """
    from transforms.html import warm_up as warm_up_html

    warm_up_html()
    process_batch(_WARM_UP)


def split_duplicates(
    items: Sequence[tuple[str, TaggedArticle]], held: Mapping[str, tuple[str, str]]
) -> tuple[list[tuple[str, TaggedArticle]], list[Failure]]:
    """One input per article id: the articles to load, and a warning for each input left out.

    Two inputs can be one article (the same page saved as `x.html` and `x.html.gz`, or copies
    sharing a `rel=canonical`). `held` maps an article id to the (origin, source_ref) that holds
    it already (earlier in the run, or stored from an input still present): that input keeps it.
    Otherwise the first input by (origin, source_ref) wins, so every run picks the same one.
    """
    groups: dict[str, list[TaggedArticle]] = {}
    for article_id, item in items:
        groups.setdefault(article_id, []).append(item)
    keep: list[tuple[str, TaggedArticle]] = []
    left_out: list[Failure] = []
    for article_id, group in groups.items():
        group.sort(key=lambda t: (t.origin, t.source_ref))
        holder = held.get(article_id)
        if holder is not None and holder not in {(t.origin, t.source_ref) for t in group}:
            winner, losers = f"{holder[0]} input {holder[1]}", group
        else:
            keep.append((article_id, group[0]))
            winner, losers = f"{group[0].origin} input {group[0].source_ref}", group[1:]
        for loser in losers:
            url = loser.article.url or "none"
            left_out.append(
                Failure(
                    loser.source_ref,
                    loser.origin,
                    "duplicate",
                    f"the same article as {winner} (article {article_id}, canonical URL {url}): "
                    "that input was loaded, this one was not",
                    loser.content_hash,
                    severity="warning",
                )
            )
    return keep, left_out


def copy_key(raw: RawDocument, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """A digest of everything process() reads of an HTML input but its name: inputs with the same key
    are copies, whose results differ only in source_ref, origin and content_hash (as_copy).

    The page is read and parsed as extraction reads and parses it (read_document, load_page), and its
    tree serialised: the parser drops comments and processing instructions, so two saves of one page
    that differ only there are copies; so is everything process() takes from the input beside its
    bytes (url, outlet, published, title, topics, the media type, the decoding notes). None for an
    input that is not HTML, or that decoding or parsing refuses (its own process() says why).
    """
    from lxml import etree

    from transforms.page import load_page

    if raw.url is not None and canonicalize_url(raw.url) is None:
        return None
    try:
        decoded, media_type = read_document(raw, max_bytes)
        if media_type != "text/html":
            return None
        tree = load_page(decoded.text)
        page = etree.tostring(tree, encoding="utf-8")
    except Exception:  # any refusal: the input is processed alone, and its process() says why
        return None
    digest = hashlib.sha256(page)
    doctype = tree.getroottree().docinfo.doctype
    given = (raw.url, raw.outlet, raw.published, raw.title, list(raw.topics), doctype, _notes(decoded))
    digest.update(json.dumps(given).encode())
    return digest.hexdigest()


_SPACE = frozenset(b" \t\n\r\f\v")


def _outside_comments(data: bytes) -> list[memoryview]:
    """The spans of `data` outside its `<!-- ... -->` comments (an unclosed one runs to the end), each
    without the white space next to a comment or at the ends: one linear scan, nothing copied."""
    view, spans, start = memoryview(data), [], 0
    while start < len(data):
        opening = data.find(b"<!--", start)
        end = len(data) if opening < 0 else opening
        while start < end and data[start] in _SPACE:
            start += 1
        stop = end
        while stop > start and data[stop - 1] in _SPACE:
            stop -= 1
        if stop > start:
            spans.append(view[start:stop])
        if opening < 0:
            break
        closing = data.find(b"-->", opening + 4)
        start = len(data) if closing < 0 else closing + 3
    return spans


def copy_group(raw: RawDocument, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A cheap digest of the bytes outside comments (and the white space beside them): copies (copy_key)
    nearly always share it, and a page alone in its group is taken for no copy without being parsed.

    Only a shortcut: a copy missed here (saved in another encoding, its tags written otherwise) is
    extracted on its own, which gives the result as_copy() would have given; inputs grouped that are
    not copies are told apart by copy_key.
    """
    data = raw.data
    if data[:2] == b"\x1f\x8b":  # a .gz input and its plain copy: grouped by the page inside
        try:
            data = gunzip(data, max_bytes)
        except DecodeError:
            return content_hash(raw.data)
    digest = hashlib.sha256()
    for span in _outside_comments(data):
        digest.update(span)
        digest.update(b"\0")  # "a<!-- -->b" is not "ab"'s copy
    return digest.hexdigest()


def as_copy(result: TaggedArticle, raw: RawDocument) -> TaggedArticle:
    """The result of `raw`, a copy (copy_key) of the input `result` was made from, without processing it."""
    return replace(result, source_ref=raw.source_ref, origin=raw.origin, content_hash=content_hash(raw.data))


def _notes(decoded: Decoded) -> tuple[str, ...]:
    notes = () if decoded.encoding in _UTF8 else (f"not UTF-8: read as {decoded.encoding}",)
    return notes + ((decoded.note,) if decoded.note else ())


def given_key(raw: RawDocument) -> str | None:
    """A digest of what the caller gave with an input (a manifest's url, outlet, published).

    Part of the key that decides whether an input is unchanged: an edited manifest row makes its
    file load again. None when nothing was given.
    """
    given = (raw.url, raw.outlet, raw.published)
    if not any(given):
        return None
    return hashlib.sha256(json.dumps(given).encode()).hexdigest()[:16]
