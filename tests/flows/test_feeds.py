"""The feed path end to end, against feeds and pages served on 127.0.0.1 (nothing leaves the machine)."""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml
from prefect import flow
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from clients.config_files import load_feed_config
from flows.counts import FeedCounts
from flows.feeds import ingest_feeds
from settings import Settings
from transforms.feeds import FeedConfigError
from warehouse import alerts as wa
from warehouse import db
from warehouse.summary import open_failure_counts

# Four AEB pages: the topic words are in the page text, never in the feed entry's title or summary.
DREAMLINER = "374ac9a59a85196c"  # CNBC, Emirates orders Boeing 787s: text says "Dreamliner"
WEWORK = "06e5123e4ef7cfb4"  # VentureBeat, WeWork investigated: text says "Neumann"
EUROPA = "14cc2a0ca59c62a8"  # ScienceAlert, water plumes on Europa: matches no topic
DAVIS_CUP = "0d46122928b6f468"  # Sportsnet, Davis Cup: matches no topic
TOPICS = [
    {"name": "aviation", "query": "Dreamliner OR (Boeing AND airline*)"},
    {"name": "wework", "query": "Neumann"},
]
FAST = {"min_delay": 0, "retry_base": 0.01, "timeout": 0.5, "attempts": 2, "max_runs": 3}
SETTINGS = Settings(workers=1)


# Flow and task runs need a Prefect API: the session's temporary one (tests/conftest.py). A fixture of
# the same name here started a second temporary API in the process that ran this module (10-30 s).
pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(autouse=True)
def private_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    # The servers of these tests are on 127.0.0.1, which fetching refuses unless this is set.
    monkeypatch.setenv("WIRETRACE_ALLOW_PRIVATE_NETWORKS", "1")


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    httpserver = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpserver.start()
    # No robots.txt (404): everything is allowed. Tests of robots.txt add their own first.
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    yield httpserver
    httpserver.clear()
    if httpserver.is_running():
        httpserver.stop()


@pytest.fixture
def con(tmp_path: Path):
    connection = db.connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def aeb_page(corpus_dir: Path, prefix: str) -> bytes:
    [path] = (corpus_dir / "aeb" / "html").glob(f"{prefix}*.html.gz")
    return gzip.decompress(path.read_bytes())


def rss(items: list[dict]) -> str:
    body = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
        f"<guid isPermaLink='false'>{escape(i.get('guid', i['link']))}</guid>"
        f"<description>{escape(i.get('summary', 'Read the full story on our site.'))}</description>"
        f"<pubDate>Tue, 19 Nov 2019 10:00:00 GMT</pubDate></item>"
        for i in items
    )
    head = "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
    return f"{head}{body}</channel></rss>"


