import gzip

from tests.conftest import SEEDS
from transforms.pipeline import article_id_for, process
from transforms.records import Failure, RawDocument, TaggedArticle


def raw(name: str, data: bytes, **kw) -> RawDocument:
    return RawDocument(source_ref=name, data=data, **kw)


def test_seed_becomes_a_tagged_article_with_language_and_hash():
    path = SEEDS / "003_c203a4481660e9bf.txt"
    result = process(raw(path.name, path.read_bytes()))
    assert isinstance(result, TaggedArticle)
    assert result.article.language == "en"
    assert len(result.content_hash) == 64
    assert ("AFP", "origin") in {(s.source, s.role) for s in result.sources}
    assert result.notes == ()


def test_gzip_text_and_html_are_read(corpus_dir):
    path = SEEDS / "002_cd3e9b45309f4b3f.txt"
    result = process(raw("x.txt.gz", gzip.compress(path.read_bytes())))
    assert result.article.title == "Russia bans Chinese instant messaging app WeChat"
    page = next(iter(sorted((corpus_dir / "aeb" / "html").glob("*.html.gz"))))
    html = process(raw(page.name, page.read_bytes(), url="https://example.org/story"))
    assert isinstance(html, TaggedArticle) and html.article.url == "https://example.org/story"


def test_caller_metadata_fills_only_what_the_file_lacks():
    path = SEEDS / "000_81fad63d1977c299.txt"
    result = process(raw(path.name, path.read_bytes(), published="2001-01-01", title="Other", outlet="IBT"))
    assert result.article.published == "2017-05-10T13:41:00-04:00"  # the file's own date wins
    assert result.article.title.startswith("Russia Bans")
    assert result.article.outlet == "IBT"


def test_bad_inputs_are_failures_with_reasons():
    cases = {
        "empty.txt": (b"", "decode", "empty file"),
        "img.txt": (b"\xff\xd8\xff\xe0" + bytes(50), "decode", "binary file: looks like a JPEG image"),
        "nav.html": (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "extract", None),
        "big.txt": (b"x" * 2000, "decode", "too large: 2,000 bytes (2,000 bytes), the limit is 1,000 bytes"),
    }
    for name, (data, stage, reason) in cases.items():
        result = process(raw(name, data), max_bytes=1000 if name == "big.txt" else 10_000_000)
        assert isinstance(result, Failure), name
        assert (result.source_ref, result.stage) == (name, stage)
        assert result.reason == reason or (reason is None and result.reason)


def test_non_utf8_is_read_and_noted():
    text = "Café owners protest — the “new” tax hits small businesses hard, they say in Paris today."
    result = process(raw("w.txt", f"Cafe tax\n\n{text}".encode("cp1252")))
    assert text in result.article.text
    assert result.notes == ("not UTF-8: read as cp1252",)


def test_article_ids_are_stable_and_prefer_the_url():
    assert article_id_for("https://a.test/x", "feed", "https://a.test/rss") == article_id_for(
        "https://a.test/x", "seed", "file.txt"
    )
    assert article_id_for(None, "seed", "a.txt") != article_id_for(None, "seed", "b.txt")
    assert len(article_id_for(None, "seed", "a.txt")) == 16


def test_any_str_has_an_article_id_and_valid_text_keeps_the_id_it_had():
    import hashlib
    import os

    # A name read with surrogate escapes, and a lone surrogate: ids, never UnicodeEncodeError.
    for ref in (os.fsdecode(b"caf\xe9.txt"), "\ud800", "caf\udce9.txt"):
        assert len(article_id_for(None, "seed", ref)) == 16
    assert article_id_for(None, "seed", os.fsdecode(b"a\xe9")) != article_id_for(None, "seed", "a\\xe9")
    # Stored warehouses keep their ids: valid text hashes as its UTF-8 bytes, as it always did.
    assert (
        article_id_for(None, "seed", "café.txt") == hashlib.sha256("seed:café.txt".encode()).hexdigest()[:16]
    )


def test_warm_up_documents_take_the_common_paths():
    # warm_up must reach what a real article reaches (HTML extraction, plain-text cleaning,
    # dates, language, the tagger), or the first real articles pay the start-up instead.
    from transforms.pipeline import _WARM_UP, process_batch, warm_up

    warm_up()
    html, text = process_batch(_WARM_UP)
    assert html.article.published == "2017-05-05" and html.article.language == "en"
    assert html.article.outlet == "example.co.uk"  # its URL's registered domain: tldextract's tables
    assert {(s.source, s.role) for s in html.sources} >= {("AFP", "origin"), ("Quartz", "cited")}
    assert text.article.byline == "Jane Doe"
    assert ("AFP", "origin") in {(s.source, s.role) for s in text.sources}


def test_an_invalid_url_is_a_failure_not_an_exception():
    path = SEEDS / "002_cd3e9b45309f4b3f.txt"
    result = process(raw(path.name, path.read_bytes(), url="http://[::1"))
    assert isinstance(result, Failure)
    assert (result.stage, result.reason) == ("read", "not a valid http(s) URL: 'http://[::1'")


def test_damaged_utf8_is_loaded_with_a_warning_note():
    data = bytearray((SEEDS / "003_c203a4481660e9bf.txt").read_bytes())
    data[400] = 0xFF
    result = process(raw("d.txt", bytes(data)))
    assert isinstance(result, TaggedArticle)
    assert result.notes == ("mostly UTF-8: 1 invalid byte sequence replaced with U+FFFD",)
