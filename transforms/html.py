"""HTML pages to Article records: the article's main text, checked against the page, with its metadata.

The main text is trafilatura's, in precision mode without its fallback comparison; its slower
runs only for a page the first one leaves short (under 500 characters, under half of the
paragraphs of the same <article>, or under most of a JSON-LD articleBody the page shows); the
rest of a body split into same-class sibling containers (not teasers made of links) and the body's
own paragraphs that precision mode dropped for their links; then the repeated headline, one-line
"read more" / "follow us" / newsletter prompts (data/boilerplate.yaml) and the lines of links laid
out as teaser cards are dropped.
Parsing and its limits are transforms/page.py's; title, authors, date and declared language
transforms/metadata.py's. Measured by benchmarks/extraction_quality.py on the AEB and on
Fundus's 181 publishers (developed on A–M, N–Z held out).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from htmldate.extractors import get_external_parser, month_words
from justext.core import define_stoplist
from trafilatura import bare_extraction
from trafilatura import external as trafilatura_external
from trafilatura.settings import Document

from transforms.language import detect_language
from transforms.metadata import byline, read_metadata
from transforms.page import NoArticleError, load_page
from transforms.page_credits import harvest_credits
from transforms.records import Article
from transforms.registry import DATA_DIR, read_data_file
from transforms.structured import StructuredData
from transforms.textunits import count_words

__all__ = ["NoArticleError", "clean_text", "extract_html", "warm_up"]


@dataclass(frozen=True)
class _Boilerplate:
    error_page: re.Pattern[str]
    prompt: re.Pattern[str]
    chrome: re.Pattern[str]


def _read_boilerplate() -> _Boilerplate:
    """The HTML patterns of data/boilerplate.yaml, each list joined into one expression."""
    data = read_data_file(DATA_DIR / "boilerplate.yaml")
    error_page = [pattern for words in data["html_error_page"].values() for pattern in words]
    prompts = "|".join(f"(?:{pattern})" for pattern in data["html_prompt"])
    return _Boilerplate(
        error_page=re.compile("|".join(error_page), re.IGNORECASE),
        # Leading punctuation, an optional short question to the reader ("Enjoyed this? Share
        # it"), then the prompt; possessive so that a long run of spaces is one pass.
        prompt=re.compile(rf"^[\W_]*+(?:[^\W\d_][^?!.]{{0,60}}\?\s++)?(?:{prompts})", re.IGNORECASE),
        chrome=re.compile("|".join(map(re.escape, data["html_chrome_class"])), re.IGNORECASE),
    )


_boilerplate = _read_boilerplate()

# Fewer words than this is an error page, a teaser or a shell, not an article (the
# shortest AEB article has 18 words). Words as textunits.count_words counts them, so that
# Chinese, Japanese or Thai text is not one "word" per paragraph.
MIN_WORDS = 10

# An index or section page yields a list of headlines, each the text of a link; articles on
# the AEB have at most 18% of their text in lines that are whole link texts.
MAX_LINK_SHARE = 0.5
_LINK_TITLE_MIN = 15
# A short text titled or opening like an HTTP error is the error page, not an article.
_ERROR_PAGE_WORDS = 60
_ERROR_PAGE = _boilerplate.error_page

# Below this length the first extraction is suspect: trafilatura's full run, with its
# readability/justext comparison, is tried, then balanced mode (precision mode can drop the whole
# article: on one AEB page it keeps only a reprint notice), each kept when it finds more text.
_SHORT_TEXT = 500
_RETRY_GAIN = 2.0
# A longer first extraction is still suspect when it holds less than this share of what the page
# visibly holds: its paragraphs' text, or a JSON-LD articleBody shown on the page (precision mode
# sometimes stops after the lead of a long article).
_SHORT_SHARE = 0.5
_DECLARED_SHARE, _DECLARED_OVER = 0.9, 1.2
# A JSON-LD articleBody replaces the extracted text when the page shows it (3 of 5 probes of
# 40 characters found in its paragraphs), it is a quarter longer, and it holds 80% of the text.
_PROBES, _PROBES_SHOWN, _PROBE_CHARS = 5, 3, 40
_BODY_GAIN = 1.25
_BODY_HOLDS_TEXT = 0.8

# One-line prompts that sit between or after article paragraphs (data/boilerplate.yaml). Each
# alternative must match from the start of a short line so that a sentence merely containing the
# words ("he said he would follow up on Twitter") is not touched.
_PROMPT = _boilerplate.prompt
_PROMPT_MAX_CHARS = 300
_WORDS = re.compile(r"\w+")

# Split-body recovery: paragraphs shorter than this are too common ("Advertisement")
# to prove a container holds article text; _CHROME marks containers that never do.
_CHUNK_MIN_CHARS = 40
_CHROME = _boilerplate.chrome
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = frozenset({"p", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "td", "dd", "figcaption"})


def extract_html(html: str, url: str | None = None) -> Article:
    """Main text, metadata and every credit-like string of one HTML page.

    Raises NoArticleError when the page is not HTML, too large to process, or has no
    article text.
    """
    tree = load_page(html)
    meta = read_metadata(tree, url)
    title, published, declared = meta.title, meta.published, meta.declared_language

    def rejected(reason: str, text: str = "") -> NoArticleError:
        language = detect_language(text or f"{title or ''}", declared)
        return NoArticleError(reason, {"title": title, "published": published, "language": language})

    words_of = {para: _words(para) for para in tree.iter("p")}  # paragraph texts, for every walk
    body = meta.structured.article_body
    shown = len(body) if body and _shown(body, words_of) else 0
    doc = _extract(tree, meta.url, lambda text: _beside(text, words_of), shown)
    if doc is None:
        raise rejected("no main text found in the page")
    text = doc.text or ""
    text = _declared_body(text, meta.structured, words_of) or _add_split_chunks(tree, text, words_of)
    text = clean_text(text, title, _link_cards(tree, text, meta.url))
    words = count_words(text)
    if words < MIN_WORDS:
        raise rejected(f"no article: main text has {words} words (minimum {MIN_WORDS})", text)
    first_line = text.partition("\n")[0]
    if words < _ERROR_PAGE_WORDS and _ERROR_PAGE.search(f"{title or ''}\n{first_line}"):
        raise rejected(f"error page: {(title or text[:80]).strip()!r}", text)
    share = _link_share(tree, text)
    if share > MAX_LINK_SHARE:
        raise rejected(f"index page: {share:.0%} of the main text is link titles", text)

    credits = harvest_credits(tree, meta.structured)
    return Article(
        text=text,
        title=title,
        byline=byline(meta, credits, text),
        published=published,
        language=detect_language(text, declared),
        url=meta.url,
        site_name=meta.site_name,
        credits=credits,
        links=_text_links(tree, text, meta.url, words_of),
    )


def warm_up() -> None:
    """Build the tables the libraries otherwise build on the first page that needs them.

    Workers are forked from a process that ran this (flows/workers.py), so each table is built once a
    run instead of once per worker: dateparser's patterns (htmldate's search of a page's text for its
    date: ~0.15 s, one page in six needs them), its month names in every locale (htmldate's date cue,
    ~0.3 s), and justext's stop lists of every language (~0.2 s; trafilatura's full extraction falls
    back to justext on about one short page in fifty, so most runs of a hundred pages meet one).
    """
    get_external_parser().get_date_data("Tuesday, 5 May 2017")
    month_words()
    define_stoplist(trafilatura_external.JT_STOPLIST or trafilatura_external.jt_stoplist_init())


def _beside(text: str, words_of: dict[lxml.html.HtmlElement, str]) -> int:
    """Characters of the paragraphs beside the kept ones (same parent element): the same body."""
    body = " ".join(text.split())
    long = [(para, words) for para, words in words_of.items() if len(words) >= _CHUNK_MIN_CHARS]
    parents = {_container(para) for para, words in long if words in body}
    return sum(len(words) for para, words in long if _container(para) in parents)


def _container(para: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The <article> or <main> holding a paragraph, else its parent element."""
    found = next(para.iterancestors("article", "main"), None)
    return found if found is not None else para.getparent()


