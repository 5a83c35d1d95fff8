"""Source attribution: which agencies and outlets an article is, credits, or pictures.

One Aho-Corasick pass finds every registry name in the text; each hit is then kept only
when the words around it make it a credit. Each credit form has a detector of its own
(picture credit, dateline, signature, copyright line, cited with a verb, byline, co-credit),
tried in that order; a bare mention is never a credit: that is what keeps "CNN laid off 100
employees", "Michael Bloomberg" or "las AFP" untagged.

The cue words live in data: language-neutral marks in `data/credit_cues.yaml`, the words of
each language in `data/cues/<language>.yaml`, the names in `data/sources.yaml`. Every pattern
here runs on a window of a few hundred characters around one name, or scans the text once
without nested repetition, so the time grows linearly with the text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import ahocorasick

from transforms.records import TEXT_ROLES, Article, Credit, SourceTag
from transforms.registry import DATA_DIR, Registry, Source, load_registry, read_data_file

CUES_FILE = DATA_DIR / "credit_cues.yaml"
CUES_DIR = DATA_DIR / "cues"

# Credits whose words are the article's own byline or metadata: a name standing alone in
# them is the article's author, so it needs no further cue.
BYLINE_WHERES = frozenset(
    {"byline", "author_meta", "jsonld", "jsonld_publisher", "source", "credit_line", "signature"}
)
# Credits that belong to the site or to other articles (footers, sidebars, teasers): trusted
# only when they name the site's own owner ("© Reuters" on reuters.com).
CAUTIOUS_WHERES = frozenset({"site_footer", "related"})
CAPTION_WHERES = frozenset({"caption", "photo_credit"})
# Credits read from structured data: the evidence says which field held the words.
STRUCTURED_LABELS = {
    "jsonld": "JSON-LD author",
    "jsonld_publisher": "JSON-LD publisher",
    "author_meta": "meta author",
    "description": "meta description",
}

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁІЇЄҐ"  # capitals: Latin with its extensions, Cyrillic
_NAME_WORD = rf"[{_UPPER}][\w'’.-]+"
_URL = re.compile(r"https?://[^\s)\]>\"'“”]+")
WINDOW = 200  # forms sit within a few words of the name: look no further


def _is_cjk(char: str) -> bool:
    """Scripts written without spaces between words: a name there has no word boundary."""
    return bool(char) and unicodedata.name(char, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


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
    words = sorted(set(items), key=len, reverse=True)
    return "(?:" + "|".join(words) + ")" if words else "(?!)"  # an empty list matches nothing


def _words_alt(items: Iterable[str]) -> str:
    """Words as an alternation that ends at a word boundary, except words of scripts without spaces."""
    items = set(items)
    spaced = [w for w in items if not _is_cjk(w[-1:])]
    unspaced = [w for w in items if _is_cjk(w[-1:])]
    parts = [f"{_alt(spaced)}(?!\\w)"] if spaced else []
    parts += [_alt(unspaced)] if unspaced else []
    return "(?:" + "|".join(parts) + ")" if parts else "(?!)"


def _escaped(items: Iterable[str]) -> list[str]:
    return [re.escape(w) for w in items]


def read_cues(path: Path = CUES_FILE, languages_dir: Path = CUES_DIR) -> dict[str, list[str]]:
    """The cue lists: the language-neutral file merged with every language's file."""
    data = read_data_file(path)
    merged: dict[str, list[str]] = {key: list(values) for key, values in data.items()}
    for language_file in sorted(languages_dir.glob("*.yaml")):
        for key, values in (read_data_file(language_file) or {}).items():
            merged.setdefault(key, []).extend(values)
    return merged