def write_config(tmp_path: Path, feeds: list[dict], topics: list[dict] | None = None, **fetch: object) -> str:
    path = tmp_path / "feeds.yaml"
    data = {"feeds": feeds, "topics": TOPICS if topics is None else topics, "fetch": {**FAST, **fetch}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def serve_page(server: HTTPServer, path: str, data: bytes) -> None:
    server.expect_request(path).respond_with_data(data, content_type="text/html; charset=utf-8")


def page_requests(server: HTTPServer) -> list[str]:
    return [req.path for req, _ in server.log if req.path.startswith("/p/")]


def run(
    con, feeds_file: str, run_id: str = "r1", force: bool = False, settings: Settings = SETTINGS
) -> FeedCounts:
    """ingest_feeds inside a flow run, as the main flow calls it."""

    @flow(name="feeds-test")
    def feeds_test() -> FeedCounts:
        return ingest_feeds(con, feeds_file, run_id, "v1", force, None, settings)

    return feeds_test()


def entry_status(con) -> dict[str, tuple]:
    rows = con.execute("SELECT link, status, attempts, last_error, article_id FROM feed_entries").fetchall()
    return {link: (status, attempts, error, article_id) for link, status, attempts, error, article_id in rows}


# -- polling ------------------------------------------------------------------------------------


def test_conditional_get_is_answered_304_and_nothing_is_parsed(server, con, tmp_path, corpus_dir):
    etag = '"v1"'
    feed = rss([{"title": "Emirates order", "link": server.url_for(f"/p/{DREAMLINER}")}]).encode()
    seen_headers: list[dict] = []

    def handler(request: Request) -> Response:
        seen_headers.append(dict(request.headers))
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(feed, headers={"ETag": etag, "Last-Modified": "Tue, 19 Nov 2019 10:00:00 GMT"},
                        content_type="application/rss+xml")  # fmt: skip

    server.expect_request("/feed.xml").respond_with_handler(handler)
    serve_page(server, f"/p/{DREAMLINER}", aeb_page(corpus_dir, DREAMLINER))
    config = write_config(tmp_path, [{"url": server.url_for("/feed.xml"), "outlet": "CNBC"}])

    first = run(con, config, "r1")
    assert (first.feeds_polled, first.entries_new, first.pages_matched, first.new) == (1, 1, 1, 1)
    second = run(con, config, "r2", force=True)
    assert seen_headers[1]["If-None-Match"] == etag
    assert seen_headers[1]["If-Modified-Since"] == "Tue, 19 Nov 2019 10:00:00 GMT"
    assert (second.feeds_polled, second.feeds_not_modified, second.entries_new, second.pages_fetched) == (
        1,
        1,
        0,
        0,
    )
    status, http, etag_kept = con.execute(
        "SELECT last_status, last_http_status, etag FROM feed_state"
    ).fetchone()
    assert (status, http, etag_kept) == ("not_modified", 304, etag)
    # The outlet of the feed's config wins over the registry and the page.
    assert con.execute("SELECT outlet, origin, source_ref FROM articles").fetchone() == (
        "CNBC", "feed", server.url_for("/feed.xml"))  # fmt: skip


def test_an_unchanged_body_with_a_new_etag_is_not_parsed_again(server, con, tmp_path):
    feed = rss([{"title": "x", "link": "http://127.0.0.1:1/p/none"}]).encode()
    counter = iter(range(100))
    server.expect_request("/feed.xml").respond_with_handler(
        lambda request: Response(
            feed, headers={"ETag": f'"{next(counter)}"'}, content_type="application/rss+xml"
        )
    )
    config = write_config(tmp_path, [{"url": server.url_for("/feed.xml")}], max_pages=0)
    run(con, config, "r1")
    second = run(con, config, "r2", force=True)
    assert second.feeds_not_modified == 1
    assert con.execute("SELECT last_status FROM feed_state").fetchone()[0] == "unchanged"


def test_a_feed_is_polled_only_when_due_and_backs_off_after_failures(server, con, tmp_path):
    server.expect_request("/ok.xml").respond_with_data(rss([]), content_type="application/rss+xml")
    server.expect_request("/down.xml").respond_with_data("busy", status=503, headers={"Retry-After": "7200"})
    server.expect_request("/broken.xml").respond_with_data("oops", status=500)
    feeds = [{"url": server.url_for(p), "interval": "30m"} for p in ("/ok.xml", "/down.xml", "/broken.xml")]
    config = write_config(tmp_path, feeds)
    before = datetime.now(UTC)
    first = run(con, config, "r1")
    assert (first.feeds_polled, (first.feeds_failed + first.pages_failed)) == (3, 2)
    state = {
        url.rsplit("/", 1)[1]: (status, failures, next_at)
        for url, status, failures, next_at in con.execute(
            "SELECT feed_url, last_status, consecutive_failures, next_poll_at FROM feed_state"
        ).fetchall()
    }
    assert state["ok.xml"][:2] == ("parsed", 0)
    assert timedelta(minutes=29) < state["ok.xml"][2] - before < timedelta(minutes=31)
    assert state["down.xml"][:2] == ("failed", 1)
    assert state["down.xml"][2] - before >= timedelta(hours=2)  # Retry-After, longer than the backoff
    assert timedelta(minutes=59) < state["broken.xml"][2] - before < timedelta(minutes=61)  # 30 min doubled
    assert run(con, config, "r2").feeds_polled == 0  # nothing is due yet
    third = run(con, config, "r3", force=True)
    assert third.feeds_polled == 3
    failures = con.execute(
        "SELECT consecutive_failures FROM feed_state WHERE feed_url LIKE '%broken%'"
    ).fetchone()
    assert failures == (2,)
    open_failures = con.execute(
        "SELECT source_ref, stage, reason, attempts FROM ingest_failures WHERE resolved_at IS NULL ORDER BY 1"
    ).fetchall()
    assert [(r[1], r[2], r[3]) for r in open_failures] == [("poll", "HTTP 500", 2), ("poll", "HTTP 503", 2)]


def test_a_feed_that_answers_again_has_its_failure_resolved_and_its_state_replaced(server, con, tmp_path):
    server.expect_oneshot_request("/flaky.xml").respond_with_data("oops", status=500)
    server.expect_request("/flaky.xml").respond_with_data(rss([]), content_type="application/rss+xml")
    server.expect_request("/ok.xml").respond_with_data(rss([]), content_type="application/rss+xml")
    feeds = [{"url": server.url_for(p)} for p in ("/flaky.xml", "/ok.xml")]
    config = write_config(tmp_path, feeds, timeout=10)  # only the 500 may fail, even on a busy machine
    assert run(con, config, "r1").feeds_failed == 1
    assert run(con, config, "r2", force=True).feeds_failed == 0
    assert run(con, config, "r3", force=True).feeds_failed == 0  # nothing failed before: nothing to resolve
    failures = con.execute(
        "SELECT source_ref, reason, resolved_at IS NOT NULL FROM ingest_failures"
    ).fetchall()
    assert failures == [(server.url_for("/flaky.xml"), "HTTP 500", True)]
    # one row per feed, its state the latest poll's (the same body again: unchanged), replaced each run
    states = con.execute(
        "SELECT feed_url, last_status, consecutive_failures, last_error FROM feed_state ORDER BY 1"
    ).fetchall()
    assert states == [
        (server.url_for("/flaky.xml"), "unchanged", 0, None),
        (server.url_for("/ok.xml"), "unchanged", 0, None),
    ]


def test_no_network_still_finishes_and_records_each_feed_and_a_feed_taken_out_fails_no_more(con, tmp_path):
    # Port 1 on 127.0.0.1: connection refused, as on a machine with no network.
    config = write_config(
        tmp_path, [{"url": "http://127.0.0.1:1/a.xml"}, {"url": "http://127.0.0.1:1/b.xml"}]
    )
    counts = run(con, config)
    assert (counts.feeds_polled, (counts.feeds_failed + counts.pages_failed)) == (2, 2)
    errors = con.execute("SELECT last_error FROM feed_state").fetchall()
    # robots.txt is asked for first: a site that cannot answer for it is not polled (clients/robots.py).
    assert all(e[0].startswith("poll: robots.txt unavailable (ConnectError") for e in errors)

    # A failing feed taken out of the feeds file is counted and alerted no more.
    a, b = "http://127.0.0.1:1/a.xml", "http://127.0.0.1:1/b.xml"
    assert open_failure_counts(con)["feed"] == 2
    run(con, write_config(tmp_path, [{"url": a}]), "r2", force=True)  # b taken out
    failing = {c.feed_url for c in wa.candidates(con, "r2", [], datetime.now(UTC))}
    assert failing == {a} and open_failure_counts(con)["feed"] == 1
    empty = tmp_path / "none.yaml"  # the README's run on seeds alone
    empty.write_text("")
    run(con, str(empty), "r3")
    assert open_failure_counts(con)["feed"] == 0 and wa.candidates(con, "r3", [], datetime.now(UTC)) == []
    reasons = dict(con.execute("SELECT source_ref, reason FROM ingest_failures").fetchall())
    assert all(reasons[url].endswith("(no longer in the feeds file)") for url in (a, b))


# -- entries and pages --------------------------------------------------------------------------


def test_one_article_through_two_feeds_and_tracking_links_is_fetched_and_loaded_once(
    server, con, tmp_path, corpus_dir
):
    page = f"/p/{DREAMLINER}"
    feed_a = rss([{"title": "Emirates", "link": server.url_for(page) + "?utm_source=rss&utm_medium=a"}])
    feed_b = rss(
        [{"title": "Emirates", "link": server.url_for(page) + "?fbclid=XYZ#comments", "guid": "b-1"}]
    )
    server.expect_request("/a.xml").respond_with_data(feed_a, content_type="application/rss+xml")
    server.expect_request("/b.xml").respond_with_data(feed_b, content_type="application/rss+xml")
    serve_page(server, page, aeb_page(corpus_dir, DREAMLINER))
    config = write_config(tmp_path, [{"url": server.url_for("/a.xml")}, {"url": server.url_for("/b.xml")}])

    counts = run(con, config)
    assert counts.entries_new == 2
    assert page_requests(server) == [page]
    assert con.execute("SELECT count(*), any_value(url) FROM articles").fetchone() == (
        1,
        server.url_for(page),
    )
    statuses = sorted(s for s, *_ in entry_status(con).values())
    assert statuses == ["duplicate", "matched"]


def test_a_redirect_to_an_already_loaded_page_is_not_loaded_again(server, con, tmp_path, corpus_dir):
    page = f"/p/{WEWORK}"
    server.expect_request("/a.xml").respond_with_data(
        rss([{"title": "WeWork", "link": server.url_for(page)}]), content_type="application/rss+xml"
    )
    serve_page(server, page, aeb_page(corpus_dir, WEWORK))
    server.expect_request("/short/1").respond_with_data(
        "", status=301, headers={"Location": server.url_for(page)}
    )
    config = write_config(tmp_path, [{"url": server.url_for("/a.xml")}])
    run(con, config, "r1")
    server.expect_request("/b.xml").respond_with_data(
        rss([{"title": "WeWork", "link": server.url_for("/short/1")}]), content_type="application/rss+xml"
    )
    config = write_config(tmp_path, [{"url": server.url_for("/a.xml")}, {"url": server.url_for("/b.xml")}])
    counts = run(con, config, "r2")
    assert (counts.entries_new, counts.new, counts.updated) == (1, 0, 0)
    assert entry_status(con)[server.url_for("/short/1")][0] == "duplicate"
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)


