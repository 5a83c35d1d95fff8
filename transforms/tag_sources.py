"""Source attribution: which agencies and outlets an article is, credits, or pictures.

One Aho-Corasick pass finds every registry name in the text (the matcher, here); each hit is
then kept only when the words around it make it a credit. Each credit form has a detector of
its own in `credit_forms.py` (picture credit, dateline, signature, copyright line, cited with a
verb, byline, co-credit), tried in that order; a bare mention is never a credit: that is what
keeps "CNN laid off 100 employees", "Michael Bloomberg" or "las AFP" untagged. This module
also reads the credits outside the text (byline, page credits, links) and merges the tags.

The cue words live in data, compiled by `credit_cues.py`: language-neutral marks in
`data/credit_cues.yaml`, the words of each language in `data/cues/<language>.yaml`, the names
in `data/sources.yaml`. Every pattern runs on a window of a few hundred characters around one
name, or scans the text once without nested repetition, so the time grows linearly with the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import ahocorasick

from transforms.credit_cues import CuePatterns, alternation, is_unspaced_script, load_cue_patterns
from transforms.credit_forms import (
    WINDOW,
    CreditForm,
    capitalised_name_before,
    classify_cited,
    classify_credit,
)
from transforms.records import TEXT_ROLES, Article, Credit, SourceTag
from transforms.registry import Registry, Source, load_registry

# Credits whose words are the article's own byline or metadata: a name standing alone in
# them is the article's author, so it needs no further cue.
BYLINE_WHERES = frozenset(
    {
        "byline",
        "author_meta",
        "jsonld",
        "jsonld_source",
        "jsonld_publisher",
        "jsonld_credit",
        "site_name",
        "source",
        "credit_line",
        "signature",
    }
)
# Credits that name the site or the article's rights holder: a credit only when it is an agency's.
PUBLISHER_WHERES = frozenset({"jsonld_publisher", "jsonld_credit", "site_name"})
# Credits that name the article's authors and nothing else: structured data and author meta tags.
AUTHOR_WHERES = frozenset({"author_meta", "jsonld", "jsonld_source"})
# Credits that belong to the site or to other articles (footers, sidebars, teasers): trusted
# only when they name the site's own owner ("© Reuters" on reuters.com).
CAUTIOUS_WHERES = frozenset({"site_footer", "related"})
CAPTION_WHERES = frozenset({"caption", "photo_credit", "picture_credit", "jsonld_image"})
# Credits read from structured data: the evidence says which field held the words.
STRUCTURED_LABELS = {
    "jsonld": "JSON-LD author",
    "jsonld_source": "JSON-LD sourceOrganization",
    "jsonld_image": "JSON-LD image credit",
    "jsonld_publisher": "JSON-LD publisher",
    "jsonld_credit": "JSON-LD copyright or credit",
    "site_name": "site name",
    "author_meta": "meta author",
    "description": "meta description",
}

# Quotation marks around a title: „Spiegel“, « Spiegel », "Spiegel", 'Spiegel'.
_OPEN_QUOTES = frozenset("„“”\"«»‹›‚‘'")
_CLOSE_QUOTES = frozenset("“”\"»«›‹‘’'")
_URL = re.compile(r"https?://[^\s)\]>\"'“”]+")
# The end of a part of a caption: a bar, a closing bracket, a dash between spaces or the end.
_PART_END = re.compile(r"\s*+(?:[|)\]]|[-–—]\s|$)")
# A sentence: a lower-case word of three letters or more, and later an end mark.
_SENTENCE = re.compile(r"(?<![\w/])[^\W\d_A-Z]{3,}\b[^.!?]*[.!?](?:\s|$)")


@dataclass(frozen=True, slots=True)
class NameHit:
    start: int
    end: int
    source: Source
    dateline_only: bool  # a token such as "CP" that names the source only in a dateline/signature


class RegistryMatcher:
    """All names of a registry in one Aho-Corasick automaton over lower-cased text."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        # (as written, source, a dateline-only token, a name only when quoted)
        words: dict[str, list[tuple[str, Source, bool, bool]]] = {}
        for source in registry.sources:
            for alias in source.aliases:
                words.setdefault(_fold(alias), []).append((alias, source, False, False))
            for token in source.datelines:
                if token not in source.aliases:
                    words.setdefault(_fold(token), []).append((token, source, True, False))
            for title in source.quoted:
                words.setdefault(_fold(title), []).append((title, source, False, True))
        self.automaton = ahocorasick.Automaton()
        for key, entries in words.items():
            self.automaton.add_word(key, (len(key), tuple(entries)))
        self.empty = not words
        if not self.empty:
            self.automaton.make_automaton()
        names = {a for s in registry.sources if s.photo_only for a in s.aliases}
        # A photo agency named within a few words after a name: "(Mahmoud Issa / Anadolu / Getty)".
        alt = alternation(map(re.escape, names))
        self.photo_agency = PhotoAgencies(
            # named within a few words after a name: "(Mahmoud Issa / Anadolu / Getty)"
            re.compile(rf"^[^.;\n]{{0,40}}?(?<![\w]){alt}(?!\w)"),
            # or right before it, a slash between: "picture alliance / Xinhua", "IMAGO/ZUMA Press"
            re.compile(rf"(?<![\w]){alt}\s*[/|]\s*(?:[^/|\n]{{1,30}}[/|]\s*)?$"),
        )

    def hits(self, text: str) -> list[NameHit]:
        if self.empty or not text:
            return []
        lowered = _fold(text)
        found: list[NameHit] = []
        for last, (length, entries) in self.automaton.iter(lowered):
            start, end = last - length + 1, last + 1
            if not _bounded(text, start, end):
                continue
            written = text[start:end]
            for alias, source, dateline_only, quoted in entries:
                # As written or in capitals only: "quartz" is a mineral, "the guardian" a role.
                if written == alias or (written == alias.upper() and any(c.islower() for c in alias)):
                    if quoted:
                        if not (start > 0 and end < len(text)):
                            continue
                        if text[start - 1] not in _OPEN_QUOTES or text[end] not in _CLOSE_QUOTES:
                            continue
                        start, end = start - 1, end + 1  # the quotation marks belong to the title
                    found.append(NameHit(start, end, source, dateline_only))
                    break
        return _longest(found)


