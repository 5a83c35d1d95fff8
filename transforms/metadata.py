"""The article's title, authors, publication date and declared language, read from one parsed page.

Structured data first (transforms/structured.py: JSON-LD, microdata, Open Graph and `article:*`
meta), trafilatura's metadata functions after, with checks that hold for any site: authors that are
people, not the site itself, its address, a date or a URL; a published time with its offset; a
declared language that is a language tag. `read_metadata` gathers what the page says in one frozen
record; `byline` picks the authors once the page's credit strings are known. Pure, but for reading
its reference data (data/author_roles.yaml) once.
"""

from __future__ import annotations

import contextlib
import functools
import html as html_lib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from urllib.parse import urlsplit

import lxml.html
from htmldate import find_date
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params

from transforms.dates import normalize_date
from transforms.language import declared_code
from transforms.records import Credit
from transforms.registry import DATA_DIR, load_registry, read_data_file
from transforms.structured import StructuredData, read_structured
from transforms.textunits import count_words

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What one page says about its article, before its text is extracted."""

    structured: StructuredData
    title: str | None = None
    published: str | None = None  # ISO 8601, with the offset when the time is known
    declared_language: str | None = None  # the first language tag the page declares, as written
    url: str | None = None  # the canonical URL, else the one given
    site_name: str | None = None
    found_author: str | None = None  # trafilatura's reading of the author fields and bylines
    # trafilatura's reading of the byline markup, when its author fields name nobody (`author`): read
    # only if the byline gets that far (a copy of the tree and a dozen XPath queries, ~4 ms a page)
    markup_author: Callable[[], str | None] | None = field(default=None, repr=False, compare=False)
    linked_byline: str | None = None  # names a byline gives as links ("Von: <a>X</a>, <a>Y</a>")
    lead_byline: str | None = None  # names the article body opens with, in bold ("<p><b>Ann Lee</b></p>")
    # short paragraphs of names closing an article body ("<p>Ann Lee/dpa</p>"): its sign-off
    # when the extracted text ends with one of them (`byline`)
    closing_lines: tuple[str, ...] = ()

    def author(self) -> str | None:
        """trafilatura's author: its author fields', else its reading of the page's byline markup."""
        if self.found_author is None and self.markup_author is not None:
            return self.markup_author()
        return self.found_author


def read_metadata(tree: lxml.html.HtmlElement, url: str | None = None) -> PageMetadata:
    """The page's title, date, declared language, canonical URL, site name and author fields."""
    structured = read_structured(tree)
    found = _trafilatura_metadata(tree, url, markup=False)
    page_url = found["url"] or url
    return PageMetadata(
        structured=structured,
        title=_title(
            structured,
            found["title"],
            _first_h1(tree),
            _own_keys((found["sitename"], structured.site_name, structured.publisher), page_url),
        ),
        published=_published(tree, page_url, structured),
        declared_language=_declared_language(tree, structured),
        url=page_url,
        site_name=(found["sitename"] or "").strip() or None,
        found_author=found["author"],
        # the tree stays as it is (extraction works on copies of it) until the byline is read
        markup_author=None if found["author"] else functools.cache(functools.partial(extract_author, tree)),
        linked_byline=_linked_byline(tree),
        lead_byline=_lead_byline(tree),
        closing_lines=tuple(_closing_lines(tree)),
    )


def byline(metadata: PageMetadata, credits: tuple[Credit, ...], text: str = "") -> str | None:
    """The article's authors as "A; B", spelled as the page spells them (see `_byline`); `text`,
    the extracted main text, lets a sign-off that closes it name the writers."""
    meta = metadata
    return _byline(
        meta.structured,
        meta.author,
        credits,
        meta.site_name,
        meta.url,
        meta.linked_byline,
        meta.lead_byline,
        _signed_off(meta.closing_lines, text),
    )


_BYLINE_SOURCES = frozenset({"author_meta", "jsonld", "byline"})


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


