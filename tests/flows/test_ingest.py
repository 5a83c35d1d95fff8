"""The main flow on real seeds and on bad input, against a real DuckDB file."""

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.ingest import wiretrace_run
from tests.conftest import SEEDS, source_problems
from warehouse import db

pytestmark = pytest.mark.usefixtures("prefect_harness")

STABLE_COLUMNS = {
    "articles": "article_id, url, outlet, title, byline, published, published_at, published_date, language, "
    "text, word_count, content_hash, origin, source_ref, first_seen_at, story_id, topics",
    "article_sources": "*",
    "raw_documents": "content_hash, size_bytes, data_gzip",
}


def snapshot(path: Path, columns: dict[str, str] = STABLE_COLUMNS) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: sorted(map(repr, con.execute(f"SELECT {c} FROM {t}").fetchall())) for t, c in columns.items()
        }


@pytest.fixture(scope="module")
def seed_warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "wiretrace.duckdb"
    result = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path))
    assert result["new"] == 5 and result["failed"] == 0
    return path


def test_seed_run_loads_every_seed_tagged_as_the_gold_says(seed_warehouse, seed_gold):
    with duckdb.connect(str(seed_warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT source_ref, article_id, title, byline, published, text, origin FROM articles"
        ).fetchall()
        assert sorted(r[0] for r in rows) == sorted(p.name for p in SEEDS.glob("*.txt"))
        for ref, article_id, title, byline, published, text, origin in rows:
            gold = seed_gold[ref]
            assert (title, byline, published, origin) == (
                gold["title"],
                gold["byline"],
                gold["published"],
                "seed",
            )
            assert all(p in text for p in gold["body_must_contain"])
            assert not any(p in text for p in gold["body_must_not_contain"])
            tags = con.execute(
                "SELECT source, role FROM article_sources WHERE article_id = ?", [article_id]
            ).fetchall()
            assert source_problems(tags, gold["sources"], with_reuse=True) == [], ref


def test_evidence_offsets_point_into_the_stored_text(seed_warehouse):
    with duckdb.connect(str(seed_warehouse), read_only=True) as con:
        rows = con.execute(
            """SELECT s.evidence, substr(a.text, s.char_start + 1, s.char_end - s.char_start)
               FROM article_sources s JOIN articles a USING (article_id) WHERE s.char_start IS NOT NULL"""
        ).fetchall()
    assert rows
    assert all(evidence == excerpt for evidence, excerpt in rows)


def test_coverage_daily_answers_afp_per_day_in_one_query(seed_warehouse):
    with duckdb.connect(str(seed_warehouse), read_only=True) as con:
        afp = con.execute(
            "SELECT sum(articles) FROM coverage_daily WHERE source = 'AFP' AND role IN ('origin', 'reuse')"
        ).fetchone()[0]
        days = con.execute("SELECT DISTINCT day FROM coverage_daily ORDER BY day").fetchall()
    assert afp == 2  # the AFP story and the article that pastes it
    assert days and all(d[0] is not None for d in days)


def test_schema_versions_are_recorded(seed_warehouse):
    with duckdb.connect(str(seed_warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY version").fetchall()]
    assert names == [p.name for p in db.migration_files()]


def test_views_rebuilt_on_stg_agency_copy_give_what_their_first_versions_gave(seed_warehouse):
    # 006 rebuilt wire_share (004) and article_summary (005) on one staging view; their
    # first definitions, run as plain queries, must still give the same rows.
    import re

    first = {
        "wire_share": (db.SQL_DIR / "004_provenance.sql").read_text(encoding="utf-8"),
        "article_summary": (db.SQL_DIR / "005_analyst.sql").read_text(encoding="utf-8"),
    }
    with duckdb.connect(str(seed_warehouse), read_only=True) as con:
        for view, sql in first.items():
            body = re.search(rf"CREATE VIEW {view} AS\n(.*?);\n", sql, re.S).group(1)
            first_cols = con.execute(f"SELECT * FROM ({body})")
            cols = ", ".join(f'"{d[0]}"' for d in first_cols.description)  # 008 added columns after them
            expected = con.execute(f"SELECT * FROM ({body}) ORDER BY ALL").fetchall()
            assert con.execute(f"SELECT {cols} FROM {view} ORDER BY ALL").fetchall() == expected, view
            assert any(row for row in expected)
        # the seeds hold both kinds of agency copy: an AFP-origin article and pasted passages
        origin, pasted = con.execute(
            "SELECT count(*) FILTER (WHERE is_agency_origin),"
            " count(*) FILTER (WHERE NOT is_agency_origin AND agency_chars > 0) FROM stg_agency_copy"
        ).fetchone()
        assert origin >= 1 and pasted >= 1


def test_same_run_twice_gives_the_same_rows(tmp_path):
    path = tmp_path / "w.duckdb"
    first = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path))
    before = snapshot(path)
    second = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path))
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, 5)
    assert snapshot(path) == before
    forced = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path), force=True)
    assert (forced["new"], forced["updated"]) == (0, 5)
    assert snapshot(path) == before
    assert first["new"] == 5


