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


def test_batches_extracted_ahead_of_their_load_give_what_one_batch_gives(prefect_harness, tmp_path):
    import gzip
    from dataclasses import replace

    from prefect import flow

    from flows.tasks import RunClaims, extract_and_load
    from flows.workers import worker_pool
    from settings import Settings
    from tests.conftest import CORPUS, require_corpus
    from transforms.records import RawDocument
    from warehouse import db

    paths = sorted((require_corpus(CORPUS) / "aeb" / "html").glob("*.html.gz"))[:6]
    docs = [RawDocument(source_ref=p.name, data=gzip.decompress(p.read_bytes())) for p in paths]
    # byte-different copies of the first page, in later batches: duplicates of the article batch 1 loads
    docs += [replace(docs[0], source_ref=f"copy-{n}.html", data=docs[0].data + b" " * n) for n in (1, 2)]

    def load(name: str, settings: Settings) -> tuple:
        con = db.connect(tmp_path / name / "w.duckdb")
        try:
            with worker_pool(settings) as pool:

                @flow(name="batches")
                def batches():
                    return extract_and_load(con, docs, "r1", "v1", pool, settings, RunClaims())

                counts = batches()
            rows = con.execute("SELECT article_id, source_ref, title FROM articles ORDER BY 1").fetchall()
            dups = con.execute("SELECT source_ref FROM ingest_failures WHERE stage = 'duplicate'").fetchall()
        finally:
            con.close()
        return (counts.new, counts.duplicate, counts.failed), rows, sorted(dups)

    # three batches of 3, each extracted in two workers while the batch before loads
    ahead = load("ahead", Settings(batch_size=3, workers=2, pool_threshold=1))
    whole = load("whole", Settings(batch_size=250, workers=1))
    assert ahead == whole
    assert ahead[0] == (6, 2, 0) and ahead[2] == [("copy-1.html",), ("copy-2.html",)]