def test_topics_match_on_the_full_text_and_every_entry_is_remembered(server, con, tmp_path, corpus_dir):
    ids = [DREAMLINER, WEWORK, EUROPA, DAVIS_CUP]
    items = [{"title": f"Story {i}", "link": server.url_for(f"/p/{p}"), "summary": "Read more."} for i, p in
             enumerate(ids)]  # fmt: skip
    server.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    for p in ids:
        serve_page(server, f"/p/{p}", aeb_page(corpus_dir, p))
    config = write_config(tmp_path, [{"url": server.url_for("/feed.xml")}])

    counts = run(con, config)
    assert (counts.entries_new, counts.pages_matched, counts.new) == (4, 2, 2)
    rows = con.execute("SELECT url, topics FROM articles ORDER BY url").fetchall()
    assert rows == sorted([(server.url_for(f"/p/{DREAMLINER}"), ["aviation"]),
                           (server.url_for(f"/p/{WEWORK}"), ["wework"])])  # fmt: skip
    # Queryable in SQL: articles of a topic.
    assert con.execute("SELECT count(*) FROM articles WHERE list_contains(topics, 'wework')").fetchone() == (
        1,
    )
    status = {link.rsplit("/", 1)[1]: s for link, (s, *_) in entry_status(con).items()}
    assert status == {DREAMLINER: "matched", WEWORK: "matched", EUROPA: "unmatched", DAVIS_CUP: "unmatched"}
    assert sorted(counts.loaded) == sorted(
        a for (a,) in con.execute("SELECT article_id FROM articles").fetchall()
    )