def _byline(
    structured: StructuredData,
    found: Callable[[], str | None],
    credits: tuple[Credit, ...],
    site: str | None,
    url: str | None,
    linked: str | None = None,
    lead: str | None = None,
    closing: str | None = None,
) -> str | None:
    """The article's authors: structured data's, else trafilatura's, else the page's byline elements,
    else the sign-off that closes the text.

    Names must look like names: no URLs, e-mail addresses or dates. A value that names the site
    together with other parts ("hessenschau.de, Frankfurt, Germany" in an author meta) is the
    publisher's address: its other parts are no authors. A name a byline element credits for other
    work ("Editor: X", "Foto: X"; data/author_roles.yaml) is no author either. The site's own name
    ("heise online", a JSON-LD author named like the site) is a credit of the newsroom: kept when
    nobody else is named, dropped beside the names of the people who wrote the article. When the
    structured data names an organisation as the author and the page shows no person's name (only
    a handle such as "amw"), the organisation is the author. A sign-off closing the text is the
    last reader, before the site's name: a page that names nobody else signs its article there.
    """
    own, address = _not_authors(structured, credits, site, url)
    newsroom: list[str] = []
    shown = _shown_bylines(credits) or linked
    # each stage's candidate read when the stages before it named nobody (`found` may read the markup)
    stages: list[tuple[str, Callable[[], str | None]]] = [
        ("declared", lambda: _declared(structured)),
        ("found", lambda: _tidied(found(), credits)),
        ("shown", lambda: shown),
        ("closing", lambda: closing),
    ]
    if lead and not any(party.kind.lower() == "person" for party in structured.authors):
        # the body's own byline beats an author field that is an account or the site itself
        stages.insert(0, ("lead", lambda: lead))
    for stage, candidate in stages:
        names, spelled = _names(candidate(), credits, own, address)
        if (
            stage == "found"
            and newsroom
            and any(party.is_organization for party in structured.authors)
            and all(name.islower() for name in names)  # nobody, or handles such as "amw"
        ):
            return newsroom[0]
        if names:
            return "; ".join(dict.fromkeys(names))
        newsroom = newsroom or [name for name in spelled if _is_own(_key(name), own)]
    return newsroom[0] if newsroom else None


BYLINE_SOURCES = (
    "structured data",
    "trafilatura",
    "byline elements",
    "linked byline line",
    "bold lead",
    "closing sign-off",
)


def byline_sources(
    metadata: PageMetadata, credits: tuple[Credit, ...], text: str = ""
) -> dict[str, str | None]:
    """Each reader's authors alone (BYLINE_SOURCES), with `byline`'s checks but no fallback between
    them: how well each reads a page, whichever `byline` takes (benchmarks/extraction_quality.py)."""
    meta = metadata
    own, address = _not_authors(meta.structured, credits, meta.site_name, meta.url)
    candidates = (
        _declared(meta.structured),
        _tidied(meta.author(), credits),
        _shown_bylines(credits),
        meta.linked_byline,
        meta.lead_byline,
        _signed_off(meta.closing_lines, text),
    )
    return {
        source: "; ".join(dict.fromkeys(_names(candidate, credits, own, address)[0])) or None
        for source, candidate in zip(BYLINE_SOURCES, candidates, strict=True)
    }


def _tidied(found: str | None, credits: tuple[Credit, ...] = ()) -> str | None:
    """trafilatura's names with _tidy's clean-up (it reads byline elements and meta fields much as
    _shown_bylines does); when the page's bylines or JSON-LD show some of them, the others, named
    only in a meta field, are an account or a translator, not writers the page credits."""
    if not found:
        return None
    names = _tidy(found.split("; "))
    shown = [_WORDS.findall(c.text.casefold()) for c in credits if c.where in ("byline", "jsonld")]
    words = [_WORDS.findall(name.casefold()) for name in names]
    seen = [
        name for name, own in zip(names, words, strict=True) if own and any(_holds(t, own) for t in shown)
    ]
    return "; ".join(seen if seen and len(names) > 1 else names) or None


def _declared(structured: StructuredData) -> str:
    # trafilatura's name clean-up ("By X, AP Writer" -> "X; AP Writer"), then the page's spelling
    return "; ".join(filter(None, (normalize_authors(None, party.name) for party in structured.authors)))


def _not_authors(
    structured: StructuredData, credits: tuple[Credit, ...], site: str | None, url: str | None
) -> tuple[frozenset[str], set[str]]:
    """(keys of the site's own names, keys of names that are its address or credited for other work)."""
    own = _own_keys((site, structured.site_name, structured.publisher), url)
    address = {
        _key(part)
        for value in structured.meta_authors
        if any(_is_own(_key(part), own) for part in _PARTS.split(value))
        for part in _PARTS.split(value)
        if not _is_own(_key(part), own)
    }
    return own, address | _role_labelled(credits)


def _names(
    candidate: str | None, credits: tuple[Credit, ...], own: frozenset[str], address: set[str]
) -> tuple[list[str], list[str]]:
    """(the people a candidate names, every name it gives, the site's own included)."""
    given = [
        _without_credentials(_without_label(_without_date(name)))
        for name in (_as_on_page(candidate, credits) or "").split("; ")
    ]
    spelled = _without_roles([name for name in given if _looks_like_name(name) and not _names_nobody(name)])
    names = [name for name in spelled if _key(name) not in address and not _is_own(_key(name), own)]
    return names, spelled


_ROLE_MIN_WORDS = 2  # what is left of a name once its role or date is cut off


