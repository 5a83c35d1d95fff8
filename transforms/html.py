"""HTML pages to Article records: trafilatura for the main text and metadata."""

from __future__ import annotations

import lxml.html
from trafilatura import bare_extraction

from transforms.dates import normalize_date
from transforms.page_credits import harvest_credits
from transforms.records import Article


class NoArticleError(ValueError):
    """The page holds no article text (an index page, an error page, an empty shell)."""


def extract_html(html: str, url: str | None = None) -> Article:
    """Main text, metadata and every credit-like string of one HTML page."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise NoArticleError(f"not parseable as HTML: {exc}") from exc
    doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    text = (doc.text or "").strip() if doc is not None else ""
    if not text:
        raise NoArticleError("no main text found in the page")
    return Article(
        text=text,
        title=doc.title or None,
        byline=doc.author or None,
        published=normalize_date(doc.date) if doc.date else None,
        language=doc.language or (tree.get("lang") or "").split("-")[0].lower() or None,
        url=doc.url or url,
        site_name=doc.sitename or None,
        credits=harvest_credits(tree),
    )