def test_without_topics_every_article_is_kept(server, con, tmp_path, corpus_dir):
    server.expect_request("/feed.xml").respond_with_data(
        rss([{"title": "Europa", "link": server.url_for(f"/p/{EUROPA}")}]), content_type="application/rss+xml"
    )
    serve_page(server, f"/p/{EUROPA}", aeb_page(corpus_dir, EUROPA))
    counts = run(con, write_config(tmp_path, [{"url": server.url_for("/feed.xml")}], topics=[]))
    assert (counts.pages_matched, counts.new) == (1, 1)


def test_failed_pages_are_recorded_with_reason_and_attempts_and_retried_later(
    server, con, tmp_path, corpus_dir
):
    slow_calls: list[float] = []  # noted on arrival: the server logs a request only once answered

    def slow(request: Request) -> Response:
        slow_calls.append(time.monotonic())
        time.sleep(2.0)
        return Response("<html><body>late</body></html>", content_type="text/html")

    def requested() -> list[str]:
        return [p for p in page_requests(server) if p != "/p/slow"] + ["/p/slow"] * len(slow_calls)

    server.expect_request("/p/500").respond_with_data("error", status=500)
    server.expect_request("/p/404").respond_with_data("missing", status=404)
    server.expect_request("/p/slow").respond_with_handler(slow)
    server.expect_request("/p/garbage").respond_with_data(bytes(range(256)) * 40, content_type="text/html")
    server.expect_request("/p/big").respond_with_data(
        b"<html><body>" + b"x " * 400_000, content_type="text/html"
    )
    server.expect_request("/p/pdf").respond_with_data(b"%PDF-1.4", content_type="application/pdf")
    server.expect_request("/p/ok").respond_with_data(aeb_page(corpus_dir, WEWORK), content_type="text/html")
    names = ["500", "404", "slow", "garbage", "big", "pdf", "ok"]
    items = [{"title": n, "link": server.url_for(f"/p/{n}")} for n in names]
    server.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    config = write_config(
        tmp_path, [{"url": server.url_for("/feed.xml")}], timeout=0.8
    )  # robots.txt and /p/ok answer well within it, /p/slow never
    settings = replace(SETTINGS, max_document_bytes=500_000)

    counts = run(con, config, "r1", settings=settings)
    assert counts.pages_matched == 1 and (counts.feeds_failed + counts.pages_failed) == 6
    status = {link.rsplit("/", 1)[1]: (s, a, e) for link, (s, a, e, _) in entry_status(con).items()}
    assert status["ok"][0] == "matched"
    assert all(status[n][0] == "failed" and status[n][1] == 1 for n in names if n != "ok")
    assert "HTTP 500 (after 2 attempts)" in status["500"][2]
    assert status["404"][2] == "fetch: HTTP 404"
    assert "timed out" in status["slow"][2]
    assert "too large" in status["big"][2]
    assert "content type application/pdf" in status["pdf"][2]
    assert status["garbage"][2].startswith(("decode:", "extract:"))
    hits = requested()
    assert hits.count("/p/500") == 2 and hits.count("/p/404") == 1  # retry on 5xx only
    failures = dict(
        con.execute(
            "SELECT source_ref, stage FROM ingest_failures WHERE origin = 'feed' AND severity = 'error'"
        ).fetchall()
    )
    assert failures[server.url_for("/p/404")] == "fetch"
    assert failures[server.url_for("/p/garbage")] in ("decode", "extract")  # keyed by page, not by feed
    reason = "SELECT reason FROM ingest_failures WHERE source_ref = ?"
    assert con.execute(reason, [server.url_for("/p/500")]).fetchone() == ("HTTP 500 (after 2 attempts)",)
    # Fetched but not loaded: the failure stays open (resolved only when the page loads).
    still_open = {r[0] for r in con.execute("SELECT source_ref FROM open_failures").fetchall()}
    assert {server.url_for(f"/p/{n}") for n in names if n != "ok"} <= still_open

    # Later runs retry the failed pages (not the loaded one), up to max_runs runs in all.
    server.log.clear()
    slow_calls.clear()
    run(con, config, "r2", settings=settings)
    assert sorted(set(requested())) == sorted(f"/p/{n}" for n in names if n != "ok")
    run(con, config, "r3", settings=settings)
    server.log.clear()
    slow_calls.clear()
    run(con, config, "r4", settings=settings)
    assert requested() == []
    assert con.execute("SELECT max(attempts) FROM feed_entries").fetchone() == (3,)