def _without_roles(names: list[str]) -> list[str]:
    """Names without the writers' jobs an author value gives beside them or runs into them (data/
    author_roles.yaml's job_titles): in "TOM KRISHER; AP Auto Writer" the second part is the first's
    job; "Tom Gillespie News reporter", alone, is Tom Gillespie. A job alone stays (a page that
    credits only "Staff writer" credits its staff)."""
    cut = [(name, _job_size(name)) for name in names]
    if any(not size for _, size in cut):
        return [name for name, size in cut if not size]
    return [
        " ".join(words[:-size]) if size and len(words := name.split()) - size >= _ROLE_MIN_WORDS else name
        for name, size in cut
    ]


def _job_size(name: str) -> int:
    """How many words at the end of a name are a job title (0: none)."""
    words = [word.casefold().strip(".,:;()") for word in name.split()]
    jobs = _job_titles()
    return next((n for n in range(min(3, len(words)), 0, -1) if " ".join(words[-n:]) in jobs), 0)


_LABEL_MAX_WORDS = 3


def _without_label(name: str) -> str:
    """A name without the label before it ("Interview: Julia Lauter", "Analysis by Chris Cillizza",
    "Posted by Vortex"): cut after a colon, or after a label word (data/author_roles.yaml's
    label_ends) that follows a capitalised word. A name that a label credits for other work than
    the writing ("Foto: X") is _role_labelled's."""
    label, colon, rest = name.rpartition(":")
    if colon and label.strip() and rest.strip():
        name = rest.strip()
    words = name.split()
    ends = _label_ends()
    for at in range(1, min(_LABEL_MAX_WORDS, len(words) - 1) + 1):
        if words[at] in ends and words[0][:1].isupper():
            return " ".join(words[at + 1 :])
    return name


def _without_date(name: str) -> str:
    """A name of three words or more without the date words run into its end ("Carrie Arnold
    November": data/author_roles.yaml's date_words)."""
    words = name.split()
    dates = _date_words()
    while len(words) > _ROLE_MIN_WORDS and words[-1].casefold().strip(".,:;") in dates:
        words.pop()
    return " ".join(words) if len(words) < len(name.split()) else name


def _without_credentials(name: str) -> str:
    """A name without the degrees and licences written after it ("Rachael Link, MS, RD" is Rachael
    Link; data/author_roles.yaml's credentials); a part that is only one ("MS" of "Ilana Muhlstein,
    MS, RDN" split at its commas) is nothing."""
    parts = [part.strip() for part in name.split(",")]
    credentials = _word_list("credentials")
    while parts and parts[-1].casefold().replace(".", "") in credentials:
        parts.pop()
    return ", ".join(parts)


def _names_nobody(name: str) -> bool:
    """A label without its name, a credit for other work alone ("Cortesía", "Foto"; data/
    author_roles.yaml's not_author_roles), and the account of a site's publishing system ("admin",
    one word ending in one: "jdadmin"; its accounts) name nobody."""
    word = name.casefold().strip(" .:")
    if word in _word_list("not_author_roles"):
        return True
    return " " not in word and any(word.endswith(account) for account in _word_list("accounts"))


@functools.cache
def _word_list(key: str) -> frozenset[str]:
    """A list of words in data/author_roles.yaml, case-folded."""
    return frozenset(word.casefold() for word in _author_roles()[key])


def _job_titles() -> frozenset[str]:
    return _word_list("job_titles")


def _label_ends() -> frozenset[str]:
    return _word_list("label_ends")


def _date_words() -> frozenset[str]:
    return _word_list("date_words")


def _written_as_a_name(name: str) -> bool:
    """Each word of four letters or more capitalised ("Naufal Zuhdi", not "Lien copié"), as names
    are written; words in scripts without case always pass."""
    # a word in brackets too: a form's "Name (required)" is no name
    return all(not word.lstrip("([{'\"")[:1].islower() for word in name.split() if len(word) >= 4)


_LINKED_NAME_WORDS = (2, 5)  # a writer's linked name: first and last name, a title, a particle
_LINKED_BLOCK_CHARS = 200  # a byline is one short line; a paragraph that links a name is not one


def _linked_byline(tree: lxml.html.HtmlElement) -> str | None:
    """The names a byline line gives as links, by its grammar: a byline word, then linked names
    joined by conjunctions and nothing else ("Von: <a>Bill McCarthy</a>, <a>Marisha Goldhamer</a>",
    "von <a>Dr. Max Kolter</a>"; the words are data/author_roles.yaml's)."""
    opener, joiners, _ = _byline_grammar()
    head = _byline_head()
    for block in tree.iter():
        text = block.text
        if text and head.match(text) and next(block.iter("a"), None) is not None:
            names = _byline_line(block, opener, joiners)
            if names:
                return "; ".join(names)
    return None


