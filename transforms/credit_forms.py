"""The credit forms: given one registry name and the words around it, is it a credit, and which.

Each form (picture credit, dateline, signature, copyright line, cited with a verb, byline,
co-credit) has a detector of its own, so a rule for one form never loosens another, and the
order they are tried in (`classify_credit`) is the one place that settles a name that fits two.
Every pattern here runs on one line of at most WINDOW characters either side of the name, so
the work per name is bounded whatever the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from transforms.credit_cues import UPPER_LETTERS, CuePatterns

if TYPE_CHECKING:
    from transforms.registry import Source
    from transforms.tag_sources import NameHit, PhotoAgencies

_NAME_WORD = rf"[{UPPER_LETTERS}][\w'’.-]+"
WINDOW = 200  # forms sit within a few words of the name: look no further


@dataclass(frozen=True, slots=True)
class CreditForm:
    role: str
    start: int  # evidence span, relative to the segment being classified
    end: int
    listable: bool = False  # a following "X, Y and Z" inherits this role ("according to AFP and EFE")


# --- the context of one name ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """One name in its line (at most WINDOW characters either side), and what the forms need."""

    line: str
    offset: int  # where `line` starts in the segment
    s: int  # the name's span in `line`
    e: int
    hit: NameHit
    cues: CuePatterns
    photo_agency: PhotoAgencies | None

    @property
    def before(self) -> str:
        return self.line[: self.s]

    @property
    def after(self) -> str:
        return self.line[self.e :]

    def form(self, role: str, a: int, b: int, listable: bool = False) -> CreditForm:
        return CreditForm(role, self.offset + a, self.offset + b, listable)

    def lead(self) -> int:
        """Where the line's words start."""
        before = self.before
        return len(before) - len(before.lstrip())


def _context(seg: str, hit: NameHit, cues: CuePatterns, photo_agency: PhotoAgencies | None) -> _Context:
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


def capitalised_name_before(before: str, cues: CuePatterns, strict: bool = False) -> bool:
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
    if word.endswith(".") and len(word) > 2 and word not in cues.titles:
        return False  # the end of the previous sentence: "… in Losail. EFE"
    if word[-1] in ',;)"”»–—-':
        return False  # a list or a clause ends there: "Foto: Skjermdump, The Guardian"
    if strict:
        return word.lower().rstrip(":") not in cues.lead_words
    if word[-1] == ":":
        return False
    return before[:start].rstrip()[-1:] not in ("", ".", "!", "?", ":", "\n", '"', "“", "(")


# --- the detectors, one per credit form -------------------------------------------------------------

