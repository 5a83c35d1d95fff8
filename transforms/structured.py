"""What a page says about its article in structured data: JSON-LD, Open Graph, `article:*` meta, microdata.

Most publishers describe the article for search engines and social networks: schema.org JSON-LD
(`NewsArticle`, `Article`, `ReportageNewsArticle`, `BlogPosting`, ..., alone, in lists or in an
`@graph`, authors as text, objects or `@id` references), Open Graph and `article:*` meta tags, and
schema.org microdata (`itemprop`). `read_structured` collects them into one frozen record; it judges
nothing. Whoever uses a field decides whether it is plausible for the page (transforms/html.py checks
bodies against the visible text, authors against the site's own names). Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.html
from lxml import etree

# schema.org types of an article (their name ends in "Article", or one of these).
_ARTICLE_TYPES = frozenset(
    {"blogposting", "liveblogposting", "socialmediaposting", "report", "newsarticle", "posting"}
)
# Nested objects that may hold the article itself.
_CONTAINERS = ("@graph", "mainEntity", "mainEntityOfPage", "hasPart", "itemListElement")
_JSON_MAX_CHARS = 2_000_000


@dataclass(frozen=True, slots=True)
class Party:
    """An author or publisher as structured data names it: 'Person', 'Organization', or '' (untyped)."""

    name: str
    kind: str = ""

    @property
    def is_organization(self) -> bool:
        return "organization" in self.kind.lower() or self.kind.lower() in (
            "corporation",
            "newsmediaorganization",
        )


@dataclass(frozen=True, slots=True)
class StructuredData:
    """The article as the page's structured data describes it; every field None or () when absent."""

    headline: str | None = None  # JSON-LD / microdata headline (or name)
    other_headlines: tuple[str, ...] = ()  # the article's JSON-LD name and alternativeHeadline besides
    authors: tuple[Party, ...] = ()  # JSON-LD / microdata author, in page order
    date_published: str | None = None  # as written
    date_modified: str | None = None
    article_body: str | None = None
    in_language: str | None = None
    publisher: str | None = None
    section: str | None = None
    source_organization: str | None = None
    og_title: str | None = None
    site_name: str | None = None  # og:site_name, or the JSON-LD WebSite / publisher name
    meta_authors: tuple[str, ...] = ()  # <meta name="author">, article:author (URLs left out)
    meta_published: str | None = None  # article:published_time and the like
    locale: str | None = None  # og:locale
    # The credits of the article's pictures (ImageObject `creditText`, `copyrightNotice`,
    # `copyrightHolder`, `author`, `creator`; its `caption` and `description`, which end with the
    # credit) as (field, words), in page order.
    image_credits: tuple[tuple[str, str], ...] = ()
    # The article's own credit fields (`copyrightHolder`, `creditText`, `copyrightNotice`, `provider`).
    article_credits: tuple[tuple[str, str], ...] = ()
    # The addresses of the article's own pictures as the page declares them: og:image and
    # twitter:image, the article's JSON-LD `image` and `thumbnailUrl` (strings or ImageObject
    # `url`/`contentUrl`), the WebPage's `primaryImageOfPage`; not other articles' pictures.
    image_urls: tuple[str, ...] = ()


