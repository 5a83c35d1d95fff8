"""HTML pages to Article records: trafilatura for the main text, page metadata around it.

The extraction settings were chosen by measurement on the Article Extraction Benchmark
(benchmarks/extraction_quality.py): trafilatura in precision mode, a balanced re-run when
precision mode keeps almost nothing, then two general clean-ups of the text (the headline
repeated as the first line, and one-line "read more" / "follow us" / newsletter prompts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urljoin

import lxml.html
from trafilatura import bare_extraction, load_html
from trafilatura.settings import Document

from transforms.dates import normalize_date
from transforms.language import detect_language
from transforms.page_credits import harvest_credits
from transforms.records import Article

# Limits against pathological input. The AEB news pages have at most ~1,700 elements and
# 1.5 MB of markup; trafilatura needs ~4 s for 25,000 paragraphs and grows faster than
# linearly, so a page far beyond any real article is refused instead of tying up a worker.
MAX_HTML_CHARS = 60_000_000
MAX_ELEMENTS = 30_000
# Fewer words than this is an error page, a teaser or a shell, not an article (the
# shortest AEB article has 18 words).
MIN_WORDS = 10

# Precision mode drops the whole article on some pages (a paywall notice is all it keeps);
# below this length the balanced mode is tried and kept when it finds clearly more text.
_SHORT_TEXT = 500
_RETRY_GAIN = 2.0

# One-line prompts that sit between or after article paragraphs. Each alternative must
# match from the start of a short line so that a sentence merely containing the words
# ("he said he would follow up on Twitter") is not touched.
_PROMPT = re.compile(
    r"""^[\W_]*(?:
        (?:read|see)\s+(?:more|also)\b
      | related(?:\s+(?:posts?|stor(?:y|ies)|articles?|coverage|content|reading|links?))?\s*:
      | (?:more|also)\s*:?\s*$
      | don'?t\s+miss\b
      | you\s+(?:may|might)\s+also\s+like
      | most\s+(?:read|popular)\b
      | recommended\b
      | also\s+on\s+\S+
      | like\s+this\s+(?:story|article)\b
      | share\s+(?:this|it)\b
      | (?:follow|like)\s+(?:us|him|her|them|[\w.@'’]+(?:\s+[\w.@'’]+){0,3})\s+on\s+
        (?:twitter|facebook|instagram)
      | (?:sign\s+up|subscribe)\b.*\b(?:newsletters?|inbox|e-?mails?)\b
      | tell\s+us\s+what\s+you\s+think
      | \d*\s*comments?\s*$
      | click\s+here\b
      | this\s+copy\s+is\s+for\s+your\s+personal
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_PROMPT_MAX_CHARS = 300
_WORDS = re.compile(r"\w+")

# Where pages state their publication instant, most specific first.
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "pubdate",
    "publish-date",
    "publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
)
_BLOCKS = frozenset({"p", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "td", "dd", "figcaption"})


class NoArticleError(ValueError):
    """The page holds no article text (an index page, an error page, an empty shell)."""


def extract_html(html: str, url: str | None = None) -> Article:
    """Main text, metadata and every credit-like string of one HTML page.

    Raises NoArticleError when the page is not HTML, too large to process, or has no
    article text.
    """
    if len(html) > MAX_HTML_CHARS:
        raise NoArticleError(f"page too large: {len(html):,} characters (limit {MAX_HTML_CHARS:,})")
    tree = load_html(html)
    if tree is None:
        raise NoArticleError("not parseable as HTML")
    size = sum(1 for _ in tree.iter())
    if size > MAX_ELEMENTS:
        raise NoArticleError(f"page too large: {size:,} HTML elements (limit {MAX_ELEMENTS:,})")

    doc = _extract(tree, url)
    if doc is None:
        raise NoArticleError("no main text found in the page")
    text = clean_text(doc.text or "", doc.title)
    words = len(text.split())
    if words < MIN_WORDS:
        raise NoArticleError(f"no article: main text has {words} words (minimum {MIN_WORDS})")

    page_url = doc.url or url
    return Article(
        text=text,
        title=doc.title or None,
        byline=doc.author or None,
        published=_published(tree, doc.date),
        language=detect_language(text, _declared_language(tree)),
        url=page_url,
        site_name=doc.sitename or None,
        credits=harvest_credits(tree),
        links=_text_links(tree, text, page_url),
    )


