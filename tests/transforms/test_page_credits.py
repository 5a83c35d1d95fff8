"""Credit strings harvested from the whole page, labelled with where they were found."""

from __future__ import annotations

import gzip
from pathlib import Path

import lxml.html
import pytest

from transforms.page_credits import harvest_credits
from transforms.records import Credit

PAGE = """<html><head>
<meta name="author" content="Tom Krisher, AP Auto Writer">
<meta name="description" content="BERLIN (dpa) - Die Regierung will sparen.">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle",
 "author": [{"@type": "Organization", "name": "Reuters"}, "Jane Doe"],
 "image": {"@type": "ImageObject", "creditText": "Mike Blake/Reuters"}}
</script>
<script type="application/ld+json">{not json</script>
</head><body>
<header class="site-header"><nav class="menu"><a>By AP</a></nav></header>
<article>
  <h1>Title</h1>
  <div class="byline">Von David Hutzler, dpa</div>
  <figure><img src="a.jpg">
    <figcaption>The plant. <span class="credit">Foto: Soeren Stache/dpa</span></figcaption></figure>
  <p>Berlin/Frankfurt (dpa) - Immer mehr junge Menschen legen Geld an.</p>
  <p>Text of the article.</p>
  <p>(dpa)</p>
  <footer class="article-footer"><span class="author">dpa</span></footer>
</article>
<aside class="sidebar"><div class="teaser"><div class="byline">By AFP and TOI staff</div>
  <p>Mallorca (dpa) - Ein anderer Artikel.</p></div></aside>
<footer class="site-footer"><p>Associated Press articles: Copyright © 2016 The Associated Press</p>
  <p>© 2024 Example Media</p></footer>
</body></html>"""


@pytest.fixture(scope="module")
def credits() -> tuple[Credit, ...]:
    return harvest_credits(lxml.html.document_fromstring(PAGE))


def test_meta_and_jsonld_authors(credits: tuple[Credit, ...]) -> None:
    assert Credit("Tom Krisher, AP Auto Writer", "author_meta") in credits
    assert Credit("Reuters", "jsonld") in credits
    assert Credit("Jane Doe", "jsonld") in credits
    assert Credit("Mike Blake/Reuters", "jsonld_image") in credits


def test_description_only_when_it_opens_with_a_dateline(credits: tuple[Credit, ...]) -> None:
    assert Credit("BERLIN (dpa) - Die Regierung will sparen.", "description") in credits


def test_byline_caption_dateline_and_signature_elements(credits: tuple[Credit, ...]) -> None:
    assert Credit("Von David Hutzler, dpa", "byline") in credits
    assert any(c.where == "caption" and "Soeren Stache/dpa" in c.text for c in credits)
    assert Credit("Berlin/Frankfurt (dpa) - Immer mehr junge Menschen legen Geld an.", "dateline") in credits
    assert Credit("(dpa)", "credit_line") in credits
    # An article's own footer is the article's: its author box is a byline.
    assert Credit("dpa", "byline") in credits


def test_sidebars_menus_and_site_footers_are_marked(credits: tuple[Credit, ...]) -> None:
    assert Credit("By AFP and TOI staff", "related") in credits
    assert Credit("Mallorca (dpa) - Ein anderer Artikel.", "related") in credits
    notice = "Associated Press articles: Copyright © 2016 The Associated Press"
    assert Credit(notice, "site_footer") in credits
    assert not any(c.text == notice and c.where != "site_footer" for c in credits)
    assert not any(c.text == "By AP" and c.where not in ("related", "site_footer") for c in credits)


def test_each_credit_once_and_nested_elements_not_repeated(credits: tuple[Credit, ...]) -> None:
    assert len(credits) == len(set(credits))
    assert not any(c.text == "Foto: Soeren Stache/dpa" for c in credits)  # inside the harvested figcaption


def test_page_without_credits() -> None:
    tree = lxml.html.document_fromstring("<html><body><p>Just a paragraph of text.</p></body></html>")
    assert harvest_credits(tree) == ()


def _tree(corpus_dir: Path, name: str) -> lxml.html.HtmlElement:
    raw = gzip.decompress((corpus_dir / "attribution-dev" / "pages" / name).read_bytes())
    return lxml.html.document_fromstring(raw)


