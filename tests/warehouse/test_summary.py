"""The run summary's open failures: inputs, feeds and pages are counted apart, never as one."""

from datetime import UTC, datetime

from transforms.records import Failure
from warehouse import db
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
