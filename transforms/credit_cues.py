"""The cue words of every credit form, compiled once into the patterns the detectors use.

The words themselves are data (`data/credit_cues.yaml` for language-neutral marks, one
`data/cues/<language>.yaml` per language), so adding a language touches no code; this module
owns turning those lists into anchored, non-backtracking patterns, so each language's words
behave the same way in every form.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from transforms.registry import DATA_DIR, read_data_file

CUES_FILE = DATA_DIR / "credit_cues.yaml"
CUES_DIR = DATA_DIR / "cues"

UPPER_LETTERS = "A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁІЇЄҐ"  # capitals: Latin with its extensions, Cyrillic


def is_unspaced_script(char: str) -> bool:
    """Scripts written without spaces between words: a name there has no word boundary."""
    return bool(char) and unicodedata.name(char, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


_META = frozenset(".^$*+?{}[]()|")
_QUANTIFIERS = frozenset("?*+{")


def _literal_prefix(fragment: str) -> tuple[list[str], str]:
    """The literal characters a pattern fragment opens with (escaped marks included), and the rest."""
    if _has_top_level_bar(fragment):
        return [], f"(?:{fragment})"  # "x|y": no opening is shared by both sides
    chars: list[str] = []
    i = 0
    while i < len(fragment):
        ch, width = fragment[i], 1
        if ch == "\\":
            if i + 1 >= len(fragment) or fragment[i + 1].isalnum():
                break  # a class such as \s or \b: not a literal
            ch, width = fragment[i + 1], 2
        elif ch in _META:
            break
        following = fragment[i + width : i + width + 1]
        if following and following in _QUANTIFIERS:
            break  # "reports?": the quantified character belongs to the rest
        chars.append(ch)
        i += width
    return chars, fragment[i:]


def _has_top_level_bar(fragment: str) -> bool:
    depth, escaped, in_class = 0, False, False
    for ch in fragment:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            return True
    return False


def alternation(items: Iterable[str]) -> str:
    """A regex group matching any one of the pattern fragments `items`, longest first.

    Fragments are regex source (escape plain words with `re.escape` first); duplicates are dropped
    and an empty list gives a group that matches nothing. The group has no word boundaries: add
    them, or use `word_alternation` for whole words.

    Written as a trie ("s(?:ay(?:s|)|ource)" rather than "says|say|source"), so that a search tries
    the few branches that fit the next character instead of every word of every language: the work
    per position stays small however long the cue lists grow."""
    words = sorted(set(items), key=len, reverse=True)
    if not words:
        return "(?!)"  # an empty list matches nothing
    trie: dict = {}
    for word in words:
        chars, rest = _literal_prefix(word)
        node = trie
        for ch in chars:
            node = node.setdefault(ch, {})
        node.setdefault("", []).append(rest)
    return "(?:" + _trie_pattern(trie) + ")"


def _trie_pattern(node: dict) -> str:
    branches = [re.escape(ch) + _group(_trie_pattern(child)) for ch, child in node.items() if ch != ""]
    branches += sorted(node.get("", []), key=len, reverse=True)  # the ends, longest first
    return "|".join(branches)


def _group(pattern: str) -> str:
    return f"(?:{pattern})" if "|" in pattern else pattern


def word_alternation(items: Iterable[str]) -> str:
    """A regex group matching any one of the words `items` as a whole word at its end.

    A word must not run on into a further word character ("say" does not match "sayings"), except
    words ending in a script written without spaces (CJK, kana, Hangul), where no boundary exists.
    Like `alternation`, the words are regex source and an empty list matches nothing."""
    items = set(items)
    spaced = [w for w in items if not is_unspaced_script(w[-1:])]
    unspaced = [w for w in items if is_unspaced_script(w[-1:])]
    parts = [f"{alternation(spaced)}(?!\\w)"] if spaced else []
    parts += [alternation(unspaced)] if unspaced else []
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


class CuePatterns:
    """The compiled patterns of each credit form, built from the cue data."""

    def __init__(self, data: dict[str, list[str]]) -> None:
        get = lambda key: data.get(key, [])  # noqa: E731
        stop = alternation(get("stop_filler"))
        self.cited_before = re.compile(
            rf"(?:(?<!\w)|(?=[,;]))(?P<cue>{alternation(get('cited_before'))})\s++"
            rf"(?P<filler>(?:(?!{stop}\b)[\w'’-]+\s++){{0,3}})(?:[ld]['’]\s*+|[«\"“„‹]\s*+)?$",
            re.I,
        )
        # "according to Sui-Lee Wee of the New York Times": the cue, a person's name, the word that
        # ties a reporter to an outlet, a determiner.
        self.cited_person_of = re.compile(
            rf"(?:(?<!\w)|(?=[,;]))(?P<cue>{alternation(get('cited_before'))})\s++"
            rf"(?:[{UPPER_LETTERS}][\w'’.-]*+\s++){{1,3}}(?i:{alternation(get('person_of'))})\s++"
            rf"(?:(?i:{alternation(get('determiners'))})\s++)?$"
        )
        # The cue right before the name in scripts without spaces ("据新华社").
        self.cited_before_unspaced = re.compile(
            alternation(w for w in get("cited_before") if is_unspaced_script(w[-1:])) + r"$"
        )
        nouns = alternation(n.replace(" ", r"\s+") for n in get("agency_nouns"))
        self.cited_after = re.compile(
            rf"^(?:\s++{nouns})?\s*+,?\s*+(?P<cue>{word_alternation(get('cited_after'))})", re.I
        )
        self.cited_after_unambiguous = re.compile(
            rf"^(?:\s++{nouns})?\s*+,?\s*+(?P<cue>{word_alternation(get('cited_after_unambiguous'))})", re.I
        )
        self.cited_compound = re.compile(rf"^-{alternation(get('cited_compound'))}(?!\w)")
        photo_words = [w for w in get("photo_before") if not is_unspaced_script(w[-1:])]
        photo_marks = alternation(get("photo_marks"))
        photo_lead = (
            rf"(?:(?<!\w){alternation(photo_words)}\s*{photo_marks}"
            rf"|(?<!\w){alternation(get('photo_credit_words'))}"
            rf"|{alternation(w for w in get('photo_before') if is_unspaced_script(w[-1:]))}\s*{photo_marks}?)"
        )
        self.photo_before = re.compile(rf"{photo_lead}[^.!?;\n]{{0,50}}$", re.I)
        # A photo word right before the name, no mark between: "Photo AFP", "Foto AFP/John Doe".
        self.photo_word_end = re.compile(rf"(?<!\w){alternation(photo_words)}\s++$", re.I)
        # A credit that a photo word and its mark open, the name ending its chain of slash-separated
        # credits: "Photograph: Staff Sgt. Mary L. Smith/US Dept/PA" (abbreviations' periods are no
        # sentence end), after a caption's words too.
        self.photo_line = re.compile(rf"{photo_lead}[^\n]{{0,100}}/\s*+$", re.I)
        self.photo_after = re.compile(rf"^\s*{word_alternation(get('photo_after'))}", re.I)
        # Any photo word: in a byline, "Anna Berg / dpa" is an author and her agency unless one is there.
        any_photo_word = word_alternation(
            [*get("photo_before"), *get("photo_after"), *get("photo_credit_words")]
        )
        self.photo_word = re.compile(rf"(?<!\w){any_photo_word}", re.I)
        self.photo_close = re.compile(r"^[\s)）\]」]*$")  # "…＝ロイター" ends a caption
        self.photo_mark_before = re.compile(r"[＝=、]\s*[(（]?\s*$")
        # Byline words and names in capitals are case-sensitive; joining words and determiners not.
        byline = alternation(_escaped(get("byline_words")))
        joins = f"(?i:{alternation([*get('byline_joins'), '&'])})"
        determiners = f"(?i:{alternation(get('determiners'))})"
        # The byline word opens the line, or a part of a line of metadata set apart by bars
        # ("Stand: 12.01.2026 | Quelle: dpa").
        # "(Quelle: dpa)": a source line in brackets.
        self.byline_before = re.compile(
            rf"^(?:[^|\n]{{0,80}}\|)?\s*+[-–—•|(]?\s*+(?P<cue>{byline})(?:\s*+:)?\s++"
            rf"(?:[^\n]{{1,60}}?(?:,|/|\||\s{joins}\s)\s*+"
            rf"|(?:[A-Z][A-Z.'’-]+\s++(?:{joins}\s++)?){{1,6}})?"
            rf"(?:{determiners}\s*+|{alternation(get('agency_words'))}\s++)?$"
        )
        # A source line's word and its colon, then the name, maybe after others: "Quelle: afp",
        # "Kaynak: İHA", "(Source: dpa/AFP)". Any token of an agency counts there, as in a signature.
        self.source_line_before = re.compile(
            rf"^\s*+\(?\s*+(?P<cue>{byline})\s*+:\s*+(?:[\w.-]{{1,20}}\s*+[/,]\s*+){{0,3}}$"
        )
        roles = alternation(_escaped(get("byline_roles")))
        self.byline_after = re.compile(
            rf"^(?:\s*$|\s*[,;|/&()]|\s*[-–—:]|\s+{joins}\s|\s+(?i:{alternation(get('byline_places'))})\s|\s+\d"
            rf"|\s+(?:{roles}|\w+day)\b)"
        )
        self.byline_name_before = re.compile(rf"(?:[,;/|&:(–—-]|\s{joins}|^\s*{joins})\s*$", re.I)
        writer_nouns = alternation(get("writer_nouns"))
        self.writer_after = re.compile(rf"^\s+(?:[A-Z][a-z]+\s+){{0,2}}(?=[A-Z])(?i:{writer_nouns})\b")
        self.job_after = re.compile(rf"^\s+(?:[a-z]+\s+){{0,2}}{writer_nouns}\b")
        # "Mit Material der Nachrichtenagenturen dpa und AFP": agency nouns may come between.
        self.cocredit_before = re.compile(
            rf"(?<!\w){alternation(get('cocredit_before'))}\s*+(?:{determiners}\s*+)?(?:{nouns}\s++)?$", re.I
        )
        # "… im Original ist er in der israelischen Tageszeitung X erschienen": the cue, then the
        # rest of its sentence up to the name.
        self.republished_before = re.compile(
            rf"(?<!\w){alternation(get('republished_before'))}(?!\w)[^.!?;\n]{{0,80}}$", re.I
        )
        self.cocredit_after = re.compile(rf"^\s++{alternation(get('cocredit_after'))}(?!\w)", re.I)
        cosign = alternation(get("cosign_words"))
        self.cosign_before = re.compile(rf"(?:^|\s){cosign}\s+$", re.I)
        self.paren_cosign_before = re.compile(rf"\(\s*(?:[\w.]{{1,20}}\s+)?{cosign}\s+$", re.I)
        self.copyright_before = re.compile(
            rf"{alternation(get('copyright'))}\s*+:?\s*(?:\d{{1,4}}(?:\s*[-–]\s*\d{{4}})?\s*,?\s*)?"
            rf"(?:{alternation(get('copyright_fillers'))}\s+){{0,3}}(?:[\w.&-]+\s*/\s*)*$",
            re.I,
        )
        self.site_notice = re.compile(alternation(get("site_notice")), re.I)
        # "KVELLER via JTA —": a partner's dateline crediting the agency.
        dateline_joins = alternation(get("dateline_joins"))
        self.via_dateline = re.compile(rf"^\s*[{UPPER_LETTERS}][^\n.]{{0,40}}\b{dateline_joins}\s+$")
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
        self.plural_before = re.compile(rf"(?<!\w){alternation(get('plural_articles'))}\s++$", re.I)
        self.not_followed_by = re.compile(rf"^\s+{alternation(_escaped(get('not_followed_by')))}(?![\w])")
        self.business_after = re.compile(
            rf"^[^.;\n]{{0,40}}?(?<!\w){alternation(get('business_after'))}(?!\w)", re.I
        )
        self.self_news_after = re.compile(rf"^\s+{alternation(get('self_news_after'))}(?!\w)", re.I)
        via = alternation(get("via_words"))
        self.via_link = re.compile(rf"(?<!\w){via}\s*+(?::\s*+)?(?P<url>https?://[^\s)\]>\"'“”]+)", re.I)
        self.via_name = re.compile(rf"(?<!\w){via}\s*(?::\s*)?$", re.I)
        joins_list = alternation(get("list_joins"))
        self.list_join = re.compile(rf"^\s*(?:,|/|&|\+|\b{joins_list}\b)\s*(?:{determiners}\s+)?$", re.I)


@functools.cache
def cue_data() -> dict[str, list[str]]:
    """The cue lists of the data files, read once for every module that uses them (do not modify)."""
    return read_cues()


@functools.cache
def load_cue_patterns(path: Path = CUES_FILE) -> CuePatterns:
    """The compiled patterns of the cue data at `path` (the shipped files by default), built once."""
    return CuePatterns(cue_data() if path == CUES_FILE else read_cues(path))