_DATELINE_PLACE = re.compile(rf"^\s*+(?P<place>[{UPPER_LETTERS}][^()\n\"“”„«»]{{0,70}}?)?\s*\(\s*$")
# Runs of spaces are matched possessively (\s*+, \s++) wherever what follows cannot be a space:
# the same matches, without trying every split of a long run between adjacent quantifiers.
_DATELINE_CLOSE = re.compile(
    rf"^(?:\s*+[/,]\s*+[\w.]{{1,15}}|\s++[\d.]{{4,10}})*+(?:\s++[{UPPER_LETTERS}][a-z]+){{0,2}}\s*+\)"
)
# After a bare "(CNN)" the text may follow at once: "(CNN)President Donald Trump".
_DATELINE_REST_BARE = re.compile(rf"^(?:\s*(?:[-–—]+|\.\s*[-–—]+|:|\.|$)|[{UPPER_LETTERS}])")
# Not a comma: "Randolfe Rodrigues (AP), líder da oposição" is a party and state, not a dateline.
_DATELINE_REST = re.compile(rf"^\s*(?:[-–—]+|\.\s*[-–—]+|[:.]|$|[{UPPER_LETTERS}0-9\"“„])")
_DASH = re.compile(r"^\s*(?:\.\s*)?[-–—]+")
_SLASH_DATELINE = re.compile(rf"^\s*[{UPPER_LETTERS}][^()\n/]{{0,50}}[.,]\s*/$")
# Full-width brackets around a place and the agency, or the agency alone: "【ワシントン共同】", "（共同）".
_CJK_DATELINE_BEFORE = re.compile(r"[【（][^【】（）\s]{0,10}$")
_CJK_DATELINE_AFTER = re.compile(r"^[】）]")
# "AFP, MANILA": the agency and its dateline city in capitals, alone on the line.
_AGENCY_CITY = re.compile(rf"^\s*,\s*[{UPPER_LETTERS}][{UPPER_LETTERS}\s.'’-]{{1,30}}\s*[-–—:]?\s*$")
_SIGNATURE_AFTER = re.compile(r"^(?:\s*+[/,]\s*+[\w.]{1,15}|\s++[\d.]{4,10})*+\s*+\)?\s*+[.*]?\s*+$")
_SLASH_SIGNATURE = re.compile(r"^\s*+\(?(?:[\w.]{1,12}\s*+:\s*+)?(?:[\w.]{1,12}\s*+/\s*+)++$")
# "… the rate fell. sak/Reuters": lower-case author initials and the agency ending a paragraph.
_INITIALS_SIGNATURE = re.compile(r"(?:^|[.!?\"”»)]\s+|:\s*)(?:[a-zäöü]{2,4}\s*/\s*)+$")
# One character class, so that a long line cannot make the match backtrack.
_STANDALONE_AFTER = re.compile(r"^[\s\d,|/.:–—\-a-záéíóúñäöüßàèìòùç]*(?:[AP]M)?[\s.]*$")
_SENTENCE_AFTER = re.compile(r"[^\W\d_]{3,}\.\s*$")
_NAME_SLASH_BEFORE = re.compile(rf"(?:^|[\s(:|])(?:{_NAME_WORD})(?:\s+{_NAME_WORD}){{1,3}}\s*/\s*$")
# "(dpa)/Jens Büttner": a closing bracket may come first.
_SLASH_NAME_AFTER = re.compile(rf"^\s*+\)?\s*+[/|]\s*+(?P<first>{_NAME_WORD})(?:\s++{_NAME_WORD})+")
_PHOTOGRAPHER_AFTER = re.compile(r"\s*+/\s*+[^)/\n]{1,40}\)?")
_PHOTO_NAME_END = re.compile(r"^\s*+(?:[/|)\]]|\.?\s*+$)")
# "© Alba Pacheco/Agencia LOF/dpa": a person's copyright first is a photographer's, a picture credit.
_PHOTOGRAPHER_COPYRIGHT = re.compile(
    rf"(?:©|\([cC]\))\s*{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}}\s*/[^\n©]{{0,60}}$"
)
_SENTENCE_END = re.compile(r"[.!?…]\s+(?=\S)")
_PERIOD_BEFORE = re.compile(r"\w[.!?\"”]\s+$")
_DASH_BEFORE = re.compile(r"(?:^|\S)\s*+[-–—]{1,2}\s*+$")  # "… fell. -- AFP", "— The Associated Press"
_DASH_AT_END = re.compile(r"[-–—]{1,2}\s*$")
_AFTER_SLASH_NAME = re.compile(r"^\s*/\s*[\w .'’-]{1,30}$")
# "Tom Davies, Associated Press" alone on its line: an author and the agency they write for.
_AUTHOR_COMMA_BEFORE = re.compile(rf"^\s*(?:{_NAME_WORD}\s+){{1,3}}{_NAME_WORD}\s*,\s*$")
# "… oil rose for a third day. [ Bloomberg ]": a roundup item's link credit.
_BRACKET_BEFORE = re.compile(r"\S\s*\[\s*$")
_BRACKET_AFTER = re.compile(r"^\s*\]\s*$")
_DASHES = frozenset("-–—")
_SLASH_NEAR_END = re.compile(r"[/|]\s*(?:[^/|\n]{1,30}[/|]\s*)?$")
# A cited cue, its descriptor words and its article sit within the last words before the name
# ("sagte Lucke am Samstag der Deutschen Presse-Agentur"): the search looks no further back.
_CITED_WORDS = 16