def test_real_page_sidebar_bylines_are_related(corpus_dir: Path) -> None:
    credits = harvest_credits(_tree(corpus_dir, "timesofisrael.com.washington.html.gz"))
    assert Credit("By AP and TOI staff", "related") in credits
    # The article's own photo caption is not taken for a sidebar, despite "sticky-sidebar-parent".
    assert any(c.where == "caption" and "Montoya-Lewis is sworn in" in c.text for c in credits)


def test_real_page_footer_and_lead(corpus_dir: Path) -> None:
    reuters = harvest_credits(_tree(corpus_dir, "reuters.com.parasite.html.gz"))
    assert Credit("© 0 Reuters. All Rights Reserved.", "site_footer") in reuters
    tour = harvest_credits(_tree(corpus_dir, "tour-magazin.de-unfall.html.gz"))
    assert any(c.where == "dateline" and c.text.startswith("Bogotá (dpa) -") for c in tour)
    # The teasers of other stories carry no class word; their shape (a list of headline links) says it.
    assert any(c.where == "related" and "Mallorca (dpa) -" in c.text for c in tour)
    assert not any(c.where not in ("related", "teaser") and "Mallorca (dpa) -" in c.text for c in tour)
    # and its lines are a teaser's, which the tagger sets aside in the extracted text
    assert any(c.where == "teaser" and c.text.startswith("Mallorca (dpa) -") for c in tour)


def test_real_page_byline_outside_main_text(corpus_dir: Path) -> None:
    credits = harvest_credits(_tree(corpus_dir, "finanztreff.de-Influencer.html.gz"))
    assert any(c.where == "byline" and c.text == "Von David Hutzler, dpa" for c in credits)
    thelocal = harvest_credits(_tree(corpus_dir, "thelocal.se.tattooed.html.gz"))
    assert Credit("AFP/The Local", "author_meta") in thelocal


def test_datelines_outside_the_article_are_other_stories() -> None:
    html = """<html><body><article><p>PARIS (AFP) - Le gouvernement a annoncé un plan.</p></article>
    <div class="x"><p>WASHINGTON (AP) - Another story in an unmarked list.</p><p>© AP</p></div>
    </body></html>"""
    credits = harvest_credits(lxml.html.document_fromstring(html))
    assert credits == (Credit("PARIS (AFP) - Le gouvernement a annoncé un plan.", "dateline"),)


def test_pages_without_an_article_element_keep_their_datelines() -> None:
    html = "<html><body><div><p>BERLIN (dpa) - Die Regierung will sparen.</p></div></body></html>"
    credits = harvest_credits(lxml.html.document_fromstring(html))
    assert credits == (Credit("BERLIN (dpa) - Die Regierung will sparen.", "dateline"),)


def test_the_quick_first_test_passes_every_element_the_hints_name(corpus_dir: Path) -> None:
    # harvest_credits judges most elements by _may_hold_credit alone: it must never turn away
    # an element that _kind would name, or a credit would be lost.
    from transforms.page_credits import _kind, _may_hold_credit

    pages = sorted((corpus_dir / "attribution-dev" / "pages").glob("*.html.gz"))
    pages += sorted((corpus_dir / "aeb" / "html").glob("*.html.gz"))[::6]
    named = 0
    for path in pages:
        for el in lxml.html.document_fromstring(gzip.decompress(path.read_bytes())).iter():
            if isinstance(el.tag, str) and _kind(el) is not None:
                named += 1
                assert _may_hold_credit(el, el.tag), (path.name, el.tag, dict(el.attrib))
    assert named > 500  # the test saw real credit-holding elements


def _fundus_tree(corpus_dir: Path, publisher: str) -> lxml.html.HtmlElement:
    (path,) = (corpus_dir / "fundus" / "pages").glob(f"{publisher}_*.html.gz")
    return lxml.html.document_fromstring(gzip.decompress(path.read_bytes()))


def test_structured_data_is_read_by_the_one_reader(corpus_dir: Path) -> None:
    from transforms.page_credits import structured_credits
    from transforms.structured import read_structured

    tree = _fundus_tree(corpus_dir, "DieZeit")
    structured = read_structured(tree)
    # an ImageObject's copyrightHolder, in the article's "image" list and in an ImageObject of its own
    assert any(field == "copyrightHolder" and "dpa" in words for field, words in structured.image_credits)
    credits = harvest_credits(tree, structured)
    assert [c for c in structured_credits(structured) if c in credits] == structured_credits(structured)
    assert any(c.where == "jsonld_image" and c.text.endswith("dpa") for c in credits)
    assert Credit("dpa", "jsonld") in credits