def _byline_line(
    block: lxml.html.HtmlElement, opener: re.Pattern[str], joiners: re.Pattern[str]
) -> list[str] | None:
    """The linked names of a byline line, or None when the block is something else."""
    text = " ".join(block.text_content().split())
    if len(text) > _LINKED_BLOCK_CHARS or not (found := opener.match(text)):
        return None
    low, high = _LINKED_NAME_WORDS
    names = [
        name
        for anchor in block.iter("a")
        if low <= len((name := " ".join(anchor.text_content().split())).split()) <= high
        and _looks_like_name(name)
        and _written_as_a_name(name)
    ]
    rest = found.group("rest")
    if not names:
        return None
    last = max(rest.rfind(name) + len(name) for name in names)
    rest, tail = rest[:last], rest[last:]
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, " ")
    if joiners.sub(" ", rest).strip() or (joiners.sub(" ", tail).strip() and not _date_tail(tail)):
        return None
    return list(dict.fromkeys(names))


_DATE_TAIL_CHARS = 80
_TIME_OR_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b|\b\d{1,2}[:.]\d\d\b")


def _date_tail(tail: str) -> bool:
    """Whether the words after a byline's last name are its date ("on Monday, November 18th, 2019
    at 11:04 a.m."): short, with a year or a time, and a date word (data/author_roles.yaml)."""
    words = {word.casefold() for word in _WORDS.findall(tail)}
    return len(tail) <= _DATE_TAIL_CHARS and bool(_TIME_OR_YEAR.search(tail)) and bool(words & _date_words())


_LEAD_MAX_CHARS = 80
_LEAD_BODY_PARAGRAPHS = 3  # paragraphs of _LEAD_BODY_CHARS or more after it: an article body
_LEAD_BODY_CHARS = 40
_LEAD_POSITIONS = 3  # a standfirst may come first
_EMPHASIS = ("strong", "b")


def _lead_byline(tree: lxml.html.HtmlElement) -> str | None:
    """The names an article body opens with (after a standfirst) as a paragraph of its own, wholly
    in bold, every part a name of two to four capitalised words ("<p><b>Ann Lee/Bo Chen</b></p>")."""
    joins = _byline_grammar()[2]
    for para in tree.iter("p"):
        children = list(para)
        if len(children) != 1 or children[0].tag not in _EMPHASIS or (para.text or "").strip():
            continue
        text = " ".join(para.text_content().split())
        if not text or len(text) > _LEAD_MAX_CHARS or " ".join(children[0].text_content().split()) != text:
            continue
        parent = para.getparent()
        if parent is None:
            continue
        siblings = [p for p in parent.iterchildren("p") if " ".join(p.text_content().split())]
        at = siblings.index(para)
        if at >= _LEAD_POSITIONS:
            continue
        after = siblings[at + 1 : at + 1 + _LEAD_BODY_PARAGRAPHS]
        if len(after) < _LEAD_BODY_PARAGRAPHS or any(len(p.text_content()) < _LEAD_BODY_CHARS for p in after):
            continue
        names = [" ".join(part.split()) for part in joins.split(text)]
        if names and all(_lead_name(name) for name in names):
            return "; ".join(names)
    return None


_CLOSING_MAX_CHARS = 60
_CLOSING_LAST = 3  # a sign-off and at most two paragraphs after it (a reader prompt, a note)
_CLOSING_NAME_WORDS = 4
# A sign-off is names: a digit, a sentence's or a label's punctuation, quotes or brackets say otherwise
# (an apostrophe may be a name's: "O'Brien").
_NOT_SIGNED = re.compile(r"[\d!?:;\"“”„«»()\[\]…]")


def _closing_lines(tree: lxml.html.HtmlElement) -> Iterator[str]:
    """Paragraphs that may sign an article off: short, no link, among the last of their siblings,
    after at least three paragraphs of text (an article body), and names by their shape
    (`_sign_off_names`). Whether the article's text ends with one is `_signed_off`'s."""
    for para in tree.iter("p"):
        if len(para) > 1:
            continue
        text = " ".join(para.text_content().split())
        if not text or len(text) > _CLOSING_MAX_CHARS or next(para.iter("a"), None) is not None:
            continue
        after = (p for p in para.itersiblings("p") if p.text_content().strip())
        if len(list(islice(after, _CLOSING_LAST))) >= _CLOSING_LAST:
            continue
        before = list(
            islice(
                (p for p in para.itersiblings("p", preceding=True) if p.text_content().strip()),
                _LEAD_BODY_PARAGRAPHS,
            )
        )
        if len(before) < _LEAD_BODY_PARAGRAPHS or any(
            len(p.text_content()) < _LEAD_BODY_CHARS for p in before
        ):
            continue
        if _sign_off_names(text):
            yield text