def _fold(text: str) -> str:
    """Lower case, character for character: a few characters ("İ") lower to two, and are kept as
    they are so that offsets stay aligned; names and text are folded alike ("İHA" finds "İHA")."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _bounded(text: str, start: int, end: int) -> bool:
    """True when the match is a whole word: not inside "A$AP", "Rede-AP", "money.cnn.com".

    A name in a script without spaces ("共同通信によると") needs no boundary; a short one ("共同")
    still must not run on into another word of its script ("共同声明", a joint statement).
    """
    first, last = text[start], text[end - 1]
    if is_unspaced_script(first) and is_unspaced_script(last):
        return end - start > 2 or end == len(text) or not is_unspaced_script(text[end])
    if start > 0:
        before = text[start - 1]
        if (before.isalnum() and not is_unspaced_script(before)) or before in "$-_@.&":
            return False
    if end < len(text):
        after = text[end]
        if (
            (after.isalnum() and not is_unspaced_script(after))
            or after in "$_@&"
            or (after == "." and end + 1 < len(text) and text[end + 1].isalnum())
        ):
            return False
    return True


def _longest(hits: list[NameHit]) -> list[NameHit]:
    """Drop hits inside longer ones ("Xinhua" inside "Xinhua News Agency")."""
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[NameHit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


_MATCHERS: dict[int, RegistryMatcher] = {}


def registry_matcher(registry: Registry) -> RegistryMatcher:
    """The registry's names in one automaton, built once per registry object."""
    found = _MATCHERS.get(id(registry))
    if found is None or found.registry is not registry:
        found = _MATCHERS[id(registry)] = RegistryMatcher(registry)
    return found


@dataclass(frozen=True, slots=True)
class PhotoAgencies:
    """Where a photo agency's name next to another name makes both a picture credit."""

    after: re.Pattern[str]
    before: re.Pattern[str]


def _classify_all(
    seg: str,
    hits: list[NameHit],
    cues: CuePatterns,
    photo_agency: PhotoAgencies | None,
    language: str | None = None,
) -> Iterator[tuple[NameHit, CreditForm]]:
    """Each hit with its form; a name listed after a credited one shares its role, and so does one
    listed before a name cited by the words after it ("As both NBC News and Bloomberg have reported")."""
    found_all = list(_classify_forward(seg, hits, cues, photo_agency, language))
    by_start = {h.start: (h, f) for h, f in found_all}
    for i in range(len(hits) - 2, -1, -1):
        hit, following = hits[i], by_start.get(hits[i + 1].start)
        if hit.start in by_start or following is None or hit.dateline_only:
            continue
        later_hit, later = following
        between = seg[hit.end : later_hit.start]
        if (
            later.role == "cited"
            and later.start == later_hit.start  # the cue follows the names
            and cues.list_join.match(between)
            and not cues.not_followed_by.match(seg[hit.end : hit.end + 40])
            # strictly: "Michael Bloomberg and Reuters reported" names a person first
            and not capitalised_name_before(seg[max(0, hit.start - WINDOW) : hit.start], cues, strict=True)
        ):
            by_start[hit.start] = (hit, CreditForm("cited", hit.start, later.end, True))
    for hit in hits:
        if hit.start in by_start:
            yield by_start[hit.start]


