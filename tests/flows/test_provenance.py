"""The provenance stage against a real (in-memory) warehouse with the seeds loaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

import settings
from flows.provenance import update_provenance
from tests.conftest import SEEDS
from tests.warehouse.test_db import lake_before
from transforms import stories
from warehouse import db
from warehouse import provenance as wp

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
BLOG, REWRITE, INDEPENDENT, AFP, DROID = "seed:004", "seed:001", "seed:002", "seed:003", "seed:000"
STATE = (
    "article_reuse",
    "reuse_fingerprints",
    "near_duplicates",
    "near_duplicate_signatures",
    "near_duplicate_bands",
    "story_terms",
    "story_term_sets",
    "story_term_df",
    "stories",
    "article_sources",
    "story_history",
)


def _insert(con: duckdb.DuckDBPyConnection, article_id: str, text: str, **extra: object) -> None:
    row = {
        "article_id": article_id,
        "text": text,
        "title": text.strip().split("\n")[0][:100],
        "word_count": len(text.split()),
        "content_hash": "h",
        "origin": "seed",
        "source_ref": article_id,
        "first_seen_at": NOW,
        "updated_at": NOW,
        "pipeline_version": "test",
        **extra,
    }
    cols = ", ".join(row)
    con.execute(f"INSERT INTO articles ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    db.migrate(con)
    texts = {f"seed:{p.name[:3]}": p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    # as the ingest stage leaves them: gold dates and outlets, the tagger's credits
    _insert(
        con,
        DROID,
        texts[DROID],
        outlet="Droid Report",
        published_at=datetime(2017, 5, 10, 17, 41, tzinfo=UTC),
    )
    _insert(con, INDEPENDENT, texts[INDEPENDENT], published_date=datetime(2017, 5, 6).date())
    _insert(con, AFP, texts[AFP], outlet="Inquirer")
    _insert(con, BLOG, texts[BLOG])
    _insert(con, REWRITE, texts[REWRITE])
    con.execute(
        """INSERT INTO article_sources VALUES
           (?, 'AFP', 'agency', 'origin', 'BEIJING, China (AFP)', NULL, NULL),
           (?, 'Droid Report', 'outlet', 'via', 'droidreport.com', NULL, NULL),
           (?, 'CNN', 'outlet', 'via', 'money.cnn.com', NULL, NULL)""",
        [AFP, BLOG, BLOG],
    )
    return con


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    snap = {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in STATE}
    snap["story_ids"] = con.execute("SELECT article_id, story_id FROM articles ORDER BY 1").fetchall()
    return snap


def test_seeds_give_the_gold_edges_roles_and_one_story(con: duckdb.DuckDBPyConnection) -> None:
    counts = update_provenance(con, [DROID, INDEPENDENT, AFP, BLOG, REWRITE])
    assert counts["articles"] == 5 and counts["reuse_edges"] == 3 and counts["stories"] == 1

    edges = con.execute(
        """SELECT article_id, copied_from_id, share, passages, direction_basis FROM article_reuse
           WHERE direction_basis <> 'undecided' ORDER BY 2"""
    ).fetchall()
    # the blog credits Droid Report by a via link; the AFP story carries AFP's origin credit
    assert [(a, b, basis) for a, b, _, _, basis in edges] == [(BLOG, DROID, "credit"), (BLOG, AFP, "agency")]
    # the raw files' shared blog comment form is stored as text shared without a direction
    shared = con.execute(
        "SELECT article_id, copied_from_id FROM article_reuse WHERE direction_basis = 'undecided'"
    ).fetchall()
    assert shared == [(BLOG, REWRITE)]
    edges = [e[:4] for e in edges]
    blog_text = con.execute("SELECT text FROM articles WHERE article_id = ?", [BLOG]).fetchone()[0]
    for _, _, share, passages in edges:
        assert 0.1 < share < 0.3
        for p in passages:
            assert blog_text[p["start"] : p["end"]] == p["text"]

    roles = con.execute(
        "SELECT source, kind FROM article_sources WHERE role = 'reuse' AND article_id = ? ORDER BY 1", [BLOG]
    ).fetchall()
    # gold: AFP reuse, Droid Report via|reuse; never Inquirer (it only republished AFP's text)
    assert roles == [("AFP", "agency"), ("Droid Report", "outlet")]

    assert con.execute("SELECT count(*) FROM near_duplicates").fetchone()[0] == 0
    story = con.execute("SELECT story_id, label, articles FROM stories").fetchall()
    assert len(story) == 1
    assert story[0][0] == f"story-{INDEPENDENT}"  # the earliest article started it
    assert story[0][1] == "Russia bans Chinese instant messaging app WeChat"
    assert story[0][2][:2] == [INDEPENDENT, DROID]
    assert con.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0] == 1


def test_a_link_to_a_stored_article_credits_its_outlet_as_via(con: duckdb.DuckDBPyConnection) -> None:
    # as seeds/manifest.csv gives them: the addresses the blog's via links point to, and outlets
    # that no registry holds
    manifest = (SEEDS / "manifest.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in manifest:
        name, url, outlet, _ = line.split(",")
        con.execute(
            "UPDATE articles SET url = ?, outlet = ? WHERE article_id = ?", [url, outlet, f"seed:{name[:3]}"]
        )
    update_provenance(con, [DROID, INDEPENDENT, AFP, BLOG, REWRITE])
    bases = dict(con.execute("SELECT copied_from_id, direction_basis FROM article_reuse").fetchall())
    assert bases[AFP] == bases[DROID] == "credit"  # the blog links both
    via = con.execute(
        """SELECT source, evidence, char_start, char_end FROM article_sources
           WHERE article_id = ? AND role = 'via' ORDER BY source, evidence""",
        [BLOG],
    ).fetchall()
    blog_text = con.execute("SELECT text FROM articles WHERE article_id = ?", [BLOG]).fetchone()[0]
    # Droid Report's via came from the tagger already: only the Inquirer is added, from its stored article
    assert [(s, e) for s, e, _, _ in via] == [
        ("CNN", "money.cnn.com"),
        ("Droid Report", "droidreport.com"),
        ("Inquirer", "http://technology.inquirer.net/62256/chinas-messaging-app-wechat-blocked-in-russia"),
    ]
    _, evidence, start, end = via[-1]
    assert blog_text[start:end] == evidence
    first = _snapshot(con)
    update_provenance(con, [BLOG])
    assert _snapshot(con) == first


def test_running_twice_and_in_batches_gives_the_same_rows(con: duckdb.DuckDBPyConnection) -> None:
    ids = [DROID, INDEPENDENT, AFP, BLOG, REWRITE]
    update_provenance(con, ids)
    first = _snapshot(con)
    update_provenance(con, ids)
    assert _snapshot(con) == first
    update_provenance(con, [BLOG])  # one article re-processed alone
    assert _snapshot(con) == first
    update_provenance(con, [AFP])  # a source re-processed: its copier's edge and roles are rebuilt
    assert _snapshot(con) == first


def test_incremental_batches_find_copies_of_earlier_runs(con: duckdb.DuckDBPyConnection) -> None:
    update_provenance(con, [DROID, INDEPENDENT, AFP])
    assert con.execute("SELECT count(*) FROM article_reuse").fetchone()[0] == 0
    update_provenance(con, [BLOG, REWRITE])
    directed = "SELECT count(*) FROM article_reuse WHERE direction_basis <> 'undecided'"
    assert con.execute(directed).fetchone()[0] == 2
    assert con.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0] == 1


def test_views_answer_the_analysts_questions(con: duckdb.DuckDBPyConnection) -> None:
    update_provenance(con, [DROID, INDEPENDENT, AFP, BLOG, REWRITE])
    uncredited = con.execute("SELECT article_id, agency, copied_from FROM uncredited_copies").fetchall()
    assert uncredited == [(BLOG, "AFP", [AFP])]

    share = dict(con.execute("SELECT outlet, agency_share FROM wire_share").fetchall())
    assert share["Inquirer"] == 1.0  # its one article is AFP copy
    assert 0.05 < share["(unknown)"] < 0.15  # the blog's AFP passages among the unknown outlets' text
    assert share["Droid Report"] == 0.0

    timeline = con.execute(
        "SELECT position, article_id, sources, copied_from FROM story_timeline ORDER BY position"
    ).fetchall()
    assert [r[1] for r in timeline][:2] == [INDEPENDENT, DROID]
    blog = next(r for r in timeline if r[1] == BLOG)
    assert "AFP:reuse" in blog[2] and "Droid Report:via" in blog[2]
    assert blog[3] == [DROID, AFP]

    said = dict(
        con.execute(
            "SELECT other_id, explanation FROM reuse_explanations WHERE article_id = ?", [BLOG]
        ).fetchall()
    )
    chars = dict(con.execute("SELECT copied_from_id, shared_chars FROM article_reuse").fetchall())
    assert said[DROID] == f"pasted 1 passage ({chars[DROID]} characters) from Droid Report, which it credits"
    assert said[AFP] == f"pasted 1 passage ({chars[AFP]} characters) from Inquirer, the AFP original"
    assert said[REWRITE].startswith("shares 1 passage") and said[REWRITE].endswith(
        "which came first is not known"
    )
    explained = con.execute(
        "SELECT shares_text_with, reuse_explanation FROM story_timeline WHERE article_id = ?", [BLOG]
    ).fetchone()
    assert explained[0] == [REWRITE]
    assert said[DROID] in explained[1] and said[AFP] in explained[1]


def test_a_deleted_article_leaves_no_state(con: duckdb.DuckDBPyConnection) -> None:
    update_provenance(con, [DROID, INDEPENDENT, AFP, BLOG, REWRITE])
    con.execute("DELETE FROM article_sources WHERE article_id = ?", [AFP])
    con.execute("DELETE FROM articles WHERE article_id = ?", [AFP])
    update_provenance(con, [AFP])
    for table in ("reuse_fingerprints", "near_duplicate_signatures", "story_terms"):
        assert con.execute(f"SELECT count(*) FROM {table} WHERE article_id = ?", [AFP]).fetchone()[0] == 0
    assert con.execute("SELECT copied_from_id FROM article_reuse ORDER BY 1").fetchall() == [
        (DROID,),
        (REWRITE,),
    ]
    roles = con.execute("SELECT source FROM article_sources WHERE role = 'reuse'").fetchall()
    assert roles == [("Droid Report",)]


PARAGRAPHS = [
    "The city council of Tallinn voted on Tuesday to close the old harbour bridge to cars from March, "
    "after engineers found cracks in two of its steel supports during a routine inspection last autumn.",
    "Buses will cross on a temporary lane while the supports are replaced, a job the council expects to "
    "take fourteen months and to cost about forty million euros, most of it from the national budget.",
    "Shop owners near the harbour said they feared losing customers during the works and asked the "
    "council for lower rents, a request the deputy mayor promised to discuss at the next session in May.",
]


def test_a_dated_copy_reads_how_much_earlier_its_source_was_published() -> None:
    con = duckdb.connect()
    db.migrate(con)
    source = "\n\n".join(PARAGRAPHS)
    copy = "A reader sent us this story about a bridge.\n\n" + source + "\n\nWe will follow it."
    # the copy is loaded first and carries agency copy: only the dates say who copied whom
    _insert(con, "copy", copy, outlet="Harbour Blog", published_date=datetime(2019, 2, 1).date())
    con.execute("INSERT INTO article_sources VALUES ('copy', 'AP', 'agency', 'origin', 'AP', NULL, NULL)")
    update_provenance(con, ["copy"])
    _insert(con, "source", source, outlet="Tallinn Daily", published_date=datetime(2019, 1, 1).date())
    update_provenance(con, ["source"])
    row = con.execute("SELECT article_id, copied_from_id, direction_basis FROM article_reuse").fetchall()
    assert row == [("copy", "source", "published")]
    said = con.execute("SELECT explanation FROM reuse_explanations").fetchone()[0]
    gap = "which was published a month earlier"
    assert said == f"pasted 1 passage ({len(source)} characters) from Tallinn Daily, {gap}"


QUAKE = (
    "An earthquake struck Valparaiso province early on Tuesday, toppling houses in Quillota and "
    "Limache. Rescuers from Vina del Mar searched rubble through the night; the seismological "
    "service measured the quake at magnitude 6.9 near Quillota."
)
AID = (
    "The Lindqvist Foundation pledged relief funds and shipped tents through the port of San "
    "Antonio, where volunteers from Rotterdam and Antwerp unloaded blankets and generators "
    "for families the Lindqvist donors promised to house."
)


def _grouped(rows: dict[str, str], when: datetime) -> duckdb.DuckDBPyConnection:
    """A warehouse holding these articles (id -> text), an hour apart from `when`, grouped."""
    con = duckdb.connect()
    db.migrate(con)
    for i, (a, text) in enumerate(rows.items()):
        _insert(con, a, text, title=None, published_at=when.replace(hour=i))
    update_provenance(con, list(rows))
    return con


def test_a_bridge_article_merges_two_stories_and_history_records_it() -> None:
    when = datetime(2024, 3, 5, tzinfo=UTC)
    rows = {
        "q1": QUAKE,
        "q2": QUAKE.replace("Tuesday", "Wednesday"),
        "q3": QUAKE.replace("houses", "homes"),
        "a1": AID,
        "a2": AID.replace("tents", "shelters"),
    }
    con = _grouped(rows, when)
    before = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    assert before["q1"] == before["q2"] == before["q3"] != before["a1"] == before["a2"]
    db.start_run(con, "run-1", "test", NOW)

    _insert(con, "bridge", f"{QUAKE}\n\n{AID}", title=None, published_at=when.replace(hour=9))
    update_provenance(con, ["bridge"])
    after = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    # the larger story keeps its id, the smaller one's articles move into it
    assert set(after.values()) == {before["q1"]}
    assert con.execute("SELECT story_id, len(articles) FROM stories").fetchall() == [(before["q1"], 6)]
    history = con.execute(
        "SELECT kind, from_story_id, into_story_id, article_id, run_id FROM story_history"
    ).fetchall()
    assert history == [("merge", before["a1"], before["q1"], "bridge", "run-1")]

    # an article re-processed with other text leaves the merged story, which keeps the others: a split
    con.execute("UPDATE articles SET text = ? WHERE article_id = 'q3'", ["\n\n".join(PARAGRAPHS)])
    update_provenance(con, ["q3"])
    moved = con.execute("SELECT story_id FROM articles WHERE article_id = 'q3'").fetchone()[0]
    splits = con.execute(
        "SELECT from_story_id, into_story_id, article_id FROM story_history WHERE kind = 'split'"
    ).fetchall()
    assert moved != before["q1"] and splits == [(before["q1"], moved, "q3")]
    assert con.execute("SELECT len(articles) FROM stories WHERE story_id = ?", [before["q1"]]).fetchone() == (
        5,
    )


def test_a_lake_grouped_before_003_gets_keyword_times_and_groups_as_a_new_one(tmp_path: Path) -> None:
    """Lake migration 003 on a DuckLake that holds stories: the keyword rows get their articles' times."""
    when = datetime(2024, 3, 5, tzinfo=UTC)
    rows = {"q1": QUAKE, "q2": QUAKE.replace("Tuesday", "Wednesday"), "a1": AID}
    new = duckdb.connect()
    db.migrate(new)
    for i, (a, text) in enumerate(rows.items()):
        # q2 has no date: its keywords count at its first-seen time, undated
        _insert(new, a, text, title=None, **({} if a == "q2" else {"published_at": when.replace(hour=i)}))
    update_provenance(new, list(rows))

    old = lake_before(tmp_path, 3)
    for table in ("articles", "article_sources", *STATE):
        columns = ", ".join(r[0] for r in old.execute(f"DESCRIBE {table}").fetchall())
        old.register("copied", new.execute(f"SELECT {columns} FROM {table}").to_arrow_table())
        old.execute(f"INSERT INTO {table} BY NAME SELECT * FROM copied")
        old.unregister("copied")
    assert "003_story_terms_time.sql" in db.migrate(old)

    terms = "SELECT article_id, term, weight, t, dated FROM story_terms ORDER BY ALL"
    assert old.execute(terms).fetchall() == new.execute(terms).fetchall()
    assert old.execute("SELECT DISTINCT article_id, t, dated FROM story_terms ORDER BY 1").fetchall() == [
        ("a1", when.replace(hour=2), True),
        ("q1", when, True),
        ("q2", NOW, False),
    ]
    for con in (old, new):
        _insert(con, "q3", QUAKE.replace("houses", "homes"), title=None, published_at=when.replace(hour=5))
        with db.transaction(con):
            update_provenance(con, ["q3"])
    assert _snapshot(old) == _snapshot(new)
    assert old.execute("SELECT story_id FROM articles WHERE article_id = 'q3'").fetchone() == (
        old.execute("SELECT story_id FROM articles WHERE article_id = 'q1'").fetchone()
    )