def _last_words(text: str, count: int) -> str:
    """The end of `text` holding its last `count` words; a search there does not grow with the text."""
    position = len(text)
    for _ in range(count):
        position = text.rfind(" ", 0, position)
        if position < 0:
            return text
        while position > 0 and text[position - 1] == " ":
            position -= 1
    return text[position:]


def _photo_credit(c: _Context) -> CreditForm | None:
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
    m = _NAME_SLASH_BEFORE.search(before[-120:]) if before.rstrip().endswith("/") else None
    if m:
        start = len(before) - len(before[-120:]) + m.start()  # the search saw the window's end only
        return c.form("photo", start + (before[start] in " (:|"), e)
    m = _PHOTOGRAPHER_COPYRIGHT.search(before[-100:]) if "/" in before[-62:] else None
    if m:
        return c.form("photo", len(before) - len(before[-100:]) + m.start(), e)
    if cues.photo_mark_before.search(before[-3:]) and cues.photo_close.match(after):
        return c.form("photo", s, e)  # a caption ending "＝ロイター", "、AP"
    # not a bracketed signature after it: "Foto: X. BERLIN (AFP/dpa) –" signs the text
    last = before.rsplit(None, 1)[-1] if before.strip() else ""
    chained = last.endswith("/") and not (last.startswith("(") and ")" not in last)
    m = cues.photo_line.search(before[-140:]) if chained else None
    if m:  # "Photograph: @TheBoyCrypto/Twitter/PA"
        return c.form("photo", len(before) - len(before[-140:]) + m.start(), e)
    m = cues.photo_word_end.search(before[-30:]) if _PHOTO_NAME_END.match(after) else None
    if m:  # "Photo AFP" ending a caption, "Foto AFP/John Doe"
        return c.form("photo", len(before) - len(before[-30:]) + m.start(), e)
    if c.photo_agency is None:
        return None
    m = c.photo_agency.before.search(before[-80:]) if _SLASH_NEAR_END.search(before[-45:]) else None
    if m:
        return c.form("photo", len(before) - len(before[-80:]) + m.start(), e)
    m = c.photo_agency.after.match(after)
    near = "/" in before[-40:] or "/" in after[:3] or "(" in before[-60:]
    if m and (near or cues.photo_before.search(before[-80:])):
        # "(Mahmoud Issa / Anadolu / Getty)", "(Image: Bloomberg via Getty Images)"
        return c.form("photo", s, e + m.end())
    return None


def _dateline(c: _Context) -> CreditForm | None:
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
    m = _CJK_DATELINE_BEFORE.search(before[-14:])
    if m and _CJK_DATELINE_AFTER.match(after):  # "【ワシントン共同】", "（共同）"
        return c.form("origin", len(before) - len(before[-14:]) + m.start(), c.e + 1, True)
    if not before.strip() and _AGENCY_CITY.match(after) and not c.hit.dateline_only:
        return c.form("origin", c.lead(), len(c.line.rstrip()))
    return None


