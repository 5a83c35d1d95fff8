"""The main flow on real seeds and on bad input, against a real DuckDB file."""

import shutil
from pathlib import Path

import pytest

from flows.ingest import wiretrace_run
from tests.conftest import SEEDS, copy_warehouse, source_problems
from warehouse import db
from wiretrace import open_warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")

STABLE_COLUMNS = {
    "articles": "article_id, url, outlet, title, byline, published, published_at, published_date, language, "
    "text, word_count, content_hash, origin, source_ref, first_seen_at, story_id, topics",
    "article_sources": "*",
    "raw_documents": "content_hash, size_bytes, data_gzip, warc_path, warc_offset, warc_length",
}


def snapshot(path: Path, columns: dict[str, str] = STABLE_COLUMNS) -> dict[str, list]:
    with open_warehouse(path) as con:
        return {
            t: sorted(map(repr, con.execute(f"SELECT {c} FROM {t}").fetchall())) for t, c in columns.items()
        }


@pytest.fixture(scope="module")
def seed_warehouse(seeds_run) -> Path:
    """The session's run on the seeds (tests/conftest.py; it asserts 5 new, 0 failed). A run on a copy of
    it stands for a second run after a first on the seeds: the tests below start from those rows instead
    of making them again (a run on a fresh lake is seconds)."""
    return seeds_run


def test_seed_run_loads_every_seed_tagged_as_the_gold_says(seed_warehouse, seed_gold):
    with open_warehouse(seed_warehouse) as con:
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
    with open_warehouse(seed_warehouse) as con:
        rows = con.execute(
            """SELECT s.evidence, substr(a.text, s.char_start + 1, s.char_end - s.char_start)
               FROM article_sources s JOIN articles a USING (article_id) WHERE s.char_start IS NOT NULL"""
        ).fetchall()
    assert rows
    assert all(evidence == excerpt for evidence, excerpt in rows)


def test_coverage_daily_answers_afp_per_day_in_one_query(seed_warehouse):
    with open_warehouse(seed_warehouse) as con:
        afp = con.execute(
            "SELECT sum(articles) FROM coverage_daily WHERE source = 'AFP' AND role IN ('origin', 'reuse')"
        ).fetchone()[0]
        days = con.execute("SELECT DISTINCT day FROM coverage_daily ORDER BY day").fetchall()
    assert afp == 2  # the AFP story and the article that pastes it
    assert days and all(d[0] is not None for d in days)


def test_schema_versions_are_recorded(seed_warehouse):
    with open_warehouse(seed_warehouse) as con:
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
    with open_warehouse(seed_warehouse) as con:
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


