"""Credit-like strings from the whole HTML page, not only its main text.

Bylines, author meta tags, JSON-LD authors, photo captions, copyright lines and "(dpa)"
signatures often sit outside the text that trafilatura extracts, yet they are often the only
sign of agency copy. Each string is labelled with `where` it was found, and material from the
site's footer or from other articles (sidebars, teasers, related links) is labelled
'site_footer' / 'related' so that the tagger does not take it for the article's own credit.
"""

from __future__ import annotations

import functools
import json
import re

import lxml.html

from transforms.records import Credit

_AUTHOR_META = frozenset(
    {
        "author",
        "article:author",
        "og:article:author",
        "dc.creator",
        "dc.source",
        "dc.rights",
        "dcterms.creator",
        "sailthru.author",
        "parsely-author",
        "byl",
        "copyright",
        "twitter:data1",
        "cxenseparse:author",
        "news_keywords:source",
        "article:source",
        "source",
    }
)
_DESCRIPTION_META = frozenset({"description", "og:description", "twitter:description"})

# class / id / itemprop words of the elements that hold credits, and what they hold.
_CAPTION_HINT = re.compile(
    r"caption|credit|copyright|bildquelle|bildnachweis|fotocredit|photo-?by|img-?author|image-?source"
    r"|media-?credit|foto|photo|bild|pic-?source|legend",
    re.I,
)
_BYLINE_HINT = re.compile(
    r"byline|author|autor|verfasser|firma|creator|writer|agency|agentur|m-source|article-?source"
    r"|source|quelle|fuente|signature|dateline|credits|kicker-?source",
    re.I,
)
_COPYRIGHT_HINT = re.compile(r"copyright|rights|license|licence", re.I)
_ANY_HINT = re.compile(f"{_CAPTION_HINT.pattern}|{_BYLINE_HINT.pattern}", re.I)
_CREDIT_TAGS = frozenset({"figcaption", "address", "byline", "author", "dateline"})
_LINE_TAGS = frozenset({"p", "div", "span", "small", "em", "strong", "li", "h5", "h6", "td"})
# Containers of material that is not the article: the site's chrome and other articles.
_FOOTER_HINT = re.compile(r"(?:^|[\s_-])(?:site-?footer|footer|page-?footer|colophon|bottom-?bar)", re.I)
_RELATED_HINT = re.compile(
    r"sidebar|related|teaser|recommend|more-?stories|more-?news|most-?read|most-?popular|popular|trending"
    r"|widget|promo|card-timeline|listof|o-related|hp_section|aside|newsletter|outbrain|taboola|nav|menu"
    r"|breadcrumb|carousel-related|latest|also-?read|read-?more|weitere|mehr-?zum|empfehlung|ticker",
    re.I,
)
_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "title", "option", "select"}
)

# Text shapes that are credits wherever they are: a dateline opening a paragraph, a copyright
# line, a "Quelle:" line, a signature alone on a line. They need no registry: the tagger decides
# whether the name in them is a source.
_DATELINE_START = re.compile(r"^[A-ZÀ-ÞĀ-Ž][^()\n]{0,70}\(\s*[\w/ .-]{2,25}\)\s*(?:[-–—:.]|\.-)")
_CREDIT_LINE = re.compile(
    r"^(?:quelle\s*:|source\s*:|fuente\s*:|fonte\s*:|foto\s*:|photo\s*:|bild\s*:|credit\s*:"
    r"|\([\w/ .]{2,25}\)\s*$)|©|\(c\)|\bcopyright\b",
    re.I,
)

_MAX_CREDIT = 300
_MAX_CAPTION = 600


def _jsonld_people(node: object) -> list[str]:
    names: list[str] = []
    if isinstance(node, list):
        for item in node:
            names.extend(_jsonld_people(item))
    elif isinstance(node, dict):
        for key in ("author", "creator", "sourceOrganization", "copyrightHolder", "contributor"):
            value = node.get(key)
            if isinstance(value, str):
                names.append(value)
            elif isinstance(value, (dict, list)):
                names.extend(
                    v.get("name") if isinstance(v, dict) else v
                    for v in (value if isinstance(value, list) else [value])
                    if (isinstance(v, dict) and isinstance(v.get("name"), str)) or isinstance(v, str)
                )
        # Not itemListElement: item lists hold other articles, with their own authors.
        for key in ("@graph", "mainEntity"):
            if key in node:
                names.extend(_jsonld_people(node[key]))
    return names