def test_an_unmarked_line_after_a_picture_is_its_credit(corpus_dir: Path) -> None:
    # <div><picture>…</picture><button/></div><div><span>caption</span><small>dpa</small></div>
    credits = harvest_credits(_fundus_tree(corpus_dir, "FAZ"))
    assert any(c.where == "picture_credit" and c.text.endswith(" dpa") for c in credits), credits


def test_a_teaser_named_block_without_links_is_the_articles_own(corpus_dir: Path) -> None:
    # class "teaser-image" around the lead picture, which links nowhere
    credits = harvest_credits(_fundus_tree(corpus_dir, "BoersenZeitung"))
    found = [c for c in credits if c.text.endswith("Bloomberg/Benjamin Girette")]
    assert found and all(c.where in ("caption", "picture_credit") for c in found), credits


def test_lines_after_portraits_and_inside_teaser_lists_are_not_picture_credits() -> None:
    html = """<html><body><article>
    <div><img src="a.jpg" width="48" height="48"></div><p>Reuters</p>
    <p>First paragraph of the story, long enough to be prose and not a caption at all.</p>
    </article></body></html>"""
    assert not [
        c for c in harvest_credits(lxml.html.document_fromstring(html)) if c.where == "picture_credit"
    ]


def test_author_meta_tags_of_any_name(corpus_dir: Path) -> None:
    # <meta name="articleAuthor" content="Anadolu Ajansı">
    assert Credit("Anadolu Ajansı", "author_meta") in harvest_credits(_fundus_tree(corpus_dir, "Haberturk"))


def _aeb_tree(corpus_dir: Path, prefix: str) -> lxml.html.HtmlElement:
    (path,) = (corpus_dir / "aeb" / "html").glob(f"{prefix}*.html.gz")
    return lxml.html.document_fromstring(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))


def test_a_run_of_the_articles_paragraphs_is_no_teaser_list(corpus_dir: Path) -> None:
    # nypost: the article's short paragraphs sit among so many links that its whole column has a
    # teaser list's link share; its run of paragraphs says it is the article, so its lead picture's
    # credit is the article's
    credits = harvest_credits(_aeb_tree(corpus_dir, "432362af"))
    assert Credit("Shutterstock", "caption") in credits
    # vox: "l-sidebar-fixed l-article-body-segment" holds the article's text: not a sidebar
    credits = harvest_credits(_aeb_tree(corpus_dir, "16c30add"))
    assert any(c.where == "caption" and c.text.endswith("Hindustan Times/Getty Images") for c in credits)


def test_an_article_element_inside_an_aside_is_another_story(corpus_dir: Path) -> None:
    credits = harvest_credits(_aeb_tree(corpus_dir, "f5c90a6d"))
    assert Credit("The Wall Street Journal", "related") in credits
    assert Credit("The Wall Street Journal", "byline") not in credits


def test_a_bylines_publication_and_a_captions_credit_run_on_are_read_apart(corpus_dir: Path) -> None:
    # "Tom Davies <span class=publication>Associated Press</span> Published …"
    assert Credit("Associated Press", "byline") in harvest_credits(_aeb_tree(corpus_dir, "7de52419"))
    # "… his Australian colleague Timothy Weeks <span class=credit>AP</span>"
    assert Credit("AP", "caption") in harvest_credits(_aeb_tree(corpus_dir, "a1fca19b"))


def test_block_elements_words_stay_apart() -> None:
    html = (
        "<html><body><article><figure><img src='a.jpg'><figcaption><p class='x'>Alex Wong | Getty Images</p>"
    )
    html += "Kristi Noem, governor.<!-- c -->Then<script>var x;</script> more</figcaption></figure>"
    html += "</article></body></html>"
    credits = harvest_credits(lxml.html.document_fromstring(html))
    assert Credit("Alex Wong | Getty Images Kristi Noem, governor. Then more", "caption") in credits


