"""Runs keep raw inputs in the WARC archive: written once, before the rows, and read back to re-tag."""

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from clients import warc
from flows.ingest import wiretrace_run
from flows.tasks import archive_raws
from flows.workers import worker_pool
from settings import Settings
from tests.conftest import CORPUS, SEEDS
from transforms.pipeline import content_hash
from transforms.records import RawDocument
from warehouse import db
from wiretrace import open_warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


def raw_rows(path) -> list[tuple]:
    with open_warehouse(path) as con:
        return con.execute(
            """SELECT a.source_ref, r.content_hash, r.data_gzip, r.warc_path, r.warc_offset, r.warc_length
               FROM raw_documents r JOIN articles a USING (content_hash) ORDER BY r.warc_offset"""
        ).fetchall()


def archived(root) -> list[str]:
    """Payload digests of every resource record in every archive file, in file and write order."""
    digests = []
    for path in sorted(root.rglob(f"*{warc.SUFFIX}")):
        with open(path, "rb") as fh:
            records = [r for r in ArchiveIterator(fh) if r.rec_type == "resource"]
            digests += [r.rec_headers.get_header("WARC-Payload-Digest") for r in records]
    return digests


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> str:
    """A new warehouse of each catalog kind, as `--db` names it; its archive is tmp_path/archive."""
    monkeypatch.delenv("WIRETRACE_ARCHIVE", raising=False)
    if request.param == "sqlite":
        return str(tmp_path / "w.sqlite")
    server = request.getfixturevalue("pg_server")
    monkeypatch.setenv("WIRETRACE_DATA", str(tmp_path / "data"))  # the archive goes beside it
    return f"postgres:{server.create_database(f'archive_{uuid.uuid4().hex[:8]}')}"


def test_a_run_archives_each_input_once_and_its_rows_point_at_the_records(tmp_path, catalog):
    path = catalog
    first = wiretrace_run(seeds_dir=str(SEEDS), db_path=path)
    root = tmp_path / "archive"
    rows = raw_rows(path)
    assert len(rows) == 5
    with open_warehouse(path) as con:
        (day,) = con.execute(
            "SELECT DISTINCT CAST(timezone('UTC', first_seen_at) AS DATE) FROM raw_documents"
        ).fetchone()
    for ref, digest, data_gzip, *where in rows:
        assert data_gzip is None
        assert where[0] == warc.run_file(first["run_id"], day)  # the day it was archived, in UTC
        back = warc.read_record(root, warc.Location(*where), digest)
        assert hashlib.sha256(back).digest() == hashlib.sha256((SEEDS / ref).read_bytes()).digest()
    assert archived(root) == [f"sha256:{row[1]}" for row in rows]
    # Content-addressed: loading the same bytes again (forced) writes no record and moves no row.
    forced = wiretrace_run(seeds_dir=str(SEEDS), db_path=path, force=True)
    assert forced["updated"] == 5
    assert archived(root) == [f"sha256:{row[1]}" for row in rows]
    assert raw_rows(path) == rows