def _shown(body: str, words_of: dict[lxml.html.HtmlElement, str]) -> bool:
    """Whether the page's paragraphs show most of a JSON-LD body (not only a paywall's teaser).

    Five probes along the body (start, quarters, end) are looked up in the paragraphs' text.
    """
    text = " ".join(body.split())
    if len(text) < 2 * _PROBE_CHARS:
        return False
    shown = "\n".join(words_of.values())
    starts = [round(i * (len(text) - _PROBE_CHARS) / (_PROBES - 1)) for i in range(_PROBES)]
    found = sum(1 for start in starts if text[start : start + _PROBE_CHARS] in shown)
    return found >= _PROBES_SHOWN


def _declared_body(
    text: str, structured: StructuredData, words_of: dict[lxml.html.HtmlElement, str]
) -> str | None:
    """The JSON-LD articleBody when it is a longer, shown version of what the extraction kept."""
    body = structured.article_body
    if not body or len(body) < _BODY_GAIN * len(text) or not _shown(body, words_of):
        return None
    flat = " ".join(body.split())
    lines = [" ".join(line.split()) for line in text.splitlines()]
    inside = sum(len(line) for line in lines if line in flat)
    if inside < _BODY_HOLDS_TEXT * sum(len(line) for line in lines):
        return None  # the extraction found other text: the body is not simply a longer copy
    return body


