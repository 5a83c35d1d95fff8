"""A synthetic stress set: the credits of the development pages, moved into other places and languages.

Each rule was written from a few pages; these tests take the credits those pages hold (the picture
credits labelled in the development labels, the credit forms of each cue language) and put them where
other publishers put them: into other page structures (figure captions, unmarked lines after a picture,
alt texts, JSON-LD), into teasers of other articles, into every cue language, into author fields. A rule
fitted to one page's markup or wording fails here. Only development material is used: Fundus A–M
(benchmarks/labels/fundus-am.tsv), attribution-dev's development half and the feed items
(benchmarks/labels/feeds.tsv); never the held-out pages.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from transforms.credit_cues import CUES_DIR
from transforms.html import extract_html
from transforms.records import TEXT_ROLES, Article, Credit, SourceTag
from transforms.registry import load_registry, read_data_file
from transforms.tag_sources import registry_matcher, tag_sources

LABELS = Path(__file__).resolve().parents[2] / "benchmarks" / "labels"
URL = "https://www.example-news.test/politik/haushalt-1234"

# One agency per cue language, written as that language's texts write it.
AGENCY_BY_LANGUAGE = {
    "en": ("Reuters", "Reuters"),
    "de": ("dpa", "dpa"),
    "fr": ("AFP", "AFP"),
    "es": ("EFE", "EFE"),
    "it": ("ANSA", "ANSA"),
    "pt": ("Lusa", "Lusa"),
    "nl": ("ANP", "ANP"),
    "no": ("NTB", "NTB"),
    "sv": ("TT Nyhetsbyrån", "TT Nyhetsbyrån"),
    "da": ("Ritzau", "Ritzau"),
    "fi": ("STT", "STT"),
    "pl": ("PAP", "PAP"),
    "cs": ("ČTK", "ČTK"),
    "hu": ("MTI", "MTI"),
    "tr": ("Anadolu Ajansı", "Anadolu"),
    "ru": ("ТАСС", "TASS"),
    "uk": ("Укрінформ", "Ukrinform"),
    "ar": ("وفا", "WAFA"),
    "ja": ("共同通信", "Kyodo"),
    "zh": ("新华社", "Xinhua"),
    "ko": ("연합뉴스", "Yonhap"),
}
UNSPACED = {"ja", "zh", "ko"}
# Cue entries that are patterns rather than words cannot be put into a sentence as written.
_PATTERN_MARKS = set(".^$*+?{}[]()|\\")


def _rows(path: Path) -> list[dict]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _development_picture_credits(corpus_dir: Path) -> list[tuple[str, str]]:
    """(source, words) of every picture credit labelled on the development pages."""
    split = {r["page"]: r["part"] for r in _rows(LABELS / "attribution-dev-split.tsv")}
    rows = (
        _rows(LABELS / "fundus-am.tsv")
        + [r for r in _rows(corpus_dir / "attribution-dev" / "labels.tsv") if split.get(r["page"]) == "dev"]
        + _rows(LABELS / "feeds.tsv")  # the feed items' media:credit lines ("Photograph: …/Twitter/PA")
    )
    found: dict[tuple[str, str], None] = {}
    for row in rows:
        if row["role"] == "photo":
            for source in row["source"].split("/"):
                found[(source.strip(), row["snippet"].strip())] = None
    return list(found)


_PARAGRAPH = (
    "<p>" + "Der Gemeinderat hat am Dienstagabend nach langer Debatte über den Haushalt entschieden, "
    "und eine knappe Mehrheit stimmte am Ende dafür. " * 3 + "</p>"
)


def _page(inner: str, head: str = "", own_credit: str = "") -> str:
    return (
        f"<html><head><title>Haushalt</title>{head}</head><body><header><a href='/'>Start</a></header>"
        f"<article><h1>Der Haushalt der Stadt ist beschlossen</h1>{_PARAGRAPH}{_PARAGRAPH}{inner}"
        f"{_PARAGRAPH}{own_credit}</article><footer>Impressum</footer></body></html>"
    )


def _jsonld(data: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


# Where pages put a picture's credit; class names are random: only tags and shape may decide. Each
# place gives the page, or with `bare` the fragment alone (several go into one page).
def _place(fragment: str) -> Callable[..., str]:
    return lambda c, bare=False: fragment.format(c=c) if bare else _page(fragment.format(c=c))


PICTURE_PLACES = {
    "figcaption": _place(
        "<figure><img src='a.jpg' width='800'><figcaption>Die Sitzung am Dienstag. {c}</figcaption></figure>"
    ),
    "figcaption spans": _place(
        "<figure><img src='a.jpg'><figcaption><span class='q1'>Die Sitzung am Dienstag.</span>"
        "<span class='q2'>{c}</span></figcaption></figure>"
    ),
    "figure paragraph": _place("<figure><img src='a.jpg'><p class='x1'>{c}</p></figure>"),
    "line after a picture": _place("<div class='m7'><img src='a.jpg'></div><div class='k3'>{c}</div>"),
    "span after a picture element": _place(
        "<div class='m7'><picture><img src='a.jpg'></picture><span class='z9'>{c}</span></div>"
    ),
    "line inside the picture's block": _place(
        "<div class='m7'><span class='z9'>{c}</span><img src='a.jpg'></div>"
    ),
    "caption run on with its credit element": _place(
        "<figure><img src='a.jpg'><figcaption>Die Sitzung am Dienstag <span class='credit'>{c}</span>"
        "</figcaption></figure>"
    ),
    "credit block before the caption's words": _place(
        "<figure><img src='a.jpg'><figcaption><p class='q1'>{c}</p>Die Sitzung am Dienstag"
        "</figcaption></figure>"
    ),
    # the credit as one part of the caption, with the caption's words after it
    "credit set apart by bars inside the caption": _place(
        "<figure><img src='a.jpg' width='800'><figcaption>Die Sitzung am Dienstag | {c} | Archiv"
        "</figcaption></figure>"
    ),
    "credit in brackets inside the caption": _place(
        "<figure><img src='a.jpg' width='800'><figcaption>Die Sitzung ({c}) am Dienstag in Berlin"
        "</figcaption></figure>"
    ),
    "credit before the caption's words after a dash": _place(
        "<figure><img src='a.jpg' width='800'><figcaption>{c} – Die Sitzung am Dienstag in Berlin"
        "</figcaption></figure>"
    ),
    "alt text": _place("<img src='a.jpg' alt='Die Sitzung am Dienstag. {c}'>"),
    "data attribute": _place("<div class='m7'><img src='a.jpg' data-image-credit='{c}'></div>"),
    "JSON-LD ImageObject": lambda c, bare=False: _page(
        "",
        _jsonld(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": "Der Haushalt",
                "image": {
                    "@type": "ImageObject",
                    "url": "https://x.test/a.jpg",
                    "creditText": html.unescape(c),
                },
            }
        ),
    ),
}
# A bare "© Agency" line right after a picture may as well be the article's own copyright line.
UNMARKED_PLACES = {"line after a picture", "span after a picture element", "line inside the picture's block"}


def _is_bare_copyright(words: str) -> bool:
    return words.lstrip().startswith("©") and not any(c.islower() for c in words.split("/")[0][2:])


def _rounds(credits: list[tuple[str, str]]) -> list[dict[str, set[str]]]:
    """The credits grouped into pages, so that no registry name occurs in two credits of one page
    (each credit's outcome is its own): {words: the sources labelled for them}."""
    matcher = registry_matcher(load_registry())
    labelled: dict[str, set[str]] = {}
    for source, words in credits:
        labelled.setdefault(words, set()).add(source)
    rounds: list[tuple[dict[str, set[str]], set[str]]] = []
    for words, sources in labelled.items():
        named = sources | {hit.source.name for hit in matcher.hits(words)}
        page = next((r for r in rounds if not r[1] & named), None)
        if page is None:
            page = ({}, set())
            rounds.append(page)
        page[0][words] = sources
        page[1].update(named)
    return [r[0] for r in rounds]


@pytest.mark.parametrize("place", list(PICTURE_PLACES))
def test_development_picture_credits_are_photo_wherever_they_sit(corpus_dir: Path, place: str) -> None:
    credits = [
        (source, words)
        for source, words in _development_picture_credits(corpus_dir)
        if not (place in UNMARKED_PLACES and _is_bare_copyright(words))
    ]
    make = PICTURE_PLACES[place]
    failures = []
    for page in _rounds(credits):
        if place == "JSON-LD ImageObject":
            texts = [make(html.escape(words, quote=True)) for words in page]  # one image object a page
        else:
            texts = [_page("".join(make(html.escape(words, quote=True), bare=True) for words in page))]
        tags = tuple(t for text in texts for t in tag_sources(extract_html(text, URL)))
        got = {(t.source, t.role) for t in tags}
        for words, sources in page.items():
            for source in sources:
                if (source, "photo") not in got or any(
                    t.source == source and t.role in TEXT_ROLES for t in tags
                ):
                    failures.append((source, words, [(t.source, t.role, t.evidence) for t in tags]))
    assert not failures, failures


# Credits of other articles: in teaser cards (a picture, a headline link, a line), in a list of
# headline links, in a "read more" line; class names are random.
def _cards(credit: str, count: int) -> str:
    return "".join(
        f"<div class='c9'><a href='/story/{i}'><img src='t{i}.jpg'>"
        f"<span>Ein ganz anderer Artikel über andere Dinge Nummer {i}</span></a><p>{credit}</p></div>"
        for i in range(count)
    )


TEASER_PLACES = {
    "four cards": lambda c: f"<div class='x1'>{_cards(c, 4)}</div>",
    "two cards": lambda c: f"<div class='x1'>{_cards(c, 2)}</div>",
    "list of headline links": lambda c: (
        "<ul class='y2'>"
        + "".join(
            f"<li><a href='/s/{i}'>Ein ganz anderer Artikel über Dinge Nummer {i} {c}</a></li>"
            for i in range(4)
        )
        + "</ul>"
    ),
    "read more line": lambda c: (
        f"<p><strong>Lesen Sie auch:</strong> <a href='/s/1'>Ein ganz anderer Artikel über Dinge {c}</a></p>"
    ),
}
TEASER_CREDITS = [
    ("dpa", "(dpa)"),
    ("AFP", "BERLIN (AFP) – Kurz gemeldet"),
    ("Reuters", "Foto: Anna Berg/Reuters"),
    ("dpa", "Quelle: dpa"),
    ("AP", "By The Associated Press"),
    ("Reuters", "laut Reuters"),
    ("EFE", "Foto: EFE"),
]


@pytest.mark.parametrize("place", list(TEASER_PLACES))
def test_credits_in_teasers_of_other_articles_are_not_this_articles(place: str) -> None:
    failures = []
    for source, credit in TEASER_CREDITS:
        tags = tag_sources(extract_html(_page(TEASER_PLACES[place](credit)), URL))
        if any(t.source == source for t in tags):
            failures.append((credit, [(t.role, t.evidence) for t in tags if t.source == source]))
    assert not failures, failures


def test_the_articles_own_credit_stays_when_teasers_repeat_it() -> None:
    """'(dpa)' closing the article and closing four teasers: the page holds it once more than the
    teasers do, so one is the article's."""
    tags = tag_sources(
        extract_html(_page(TEASER_PLACES["four cards"]("(dpa)"), own_credit="<p>(dpa)</p>"), URL)
    )
    assert ("dpa", "origin") in {(t.source, t.role) for t in tags}, tags


def _cue_words(language: str, key: str) -> list[str]:
    data = read_data_file(CUES_DIR / f"{language}.yaml") or {}
    return [w for w in data.get(key, []) if not set(w) & _PATTERN_MARKS]


def _assert_tagged(language: str, texts: str | list[str], source: str, role: str, failures: list) -> None:
    """One of `texts` (a credit written in its grammatical variants) is tagged `source`, `role`."""
    got = []
    for text in [texts] if isinstance(texts, str) else texts:
        tags = tag_sources(Article(text=text, language=language))
        for t in tags:
            assert text[t.start : t.end] == t.evidence
        if (source, role) in {(t.source, t.role) for t in tags}:
            return
        got.append((text, [(t.source, t.role) for t in tags]))
    failures.append(got)


SENTENCE = "Die Regierung will sparen und die Steuern erhöhen, sagte der Minister am Dienstag."


@pytest.mark.parametrize("language", sorted(AGENCY_BY_LANGUAGE))
def test_every_cue_word_of_a_language_credits_its_agency(language: str) -> None:
    """Each literal cue word of the language's file, around that language's agency: cited before
    and after the name, a source line for each byline word, a picture credit for each photo word."""
    alias, source = AGENCY_BY_LANGUAGE[language]
    space = "" if language in UNSPACED else " "
    failures: list = []
    determiners = [f"{d} " for d in _cue_words(language, "determiners")]
    for cue in _cue_words(language, "cited_before"):
        if f"{cue}{space}{alias}" in load_registry().by_name[source].aliases:
            continue  # the cue is part of a name ("agência Lusa"): a bare mention
        # with a determiner where the grammar wants one: "nach Angaben der dpa"
        variants = [f"{SENTENCE}{space}{cue}{space}{d}{alias}{space}x" for d in ["", *determiners]]
        _assert_tagged(language, variants, source, "cited", failures)
    for cue in _cue_words(language, "cited_after"):
        _assert_tagged(language, f"{SENTENCE} {alias}{space}{cue}{space}x", source, "cited", failures)
    for word in _cue_words(language, "byline_words"):
        _assert_tagged(language, f"{SENTENCE}\n{word}: {alias}", source, "origin", failures)
    for word in _cue_words(language, "photo_before"):
        _assert_tagged(
            language, f"{SENTENCE}\n{word.capitalize()}: Anna Berg/{alias}", source, "photo", failures
        )
    assert not failures, failures


# Signatures and datelines are written alike in every language with a Latin or Cyrillic script.
SIGNATURES = {
    "signature ending the paragraph": "{s} ({a})",
    "signature on its own line": "{s}\n({a})",
    "signature with an editor's initials": "{s} ({a}/lno)",
    "initials and agency ending the paragraph": "{s} sak/{a}",
    "initials and agency on their own line": "{s}\njki/{a}",
    "agency and initials on their own line": "{s}\n{a}/jki",
    "agency and dateline city": "{a}, MANILA\n{s}",
    "dateline": "BERLIN ({a}) – {s}",
    "dateline with a date": "Berlin, 3. März ({a}) - {s}",
    "dash signature": "{s} -- {a}",
    "copyright line": "{s}\n© {a} 2026",
    "co-credit in brackets": "{s} (FR mit {a})",
    "name alone on the last line": "{s}\n{a}",
}


@pytest.mark.parametrize("form", list(SIGNATURES))
def test_signatures_and_datelines_credit_any_agency(form: str) -> None:
    failures: list = []
    for language, (alias, source) in AGENCY_BY_LANGUAGE.items():
        if language in UNSPACED or language == "ar":
            continue
        _assert_tagged(language, SIGNATURES[form].format(s=SENTENCE, a=alias), source, "origin", failures)
    assert not failures, failures


AUTHOR_FIELDS = [
    "{a}",
    "Anna Berg / {a}",
    "Anna Berg, {a}",
    "Anna Berg und {a}",
    "Anna Berg ({a})",
    "{a}/jki",
    "jki/{a}",
    "{a}, Anna Berg",
    "Anna Berg | {a}",
]


@pytest.mark.parametrize("where", ["byline", "author_meta", "jsonld"])
def test_author_fields_credit_the_agency_as_origin(where: str) -> None:
    """An author field naming an agency next to a person, in any shape, is the agency's copy;
    "Anna Berg / dpa" there is an author and her agency, not a picture credit."""
    failures = []
    for language, (alias, source) in AGENCY_BY_LANGUAGE.items():
        for shape in AUTHOR_FIELDS:
            if where == "byline" and shape.startswith("Anna Berg / "):
                continue  # a byline element may be a picture credit's ("credits"): not sure there
            words = shape.format(a=alias)
            tags = tag_sources(Article(text="x", language=language, credits=(Credit(words, where),)))
            if (source, "origin") not in {(t.source, t.role) for t in tags}:
                failures.append((where, words, tags))
    assert not failures, failures


def _structured_tags(data: dict, meta: str = "") -> tuple[SourceTag, ...]:
    article = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Der Haushalt", **data}
    return tag_sources(extract_html(_page("", _jsonld(article) + meta), URL))


@pytest.mark.parametrize("field", ["copyrightHolder", "provider", "creditText", "copyrightNotice"])
def test_the_articles_rights_fields_credit_an_agency(field: str) -> None:
    value = {"@type": "Organization", "name": "dpa"} if field in ("copyrightHolder", "provider") else "dpa"
    tags = _structured_tags({field: value})
    assert any(t.source == "dpa" and t.role == "origin" and "JSON-LD" in t.evidence for t in tags), tags


def test_the_site_name_credits_an_agency_but_not_an_outlet() -> None:
    agency = _structured_tags({}, "<meta property='og:site_name' content='Agencia EFE'>")
    assert any(
        t.source == "EFE" and t.role == "origin" and t.evidence.startswith("site name") for t in agency
    )
    outlet = _structured_tags({}, "<meta property='og:site_name' content='The Guardian'>")
    assert not any(t.source == "The Guardian" for t in outlet), outlet


def test_the_stress_set_agencies_are_in_the_registry() -> None:
    registry = load_registry()
    for alias, source in AGENCY_BY_LANGUAGE.values():
        assert source in registry.by_name
        assert alias in registry.by_name[source].aliases or alias in registry.by_name[source].datelines


@pytest.mark.parametrize(
    ("language", "text", "source"),
    [
        ("sv", "Det uppger polisen enligt TT.", "TT Nyhetsbyrån"),
        ("sv", "Branden släcktes under natten, skriver TT.", "TT Nyhetsbyrån"),
        ("tr", "Yetkililer AA muhabirine açıklama yaptı.", "Anadolu"),
    ],
)
def test_a_dateline_token_is_cited_in_its_own_language_only(language: str, text: str, source: str) -> None:
    """ "TT" and "AA" name agencies only in datelines and signatures, except in their agency's own
    language, where a cue word makes them a source; in another language they stay untagged."""
    assert (source, "cited") in {
        (t.source, t.role) for t in tag_sources(Article(text=text, language=language))
    }
    other = "de" if language != "de" else "en"
    assert not [t for t in tag_sources(Article(text=text, language=other)) if t.source == source]