def _sign_off_names(line: str) -> list[str]:
    """The names of a sign-off line ("Ann Lee", "Ann Lee/dpa", "Von Ann Lee und Bo Chen",
    "IN-Redaktion"): an optional byline word, then names of one to four capitalised words or news
    sources joined by conjunctions (data/author_roles.yaml), in a script with case, not all capitals
    (a heading shouts: "AUSTRALIA AHEAD"). Nothing for anything else."""
    opener, _, joins = _byline_grammar()
    found = opener.match(line)
    rest = found.group("rest") if found else line
    if _NOT_SIGNED.search(rest) or not _cased(rest) or rest == rest.upper():
        return []
    names = [" ".join(part.split()) for part in joins.split(rest.rstrip(". ")) if part.strip()]
    if names and all(_sign_off_name(name) for name in names):
        return names
    return []


def _sign_off_name(name: str) -> bool:
    """A name of one to four capitalised words, or a news source the registry knows ("dpa")."""
    words = name.split()
    capitalised = all(word[:1].isupper() for word in words) or name.casefold() in _known_sources()
    return len(words) <= _CLOSING_NAME_WORDS and capitalised and _looks_like_name(name)


def _signed_off(lines: tuple[str, ...], text: str) -> str | None:
    """The names of the sign-off the extracted text ends with: one of `lines` among its last lines
    (a reader prompt may follow), so that the sign-off is the article's and not a box beside it."""
    if not lines or not text:
        return None
    last = [" ".join(line.split()) for line in text.splitlines()[-_CLOSING_LAST:]]
    signed = next((line for line in last if line in lines), None)
    return "; ".join(_sign_off_names(signed)) if signed else None


def _lead_name(name: str) -> bool:
    words = name.split()
    return 2 <= len(words) <= 4 and _looks_like_name(name) and all(word[:1].isupper() for word in words)


def _author_roles() -> dict:
    return read_data_file(DATA_DIR / "author_roles.yaml")


def _byline_words(written: Callable[[str], str] = str) -> str:
    """The byline words of author_roles.yaml as one alternation, longest first (as `written`)."""
    words = sorted(_author_roles()["byline_words"], key=len, reverse=True)
    return "|".join(re.escape(written(word)) for word in words)


@functools.cache
def _byline_head() -> re.Pattern[str]:
    """An element's own text that opens with a byline word ("Von:", "by ")."""
    return re.compile(rf"\W*+(?:{_byline_words()})(?:\s*+:|\s|$)", re.IGNORECASE)


@functools.cache
def _byline_grammar() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(a byline word opening a line, what may join the names after it, one join between names)."""
    data = _author_roles()
    words = _byline_words()
    opener = re.compile(rf"^\W*(?:{words})(?:\s*:\s*|\s+)(?P<rest>\S.*)$", re.IGNORECASE)
    joins = "|".join(
        rf"(?<!\w){re.escape(word)}(?!\w)" if word[:1].isalnum() else re.escape(word)
        for word in sorted(data["name_conjunctions"], key=len, reverse=True)
    )
    # conjunctions as written between names, lower-case: "Ann E. Lee" holds no "e" (and)
    return opener, re.compile(rf"(?:{joins}|[\s.])+"), re.compile(rf"\s*(?:{joins})\s*")


@functools.cache
def _roles() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a byline that credits a name for other work than the writing, a byline word before a name)."""
    roles = sorted(_author_roles()["not_author_roles"], key=len, reverse=True)
    by = [role for role in roles if role.rsplit(" ", 1)[-1] in ("by", "por", "par")]
    labels = "|".join(map(re.escape, roles))
    by_labels = "|".join(map(re.escape, by)) or "(?!)"
    role = re.compile(
        rf"^\W*(?:(?:{labels})\s*[:：=|/–-]|(?:{by_labels})\s)\s*(?P<name>[^:：=|]+?)[\s.]*$", re.IGNORECASE
    )
    opener = re.compile(rf"^\W*(?:(?:{_byline_words()})\b\s*:?\s*)?(?P<name>.+?)[\s.]*$", re.IGNORECASE)
    return role, opener


def _role_labelled(credits: tuple[Credit, ...]) -> set[str]:
    """Keys of the names the page's bylines credit for other work ("Editor : Heryadi")."""
    role = _roles()[0]
    return {_key(m.group("name")) for c in credits if c.where == "byline" and (m := role.match(c.text))}


_SHOWN_MAX_NAMES = 4  # more byline elements than writers of one article: teasers' bylines too