def _classify_forward(
    seg: str, hits: list[NameHit], cues: CuePatterns, photo_agency: PhotoAgencies | None, language: str | None
) -> Iterator[tuple[NameHit, CreditForm]]:
    previous: tuple[NameHit, CreditForm] | None = None
    for hit in hits:
        found = classify_credit(seg, hit, cues, photo_agency)
        if found is None and hit.dateline_only and language and language == hit.source.language:
            found = classify_cited(seg, hit, cues, photo_agency)
        langs = hit.source.cite_languages
        if found is not None and found.role == "cited" and langs and language and language not in langs:
            found = None
        if found is None and previous is not None and previous[1].listable and not hit.dateline_only:
            between = seg[previous[0].end : hit.start]
            if cues.list_join.match(between) and not cues.not_followed_by.match(seg[hit.end : hit.end + 40]):
                found = CreditForm(previous[1].role, previous[1].start, hit.end, True)
        if found is not None:
            yield hit, found
        previous = (hit, found) if found is not None else None


# --- credits outside the text ---------------------------------------------------------------


def _outside_teasers(text: str, hits: list[NameHit], credits: tuple[Credit, ...]) -> list[NameHit]:
    """The hits not on a line of another article's teaser: a line the page shows in teasers as
    often as the text holds it ("Quelle: dpa" under four teased stories) credits those stories; a
    line the article holds once more than the teasers do is its own."""
    teaser_counts = Counter(c.text for c in credits if c.where == "teaser")
    text_counts: Counter[str] | None = None
    kept = []
    for hit in hits:
        start = text.rfind("\n", 0, hit.start) + 1
        end = text.find("\n", hit.end)
        line = _flat_line(text[start : end if end >= 0 else len(text)])
        shown = teaser_counts.get(line, 0)
        if shown:
            if text_counts is None:
                text_counts = Counter(_flat_line(row) for row in text.split("\n"))
            if text_counts[line] <= shown:
                continue
        kept.append(hit)
    return kept


def _flat_line(line: str) -> str:
    """A line of the text as its element's words: spaces collapsed, a list item's mark dropped."""
    words = line.split()
    if words and words[0] in ("-", "•", "*", "–"):
        words = words[1:]
    return " ".join(words)


