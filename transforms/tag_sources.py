"""Source attribution: which agencies and outlets an article is, credits, or pictures.

One Aho-Corasick pass finds every registry name in the text; each hit is then kept only
when the words around it make it a credit (a dateline, a byline, a copyright line, "told X",
"X reported", "Foto: X", a "(Via: URL)" link...). A bare mention is never a credit: that is
what keeps "CNN laid off 100 employees", "Michael Bloomberg" or "las AFP" untagged.

The cue words of each form live in `data/credit_cues.yaml`, the names in `data/sources.yaml`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import ahocorasick

from transforms.records import Article, Credit, SourceTag
from transforms.registry import DATA_DIR, Registry, Source, load_registry, read_data_file

CUES_FILE = DATA_DIR / "credit_cues.yaml"

# Credits whose words are the article's own byline or metadata: a name standing alone in
# them is the article's author, so it needs no further cue.
BYLINE_WHERES = frozenset({"byline", "author_meta", "jsonld", "source", "credit_line", "signature"})
# Credits that belong to the site or to other articles (footers, sidebars, teasers): trusted
# only when they name the site's own owner ("© Reuters" on reuters.com).
CAUTIOUS_WHERES = frozenset({"site_footer", "related"})
CAPTION_WHERES = frozenset({"caption", "photo_credit"})

_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"  # capitals, including the Latin Extended-A range (Č, Ł, Ś ...)
_NAME_WORD = rf"[{_UPPER}][\w'’.-]+"
_STOP_FILLER = (
    r"(?:that|which|who|whom|whose|and|or|but|if|when|while|dass|daß|und|oder|aber|wenn|que|y|o|pero"
    r"|qui|et|mais|ou|che|e|ma|not|nicht|no|never|nie|jamais|by|of|von|from|for|in|on|at|with|to|about"
    r"|über|im|am|para|por|en|sur|dans|is|was|are|ist|war|es|est)"
)
_ARTICLES = frozenset({"The", "Der", "Die", "Das", "La", "Le", "Les", "El", "Il", "Los", "Las", "Lo", "De"})
_TITLES = frozenset({"Mr.", "Mrs.", "Ms.", "Dr.", "Sen.", "Rep.", "Gov.", "Prof.", "St."})
_URL = re.compile(r"https?://[^\s)\]>\"'“”]+")


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    source: Source
    dateline_only: bool  # a token such as "CP" that names the source only in a dateline/signature


@dataclass(frozen=True, slots=True)
class _Form:
    role: str
    start: int  # evidence span, relative to the segment being classified
    end: int
    listable: bool = False  # a following "X, Y and Z" inherits this role ("according to AFP and EFE")


def _alt(items: Iterable[str]) -> str:
    return "(?:" + "|".join(sorted(set(items), key=len, reverse=True)) + ")"


def _flat(value: object) -> list[str]:
    if isinstance(value, dict):
        return [item for items in value.values() for item in items]
    return list(value)  # type: ignore[arg-type]


class _Cues:
    """The compiled patterns of each credit form, built from the cue data file."""

    def __init__(self, data: dict) -> None:
        cited_before = _alt(_flat(data["cited_before"]))
        self.cited_before = re.compile(
            rf"(?:(?<!\w)|(?=[,;]))(?P<cue>{cited_before})\s+"
            rf"(?P<filler>(?:(?!{_STOP_FILLER}\b)[\w'’-]+\s+){{0,3}})(?:[ld]['’]\s*)?$",
            re.I,
        )
        self.cited_after = re.compile(
            r"^(?:\s+(?:news\s+agency|news\s+service|wire\s+service|nachrichtenagentur|agency|news))?"
            rf"\s*,?\s*(?P<cue>{_alt(_flat(data['cited_after']))})(?!\w)",
            re.I,
        )
        self.cited_after_unambiguous = re.compile(
            r"^(?:\s+(?:news\s+agency|news\s+service|agency))?"
            rf"\s*,?\s*(?P<cue>{_alt(data['cited_after_unambiguous'])})(?!\w)",
            re.I,
        )
        self.cited_compound = re.compile(rf"^-{_alt(data['cited_compound'])}(?!\w)")
        photo_lead = (
            rf"(?:{_alt(data['photo_before'])}\s*{_alt(data['photo_marks'])}"
            rf"|{_alt(data['photo_credit_words'])})"
        )
        self.photo_before = re.compile(rf"(?<!\w){photo_lead}[^.!?;\n]{{0,50}}$", re.I)
        self.photo_after = re.compile(rf"^\s*{_alt(data['photo_after'])}(?!\w)", re.I)
        byline = _alt(re.escape(w) for w in data["byline_words"])
        self.byline_before = re.compile(
            rf"^\s*[-–—•|]?\s*(?P<cue>{byline})\s*:?\s+"
            r"(?:[^\n]{1,60}?(?:,|/|\||\s(?:and|und|y|et|e|&)\s)\s*"
            r"|(?:[A-Z][A-Z.'’-]+\s+(?:(?:and|und|&)\s+)?){1,6})?"
            r"(?:(?:the|der|die|la|l['’])\s*|Agencia\s+|Agence\s+|Agência\s+)?$"
        )
        self.byline_after = re.compile(
            r"^(?:\s*$|\s*[,;|/&(]|\s*[-–—:]|\s+(?:and|und|y|et|e|in|aus|en|from|with)\s|\s+\d"
            r"|\s+(?:Staff|staff|Writer|Correspondent|Reporter|Editor|Updated|Published|Aktualisiert"
            r"|Actualizado|Publicado|News|Wire|\w+day\b))"
        )
        self.writer_after = re.compile(
            r"^\s+(?:[A-Z][a-z]+\s+){0,2}(?:Writer|Correspondent|Reporter|Editor|Staff)\b"
        )
        self.cocredit_before = re.compile(
            rf"(?<!\w){_alt(data['cocredit_before'])}\s*(?:the\s+|las?\s+agencias?\s+|der\s+|l['’]\s*)?$",
            re.I,
        )
        self.cocredit_after = re.compile(rf"^\s+{_alt(data['cocredit_after'])}(?!\w)", re.I)
        cosign = _alt(data["cosign_words"])
        self.cosign_before = re.compile(rf"(?:^|\s){cosign}\s+$", re.I)
        self.paren_cosign_before = re.compile(rf"\(\s*(?:[\w.]{{1,20}}\s+)?{cosign}\s+$", re.I)
        self.copyright_before = re.compile(
            rf"{_alt(data['copyright'])}\s*(?:\d{{1,4}}(?:\s*[-–]\s*\d{{4}})?\s*,?\s*)?(?:by\s+)?"
            r"(?:the\s+)?(?:Thomson\s+)?(?:[\w.&-]+\s*/\s*)*$",
            re.I,
        )
        self.site_notice = re.compile(_alt(data["site_notice"]), re.I)
        # Single cue words that may open a credit in capitals ("By", "Foto", "Laut").
        self.lead_words = frozenset(
            w.lower()
            for key in ("cited_before", "byline_words", "photo_before", "photo_credit_words", "cosign_words")
            for w in _flat(data[key])
            if re.fullmatch(r"[^\W\d_]+", w)
        )
        self.descriptors = frozenset(data["descriptors"])
        self.plural_before = re.compile(rf"(?<!\w){_alt(data['plural_articles'])}\s+$", re.I)
        self.not_followed_by = re.compile(
            rf"^\s+{_alt(re.escape(w) for w in data['not_followed_by'])}(?![\w])"
        )
        self.business_after = re.compile(
            rf"^[^.;\n]{{0,40}}?(?<!\w){_alt(data['business_after'])}(?!\w)", re.I
        )
        self.via_link = re.compile(
            rf"(?<!\w){_alt(data['via_words'])}\s*:?\s*(?P<url>https?://[^\s)\]>\"'“”]+)", re.I
        )
        self.via_name = re.compile(rf"(?<!\w){_alt(data['via_words'])}\s*:?\s*$", re.I)


@functools.cache
def _load_cues(path: Path = CUES_FILE) -> _Cues:
    return _Cues(read_data_file(path))


class _Matcher:
    """All names of a registry in one Aho-Corasick automaton over lower-cased text."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        words: dict[str, list[tuple[str, Source, bool]]] = {}
        for source in registry.sources:
            for alias in source.aliases:
                words.setdefault(alias.lower(), []).append((alias, source, False))
            for token in source.datelines:
                if token not in source.aliases:
                    words.setdefault(token.lower(), []).append((token, source, True))
        self.automaton = ahocorasick.Automaton()
        for key, entries in words.items():
            self.automaton.add_word(key, (len(key), tuple(entries)))
        self.empty = not words
        if not self.empty:
            self.automaton.make_automaton()

    def hits(self, text: str) -> list[_Hit]:
        if self.empty or not text:
            return []
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters ("İ") lower to two: keep offsets aligned
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        found: list[_Hit] = []
        for last, (length, entries) in self.automaton.iter(lowered):
            start, end = last - length + 1, last + 1
            if not _bounded(text, start, end):
                continue
            written = text[start:end]
            for alias, source, dateline_only in entries:
                # As written or in capitals only: "quartz" is a mineral, "the guardian" a role.
                if written == alias or (written == alias.upper() and any(c.islower() for c in alias)):
                    found.append(_Hit(start, end, source, dateline_only))
                    break
        return _longest(found)