# -- what one batch reads: windows instead of the whole history (lake/004, issue #13) -----------


def test_reuse_looks_for_sources_among_the_articles_loaded_in_its_window(
    con: duckdb.DuckDBPyConnection,
) -> None:
    update_provenance(con, [DROID, INDEPENDENT, AFP])
    directed = "SELECT count(*) FROM article_reuse WHERE direction_basis <> 'undecided'"
    # the blog loaded a day past the window after its sources: they are not looked at
    late = NOW + timedelta(days=settings.reuse_days() + 1)
    con.execute("UPDATE articles SET updated_at = ? WHERE article_id = ?", [late, BLOG])
    update_provenance(con, [BLOG])
    assert con.execute(directed).fetchone()[0] == 0
    # loaded (again) a day inside the window: both sources are found, as in one batch
    con.execute("UPDATE articles SET updated_at = ? WHERE article_id = ?", [late - timedelta(days=2), BLOG])
    update_provenance(con, [BLOG])
    assert con.execute(directed).fetchone()[0] == 2
    # the index rows carry their article's load time: the same rows when processed again
    loads = "SELECT DISTINCT article_id, loaded_at FROM reuse_fingerprints ORDER BY 1"
    first = con.execute(loads).fetchall()
    update_provenance(con, [BLOG, AFP])
    assert con.execute(loads).fetchall() == first
    assert dict(first)[BLOG] == late - timedelta(days=2)


