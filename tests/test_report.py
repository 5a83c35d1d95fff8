"""`wiretrace report`: terminal tables and a self-contained HTML report of a small known warehouse."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warehouse.report_queries import report_data
from warehouse.session import run_session
from wiretrace import cli, open_warehouse
from wiretrace.html_report import render

DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# (article_id, outlet, title, hours after DAY, story)
ARTICLES = [
    ("a1", "Agence France-Presse", "Quake hits the coast", 0, "story-a1"),
    ("a2", "Daily Planet", "Coast quake: what we know", 5, "story-a1"),
    ("a3", "Morning Post", "Quake aftermath", 30, "story-a1"),
    ("b1", "Daily Planet", "Rates rise <again> & again", 72, "story-b1"),
]
SOURCES = [
    ("a1", "AFP", "agency", "origin", "PARIS (AFP) -"),
    ("a2", "AFP", "agency", "reuse", "The quake struck at dawn"),
    ("a3", "AFP", "agency", "cited", "AFP reported"),
    ("b1", "Reuters", "agency", "cited", "Reuters said"),
]


def _build(path: Path) -> None:
    with run_session(path) as con:
        for article_id, outlet, title, hours, story in ARTICLES:
            at = DAY + timedelta(hours=hours)
            text = f"{title}. " + "The quake struck at dawn and people ran outside. " * 20
            con.execute(
                """INSERT INTO articles (article_id, outlet, title, published, published_at,
                       published_date, language, text, word_count, content_hash, origin, source_ref,
                       first_seen_at, updated_at, pipeline_version, story_id)
                   VALUES (?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, 'seed', ?, ?, ?, 'test', ?)""",
                [
                    article_id,
                    outlet,
                    title,
                    at.isoformat(),
                    at,
                    at.date(),
                    text,
                    len(text.split()),
                    f"hash-{article_id}",
                    f"{article_id}.txt",
                    at,
                    at,
                    story,
                ],
            )
        for row in SOURCES:
            con.execute("INSERT INTO article_sources VALUES (?, ?, ?, ?, ?, 0, 10)", list(row))
        con.execute("INSERT INTO article_reuse VALUES ('a2', 'a1', 400, 0.4, [], 'published')")
        con.execute(
            """INSERT INTO stories VALUES
               ('story-a1', 'Quake hits the coast', ?, ?, ['a1', 'a2', 'a3']),
               ('story-b1', 'Rates rise', ?, ?, ['b1'])""",
            [DAY, DAY + timedelta(hours=30), DAY + timedelta(hours=72), DAY + timedelta(hours=72)],
        )
        con.execute(
            "INSERT INTO runs (run_id, flow, started_at, finished_at, status, articles_new, "
            "articles_updated) VALUES ('run-1', 'wiretrace-run', ?, ?, 'completed', 4, 0)",
            [DAY, DAY],
        )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "wiretrace.duckdb"
    _build(path)
    return path


def test_report_data_answers_the_report_questions(warehouse: Path) -> None:
    con = open_warehouse(warehouse)
    try:
        data = report_data(con, str(warehouse))
    finally:
        con.close()
    assert data.totals["articles"] == 4 and data.totals["outlets"] == 3 and data.totals["stories"] == 2
    assert [s["story_id"] for s in data.stories] == ["story-a1", "story-b1"]
    assert data.stories[0]["outlets"] == 3 and data.stories[0]["first_outlet"] == "Agence France-Presse"
    assert [r["outlet"] for r in data.timeline] == ["Agence France-Presse", "Daily Planet", "Morning Post"]
    assert [(u["outlet"], u["agency"]) for u in data.uncredited] == [("Daily Planet", "AFP")]
    shares = {r["outlet"]: r["agency_share"] for r in data.wire_share}
    assert (
        shares["Agence France-Presse"] == 1.0
        and 0 < shares["Daily Planet"] < 1
        and shares["Morning Post"] == 0
    )
    afp = [r for r in data.agency_daily if r["agency"] == "AFP"]
    assert sum(r["carried"] for r in afp) == 2 and sum(r["cited"] for r in afp) == 1


def test_cli_report_writes_a_self_contained_html_report(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["report", "--db", str(warehouse), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Quake hits the coast" in out and "Wire share per outlet" in out
    page = (tmp_path / "wiretrace-report.html").read_text(encoding="utf-8")
    # three charts, drawn inline
    assert page.count("<svg") >= 3
    for heading in ("Coverage over time per agency", "Outlets per story", "Wire share per outlet"):
        assert heading in page
    # nothing fetched from anywhere: no scripts, no external stylesheets, images or fonts
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "url(" not in page


def test_cli_report_of_one_story(warehouse: Path, tmp_path: Path) -> None:
    assert cli.main(["report", "--db", str(warehouse), "--out", str(tmp_path), "--story", "story-b1"]) == 0
    page = (tmp_path / "wiretrace-report-story-b1.html").read_text(encoding="utf-8")
    assert "Rates rise" in page and "Coast quake" not in page
    # text from the warehouse is escaped, not markup
    assert "Rates rise &lt;again&gt; &amp; again" in page


def test_cli_report_says_what_is_wrong(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["report", "--db", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path)]) == 2
    assert "run `wiretrace run` first" in capsys.readouterr().err
    assert cli.main(["report", "--db", str(warehouse), "--out", str(tmp_path), "--story", "story-x"]) == 2
    assert "no story 'story-x'" in capsys.readouterr().err


def test_report_reads_while_a_run_holds_the_warehouse(warehouse: Path, tmp_path: Path) -> None:
    from warehouse import db

    # a run in the middle of a batch (load lock held, rows deleted, not committed): the report reads
    # the last snapshot; then the batch fails and nothing of it stays
    with pytest.raises(ZeroDivisionError), run_session(warehouse, wait=1) as con, db.transaction(con):
        con.execute("DELETE FROM article_sources")
        assert cli.main(["report", "--db", str(warehouse), "--out", str(tmp_path)]) == 0
        1 / 0  # noqa: B018


def test_empty_warehouse_renders(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    with run_session(path):
        pass
    con = open_warehouse(path)
    try:
        page = render(report_data(con, str(path)))
    finally:
        con.close()
    assert "Nothing to plot yet" in page or "No article credits an agency yet" in page


def _undated_story(path: Path) -> None:
    """A story whose agency original gives no date and was first seen ten days after its copy."""
    with run_session(path) as con:
        rows = [
            # (id, title, published instant, published date, first seen)
            ("c1", "Agency original without a date", None, None, DAY + timedelta(days=10)),
            ("c2", "Copy of the original", DAY, DAY.date(), DAY),
            ("c3", "An earlier independent report", None, (DAY - timedelta(days=1)).date(), DAY),
        ]
        for article_id, title, at, day, seen in rows:
            text = f"{title}. " + "The river rose over the banks overnight and roads closed. " * 20
            con.execute(
                """INSERT INTO articles (article_id, title, published_at, published_date, text,
                       word_count, content_hash, origin, source_ref, first_seen_at, updated_at,
                       pipeline_version, story_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'seed', ?, ?, ?, 'test', 'story-c1')""",
                [article_id, title, at, day, text, len(text.split()), article_id, article_id, seen, seen],
            )
        con.execute(
            """INSERT INTO article_sources VALUES
               ('c1', 'AFP', 'agency', 'origin', '(AFP)', 0, 5),
               ('c2', 'AFP', 'agency', 'reuse', 'The river rose', 0, 400)"""
        )
        con.execute("INSERT INTO article_reuse VALUES ('c2', 'c1', 400, 0.4, [], 'agency')")
        con.execute(
            "INSERT INTO stories VALUES ('story-c1', 'Agency original', ?, ?, ['c1', 'c2', 'c3'])",
            [DAY, DAY + timedelta(days=10)],
        )


def test_undated_articles_are_never_shown_at_their_first_seen_day(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "undated.duckdb"
    _undated_story(path)
    con = open_warehouse(path)
    try:
        data = report_data(con, str(path))
    finally:
        con.close()
    # dated by date; the undated original just before the copy of it, not ten days later
    assert [r["title"] for r in data.timeline] == [
        "An earlier independent report",
        "Agency original without a date",
        "Copy of the original",
    ]
    shown = [r["date_shown"] for r in data.timeline]
    assert shown[0] == (DAY - timedelta(days=1)).date().isoformat()  # a date alone: no made-up 00:00
    assert shown[1].startswith("undated")
    assert shown[2] == DAY.strftime("%Y-%m-%d %H:%M UTC")
    # the coverage chart plots publication days only, and names what it left out
    assert {r["day"] for r in data.agency_daily} == {DAY.date()}
    assert data.undated_credited == [
        {"agency": "AFP", "articles": 1, "carried": 1, "origin": 1, "reuse": 0, "cited": 0}
    ]
    page = render(data)
    assert "Left out: articles that give no publication date, by agency: AFP (1)" in page
    assert '<td class="undated">undated (first seen' in page
    assert (DAY + timedelta(days=10)).date().isoformat() not in re.sub(r"first seen [0-9-]+", "", page)
    assert data.stories[0]["first_shown"] == shown[0]
    assert cli.main(["report", "--db", str(path), "--out", str(tmp_path)]) == 0
    assert "00:00" not in capsys.readouterr().out


def test_story_ids_fit_the_terminal_and_a_short_id_selects_the_story(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(["report", "--db", str(warehouse), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines() if not line.startswith("HTML report:")) <= 80
    # the id column shows the short id whole, and --story takes it
    assert re.search(r"│ b1\s+│", out)
    assert cli.main(["report", "--db", str(warehouse), "--out", str(tmp_path), "--story", "b1"]) == 0
    assert (tmp_path / "wiretrace-report-story-b1.html").is_file()
    assert "1 story," in capsys.readouterr().out  # not "1 stories"