def _bounded(text: str, start: int, end: int) -> bool:
    """True when the match is a whole word: not inside "A$AP", "Rede-AP", "money.cnn.com"."""
    if start > 0:
        before = text[start - 1]
        if before.isalnum() or before in "$-_@.&":
            return False
    if end < len(text):
        after = text[end]
        if (
            after.isalnum()
            or after in "$_@&"
            or (after == "." and end + 1 < len(text) and text[end + 1].isalnum())
        ):
            return False
    return True


def _longest(hits: list[_Hit]) -> list[_Hit]:
    """Drop hits inside longer ones ("Xinhua" inside "Xinhua News Agency")."""
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


_MATCHERS: dict[int, _Matcher] = {}


def _matcher(registry: Registry) -> _Matcher:
    found = _MATCHERS.get(id(registry))
    if found is None or found.registry is not registry:
        found = _MATCHERS[id(registry)] = _Matcher(registry)
    return found


# --- the forms ---------------------------------------------------------------------------------

_DATELINE_PLACE = re.compile(rf"^\s*(?P<place>[{_UPPER}][^()\n\"“”„«»]{{0,70}}?)?\s*\(\s*$")
_DATELINE_CLOSE = re.compile(
    rf"^(?:\s*[/,]\s*[\w.]{{1,15}}|\s+[\d.]{{4,10}})*(?:\s+[{_UPPER}][a-z]+){{0,2}}\s*\)"
)
# After a bare "(CNN)" the text may follow at once: "(CNN)President Donald Trump".
_DATELINE_REST_BARE = re.compile(rf"^(?:\s*(?:[-–—]+|\.\s*[-–—]+|:|\.|$)|[{_UPPER}])")
# Not a comma: "Randolfe Rodrigues (AP), líder da oposição" is a party and state, not a dateline.
_DATELINE_REST = re.compile(rf"^\s*(?:[-–—]+|\.\s*[-–—]+|[:.]|$|[{_UPPER}0-9\"“„])")
_DASH = re.compile(r"^\s*(?:\.\s*)?[-–—]+")
_SLASH_DATELINE = re.compile(rf"^\s*[{_UPPER}][^()\n/]{{0,50}}[.,]\s*/$")
_VIA_DATELINE = re.compile(rf"^\s*[{_UPPER}][^\n.]{{0,40}}\bvia\s+$")
_SIGNATURE_AFTER = re.compile(r"^(?:\s*[/,]\s*[\w.]{1,15}|\s+[\d.]{4,10})*\s*\)?\s*[.*]?\s*$")
_SLASH_SIGNATURE = re.compile(r"^\s*(?:[\w.]{1,12}\s*:\s*)?(?:[\w.]{1,12}\s*/\s*)+$")
# One character class, so that a long line cannot make the match backtrack.
_STANDALONE_AFTER = re.compile(r"^[\s\d,|/.:–—\-a-záéíóúñäöüßàèìòùç]*(?:[AP]M)?[\s.]*$")
_NAME_SLASH_BEFORE = re.compile(rf"(?:^|[\s(:|])(?:{_NAME_WORD})(?:\s+{_NAME_WORD}){{1,3}}\s*/\s*$")
_SLASH_NAME_AFTER = re.compile(rf"^\s*[/|]\s*(?P<first>{_NAME_WORD})(?:\s+{_NAME_WORD})+")
_PHOTO_AGENCY_AFTER = re.compile(
    r"^[^.;\n]{0,40}?\b(?:via\s+Getty|Getty\s+Images|ZUMA|picture[ -]alliance|Imago)\b", re.I
)
_LIST_JOIN = re.compile(
    r"^\s*(?:,|/|&|\+|\band\b|\bund\b|\by\b|\bet\b|\be\b|\bor\b|\boder\b|\bo\b)\s*(?:the\s+)?$"
)
_PREV_WORD = re.compile(r"(\S+)\s+$")
_SENTENCE_END = re.compile(r"[.!?…]\s+(?=\S)")