def test_an_undated_article_reads_the_story_window_before_its_batch_not_all_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    con = duckdb.connect()
    db.migrate(con)
    _insert(con, "recent", QUAKE, title=None, published_at=NOW - timedelta(days=3))
    _insert(con, "old", QUAKE.replace("Tuesday", "Monday"), title=None, published_at=NOW - timedelta(days=40))
    update_provenance(con, ["recent", "old"])
    terms = sorted(stories.term_counts(QUAKE))
    undated = [(NOW, False)]  # an article with no date, first seen NOW

    bounds = wp.window_bounds(undated, stories.WINDOW)
    assert bounds == (
        NOW - timedelta(days=settings.DEFAULT_UNDATED_DAYS),
        NOW + stories.WINDOW,
        NOW - stories.WINDOW,
    )
    assert [m.article_id for m in wp.story_members(con, terms, [], *bounds)] == ["recent"]
    # a longer look back (WIRETRACE_UNDATED_DAYS) reaches the older story too
    monkeypatch.setenv("WIRETRACE_UNDATED_DAYS", "60")
    bounds = wp.window_bounds(undated, stories.WINDOW)
    assert [m.article_id for m in wp.story_members(con, terms, [], *bounds)] == ["old", "recent"]
    # a dated batch reads its own window, whatever the look back of undated articles
    assert wp.window_bounds([(NOW, True)], stories.WINDOW)[0] == NOW - stories.WINDOW


