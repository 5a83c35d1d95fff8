"""Credit-like strings from the whole HTML page, not only its main text.

Bylines, author meta tags, JSON-LD authors, photo captions, copyright lines and "(dpa)"
signatures often sit outside the text that trafilatura extracts, yet they are often the only
sign of agency copy. Each string is labelled with `where` it was found, and material from the
site's footer or from other articles (sidebars, teasers, related links) is labelled
'site_footer' / 'related' so that the tagger does not take it for the article's own credit.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import lxml.etree
import lxml.html

from transforms.credit_cues import alternation, cue_data, word_alternation
from transforms.records import Credit
from transforms.registry import DATA_DIR, read_data_file
from transforms.structured import StructuredData, read_structured

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
# Meta names no list can hold all of ("articleAuthor", "news:author", "dc.creator.name").
_AUTHOR_KEY = re.compile(r"author|creator|byline")
_URL_KEY = re.compile(r"url|link|href|id$|image|photo|twitter")
_DESCRIPTION_META = frozenset({"description", "og:description", "twitter:description"})

# The layout words of class / id / itemprop values (data/page_hints.yaml), and the cue words of every
# language (data/cues/*.yaml) that open a credit line.
PAGE_HINTS_FILE = DATA_DIR / "page_hints.yaml"
_HINTS: dict[str, list[str]] = read_data_file(PAGE_HINTS_FILE)
_CUES = cue_data()
_CAPTION_HINT = re.compile(alternation(_HINTS["caption"]), re.I)
_BYLINE_HINT = re.compile(alternation(_HINTS["byline"]), re.I)
_CREDIT_PART = re.compile(alternation(_HINTS["caption_credit_part"]), re.I)
_PUBLICATION_PART = re.compile(alternation(_HINTS["publication_part"]), re.I)
_COPYRIGHT_HINT = re.compile(alternation(_HINTS["copyright"]), re.I)
_ANY_HINT = re.compile(alternation([*_HINTS["caption"], *_HINTS["byline"]]), re.I)
_CREDIT_TAGS = frozenset({"figcaption", "figure", "address", "byline", "author", "dateline"})
_LINE_TAGS = frozenset({"p", "div", "span", "small", "em", "strong", "li", "h5", "h6", "td"})
# Containers of material that is not the article: the site's chrome and other articles. Common
# English and German words of web page layout; pages that use none of them are caught by their
# structure instead (_teaser_blocks).
_FOOTER_HINT = re.compile(rf"(?:^|[\s_-]){alternation(_HINTS['footer'])}", re.I)
# A word of the class list, not the tail of another ("withSidebar", "detailBodyContainer withSidebar"
# says the article's own container has a sidebar next to it).
_RELATED_HINT = re.compile(rf"(?<![a-zA-Z]){alternation(_HINTS['related'])}", re.I)
# A block of teasers: at least this many links with headline-long texts, making up most of its text.
_TEASER_LINKS = 3
_HEADLINE_CHARS = 20
_HEADLINE_WORDS = 4
_TEASER_LINK_SHARE = 0.6
_PROSE_CHARS = 200
# An article's body: a run of this many sibling paragraphs, each with this much text outside links.
# Teaser summaries sit one to a card, so a list of teasers never holds such a run however short
# the article's paragraphs are, and a block that holds one is the article, whatever its class says.
_BODY_RUN = 4
_BODY_PARAGRAPH_CHARS = 40
# A picture's block holds a picture and at most this much text (a zoom button's label, an overlay);
# the line after it, at most this long, is where its credit goes.
_PICTURE_TAGS = frozenset({"img", "picture", "video"})
_PICTURE_BLOCK_CHARS = 150
_PICTURE_CREDIT_CHARS = 160
_ICON_PIXELS = 120
_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "title", "option", "select"}
)

# Text shapes that are credits wherever they are: a dateline opening a paragraph, a copyright
# line, a "Quelle:" line, a signature alone on a line. They need no registry: the tagger decides
# whether the name in them is a source.
_DATELINE_START = re.compile(r"^[A-ZÀ-ÞĀ-Ž][^()\n]{0,70}\(\s*[\w/ .-]{2,25}\)\s*(?:[-–—:.]|\.-)")
# The photo words and the word "source" of every language's cues open a credit line with a colon.
_PHOTO_WORDS = [*_CUES.get("photo_before", []), *_CUES.get("photo_credit_words", [])]
_CREDIT_LINE = re.compile(
    rf"^(?:{alternation([*_PHOTO_WORDS, *_CUES.get('source_words', [])])}\s*[:：]"
    r"|\([\w/ .]{2,25}\)\s*$)|©|\(c\)|\bcopyright\b",
    re.I,
)

# A credit line that is a picture's by its words when it follows one: "Foto: KCNA/Reuters"; not a
# "Quelle: dpa", "(dpa)" or "© dpa" line, which may close the article's text under its last picture.
_PICTURE_LINE = re.compile(rf"^\s*{word_alternation(_PHOTO_WORDS)}", re.I)

_MAX_CREDIT = 300
_MAX_CAPTION = 600


def structured_credits(data: StructuredData) -> list[Credit]:
    """Credits in the page's structured data (read by transforms/structured.py, the one reader):
    the article's authors ('jsonld'), its source organisation ('jsonld_source'), its publisher
    ('jsonld_publisher'), copyright holder, credit text and provider ('jsonld_credit'), the site's
    name ('site_name': og:site_name, or the WebSite's name) and its pictures' credits
    ('jsonld_image'). Item lists are not read: they hold other articles."""
    found = [Credit(party.name, "jsonld") for party in data.authors]
    if data.source_organization:
        found.append(Credit(data.source_organization, "jsonld_source"))
    if data.publisher:
        found.append(Credit(data.publisher, "jsonld_publisher"))
    # The article's copyright holder or provider: like the publisher, a credit when an agency.
    found.extend(Credit(words, "jsonld_credit") for _field, words in data.article_credits)
    if data.site_name and data.site_name != data.publisher:
        found.append(Credit(data.site_name, "site_name"))
    found.extend(Credit(words, "jsonld_image") for _field, words in data.image_credits)
    return found


def _attrs(el: lxml.html.HtmlElement) -> str:
    return " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop"), el.get("rel"))))


def _icon(el: lxml.html.HtmlElement) -> bool:
    """A picture drawn small (an author's portrait, a logo): not a picture with a credit."""
    for name in ("width", "height"):
        value = (el.get(name) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < _ICON_PIXELS:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the page's structure says about its blocks, from one pass from the leaves up."""

    teasers: set[lxml.html.HtmlElement]  # lists of other articles
    linked: set[lxml.html.HtmlElement]  # elements holding a link
    picture_slots: set[lxml.html.HtmlElement]  # short lines right after a picture: its credit's place
    cards: set[lxml.html.HtmlElement]  # teaser cards: blocks made up mostly of one headline-like link
    bodies: set[lxml.html.HtmlElement]  # blocks holding a run of paragraphs or half the page's words
    text: lxml.html.HtmlElement | None = None  # the first element whose own children are a run of paragraphs
    images: tuple[
        lxml.html.HtmlElement, ...
    ] = ()  # the pictures not drawn small, <img> elements, in page order
    # every node of the page in page order: walked again by harvest_credits, whose loop then reuses
    # these element objects instead of having lxml make one for each node a second time
    nodes: tuple[lxml.html.HtmlElement, ...] = ()


def _page_shape(tree: lxml.html.HtmlElement) -> _Shape:
    """Teaser lists are elements with several links with headline-long texts that make up most of
    the element's text, and no paragraph of prose below ("Lesen Sie auch", "Related", "Czytaj
    więcej" blocks, whatever their class names). A picture's credit line is the short element that
    follows a block holding a picture and little text, marked or not ("<picture>…</picture>
    <small>dpa</small>")."""
    # One walk from the leaves up, each element's children read once: its figures are made of theirs.
    chars: dict[lxml.html.HtmlElement, int] = {}
    # Per element: (characters inside links, headline-long links, the longest run of text outside
    # links below, the longest headline-like link below).
    below: dict[lxml.html.HtmlElement, tuple[int, int, int, int]] = {}
    nothing = (0, 0, 0, 0)
    pictured: set[lxml.html.HtmlElement] = set()  # elements holding a picture
    blocks: set[lxml.html.HtmlElement] = set()
    linked: set[lxml.html.HtmlElement] = set()
    media: list[lxml.html.HtmlElement] = []
    cards: set[lxml.html.HtmlElement] = set()
    bodies: set[lxml.html.HtmlElement] = set()
    text = None
    images: list[lxml.html.HtmlElement] = []
    nodes = tuple(tree.iter())
    for el in reversed(nodes):
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_TAGS:
            chars[el] = 0
            below[el] = nothing
            continue
        own = len((el.text or "").strip())
        kids_chars = kids_links = kids_headlines = kids_prose = kids_longest = 0
        has_picture = has_link = has_body = False
        run = best_run = 0  # the longest run of sibling paragraphs with text outside links
        for ch in el:
            tail = ch.tail
            if tail:
                own += len(tail.strip())
            n_ch = chars[ch]
            links_ch, headlines_ch, prose_ch, longest_ch = below[ch]
            kids_chars += n_ch
            kids_links += links_ch
            kids_headlines += headlines_ch
            if prose_ch > kids_prose:
                kids_prose = prose_ch
            if longest_ch > kids_longest:
                kids_longest = longest_ch
            if ch in pictured:
                has_picture = True
            if ch in linked:
                has_link = True
            if ch in bodies:
                has_body = True
            ch_tag = ch.tag
            if not isinstance(ch_tag, str):
                continue  # a comment between paragraphs does not end the run
            if ch_tag == "p" and n_ch - links_ch >= _BODY_PARAGRAPH_CHARS:
                run += 1
                if run > best_run:
                    best_run = run
            else:
                run = 0
        n = own + kids_chars
        chars[el] = n
        if (tag in _PICTURE_TAGS and not _icon(el)) or has_picture:
            if tag == "img":
                images.append(el)
            pictured.add(el)
            if n <= _PICTURE_BLOCK_CHARS:
                media.append(el)
        if tag == "a":
            longest = 0
            if el.get("href"):
                linked.add(el)
                # Headline-like: long, of several words (not an author's or an agency's name).
                if n >= _HEADLINE_CHARS and len(el.text_content().split()) >= _HEADLINE_WORDS:
                    longest = n
            below[el] = (n, 1 if n >= _HEADLINE_CHARS else 0, 0, longest)
            continue
        if has_link:
            linked.add(el)
        if best_run >= _BODY_RUN:
            text = el  # walking backwards: the last one met is the page's first
        if has_body or best_run >= _BODY_RUN:
            bodies.add(el)
        prose = own if own > kids_prose else kids_prose
        below[el] = (kids_links, kids_headlines, prose, kids_longest)
        if kids_longest and n <= _MAX_CREDIT and kids_longest >= _TEASER_LINK_SHARE * n:
            cards.add(el)
        if (
            kids_headlines >= _TEASER_LINKS
            and kids_links >= _TEASER_LINK_SHARE * n
            and prose < _PROSE_CHARS  # a paragraph of the article is below: not a teaser list
            and el not in bodies  # nor a run of the article's short paragraphs
        ):
            blocks.add(el)
    slots = set()
    for block in media:
        after = block.getnext()
        while after is not None and (not isinstance(after.tag, str) or chars.get(after, 0) == 0):
            after = after.getnext()  # a zoom button, a comment
        if (
            after is not None
            and after.tag in _LINE_TAGS
            and 0 < chars[after] <= _PICTURE_CREDIT_CHARS
            and after not in linked
            and after not in pictured
            and not _inside(after, ("a",))  # a link's label, not a credit
        ):
            slots.add(after)
        # Or a short line inside the picture's own block, over or beside it ("<div><img><span>dpa</span>
        # </div>"), outside any link (a teaser's picture and headline are one link).
        for line in block.iterdescendants(*_LINE_TAGS):
            if (
                0 < chars.get(line, 0) <= _PICTURE_CREDIT_CHARS
                and line not in linked
                and line not in pictured
                and not _inside(line, ("a",))
            ):
                slots.add(line)
    # A block holding half the page's words is the article's column, whatever its class says (a
    # "l-sidebar-fixed" layout around an article of lists and tables, which holds no run of paragraphs).
    # Added after the teaser lists are found: a teaser list may well hold half of a thin page.
    root = tree.getroottree().getroot()
    half = chars.get(root, 0) / 2
    bodies.update(el for el, n in chars.items() if n and n >= half)
    return _Shape(blocks, linked, slots, cards, bodies, text, tuple(reversed(images)), nodes)


# --- The article's own pictures -------------------------------------------------------------------
# A block that links to other pages is not always a teaser: the article's lead picture often sits in a
# header beside a section link, a gallery link, a share or comments link. A picture is the article's
# own, whatever block holds it, when the page declares it so (its address is the og:image, twitter:image
# or the article's JSON-LD image), or, unless it is one of a run of like units each with its own
# headline link (a teaser list), when it is the first picture of the block that holds the headline and
# the text, above the text, or when its link points to the picture itself or to this page. A picture
# linked to the site's home page is its logo.
_URL_PARTS = re.compile(r"[/?&=#!,;]")
_KEY_EXTENSION = re.compile(r"(?:\.(?:jpe?g|png|gif|webp|avif|jfif|bmp|tiff?))+$", re.I)
# Size and format marks at the end of a file name: "-1024x683", "_w800", "-scaled", "@2x".
_KEY_SIZE = re.compile(
    r"(?:[-_.@](?:\d{1,4}x\d{0,4}|[whq]_?\d{2,4}|\d{2,4}[wh]|scaled|thumb(?:nail)?|large|medium|small|crop))+$",
    re.I,
)
_HOST_LIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)+$")
_SIZE_ONLY = re.compile(r"^[a-z]{0,3}_?\d{1,4}(?:x\d{0,4})?[a-z]{0,2}$")
_KEY_CHARS, _KEY_CHARS_NO_DIGIT = 8, 12
_IMAGE_LINK = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", re.I)
# A declared picture's name shown by more pictures than this is a placeholder or the site's default.
_KEY_PICTURES = 2
_SRC_ATTRS = ("src", "data-src", "data-original", "data-lazy-src", "srcset", "data-srcset")


@functools.lru_cache(maxsize=1024)
def _picture_keys(url: str) -> frozenset[str]:
    """The parts of a picture's address that name the picture, not its size, format or server:
    ".../2019/ideas-crumpleddollar-130901213-2-1024x683.jpg" and "...-130901213-2.jpg" share
    "ideas-crumpleddollar-130901213-2"; ".../items/4964c03b…/preview/preview.jpg?s=690x" is named by its
    item, not by "preview"; a resizing service's address holds the original's."""
    keys = set()
    words = unquote(unquote(url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url))
    for part in _URL_PARTS.split(words):
        part = _KEY_SIZE.sub("", _KEY_EXTENSION.sub("", part.strip())).lower()
        if _HOST_LIKE.match(part) and not part.rsplit(".", 1)[-1].isdigit():
            continue  # a server's name
        has_digit = any(c.isdigit() for c in part)
        if (
            (len(part) >= _KEY_CHARS and has_digit) or len(part) >= _KEY_CHARS_NO_DIGIT
        ) and not _SIZE_ONLY.match(part):
            keys.add(part)
    return frozenset(keys)


def _sources(img: lxml.html.HtmlElement) -> str:
    """Every address a picture element is shown from, lower case, as one string."""
    values = [img.get(name) or "" for name in _SRC_ATTRS]
    parent = img.getparent()
    if parent is not None and parent.tag == "picture":
        values.extend(s.get("srcset") or s.get("data-srcset") or "" for s in parent.iter("source"))
    words = " ".join(v for v in values if v and not v.startswith("data:")).lower()
    return unquote(words) if "%" in words else words


def _page_paths(tree: lxml.html.HtmlElement) -> set[str]:
    """The paths of this page's own address (canonical link, og:url), read from the page's head."""
    head = tree.find("head")
    found = [
        el.get("href") if el.tag == "link" else el.get("content")
        for el in (head.iter("link", "meta") if head is not None else ())
        if (el.tag == "link" and el.get("rel") == "canonical") or el.get("property") == "og:url"
    ]
    return {path for url in found if url and (path := urlsplit(url.strip()).path.rstrip("/"))}


def _link_of(img: lxml.html.HtmlElement) -> str | None:
    return next((a.get("href") for a in img.iterancestors("a")), None)


def _headline_link(el: lxml.html.HtmlElement) -> bool:
    for a in el.iter("a"):
        words = a.text_content().split()
        if len(words) >= _HEADLINE_WORDS and len(" ".join(words)) >= _HEADLINE_CHARS:
            return True
    return False


def _repeated_unit(img: lxml.html.HtmlElement, pictures: set[lxml.html.HtmlElement]) -> bool:
    """Whether the picture is one of a run of like units (same tag and class), each with a picture
    and its own headline link: a list of teasers."""
    unit = img
    for block in img.iterancestors():
        if block.tag in ("body", "html"):
            return False
        like = 0
        for sibling in block:
            if (
                sibling is not unit
                and sibling.tag == unit.tag
                and sibling.get("class") == unit.get("class")
                and any(p in pictures for p in sibling.iter("img"))
                and _headline_link(sibling)
            ):
                like += 1
                if like >= 2:
                    return True
        unit = block
    return False


def _lead_picture(tree: lxml.html.HtmlElement, shape: _Shape) -> lxml.html.HtmlElement | None:
    """The first picture of the block holding the page's headline and its text, above the text."""
    headline = next(tree.iter("h1"), None)
    if shape.text is None or headline is None:
        return None
    holders = {shape.text, *shape.text.iterancestors()}
    block = next((a for a in headline.iterancestors() if a in holders), None)
    if block is None or block.tag in ("body", "html"):
        return None  # the page holds them apart: no block of the article to read
    first = next((p for p in shape.text if p.tag == "p"), None)
    for el in block.iter():
        if el is first:
            return None
        if el.tag == "img" and not _icon(el):
            return el
    return None


def _own_pictures(
    tree: lxml.html.HtmlElement, structured: StructuredData, shape: _Shape
) -> set[lxml.html.HtmlElement]:
    """The blocks of the article's own pictures (see above): each picture's largest block that holds
    no other picture and no more words than a caption, with the picture's credit line."""
    images = shape.images
    if not images:
        return set()
    shown = {img: _sources(img) for img in images}
    declared = (
        set().union(*(_picture_keys(url) for url in structured.image_urls))
        if structured.image_urls
        else set()
    )
    own: list[lxml.html.HtmlElement] = []
    if declared:
        showing = {key: [img for img in images if key in shown[img]] for key in declared}
        own.extend(img for key, imgs in showing.items() if 0 < len(imgs) <= _KEY_PICTURES for img in imgs)
    paths = _page_paths(tree)
    # The end of this page's path, looked for first: most links point elsewhere.
    ends = [path.rsplit("/", 1)[-1] for path in paths]
    pictures = set(images)
    lead = _lead_picture(tree, shape)
    for img in images:
        link = _link_of(img)
        linked_self = link is not None and (
            bool(_IMAGE_LINK.search(link))
            or (any(end in link for end in ends) and urlsplit(link.strip()).path.rstrip("/") in paths)
        )
        if (img is lead or linked_self) and not _repeated_unit(img, pictures):
            own.append(img)
    units = set()
    for img in dict.fromkeys(own):
        link = _link_of(img)
        if link is not None and not link.startswith("#") and urlsplit(link.strip()).path in ("", "/"):
            continue  # the site's logo
        unit = img
        for block in img.iterancestors():
            if block in shape.bodies or block.tag in ("body", "html"):
                break
            if (
                sum(1 for p in block.iter("img") if p in pictures) > 1
                or len(block.text_content()) > _MAX_CAPTION
            ):
                break
            unit = block
        units.add(unit)
    return units


def _holds_own(el: lxml.html.HtmlElement, own: set[lxml.html.HtmlElement]) -> bool:
    return any(x in own for x in el.iter()) or any(a in own for a in el.iterancestors())


def _context(
    el: lxml.html.HtmlElement,
    teasers: set[lxml.html.HtmlElement] = frozenset(),  # type: ignore[assignment]
    linked: set[lxml.html.HtmlElement] | None = None,
    bodies: set[lxml.html.HtmlElement] = frozenset(),  # type: ignore[assignment]
    own: set[lxml.html.HtmlElement] = frozenset(),  # type: ignore[assignment]
) -> tuple[str | None, bool]:
    """'site_footer' / 'related' when the element sits in the site's chrome or another article,
    and whether it is inside the page's article element.

    Other articles are reached by links: a block whose class names it like a teaser but that holds
    no link (when `linked` says which elements hold one) is the article's own ("teaser-image", its
    lead picture); nor is one that holds a run of the article's paragraphs (`bodies`: "l-sidebar-fixed
    l-article-body-segment" around the text); nor the block of one of the article's own pictures (`own`,
    _own_pictures) beside a link; `<aside>` and `<nav>` say what they are by their tag."""
    in_article = False
    context: str | None = None
    owned = bool(own) and (el in own or any(a in own for a in el.iterancestors()))
    in_teasers = el in teasers and not owned
    for anc in el.iterancestors():
        tag = anc.tag if isinstance(anc.tag, str) else ""
        if (tag in ("article", "main") or anc.get("itemprop") == "articleBody") and not _in_aside(anc):
            # An <article> inside an <aside> or <nav> is another story's teaser, not the page's article.
            in_article = True
        if in_article:
            # The article element and what holds it describe the page's layout, not this
            # element: "sticky-sidebar-parent", "sidebar-layout__content" around the article.
            continue
        attrs = _attrs(anc)
        in_teasers = in_teasers or (anc in teasers and not owned)
        if context is None and tag not in ("body", "html"):
            if tag in ("aside", "nav") or (
                not owned
                and attrs
                and _RELATED_HINT.search(attrs)
                and (linked is None or anc in linked)
                and anc not in bodies
            ):
                context = "related"
            elif tag == "footer" or (attrs and _FOOTER_HINT.search(attrs)):
                context = "site_footer"
    if context is None and in_teasers:
        context = "related"  # marked by no word, but shaped as a list of other articles
    if context == "site_footer" and in_article:
        # A footer inside the article is the article's own (author box, source line).
        return None, in_article
    return context, in_article


# Elements whose words stand apart from their neighbours' ("<p>Alex Wong | Getty Images</p>Kristi Noem").
_SPACED_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "figcaption", "section", "td", "tr", "dd", "dt", "blockquote"}
    | {"h1", "h2", "h3", "h4", "h5", "h6"}
)