def _capitalised_name_before(before: str, cues: _Cues, strict: bool = False) -> bool:
    """True when the name is the end of a longer proper name: "Michael R. Bloomberg".

    In running text a capitalised word opening the sentence ("Yesterday Reuters reported") is
    not taken for a first name; in a short credit (`strict`) only cue words ("By", "Foto") are
    let through.
    """
    found = _PREV_WORD.search(before)
    if not found:
        return False
    word = found.group(1)
    if not word[0].isupper() or word in cues.descriptors:
        return False
    if strict:
        return word.lower().rstrip(":") not in cues.lead_words
    if word.endswith(".") and len(word) > 2 and word not in _TITLES:
        return False  # the end of the previous sentence
    if word[-1] in ',;:)"”»–—-':
        return False
    return before[: found.start()].rstrip()[-1:] not in ("", ".", "!", "?", ":", "\n", '"', "“", "(")


def _classify(seg: str, start: int, end: int, hit: _Hit, cues: _Cues) -> _Form | None:
    """The credit form around seg[start:end], a name within one line or credit, if any."""
    ls = seg.rfind("\n", 0, start) + 1
    le = seg.find("\n", end)
    le = len(seg) if le < 0 else le
    # Forms sit within a few words of the name: look no further, so long paragraphs stay cheap.
    ls = max(ls, start - 200)
    le = min(le, end + 200)
    line = seg[ls:le]
    s, e = start - ls, end - ls
    before, after = line[:s], line[e:]

    def form(role: str, a: int, b: int, listable: bool = False) -> _Form:
        return _Form(role, ls + a, ls + b, listable)

    blocked = bool(cues.not_followed_by.match(after)) or bool(cues.plural_before.search(before[-20:]))

    # Image credits first: a photo credit is never origin or cited.
    m = cues.photo_after.match(after)
    if m and not cues.cited_before.search(before[-120:]):
        # The photographer's name after "AP Photo/" belongs to the credit.
        name = re.match(r"\s*/\s*[^)/\n]{1,40}\)?", after[m.end() :])
        return form("photo", s, e + m.end() + (name.end() if name else 0))
    m = _SLASH_NAME_AFTER.match(after)
    if m and m.group("first") not in _ARTICLES:
        return form("photo", s, e + m.end())
    m = _NAME_SLASH_BEFORE.search(before)
    if m:
        return form("photo", m.start() + (before[m.start()] in " (:|"), e)
    if _PHOTO_AGENCY_AFTER.match(after) and "(" in before[-60:] + "(":
        m = _PHOTO_AGENCY_AFTER.match(after)
        if "/" in before[-40:] or "/" in after[:3] or cues.photo_before.search(before[-80:]):
            return form("photo", s, e + m.end())
    if blocked:
        return None

    # Datelines: "BEIJING, China (AFP) —", "(EFE).-", "Hamburg (dpa/lno) –".
    m = _DATELINE_PLACE.match(before)
    c = _DATELINE_CLOSE.match(after)
    if m and c:
        place = m.group("place") or ""
        rest = after[c.end() :]
        ok_place = not place or (len(place.split()) <= 8 and sum(w[:1].islower() for w in place.split()) <= 3)
        if ok_place and (_DATELINE_REST.match(rest) if place else _DATELINE_REST_BARE.match(rest)):
            d = _DASH.match(rest)
            stop = e + c.end() + (d.end() if d else 0)
            return form("origin", len(before) - len(before.lstrip()), stop, True)  # "(AFP/dpa)"
    m = _SLASH_DATELINE.match(before)
    if m and after.startswith("/"):  # "MOSCOW, November 18. /TASS/."
        return form("origin", len(before) - len(before.lstrip()), e + 1)
    if _VIA_DATELINE.match(before) and _DASH.match(after):
        return form("origin", len(before) - len(before.lstrip()), e + _DASH.match(after).end())

    # Signatures at the end of a paragraph: "(dpa)", "(dpa/gem)", "(KNA 19.11.21)", "(FR mit dpa)",
    # "-- AFP", "aja/PAP", and a name alone on its line ("PTI", "AFP").
    if _SIGNATURE_AFTER.match(after):
        tail = after.rstrip()
        if ")" in after and (before.rstrip().endswith("(") or cues.paren_cosign_before.search(before)):
            return form("origin", before.rfind("("), e + len(tail), True)
        if not after.strip() and re.search(r"\w[.!?\"”]\s+$", before):  # "... into the US. PTI"
            return form("origin", s, e)
        if re.search(r"\S\s*[-–—]{1,2}\s*$", before):
            return form("origin", re.search(r"[-–—]{1,2}\s*$", before).start(), e + len(tail.rstrip(".")))
        if len(line.strip()) <= 40 and _SLASH_SIGNATURE.match(before):
            return form("origin", len(before) - len(before.lstrip()), e + len(tail))
        if len(line.strip()) <= 40 and cues.cosign_before.search(before) and ")" not in after:
            return form("origin", len(before) - len(before.lstrip()), e + len(tail))
    if not before.strip() and not hit.dateline_only:
        rest = after.split()
        if (
            len(line.strip()) <= 60
            and _STANDALONE_AFTER.match(after)
            and not re.search(r"[^\W\d_]{3,}\.\s*$", after)  # a sentence, not a date line
        ) and (not any(w[0].isalpha() for w in rest) or (len(rest) <= 7 and any(c.isdigit() for c in after))):
            return form("origin", len(before), len(line.rstrip()))
        if re.match(r"^\s*/\s*[\w .'’-]{1,30}$", after):  # "AFP/The Local"
            return form("origin", len(before), len(line.rstrip()))
    if hit.dateline_only:
        return None

    # Photo credits introduced by a photo word: "Foto: dpa", "Image copyright Reuters".
    m = cues.photo_before.search(before[-80:])
    if m:
        sentence = _SENTENCE_END.split(before[-80:][m.start() :])
        if len(sentence) == 1:
            return form("photo", len(before) - len(before[-80:]) + m.start(), e)

    # Copyright lines: "© AFP", "Copyright 2019 The Associated Press", "© 2012 APA/AP".
    m = cues.copyright_before.search(before[-60:])
    if m and not cues.site_notice.search(line):
        return form("origin", len(before) - len(before[-60:]) + m.start(), e, True)

    # Cited: "told Reuters", "according to AFP", "laut der Nachrichtenagentur Reuters".
    window = before[-160:]
    offset = len(before) - len(window)
    m = cues.cited_before.search(window)
    if m:
        filler = m.group("filler").split()
        name_like = filler and filler[-1][:1].isupper() and filler[-1] not in cues.descriptors
        if not name_like and not _capitalised_name_before(before, cues):
            return form("cited", offset + m.start("cue"), e, True)
    m = cues.cited_after.match(after) or (
        None if hit.source.ambiguous else cues.cited_after_unambiguous.match(after)
    )
    if m and not cues.business_after.match(after[m.end() :]) and not _capitalised_name_before(before, cues):
        return form("cited", s, e + m.end(), True)
    m = cues.cited_compound.match(after)
    if m:
        return form("cited", s, e + m.end())

    # Bylines and co-credits: "By Reuters", "Von David Hutzler, dpa", "Tom Krisher, AP Auto Writer",
    # "Additional reporting by Reuters", "Con información de AFP, EFE y Reuters", "AFP contributed".
    m = cues.byline_before.match(before)
    if m and cues.byline_after.match(after):
        return form("origin", m.start("cue"), e, True)
    if before.rstrip().endswith(",") and re.match(
        r"^\s+(?:[a-z]+\s+){0,2}(?:writer|correspondent|reporter|editor)\b", after
    ):  # "Caroline Hawley, BBC diplomatic correspondent"
        return form("origin", s, e + len(after.split(",")[0].rstrip()))
    if cues.writer_after.match(after) and not _capitalised_name_before(before, cues):
        return form("origin", s, e + cues.writer_after.match(after).end())
    m = cues.cocredit_before.search(before[-80:])
    if m:
        return form("origin", len(before) - len(before[-80:]) + m.start(), e, True)
    m = cues.cocredit_after.match(after)
    if m:
        return form("origin", s, e + m.end())
    return None


