"""HTML text to the parsed tree trafilatura would make, within limits against pathological input.

`load_page` refuses what no article page is (empty, not HTML, tens of megabytes or tens of
thousands of elements once scripts and styles are out, an element with thousands of attributes)
with a NoArticleError that says why.
Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import re

import lxml.html
from lxml import etree
from trafilatura.utils import is_dubious_html, repair_faulty_html

# Limits against pathological input. The AEB news pages have at most ~1,700 elements and
# 1.5 MB of markup; trafilatura needs ~4 s for 25,000 paragraphs and grows faster than
# linearly, so a page far beyond any real article is refused instead of tying up a worker.
# Bulk is usually inline scripts and styles (libxml2 also truncates text nodes over 10 MB,
# losing the rest of the page): above _STRIP_ABOVE they are cut out before parsing, and
# the size limit (trafilatura's own MAX_FILE_SIZE) applies to what is left.
_STRIP_ABOVE = 2_000_000
_BULKY_OPEN = re.compile(r"<(script|style)\b[^>]{0,10000}>", re.IGNORECASE)
_BULKY_CLOSE = {tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE) for tag in ("script", "style")}
MAX_HTML_CHARS = 20_000_000
MAX_ELEMENTS = 30_000
# libxml2's parse is worse than quadratic in the attributes of one element (20,000 on one <p>
# take 1.5 CPU-s, 40,000 take 23, all in C where no watch can interrupt it); real pages carry
# fewer than 100 on any element. So the markup is scanned first, in linear time, and a page
# with an element over this many attributes is refused before lxml sees it.
MAX_ATTRIBUTES = 1_000

# One pass over the markup as the HTML tokenizer reads it (attributes counted, not characters, so
# a long data: URI is one attribute): text, tags with at most MAX_ATTRIBUTES attributes (a quoted
# value may hold '>' or '<'), script and style bodies skipped to the first '</' (the earliest point
# either end rule allows: the scan then reads the rest as markup, which can only count more), and
# a '<' that opens no tag. Every quantifier is possessive, so nothing is tried twice: the match
# stops at the first element with too many attributes, or runs to the end of the page.
_ATTRIBUTE = r"""[\s/]*+[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>]++)?)?"""
_TAG_ATTRIBUTES = rf"(?:{_ATTRIBUTE}){{0,{MAX_ATTRIBUTES}}}+(?!{_ATTRIBUTE})"
_MARKUP = re.compile(
    rf"""(?:[^<]++
        |<(?i:script|style)\b{_TAG_ATTRIBUTES}[\s/]*+>?(?:[^<]++|<(?!/))*+
        |<[A-Za-z][^\s/>]*+{_TAG_ATTRIBUTES}
        |<(?![A-Za-z])
    )*+""",
    re.VERBOSE,
)


def overcrowded_element_at(html: str) -> int | None:
    """Where the first element with over MAX_ATTRIBUTES attributes starts (a character offset), or
    None: one linear pass, before any parser sees the markup."""
    stop = _MARKUP.match(html).end()
    return stop if stop < len(html) else None


class NoArticleError(ValueError):
    """The page holds no article text (an index page, an error page, an empty shell).

    `found` holds what the page did show (title, published, language), so that a rejected
    page keeps it; the message ends with it.
    """

    def __init__(self, reason: str, found: dict[str, str] | None = None) -> None:
        self.reason = reason
        self.found = {key: value for key, value in (found or {}).items() if value}
        detail = ", ".join(f"{key} {value!r}" for key, value in self.found.items())
        super().__init__(f"{reason}; found {detail}" if detail else reason)


def load_page(html: str) -> lxml.html.HtmlElement:
    """The page's tree; NoArticleError when it is empty, not HTML or too large to process."""
    if not html.strip():
        raise NoArticleError("empty page")
    if len(html) > _STRIP_ABOVE:
        html = _strip_bulky(html)
    if len(html) > MAX_HTML_CHARS:
        raise NoArticleError(
            f"page too large: {len(html):,} characters without scripts and styles (limit {MAX_HTML_CHARS:,})"
        )
    if (stop := overcrowded_element_at(html)) is not None:
        raise NoArticleError(
            f"not processable: an element with over {MAX_ATTRIBUTES:,} attributes"
            f" at character {stop:,} ({html[stop : stop + 40]!r}...)"
        )
    tree = parse_html(html)
    if tree is None:
        raise NoArticleError("not parseable as HTML")
    size = int(tree.xpath("count(//*)"))
    if size > MAX_ELEMENTS:
        raise NoArticleError(f"page too large: {size:,} HTML elements (limit {MAX_ELEMENTS:,})")
    return tree


# trafilatura's parser settings with lxml's own class lookup: lxml.html's lookup is a Python
# call for every element object made (a third of a million per hundred pages, ~7% of the time),
# to give forms and inputs classes of their own that neither trafilatura nor this module uses.
_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """The page's tree as trafilatura's load_html makes it, or None when it is not HTML."""
    beginning = html[:50].lower()
    html = repair_faulty_html(html, beginning)
    tree = None
    with contextlib.suppress(ValueError, etree.ParserError):
        tree = lxml.html.fromstring(html, parser=_PARSER)
    if tree is None or len(tree) < 1:
        # a string with an XML encoding declaration, or one the parser read as empty: as bytes
        with contextlib.suppress(ValueError, etree.ParserError):
            tree = lxml.html.fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # neither declared nor shaped as an HTML document
    return tree


def _strip_bulky(html: str) -> str:
    """The page without its <script> and <style> elements, JSON-LD kept (dates and authors).

    Each element is found with two forward searches (no pattern spans the element's body),
    so tens of megabytes take linear time.
    """
    parts: list[str] = []
    pos = 0
    while opening := _BULKY_OPEN.search(html, pos):
        closing = _BULKY_CLOSE[opening.group(1).lower()].search(html, opening.end())
        if closing is None:
            break  # unclosed: the parser gets the rest as it is
        keep = "ld+json" in opening.group(0).lower()
        parts.append(html[pos : closing.end()] if keep else html[pos : opening.start()])
        pos = closing.end()
    parts.append(html[pos:])
    return "".join(parts)