def test_a_short_line_inside_a_pictures_own_block_is_its_credit(corpus_dir: Path) -> None:
    # sputniknews: "<div class=b-article__header><img …><div><span>© REUTERS / POOL</span></div></div>"
    assert Credit("© REUTERS / POOL", "picture_credit") in harvest_credits(_aeb_tree(corpus_dir, "1f765c48"))
    html = (
        "<html><body><article><div class='q1'><img src='a.jpg'><span>dpa</span></div>"
        "<p>Der Minister sprach am Montag in Berlin über die neuen Regeln für den Verkehr.</p>"
        "<div class='q2'><a href='/other'><img src='b.jpg'><span>AFP</span></a></div>"
        "</article></body></html>"
    )
    credits = harvest_credits(lxml.html.document_fromstring(html))
    assert Credit("dpa", "picture_credit") in credits
    # inside a link, the line is a teased story's (its picture and headline are one link)
    assert not any(c.text == "AFP" for c in credits)


def test_a_list_of_sources_is_read_by_its_heading(corpus_dir: Path) -> None:
    # politifact: "<h3>Sources:</h3><div><p>CNN, "<a>China exempts …</a>," Sept. 13, 2019</p>…"
    entries = [c.text for c in harvest_credits(_aeb_tree(corpus_dir, "b6906ca0")) if c.where == "source_list"]
    assert 'CNN, "China exempts US soybeans and pork from tariffs," Sept. 13, 2019' in entries
    # snopes: "<a><h5><span>Sources</span></h5></a><div><ul><li><p>… <em>ABC News</em>. 15 November 2019."
    entries = [c.text for c in harvest_credits(_aeb_tree(corpus_dir, "8380689f")) if c.where == "source_list"]
    assert len(entries) == 2 and entries[1].endswith("The Guardian. 15 November 2019.")
    # a sentence that opens with the word is no heading
    html = "<html><body><article><p>Sources say the talks failed.</p><p>CNN, the network.</p></article>"
    html += "</body></html>"
    assert not any(c.where == "source_list" for c in harvest_credits(lxml.html.document_fromstring(html)))


def test_a_pictures_alt_text_inside_a_harvested_figure_is_read(corpus_dir: Path) -> None:
    # <figure><img alt="… (AP Photo/Damian Dovarganes)"><figcaption>…</figcaption></figure>: the caption's
    # words do not hold the alt text, which ends with the picture's credit
    credits = harvest_credits(_fundus_tree(corpus_dir, "EuronewsEN"))
    assert any(c.where == "caption" and c.text.endswith("(AP Photo/Damian Dovarganes)") for c in credits)


def test_a_portraits_alt_text_is_a_name_not_a_picture_credit(corpus_dir: Path) -> None:
    # <img class="article-authorimage" alt="Reuters" width="38" height="38"> in the byline box: an icon
    credits = harvest_credits(_aeb_tree(corpus_dir, "39d5c43b"))
    assert Credit("Reuters", "caption") not in credits
    assert any(c.where == "byline" and "Reuters" in c.text for c in credits), credits


def test_an_image_objects_caption_in_structured_data_is_a_picture_credit(corpus_dir: Path) -> None:
    from transforms.structured import read_structured

    structured = read_structured(_fundus_tree(corpus_dir, "Correctiv"))
    captions = [words for field, words in structured.image_credits if field == "caption"]
    assert any(w.endswith("(Symbolfoto: picture alliance/dpa | Hannes P Albert)") for w in captions)
    # CBC: the ImageObject's description ends "… (AP Photo/Adel Hana, File)"
    structured = read_structured(_fundus_tree(corpus_dir, "CBCNews"))
    described = [words for field, words in structured.image_credits if field == "description"]
    assert any(w.endswith("(AP Photo/Adel Hana, File)") for w in described)


def test_the_articles_own_picture_beside_links_is_no_teasers(corpus_dir: Path) -> None:
    # AP hosted page: the lead picture is the og:image, linked to the story's gallery in a block of links
    credits = harvest_credits(_aeb_tree(corpus_dir, "82b6d780"))
    assert any(c.where == "caption" and c.text.endswith("(AP Photo/Patrick Semansky, File)") for c in credits)
    # Times Union: the lead picture's link points to this page itself
    credits = harvest_credits(_aeb_tree(corpus_dir, "9ebb3af6"))
    assert any(c.where == "caption" and c.text.endswith("(AP Photo/David Zalubowski)") for c in credits)
    # LA Times: the pictures of the teasers of other stories stay theirs, though the page declares an og:image
    credits = harvest_credits(_fundus_tree(corpus_dir, "LATimes"))
    assert not any("Corbis via Getty Images" in c.text or "AP Photo/Jenny Kane" in c.text for c in credits)


