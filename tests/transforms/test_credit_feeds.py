"""Wire credits in the items of real feeds (../shared/corpus/feeds/real-world): bylines, datelines,
a cited document and picture credits, each tagged from the item's own words. An item is tagged as
the attribution benchmark tags it: its title and description as the text, its author as the byline,
its media:credit as picture credits."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from transforms.records import TEXT_ROLES, Article, Credit
from transforms.registry import load_registry
from transforms.tag_sources import registry_matcher, tag_sources


def _items(corpus_dir: Path, name: str) -> list[dict]:
    return feedparser.parse((corpus_dir / "feeds" / "real-world" / name).read_bytes()).entries


def _article(entry: dict) -> Article:
    credits = tuple(
        Credit(" ".join(c["content"].split()), "photo_credit")
        for c in entry.get("media_credit", [])
        if c.get("content", "").strip()
    )
    text = "\n\n".join(filter(None, (entry.get("title"), entry.get("summary"))))
    return Article(text=text, byline=entry.get("author"), url=entry.get("link"), credits=credits)


@pytest.fixture(scope="module")
def guardian(corpus_dir: Path) -> list[dict]:
    return _items(corpus_dir, "guardian.rss")


def test_every_agency_in_a_picture_credit_is_credited_for_the_picture_only(guardian: list[dict]) -> None:
    """Each media:credit of the Guardian's items that names an agency ("Photograph: Elise Amendola/AP",
    "Photograph: @TheBoyCrypto/Twitter/PA", "Composite: Sam Morris/Getty/AP/Others") credits it with a
    picture credit; an agency named nowhere else is never credited for the text."""
    matcher = registry_matcher(load_registry())
    checked, failures = 0, []
    for entry in guardian:
        article = _article(entry)
        tags = tag_sources(article)
        photo = {t.source for t in tags if t.role == "photo"}
        text_sources = {t.source for t in tags if t.role in TEXT_ROLES}
        author = article.byline or ""
        for credit in article.credits:
            for hit in matcher.hits(credit.text):
                checked += 1
                if hit.source.name not in photo:
                    failures.append((credit.text, hit.source.name, "no picture credit"))
                named_elsewhere = matcher.hits(author) + matcher.hits(article.text)
                if hit.source.name in text_sources and not any(
                    h.source == hit.source for h in named_elsewhere
                ):
                    failures.append((credit.text, hit.source.name, "credited for the text"))
    assert checked >= 40  # the feed's picture credits name an agency about 50 times
    assert not failures, failures


@pytest.mark.parametrize(
    "author", ["Associated Press", "Reuters in New York", "Associated Press in Palm Beach, Florida"]
)
def test_an_agency_as_the_items_author_is_its_origin(guardian: list[dict], author: str) -> None:
    entry = next(e for e in guardian if e.get("author") == author)
    expected = "AP" if author.startswith("Associated") else "Reuters"
    tags = tag_sources(_article(entry))
    assert (expected, "origin") in {(t.source, t.role) for t in tags}, tags


def test_datelines_and_a_document_the_agency_saw_in_portuguese_items(corpus_dir: Path) -> None:
    """UOL's items open with agency datelines ("BRASÍLIA (Reuters) -", "MOSCOU, 24 SET (ANSA) -"), and
    one cites AFP for a letter "à qual a AFP teve acesso" (to which AFP had access)."""
    entries = _items(corpus_dir, "uolNoticias.rss")
    found = set()
    for entry in entries:
        found |= {(t.source, t.role) for t in tag_sources(_article(entry))}
    assert {("Reuters", "origin"), ("ANSA", "origin"), ("EFE", "origin"), ("AFP", "origin")} <= found
    assert ("AFP", "cited") in found
    # "O índice Dow Jones Industrial" is a market index, not the newswire
    assert not any(source == "Dow Jones Newswires" for source, _ in found)