def _extract(tree: lxml.html.HtmlElement, url: str | None) -> Document | None:
    options = {"url": url, "include_comments": False, "with_metadata": True}
    # Precision mode scores best (it drops teasers and link lists trafilatura's default
    # keeps); bare_extraction copies the tree, so ours stays intact for the re-run.
    doc = bare_extraction(tree, favor_precision=True, **options)
    kept = len(doc.text or "") if doc is not None else 0
    if kept < _SHORT_TEXT:
        balanced = bare_extraction(tree, **options)
        if balanced is not None and len(balanced.text or "") > _RETRY_GAIN * kept:
            return balanced
    return doc


def clean_text(text: str, title: str | None = None) -> str:
    """The extracted text without a repeated headline and one-line reader prompts."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    # The headline belongs in Article.title; repeated as the first line it would be
    # counted as body text (and matched twice by the taggers).
    if lines and title and len(lines) > 1 and _same_heading(lines[0], title):
        lines = lines[1:]
    kept = [line for line in lines if not (len(line) <= _PROMPT_MAX_CHARS and _PROMPT.match(line))]
    return "\n".join(kept)


def _same_heading(line: str, title: str) -> bool:
    first, head = _norm(line), _norm(title)
    # Titles often carry the site's name ("Headline | Site"): a long line contained in
    # the title counts as the headline too.
    return bool(first) and (first == head or (len(first) > 15 and first in head))


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def _published(tree: lxml.html.HtmlElement, found: str | None) -> str | None:
    # htmldate (trafilatura's date) often returns the day only; the page's own
    # published-time fields usually carry the instant with its offset.
    day = normalize_date(found) if found else None
    first_day = None
    for candidate in _date_candidates(tree):
        value = normalize_date(candidate)
        if value is None:
            continue
        if "T" in value:
            return value
        first_day = first_day or value
    return day or first_day


def _date_candidates(tree: lxml.html.HtmlElement) -> Iterator[str]:
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        yield from _jsonld_dates(data)
    metas: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key in _DATE_META and content and key not in metas:
            metas[key] = content
    for key in _DATE_META:
        if key in metas:
            yield metas[key]
    for node in tree.xpath('//*[@itemprop="datePublished"][@datetime or @content]'):
        yield node.get("datetime") or node.get("content")


def _jsonld_dates(node: object) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _jsonld_dates(item)
    elif isinstance(node, dict):
        value = node.get("datePublished")
        if isinstance(value, str) and value.strip():
            yield value.strip()
        if "@graph" in node:
            yield from _jsonld_dates(node["@graph"])


def _declared_language(tree: lxml.html.HtmlElement) -> str | None:
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if declared and declared.strip():
        return declared
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("http-equiv") or meta.get("name") or "").lower()
        if key in ("og:locale", "content-language", "language") and meta.get("content", "").strip():
            return meta.get("content")
    return None


def _text_links(tree: lxml.html.HtmlElement, text: str, base: str | None) -> tuple[str, ...]:
    """Targets of the links whose paragraph made it into the main text, in page order."""
    body = " ".join(text.split())
    links: dict[str, None] = {}
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        block = anchor
        while block is not None and block.tag not in _BLOCKS:
            block = block.getparent()
        if block is None:
            continue
        words = " ".join(block.text_content().split())
        # A short block (a bare "Home" item) could match by chance anywhere in the text.
        if len(words) >= 20 and words in body:
            links[urljoin(base, href) if base else href] = None
    return tuple(links)
