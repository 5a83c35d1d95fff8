"""Extraction metrics and corpus loaders, shared by benchmarks/extraction_quality.py and the tests.

Body text: the Article Extraction Benchmark's own metric (its evaluate.py): texts split into `\\w+`
tokens (case kept), compared as multisets of 4-token shingles; per page true/false positives and false
negatives are normalised to sum to 1, precision and recall averaged over the pages, F1 the harmonic
mean of the two averages. (corpus/README.md describes lower-cased whitespace tokens; the script does
not, and only its tokens reproduce the published 0.960 of trafilatura.)

Metadata, on the Fundus pages (one per publisher, expected values written by Fundus's authors):
- title: the same after whitespace, or the same with the site's name before or after a separator;
- authors: the share of expected authors whose words appear, in order, in the byline; a page has a
  wrong extra author when a name of the byline matches none of the expected ones;
- date: the same calendar day as the page's own clock shows it, and the same instant (and minute)
  wherever both sides carry a time zone;
- language: the ISO 639-1 code, on pages whose language pages.json names (plus the two corrections of
  the corpus README).
"""

from __future__ import annotations

import gzip
import html as html_lib
import json
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
AEB = CORPUS / "aeb"
FUNDUS = CORPUS / "fundus"
_TOKEN = re.compile(r"\w+")
SHINGLE = 4

# The corpus README's known quirks of pages.json: these two pages are in another language.
_FUNDUS_LANGUAGE_FIXES = {"MalayMail": "en", "Sermitsiaq": "da"}


# --- body text: the AEB metric --------------------------------------------------------------------


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; a text shorter than n tokens is one short shingle."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def readme_page_f1(gold: str, predicted: str, n: int = SHINGLE) -> float:
    """Per-page F1 as corpus/README.md words it: lower-cased whitespace tokens, 4-word shingles."""

    def grams(text: str) -> Counter[tuple[str, ...]]:
        tokens = (text or "").lower().split()
        return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)

    true, pred = grams(gold), grams(predicted)
    tp = sum((true & pred).values())
    if not tp:
        return 0.0
    precision, recall = tp / sum(pred.values()), tp / sum(true.values())
    return 2 * precision * recall / (precision + recall)


def page_counts(gold: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page, normalised to sum to 1 so that long pages weigh no more."""
    true, pred = shingles(gold), shingles(predicted)
    tp = float(sum((true & pred).values()))
    fp = float(sum((pred - true).values()))
    fn = float(sum((true - pred).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision_of(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def recall_of(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def summarize(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    """Benchmark precision, recall and F1 from per-page (tp, fp, fn)."""
    # As in the benchmark: a page with nothing predicted has no precision, a page with an
    # empty gold text no recall.
    precision = statistics.mean([precision_of(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    recall = statistics.mean([recall_of(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


# --- corpora -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One corpus page and what is expected of it (None: not known for this page)."""

    name: str
    html: str
    url: str | None
    body: str
    title: str | None = None
    authors: tuple[str, ...] | None = None
    published: str | None = None
    language: str | None = None
    publisher: str | None = None

    @property
    def held_out(self) -> bool:
        """Fundus publishers N–Z are the held-out half: measured, never looked at page by page."""
        return bool(self.publisher) and self.publisher[0].upper() >= "N"


def read_gz(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
        return fh.read()


def load_aeb(corpus: Path = AEB) -> list[Page]:
    """Every AEB page with its gold text, in id order."""
    gold = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            name=page_id,
            html=read_gz(corpus / "html" / f"{page_id}.html.gz"),
            url=gold[page_id].get("url"),
            body=gold[page_id].get("articleBody", ""),
        )
        for page_id in sorted(gold)
    ]


def fundus_body(body: dict | None) -> str:
    """Fundus's expected body as text: summary, then each section's headline(s) and paragraphs."""
    if not body:
        return ""
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts.extend(section.get("headline") or [])
        parts.extend(section.get("paragraphs") or [])
    return "\n".join(parts)


def load_fundus(corpus: Path = FUNDUS, names: list[str] | None = None) -> list[Page]:
    """The Fundus pages (all, or those named) with their expected values, in file-name order."""
    index = json.loads((corpus / "pages.json").read_text(encoding="utf-8"))
    pages = []
    for name in sorted(names or index):
        info = index[name]
        expected = json.loads((corpus / "expected" / info["json"]).read_text(encoding="utf-8"))[
            info["version"]
        ]
        language = _FUNDUS_LANGUAGE_FIXES.get(info["publisher"], info.get("language"))
        authors = expected.get("authors")
        pages.append(
            Page(
                name=name,
                html=read_gz(corpus / "pages" / name),
                url=info.get("url"),
                body=fundus_body(expected.get("body")),
                title=expected.get("title"),
                authors=tuple(authors) if authors is not None else None,
                published=expected.get("publishing_date"),
                language=language,
                publisher=info["publisher"],
            )
        )
    return pages


# --- metadata --------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", html_lib.unescape(text)).split())