def _extract(
    tree: lxml.html.HtmlElement, url: str | None, beside: Callable[[str], int] = len, declared: int = 0
) -> Document | None:
    """trafilatura's text, with its slower runs for a page the first one leaves short.

    Short: under 500 characters, under half of the paragraphs beside the kept ones, or under
    90% of a JSON-LD articleBody the page shows (`declared`, its length). A longer balanced-mode
    text is taken when it doubles the text, or, with a declared body, when it stays within 20%
    above that body's length.
    """
    options = {"include_comments": False}
    # Precision mode scores best (it drops teasers and link lists trafilatura's default keeps).
    # Its fallback comparison (readability, justext) costs a fifth of the page's time and, on
    # the AEB, helps only pages where the first extraction is short: it runs for those alone
    # (F1 0.9785 at 24 ms a page; 0.9763 at 30 ms with the comparison on every page).
    # bare_extraction copies the tree, so ours stays intact for the re-runs.
    doc = bare_extraction(tree, favor_precision=True, fast=True, **options)
    kept = len(doc.text or "") if doc is not None else 0
    short = (
        _SHORT_TEXT
        if kept < _SHORT_TEXT
        else max(_DECLARED_SHARE * declared, _SHORT_SHARE * beside(doc.text or "") if kept else 0)
    )
    if kept < short:
        full = bare_extraction(tree, favor_precision=True, **options)
        if full is not None and len(full.text or "") > kept:
            doc, kept = full, len(full.text or "")
    if kept < short:
        balanced = bare_extraction(tree, **options)
        found = len(balanced.text or "") if balanced is not None else 0
        if found > _RETRY_GAIN * kept or kept < found <= _DECLARED_OVER * declared:
            return balanced
    return doc


