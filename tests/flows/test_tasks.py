"""The batch tasks: one article per canonical URL, whatever the inputs."""

from transforms.pipeline import article_id_for, split_duplicates
from transforms.records import Article, TaggedArticle


def tagged(ref: str, url: str | None, origin: str = "seed") -> tuple[str, TaggedArticle]:
    item = TaggedArticle(ref, origin, f"hash-{ref}", Article(text="Body.", url=url))
    return article_id_for(url, origin, ref), item


def test_inputs_with_one_canonical_url_load_once_and_the_first_by_name_wins():
    items = [
        tagged("x.html.gz", "https://a.test/x"),
        tagged("x.html", "https://a.test/x"),
        tagged("y.txt", None),
    ]
    keep, left_out = split_duplicates(items, {})
    assert [item.source_ref for _, item in keep] == ["x.html", "y.txt"]
    assert [(f.source_ref, f.stage, f.severity) for f in left_out] == [("x.html.gz", "duplicate", "warning")]
    assert "seed input x.html" in left_out[0].reason and "https://a.test/x" in left_out[0].reason
    # the same inputs in another order give the same winner
    assert split_duplicates(items[::-1], {})[0] == keep[::-1]


def test_an_input_that_holds_the_article_already_keeps_it():
    article_id, item = tagged("b.html", "https://a.test/x")
    keep, left_out = split_duplicates([(article_id, item)], {article_id: ("seed", "a.html")})
    assert keep == [] and left_out[0].source_ref == "b.html" and "seed input a.html" in left_out[0].reason
    # its own stored row is no competitor
    assert split_duplicates([(article_id, item)], {article_id: ("seed", "b.html")}) == (
        [(article_id, item)],
        [],
    )