def _inside(el: lxml.html.HtmlElement, tags: tuple[str, ...]) -> bool:
    """Whether an element with one of these tags holds `el`."""
    return any(a.tag in tags for a in el.iterancestors())


def _in_aside(el: lxml.html.HtmlElement) -> bool:
    return _inside(el, ("aside", "nav"))


def _text(el: lxml.html.HtmlElement, spaced: bool = True) -> str:
    """The element's words; a sentence and a credit in elements of their own are kept apart
    ("… of Qatar.</span><span>AFP" is "… of Qatar. AFP", not "Qatar.AFP"; "bergen.</span><small>dpa";
    "Dienstag.</span><span>(Image: Getty)"), and so are the words of block elements ("<p>Alex Wong |
    Getty Images</p>Kristi Noem") unless `spaced` is false: a byline's text keeps its elements' words
    run together as the page has them ("Ann LeeProducer", "NewsSportOpinion"), the mark by which the
    byline reader (transforms/metadata.py) tells a name from the next element's words; its
    publication element is read apart (_credit_parts)."""
    parts: list[str] = []
    _add_text(el, parts, _SPACED_TAGS if spaced else frozenset())
    return " ".join("".join(parts).split())


def _add_piece(parts: list[str], piece: str | None) -> None:
    if not piece:
        return
    if (
        parts
        and parts[-1][-1:] in ".!?"
        and parts[-1][-2:-1].islower()
        and not piece[:1].isspace()
        and piece[:1] not in ".,;:!?)]"
    ):
        parts.append(" ")
    parts.append(piece)


