"""The batch tasks: one article per canonical URL, whatever the inputs."""

import importlib.metadata

from flows import tasks
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


def _extract_and_load(folder, docs, settings, read):
    """extract_and_load() on `docs` in a flow, into a fresh warehouse in `folder`; its counts and
    what `read` reads from the warehouse then."""
    from prefect import flow

    from flows.tasks import RunClaims, extract_and_load
    from flows.workers import worker_pool
    from warehouse import db

    con = db.connect(folder / "w.duckdb")
    try:
        with worker_pool(settings) as pool:

            @flow(name="extract-and-load")
            def run():
                return extract_and_load(con, docs, "r1", "v1", pool, settings, RunClaims())

            counts = run()
        return counts, read(con)
    finally:
        con.close()


def test_batches_extracted_ahead_of_their_load_give_what_one_batch_gives(prefect_harness, tmp_path):
    import gzip
    from dataclasses import replace

    from flows.tasks import batch_size
    from settings import Settings
    from tests.conftest import CORPUS, require_corpus
    from transforms.records import RawDocument

    paths = sorted((require_corpus(CORPUS) / "aeb" / "html").glob("*.html.gz"))[:6]
    docs = [RawDocument(source_ref=p.name, data=gzip.decompress(p.read_bytes())) for p in paths]
    # byte-different copies of the first page, in later batches: duplicates of the article batch 1 loads
    docs += [replace(docs[0], source_ref=f"copy-{n}.html", data=docs[0].data + b" " * n) for n in (1, 2)]

    def load(name: str, settings: Settings) -> tuple:
        def read(con) -> tuple:
            rows = con.execute("SELECT article_id, source_ref, title FROM articles ORDER BY 1").fetchall()
            dups = con.execute("SELECT source_ref FROM ingest_failures WHERE stage = 'duplicate'").fetchall()
            return rows, sorted(dups)

        counts, (rows, dups) = _extract_and_load(tmp_path / name, docs, settings, read)
        return (counts.new, counts.duplicate, counts.failed), rows, dups

    # three batches of 3, each extracted in two workers while the batch before loads
    ahead = load("ahead", Settings(batch_size=3, workers=2, pool_threshold=1))
    whole = load("whole", Settings(batch_size=250, workers=1))
    assert ahead == whole
    # at most one batch's worth for a pool: cut in two, the second half extracted while the first loads
    halves = Settings(batch_size=250, workers=2, pool_threshold=2)
    assert [batch_size(n, halves) for n in (3, 4, 8, 9, 250, 251)] == [250, 2, 4, 5, 125, 250]
    assert load("halves", halves) == whole
    assert ahead[0] == (6, 2, 0) and ahead[2] == [("copy-1.html",), ("copy-2.html",)]


def _copies_folder(folder):
    """A seeds folder of real AEB pages with copies: the same page a comment apart (copies), one
    without a canonical URL (its copies are articles of their own), one cut after its head (no
    article: its copies must be extracted each), and one with a line more (the same canonical
    URL, another parsed page: a duplicate, but not a copy)."""
    import gzip

    from tests.conftest import CORPUS, require_corpus
    from transforms.pipeline import process
    from transforms.records import Failure, RawDocument

    paths = sorted((require_corpus(CORPUS) / "aeb" / "html").glob("*.html.gz"))
    pages = {p.name.removesuffix(".html.gz")[:8]: gzip.decompress(p.read_bytes()) for p in paths[:16]}
    results = {key: process(RawDocument(key, data)) for key, data in pages.items()}
    urls = {key: r.article.url for key, r in results.items() if not isinstance(r, Failure)}
    with_url, without = [k for k, u in urls.items() if u], [k for k, u in urls.items() if not u]
    folder.mkdir()
    for key in [*with_url[:3], without[0]]:
        for copy in range(3):
            (folder / f"{key}-{copy}.html").write_bytes(pages[key] + f"\n<!-- copy {copy} -->\n".encode())
    head = pages[with_url[3]]
    head = head[: head.lower().index(b"</head>")] + b"</head><body></body></html>"
    for copy in range(2):
        (folder / f"head-{copy}.html").write_bytes(head + f"<!-- {copy} -->".encode())
    longer = pages[with_url[0]].replace(b"</body>", b"<p>One more line at the end.</p></body>", 1)
    (folder / f"{with_url[0]}-longer.html").write_bytes(longer)
    (folder / "zz-late-copy.html").write_bytes(pages[with_url[1]])
    return with_url, without


_TABLES = ("articles", "article_sources", "raw_documents", "ingest_failures")


def _rows(con, table: str) -> list[str]:
    """A table's rows, without its times and where its bytes were written (they differ by run)."""
    columns = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()
    kept = [name for name, kind in columns if "TIMESTAMP" not in kind and kind != "BLOB"]
    kept = [name for name in kept if not name.startswith("warc_") and "run_id" not in name]
    return sorted(map(repr, con.execute(f"SELECT {', '.join(kept)} FROM {table}").fetchall()))


def test_copies_extracted_once_load_the_rows_extracting_each_loads(prefect_harness, tmp_path, monkeypatch):
    import flows.workers
    from clients.seedfiles import read_seed_dir
    from settings import Settings
    from tests.flows.test_workers import record_inputs

    with_url, without = _copies_folder(tmp_path / "seeds")
    docs, problems = read_seed_dir(tmp_path / "seeds", 10_000_000)
    assert not problems and len(docs) == 16
    processed = record_inputs(monkeypatch, flows.workers, "process")

    def load(name: str, once: bool) -> tuple:
        processed.clear()
        settings = Settings(batch_size=5, workers=1, extract_copies_once=once)
        read = lambda con: {table: _rows(con, table) for table in _TABLES}  # noqa: E731
        counts, tables = _extract_and_load(tmp_path / name, docs, settings, read)
        return (counts.new, counts.duplicate, counts.failed), tables, sorted(processed)

    each = load("each", once=False)
    once = load("once", once=True)
    assert once[:2] == each[:2]  # the same counts and the same rows, table by table
    # 4 pages x 3 copies, 2 heads, a longer page, a late copy: 3 articles by canonical URL, 3 without
    assert each[0] == (6, 8, 2)
    assert len(each[2]) == 16
    # extracted once each: the first copy of every page, the longer page (not a copy), and both
    # heads (the first failed, so its copy is extracted for itself)
    firsts = {f"{key}-0.html" for key in [*with_url[:3], without[0]]}
    assert once[2] == sorted({*firsts, f"{with_url[0]}-longer.html", "head-0.html", "head-1.html"})
    reasons = [row for row in each[1]["ingest_failures"] if "head-" in row]
    assert len(reasons) == 2 and all("no main text found" in row for row in reasons)


def test_a_new_version_of_a_library_the_transforms_use_is_a_new_pipeline_version(monkeypatch):
    before = tasks.pipeline_version()
    installed = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "99.0" if name == "trafilatura" else installed(name)
    )
    assert tasks.pipeline_version() != before