def _add_split_chunks(
    tree: lxml.html.HtmlElement, text: str, words_of: dict[lxml.html.HtmlElement, str]
) -> str:
    """The paragraphs of body containers cloned from the one trafilatura chose, in page order.

    Some CMSs cut the article body into several sibling containers of the same class (ads or
    embeds between them); trafilatura keeps the first and loses the rest of the article.
    Only containers with exactly the same tag and class under the same grandparent count, and
    none inside another <article> or in page chrome (comments, related links, footer); a paragraph
    that is mostly link text (a related story's headline in a twin container) is not taken. Then
    the body's own paragraphs that precision mode dropped for their links (_add_linked_sentences).
    """
    body = " ".join(text.split())
    paras: list[tuple[lxml.html.HtmlElement, str, bool]] = []
    owners: dict[lxml.html.HtmlElement, None] = {}
    for para in tree.iter("p"):
        words = words_of[para]
        if len(words) < _CHUNK_MIN_CHARS:
            continue
        kept = words in body
        paras.append((para, words, kept))
        parent = para.getparent()
        if kept and parent is not None and parent.get("class"):
            owners[parent] = None
    twins: set[lxml.html.HtmlElement] = set()
    for owner in owners:
        parent = owner.getparent()
        scope = parent.getparent() if parent is not None else None
        if scope is None:
            continue
        article = next(owner.iterancestors("article"), None)
        for twin in scope.iter(owner.tag):
            if (
                twin not in owners
                and twin.get("class") == owner.get("class")
                and next(twin.iterancestors("article"), None) is article
                and not _in_chrome(twin)
            ):
                twins.add(twin)
    if not twins:
        return _add_linked_sentences(text, paras)
    # Each recovered paragraph goes after the last paragraph before it that is in the text.
    extra: dict[str | None, list[str]] = {}
    anchor = None
    for para, words, kept in paras:
        if kept:
            anchor = words
        elif any(node in twins for node in para.iterancestors()) and not _mostly_links(para, words):
            extra.setdefault(anchor, []).append(words)
    return _add_linked_sentences(_insert_after(text, extra), paras)


def _mostly_links(para: lxml.html.HtmlElement, words: str) -> bool:
    """A paragraph that is mostly link text is a teaser of another story, not article text."""
    linked = sum(len(" ".join(anchor.text_content().split())) for anchor in para.iter("a"))
    return linked > MAX_LINK_SHARE * len(words)


def _add_linked_sentences(text: str, paras: list[tuple[lxml.html.HtmlElement, str, bool]]) -> str:
    """Paragraphs of the body's own kind that precision mode dropped, mostly for their link text.

    When every kept paragraph has one class (a CMS's body paragraph), a paragraph of that class
    between the first and the last kept one, in the same <article>/<main>, with at least two words
    outside its links ("It also <a>co-ordinates military plans ...</a>."; a teaser is all link),
    is article text.
    """
    kept = [at for at, (_, _, is_kept) in enumerate(paras) if is_kept]
    classes = {paras[at][0].get("class") for at in kept}
    if len(kept) < 2 or len(classes) != 1 or None in classes:
        return text
    (cls,) = classes
    article = next(paras[kept[0]][0].iterancestors("article", "main"), None)
    shown = _INVISIBLE.sub("", " ".join(text.split()))  # trafilatura's text has no soft hyphens
    extra: dict[str | None, list[str]] = {}
    anchor = None
    for para, words, is_kept in paras[kept[0] : kept[-1]]:
        if is_kept:
            anchor = words
        elif (
            para.get("class") == cls
            and next(para.iterancestors("article", "main"), None) is article
            and _own_words(para, words) >= _SENTENCE_OWN_WORDS
            and _INVISIBLE.sub("", words) not in shown
        ):
            extra.setdefault(anchor, []).append(words)
    return _insert_after(text, extra)


_SENTENCE_OWN_WORDS = 2
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def _own_words(para: lxml.html.HtmlElement, words: str) -> int:
    """Words of a paragraph outside its links."""
    own = words
    for text in sorted((" ".join(a.text_content().split()) for a in para.iter("a")), key=len, reverse=True):
        own = own.replace(text, " ", 1)
    return len(_WORDS.findall(own))


def _insert_after(text: str, extra: dict[str | None, list[str]]) -> str:
    """The text with each list of lines inserted after the line holding its anchor paragraph."""
    if not extra:
        return text
    lines = text.splitlines()
    for anchor_words, added in reversed(extra.items()):
        at = _line_of(lines, anchor_words)
        lines[at + 1 : at + 1] = added
    return "\n".join(lines)