def _add_text(el: lxml.html.HtmlElement, parts: list[str], spaced: frozenset[str] = _SPACED_TAGS) -> None:
    # A walk of start and end events, not recursion: pages nest elements thousands deep.
    skipping = 0
    for event, node in lxml.etree.iterwalk(el, events=("start", "end", "comment", "pi")):
        if not isinstance(node.tag, str):  # a comment: its tail is text
            if event in ("comment", "pi") and node is not el and not skipping:
                _add_piece(parts, node.tail)
            continue
        if event == "start":
            if skipping or node.tag in _SKIP_TAGS:
                skipping += 1
                continue
            if node is not el and node.tag in spaced:
                parts.append(" ")
            _add_piece(parts, node.text)
        else:
            if skipping:
                skipping -= 1
                if skipping:
                    continue
            elif node is not el and node.tag in spaced:
                parts.append(" ")
            if node is not el:
                _add_piece(parts, node.tail)


@functools.lru_cache(maxsize=8192)
def _hint_kind(tag: str, attrs: str, rel_author: bool) -> str | None:
    """What an element's tag and attributes say it holds; pages repeat a few class strings a lot."""
    if tag in ("figcaption", "figure") or (attrs and _CAPTION_HINT.search(attrs)):
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


# Picture credits kept in data attributes for a script to show: "data-credit", "data-image-copyright",
# "data-photographer" on any element; "data-source", or an author ("data-image-author"), on a picture's
# own element or inside a figure, where it is the picture's and not the article's.
_DATA_CREDIT_KEY = re.compile(rf"^data-[\w-]*{alternation(_HINTS['data_credit'])}", re.I)
_DATA_PICTURE_KEY = re.compile(
    rf"^data-(?:(?:[\w-]*-)?source$|[\w-]*{alternation(_HINTS['data_picture_credit'])})", re.I
)
_DATA_PICTURE_TAGS = frozenset({"img", "picture", "video", "figure", "source"})
_FIGURE_TAGS = frozenset({"figure", "figcaption"})
# Every element with an attribute named "data-…" (a superset of those _data_credits reads).
_DATA_HOLDERS = lxml.etree.XPath("//*[@*[starts-with(name(), 'data-')]]")