class _Cues:
    """The compiled patterns of each credit form, built from the cue data."""

    def __init__(self, data: dict[str, list[str]]) -> None:
        get = lambda key: data.get(key, [])  # noqa: E731
        stop = _alt(get("stop_filler"))
        self.cited_before = re.compile(
            rf"(?:(?<!\w)|(?=[,;]))(?P<cue>{_alt(get('cited_before'))})\s+"
            rf"(?P<filler>(?:(?!{stop}\b)[\w'’-]+\s+){{0,3}})(?:[ld]['’]\s*)?$",
            re.I,
        )
        # The cue right before the name in scripts without spaces ("据新华社").
        self.cited_before_unspaced = re.compile(
            _alt(w for w in get("cited_before") if _is_cjk(w[-1:])) + r"$"
        )
        nouns = _alt(n.replace(" ", r"\s+") for n in get("agency_nouns"))
        self.cited_after = re.compile(
            rf"^(?:\s+{nouns})?\s*,?\s*(?P<cue>{_words_alt(get('cited_after'))})", re.I
        )
        self.cited_after_unambiguous = re.compile(
            rf"^(?:\s+{nouns})?\s*,?\s*(?P<cue>{_words_alt(get('cited_after_unambiguous'))})", re.I
        )
        self.cited_compound = re.compile(rf"^-{_alt(get('cited_compound'))}(?!\w)")
        photo_words = [w for w in get("photo_before") if not _is_cjk(w[-1:])]
        photo_lead = (
            rf"(?:(?<!\w){_alt(photo_words)}\s*{_alt(get('photo_marks'))}"
            rf"|(?<!\w){_alt(get('photo_credit_words'))}"
            rf"|{_alt(w for w in get('photo_before') if _is_cjk(w[-1:]))}\s*{_alt(get('photo_marks'))}?)"
        )
        self.photo_before = re.compile(rf"{photo_lead}[^.!?;\n]{{0,50}}$", re.I)
        self.photo_after = re.compile(rf"^\s*{_words_alt(get('photo_after'))}", re.I)
        self.photo_close = re.compile(r"^[\s)）\]」]*$")  # "…＝ロイター" ends a caption
        self.photo_mark_before = re.compile(r"[＝=、]\s*[(（]?\s*$")
        # Byline words and names in capitals are case-sensitive; joining words and determiners not.
        byline = _alt(_escaped(get("byline_words")))
        joins = f"(?i:{_alt([*get('byline_joins'), '&'])})"
        determiners = f"(?i:{_alt(get('determiners'))})"
        self.byline_before = re.compile(
            rf"^\s*[-–—•|]?\s*(?P<cue>{byline})\s*:?\s+"
            rf"(?:[^\n]{{1,60}}?(?:,|/|\||\s{joins}\s)\s*"
            rf"|(?:[A-Z][A-Z.'’-]+\s+(?:{joins}\s+)?){{1,6}})?"
            rf"(?:{determiners}\s*|{_alt(get('agency_words'))}\s+)?$"
        )
        roles = _alt(_escaped(get("byline_roles")))
        self.byline_after = re.compile(
            rf"^(?:\s*$|\s*[,;|/&(]|\s*[-–—:]|\s+{joins}\s|\s+(?i:{_alt(get('byline_places'))})\s|\s+\d"
            rf"|\s+(?:{roles}|\w+day)\b)"
        )
        self.byline_name_before = re.compile(rf"(?:[,;/|&:(–—-]|\s{joins}|^\s*{joins})\s*$", re.I)
        writer_nouns = _alt(get("writer_nouns"))
        self.writer_after = re.compile(rf"^\s+(?:[A-Z][a-z]+\s+){{0,2}}(?=[A-Z])(?i:{writer_nouns})\b")
        self.job_after = re.compile(rf"^\s+(?:[a-z]+\s+){{0,2}}{writer_nouns}\b")
        self.cocredit_before = re.compile(
            rf"(?<!\w){_alt(get('cocredit_before'))}\s*(?:{determiners}\s*)?$", re.I
        )
        self.cocredit_after = re.compile(rf"^\s+{_alt(get('cocredit_after'))}(?!\w)", re.I)
        cosign = _alt(get("cosign_words"))
        self.cosign_before = re.compile(rf"(?:^|\s){cosign}\s+$", re.I)
        self.paren_cosign_before = re.compile(rf"\(\s*(?:[\w.]{{1,20}}\s+)?{cosign}\s+$", re.I)
        self.copyright_before = re.compile(
            rf"{_alt(get('copyright'))}\s*(?:\d{{1,4}}(?:\s*[-–]\s*\d{{4}})?\s*,?\s*)?"
            rf"(?:{_alt(get('copyright_fillers'))}\s+){{0,3}}(?:[\w.&-]+\s*/\s*)*$",
            re.I,
        )
        self.site_notice = re.compile(_alt(get("site_notice")), re.I)
        # "KVELLER via JTA —": a partner's dateline crediting the agency.
        self.via_dateline = re.compile(rf"^\s*[{_UPPER}][^\n.]{{0,40}}\b{_alt(get('dateline_joins'))}\s+$")
        # Single cue words that may open a credit in capitals ("By", "Foto", "Laut").
        self.lead_words = frozenset(
            w.lower()
            for key in ("cited_before", "byline_words", "photo_before", "photo_credit_words", "cosign_words")
            for w in get(key)
            if re.fullmatch(r"[^\W\d_]+", w)
        )
        self.descriptors = frozenset(get("descriptors"))
        self.articles = frozenset(get("articles"))
        self.titles = frozenset(get("titles"))
        self.plural_before = re.compile(rf"(?<!\w){_alt(get('plural_articles'))}\s+$", re.I)
        self.not_followed_by = re.compile(rf"^\s+{_alt(_escaped(get('not_followed_by')))}(?![\w])")
        self.business_after = re.compile(
            rf"^[^.;\n]{{0,40}}?(?<!\w){_alt(get('business_after'))}(?!\w)", re.I
        )
        self.self_news_after = re.compile(rf"^\s+{_alt(get('self_news_after'))}(?!\w)", re.I)
        via = _alt(get("via_words"))
        self.via_link = re.compile(rf"(?<!\w){via}\s*(?::\s*)?(?P<url>https?://[^\s)\]>\"'“”]+)", re.I)
        self.via_name = re.compile(rf"(?<!\w){via}\s*(?::\s*)?$", re.I)
        joins_list = _alt(get("list_joins"))
        self.list_join = re.compile(rf"^\s*(?:,|/|&|\+|\b{joins_list}\b)\s*(?:{determiners}\s+)?$", re.I)


