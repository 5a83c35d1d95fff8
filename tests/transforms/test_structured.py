"""read_structured on real pages (JSON-LD graphs, @id references, HTML bodies, microdata) and edge cases."""

from __future__ import annotations

import gzip
from pathlib import Path

import lxml.html

from transforms.page import parse_html
from transforms.structured import Party, StructuredData, read_structured


def read_page(path: Path) -> StructuredData:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return read_structured(parse_html(fh.read()))


def tree_of(head: str, body: str = "<p>text</p>") -> lxml.html.HtmlElement:
    return parse_html(f"<html><head>{head}</head><body>{body}</body></html>")


def ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


def test_graph_with_an_author_by_id_reference(corpus_dir: Path) -> None:
    # Lesotho Times (Yoast): an @graph whose Article names its author and publisher by @id
    found = read_page(corpus_dir / "fundus" / "pages" / "LesothoTimes_2025_11_24.html.gz")
    assert found.headline == "Mining blasts shatter homes"
    assert found.date_published == "2025-11-21T13:34:26+00:00"
    assert found.authors == (Party("Lesotho Times", ""),)
    assert found.site_name == "Lesotho Times"


def test_organisation_and_person_authors_and_a_body_written_in_html(corpus_dir: Path) -> None:
    found = read_page(corpus_dir / "fundus" / "pages" / "MallorcaMagazin_2025_04_16.html.gz")
    assert [party.name for party in found.authors] == ["Deutsche Presse-Agentur", "MM-Redaktion"]
    assert found.authors[0].is_organization and not found.authors[1].is_organization
    assert found.article_body.startswith("Der peruanische Literaturnobelpreisträger Mario Vargas Llosa")
    assert "<strong>" not in found.article_body and "\n" in found.article_body  # a paragraph a line


def test_microdata_of_the_article_only(corpus_dir: Path) -> None:
    # wday.ru: microdata only; the comments below the article have an itemprop="author" ("Гость") too
    (path,) = (corpus_dir / "aeb" / "html").glob("3c6d3381*.html.gz")
    found = read_page(path)
    assert found.authors == (Party("Текст: Венера Ерофеева"),)
    assert found.date_published == "2018-09-24T16:45:00+03:00"
    assert found.og_title.startswith("Самые популярные кулинарные блоги")


def test_the_richest_of_several_articles_is_the_page_article() -> None:
    tree = tree_of(
        ld('[{"@type": "NewsArticle", "headline": "Related story"},'
           ' {"@type": ["NewsArticle"], "headline": "Main story", "datePublished": "2024-03-05",'
           ' "author": [{"@type": "Person", "givenName": "Ann", "familyName": "Lee"}, "Bo Chen"],'
           ' "inLanguage": {"@type": "Language", "name": "German", "alternateName": "de"}}]')
    )  # fmt: skip
    found = read_structured(tree)
    assert found.headline == "Main story"
    assert [party.name for party in found.authors] == ["Ann Lee", "Bo Chen"]
    assert found.in_language == "de"


def test_broken_json_and_pages_without_structured_data_give_empty_fields() -> None:
    tree = tree_of(
        ld('{"@type": "NewsArticle", "headline": ') + '<meta property="og:title" content="Only OG">'
    )
    found = read_structured(tree)
    assert found.headline is None and found.authors == ()
    assert found.og_title == "Only OG"
    assert read_structured(tree_of("")) == StructuredData()


def test_author_meta_urls_are_left_out() -> None:
    tree = tree_of(
        '<meta property="article:author" content="https://www.facebook.com/someone">'
        '<meta name="author" content="Jane Doe"><meta property="article:published_time" content="2024-01-02">'
    )
    found = read_structured(tree)
    assert found.meta_authors == ("Jane Doe",)
    assert found.meta_published == "2024-01-02"