def _data_credits(el: lxml.html.HtmlElement, tag: str) -> list[str]:
    """The picture credits an element holds in its data attributes."""
    found = []
    pictures: bool | None = None  # whether the element is a picture's or inside a figure: asked once
    for key, value in el.items():
        if not key.startswith("data-") or not value:
            continue
        if not _DATA_CREDIT_KEY.match(key):
            if not _DATA_PICTURE_KEY.match(key):
                continue
            if pictures is None:
                pictures = (
                    tag in _DATA_PICTURE_TAGS
                    or tag == "figcaption"
                    or any(a.tag in _FIGURE_TAGS for a in el.iterancestors())
                )
            if not pictures:
                continue
        words = " ".join(value.split())
        if words and len(words) <= _MAX_CREDIT:
            found.append(words)
    return found


def _line_kind(el: lxml.html.HtmlElement) -> tuple[str | None, str | None]:
    """'dateline' or 'credit_line' and the words, for a line element shaped as one."""
    own = el.text
    # Every dateline and credit line has one of these; most lines have none.
    if not own or not ("(" in own or ":" in own or "：" in own or "©" in own or "copyright" in own.lower()):
        return None, None
    own = " ".join(own.split())
    if len(own) > _MAX_CREDIT:
        return None, None
    if _DATELINE_START.match(own):
        return "dateline", _text(el)[:_MAX_CREDIT]
    if _CREDIT_LINE.search(own) and len(text := _text(el)) <= 160:
        return "credit_line", text
    return None, None