def _signature(c: _Context) -> CreditForm | None:
    """Signatures: "(dpa)", "(dpa/gem)", "(KNA 19.11.21)", "(FR mit dpa)", "-- AFP", "aja/PAP",
    "… fell. sak/Reuters", and a name alone on its line ("PTI", "AFP")."""
    before, after, line, e, cues = c.before, c.after, c.line, c.e, c.cues
    if _SIGNATURE_AFTER.match(after):
        tail = after.rstrip()
        if ")" in after and (before.rstrip().endswith("(") or cues.paren_cosign_before.search(before)):
            return c.form("origin", before.rfind("("), e + len(tail), True)
        stripped = before.rstrip()
        period = stripped[-2:] + " " if len(stripped) < len(before) else ""  # "… the US. PTI"
        if not after.strip() and _PERIOD_BEFORE.search(period):  # "... into the US. PTI"
            return c.form("origin", c.s, e)
        if before.rstrip()[-1:] in _DASHES and _DASH_BEFORE.search(before):
            return c.form("origin", _DASH_AT_END.search(before).start(), e + len(tail.rstrip(".")))
        short = len(line.strip()) <= 40
        if short and _SLASH_SIGNATURE.match(before):
            return c.form("origin", c.lead(), e + len(tail))
        slash_end = before.rstrip().endswith("/")
        if not after.strip() and slash_end and (m := _INITIALS_SIGNATURE.search(before[-40:])):
            start = len(before) - len(before[-40:]) + m.start()
            while before[start] in '.!?"”») \t:':
                start += 1
            return c.form("origin", start, e)
        if short and cues.cosign_before.search(before[-30:]) and ")" not in after:
            return c.form("origin", c.lead(), e + len(tail))
    if before.strip() == "/" and after.strip() in ("/", "/."):  # "/ritzau/", "/TASS/" alone on a line
        return c.form("origin", c.lead(), e + after.find("/") + 1)
    if not before.strip() and not c.hit.dateline_only:
        rest = after.split()
        if (
            len(line.strip()) <= 60
            and _STANDALONE_AFTER.match(after)
            and not (after.rstrip().endswith(".") and _SENTENCE_AFTER.search(after))  # a sentence, not a date
        ) and (not any(w[0].isalpha() for w in rest) or (len(rest) <= 7 and any(d.isdigit() for d in after))):
            return c.form("origin", len(before), len(line.rstrip()))
        if _AFTER_SLASH_NAME.match(after):  # "AFP/The Local"
            return c.form("origin", len(before), len(line.rstrip()))
    return None


def _source_line(c: _Context) -> CreditForm | None:
    """A source line alone on its line, any token of the agency: "Quelle: afp", "Kaynak: İHA",
    "(Source: dpa/AFP)"."""
    if len(c.line.strip()) > _SOURCE_LINE_CHARS or not _SIGNATURE_AFTER.match(c.after):
        return None
    m = c.cues.source_line_before.match(c.before)
    if m:
        return c.form("origin", m.start("cue"), c.e + len(c.after.rstrip()), True)
    return None


_SOURCE_LINE_CHARS = 60
_TOKEN_LINE_CHARS = 40


def _token_credit_line(c: _Context) -> CreditForm | None:
    """A dateline-only token ("TT", "AA", "afp") on a short line of its own after a photo word or a
    copyright mark: "Foto: TT", "© afp", "Tüm hakları saklıdır. © AA"."""
    if (
        not c.hit.dateline_only
        or len(c.line.strip()) > _TOKEN_LINE_CHARS
        or not _SIGNATURE_AFTER.match(c.after)
    ):
        return None
    return _photo_word_credit(c) or _copyright_line(c)


def _photo_word_credit(c: _Context) -> CreditForm | None:
    """Picture credits introduced by a photo word: "Foto: dpa", "Image copyright Reuters"."""
    window = c.before[-80:]
    m = c.cues.photo_before.search(window)
    if m and len(_SENTENCE_END.split(window[m.start() :])) == 1:
        return c.form("photo", len(c.before) - len(window) + m.start(), c.e)
    return None


def _copyright_line(c: _Context) -> CreditForm | None:
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


def _cited(c: _Context) -> CreditForm | None:
    """Cited with a verb or a preposition: "told Reuters", "laut der Nachrichtenagentur Reuters",
    "Quartz reports", "Reuters'a göre", "据新华社", "a Reuters poll", "Reuters-Bericht"."""
    before, after, s, e, cues = c.before, c.after, c.s, c.e, c.cues
    window = _last_words(before[-160:], _CITED_WORDS)
    offset = len(before) - len(window)
    m = cues.cited_before.search(window)
    if m:
        filler = m.group("filler").split()
        name_like = filler and filler[-1][:1].isupper() and filler[-1] not in cues.descriptors
        if not name_like and not capitalised_name_before(before, cues):
            return c.form("cited", offset + m.start("cue"), e, True)
    m = cues.cited_person_of.search(window)
    if m:
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
        and not capitalised_name_before(before, cues)
    ):
        return c.form("cited", s, e + m.end(), True)
    m = cues.cited_compound.match(after)
    if m:
        return c.form("cited", s, e + m.end())
    if _BRACKET_AFTER.match(after) and (_BRACKET_BEFORE.search(before) or before.strip() == "["):
        # "… oil rose. [ Bloomberg ]", or the link credit on a line of its own after the item.
        return c.form("cited", before.rfind("["), e + after.find("]") + 1)
    return None