def test_a_batch_reads_articles_by_id_and_write_time(con: duckdb.DuckDBPyConnection) -> None:
    where = wp.where_ids(con, [AFP, BLOG, "not-stored"])
    assert where is not None and "updated_at IN" in where
    rows = con.execute(f"SELECT a.article_id FROM articles a WHERE {where} ORDER BY 1").fetchall()
    assert rows == [(AFP,), (BLOG,)]
    assert wp.where_ids(con, ["not-stored"]) is None
    # an id with a quote in it is a constant, not SQL
    assert wp.where_ids(con, ["x' OR 1=1 --"]) is None
    assert set(wp.read_articles(con, [AFP, BLOG, "not-stored"])) == {AFP, BLOG}


def test_story_members_and_sizes_read_the_stories_rows_as_articles_say() -> None:
    """The members' story ids and the stories' sizes come from the `stories` rows of the window (one
    row per story, not the story_id of every article): the same answers as `articles` gives."""
    when = datetime(2024, 3, 5, tzinfo=UTC)
    rows = {
        "q1": QUAKE,
        "q2": QUAKE.replace("Tuesday", "Wednesday"),
        "a1": AID,
        "a2": AID.replace("tents", "huts"),
    }
    con = _grouped(rows, when)
    story = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    terms = sorted(set(stories.term_counts(QUAKE)) | set(stories.term_counts(AID)))
    bounds = wp.window_bounds([(when.replace(hour=9), True)], stories.WINDOW)
    members = wp.story_members(con, terms, ["q2"], *bounds)
    assert {m.article_id: m.story_id for m in members} == {a: story[a] for a in ("q1", "a1", "a2")}
    counted = "SELECT story_id, count(*) FROM articles WHERE article_id <> 'q2' GROUP BY story_id"
    assert wp.story_sizes(con, sorted(set(story.values())), ["q2"], bounds[0]) == dict(
        con.execute(counted).fetchall()
    )
    # a story that ended before the window is not read; one whose only member is left out is absent
    assert wp.story_sizes(con, [story["q1"]], ["q2"], when + timedelta(days=30)) == {}
    assert wp.story_sizes(con, [story["q1"]], ["q1", "q2"]) == {}
    assert wp.story_sizes(con, [story["q1"]]) == {story["q1"]: 2}
    # inside a batch: one read of the stories' articles gives their sizes now and refreshes their rows
    now = wp.stories_now(con, sorted(set(story.values())), ["q2"])
    by_story = "SELECT story_id, count(*) FROM articles GROUP BY story_id"
    assert now.sizes(sorted(set(story.values()))) == dict(con.execute(by_story).fetchall())
    assert now.sizes([story["q1"]]) == {story["q1"]: 2}
    stored = con.execute("SELECT * FROM stories ORDER BY story_id").fetchall()
    con.execute("UPDATE stories SET label = 'stale'")
    wp.refresh_stories(con, now)
    assert con.execute("SELECT * FROM stories ORDER BY story_id").fetchall() == stored
    # a member no stories row lists (a row not refreshed) still gets its story, from articles
    con.execute("DELETE FROM stories WHERE story_id = ?", [story["a1"]])
    members = wp.story_members(con, terms, ["q2"], *bounds)
    assert {m.article_id: m.story_id for m in members} == {a: story[a] for a in ("q1", "a1", "a2")}