def harvest_credits(
    tree: lxml.html.HtmlElement, structured: StructuredData | None = None
) -> tuple[Credit, ...]:
    """Every credit-like string of the page, in page order, labelled with where it was found.

    `structured` is the page's structured data when the caller has read it already."""
    credits: list[Credit] = []
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").lower()
        content = " ".join((meta.get("content") or "").split())
        if not content:
            continue
        if key in _AUTHOR_META or (_AUTHOR_KEY.search(key) and not _URL_KEY.search(key)):
            credits.append(Credit(content, "author_meta"))
        elif key in _DESCRIPTION_META and _DATELINE_START.match(content):
            credits.append(Credit(content[:_MAX_CREDIT], "description"))
    if structured is None:
        structured = read_structured(tree)
    credits.extend(structured_credits(structured))

    # Elements inside an already harvested one; holding the proxies keeps their identity stable.
    claimed: set[lxml.html.HtmlElement] = set()
    has_article = bool(tree.xpath("//article | //main | //*[@itemprop='articleBody']"))
    shape = _page_shape(tree)
    own = _own_pictures(tree, structured, shape)
    # A card around one of the article's own pictures, or inside its block, is no teaser card.
    cards = {c for c in shape.cards if not _holds_own(c, own)} if own else shape.cards
    teasers, linked = shape.teasers | cards, shape.linked
    # The few elements with a data attribute, found in one query: most elements have none.
    data_holders = set(_DATA_HOLDERS(tree))
    for el in shape.nodes:
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_TAGS:
            continue
        for words in _data_credits(el, tag) if el in data_holders else ():
            context, in_article = _context(el, teasers, linked, shape.bodies, own)
            if context is None and (in_article or not has_article):
                credits.append(Credit(words, "caption"))
        if tag == "img":
            # A picture's alt or title text often ends with its credit ("… (AP Photo/…)", "…＝ロイター"),
            # read inside a harvested figure too: its caption's words do not hold the alt text. A picture
            # drawn small is an author's portrait or a logo: its alt text is a name, not a credit.
            if _icon(el):
                continue
            for attr in ("alt", "title"):
                # A long description ends with its credit: keep the end.
                words = " ".join((el.get(attr) or "").split())[-_MAX_CAPTION:]
                if words:
                    context, in_article = _context(el, teasers, linked, shape.bodies, own)
                    if context is None and (in_article or not has_article):
                        credits.append(Credit(words, "caption"))
            continue
        if el in claimed:
            continue
        kind = _kind(el) if _may_hold_credit(el, tag) else None
        text = None
        if kind is not None:
            text = _text(el, spaced=kind != "byline")
            limit = _MAX_CAPTION if kind == "caption" else _MAX_CREDIT
            if not text or len(text) > limit:
                continue
        elif tag in _LINE_TAGS:
            kind, text = _line_kind(el)
            picture_line = kind is None or (kind == "credit_line" and _PICTURE_LINE.match(text))
            if picture_line and el in shape.picture_slots:
                # An unmarked line or "Foto: KCNA/Reuters" right after a picture: its credit.
                kind, text = "picture_credit", _text(el)
            if kind is None:
                continue
        else:
            continue
        # A byline sits next to the headline, which pages often wrap with their menus: the
        # list-of-links shape says nothing about it, only words and tags do.
        context, in_article = _context(
            el, frozenset() if kind == "byline" else teasers, linked, shape.bodies, own
        )
        if kind in ("dateline", "credit_line") and context is None and has_article and not in_article:
            # A dateline or "©" line outside the article and outside any marked sidebar is most
            # likely another story's teaser or a picture credit of the page's chrome: skip it.
            continue
        credits.append(Credit(text, context or kind))
        if kind in ("caption", "byline"):
            parts = _credit_parts(el, text, _CREDIT_PART if kind == "caption" else _PUBLICATION_PART)
            credits.extend(Credit(words, context or kind) for words in parts)
        claimed.update(el.iterdescendants())
    teaser_lines = _teaser_lines(cards)
    return (*dict.fromkeys(credits), *_source_list(tree), *teaser_lines)