def test_a_retag_reads_the_archive_and_a_damaged_record_fails_alone(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    path = tmp_path / "w.duckdb"
    wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    with open_warehouse(path) as con:
        before = sorted(con.execute("SELECT source_ref, text FROM articles").fetchall())
    for seed in seeds.glob("*.txt"):
        seed.unlink()  # gone from disk: only the archive has their bytes now
    rows = raw_rows(path)
    last_ref, _, _, relpath, offset, _ = rows[-1]
    os.truncate(tmp_path / "archive" / relpath, offset + 20)  # the last record cut short
    monkeypatch.setattr("flows.ingest.pipeline_version", lambda: "next-version")
    monkeypatch.setattr("flows.ingest.SETTINGS", Settings(batch_size=2, workers=1))  # read 2 by 2
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    assert (result["updated"], result["failed"]) == (4, 1)
    with open_warehouse(path) as con:
        versions = dict(con.execute("SELECT source_ref, pipeline_version FROM articles").fetchall())
        failures = con.execute("SELECT source_ref, stage, reason FROM open_failures").fetchall()
        after = sorted(con.execute("SELECT source_ref, text FROM articles").fetchall())
        status = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    assert [v for ref, v in versions.items() if ref != last_ref] == ["next-version"] * 4
    assert versions[last_ref] != "next-version"  # kept as it was, to try again
    assert [(ref, stage) for ref, stage, _ in failures] == [(last_ref, "archive")]
    assert "cut short" in failures[0][2]
    assert after == before and status == "completed"


def test_the_workers_encode_the_same_records_the_flow_would(tmp_path):
    pages = sorted((CORPUS / "aeb" / "html").glob("*.html.gz"))[:30]
    raws = {}
    for page in pages:
        data = gzip.decompress(page.read_bytes())
        raws[content_hash(data)] = RawDocument(page.name, data, "feed", media_type="text/html")
    stamp = datetime(2026, 1, 2, tzinfo=UTC)
    found = {}
    for name, workers in (("alone", 1), ("pool", 2)):
        con = db.connect(tmp_path / f"{name}.duckdb")
        with worker_pool(Settings(workers=workers)) as pool:
            rows = archive_raws(con, raws, name, stamp, pool)
        root = db.archive_root(con)
        assert set(rows) == set(raws)
        found[name] = {}
        for digest, row in rows.items():
            where = warc.Location(row.warc_path, row.warc_offset, row.warc_length)
            assert warc.read_record(root, where, digest) == raws[digest].data
            with open(root / row.warc_path, "rb") as fh:
                fh.seek(row.warc_offset)
                found[name][digest] = fh.read(row.warc_length)
    assert found["pool"] == found["alone"]


@pytest.mark.parametrize(
    ("db", "archive", "says"),
    [
        (
            "w.sqlite",
            "a-file/archive",
            "its archive folder {tmp}/a-file/archive cannot be made: Not a directory",
        ),
        ("postgres:dbname=x host=127.0.0.1 port=9", None, "it has no archive folder: set WIRETRACE_ARCHIVE"),
    ],
)
def test_an_archive_folder_that_cannot_be_made_or_is_not_known_is_one_clear_line(tmp_path, db, archive, says):
    (tmp_path / "a-file").write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if k not in ("WIRETRACE_ARCHIVE", "WIRETRACE_DATA")}
    if archive:
        env["WIRETRACE_ARCHIVE"] = str(tmp_path / archive)
    where = str(tmp_path / db) if db.endswith(".sqlite") else db
    no_feeds = tmp_path / "feeds.yaml"  # never the repository's real feeds, whatever fails first
    no_feeds.write_text("")
    wiretrace = str(Path(sys.executable).with_name("wiretrace"))
    run = subprocess.run(
        [wiretrace, "run", "--seeds", str(SEEDS), "--feeds", str(no_feeds), "--db", where],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(f"wiretrace run: cannot write the warehouse {where}: ")
    assert says.format(tmp=tmp_path) in line
    assert not (tmp_path / "w.sqlite").exists()


def test_the_archive_is_beside_a_sqlite_catalog_or_a_postgresql_catalogs_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("WIRETRACE_ARCHIVE", raising=False)
    monkeypatch.delenv("WIRETRACE_DATA", raising=False)
    assert db.archive_root_for(tmp_path / "wh" / "w.sqlite") == tmp_path / "wh" / "archive"
    assert db.archive_root_for("postgres:dbname=w host=/var/run/postgresql") is None
    monkeypatch.setenv("WIRETRACE_DATA", str(tmp_path / "shared" / "data"))
    assert (
        db.archive_root_for("postgres:dbname=w host=/var/run/postgresql") == tmp_path / "shared" / "archive"
    )
    monkeypatch.setenv("WIRETRACE_ARCHIVE", str(tmp_path / "elsewhere"))
    assert (
        db.archive_root_for("postgres:dbname=w") == db.archive_root_for("w.sqlite") == tmp_path / "elsewhere"
    )


def test_a_record_names_the_url_fetched_else_the_seeds_url_else_its_file(tmp_path):
    pages = {
        "fetched": RawDocument(
            "https://example.org/a?utm=1", b"<p>a</p>", "feed", url="https://example.org/a"
        ),
        "manifest": RawDocument("afp.txt", b"b", "seed", url="https://example.org/b"),
        "file": RawDocument("c.txt", b"c", "seed"),
    }
    con = db.connect(tmp_path / "w.duckdb")
    rows = archive_raws(con, {content_hash(r.data): r for r in pages.values()}, "r", datetime.now(UTC))
    (path,) = {db.archive_root(con) / row.warc_path for row in rows.values()}
    with open(path, "rb") as fh:
        targets = [
            r.rec_headers.get_header("WARC-Target-URI")
            for r in ArchiveIterator(fh)
            if r.rec_type == "resource"
        ]
    assert targets == ["https://example.org/a?utm=1", "https://example.org/b", "c.txt"]
