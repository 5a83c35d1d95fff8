"""Alerts: rules of a feeds file over real seed runs, delivered to a webhook served on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from clients.webhook import WebhookError, post_json
from tests.conftest import SEEDS
from wiretrace import open_warehouse

FIRST = ("000_81fad63d1977c299.txt", "002_cd3e9b45309f4b3f.txt", "003_c203a4481660e9bf.txt")
LATER = ("001_88a8be11f5cd4cc1.txt", "004_966d6d37cf684c64.txt")
COPY_TITLE = "Russians Say No To WeChat"


@pytest.fixture
def hook() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def _feeds_file(folder: Path, webhook: str) -> Path:
    path = folder / "feeds.yaml"
    path.write_text(
        "feeds: []\n"
        "alerts:\n"
        f"  webhook: {webhook}\n"
        "  rules:\n"
        "    - {name: story-moves, when: story_article}\n"
        "    - {name: new-outlet, when: new_outlet}\n"
        "    - {name: uncredited, when: uncredited_copy, agencies: [AFP]}\n"
        "    - {name: feed-down, when: feed_failing, for: 24h}\n",
        encoding="utf-8",
    )
    return path


def _add_seeds(folder: Path, names: tuple[str, ...]) -> None:
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SEEDS / name, folder / name)
    # the seeds' manifest, plus an outlet for the copying article so a new outlet picks the story up
    lines = (SEEDS / "manifest.csv").read_text(encoding="utf-8").splitlines()
    lines.append("004_966d6d37cf684c64.txt,,Some Blog,")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _alerts(db: Path) -> list[dict]:
    with open_warehouse(db) as con:
        cur = con.execute("SELECT * FROM alerts ORDER BY created_at, alert_key")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_each_event_alerts_once_and_a_failed_delivery_is_retried_next_run(
    prefect_harness: None,
    hook: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    from flows.ingest import wiretrace_run

    monkeypatch.setenv("WIRETRACE_ALLOW_PRIVATE_NETWORKS", "1")
    # The events the runs emit are read from the client they are sent through, not back from the server:
    # Prefect keys its events worker by client type, not by API, so a worker an earlier test of this
    # process started may still send to that test's (stopped) API.
    EventsWorker.drain_all()
    EventsWorker.set_client_override(AssertingEventsClient)
    AssertingEventsClient.reset()
    request.addfinalizer(lambda: EventsWorker.set_client_override(None))
    received: list[dict] = []
    state = {"status": 500}

    def answer(request: Request) -> Response:
        received.append(json.loads(request.get_data()))
        return Response("", status=state["status"])

    hook.expect_request("/alerts", method="POST").respond_with_handler(answer)
    seeds, db = tmp_path / "seeds", tmp_path / "w.duckdb"
    feeds = _feeds_file(tmp_path, hook.url_for("/alerts"))
    _add_seeds(seeds, FIRST)

    # run 1: three new articles in a new story; the webhook is down (500): recorded, run completes
    first = wiretrace_run(seeds_dir=str(seeds), feeds_file=str(feeds), db_path=str(db))
    assert first["new"] == 3
    rows = _alerts(db)
    assert sorted(r["kind"] for r in rows) == ["story_article"] * 3
    assert all(r["delivered_at"] is None and r["attempts"] == 1 and "500" in r["last_error"] for r in rows)
    assert len(received) == 3

    # run 2: two more articles, one pasting AFP copy without credit from an outlet new to the story;
    # the webhook is back: the three old alerts are retried and the four new ones delivered
    state["status"] = 200
    received.clear()
    _add_seeds(seeds, LATER)
    second = wiretrace_run(seeds_dir=str(seeds), feeds_file=str(feeds), db_path=str(db))
    assert second["new"] == 2
    rows = _alerts(db)
    kinds = sorted(r["kind"] for r in rows)
    assert kinds == ["new_outlet", "story_article", "story_article", "story_article", "story_article",
                     "story_article", "uncredited_copy"]  # fmt: skip
    assert all(r["delivered_at"] is not None and r["last_error"] is None for r in rows)
    assert sorted(p["key"] for p in received) == sorted(r["alert_key"] for r in rows)
    uncredited = next(p for p in received if p["kind"] == "uncredited_copy")
    assert uncredited["agency"] == "AFP" and uncredited["title"] == COPY_TITLE
    assert uncredited["copied_chars"] > 200
    assert next(p for p in received if p["kind"] == "new_outlet")["outlet"] == "Some Blog"

    # run 3: nothing new happened: nothing alerts again, nothing is posted
    received.clear()
    wiretrace_run(seeds_dir=str(seeds), feeds_file=str(feeds), db_path=str(db))
    assert len(_alerts(db)) == len(rows) and received == []

    # each new alert was also emitted once as a Prefect event, for automations to route
    EventsWorker.drain_all()
    events = [event for client in AssertingEventsClient.all for event in getattr(client, "events", [])]
    keys = sorted(
        e.resource.id.removeprefix("wiretrace.alert.")
        for e in events
        if e.event.startswith("wiretrace.alert.")
    )
    assert keys == sorted(r["alert_key"] for r in rows)


def test_a_failing_feed_alerts_after_its_time(
    prefect_harness: None, hook: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from flows.alerts import check_alerts
    from warehouse import db

    monkeypatch.setenv("WIRETRACE_ALLOW_PRIVATE_NETWORKS", "1")
    hook.expect_request("/alerts", method="POST").respond_with_data("")
    feeds = _feeds_file(tmp_path, hook.url_for("/alerts"))
    con = db.connect(tmp_path / "w.duckdb")
    since = datetime.now(UTC) - timedelta(hours=30)
    con.execute(
        """INSERT INTO feed_state (feed_url, consecutive_failures, last_error, last_success_at)
           VALUES ('https://down.example/rss', 9, 'HTTP 503', ?),
                  ('https://flaky.example/rss', 1, 'timeout', ?)""",
        [since, datetime.now(UTC) - timedelta(hours=2)],
    )
    assert check_alerts.fn(con, str(feeds), "run-x", [])["new"] == 1
    assert check_alerts.fn(con, str(feeds), "run-y", [])["new"] == 0  # the same outage alerts once
    (payload,) = [json.loads(r[0]) for r in con.execute("SELECT payload FROM alerts").fetchall()]
    assert payload["feed_url"] == "https://down.example/rss" and payload["reason"] == "HTTP 503"
    con.close()


def test_the_webhook_refuses_other_schemes_and_private_addresses(
    hook: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook.expect_request("/x", method="POST").respond_with_data("")
    monkeypatch.delenv("WIRETRACE_ALLOW_PRIVATE_NETWORKS", raising=False)
    with pytest.raises(WebhookError, match="not a public address"):
        post_json(hook.url_for("/x"), "{}")
    with pytest.raises(WebhookError, match="only http"):
        post_json("file:///etc/passwd", "{}")
    monkeypatch.setenv("WIRETRACE_ALLOW_PRIVATE_NETWORKS", "1")
    post_json(hook.url_for("/x"), '{"a": 1}')
    assert json.loads(hook.log[-1][0].get_data()) == {"a": 1}


def test_the_shipped_feeds_file_has_valid_rules() -> None:
    from clients.config_files import load_alert_config, load_feed_config

    path = Path(__file__).resolve().parents[2] / "feeds.yaml"
    load_feed_config(path)  # the feeds parser accepts the alerts section
    config = load_alert_config(path)
    assert {r.kind for r in config.rules} == {
        "story_article",
        "uncredited_copy",
        "new_outlet",
        "feed_failing",
    }