def _shown_bylines(credits: tuple[Credit, ...]) -> str | None:
    """The names that the page's byline elements show, each element one name ("By Ann Lee").

    An element's words can run into the next element's ("VonSabrina Gerstmaier", "Ann
    LeeProducer", "NewsSportOpinion": `_unglued`). A lone capitalised word beside a full name is
    a menu item or a label ("Name", "Contents"), and a name that holds another shown name plus
    more words is that name with its role ("Jon King, News Reporter"). A byline that a teaser of
    another story holds (page_credits' teaser lines: "World 1 day ago By Ann Lee") is that
    story's; more names than an article's writers are the teasers' bylines too: the first name
    outside a teaser is the article's. The words page_credits reads apart from a byline element
    (its publication's: "Tom Davies <span class=publication>Associated Press</span>") are a source
    for the tagger, not one more name.
    """
    role, opener = _roles()
    teasers = [credit.text for credit in credits if credit.where == "teaser"]
    names: dict[str, bool] = {}  # name: shown outside the teasers
    block = ""  # the last byline element's words: page_credits lists the parts it reads apart after it
    for credit in credits:
        if credit.where != "byline":
            continue
        if _run_on(credit.text, block):
            continue  # the byline's publication element, read apart for the tagger: no other name
        block = credit.text
        if role.match(credit.text):
            continue
        found = opener.match(_unglued_opener(credit.text))
        name = " ".join((found.group("name") if found else "").split())
        # a colon left after the byline word is another label's ("Redaktion: X und Y")
        if name and ":" not in name and _looks_like_name(name) and _written_as_a_name(name):
            names[name] = names.get(name, False) or not any(credit.text in line for line in teasers)
    kept = _tidy(list(names))
    article = [name for name in kept if names.get(name, True)]
    if len(kept) > _SHOWN_MAX_NAMES:
        article = article[:1]
    return "; ".join(article) or None


def _run_on(part: str, block: str) -> bool:
    """Whether `part` is words that `block` runs on with its own, no space between ("Lee BakerCFP
    and founder", "Tom DaviesAssociated Press"), as page_credits' byline parts are; a name the block
    sets apart ("By Jon King, News Reporter") is not."""
    at = block.find(part) if part != block else -1
    if at < 0:
        return False
    before, after = block[at - 1 : at], block[at + len(part) : at + len(part) + 1]
    return before.isalnum() or after.isalnum()


def _tidy(names: list[str]) -> list[str]:
    """Names read from a page's markup or author fields without the words of neighbouring elements
    run into them, names that hold another one plus a role, and lone words beside full names: a
    place, a first name, a handle or a label ("Nairobi", "Name *"), unless the registry knows the
    word as a news source ("Reuters" beside the reporter: the agency shares the credit). Words of
    scripts without case (a Korean name is one word) are no lone words."""
    names = list(dict.fromkeys(name for name in map(_unglued, names) if name))
    words = [_WORDS.findall(name.casefold()) for name in names]
    if any(len(own) > 1 for own in words):
        known = _known_sources()
        kept = [
            len(own) > 1 or not _cased(name) or name.casefold() in known
            for name, own in zip(names, words, strict=True)
        ]
        names = [name for name, keep in zip(names, kept, strict=True) if keep]
        words = [own for own, keep in zip(words, kept, strict=True) if keep]
    return [
        name
        for name, own in zip(names, words, strict=True)
        if not any(len(other) < len(own) and _holds(own, other) for other in words)
    ]


@functools.cache
def _known_sources() -> frozenset[str]:
    """The registry's names of news sources (transforms/data/sources.yaml), case-folded."""
    return frozenset(
        alias.casefold()
        for source in load_registry().sources
        for alias in (*source.aliases, *source.datelines)
    )