def _classify_all(
    seg: str, hits: list[_Hit], cues: _Cues, language: str | None = None
) -> Iterator[tuple[_Hit, _Form]]:
    """Each hit with its form; a name listed after a credited one shares its role."""
    previous: tuple[_Hit, _Form] | None = None
    for hit in hits:
        found = _classify(seg, hit.start, hit.end, hit, cues)
        langs = hit.source.cite_languages
        if found is not None and found.role == "cited" and langs and language and language not in langs:
            found = None
        if found is None and previous is not None and previous[1].listable and not hit.dateline_only:
            between = seg[previous[0].end : hit.start]
            if _LIST_JOIN.match(between) and not cues.not_followed_by.match(seg[hit.end :]):
                found = _Form(previous[1].role, previous[1].start, hit.end, True)
        if found is not None:
            yield hit, found
        previous = (hit, found) if found is not None else None


# --- credits outside the text ---------------------------------------------------------------


def _credit_tags(credit: Credit, article: Article, matcher: _Matcher, cues: _Cues) -> Iterator[SourceTag]:
    text = credit.text
    hits = matcher.hits(text)
    if credit.where == "link":
        yield from _link_tags(text, matcher.registry)
        return
    if not hits:
        return
    if credit.where in CAUTIOUS_WHERES:
        # A footer or sidebar names whatever the site carries; only its owner's notice counts.
        owner = _page_owner(article, matcher)
        for hit, found in _classify_all(text, hits, cues):
            if owner is not None and hit.source.name == owner and found.role == "origin":
                yield _tag(hit.source, "origin", text[found.start : found.end])
        return
    if credit.where in CAPTION_WHERES:
        for hit in hits:
            found = _classify(text, hit.start, hit.end, hit, cues)
            tail = text[hit.end :].strip()
            credit_like = found is not None or len(tail) <= 3 or len(text) <= 60
            if (
                credit_like
                and not hit.dateline_only
                and not cues.not_followed_by.match(text[hit.end :])
                and not _capitalised_name_before(text[: hit.start], cues, strict=True)  # "Michael Bloomberg"
            ):
                start = found.start if found else hit.start
                end = found.end if found else hit.end
                yield _tag(hit.source, "photo", text[start:end])
        return
    classified = {(h.start, h.end): f for h, f in _classify_all(text, hits, cues, article.language)}
    for hit in hits:
        found = classified.get((hit.start, hit.end))
        if found is not None:
            yield _tag(hit.source, found.role, text[found.start : found.end].strip())
        elif credit.where in BYLINE_WHERES and not hit.dateline_only and _byline_name(text, hit, cues):
            yield _tag(hit.source, "origin", text.strip())