def _credit_tags(
    credit: Credit, article: Article, matcher: RegistryMatcher, cues: CuePatterns
) -> Iterator[SourceTag]:
    text = credit.text
    if credit.where == "teaser":
        return  # a teased article's headline: used to set its credits aside, credits nothing
    if credit.where == "link":
        yield from _link_tags(text, matcher.registry)
        return
    if credit.where == "source_list":
        yield from _source_list_tags(text, matcher, cues)
        return
    hits = matcher.hits(text)
    if not hits:
        return
    names = matcher.photo_agency
    if credit.where in CAUTIOUS_WHERES:
        # A footer or sidebar names whatever the site carries; only its owner's notice counts.
        owner = _page_owner(article, matcher)
        for hit, found in _classify_all(text, hits, cues, names):
            if owner is not None and hit.source.name == owner and found.role == "origin":
                yield _tag(hit.source, "origin", text[found.start : found.end])
        return
    if credit.where in CAPTION_WHERES:
        label = STRUCTURED_LABELS.get(credit.where)
        for hit in hits:
            found = classify_credit(text, hit, cues, names)
            ends_credit = len(text) - hit.end <= 8 and len(text[hit.end :].strip()) <= 3
            # "… unter Strafe stellen. Imago/Blaulicht-News.de": a credit closing the caption.
            mark = text[max(0, hit.start - 3) : hit.start].rstrip()[-1:]
            closing = len(text) - hit.end <= 50 and mark != "" and mark in ".|"
            # "… | @Plan_INFOCA via X / Reuters | Archiv", "(… / Reuters) am Dienstag": the last name of a
            # chain of credits that a bar or a bracket closes, wherever that part stands in the caption.
            closing = closing or (mark == "/" and _PART_END.match(text, hit.end) is not None)
            if (
                found is not None
                and found.role == "cited"
                and not (ends_credit or closing or hit.source.photo_only)
            ):
                # "… according to The Guardian, …" in a caption credits a fact; a photo agency's name
                # there is the picture's credit whatever the cue ("(dpa/picture alliance via Getty) Die …")
                credit_like = False
            elif credit.where == "picture_credit":
                # An unmarked line after a picture: only a credit's shape makes it the picture's (a
                # photo agency's name is one, and so is a credit form in a line that is no sentence).
                credit_like = (
                    hit.source.photo_only
                    or (found is not None and (found.role == "photo" or not _SENTENCE.search(text)))
                    or ends_credit
                    or closing
                )
            elif hit.source.ambiguous and found is None and _runs_on(text, hit.start):
                # A name that is also a person's or a thing's, run on from the words before it ("Election
                # 2020 Bloomberg", a picture of the man), is a credit only where a mark sets it apart as the
                # caption's last words ("… Berlin. AP"); a slash, a bracket or the caption's start do too.
                credit_like = closing
            else:
                # A photo agency named in a caption credits its picture wherever the name stands in it
                # ("Die Sitzung (Pavel Golovkin/dpa/picture alliance) am Dienstag").
                credit_like = (
                    found is not None or ends_credit or closing or len(text) <= 60 or hit.source.photo_only
                )
            # The form's own words before the name ("Cortesía EFE") are no first name; a token that
            # names a source only in datelines and signatures ("Didem Mente/AA") may sign a picture.
            cue_before = found is not None and found.start < hit.start
            if (
                credit_like
                and (not hit.dateline_only or (found is not None and found.role == "photo"))
                and not cues.not_followed_by.match(text[hit.end : hit.end + 40])
                and (
                    cue_before
                    or not capitalised_name_before(text[max(0, hit.start - WINDOW) : hit.start], cues, True)
                )
            ):
                start = found.start if found else hit.start
                end = found.end if found else hit.end
                yield _tag(hit.source, "photo", f"{label}: {text[start:end]}" if label else text[start:end])
        return
    if credit.where in PUBLISHER_WHERES:
        # The publisher is the site itself: a credit only when an agency publishes its own copy.
        hits = [h for h in hits if h.source.kind == "agency" and not h.source.photo_only]
        if not hits:
            return
    label = STRUCTURED_LABELS.get(credit.where)
    classified = {(h.start, h.end): f for h, f in _classify_all(text, hits, cues, names, article.language)}
    whole = text.strip()
    for hit in hits:
        found = classified.get((hit.start, hit.end))
        if (
            found is not None
            and found.role == "photo"
            and credit.where in AUTHOR_WHERES
            and not hit.source.photo_only
            and not cues.photo_word.search(text)
        ):
            # An author field's "Anna Berg / dpa" names an author and her agency: a picture credit
            # there needs a photo word ("Foto: Anna Berg / dpa"). Byline elements are not so sure:
            # pages put picture credits in elements classed "credits" or "source".
            found = CreditForm("origin", found.start, found.end)
        if found is not None:
            words = text[found.start : found.end].strip()
            yield _tag(hit.source, found.role, f"{label}: {words}" if label else words)
        elif credit.where in BYLINE_WHERES and not hit.dateline_only and _byline_name(text, hit, cues):
            yield _tag(hit.source, "origin", f"{label}: {whole}" if label else whole)


def _runs_on(text: str, start: int) -> bool:
    """True when a word and spaces only come right before `start` ("2020 Bloomberg")."""
    before = text[max(0, start - 40) : start]
    stripped = before.rstrip()
    return len(stripped) < len(before) and stripped[-1:].isalnum()


def _source_list_tags(text: str, matcher: RegistryMatcher, cues: CuePatterns) -> Iterator[SourceTag]:
    """An entry of the page's list of sources cites the outlet it names ("CNN, “China exempts…,” Sept.
    13, 2019"; "Flaherty, Anne. “5 Key Takeaways….” ABC News. 15 November 2019."), not one named in
    the cited piece's quoted title, nor the end of a longer name ("Michael Bloomberg")."""
    for hit in matcher.hits(text):
        before = text[: hit.start]
        quoted = before.count("“") > before.count("”") or before.count('"') % 2 == 1
        if (
            hit.dateline_only
            or quoted
            or cues.not_followed_by.match(text[hit.end : hit.end + 40])
            or capitalised_name_before(before[-WINDOW:], cues, strict=True)
        ):
            continue
        yield _tag(hit.source, "cited", f"source list: {text}")