def _holds(words: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


def _cased(text: str) -> bool:
    return text != text.lower() or text != text.upper()


_GLUE_RUN = 4  # lower-case letters before a capital that starts the next element's word


def _unglued(name: str) -> str:
    """A name without the words of the next element run into it: cut at the first word that turns
    from four lower-case letters to a capital and a lower-case letter ("Ann LeeProducer" is kept
    as "Ann Lee"; "MacDonald", "FitzGerald" are names), or from two capitals to a capitalised word
    ("SIDNachrichtenagentur"). Nothing when less than two words are left."""
    for at in range(2, len(name) - 3):
        if (
            name[at].isupper()
            and name[at + 1].islower()
            and (
                (at >= _GLUE_RUN and all(ch.islower() for ch in name[at - _GLUE_RUN : at]))
                # an acronym run into a word: "SIDNachrichtenagentur"
                or (all(ch.isupper() for ch in name[at - 2 : at]) and name[at + 1 : at + 4].islower())
            )
        ):
            head = name[:at].split()
            return " ".join(head) if len(head) >= 2 else ""
    return name


def _unglued_opener(text: str) -> str:
    """A byline word run into the name after it ("VonSabrina Gerstmaier") set apart from it."""
    found = _glued_opener().match(text)
    return f"{found.group(1)} {text[found.end(1) :]}" if found else text


@functools.cache
def _glued_opener() -> re.Pattern[str]:
    alternatives = _byline_words(str.capitalize)
    # a capitalised byline word, then a capitalised name of two words or more
    return re.compile(rf"^\W*({alternatives})(?=[^\W\d_][^\W\d_]*\s+\S)(?-i:(?=[A-ZÀ-ÞĀ-ſ]))")


_PARTS = re.compile(r"[,;|]")
_NOT_A_NAME = re.compile(r"\d|@|://|\bwww\.|\*")  # "*": a form field marked as required ("Name *")
_NAME_MAX_CHARS = 80
_NAME_MAX_WORDS = 6
# Han and kana count a word a character (textunits): a name or a newsroom's ("朝日新聞デジタル")
# is a few characters, a profile box run together ("この記事を書いた人…東京社会部フォロー…") is not.
_NAME_MAX_UNSPACED_WORDS = 12
_OWN_MIN_CHARS = 6  # a longer site key inside a name ("mediaindonesiacom developer") marks it as the site's


def _key(text: str) -> str:
    return "".join(_WORDS.findall(text.casefold()))


def _own_keys(names: tuple[str | None, ...], url: str | None) -> frozenset[str]:
    keys = {_key(name) for name in names if name}
    host = urlsplit(url).hostname or "" if url else ""
    labels = [label for label in host.split(".") if label and label != "www"]
    if labels:
        keys.add(_key(".".join(labels)))  # hessenschau.de -> hessenschaude
        keys.add(_key(max(labels[:-1] or labels, key=len)))  # its longest name label
    return frozenset(key for key in keys if key)


def _is_own(key: str, own: frozenset[str]) -> bool:
    return key in own or any(len(site) >= _OWN_MIN_CHARS and site in key for site in own)


def _looks_like_name(name: str) -> bool:
    name = name.strip()
    if not name or len(name) > _NAME_MAX_CHARS or len(name.split()) > _NAME_MAX_WORDS:
        return False
    if not name.isascii() and count_words(name) > _NAME_MAX_UNSPACED_WORDS:
        return False
    return not _NOT_A_NAME.search(name) and bool(_key(name))


def _as_on_page(author: str | None, credits: tuple[Credit, ...]) -> str | None:
    """trafilatura's author with each name spelled as the page spells it.

    trafilatura normalises names ("Sarah E. Needleman" -> "Sarah E Needleman", "AP" -> "Ap");
    the same words are looked up in the page's author fields and bylines and taken from there.
    """
    if not author:
        return None
    sources = [c.text for c in credits if c.where in _BYLINE_SOURCES]
    names = []
    for name in author.split("; "):
        words = _WORDS.findall(name)
        # Words must be apart on the page too: "meg-james" or "carlos.nadalim" are slugs.
        gap = r"[.,:;]?\s+"
        pattern = re.compile(r"(?<![\w.-])" + gap.join(map(re.escape, words)) + r"(?![\w-])", re.IGNORECASE)
        found = next((m.group(0) for source in sources if words and (m := pattern.search(source))), None)
        names.append(found or name)
    return "; ".join(names)


def _trafilatura_metadata(
    tree: lxml.html.HtmlElement, url: str | None, markup: bool = True
) -> dict[str, str | None]:
    """Title, author, canonical URL and site name, the way trafilatura's metadata step finds them.

    trafilatura's own with_metadata also collects categories, tags and a licence and runs
    htmldate: ~45% on top of the text extraction. Only the fields used here are computed,
    with the same functions and in the same order of precedence (meta tags, then JSON-LD,
    then the page's markup; the author's markup only with `markup`: read_metadata leaves it to
    PageMetadata.author).
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a lone word in an author meta is a handle or a site name
    # trafilatura's JSON-LD reader can trip on odd blocks; the meta tags still stand then.
    with contextlib.suppress(Exception):
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    if markup:
        meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@") or None
    return {"title": meta.title, "author": meta.author, "url": meta.url, "sitename": meta.sitename}


def _title(
    structured: StructuredData, found: str | None, h1: str | None = None, own: frozenset[str] = frozenset()
) -> str | None:
    """The article's headline: structured data's, then Open Graph's, then trafilatura's.

    The <title> element often carries the site's name or an SEO variant; the headline the
    publisher declares for the article is the better reading when there is one. Where the JSON-LD
    headline and `og:title` differ, two things the page says besides decide: the article object's
    own `name`/`alternativeHeadline` siding with `og:title` only (the headline is then the search
    variant), and a visible <h1> that is one of them made whole (it opens with all of its words and
    goes on: the declared one was cut at a length limit). Otherwise the publishers of the corpus
    split between the two (the benchmark prints the split), and the structured headline stays first.
    """
    headline, og = structured.headline, structured.og_title
    if headline and og and not _same_title(headline, og, own):
        others = [text for text in structured.other_headlines if not _same_title(text, headline, own)]
        if others and any(_same_title(text, og, own) for text in others):
            return _unescaped(og)
        if (
            h1
            and any(_completes(h1, text) for text in (headline, og))
            and not any(_same_title(h1, text, own) for text in (headline, og))
        ):
            return h1
    for candidate in (headline, og, found):
        if candidate and candidate.strip():
            return _unescaped(candidate)
    return None


_CUT_MIN_WORDS = 3  # a declared headline of a word or two opening the <h1> is a kicker, not a cut


def _completes(h1: str, declared: str) -> bool:
    """Whether the <h1> is the declared headline made whole: it opens with all of its words (an
    ellipsis left out) and goes on. A third headline in the <h1> that opens otherwise does not
    decide: as many held-out pages expected the declared headline there as the <h1>."""
    shown, cut = (_WORDS.findall(_unescaped(text).casefold()) for text in (h1, declared))
    return len(cut) >= _CUT_MIN_WORDS and len(shown) > len(cut) and shown[: len(cut)] == cut


def _same_title(one: str, other: str, own: frozenset[str]) -> bool:
    """The same headline, whatever the case, punctuation, entities or a site name beside it."""
    a, b = (_key(_without_site_name(_unescaped(text), own)) for text in (one, other))
    return a == b


def _first_h1(tree: lxml.html.HtmlElement) -> str | None:
    return next((text for node in tree.iter("h1") if (text := " ".join(node.text_content().split()))), None)


TITLE_SOURCES = ("json-ld headline", "og:title", "twitter:title", "h1", "title element")
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-–—:·•»«/]|::)\s+")


def title_candidates(
    tree: lxml.html.HtmlElement, structured: StructuredData, url: str | None = None
) -> dict[str, str]:
    """Every headline the page states, by source (TITLE_SOURCES), the <title> without the site's name.

    `_title` takes the structured headline first: on Fundus's publishers a majority vote of these
    sources matched the expected titles less often (benchmarks/extraction_quality.py prints both).
    """
    meta = {
        (node.get("name") or node.get("property") or "").lower(): node.get("content") or ""
        for node in tree.iter("meta")
    }
    h1 = _first_h1(tree)
    title = next((node.text_content() for node in tree.iter("title")), None)
    own = _own_keys((structured.site_name, structured.publisher), url)
    values = (
        structured.headline,
        structured.og_title,
        meta.get("twitter:title"),
        h1,
        _without_site_name(_unescaped(title), own) if title else None,
    )
    return {
        source: _unescaped(value)
        for source, value in zip(TITLE_SOURCES, values, strict=True)
        if value and value.strip()
    }


def _without_site_name(title: str, own: frozenset[str]) -> str:
    """A title without the site's name before or after a separator ("Headline | Site")."""
    start, end = 0, len(title)
    separators = list(_TITLE_SEPARATOR.finditer(title))
    for sep in reversed(separators):
        if not _is_own(_key(title[sep.end() : end]), own):
            break
        end = sep.start()
    for sep in separators:
        if sep.start() >= end or not _is_own(_key(title[start : sep.start()]), own):
            break
        start = sep.end()
    return title[start:end]


def _unescaped(value: str) -> str:
    # some CMSs escape HTML entities twice inside JSON-LD and meta content
    return " ".join(html_lib.unescape(value).split()) if "&" in value else " ".join(value.split())


def _published(tree: lxml.html.HtmlElement, url: str | None, structured: StructuredData) -> str | None:
    # The page's own published-time fields usually carry the instant with its offset;
    # htmldate (trafilatura's date finder) returns the day only, so it is the fallback.
    first_day = None
    for candidate in (structured.date_published, *_date_candidates(tree)):
        value = normalize_date(candidate) if candidate else None
        if value is None:
            continue
        if "T" in value:
            return value
        first_day = first_day or value
    if first_day:
        return first_day
    found = find_date(tree, **{**set_date_params(True), "url": url})
    return normalize_date(found) if found else None


def _date_candidates(tree: lxml.html.HtmlElement) -> Iterator[str]:
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


def _declared_language(tree: lxml.html.HtmlElement, structured: StructuredData) -> str | None:
    """The first language tag the page declares; a value that is no tag ("utf-8") is passed over."""
    candidates = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        structured.in_language,
        *(
            meta.get("content")
            for meta in tree.iter("meta")
            if (meta.get("property") or meta.get("http-equiv") or meta.get("name") or "").lower()
            in ("og:locale", "content-language", "language")
        ),
    ]
    return next((value for value in candidates if declared_code(value)), None)