def test_a_redirect_names_the_url_that_answered_and_a_refused_link_is_kept_as_text(server, con, tmp_path):
    server.expect_request("/p/moved").respond_with_data("", status=302, headers={"Location": "/p/gone"})
    server.expect_request("/p/gone").respond_with_data("missing", status=404)
    items = [
        {"title": "moved", "link": server.url_for("/p/moved")},
        {"title": "local", "link": "file:///etc/passwd"},
    ]
    server.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    run(con, write_config(tmp_path, [{"url": server.url_for("/feed.xml")}]))
    rows = dict(con.execute("SELECT title, (link, status, last_error) FROM feed_entries").fetchall())
    gone = server.url_for("/p/gone")
    assert rows["moved"] == (
        server.url_for("/p/moved"),
        "failed",
        f"fetch: HTTP 404 from {gone} (the link redirected there)",
    )
    link, status, error = rows["local"]  # as feedparser gives it: file://etc/passwd
    assert link.startswith("file:") and link.endswith("/etc/passwd") and status == "skipped"
    assert error == f"entry has no http(s) link: {link!r}"
    assert "/etc/passwd" not in "".join(page_requests(server))  # data, never fetched


def test_a_second_run_fetches_no_page_and_a_new_item_is_the_only_page_fetched(
    server, con, tmp_path, corpus_dir
):
    items = [
        {"title": "a", "link": server.url_for(f"/p/{EUROPA}")},
        {"title": "b", "link": server.url_for(f"/p/{WEWORK}")},
    ]
    feed = {"body": rss(items)}
    server.expect_request("/feed.xml").respond_with_handler(
        lambda request: Response(feed["body"], content_type="application/rss+xml")
    )
    for p in (EUROPA, WEWORK, DREAMLINER):
        serve_page(server, f"/p/{p}", aeb_page(corpus_dir, p))
    config = write_config(tmp_path, [{"url": server.url_for("/feed.xml")}])
    run(con, config, "r1")
    assert len(page_requests(server)) == 2

    server.log.clear()
    second = run(con, config, "r2", force=True)
    assert page_requests(server) == [] and second.pages_fetched == 0

    feed["body"] = rss([{"title": "c", "link": server.url_for(f"/p/{DREAMLINER}")}, *items])
    server.log.clear()
    third = run(con, config, "r3", force=True)
    assert page_requests(server) == [f"/p/{DREAMLINER}"]
    assert (third.entries_new, third.pages_matched, third.new) == (1, 1, 1)