@functools.cache
def _load_cues(path: Path = CUES_FILE) -> _Cues:
    return _Cues(read_cues(path))


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
        names = {a for s in registry.sources if s.photo_only for a in s.aliases}
        # A photo agency named within a few words after a name: "(Mahmoud Issa / Anadolu / Getty)".
        alt = _alt(map(re.escape, names))
        self.photo_agency = _PhotoAgencies(
            # named within a few words after a name: "(Mahmoud Issa / Anadolu / Getty)"
            re.compile(rf"^[^.;\n]{{0,40}}?(?<![\w]){alt}(?!\w)"),
            # or right before it, a slash between: "picture alliance / Xinhua", "IMAGO/ZUMA Press"
            re.compile(rf"(?<![\w]){alt}\s*[/|]\s*(?:[^/|\n]{{1,30}}[/|]\s*)?$"),
        )

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
    """True when the match is a whole word: not inside "A$AP", "Rede-AP", "money.cnn.com".

    A name in a script without spaces ("共同通信によると") needs no boundary; a short one ("共同")
    still must not run on into another word of its script ("共同声明", a joint statement).
    """
    first, last = text[start], text[end - 1]
    if _is_cjk(first) and _is_cjk(last):
        return end - start > 2 or end == len(text) or not _is_cjk(text[end])
    if start > 0:
        before = text[start - 1]
        if (before.isalnum() and not _is_cjk(before)) or before in "$-_@.&":
            return False
    if end < len(text):
        after = text[end]
        if (
            (after.isalnum() and not _is_cjk(after))
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


@dataclass(frozen=True, slots=True)
class _PhotoAgencies:
    """Where a photo agency's name next to another name makes both a picture credit."""

    after: re.Pattern[str]
    before: re.Pattern[str]


# --- the context of one name ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """One name in its line (at most WINDOW characters either side), and what the forms need."""

    line: str
    offset: int  # where `line` starts in the segment
    s: int  # the name's span in `line`
    e: int
    hit: _Hit
    cues: _Cues
    photo_agency: _PhotoAgencies | None

    @property
    def before(self) -> str:
        return self.line[: self.s]

    @property
    def after(self) -> str:
        return self.line[self.e :]

    def form(self, role: str, a: int, b: int, listable: bool = False) -> _Form:
        return _Form(role, self.offset + a, self.offset + b, listable)

    def lead(self) -> int:
        """Where the line's words start."""
        before = self.before
        return len(before) - len(before.lstrip())


def _context(seg: str, hit: _Hit, cues: _Cues, photo_agency: _PhotoAgencies | None) -> _Context:
    # Both searches stop at the window, so a long text without line breaks stays linear.
    ls = max(seg.rfind("\n", max(0, hit.start - WINDOW), hit.start) + 1, hit.start - WINDOW, 0)
    le = seg.find("\n", hit.end, hit.end + WINDOW)
    le = min(len(seg), hit.end + WINDOW) if le < 0 else le
    return _Context(seg[ls:le], ls, hit.start - ls, hit.end - ls, hit, cues, photo_agency)


def _previous_word(before: str) -> tuple[str, int] | None:
    """The last word of `before` and where it starts, when spaces follow it; in linear time."""
    stripped = before.rstrip()
    if len(stripped) == len(before) or not stripped:
        return None
    start = len(stripped)
    while start > 0 and not stripped[start - 1].isspace():
        start -= 1
    return stripped[start:], start


def _capitalised_name_before(before: str, cues: _Cues, strict: bool = False) -> bool:
    """True when the name is the end of a longer proper name: "Michael R. Bloomberg".

    In running text a capitalised word opening the sentence ("Yesterday Reuters reported") is
    not taken for a first name; in a short credit (`strict`) only cue words ("By", "Foto") are
    let through.
    """
    found = _previous_word(before)
    if not found:
        return False
    word, start = found
    if not word[0].isupper() or word in cues.descriptors:
        return False
    if strict:
        return word.lower().rstrip(":") not in cues.lead_words
    if word.endswith(".") and len(word) > 2 and word not in cues.titles:
        return False  # the end of the previous sentence
    if word[-1] in ',;:)"”»–—-':
        return False
    return before[:start].rstrip()[-1:] not in ("", ".", "!", "?", ":", "\n", '"', "“", "(")


# --- the detectors, one per credit form -------------------------------------------------------------

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
# "AFP, MANILA": the agency and its dateline city in capitals, alone on the line.
_AGENCY_CITY = re.compile(rf"^\s*,\s*[{_UPPER}][{_UPPER}\s.'’-]{{1,30}}\s*[-–—:]?\s*$")
_SIGNATURE_AFTER = re.compile(r"^(?:\s*[/,]\s*[\w.]{1,15}|\s+[\d.]{4,10})*\s*\)?\s*[.*]?\s*$")
_SLASH_SIGNATURE = re.compile(r"^\s*(?:[\w.]{1,12}\s*:\s*)?(?:[\w.]{1,12}\s*/\s*)+$")
# "… the rate fell. sak/Reuters": lower-case author initials and the agency ending a paragraph.
_INITIALS_SIGNATURE = re.compile(r"(?:^|[.!?\"”»)]\s+|:\s*)(?:[a-zäöü]{2,4}\s*/\s*)+$")
# One character class, so that a long line cannot make the match backtrack.
_STANDALONE_AFTER = re.compile(r"^[\s\d,|/.:–—\-a-záéíóúñäöüßàèìòùç]*(?:[AP]M)?[\s.]*$")
_SENTENCE_AFTER = re.compile(r"[^\W\d_]{3,}\.\s*$")
_NAME_SLASH_BEFORE = re.compile(rf"(?:^|[\s(:|])(?:{_NAME_WORD})(?:\s+{_NAME_WORD}){{1,3}}\s*/\s*$")
_SLASH_NAME_AFTER = re.compile(rf"^\s*[/|]\s*(?P<first>{_NAME_WORD})(?:\s+{_NAME_WORD})+")
_PHOTOGRAPHER_AFTER = re.compile(r"\s*/\s*[^)/\n]{1,40}\)?")
_SENTENCE_END = re.compile(r"[.!?…]\s+(?=\S)")
_PERIOD_BEFORE = re.compile(r"\w[.!?\"”]\s+$")
_DASH_BEFORE = re.compile(r"\S\s*[-–—]{1,2}\s*$")
_DASH_AT_END = re.compile(r"[-–—]{1,2}\s*$")
_AFTER_SLASH_NAME = re.compile(r"^\s*/\s*[\w .'’-]{1,30}$")
# "Tom Davies, Associated Press" alone on its line: an author and the agency they write for.
_AUTHOR_COMMA_BEFORE = re.compile(rf"^\s*(?:{_NAME_WORD}\s+){{1,3}}{_NAME_WORD}\s*,\s*$")
# "… oil rose for a third day. [ Bloomberg ]": a roundup item's link credit.
_BRACKET_BEFORE = re.compile(r"\S\s*\[\s*$")
_BRACKET_AFTER = re.compile(r"^\s*\]\s*$")


def _photo_credit(c: _Context) -> _Form | None:
    """Picture credits: "AFP PHOTO", "(AP Photo/…)", "Ou Dongqu/Xinhua/ZUMA", "…＝ロイター"."""
    before, after, s, e, cues = c.before, c.after, c.s, c.e, c.cues
    m = cues.photo_after.match(after)
    if m and not cues.cited_before.search(before[-120:]):
        # The photographer's name after "AP Photo/" belongs to the credit.
        name = _PHOTOGRAPHER_AFTER.match(after[m.end() :])
        return c.form("photo", s, e + m.end() + (name.end() if name else 0))
    m = _SLASH_NAME_AFTER.match(after)
    if m and m.group("first") not in cues.articles:
        return c.form("photo", s, e + m.end())
    m = _NAME_SLASH_BEFORE.search(before)
    if m:
        return c.form("photo", m.start() + (before[m.start()] in " (:|"), e)
    if cues.photo_mark_before.search(before[-3:]) and cues.photo_close.match(after):
        return c.form("photo", s, e)  # a caption ending "＝ロイター", "、AP"
    if c.photo_agency is None:
        return None
    m = c.photo_agency.before.search(before[-80:])
    if m:
        return c.form("photo", len(before) - len(before[-80:]) + m.start(), e)
    m = c.photo_agency.after.match(after)
    near = "/" in before[-40:] or "/" in after[:3] or "(" in before[-60:]
    if m and (near or cues.photo_before.search(before[-80:])):
        # "(Mahmoud Issa / Anadolu / Getty)", "(Image: Bloomberg via Getty Images)"
        return c.form("photo", s, e + m.end())
    return None


def _dateline(c: _Context) -> _Form | None:
    """Datelines: "BEIJING, China (AFP) —", "(EFE).-", "Hamburg (dpa/lno) –", "/TASS/", "AFP, MANILA"."""
    before, after, e = c.before, c.after, c.e
    m = _DATELINE_PLACE.match(before)
    close = _DATELINE_CLOSE.match(after)
    if m and close:
        place = m.group("place") or ""
        rest = after[close.end() :]
        words = place.split()
        ok_place = not place or (len(words) <= 8 and sum(w[:1].islower() for w in words) <= 3)
        if ok_place and (_DATELINE_REST.match(rest) if place else _DATELINE_REST_BARE.match(rest)):
            dash = _DASH.match(rest)
            return c.form("origin", c.lead(), e + close.end() + (dash.end() if dash else 0), True)
    if _SLASH_DATELINE.match(before) and after.startswith("/"):  # "MOSCOW, November 18. /TASS/."
        return c.form("origin", c.lead(), e + 1)
    if c.cues.via_dateline.match(before):
        dash = _DASH.match(after)
        if dash:
            return c.form("origin", c.lead(), e + dash.end())
    if not before.strip() and _AGENCY_CITY.match(after) and not c.hit.dateline_only:
        return c.form("origin", c.lead(), len(c.line.rstrip()))
    return None


def _signature(c: _Context) -> _Form | None:
    """Signatures: "(dpa)", "(dpa/gem)", "(KNA 19.11.21)", "(FR mit dpa)", "-- AFP", "aja/PAP",
    "… fell. sak/Reuters", and a name alone on its line ("PTI", "AFP")."""
    before, after, line, e, cues = c.before, c.after, c.line, c.e, c.cues
    if _SIGNATURE_AFTER.match(after):
        tail = after.rstrip()
        if ")" in after and (before.rstrip().endswith("(") or cues.paren_cosign_before.search(before)):
            return c.form("origin", before.rfind("("), e + len(tail), True)
        if not after.strip() and _PERIOD_BEFORE.search(before):  # "... into the US. PTI"
            return c.form("origin", c.s, e)
        if _DASH_BEFORE.search(before):
            return c.form("origin", _DASH_AT_END.search(before).start(), e + len(tail.rstrip(".")))
        short = len(line.strip()) <= 40
        if short and _SLASH_SIGNATURE.match(before):
            return c.form("origin", c.lead(), e + len(tail))
        if not after.strip() and (m := _INITIALS_SIGNATURE.search(before[-40:])):
            start = len(before) - len(before[-40:]) + m.start()
            while before[start] in '.!?"”») \t:':
                start += 1
            return c.form("origin", start, e)
        if short and cues.cosign_before.search(before) and ")" not in after:
            return c.form("origin", c.lead(), e + len(tail))
    if not before.strip() and not c.hit.dateline_only:
        rest = after.split()
        if (
            len(line.strip()) <= 60
            and _STANDALONE_AFTER.match(after)
            and not _SENTENCE_AFTER.search(after)  # a sentence, not a date line
        ) and (not any(w[0].isalpha() for w in rest) or (len(rest) <= 7 and any(d.isdigit() for d in after))):
            return c.form("origin", len(before), len(line.rstrip()))
        if _AFTER_SLASH_NAME.match(after):  # "AFP/The Local"
            return c.form("origin", len(before), len(line.rstrip()))
    return None


def _photo_word_credit(c: _Context) -> _Form | None:
    """Picture credits introduced by a photo word: "Foto: dpa", "Image copyright Reuters"."""
    window = c.before[-80:]
    m = c.cues.photo_before.search(window)
    if m and len(_SENTENCE_END.split(window[m.start() :])) == 1:
        return c.form("photo", len(c.before) - len(window) + m.start(), c.e)
    return None


def _copyright_line(c: _Context) -> _Form | None:
    """Copyright lines: "© AFP", "Copyright 2019 The Associated Press", "© 2012 APA/AP"."""
    window = c.before[-60:]
    m = c.cues.copyright_before.search(window)
    if m and not c.cues.site_notice.search(c.line):
        start = len(c.before) - len(window) + m.start()
        if c.before[:start].rstrip().endswith("/"):
            # "Frank Franklin II/Copyright 2026 The AP": a photographer's picture credit.
            return c.form("photo", start, c.e)
        return c.form("origin", start, c.e, True)
    return None


def _cited(c: _Context) -> _Form | None:
    """Cited with a verb or a preposition: "told Reuters", "laut der Nachrichtenagentur Reuters",
    "Quartz reports", "Reuters'a göre", "据新华社", "a Reuters poll", "Reuters-Bericht"."""
    before, after, s, e, cues = c.before, c.after, c.s, c.e, c.cues
    window = before[-160:]
    offset = len(before) - len(window)
    m = cues.cited_before.search(window)
    if m:
        filler = m.group("filler").split()
        name_like = filler and filler[-1][:1].isupper() and filler[-1] not in cues.descriptors
        if not name_like and not _capitalised_name_before(before, cues):
            return c.form("cited", offset + m.start("cue"), e, True)
    m = cues.cited_before_unspaced.search(before[-6:])
    if m:
        return c.form("cited", len(before) - len(before[-6:]) + m.start(), e, True)
    m = cues.cited_after.match(after) or (
        None if c.hit.source.ambiguous else cues.cited_after_unambiguous.match(after)
    )
    if (
        m
        and not cues.business_after.match(after[m.end() :])
        and not cues.self_news_after.match(after[m.end() :])
        and not _capitalised_name_before(before, cues)
    ):
        return c.form("cited", s, e + m.end(), True)
    m = cues.cited_compound.match(after)
    if m:
        return c.form("cited", s, e + m.end())
    if _BRACKET_BEFORE.search(before) and _BRACKET_AFTER.match(after):
        return c.form("cited", before.rfind("["), e + after.find("]") + 1)
    return None


def _byline(c: _Context) -> _Form | None:
    """Bylines: "By Reuters", "Von David Hutzler, dpa", "Tom Krisher, AP Auto Writer",
    "Caroline Hawley, BBC diplomatic correspondent", "By Reuters staff in Lagos"."""
    before, after, s, e, cues = c.before, c.after, c.s, c.e, c.cues
    m = cues.byline_before.match(before)
    if m and cues.byline_after.match(after):
        return c.form("origin", m.start("cue"), e, True)
    if not after.strip() and _AUTHOR_COMMA_BEFORE.match(before) and len(c.line.strip()) <= 60:
        return c.form("origin", c.lead(), e)
    if before.rstrip().endswith(","):
        job = cues.job_after.match(after)
        if job:
            return c.form("origin", s, e + len(after.split(",")[0].rstrip()))
    m = cues.writer_after.match(after)
    if m and not _capitalised_name_before(before, cues):
        return c.form("origin", s, e + m.end())
    return None


def _cocredit(c: _Context) -> _Form | None:
    """Co-credits: "Additional reporting by Reuters", "Con información de AFP", "AFP contributed"."""
    window = c.before[-80:]
    m = c.cues.cocredit_before.search(window)
    if m:
        return c.form("origin", len(c.before) - len(window) + m.start(), c.e, True)
    m = c.cues.cocredit_after.match(c.after)
    if m:
        return c.form("origin", c.s, c.e + m.end())
    return None


_Detector = Callable[[_Context], "_Form | None"]
# Picture credits first: a picture credit is never origin or cited.
_PHOTO_DETECTORS: tuple[_Detector, ...] = (_photo_credit,)
# Forms a dateline-only token ("CP", "AA") may take.
_DATELINE_DETECTORS: tuple[_Detector, ...] = (_dateline, _signature)
_TEXT_DETECTORS: tuple[_Detector, ...] = (_photo_word_credit, _copyright_line, _cited, _byline, _cocredit)


def _classify(seg: str, hit: _Hit, cues: _Cues, photo_agency: _PhotoAgencies | None = None) -> _Form | None:
    """The credit form of one name, within its line or credit, if any."""
    c = _context(seg, hit, cues, photo_agency)
    for detect in _PHOTO_DETECTORS:
        if found := detect(c):
            return found
    if cues.not_followed_by.match(c.after) or cues.plural_before.search(c.before[-20:]):
        return None  # "AP Biology", "las AFP"
    for detect in _DATELINE_DETECTORS:
        if found := detect(c):
            return found
    if hit.dateline_only:
        return None
    for detect in _TEXT_DETECTORS:
        if found := detect(c):
            return found
    return None


def _classify_all(
    seg: str, hits: list[_Hit], cues: _Cues, photo_agency: _PhotoAgencies | None, language: str | None = None
) -> Iterator[tuple[_Hit, _Form]]:
    """Each hit with its form; a name listed after a credited one shares its role."""
    previous: tuple[_Hit, _Form] | None = None
    for hit in hits:
        found = _classify(seg, hit, cues, photo_agency)
        langs = hit.source.cite_languages
        if found is not None and found.role == "cited" and langs and language and language not in langs:
            found = None
        if found is None and previous is not None and previous[1].listable and not hit.dateline_only:
            between = seg[previous[0].end : hit.start]
            if cues.list_join.match(between) and not cues.not_followed_by.match(seg[hit.end : hit.end + 40]):
                found = _Form(previous[1].role, previous[1].start, hit.end, True)
        if found is not None:
            yield hit, found
        previous = (hit, found) if found is not None else None


# --- credits outside the text ---------------------------------------------------------------


def _credit_tags(credit: Credit, article: Article, matcher: _Matcher, cues: _Cues) -> Iterator[SourceTag]:
    text = credit.text
    if credit.where == "link":
        yield from _link_tags(text, matcher.registry)
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
        for hit in hits:
            found = _classify(text, hit, cues, names)
            ends_credit = len(text) - hit.end <= 8 and len(text[hit.end :].strip()) <= 3
            # "… unter Strafe stellen. Imago/Blaulicht-News.de": a credit closing the caption.
            mark = text[max(0, hit.start - 3) : hit.start].rstrip()[-1:]
            closing = len(text) - hit.end <= 50 and mark != "" and mark in ".|"
            credit_like = found is not None or ends_credit or closing or len(text) <= 60
            if (
                credit_like
                and not hit.dateline_only
                and not cues.not_followed_by.match(text[hit.end : hit.end + 40])
                and not _capitalised_name_before(text[max(0, hit.start - WINDOW) : hit.start], cues, True)
            ):
                start = found.start if found else hit.start
                end = found.end if found else hit.end
                yield _tag(hit.source, "photo", text[start:end])
        return
    if credit.where == "jsonld_publisher":
        # The publisher is the site itself: a credit only when an agency publishes its own copy.
        hits = [h for h in hits if h.source.kind == "agency" and not h.source.photo_only]
        if not hits:
            return
    label = STRUCTURED_LABELS.get(credit.where)
    classified = {(h.start, h.end): f for h, f in _classify_all(text, hits, cues, names, article.language)}
    whole = text.strip()
    for hit in hits:
        found = classified.get((hit.start, hit.end))
        if found is not None:
            words = text[found.start : found.end].strip()
            yield _tag(hit.source, found.role, f"{label}: {words}" if label else words)
        elif credit.where in BYLINE_WHERES and not hit.dateline_only and _byline_name(text, hit, cues):
            yield _tag(hit.source, "origin", f"{label}: {whole}" if label else whole)


def _byline_name(text: str, hit: _Hit, cues: _Cues) -> bool:
    """True when a byline names the source as one of its authors, not inside another name."""
    before, after = text[max(0, hit.start - WINDOW) : hit.start], text[hit.end : hit.end + WINDOW]
    if cues.not_followed_by.match(after) or _capitalised_name_before(before, cues, strict=True):
        return False
    if before.strip() and not cues.byline_name_before.search(before):
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
    matcher = _matcher(registry)
    cues = _load_cues()
    text = article.text or ""
    tags: dict[SourceTag, None] = {}

    hits = matcher.hits(text)
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
    for credit in credits:
        for tag in _credit_tags(credit, article, matcher, cues):
            tags[tag] = None
    return tuple(dict.fromkeys(_photo_only(tags, registry)))


def _sources_named_as_via(text: str, hits: list[_Hit], cues: _Cues) -> set[str]:
    """Sources named right after "via" / "Source:" in the text ("h/t Quartz", "Source: CNN")."""
    return {h.source.name for h in hits if cues.via_name.search(text[max(0, h.start - 20) : h.start])}