def read_structured(tree: lxml.html.HtmlElement) -> StructuredData:
    """Collect the page's structured description of its article (see the module doc)."""
    nodes = list(_jsonld_nodes(tree))
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    articles = [node for node in nodes if _is_article(node)]
    # Several article objects: the one that says most about itself (related stories are short).
    article = max(articles, key=_richness, default=None)
    fields: dict[str, object] = {}
    if article is not None:
        fields = {
            "headline": _text(article.get("headline")) or _text(article.get("name")),
            "other_headlines": tuple(
                dict.fromkeys(
                    text for key in ("name", "alternativeHeadline") if (text := _text(article.get(key)))
                )
            ),
            "authors": tuple(_parties(article.get("author"), by_id)),
            "date_published": _text(article.get("datePublished")),
            "date_modified": _text(article.get("dateModified")),
            "article_body": _body_text(article.get("articleBody")),
            "in_language": _language(article.get("inLanguage")),
            "publisher": next((p.name for p in _parties(article.get("publisher"), by_id)), None),
            "section": _text(article.get("articleSection")),
            "source_organization": next(
                (p.name for p in _parties(article.get("sourceOrganization"), by_id)), None
            ),
            "article_credits": tuple(
                [(k, t) for k in ("creditText", "copyrightNotice") if (t := _text(article.get(k)))]
                + [
                    (k, p.name)
                    for k in ("copyrightHolder", "provider")
                    for p in _parties(article.get(k), by_id)
                ]
            ),
        }
    micro = _microdata(tree)
    for key, value in micro.items():
        if not fields.get(key):
            fields[key] = value
    fields["image_credits"] = tuple(dict.fromkeys(_image_credits(article, nodes, by_id)))
    meta = _meta(tree)
    fields["image_urls"] = tuple(dict.fromkeys(_image_urls(article, nodes, by_id, meta)))
    website = next((_text(n.get("name")) for n in nodes if _types(n) & {"website"}), None)
    return StructuredData(
        **fields,  # type: ignore[arg-type]
        og_title=meta.get("og:title"),
        site_name=meta.get("og:site_name") or website or fields.get("publisher"),  # type: ignore[arg-type]
        meta_authors=tuple(
            value
            for key in ("author", "article:author", "dc.creator", "byl", "sailthru.author", "parsely-author")
            for value in meta.get_all(key)
            if "://" not in value and not value.startswith("www.")
        ),
        meta_published=next(
            (
                meta.get(key)
                for key in ("article:published_time", "og:published_time", "datepublished", "pubdate")
                if meta.get(key)
            ),
            None,
        ),
        locale=meta.get("og:locale"),
    )


# --- JSON-LD -------------------------------------------------------------------------------


def _jsonld_nodes(tree: lxml.html.HtmlElement) -> Iterator[dict]:
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw or len(raw) > _JSON_MAX_CHARS:
            continue
        data = None
        with contextlib.suppress(ValueError, RecursionError):
            # strict=False: CMSs leave raw newlines and tabs inside strings
            data = json.loads(raw, strict=False)
        if data is not None:
            yield from _walk(data, 0)


def _walk(node: object, depth: int) -> Iterator[dict]:
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in _CONTAINERS:
            if key in node:
                yield from _walk(node[key], depth + 1)


def _types(node: dict) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1].lower() for k in kinds if isinstance(k, str)}


def _is_article(node: dict) -> bool:
    return any(t.endswith("article") or t in _ARTICLE_TYPES for t in _types(node))


def _richness(node: dict) -> int:
    return sum(
        1 for key in ("headline", "author", "datePublished", "articleBody") if node.get(key)
    ) * 10**7 + len(_text(node.get("articleBody")) or "")


def _text(value: object) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


_MARKUP = re.compile(r"<[a-zA-Z/][^<>]{0,500}>")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")


def _body_text(value: object) -> str | None:
    """articleBody as text, one paragraph a line; some CMSs put the body's HTML in it."""
    if not isinstance(value, str) or not value.strip():
        return None
    if _MARKUP.search(value):
        with contextlib.suppress(ValueError, etree.ParserError):
            fragment = lxml.html.fragment_fromstring(value, create_parent="div")
            for block in fragment.iter(*_BLOCK_TAGS):
                block.tail = "\n" + (block.tail or "")
            value = fragment.text_content()
    lines = (" ".join(line.split()) for line in value.splitlines())
    return "\n".join(line for line in lines if line) or None