def test_own_picture_signals_and_the_teaser_lists_repeated_units() -> None:
    teaser = (
        "<div class='teaser'><a href='/news/{n}'><img src='/img/story-{n}-2024.jpg'"
        " alt='A picture. Foto: dpa'><span>Another story number {n} with a headline</span></a></div>"
    )
    body = "".join(f"<p>Paragraph {n} of the article, long enough to be prose.</p>" for n in range(5))
    lead = (
        "<div class='teaser'><a href='/section'>Politik</a><a href='/gallery/1'>All the pictures of the day"
        " in one gallery</a><img src='/img/lead-7781.jpg' alt='The scene. Foto: Reuters'></div>"
    )

    def harvest(head: str, top: str, after: str) -> tuple[Credit, ...]:
        html = f"<html><head>{head}</head><body><article><h1>Title</h1>{top}<div>{body}</div>{after}"
        return harvest_credits(lxml.html.document_fromstring(html + "</article></body></html>"))

    listed = "<section>" + "".join(teaser.format(n=n) for n in range(3)) + "</section>"
    # the first picture above the text, in the block holding the headline and the text: the article's
    assert Credit("The scene. Foto: Reuters", "caption") in harvest("", lead, listed)
    # declared by og:image, as a resized copy
    declared = "<meta property='og:image' content='https://cdn.example.com/img/lead-7781-1200x630.jpg'>"
    assert Credit("The scene. Foto: Reuters", "caption") in harvest(declared, body, lead)
    # one of a run of like units each with its own headline link is a teaser, first or not
    credits = harvest("", listed, "")
    assert not any(c.text == "A picture. Foto: dpa" and c.where == "caption" for c in credits)
    # a picture linked to the site's home page is its logo
    logo = "<div class='promo'><a href='/'><img src='/logo-2024-big.png' alt='Reuters'></a><a href='/x'>"
    logo += "Read all the other stories of the day here</a></div>"
    assert not any(c.text == "Reuters" and c.where == "caption" for c in harvest("", logo, ""))


def test_picture_credits_in_data_attributes_of_any_name() -> None:
    # a data attribute naming an author is the picture's on the picture or inside its figure,
    # and says nothing of pictures on any other element (an author box's data)
    html = """<html><body><article>
    <figure><img src="a.jpg" data-image-author="Mike Blake/Reuters">
      <figcaption><span data-photo-author="EFE">The port.</span></figcaption></figure>
    <div class="box" data-author="Jane Doe"><p>First paragraph of the article, long enough.</p></div>
    <div data-media-credit="Soeren Stache/dpa"></div>
    </article></body></html>"""
    captions = [c.text for c in harvest_credits(lxml.html.document_fromstring(html)) if c.where == "caption"]
    assert "Mike Blake/Reuters" in captions and "EFE" in captions
    assert "Soeren Stache/dpa" in captions
    assert "Jane Doe" not in captions


def test_credit_lines_open_with_the_source_or_photo_word_of_every_language() -> None:
    from transforms.credit_cues import CUES_DIR
    from transforms.registry import read_data_file

    languages = 0
    for path in sorted(CUES_DIR.glob("*.yaml")):
        cues = read_data_file(path)
        for word in cues.get("source_words", []):
            html = f"<article><p>Text of the article.</p><p>{word.title()}: dpa</p></article>"
            credits = harvest_credits(lxml.html.document_fromstring(html))
            assert Credit(f"{word.title()}: dpa", "credit_line") in credits, path.name
        languages += bool(cues.get("source_words"))
        # a photo word's line right after a picture is the picture's credit
        word = next(w for w in cues["photo_before"] if w.isalpha())
        html = f"<article><div><img src='a.jpg'></div><p>{word}: Jan Nowak/AP</p></article>"
        credits = harvest_credits(lxml.html.document_fromstring(html))
        assert Credit(f"{word}: Jan Nowak/AP", "picture_credit") in credits, path.name
    assert languages >= 20