def _byline_name(text: str, hit: NameHit, cues: CuePatterns) -> bool:
    """True when a byline names the source as one of its authors, not inside another name."""
    before, after = text[max(0, hit.start - WINDOW) : hit.start], text[hit.end : hit.end + WINDOW]
    if cues.not_followed_by.match(after) or capitalised_name_before(before, cues, strict=True):
        return False
    if before.strip() and not cues.byline_name_before.search(before):
        return False
    return bool(cues.byline_after.match(after)) or len(text) <= 40


def _page_owner(article: Article, matcher: RegistryMatcher) -> str | None:
    if article.url:
        host = urlsplit(article.url).hostname or ""
        owner = matcher.registry.source_for_host(host)
        if owner is not None:
            return owner.name
    return None


def _link_tags(text: str, registry: Registry) -> Iterator[SourceTag]:
    for url in _URL.findall(text):
        source = registry.source_for_host(urlsplit(url).hostname or "")
        if source is not None:
            yield _tag(source, "via", url)


def _tag(
    source: Source, role: str, evidence: str, start: int | None = None, end: int | None = None
) -> SourceTag:
    return SourceTag(source=source.name, kind=source.kind, role=role, evidence=evidence, start=start, end=end)


def _photo_only(tags: Iterable[SourceTag], registry: Registry) -> Iterator[SourceTag]:
    """A photo agency is credited for pictures only: its other credit forms are picture credits."""
    for tag in tags:
        source = registry.by_name.get(tag.source)
        if source is not None and source.photo_only and tag.role in TEXT_ROLES:
            if tag.role == "cited":
                continue  # "according to Getty Images" credits a fact, not this article's picture
            yield SourceTag(tag.source, tag.kind, "photo", tag.evidence, tag.start, tag.end)
        else:
            yield tag


# --- the entry point ---------------------------------------------------------------------------


def tag_sources(article: Article, registry: Registry | None = None) -> tuple[SourceTag, ...]:
    """Every credit of a registered source in the article, with its role and exact words.

    Tags of `article.text` carry offsets (`article.text[start:end] == evidence`); tags from the
    byline, the page credits and the links carry none (for structured data the evidence names
    the field: "JSON-LD author: Reuters"). Exact duplicates are dropped.
    """
    registry = load_registry() if registry is None else registry
    matcher = registry_matcher(registry)
    cues = load_cue_patterns()
    text = article.text or ""
    tags: dict[SourceTag, None] = {}

    hits = matcher.hits(text)
    if hits and any(c.where == "teaser" for c in article.credits):
        hits = _outside_teasers(text, hits, article.credits)
    for hit, found in _classify_all(text, hits, cues, matcher.photo_agency, article.language):
        start, end = found.start, found.end
        while start < end and text[start].isspace():  # evidence is the words, not the spaces
            start += 1
        tags[_tag(hit.source, found.role, text[start:end], start, end)] = None

    # "(Via: http://money.cnn.com/...)": the link names the outlet the passage came from.
    if "://" in text:
        for m in cues.via_link.finditer(text):
            source = registry.source_for_host(urlsplit(m.group("url")).hostname or "")
            if source is not None:
                tags[_tag(source, "via", m.group(0), m.start(), m.end())] = None

    if article.links:
        via_sources = _sources_named_as_via(text, hits, cues)
        # A site's links to itself are navigation, not a source of the passage.
        via_sources.discard(_page_owner(article, matcher))
        for link in article.links:
            source = registry.source_for_host(urlsplit(link).hostname or "")
            if source is not None and source.name in via_sources:
                tags[_tag(source, "via", link)] = None

    credits = list(article.credits)
    if article.byline:
        credits.insert(0, Credit(article.byline, "byline"))
    # The site's own name as the article's author ("CBS Detroit" as author and publisher of
    # detroit.cbslocal.com) names the site, not a source it carries: an outlet's there is no credit.
    site_names = {" ".join(c.text.split()).casefold() for c in credits if c.where in PUBLISHER_WHERES}
    for credit in credits:
        own_name = credit.where in BYLINE_WHERES and " ".join(credit.text.split()).casefold() in site_names
        for tag in _credit_tags(credit, article, matcher, cues):
            if not (own_name and tag.kind == "outlet"):
                tags[tag] = None
    return tuple(dict.fromkeys(_photo_only(tags, registry)))


def _sources_named_as_via(text: str, hits: list[NameHit], cues: CuePatterns) -> set[str]:
    """Sources named right after "via" / "Source:" in the text ("h/t Quartz", "Source: CNN")."""
    return {h.source.name for h in hits if cues.via_name.search(text[max(0, h.start - 20) : h.start])}
