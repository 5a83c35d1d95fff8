"""Every analyst question of warehouse/questions.sql, run against the warehouse built from the seeds.

The seeds are one story about WeChat being blocked in Russia: an AFP article (dateline and
copyright line), a Xinhua-citing article from 6 May 2017 (the earliest), and an article that
pastes a passage of the AFP copy without crediting AFP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_warehouse
from warehouse.report_queries import QUESTIONS_FILE, Question, load_questions
from wiretrace import open_warehouse

QUESTIONS = {q.name: q for q in load_questions()}
AFP_TITLE = "China’s WeChat blocked in Russia"
COPY_TITLE = "Russians Say No To WeChat"
EARLIEST_TITLE = "Russia bans Chinese instant messaging app WeChat"


@pytest.fixture(scope="module")
def seed_warehouse(seeds_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a copy of the session's run on the seeds (tests/conftest.py): some tests here write to it
    return copy_warehouse(seeds_run, tmp_path_factory.mktemp("questions") / "wh")


@pytest.fixture
def con(seed_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # Read-only, as analysts connect to the published file.
    con = open_warehouse(seed_warehouse)
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, q: Question) -> list[dict]:
    cur = con.execute(q.sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_the_file_has_at_least_ten_questions_each_asked_in_words() -> None:
    assert len(QUESTIONS) >= 10
    for q in QUESTIONS.values():
        assert q.question.endswith("?"), q.name
        assert q.sql.rstrip().endswith(";") and q.sql.count(";") == 1, q.name
    headers = [
        ln for ln in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if ln.startswith("-- name:")
    ]
    assert len(headers) == len(QUESTIONS)


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_every_question_runs(con: duckdb.DuckDBPyConnection, name: str) -> None:
    rows = _rows(con, QUESTIONS[name])
    # empty on the seeds: nothing failed, no seed repeats another whole, and none is of this week
    if name not in ("open_failures", "near_duplicates", "topic_this_week"):
        assert rows, f"{name} returned nothing on the seed warehouse"


def test_agency_copy_finds_the_afp_article(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, QUESTIONS["agency_copy"])
    assert [r["title"] for r in rows] == [AFP_TITLE]
    assert "AFP" in rows[0]["first_evidence"] or "Agence France-Presse" in rows[0]["first_evidence"]


def test_uncredited_copies_name_the_pasting_article(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, QUESTIONS["uncredited_copies"])
    afp = [r for r in rows if r["agency"] == "AFP"]
    assert afp and COPY_TITLE in afp[0]["titles"]
    assert afp[0]["copied_chars"] > 200


def test_copied_passages_come_from_the_afp_article(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, QUESTIONS["copied_passages"])
    from_afp = [r for r in rows if r["copied_from"] == AFP_TITLE]
    assert from_afp and from_afp[0]["copying_article"] == COPY_TITLE
    assert "Tencent" in from_afp[0]["passage"] and from_afp[0]["chars"] > 200


def test_story_first_outlet_is_the_earliest_article(con: duckdb.DuckDBPyConnection) -> None:
    biggest = _rows(con, QUESTIONS["stories"])[0]
    first = _rows(con, QUESTIONS["story_first_outlet"])
    assert len(first) == 1 and first[0]["story_id"] == biggest["story_id"]
    timeline = _rows(con, QUESTIONS["story_timeline"])
    assert timeline[0]["title"] == first[0]["title"]
    assert [r["position"] for r in timeline] == list(range(1, len(timeline) + 1))
    dated = [r["date_shown"] for r in timeline if r["date_basis"] != "first_seen"]
    assert dated == sorted(dated) and len(dated) == 2
    # no dated seed copies an undated one, so the undated ones come after every dated one
    bases = [r["date_basis"] for r in timeline]
    assert bases == sorted(bases, key=lambda b: b == "first_seen")
    undated = [r for r in timeline if r["date_basis"] == "first_seen"]
    assert all(r["date_shown"].startswith("undated") for r in undated)
    assert all(":" not in r["date_shown"] for r in timeline if r["date_basis"] == "published_date_only")
    # the story with the AFP article and its copy: its earliest article is the one of 6 May 2017
    titles = {r["title"] for r in timeline}
    assert {AFP_TITLE, COPY_TITLE, EARLIEST_TITLE} <= titles
    assert first[0]["title"] == EARLIEST_TITLE


def test_story_agencies_per_day_show_afp_copy(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, QUESTIONS["story_agencies_per_day"])
    roles = {(r["agency"], r["role"]) for r in rows}
    assert ("AFP", "origin") in roles
    assert all(r["articles"] >= 1 for r in rows)


def test_wire_share_counts_the_afp_copy(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, QUESTIONS["wire_share"])
    assert sum(r["origin_articles"] for r in rows) == 1
    assert sum(r["reusing_articles"] for r in rows) >= 1
    shares = {r["outlet"]: r["agency_share"] for r in rows}
    assert shares["Inquirer"] == 1  # its one article is AFP's own copy (seeds/manifest.csv)
    assert 0 < shares["(unknown)"] < 1  # one of these articles pastes AFP paragraphs
    assert shares["Droid Report"] == 0


def test_agency_daily_and_sources_by_outlet(con: duckdb.DuckDBPyConnection) -> None:
    daily = _rows(con, QUESTIONS["agency_daily"])
    assert sum(r["carried"] for r in daily if r["agency"] == "AFP") == 2  # the origin and the copy
    assert any(r["agency"] == "Xinhua" and r["cited"] == 1 for r in daily)
    credits = {(r["source"], r["role"]) for r in _rows(con, QUESTIONS["sources_by_outlet"])}
    assert {("AFP", "origin"), ("AFP", "reuse"), ("Xinhua", "cited")} <= credits


def test_the_undated_original_comes_before_its_copy(con: duckdb.DuckDBPyConnection) -> None:
    timeline = _rows(con, QUESTIONS["story_timeline"])
    position = {r["title"]: r["position"] for r in timeline}
    assert position[AFP_TITLE] < position[COPY_TITLE]
    afp = next(r for r in timeline if r["title"] == AFP_TITLE)
    assert afp["date_basis"] == "first_seen"


def test_unknown_outlets_read_the_same_in_every_view(con: duckdb.DuckDBPyConnection) -> None:
    for view in ("uncredited_copies", "story_timeline", "wire_share", "article_summary", "sources_by_outlet"):
        outlets = {r[0] for r in con.execute(f"SELECT outlet FROM {view}").fetchall()}
        assert None not in outlets, view
        assert "(unknown)" in outlets, view
    # the table keeps NULL: '(unknown)' is a view's way of showing it
    assert con.execute("SELECT count(*) FROM articles WHERE outlet = '(unknown)'").fetchone()[0] == 0


def test_topic_this_week_leaves_out_old_and_undated_articles(seed_warehouse: Path) -> None:
    from datetime import date

    from warehouse import db

    con = db.connect(seed_warehouse)
    try:
        # all seeds are of May 2017 or undated (first seen today): none is news of this week
        assert _rows(con, QUESTIONS["topic_this_week"]) == []
        # an edit inside a transaction that is rolled back: the shared warehouse stays as it is
        con.execute("BEGIN TRANSACTION")
        con.execute("UPDATE articles SET published_date = ? WHERE title = ?", [date.today(), EARLIEST_TITLE])
        week = _rows(con, QUESTIONS["topic_this_week"])
        con.execute("ROLLBACK")
    finally:
        con.close()
    assert [r["title"] for r in week] == [EARLIEST_TITLE]
    assert week[0]["date_shown"] == date.today().isoformat()


def test_coverage_by_outlet(con: duckdb.DuckDBPyConnection) -> None:
    outlets = _rows(con, QUESTIONS["coverage_by_outlet"])
    assert sum(r["articles"] for r in outlets) == 5
    assert any("AFP" in r["agencies_origin"] for r in outlets)
    assert any(r["uncredited_articles"] >= 1 for r in outlets)


def test_recent_runs_shows_the_seed_run(con: duckdb.DuckDBPyConnection) -> None:
    runs = _rows(con, QUESTIONS["recent_runs"])
    assert runs[0]["status"] == "completed" and runs[0]["articles_new"] == 5


def test_daily_report_flow_writes_the_report_and_its_artifacts(
    prefect_harness: None, seed_warehouse: Path, tmp_path: Path
) -> None:
    import httpx
    from prefect.settings import PREFECT_API_URL

    from flows.report import daily_report

    html_path = Path(daily_report(db_path=str(seed_warehouse), out_dir=str(tmp_path)))
    page = html_path.read_text(encoding="utf-8")
    assert html_path.parent == tmp_path.resolve() and AFP_TITLE in page and "<svg" in page
    # One REST request: the artifacts of every run on this test server.
    artifacts = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json={}, timeout=10).json()
    keys = {a["key"] for a in artifacts}
    assert {"daily-report", "daily-report-stories", "daily-report-html", "run-summary"} <= keys


def test_the_readme_shows_every_question_with_its_sql() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "## Warehouse" in readme
    # the README's copy is questions_markdown(): each statement indented by three spaces in a list item
    flat = " ".join(readme.split())
    for q in QUESTIONS.values():
        assert " ".join(q.sql.split()) in flat, f"README lacks the SQL of {q.name}"