def _byline(c: _Context) -> CreditForm | None:
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
    if m and not capitalised_name_before(before, cues):
        return c.form("origin", s, e + m.end())
    return None


def _republished(c: _Context) -> CreditForm | None:
    """Another outlet's article, translated or reprinted: "originally published in X", "Dieser
    Artikel ist eine Übersetzung, im Original ist er in der … Tageszeitung X erschienen"."""
    window = c.before[-120:]
    m = c.cues.republished_before.search(window)
    if m:
        return c.form("origin", len(c.before) - len(window) + m.start(), c.e, True)
    return None


def _cocredit(c: _Context) -> CreditForm | None:
    """Co-credits: "Additional reporting by Reuters", "Con información de AFP", "AFP contributed"."""
    window = c.before[-80:]
    m = c.cues.cocredit_before.search(window)
    if m:
        return c.form("origin", len(c.before) - len(window) + m.start(), c.e, True)
    m = c.cues.cocredit_after.match(c.after)
    if m:
        return c.form("origin", c.s, c.e + m.end())
    return None


_Detector = Callable[[_Context], "CreditForm | None"]
# Picture credits first: a picture credit is never origin or cited, whatever its names' shape after
# the photo word ("Foto: KCNA/Reuters" is no "KCNA/Reuters" signature).
_PHOTO_DETECTORS: tuple[_Detector, ...] = (_photo_credit,)
# Forms a dateline-only token ("CP", "AA") may take.
_DATELINE_DETECTORS: tuple[_Detector, ...] = (_dateline, _signature, _source_line, _token_credit_line)
_TEXT_DETECTORS: tuple[_Detector, ...] = (
    _photo_word_credit,
    _copyright_line,
    _republished,
    _cited,
    _byline,
    _cocredit,
)


def classify_credit(
    seg: str, hit: NameHit, cues: CuePatterns, photo_agency: PhotoAgencies | None = None
) -> CreditForm | None:
    """The credit form of one name, within its line or credit, if any."""
    c = _context(seg, hit, cues, photo_agency)
    found = classify_line(c.line, c.s, c.e, hit.source, hit.dateline_only, type(hit), cues, photo_agency)
    if found is None:
        return None
    return CreditForm(found.role, found.start + c.offset, found.end + c.offset, found.listable)


# The form depends on the name's line window only: a window seen before (the same "(dpa)" line under
# every paragraph, a text packed with one name) is classified once.
@functools.lru_cache(maxsize=4096)
def classify_line(
    line: str,
    s: int,
    e: int,
    source: Source,
    dateline_only: bool,
    hit_type: type,
    cues: CuePatterns,
    photo_agency: PhotoAgencies | None,
) -> CreditForm | None:
    hit = hit_type(s, e, source, dateline_only)
    c = _Context(line, 0, s, e, hit, cues, photo_agency)
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


def classify_cited(
    seg: str, hit: NameHit, cues: CuePatterns, photo_agency: PhotoAgencies | None = None
) -> CreditForm | None:
    """The cited and byline forms alone: for a token that names a source only in datelines ("TT",
    "AA"), in a text of the source's own language, where a cue word makes it a source ("enligt TT",
    "Kaynak: AA")."""
    c = _context(seg, hit, cues, photo_agency)
    if cues.not_followed_by.match(c.after) or cues.plural_before.search(c.before[-20:]):
        return None
    return _cited(c) or _byline(c)