def _jsonld_captions(node: object) -> list[str]:
    """Photo credits of JSON-LD images: `image.creditText`, `image.copyrightHolder`."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found.extend(_jsonld_captions(item))
    elif isinstance(node, dict):
        for key in ("creditText", "copyrightNotice"):
            if isinstance(node.get(key), str):
                found.append(node[key])
        for key in ("image", "associatedMedia", "@graph", "thumbnail"):
            if key in node:
                found.extend(_jsonld_captions(node[key]))
    return found


def _attrs(el: lxml.html.HtmlElement) -> str:
    return " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop"), el.get("rel"))))


def _context(el: lxml.html.HtmlElement) -> tuple[str | None, bool]:
    """'site_footer' / 'related' when the element sits in the site's chrome or another article,
    and whether it is inside the page's article element."""
    in_article = False
    context: str | None = None
    for anc in el.iterancestors():
        tag = anc.tag if isinstance(anc.tag, str) else ""
        attrs = _attrs(anc)
        if tag in ("article", "main") or anc.get("itemprop") == "articleBody":
            in_article = True
        # Class words of the article element itself describe the layout ("sticky-sidebar-parent").
        if context is None and tag not in ("article", "main", "body", "html"):
            if tag in ("aside", "nav") or (attrs and _RELATED_HINT.search(attrs)):
                context = "related"
            elif tag == "footer" or (attrs and _FOOTER_HINT.search(attrs)):
                context = "site_footer"
    if context == "site_footer" and in_article:
        # A footer inside the article is the article's own (author box, source line).
        return None, in_article
    return context, in_article


def _text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


@functools.lru_cache(maxsize=8192)
def _hint_kind(tag: str, attrs: str, rel_author: bool) -> str | None:
    """What an element's tag and attributes say it holds; pages repeat a few class strings a lot."""
    if tag == "figcaption" or (attrs and _CAPTION_HINT.search(attrs)):
        return "copyright?" if attrs and _COPYRIGHT_HINT.search(attrs) else "caption"
    if tag in ("address", "byline", "author", "dateline") or rel_author:
        return "byline"
    if attrs and _BYLINE_HINT.search(attrs):
        return "byline"
    return None


@functools.lru_cache(maxsize=65536)
def _hinted(value: str) -> bool:
    return bool(_ANY_HINT.search(value))


def _may_hold_credit(el: lxml.html.HtmlElement, tag: str) -> bool:
    """A quick first test, true for every element that _kind names: most elements of a page are
    judged by a few dictionary look-ups of their attribute values instead of the patterns.
    (The hint patterns hold no space, so testing each value finds what testing them joined finds.)"""
    if tag in _CREDIT_TAGS:
        return True
    for name in ("class", "id", "itemprop", "rel"):
        value = el.get(name)
        if value and _hinted(value):
            return True
    return False


def _kind(el: lxml.html.HtmlElement) -> str | None:
    """What a credit-holding element holds, judged by its tag and attributes."""
    kind = _hint_kind(el.tag, _attrs(el), el.get("rel") == "author")
    if kind == "copyright?":
        # A copyright class inside a figure is the picture's credit.
        inside_figure = any(a.tag in ("figure", "figcaption") for a in el.iterancestors())
        return "caption" if inside_figure else "copyright"
    return kind


def harvest_credits(tree: lxml.html.HtmlElement) -> tuple[Credit, ...]:
    """Every credit-like string of the page, in page order, labelled with where it was found."""
    credits: list[Credit] = []
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").lower()
        content = " ".join((meta.get("content") or "").split())
        if not content:
            continue
        if key in _AUTHOR_META:
            credits.append(Credit(content, "author_meta"))
        elif key in _DESCRIPTION_META and _DATELINE_START.match(content):
            credits.append(Credit(content[:_MAX_CREDIT], "description"))
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        credits.extend(Credit(n.strip(), "jsonld") for n in _jsonld_people(data) if n.strip())
        credits.extend(Credit(n.strip(), "caption") for n in _jsonld_captions(data) if n.strip())

    # Elements inside an already harvested one; holding the proxies keeps their identity stable.
    claimed: set[lxml.html.HtmlElement] = set()
    has_article = bool(tree.xpath("//article | //main | //*[@itemprop='articleBody']"))
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_TAGS or el in claimed:
            continue
        kind = _kind(el) if _may_hold_credit(el, tag) else None
        text = None
        if kind is not None:
            text = _text(el)
            limit = _MAX_CAPTION if kind == "caption" else _MAX_CREDIT
            if not text or len(text) > limit:
                continue
        elif tag in _LINE_TAGS:
            own = el.text
            # Every dateline and credit line has one of these; most lines have none.
            if not own or not ("(" in own or ":" in own or "©" in own or "copyright" in own.lower()):
                continue
            own = " ".join(own.split())
            if len(own) > _MAX_CREDIT:
                continue
            if _DATELINE_START.match(own):
                kind, text = "dateline", _text(el)[:_MAX_CREDIT]
            elif _CREDIT_LINE.search(own) and len(_text(el)) <= 160:
                kind, text = "credit_line", _text(el)
            else:
                continue
        else:
            continue
        context, in_article = _context(el)
        if kind in ("dateline", "credit_line") and context is None and has_article and not in_article:
            # A dateline or "©" line outside the article and outside any marked sidebar is most
            # likely another story's teaser or a picture credit of the page's chrome: skip it.
            continue
        credits.append(Credit(text, context or kind))
        claimed.update(el.iterdescendants())
    return tuple(dict.fromkeys(credits))