def test_same_run_twice_gives_the_same_rows(seed_warehouse, tmp_path):
    path = copy_warehouse(seed_warehouse, tmp_path / "copy")  # the first run
    before = snapshot(path)
    second = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path))
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, 5)
    assert snapshot(path) == before
    # What `wiretrace run` prints for it: counts in the right number, no empty table.
    from rich.console import Console

    from wiretrace.report import print_summary

    console = Console(record=True, width=200)
    print_summary(second, path, console)
    printed = console.export_text().splitlines()
    assert printed[1:] == [
        "loaded: 0 articles from 0 outlets in 0 stories",
        f"warehouse {path}: nothing failing",
        "Sources credited in this run's articles: none",
    ]
    forced = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path), force=True)
    assert (forced["new"], forced["updated"]) == (0, 5)
    assert snapshot(path) == before


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
    # One element with 40,000 attributes: lxml would spend minutes on it in C, in this process (a
    # run of fewer than 24 inputs has no worker pool), where no CPU watch can stop it.
    attributes = " ".join(f"data-a{i}" for i in range(40_000))
    (folder / "crowded.html").write_text(f"<html><body><p {attributes}>Text.</p></body></html>")


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A run on a folder of bad inputs: (seeds folder, warehouse, result)."""
    folder = tmp_path_factory.mktemp("bad")
    seeds = folder / "seeds"
    make_bad_seeds(seeds)
    path = folder / "wh" / "w.duckdb"
    return seeds, path, wiretrace_run(seeds_dir=str(seeds), db_path=str(path))


def test_bad_inputs_are_recorded_and_the_run_goes_on(bad_run):
    _, path, result = bad_run
    assert (result["new"], result["failed"]) == (2, 5)
    with open_warehouse(path) as con:
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
    assert failures["crowded.html"][:2] == ("extract", "error")
    assert "an element with over 1,000 attributes" in failures["crowded.html"][2]
    assert status == ("completed", 5)


def test_a_later_run_retries_what_failed(bad_run, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(bad_run[0], seeds)
    path = copy_warehouse(bad_run[1], tmp_path / "copy")  # after the run on the bad inputs
    shutil.copy(SEEDS / "000_81fad63d1977c299.txt", seeds / "empty.txt")
    (seeds / "nav.html").unlink()  # its failure is of a file that is gone: resolved, no longer counted
    # A name that is not UTF-8 loads under a printable name (it crashed every run: UnicodeEncodeError).
    shutil.copy(SEEDS / "004_966d6d37cf684c64.txt", os.fsencode(seeds) + b"/caf\xe9.txt")
    # Another article under a stored seed's name (another folder's good.txt): it replaces the stored
    # one (a seed without a URL is keyed by its name), and the run says so in a warning row.
    shutil.copy(SEEDS / "001_88a8be11f5cd4cc1.txt", seeds / "good.txt")
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["updated"]) == (2, 1)
    with open_warehouse(path) as con:
        rows = dict(
            con.execute(
                """SELECT source_ref, (attempts, resolved_at IS NOT NULL)
                   FROM ingest_failures WHERE severity = 'error'"""
            ).fetchall()
        )
        open_refs = {r[0] for r in con.execute("SELECT source_ref FROM open_failures").fetchall()}
        loaded = {r[0] for r in con.execute("SELECT source_ref FROM articles").fetchall()}
        replaced = con.execute(
            "SELECT source_ref, reason FROM ingest_failures WHERE stage = 'replace' AND severity = 'warning'"
        ).fetchall()
    assert [ref for ref, _ in replaced] == ["good.txt"]
    assert replaced[0][1].startswith("replaced the stored article of this name with a different text (")
    assert f"read from {seeds.resolve()}:" in replaced[0][1]
    assert rows["empty.txt"] == (1, True)
    assert rows["photo.txt"] == (2, False)
    assert rows["nav.html"] == (1, True)
    assert open_refs == {"photo.txt", "huge.txt", "crowded.html"}
    assert loaded == {"good.txt", "windows.txt", "empty.txt", "caf\\xe9.txt"}


def test_a_crash_mid_batch_leaves_the_warehouse_as_it_was(seed_warehouse, tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    path = copy_warehouse(seed_warehouse, tmp_path / "copy")  # a first run on the seeds
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
    with open_warehouse(path) as con:
        statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    # the crashed run's batches commit one by one: its row stays, marked (its one batch was rolled back)
    assert statuses == ["completed", "crashed", "completed"]


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
    with open_warehouse(path) as con:
        row = con.execute(
            "SELECT url, outlet, published, published_date, source_ref FROM articles"
        ).fetchone()
    assert row[0] == "https://www.example.com/wechat?x=1"
    assert row[1] == "example.com"
    assert row[2] == "2017-05-06T09:00:00+08:00"
    assert str(row[3]) == "2017-05-06"
    assert row[4] == "afp.txt"


def test_new_transforms_retag_stored_articles_from_their_raw_bytes(seed_warehouse, tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    path = copy_warehouse(seed_warehouse, tmp_path / "copy")  # a first run on the seeds
    before = snapshot(path, {"articles": "article_id, text, title", "article_sources": "*"})
    for name in ("000_81fad63d1977c299.txt", "001_88a8be11f5cd4cc1.txt"):
        (seeds / name).unlink()  # gone from disk: only the raw store has them now
    monkeypatch.setattr("flows.ingest.pipeline_version", lambda: "next-version")
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["updated"]) == (0, 5)
    with open_warehouse(path) as con:
        versions = con.execute("SELECT DISTINCT pipeline_version FROM articles").fetchall()
    assert versions == [("next-version",)]
    assert snapshot(path, {"articles": "article_id, text, title", "article_sources": "*"}) == before


# -- one item never stops a run ----------------------------------------------------------------

import gzip  # noqa: E402
import os  # noqa: E402

from tests.conftest import CORPUS  # noqa: E402


def canonical_page() -> bytes:
    """A real corpus page that names its canonical URL in a <link rel=canonical>."""
    for path in sorted((CORPUS / "aeb" / "html").glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes())
        if b'rel="canonical"' in html:
            return html
    raise AssertionError(f"no corpus page with a canonical link under {CORPUS / 'aeb' / 'html'}")


def _articles_and_duplicates(path: Path) -> tuple[list[str], dict[str, str]]:
    with open_warehouse(path) as con:
        refs = sorted(r[0] for r in con.execute("SELECT source_ref FROM articles").fetchall())
        dups = dict(
            con.execute("SELECT source_ref, reason FROM ingest_failures WHERE stage = 'duplicate'").fetchall()
        )
    return refs, dups


def test_inputs_with_one_canonical_url_merge_into_one_article(tmp_path):
    # The reported failure: x.html and x.html.gz (or copies keeping the page's rel=canonical) raised
    # ConstraintException in load_articles, and every later run failed the same way.
    html = canonical_page()
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "x.html").write_bytes(html)
    (seeds / "x.html.gz").write_bytes(gzip.compress(html))
    (seeds / "copy.html").write_bytes(html.replace(b"</body>", b"<p>A copy.</p></body>", 1))
    shutil.copy(SEEDS / "002_cd3e9b45309f4b3f.txt", seeds / "other.txt")
    path = tmp_path / "w.duckdb"
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["inputs"], result["new"], result["failed"], result["duplicate"]) == (4, 2, 0, 2)
    refs, dups = _articles_and_duplicates(path)
    assert refs == ["copy.html", "other.txt"]  # the first by name of the three copies wins
    assert sorted(dups) == ["x.html", "x.html.gz"]
    assert all("seed input copy.html" in reason for reason in dups.values())
    again = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (again["new"], again["updated"], again["duplicate"]) == (0, 0, 2)
    assert _articles_and_duplicates(path) == (refs, dups)


def test_duplicates_across_batches_and_against_the_store_keep_the_first_holder(tmp_path, monkeypatch):
    from settings import Settings

    monkeypatch.setattr("flows.ingest.SETTINGS", Settings(batch_size=1, workers=1))
    html = canonical_page()
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.html").write_bytes(html)
    (seeds / "b.html.gz").write_bytes(gzip.compress(html))  # a batch of its own
    path = tmp_path / "w.duckdb"
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["duplicate"]) == (1, 1)
    (seeds / "0-first-by-name.html").write_bytes(html)  # sorts first, but a.html holds the article
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["updated"], result["duplicate"]) == (0, 0, 2)
    refs, dups = _articles_and_duplicates(path)
    assert refs == ["a.html"] and sorted(dups) == ["0-first-by-name.html", "b.html.gz"]
    (seeds / "a.html").unlink()  # the holder is gone: the next input by name takes the article over
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert _articles_and_duplicates(path)[0] == ["0-first-by-name.html"]


def test_a_hostile_seeds_folder_reads_nothing_outside_it_and_records_each_refusal(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret title\n\nThe password of the database server is swordfish, written here.")
    seeds = tmp_path / "seeds"
    (seeds / "sub").mkdir(parents=True)
    shutil.copy(SEEDS / "002_cd3e9b45309f4b3f.txt", seeds / "good.txt")
    (seeds / "escape.txt").symlink_to(outside)
    (seeds / "passwd.txt").symlink_to("/etc/passwd")
    (seeds / "proc.txt").symlink_to("/proc/self/status")
    (seeds / "dangling.txt").symlink_to(tmp_path / "nowhere")
    (seeds / "folder-link").symlink_to(tmp_path)
    (seeds / "inside.txt").symlink_to(seeds / "good.txt")  # inside the folder: read
    os.mkfifo(seeds / "sub" / "fifo.txt")
    path = tmp_path / "w.duckdb"
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert result["new"] == 2  # good.txt, and inside.txt that links to it
    with open_warehouse(path) as con:
        texts = [r[0] for r in con.execute("SELECT text FROM articles").fetchall()]
        raws = con.execute("SELECT count(*) FROM raw_documents").fetchone()[0]
        failures = dict(
            con.execute("SELECT source_ref, reason FROM ingest_failures WHERE stage = 'read'").fetchall()
        )
    assert not any("swordfish" in t or "root:" in t for t in texts)
    assert raws == 1  # the same bytes twice
    assert set(failures) == {
        "escape.txt",
        "passwd.txt",
        "proc.txt",
        "dangling.txt",
        "folder-link",
        "sub/fifo.txt",
    }
    assert "outside the seeds folder" in failures["escape.txt"]
    assert "outside the seeds folder" in failures["proc.txt"]
    assert failures["dangling.txt"].startswith("dangling symlink")
    assert failures["sub/fifo.txt"] == "not a regular file: a FIFO (named pipe)"
    assert result["failed"] == 6


def test_manifest_problems_are_failure_rows_and_the_good_rows_still_apply(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "003_c203a4481660e9bf.txt", seeds / "afp.txt")
    shutil.copy(SEEDS / "002_cd3e9b45309f4b3f.txt", seeds / "b.txt")
    huge = "x" * 200_000
    (seeds / "manifest.csv").write_text(
        "file,url,outlet,published\n"
        "afp.txt,https://www.example.com/wechat,,\n"
        "b.txt,http://[::1,,\n"
        "../outside.txt,,,\n"
        "/etc/passwd,,,\n"
        f"c.txt,,{huge},\n"
        "missing.txt,,,\n"
    )
    path = tmp_path / "w.duckdb"
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["new"], result["failed"]) == (2, 0)
    with open_warehouse(path) as con:
        urls = dict(con.execute("SELECT source_ref, url FROM articles").fetchall())
        problems = dict(
            con.execute("SELECT source_ref, reason FROM open_failures WHERE stage = 'manifest'").fetchall()
        )
    assert urls == {"afp.txt": "https://www.example.com/wechat", "b.txt": None}
    assert problems == {
        "manifest.csv:3": "manifest line 3: 'http://[::1' is not a valid http(s) URL",
        "manifest.csv:4": "manifest line 4: '../outside.txt' leaves the manifest's folder ('..')",
        "manifest.csv:5": "manifest line 5: '/etc/passwd' is an absolute path; "
        "'file' must be relative to the manifest's folder",
        "manifest.csv:6": "manifest line 6: 'outlet' is 200,000 characters long (the limit is 4,096)",
        "missing.txt": "manifest.csv lists 'missing.txt', which is not in the seeds folder",
    }


def test_an_edited_manifest_reapplies_without_force_and_fixed_rows_resolve(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS / "003_c203a4481660e9bf.txt", seeds / "afp.txt")
    shutil.copy(SEEDS / "002_cd3e9b45309f4b3f.txt", seeds / "b.txt")
    (seeds / "manifest.csv").write_text(
        "file,url,outlet\nafp.txt,https://www.example.com/a,\nb.txt,http://[::1,\n"
    )
    path = tmp_path / "w.duckdb"
    # A feeds config the run cannot use (the default feeds.yaml, edited badly) is a failure row: the
    # seeds still load (it crashed the run after the seeds, every run, until fixed).
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: [\n")
    first = wiretrace_run(seeds_dir=str(seeds), feeds_file=str(feeds), db_path=str(path))
    assert (first["new"], first["feeds"]["feeds_failed"]) == (2, 1)
    with open_warehouse(path) as con:
        config = con.execute("SELECT origin, reason FROM open_failures WHERE stage = 'config'").fetchall()
    assert [(origin, reason.split(": ")[:2]) for origin, reason in config] == [
        ("feed", [f"feeds config {feeds}", "not valid YAML"])
    ]
    (seeds / "manifest.csv").write_text(
        "file,url,outlet\nafp.txt,https://www.example.com/a,The Example\nb.txt,,\n"
    )
    feeds.write_text("feeds: []\n")
    result = wiretrace_run(seeds_dir=str(seeds), feeds_file=str(feeds), db_path=str(path))
    assert (result["updated"], result["unchanged"]) == (1, 1)
    with open_warehouse(path) as con:
        outlet = con.execute("SELECT outlet FROM articles WHERE source_ref = 'afp.txt'").fetchone()[0]
        still_open = con.execute("SELECT count(*) FROM open_failures").fetchone()[0]
    assert outlet == "The Example"
    assert still_open == 0


def test_an_unwritable_db_is_one_clear_line_and_no_traceback(tmp_path):
    import subprocess
    import sys

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    no_feeds = tmp_path / "feeds.yaml"  # never the repository's real feeds, whatever fails first
    no_feeds.write_text("")
    wiretrace = str(Path(sys.executable).with_name("wiretrace"))
    run = subprocess.run(
        [
            wiretrace,
            "run",
            "--seeds",
            str(SEEDS),
            "--feeds",
            str(no_feeds),
            "--db",
            str(blocked / "w.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(f"wiretrace run: cannot write the warehouse {blocked / 'w.duckdb'}: ")
    assert "choose another --db" in line


def test_with_wiretrace_dask_a_run_gives_the_rows_of_the_local_run(
    seed_warehouse, dask_cluster, tmp_path, monkeypatch
):
    """WIRETRACE_DASK set: the seeds are extracted and tagged on the Dask cluster, same rows."""
    from settings import Settings

    # In this process (a process of its own cost a cold start and a temporary API of its own): the
    # run's settings made from the environment as settings.py makes them, and pool_threshold 1 sends
    # even five seeds to the pool.
    monkeypatch.setenv("WIRETRACE_DASK", dask_cluster)
    settings = Settings(pool_threshold=1)
    assert settings.dask_address == dask_cluster
    monkeypatch.setattr("flows.ingest.SETTINGS", settings)
    from flows.dask_pool import DaskPool

    sent = []
    submit = DaskPool.submit
    monkeypatch.setattr(DaskPool, "submit", lambda pool, *args: sent.append(args) or submit(pool, *args))
    path = tmp_path / "dask.duckdb"
    result = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path))
    assert (result["new"], result["failed"]) == (5, 0)
    assert sent  # the parts went to the Dask workers
    # every stable column but what names the run: when it first saw the article, its archive file
    columns = {
        **STABLE_COLUMNS,
        "articles": STABLE_COLUMNS["articles"].replace(" first_seen_at,", ""),
        "raw_documents": "content_hash, size_bytes",
    }
    assert snapshot(path, columns) == snapshot(seed_warehouse, columns)


def test_the_warehouse_made_before_the_flow_is_migrated_and_never_waits_for_another_writer(
    tmp_path, monkeypatch
):
    import subprocess
    import sys

    from flows.ingest import prepare_warehouse
    from warehouse import lake

    ready = tmp_path / "ready" / "w.sqlite"
    prepare_warehouse(str(ready))  # what `wiretrace run` does while Prefect's temporary API starts
    with open_warehouse(ready) as con:
        applied = [v for (v,) in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert applied == [int(f.name[:3]) for f in db.migration_files()]

    # another writer holds the load lock of a new warehouse (a wait that long would hang the test)
    monkeypatch.setenv("WIRETRACE_LOCK_WAIT", "3600")
    busy = tmp_path / "busy" / "w.sqlite"
    lock_file = lake.locate(busy).lock_file
    lock_file.parent.mkdir(parents=True)
    hold = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(lock_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        prepare_warehouse(str(busy))  # returns: the flow meets the lock again, and waits there as before
        with open_warehouse(busy) as con:
            assert "schema_migrations" not in {name for (name,) in con.execute("SHOW TABLES").fetchall()}
    finally:
        holder.communicate("")
    result = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(busy))
    assert result["new"] == 5