def _language(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    return _text(value)


def _parties(value: object, by_id: dict[str, dict]) -> Iterator[Party]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            if item.strip():
                yield Party(" ".join(item.split()))
        elif isinstance(item, dict):
            if "name" not in item and isinstance(item.get("@id"), str):
                item = by_id.get(item["@id"], item)
            name = _text(item.get("name"))
            if not name:
                given, family = _text(item.get("givenName")), _text(item.get("familyName"))
                name = " ".join(filter(None, (given, family))) or None
            if name:
                kind = item.get("@type")
                yield Party(name, kind if isinstance(kind, str) else "")


_IMAGE_KEYS = ("image", "associatedMedia", "thumbnail", "primaryImageOfPage", "video")
_CAPTION_CHARS = 600  # a long picture description: its end, where the credit is


def _image_credits(
    article: dict | None, nodes: list[dict], by_id: dict[str, dict]
) -> Iterator[tuple[str, str]]:
    """The credits of the pictures of the article and of the page, not those of other articles."""
    images: list[object] = []
    for node in nodes:
        if _types(node) & {"imageobject", "videoobject"}:
            images.append(node)
        elif node is article or not _is_article(node):
            images.extend(node.get(key) for key in _IMAGE_KEYS)
    seen: set[int] = set()
    while images:
        value = images.pop(0)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("@id"), str) and len(item) <= 2:
                item = by_id.get(item["@id"], item)
            if not isinstance(item, dict) or id(item) in seen:
                continue
            seen.add(id(item))
            for key in ("creditText", "copyrightNotice"):
                if text := _text(item.get(key)):
                    yield key, text
            if "imageobject" in _types(item):  # a picture's caption ends with its credit, as a figure's does
                for key in ("caption", "description"):
                    if text := _text(item.get(key)):
                        yield key, text[-_CAPTION_CHARS:]
            for key in ("copyrightHolder", "author", "creator"):
                for party in _parties(item.get(key), by_id):
                    yield key, party.name
            images.extend(item.get(key) for key in _IMAGE_KEYS)  # a video's thumbnail


_IMAGE_META = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")


def _image_urls(
    article: dict | None, nodes: list[dict], by_id: dict[str, dict], meta: _Meta
) -> Iterator[str]:
    """The addresses of the article's own pictures (see StructuredData.image_urls)."""
    for key in _IMAGE_META:
        yield from meta.get_all(key)
    values: list[object] = [article.get(key) for key in ("image", "thumbnailUrl")] if article else []
    values.extend(node.get("primaryImageOfPage") for node in nodes if "webpage" in _types(node))
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("@id"), str) and len(item) <= 2:
                item = by_id.get(item["@id"], item)
            if isinstance(item, dict):
                item = item.get("url") or item.get("contentUrl")
                if isinstance(item, list):
                    item = next((u for u in item if isinstance(u, str)), None)
            if isinstance(item, str) and item.strip():
                yield item.strip()


# --- microdata and meta ----------------------------------------------------------------------


def _microdata(tree: lxml.html.HtmlElement) -> dict[str, object]:
    """Article fields from itemprop attributes (the first of each)."""
    found: dict[str, object] = {}
    authors: list[Party] = []
    for node in tree.xpath("//*[@itemprop]"):
        # only properties of an article item: a comment's author or a teaser's headline are not
        scope = next((up for up in node.iterancestors() if up.get("itemscope") is not None), None)
        if scope is None or not _is_article({"@type": (scope.get("itemtype") or "").split()}):
            continue
        props = node.get("itemprop", "").split()
        for prop in props:
            if prop == "author":
                name_node = next(iter(node.xpath('.//*[@itemprop="name"]')), None)
                value = (
                    name_node.get("content") or name_node.text_content()
                    if name_node is not None
                    else node.get("content") or node.text_content()
                )
                if value and value.strip() and len(value) < 200:
                    authors.append(Party(" ".join(value.split())))
            elif prop in ("headline", "datePublished", "dateModified") and prop not in found:
                value = node.get("content") or node.get("datetime") or node.text_content()
                if value and value.strip():
                    found[prop] = " ".join(value.split())
    return {
        "headline": found.get("headline"),
        "date_published": found.get("datePublished"),
        "date_modified": found.get("dateModified"),
        "authors": tuple(dict.fromkeys(authors)),
    }


class _Meta:
    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        self.values.setdefault(key, []).append(value)

    def get(self, key: str) -> str | None:
        values = self.values.get(key)
        return values[0] if values else None

    def get_all(self, key: str) -> list[str]:
        return self.values.get(key, [])


def _meta(tree: lxml.html.HtmlElement) -> _Meta:
    meta = _Meta()
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        value = " ".join((node.get("content") or "").split())
        if key and value:
            meta.add(key, value)
    return meta