# A list of sources: its heading's tags, and at most this many entries of at most _MAX_CREDIT characters.
_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6", "span", "strong", "b", "p", "div", "dt", "summary"})
_MAX_SOURCES = 60


@functools.cache
def _source_headings() -> frozenset[str]:
    return frozenset(w.casefold() for w in _CUES.get("sources_headings", []))


def _source_list(tree: lxml.html.HtmlElement) -> list[Credit]:
    """The entries of the page's list of sources ('source_list'), found by its heading ("Sources:",
    "Quellen", "Fuentes"): the block after the heading, or the lines after it up to the next heading
    ("CNN, “China exempts US soybeans…,” Sept. 13, 2019"). Fact checks and explainers list what they
    cite there, and extraction often leaves the list out of the text."""
    headings = _source_headings()
    for el in tree.iter(*_HEADING_TAGS):
        own = (el.text or "").strip().rstrip(":").strip().casefold()
        if not own or own not in headings:
            continue
        if " ".join(el.text_content().split()).rstrip(": ").casefold() != own:
            continue  # a sentence that opens with the word, not a heading
        node, block = el, None
        for _ in range(4):  # "<a><h5><span>Sources</span></h5></a><div>…</div>": climb to the block's level
            block = node.getnext()
            while block is not None and (not isinstance(block.tag, str) or not block.text_content().strip()):
                block = block.getnext()
            if block is not None or node.getparent() is None:
                break
            node = node.getparent()
        if block is None:
            continue
        listed = _has_blocks(block)
        entries = _innermost_blocks(block) if listed else [block]
        if not listed:  # the lines after the heading, up to the next heading
            nxt = block.getnext()
            while nxt is not None and len(entries) < _MAX_SOURCES and nxt.tag not in _SECTION_HEADS:
                if isinstance(nxt.tag, str):
                    entries.append(nxt)
                nxt = nxt.getnext()
        found = []
        for entry in entries[:_MAX_SOURCES]:
            words = _text(entry)
            if words and len(words) <= _MAX_CREDIT:
                found.append(Credit(words, "source_list"))
        return found
    return []