def _byline_name(text: str, hit: _Hit, cues: _Cues) -> bool:
    """True when a byline names the source as one of its authors, not inside another name."""
    before, after = text[: hit.start], text[hit.end :]
    if cues.not_followed_by.match(after) or _capitalised_name_before(before, cues, strict=True):
        return False
    if before.strip() and not re.search(
        r"(?:[,;/|&:(–—-]|\s(?:and|und|y|et|e|by|von|por|par)|^\s*(?:by|von|por|par|from))\s*$",
        before,
        re.I,
    ):
        return False
    return bool(cues.byline_after.match(after)) or len(text) <= 40


def _page_owner(article: Article, matcher: _Matcher) -> str | None:
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


# --- the entry point ---------------------------------------------------------------------------


def tag_sources(article: Article, registry: Registry | None = None) -> tuple[SourceTag, ...]:
    """Every credit of a registered source in the article, with its role and exact words.

    Tags of `article.text` carry offsets (`article.text[start:end] == evidence`); tags from the
    byline, the page credits and the links carry none. Exact duplicates are dropped.
    """
    registry = load_registry() if registry is None else registry
    matcher = _matcher(registry)
    cues = _load_cues()
    text = article.text or ""
    tags: dict[SourceTag, None] = {}

    hits = matcher.hits(text)
    for hit, found in _classify_all(text, hits, cues, article.language):
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
    for credit in credits:
        for tag in _credit_tags(credit, article, matcher, cues):
            tags[tag] = None
    return tuple(tags)


def _sources_named_as_via(text: str, hits: list[_Hit], cues: _Cues) -> set[str]:
    """Sources named right after "via" / "Source:" in the text ("h/t Quartz", "Source: CNN")."""
    return {h.source.name for h in hits if cues.via_name.search(text[max(0, h.start - 20) : h.start])}
