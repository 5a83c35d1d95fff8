"""The run summary: the run's own articles, sources and stories; open failures by kind, never as one."""

from datetime import UTC, datetime

from transforms.records import Failure
from warehouse import db, provenance
from warehouse.summary import failing_phrase, open_failure_counts, run_summary

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_failed_feeds_and_pages_are_not_counted_as_failed_inputs(tmp_path):
    con = db.connect(tmp_path / "w.duckdb")
    failures = [
        Failure("broken.txt", "seed", "decode", "empty file"),
        Failure("https://feeds.example.org/a.xml", "feed", "poll", "HTTP 500"),
        Failure("https://feeds.example.org/b.xml", "feed", "parse", "not a feed"),
        Failure("https://news.example.org/1.html", "feed", "fetch", "timed out"),
    ]
    db.record_failures(con, failures, "run-1", NOW)
    assert open_failure_counts(con) == {"input": 1, "feed": 2, "page": 1}
    summary = run_summary(con)
    assert summary["open_failures"] == 4
    assert failing_phrase(summary["failing"]) == "1 input, 2 feeds and 1 page failing"
    assert "1 input, 2 feeds and 1 page failing." in summary["markdown"]

    db.resolve_failures(con, "seed", ["broken.txt"], NOW)
    db.resolve_failures(con, "feed", ["https://feeds.example.org/a.xml"], NOW)
    assert failing_phrase(open_failure_counts(con)) == "1 feed and 1 page failing"


def test_nothing_failing_says_so(tmp_path):
    con = db.connect(tmp_path / "w.duckdb")
    assert failing_phrase(open_failure_counts(con)) == "nothing failing"


def _article(con, article_id: str, outlet: str | None, story: str | None, sources: list[tuple]) -> None:
    con.execute(
        """INSERT INTO articles (article_id, text, title, outlet, word_count, content_hash, origin,
                                 source_ref, first_seen_at, updated_at, pipeline_version, story_id)
           VALUES (?, 'text', ?, ?, 1, 'h', 'seed', ?, ?, ?, 'test', ?)""",
        [article_id, f"Title {article_id}", outlet, article_id, NOW, NOW, story],
    )
    for source, kind, role in sources:
        con.execute(
            "INSERT INTO article_sources VALUES (?, ?, ?, ?, 'evidence', NULL, NULL)",
            [article_id, source, kind, role],
        )


def test_the_summary_counts_the_runs_articles_not_the_warehouse(tmp_path):
    con = db.connect(tmp_path / "w.sqlite")
    with db.transaction(con):
        # stored by earlier runs
        _article(con, "a1", "Outlet A", "story-a1", [("AFP", "agency", "origin")])
        _article(con, "a2", "Outlet B", "story-a2", [("Reuters", "agency", "origin")])
        _article(con, "a3", "Outlet C", None, [("CNN", "outlet", "cited")])
        # this run: b1 joins a1's story, b2 has no outlet and starts one of its own
        _article(con, "b1", "Outlet B", "story-a1", [("AFP", "agency", "reuse"), ("CNN", "outlet", "cited")])
        _article(con, "b2", None, "story-b2", [("AFP", "agency", "origin")])
        provenance.refresh_stories(
            con, provenance.stories_now(con, ["story-a1", "story-a2", "story-b2"], ["a1", "a2", "b1", "b2"])
        )
    batch = ["b1", "b2"]

    summary = run_summary(con, None, batch)

    # the same counts straight from the batch's rows, as story_summary counts outlets
    articles, outlets, stories = con.execute(
        """SELECT count(*), count(DISTINCT coalesce(outlet, '(unknown)')), count(DISTINCT story_id)
           FROM articles WHERE article_id IN ('b1', 'b2')"""
    ).fetchone()
    assert (
        (summary["articles"], summary["outlets"], summary["stories"])
        == (articles, outlets, stories)
        == (2, 2, 2)
    )
    assert summary["table"] == [
        {"source": "AFP", "kind": "agency", "articles": 2, "roles": "origin, reuse"},
        {"source": "CNN", "kind": "outlet", "articles": 1, "roles": "cited"},
    ]
    assert "Reuters" not in summary["markdown"]  # only in a story this run did not touch
    # the run's biggest story as story_summary shows it: a1's, now two articles in two outlets
    label, n, n_outlets, first, agencies = con.execute(
        """SELECT label, articles, outlets, first_outlet, agencies FROM story_summary
           WHERE story_id = 'story-a1'"""
    ).fetchone()
    row = f"| {label} | {n} | {n_outlets} | {first} | {', '.join(agencies)} |"
    assert row == "| Title a1 | 2 | 2 | Outlet A | AFP |"
    stories_part = summary["markdown"].split("## Biggest stories of this run")[1]
    assert stories_part.splitlines()[4] == row
    assert "story-a2" not in stories_part and "Title a2" not in stories_part

    # a run that loaded nothing reports nothing, and reads no article
    empty = run_summary(con, None, [])
    assert (empty["articles"], empty["outlets"], empty["stories"], empty["table"]) == (0, 0, 0, [])