def _in_chrome(element: lxml.html.HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in ("aside", "nav", "footer", "form"):
            return True
        if _CHROME.search(" ".join(filter(None, (node.get("class"), node.get("id"))))):
            return True
    return False


def _line_of(lines: list[str], words: str | None) -> int:
    """Index of the text line holding a paragraph: -1 before the first, the last if not found."""
    if words is None:
        return -1
    for i, line in enumerate(lines):
        if words in " ".join(line.split()):
            return i
    return len(lines) - 1


def clean_text(text: str, title: str | None = None, cards: Collection[str] = ()) -> str:
    """The extracted text without a repeated headline, one-line reader prompts and link cards.

    `cards`: texts of links laid out as cards (_link_cards); a line that is one of them goes.
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    # The headline belongs in Article.title; repeated as the first line it would be
    # counted as body text (and matched twice by the taggers).
    if lines and title and len(lines) > 1 and _same_heading(lines[0], title):
        lines = lines[1:]
    kept = [line for line in lines if not (len(line) <= _PROMPT_MAX_CHARS and _PROMPT.match(line))]
    if cards:
        kept = [line for line in kept if _card_line(line) not in cards]
    return "\n".join(kept)


def _link_cards(tree: lxml.html.HtmlElement, text: str, url: str | None) -> frozenset[str]:
    """Texts of the links laid out as teaser cards that make whole lines of the text.

    Two layouts, on any site: a link to another page wrapped around a heading
    (<a href><h3>headline</h3><img></a>; the article's own headings are not links), and a link
    standing between two of the body's paragraphs whose text is laid out in elements of its own
    (a label and a headline) and which leads to another page of the same site: a box pointing
    to another story. A pull quote linking to a share service leads elsewhere; a link inside a
    paragraph or a bare link is not a card.
    """
    lines = {_card_line(line) for line in text.splitlines()}
    site = urlsplit(url).hostname if url else None
    cards: set[str] = set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not len(anchor) or not href or href.startswith(("#", "javascript:")):
            continue  # no elements of its own, or no other page
        if (words := _words(anchor)) not in lines:
            continue
        if next(anchor.iter(*_HEADINGS), None) is not None or (
            _between_paragraphs(anchor) and urlsplit(urljoin(url or "", href)).hostname == site
        ):
            cards.add(words)
    return frozenset(cards)


def _card_line(line: str) -> str:
    """A line of text as a card's link text is compared with it: spaces folded, no list dash."""
    return " ".join(line.split()).lstrip("- ")


def _between_paragraphs(element: lxml.html.HtmlElement) -> bool:
    before, after = element.getprevious(), element.getnext()
    return before is not None and after is not None and before.tag == after.tag == "p"


def _same_heading(line: str, title: str) -> bool:
    first, head = _norm(line), _norm(title)
    # Titles often carry the site's name ("Headline | Site"): a long line contained in
    # the title counts as the headline too.
    return bool(first) and (first == head or (len(first) > 15 and first in head))


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def _link_share(tree: lxml.html.HtmlElement, text: str) -> float:
    """Share of the text's characters in lines that are, whole, the text of a link on the page."""
    titles = {_words(anchor) for anchor in tree.iter("a")}
    lines = [" ".join(line.split()) for line in text.splitlines()]
    total = sum(len(line) for line in lines)
    linked = sum(len(line) for line in lines if len(line) >= _LINK_TITLE_MIN and line.lstrip("- ") in titles)
    return linked / total if total else 0.0


def _words(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _text_links(
    tree: lxml.html.HtmlElement, text: str, base: str | None, words_of: dict[lxml.html.HtmlElement, str]
) -> tuple[str, ...]:
    """Targets of the links whose paragraph made it into the main text, in page order."""
    body = " ".join(text.split())
    links: dict[str, None] = {}
    in_text: dict[lxml.html.HtmlElement, bool] = {}  # a paragraph with many links is read once
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        block = next((a for a in anchor.iterancestors(*_BLOCKS)), None)
        if block is None:
            continue
        if block not in in_text:
            words = words_of.get(block) or _words(block)
            # A short block (a bare "Home" item) could match by chance anywhere in the text.
            in_text[block] = len(words) >= 20 and words in body
        if in_text[block]:
            links[urljoin(base, href) if base else href] = None
    return tuple(links)