_SECTION_HEADS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _has_blocks(el: lxml.html.HtmlElement) -> bool:
    return any(isinstance(ch.tag, str) and ch.tag in _BLOCK_TAGS for ch in el.iterdescendants())


def _innermost_blocks(el: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return [b for b in el.iter(*_BLOCK_TAGS) if b is not el and not _has_blocks(b)]


# Block elements: the extracted text holds each one's words as a line of its own.
_BLOCK_TAGS = frozenset({"p", "div", "li", "h2", "h3", "h4", "h5", "h6", "section", "td", "dd", "figcaption"})


def _credit_parts(block: lxml.html.HtmlElement, text: str, hint: re.Pattern[str]) -> list[str]:
    """The words of a caption's credit element or a byline's publication element, where the block
    runs them on with its words ("…Timothy Weeks <span class=credit>AP</span>", "<p class=credit>Alex
    Wong | Getty Images</p>Kristi Noem, …", "Tom Davies <span class=publication>Associated
    Press</span>"): joined so, a name reads as part of a person's. A credit set apart by a mark
    ("… Berlin. Foto: dpa", "Tom Davies, AP") is read in the block already."""
    found = []
    for part in block.iterdescendants():
        if not isinstance(part.tag, str) or not hint.search(_attrs(part)):
            continue
        words = _text(part)
        at = text.find(words) if words and words != text and len(words) <= _MAX_CREDIT else -1
        if at < 0:
            continue
        before, after = text[:at].rstrip()[-1:], text[at + len(words) :].lstrip()[:1]
        if before.isalnum() or (not before and after.isalnum()):  # "Getty Images Kristi Noem, …"
            found.append(words)
    return found


def _teaser_lines(cards: set[lxml.html.HtmlElement]) -> list[Credit]:
    """The lines of other articles' teasers, as the extracted text may hold them ('teaser'): the
    innermost blocks of a teaser card, a block made up mostly of one headline-like link ("Lesen Sie
    auch: <a>…</a>"; a picture, a headline and a line under it). The tagger sets aside a text credit
    on a line that the page shows only in teasers, as often as it shows it there. Class words
    ("sidebar", "related") are not enough here: layouts name the article's own container so
    ("detailBodyContainer withSidebar"); nor is a list of links, whose items may name the sources
    the article cites ("13 avril 2018 : <a>Dépêche AFP</a>"): the headline is what makes a teaser."""
    found: list[Credit] = []
    for card in sorted(cards, key=_position):
        if any(a in cards for a in card.iterancestors()):
            continue  # an outer card holds it
        for el in card.iter(*_BLOCK_TAGS):
            if not _has_blocks(el) and (words := " ".join(el.text_content().split())):
                found.append(Credit(words, "teaser"))
    return found


def _position(el: lxml.html.HtmlElement) -> tuple[int, ...]:
    """Where an element is in its document, as its path of child indexes: sorts in page order."""
    path = []
    while (parent := el.getparent()) is not None:
        path.append(parent.index(el))
        el = parent
    return tuple(reversed(path))