def test_every_corpus_feed_parses_or_is_recorded_as_failed(server, con, tmp_path, corpus_dir):
    files = sorted(p for p in (corpus_dir / "feeds").rglob("*") if p.is_file() and p.name != "LICENSE")
    assert len(files) == 54
    feeds = []
    for i, path in enumerate(files):
        data = path.read_bytes()
        # feedparser's http_* cases give their headers in a comment: serve them as real headers.
        headers = dict(re.findall(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", data, re.MULTILINE))
        headers = {k.decode(): v.decode() for k, v in headers.items()}
        headers.setdefault("Content-Type", "application/xml")
        server.expect_request(f"/corpus/{i}").respond_with_data(data, headers=headers)
        feeds.append({"url": server.url_for(f"/corpus/{i}")})
    # max_pages 0: the corpus links point to real sites, which a test must never reach.
    counts = run(con, write_config(tmp_path, feeds, max_pages=0))
    assert counts.feeds_polled == 54
    rows = con.execute("SELECT last_status, last_error, entries_in_feed FROM feed_state").fetchall()
    assert len(rows) == 54
    assert all(status == "parsed" or (status == "failed" and error) for status, error, _ in rows)
    parsed = [r for r in rows if r[0] == "parsed"]
    assert len(parsed) >= 50
    entries = con.execute("SELECT count(*) FROM feed_entries").fetchone()[0]
    assert entries == sum(r[2] for r in parsed) and entries > 300
    base = con.execute(
        "SELECT link FROM feed_entries WHERE link = 'http://example.com/relative/uri'"
    ).fetchall()
    assert base, "a relative link resolves against the Content-Location header"


# -- configuration ------------------------------------------------------------------------------


def test_a_bad_config_is_a_clear_error(tmp_path, con):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("feeds: [\n", encoding="utf-8")
    with pytest.raises(FeedConfigError, match="not valid YAML"):
        run(con, str(bad_yaml))
    bad_query = tmp_path / "q.yaml"
    bad_query.write_text(yaml.safe_dump({"topics": [{"name": "x", "query": "(wechat"}]}), encoding="utf-8")
    with pytest.raises(FeedConfigError, match=r"topics\[0\] \(x\): bad query"):
        run(con, str(bad_query))
    with pytest.raises(FeedConfigError, match="not found"):
        run(con, str(tmp_path / "missing.yaml"))


def test_the_shipped_feeds_yaml_is_valid():
    config = load_feed_config(Path(__file__).resolve().parents[2] / "feeds.yaml")
    assert len(config.feeds) >= 8
    [topic] = [t for t in config.topics if "wechat" in t.name.lower()]
    seed = (Path(__file__).resolve().parents[2] / "seeds" / "003_c203a4481660e9bf.txt").read_text(
        encoding="utf-8"
    )
    assert topic.query.matches(None, seed)
    assert not topic.query.matches("Russia bans LinkedIn", "Roskomnadzor blocked LinkedIn in Russia.")


def test_a_429_with_a_short_retry_after_is_retried_in_the_same_run(server, con, tmp_path, corpus_dir):
    calls = {"n": 0}

    def limited(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response("slow down", status=429, headers={"Retry-After": "0"})
        return Response(aeb_page(corpus_dir, WEWORK), content_type="text/html")

    server.expect_request("/p/limited").respond_with_handler(limited)
    server.expect_request("/feed.xml").respond_with_data(
        rss([{"title": "x", "link": server.url_for("/p/limited")}]), content_type="application/rss+xml"
    )
    counts = run(con, write_config(tmp_path, [{"url": server.url_for("/feed.xml")}]))
    assert calls["n"] == 2 and counts.pages_matched == 1


# -- fetch safety -------------------------------------------------------------------------------


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch off, with the test server's 127.0.0.1 standing for a public host: every other
    address is judged as it would be in production."""
    from clients import guard

    monkeypatch.delenv("WIRETRACE_ALLOW_PRIVATE_NETWORKS")
    judge = guard.refusal
    monkeypatch.setattr(guard, "refusal", lambda address: None if address == "127.0.0.1" else judge(address))


def test_private_links_and_redirects_to_them_are_refused_and_the_rest_is_published(
    loopback_is_public, server, con, tmp_path, corpus_dir
):
    port = server.port
    private = {
        "loopback": f"http://127.0.0.2:{port}/p/secret",
        "ten": "http://10.0.0.1/admin",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "v6": f"http://[::1]:{port}/p/secret",
        "hop": server.url_for("/p/hop"),  # 302 to the loopback one
    }
    server.expect_request("/p/hop").respond_with_data(
        "", status=302, headers={"Location": private["loopback"]}
    )
    serve_page(server, f"/p/{WEWORK}", aeb_page(corpus_dir, WEWORK))
    items = [{"title": k, "link": v} for k, v in private.items()]
    items.append({"title": "ok", "link": server.url_for(f"/p/{WEWORK}")})
    server.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")

    counts = run(con, write_config(tmp_path, [{"url": server.url_for("/feed.xml")}]))
    assert (counts.pages_matched, counts.new, counts.pages_failed) == (1, 1, 5)
    status = entry_status(con)
    for name, link in private.items():
        state, attempts, error, _ = status[link]
        kind = {"ten": "a private", "metadata": "a link-local"}.get(name, "a loopback")
        assert (state, attempts) == ("failed", 1) and error.startswith("fetch: refused:"), name
        assert f"{kind} address" in error, name
    refused = con.execute(
        "SELECT count(*) FROM ingest_failures WHERE stage = 'fetch' AND reason LIKE 'refused:%'"
    ).fetchone()
    assert refused == (5,)
    assert sorted(page_requests(server)) == sorted(["/p/hop", f"/p/{WEWORK}"])
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)


def test_credentials_in_links_are_neither_sent_nor_stored(server, con, tmp_path, corpus_dir):
    page = f"/p/{WEWORK}"
    serve_page(server, page, aeb_page(corpus_dir, WEWORK))
    link = server.url_for(page).replace("http://", "http://editor:hunter2@")
    server.expect_request("/feed.xml").respond_with_data(
        rss([{"title": "x", "link": link, "guid": "g-1"}]), content_type="application/rss+xml"
    )
    assert run(con, write_config(tmp_path, [{"url": server.url_for("/feed.xml")}])).pages_matched == 1
    [(stored,)] = con.execute("SELECT link FROM feed_entries").fetchall()
    assert stored == server.url_for(page)
    [request] = [req for req, _ in server.log if req.path == page]
    assert "Authorization" not in request.headers


def test_robots_txt_disallow_is_recorded_as_the_reason(server, con, tmp_path, corpus_dir):
    server.clear_all_handlers()
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /p/members/\n")
    serve_page(server, f"/p/{WEWORK}", aeb_page(corpus_dir, WEWORK))
    items = [
        {"title": "closed", "link": server.url_for("/p/members/1")},
        {"title": "open", "link": server.url_for(f"/p/{WEWORK}")},
    ]
    server.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    counts = run(con, write_config(tmp_path, [{"url": server.url_for("/feed.xml")}]))
    assert (counts.pages_matched, counts.pages_failed) == (1, 1)
    assert entry_status(con)[server.url_for("/p/members/1")][:3] == (
        "failed", 1, "fetch: disallowed by robots.txt")  # fmt: skip
    assert [req.path for req, _ in server.log].count("/robots.txt") == 1  # once per site per run
    assert "/p/members/1" not in page_requests(server)


def test_a_feed_moved_permanently_is_polled_at_its_new_url(server, con, tmp_path):
    feed = rss([{"title": "x", "link": "http://127.0.0.1:1/p/none"}])
    for path in ("/new.xml", "/elsewhere.xml"):
        server.expect_request(path).respond_with_data(feed, content_type="application/rss+xml")
    server.expect_request("/old.xml").respond_with_data("", status=301, headers={"Location": "/new.xml"})
    server.expect_request("/busy.xml").respond_with_data(
        "", status=302, headers={"Location": "/elsewhere.xml"}
    )
    old, busy = server.url_for("/old.xml"), server.url_for("/busy.xml")
    config = write_config(tmp_path, [{"url": old}, {"url": busy}], max_pages=0)

    assert run(con, config, "r1").feeds_failed == 0
    state = dict(con.execute("SELECT feed_url, current_url FROM feed_state").fetchall())
    assert state == {old: server.url_for("/new.xml"), busy: None}
    moves = con.execute("SELECT feed_url, old_url, new_url, run_id FROM feed_moves").fetchall()
    assert moves == [(old, old, server.url_for("/new.xml"), "r1")]

    server.log.clear()
    assert run(con, config, "r2", force=True).feeds_failed == 0
    polled = sorted(req.path for req, _ in server.log if req.path.endswith(".xml"))
    assert polled == ["/busy.xml", "/elsewhere.xml", "/new.xml"]  # not /old.xml again
    assert con.execute("SELECT count(*) FROM feed_moves").fetchone() == (1,)
    # The entries stay under the configured URL.
    assert con.execute("SELECT DISTINCT feed_url FROM feed_entries ORDER BY 1").fetchall() == sorted(
        [(old,), (busy,)]
    )


def test_an_entry_whose_content_changed_is_fetched_again(server, con, tmp_path, corpus_dir):
    path = "/p/story"
    page = {"body": aeb_page(corpus_dir, DREAMLINER)}
    item = {"title": "Emirates orders jets", "link": server.url_for(path), "guid": "story-1"}
    feed = {"body": rss([item])}
    server.expect_request(path).respond_with_handler(
        lambda request: Response(page["body"], content_type="text/html")
    )
    server.expect_request("/feed.xml").respond_with_handler(
        lambda request: Response(feed["body"], content_type="application/rss+xml")
    )
    config = write_config(tmp_path, [{"url": server.url_for("/feed.xml")}])
    first = run(con, config, "r1")
    assert (first.entries_new, first.new, page_requests(server)) == (1, 1, [path])

    server.log.clear()
    feed["body"] = rss([item]).replace("<channel><title>t</title>", "<channel><title>t2</title>")
    assert run(con, config, "r2", force=True).pages_fetched == 0  # the feed changed, the entry did not

    # The same guid with a new title: the story was rewritten, its page is fetched again.
    feed["body"] = rss([{**item, "title": "Emirates and WeWork"}])
    page["body"] = aeb_page(corpus_dir, WEWORK)
    third = run(con, config, "r3", force=True)
    assert (third.entries_new, third.pages_fetched, third.updated, third.new) == (0, 1, 1, 0)
    assert page_requests(server) == [path]
    assert con.execute("SELECT count(*), any_value(topics) FROM articles").fetchone() == (1, ["wework"])
    assert con.execute("SELECT status, attempts FROM feed_entries").fetchone() == ("matched", 2)


def test_a_thousand_feeds_in_one_run_never_wait_for_the_pool_until_timeout(con, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class NotModified(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(0.01)  # a busy server: 1000 polls over 8 connections take over 1 s in all
            self.send_response(404 if self.path == "/robots.txt" else 304)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), NotModified)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        feeds = [{"url": f"{base}/feed/{n}"} for n in range(1000)]
        # 8 connections for 1000 polls, all allowed to start at once: most wait for a connection,
        # far longer than the 2 s timeout in all, and none of them may fail for it.
        config = write_config(
            tmp_path, feeds, topics=[], timeout=2, concurrency=8, per_host=1000, max_pages=0
        )
        counts = run(con, config)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert (counts.feeds_polled, counts.feeds_not_modified, counts.feeds_failed) == (1000, 1000, 0)
    assert con.execute("SELECT count(*) FROM feed_state WHERE last_error IS NOT NULL").fetchone() == (0,)


# -- volume: a time budget per run, fetching while extracting ------------------------------------


def test_pages_past_the_time_budget_stay_pending_and_the_next_run_fetches_them(
    server, con, tmp_path, corpus_dir
):
    items = [{"title": p, "link": server.url_for(f"/p/{p}")} for p in (DREAMLINER, WEWORK, EUROPA)]
    server.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    for p in (DREAMLINER, WEWORK, EUROPA):
        serve_page(server, f"/p/{p}", aeb_page(corpus_dir, p))
    config = write_config(tmp_path, [{"url": server.url_for("/feed.xml")}])

    spent = run(con, config, "r1", settings=replace(SETTINGS, feed_fetch_budget=0))
    assert (spent.entries_new, spent.pages_fetched) == (3, 0) and page_requests(server) == []
    assert {status for status, *_ in entry_status(con).values()} == {"pending"}

    later = run(con, config, "r2", settings=replace(SETTINGS, feed_fetch_budget=600))
    assert sorted(page_requests(server)) == sorted(f"/p/{p}" for p in (DREAMLINER, WEWORK, EUROPA))
    assert (later.entries_new, later.pages_fetched, later.pages_matched, later.new) == (0, 3, 2, 2)


def test_chunks_smaller_than_the_pages_give_the_rows_of_one_chunk(server, con, tmp_path, corpus_dir):
    """Pages streamed one per chunk (fetching ahead of extraction) load what one chunk of all loads."""
    items = [{"title": p, "link": server.url_for(f"/p/{p}")} for p in (DREAMLINER, WEWORK, EUROPA, DAVIS_CUP)]
    server.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    for p in (DREAMLINER, WEWORK, EUROPA, DAVIS_CUP):
        serve_page(server, f"/p/{p}", aeb_page(corpus_dir, p))
    config = write_config(tmp_path, [{"url": server.url_for("/feed.xml")}])
    one_by_one = run(con, config, "r1", settings=replace(SETTINGS, pages_per_chunk=1, pages_ahead=2))
    other = db.connect(tmp_path / "other.duckdb")
    try:
        together = run(other, config, "r1", settings=replace(SETTINGS, pages_per_chunk=100))
        columns = "article_id, url, title, text, topics"
        rows = [c.execute(f"SELECT {columns} FROM articles ORDER BY 1").fetchall() for c in (con, other)]
    finally:
        other.close()
    assert (one_by_one.pages_fetched, one_by_one.pages_matched) == (together.pages_fetched, 2) == (4, 2)
    assert rows[0] == rows[1] and len(rows[0]) == 2


def test_shards_poll_and_fetch_disjoint_hosts_and_together_cover_every_feed_and_page(
    con, tmp_path, corpus_dir
):
    """Two workers, shard 0 and shard 1 of 2: no feed polled and no page fetched by both; between them
    (and the next cycle of shard 0, for pages that shard 1's feeds listed on its hosts) everything."""
    from transforms.feed_decisions import shard_of

    hosts = [HTTPServer(host="127.0.0.1", port=0, threaded=True) for _ in range(4)]
    pages = [DREAMLINER, WEWORK, EUROPA, DAVIS_CUP]
    try:
        for h in hosts:
            h.start()
            h.expect_request("/robots.txt").respond_with_data("", status=404)
        for i, h in enumerate(hosts):
            # each host's feed lists the page on the next host: pages are sharded by their own host
            other = hosts[(i + 1) % len(hosts)]
            item = {"title": pages[i], "link": other.url_for(f"/p/{pages[i]}")}
            h.expect_request("/feed.xml").respond_with_data(rss([item]), content_type="application/rss+xml")
            serve_page(other, f"/p/{pages[i]}", aeb_page(corpus_dir, pages[i]))
        config = write_config(tmp_path, [{"url": h.url_for("/feed.xml")} for h in hosts], topics=[])
        requested: dict[int, list[tuple[int, str]]] = {}
        for run_id, shard in (("s0", 0), ("s1", 1), ("s0-next", 0)):
            for h in hosts:
                h.log.clear()

            @flow(name="feeds-shard-test")
            def shard_run(shard: int = shard, run_id: str = run_id) -> FeedCounts:
                return ingest_feeds(con, config, run_id, "v1", True, None, SETTINGS, shard, 2)

            shard_run()
            got = [
                (i, req.path) for i, h in enumerate(hosts) for req, _ in h.log if req.path != "/robots.txt"
            ]
            requested.setdefault(shard, []).extend(got)
            # every request of a shard's run went to a host of that shard
            assert all(shard_of(hosts[i].url_for("/"), 2) == shard for i, _ in got), (shard, got)
    finally:
        for h in hosts:
            h.clear()
            if h.is_running():
                h.stop()
    polled = {shard: {i for i, path in got if path == "/feed.xml"} for shard, got in requested.items()}
    assert not polled.get(0, set()) & polled.get(1, set())  # no feed polled by both shards
    assert polled.get(0, set()) | polled.get(1, set()) == {0, 1, 2, 3}
    fetched = [r for got in requested.values() for r in got if r[1].startswith("/p/")]
    assert len(fetched) == len(set(fetched)) == 4  # every page fetched, once
    assert {status for status, *_ in entry_status(con).values()} == {"matched"}


def test_a_shard_outside_its_range_is_refused_before_anything_is_written(con, tmp_path):
    config = write_config(tmp_path, [{"url": "http://127.0.0.1:9/feed.xml"}])
    with pytest.raises(ValueError, match="shard 2 of 2"):
        ingest_feeds(con, config, "r1", "v1", True, None, SETTINGS, 2, 2)
    assert con.execute("SELECT count(*) FROM feed_state").fetchone()[0] == 0