_SEPARATOR = re.compile(r"^\s*[|\-–—:·•»«/]\s*\S")
_SITE_NAME_MAX = 60


def title_matches(expected: str, got: str | None) -> bool:
    """The same after whitespace, or with a site name before or after a separator."""
    if not got:
        return False
    want, have = _plain(expected), _plain(got)
    if want == have:
        return True
    if have.startswith(want):
        rest = have[len(want) :]
        return len(rest) <= _SITE_NAME_MAX and bool(_SEPARATOR.match(rest))
    if have.endswith(want):
        rest = have[: -len(want)][::-1]
        return len(rest) <= _SITE_NAME_MAX and bool(_SEPARATOR.match(rest))
    return False


def _name_words(name: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", name).casefold())


_NAME_SPLIT = re.compile(r";|,|\s(?:and|und|et|y|e|og|och|en|i|и|ve|oraz)\s|&|/", re.IGNORECASE)


def byline_names(byline: str | None) -> list[str]:
    """The names a byline lists ("A; B", "A, B and C")."""
    if not byline:
        return []
    return [part.strip() for part in _NAME_SPLIT.split(byline) if part and _TOKEN.search(part)]


def _contains(words: list[str], seq: list[str]) -> bool:
    n = len(seq)
    return bool(seq) and any(words[i : i + n] == seq for i in range(len(words) - n + 1))


def author_scores(expected: tuple[str, ...], byline: str | None) -> tuple[int, int, bool]:
    """(expected authors found in the byline, expected authors, a wrong extra author listed)."""
    have = _name_words(byline or "")
    found = sum(1 for name in expected if _contains(have, _name_words(name)))
    wanted = [_name_words(name) for name in expected]
    extra = any(
        not any(_contains(words, want) or _contains(want, words) for want in wanted)
        for words in map(_name_words, byline_names(byline))
    )
    return found, len(expected), extra


def _parse_moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def date_scores(expected: str, got: str | None) -> tuple[bool, bool | None]:
    """(same calendar day, same instant or None when one side has no time zone)."""
    want = _parse_moment(expected)
    have = _parse_moment(got) if got else None
    if want is None or have is None:
        return False, None
    if want.tzinfo is None or have.tzinfo is None or "T" not in (got or ""):
        return want.date() == have.date(), None
    # both zoned: the day on the publisher's clock, whatever offset the instant is written in
    return want.date() == have.astimezone(want.tzinfo).date(), want == have


def same_minute(expected: str, got: str | None) -> bool:
    """Both zoned values name the same minute, seconds and fractions left out."""
    want, have = _parse_moment(expected), _parse_moment(got) if got else None
    if want is None or have is None or want.tzinfo is None or have.tzinfo is None:
        return False
    return want.replace(second=0, microsecond=0) == have.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Extracted:
    """What an extractor returned for one page (None for every field when it gave up)."""

    text: str = ""
    title: str | None = None
    byline: str | None = None
    published: str | None = None
    language: str | None = None


def as_extracted(out: Any) -> Extracted:
    """An Article (wiretrace), a trafilatura Document or a plain text, as an Extracted."""
    if out is None:
        return Extracted()
    if isinstance(out, str):
        return Extracted(text=out)
    return Extracted(
        text=getattr(out, "text", None) or "",
        title=getattr(out, "title", None),
        byline=getattr(out, "byline", None) or getattr(out, "author", None),
        published=getattr(out, "published", None) or getattr(out, "date", None),
        language=getattr(out, "language", None),
    )


def scores(pages: list[Page], results: dict[str, Extracted]) -> dict[str, Any]:
    """Every metric over the pages: body F1 (+ precision, recall) and, where expected, metadata."""
    out: dict[str, Any] = {"pages": len(pages)}
    out.update(summarize([page_counts(p.body, results[p.name].text) for p in pages]))
    titled = [p for p in pages if p.title]
    out["title"] = _share(title_matches(p.title, results[p.name].title) for p in titled)
    authored = [p for p in pages if p.authors is not None]
    found = wanted = extra = 0
    for p in authored:
        f, w, e = author_scores(p.authors, results[p.name].byline)
        found, wanted, extra = found + f, wanted + w, extra + e
    out["author_recall"] = found / wanted if wanted else None
    out["wrong_extra_author"] = extra / len(authored) if authored else None
    dated = [(p, date_scores(p.published, results[p.name].published)) for p in pages if p.published]
    out["date_same_day"] = _share(day for _p, (day, _instant) in dated)
    instants = [instant for _p, (_day, instant) in dated if instant is not None]
    out["date_same_instant"] = _share(instants)
    out["date_zoned_pages"] = len(instants)
    # Some expected values drop the seconds the page states ("07:39:00" for 07:39:18.751)
    minutes = [
        same_minute(p.published, results[p.name].published)
        for p, (_day, instant) in dated
        if instant is not None
    ]
    out["date_same_minute"] = _share(minutes)
    languaged = [p for p in pages if p.language]
    out["language"] = _share(results[p.name].language == p.language for p in languaged)
    return out


def _share(flags: Any) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None