def make_bad_seeds(folder: Path) -> None:
    folder.mkdir()
    shutil.copy(SEEDS / "002_cd3e9b45309f4b3f.txt", folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    cp1252 = (SEEDS / "003_c203a4481660e9bf.txt").read_text(encoding="utf-8").replace("—", "-")
    (folder / "windows.txt").write_bytes(cp1252.replace("©", "(c)").encode("cp1252"))
    with open(folder / "huge.txt", "wb") as fh:
        fh.write(b"word " * 10_000_000)  # 50 MB
    (folder / "nav.html").write_text(
        "<html><head><title>Index</title></head><body><nav><a href='/a'>Home</a> <a href='/b'>World</a>"
        "</nav></body></html>"
    )


def test_bad_inputs_are_recorded_and_the_run_goes_on(tmp_path):
    seeds = tmp_path / "seeds"
    make_bad_seeds(seeds)
    path = tmp_path / "w.duckdb"
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["failed"]) == (2, 4)
    with duckdb.connect(str(path), read_only=True) as con:
        loaded = {r[0] for r in con.execute("SELECT source_ref FROM articles").fetchall()}
        failures = {
            r[0]: (r[1], r[2], r[3])
            for r in con.execute("SELECT source_ref, stage, severity, reason FROM ingest_failures").fetchall()
        }
        status = con.execute("SELECT status, failures FROM runs").fetchone()
    assert loaded == {"good.txt", "windows.txt"}
    assert failures["empty.txt"] == ("decode", "error", "empty file")
    assert failures["photo.txt"] == ("decode", "error", "binary file: looks like a PNG image")
    assert (
        failures["huge.txt"][:2] == ("read", "error")
        and failures["huge.txt"][2] == "too large: 50.0 MB (50,000,000 bytes), the limit is 10.0 MB"
    )
    assert failures["nav.html"][:2] == ("extract", "error")
    assert failures["windows.txt"] == ("decode", "warning", "not UTF-8: read as cp1252")
    assert status == ("completed", 4)


def test_a_later_run_retries_what_failed(tmp_path):
    seeds = tmp_path / "seeds"
    make_bad_seeds(seeds)
    path = tmp_path / "w.duckdb"
    wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    shutil.copy(SEEDS / "000_81fad63d1977c299.txt", seeds / "empty.txt")
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert result["new"] == 1
    with duckdb.connect(str(path), read_only=True) as con:
        rows = dict(
            con.execute(
                """SELECT source_ref, (attempts, resolved_at IS NOT NULL)
                   FROM ingest_failures WHERE severity = 'error'"""
            ).fetchall()
        )
        open_refs = {r[0] for r in con.execute("SELECT source_ref FROM open_failures").fetchall()}
    assert rows["empty.txt"] == (1, True)
    assert rows["photo.txt"] == (2, False)
    assert open_refs == {"photo.txt", "huge.txt", "nav.html"}


def test_a_crash_mid_batch_leaves_the_warehouse_as_it_was(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    path = tmp_path / "w.duckdb"
    wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    before = snapshot(path)
    (seeds / "000_81fad63d1977c299.txt").write_text("Changed title\n\n" + "A changed article body. " * 20)
    shutil.copy(SEEDS / "002_cd3e9b45309f4b3f.txt", seeds / "new.txt")

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(db, "resolve_failures", crash)  # after the articles were written, same transaction
    with pytest.raises(RuntimeError, match="disk full"):
        wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    monkeypatch.undo()
    assert snapshot(path) == before
    # The next run loads what the crashed one could not (the crash itself is in Prefect's record).
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["updated"]) == (1, 1)
    with duckdb.connect(str(path), read_only=True) as con:
        statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    assert statuses == ["completed", "completed"]


def test_manifest_gives_url_outlet_and_date(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "003_c203a4481660e9bf.txt", seeds / "afp.txt")
    (seeds / "manifest.csv").write_text(
        "file,url,outlet,published\nafp.txt,https://www.example.com/wechat?x=1,,2017-05-06T09:00:00+08:00\n"
    )
    path = tmp_path / "w.duckdb"
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert result["new"] == 1
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "SELECT url, outlet, published, published_date, source_ref FROM articles"
        ).fetchone()
    assert row[0] == "https://www.example.com/wechat?x=1"
    assert row[1] == "example.com"
    assert row[2] == "2017-05-06T09:00:00+08:00"
    assert str(row[3]) == "2017-05-06"
    assert row[4] == "afp.txt"


def test_new_transforms_retag_stored_articles_from_their_raw_bytes(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    path = tmp_path / "w.duckdb"
    wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    before = snapshot(path, {"articles": "article_id, text, title", "article_sources": "*"})
    for name in ("000_81fad63d1977c299.txt", "001_88a8be11f5cd4cc1.txt"):
        (seeds / name).unlink()  # gone from disk: only the raw store has them now
    monkeypatch.setattr("flows.ingest.pipeline_version", lambda: "next-version")
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["updated"]) == (0, 5)
    with duckdb.connect(str(path), read_only=True) as con:
        versions = con.execute("SELECT DISTINCT pipeline_version FROM articles").fetchall()
    assert versions == [("next-version",)]
    assert snapshot(path, {"articles": "article_id, text, title", "article_sources": "*"}) == before
