"""The `wiretrace` console script, as other checks call it."""

import gzip
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, SEEDS, source_problems

WIRETRACE = [str(Path(sys.executable).with_name("wiretrace"))]


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(WIRETRACE + list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


def test_tag_json_on_the_seeds_matches_the_gold(seed_gold):
    files = sorted(SEEDS.glob("*.txt"))
    done = run_cli("tag", "--json", *map(str, files))
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [item["file"] for item in items] == list(map(str, files))
    for item in items:
        gold = seed_gold[Path(item["file"]).name]
        assert item["title"] == gold["title"]
        assert item["byline"] == gold["byline"]
        assert item["published"] == gold["published"]
        for phrase in gold["body_must_contain"]:
            assert phrase in item["text"]
        for phrase in gold["body_must_not_contain"]:
            assert phrase not in item["text"]
        assert item["language"] == "en"
        tags = [(s["source"], s["role"]) for s in item["sources"]]
        assert source_problems(tags, gold["sources"], with_reuse=False) == [], item["file"]
        for s in item["sources"]:
            assert set(s) == {"source", "kind", "role", "evidence", "start", "end"}
            assert s["kind"] in ("agency", "outlet")
            if s["start"] is not None:
                assert item["text"][s["start"] : s["end"]] == s["evidence"]


def test_tag_reads_gzip_html_and_takes_url_and_manifest(tmp_path, corpus_dir):
    truth = json.loads((corpus_dir / "aeb" / "ground-truth.json").read_text())
    page_id, gold = next(iter(sorted(truth.items())))
    page = tmp_path / "page.html.gz"
    page.write_bytes((corpus_dir / "aeb" / "html" / f"{page_id}.html.gz").read_bytes())
    (tmp_path / "manifest.csv").write_text("file,outlet,published\npage.html.gz,Test Outlet,2019-01-02\n")
    done = run_cli(
        "tag", "--json", "--url", gold["url"], "--manifest", str(tmp_path / "manifest.csv"), str(page)
    )
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(done.stdout)
    assert item["url"] == gold["url"]
    assert item["outlet"] == "Test Outlet"
    first_words = " ".join(gold["articleBody"].split()[:6])
    assert first_words in " ".join(item["text"].split())


def test_tag_reports_a_bad_file_and_still_tags_the_rest(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    good = tmp_path / "good.txt.gz"
    good.write_bytes(gzip.compress((SEEDS / "002_cd3e9b45309f4b3f.txt").read_bytes()))
    done = run_cli("tag", "--json", str(empty), str(good))
    assert done.returncode == 1
    bad, ok = json.loads(done.stdout)
    assert bad == {"file": str(empty), "error": "decode: empty file"}
    assert ok["title"] == "Russia bans Chinese instant messaging app WeChat"


@pytest.fixture(scope="module")
def seed_warehouse(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from flows.ingest import wiretrace_run

    path = tmp_path_factory.mktemp("cli") / "wiretrace.sqlite"
    wiretrace_run(seeds_dir=str(SEEDS), feeds_file=None, db_path=str(path))
    return path


def documented_names() -> set[str]:
    """Every table and view the README's Warehouse and Provenance sections name as a heading or table row."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    readme = readme[readme.index("## Provenance") : readme.index("### Exports")]
    names = set(re.findall(r"\*\*`([a-z_]+)`\*\*", readme))
    names |= set(re.findall(r"^\| `([a-z_]+)`(?: \(view\))? \|", readme, flags=re.MULTILINE))
    return names


def test_every_documented_table_and_view_answers_through_open_warehouse(seed_warehouse: Path) -> None:
    import wiretrace

    names = documented_names()
    # the README documents them all, including the ones this test is about
    assert {"articles", "article_sources", "runs", "story_timeline", "story_summary", "alerts"} <= names
    con = wiretrace.open_warehouse(seed_warehouse)
    try:
        for name in sorted(names):
            con.execute(f"SELECT * FROM {name} LIMIT 1").fetchall()
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM articles")
    finally:
        con.close()
    with pytest.raises(wiretrace.WarehouseNotFound, match="wiretrace run"):
        wiretrace.open_warehouse(seed_warehouse.parent / "missing.sqlite")


def test_the_readme_python_one_liner_and_duckdb_shell_work(seed_warehouse: Path, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(ln for ln in readme.splitlines() if ln.startswith('.venv/bin/python -c "import wiretrace'))
    code = shlex.split(line)[2]
    env = {**os.environ, "WIRETRACE_DB": str(seed_warehouse)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Russia" in done.stdout  # the seed story's label
    # the duckdb shell of the venv (duckdb-cli), as the README's one-line command runs it: from another
    # folder, with a home of its own into which the extensions are installed (as `make setup` does)
    shell = Path(sys.executable).with_name("duckdb")
    one_liner = next(ln for ln in readme.splitlines() if ln.startswith(ONE_LINER))
    argv = shlex.split(one_liner.split("  #")[0])
    argv = [str(shell), *(a.replace("warehouse/wiretrace.sqlite", str(seed_warehouse)) for a in argv[1:])]
    home = tmp_path / "home"
    from warehouse import lake

    assert set(lake.install_extensions(home / ".duckdb" / "extensions")) == {
        "ducklake", "sqlite_scanner", "postgres_scanner"
    }  # fmt: skip
    done = subprocess.run(
        [*argv, "-c", "SELECT count(*) AS n FROM story_timeline"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env={**os.environ, "HOME": str(home)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"\b5\b", done.stdout)


# the README's stock `duckdb` command: the lake attached read-only and USEd
ONE_LINER = (
    ".venv/bin/duckdb -cmd \"ATTACH 'ducklake:sqlite:warehouse/wiretrace.sqlite' AS wiretrace (READ_ONLY)"
)


def test_sql_command_runs_one_query_read_only(seed_warehouse: Path) -> None:
    done = run_cli("sql", "--db", str(seed_warehouse), "-c", "SELECT outlet, date_shown FROM story_timeline")
    assert done.returncode == 0, done.stderr
    assert "Droid Report" in done.stdout and "2017-05-10 17:41 UTC" in done.stdout
    refused = run_cli("sql", "--db", str(seed_warehouse), "-c", "DROP VIEW story_timeline")
    assert refused.returncode == 1 and "read-only" in refused.stderr
    missing = run_cli("sql", "--db", str(seed_warehouse.parent / "none.sqlite"), "-c", "SELECT 1")
    assert missing.returncode == 2 and "no warehouse" in missing.stderr


def test_sql_shell_is_the_stock_duckdb_attached_read_only(seed_warehouse: Path, tmp_path: Path) -> None:
    # without -c: the stock shell replaces the process; fed on stdin, it runs what it reads. Its own
    # home: the extensions are installed there (as into ~/.duckdb on a user's machine).
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(
        [*WIRETRACE, "sql", "--db", str(seed_warehouse)], input="SELECT count(*) AS n FROM story_timeline;\n",
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"\b5\b", done.stdout)
    assert (
        f"wiretrace sql: duckdb -cmd \"ATTACH 'ducklake:sqlite:{seed_warehouse}' AS wiretrace" in done.stderr
    )
    assert (tmp_path / ".duckdb" / "extensions").is_dir()


def test_sql_shell_argv_is_the_stock_one_liner(seed_warehouse: Path) -> None:
    from wiretrace.cli import shell_argv

    argv = shell_argv("duckdb", seed_warehouse)
    assert argv[:2] == ["duckdb", "-cmd"]
    assert f"ATTACH 'ducklake:sqlite:{seed_warehouse}' AS wiretrace (" in argv[2]
    assert "READ_ONLY" in argv[2] and argv[2].endswith("USE wiretrace;")


def test_tag_reads_the_manifest_beside_its_files_and_prints_no_none(tmp_path: Path) -> None:
    files = [str(SEEDS / "000_81fad63d1977c299.txt"), str(SEEDS / "001_88a8be11f5cd4cc1.txt")]
    manifest = {
        row.split(",")[0]: row.split(",")[1] for row in (SEEDS / "manifest.csv").read_text().splitlines()[1:]
    }
    done = run_cli("tag", "--json", *files)
    assert done.returncode == 0, done.stderr
    droid, undated = json.loads(done.stdout)
    # seeds/manifest.csv gives the first file's address, as `wiretrace run` reads it
    assert droid["url"] == manifest["000_81fad63d1977c299.txt"] and droid["outlet"] == "Droid Report"
    assert undated["url"] is None and undated["published"] is None
    plain = run_cli("tag", *files, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "None" not in plain.stdout
    assert "undated" in plain.stdout and "(unknown)" in plain.stdout


def _readme_export_columns() -> dict[str, list[str]]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exports") : readme.index("### Questions analysts ask")]
    rows = re.findall(r"^\| `(articles|credits|reuse)` \| [^|]+ \| ([^|]+) \|$", section, flags=re.MULTILINE)
    return {name: [c.strip() for c in cols.split(",")] for name, cols in rows}


def test_export_writes_the_documented_columns_since_a_day(seed_warehouse: Path, tmp_path: Path) -> None:
    import csv

    columns = _readme_export_columns()
    assert set(columns) == {"articles", "credits", "reuse"}
    out = tmp_path / "csv"
    done = run_cli("export", "--db", str(seed_warehouse), "--since", "2017-05-08", "--out", str(out))
    assert done.returncode == 0, done.stderr
    tables = {}
    for name, cols in columns.items():
        with open(out / f"{name}.csv", newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == cols, name
            tables[name] = list(reader)
    # published since 8 May 2017: Droid Report's article of 10 May, and the three undated seeds (first
    # seen today); not the one of 6 May
    titles = {r["title"]: r for r in tables["articles"]}
    assert len(titles) == 4 and "Russia bans Chinese instant messaging app WeChat" not in titles
    assert sorted(r["date_basis"] for r in titles.values()) == ["first_seen"] * 3 + ["published"]
    assert "(unknown)" in {r["outlet"] for r in tables["articles"]}
    assert {r["article_id"] for r in tables["credits"]} <= {r["article_id"] for r in tables["articles"]}
    afp = [r for r in tables["credits"] if r["source"] == "AFP" and r["role"] == "origin"]
    assert afp and all(r["outlet"] == "Inquirer" for r in afp)
    assert any(int(r["shared_chars"]) > 200 for r in tables["reuse"])
    # times are ISO 8601 in UTC, as the README says
    iso_utc = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
    assert all(iso_utc.fullmatch(r["first_seen_at"]) for r in tables["articles"])
    dated = [r["published_at"] for r in tables["articles"] if r["published_at"]]
    assert dated and all(iso_utc.fullmatch(t) for t in dated)

    later = run_cli(
        "export", "--db", str(seed_warehouse), "--since", "2999-01-01", "--format", "parquet",
        "--out", str(tmp_path / "pq"),
    )  # fmt: skip
    assert later.returncode == 0, later.stderr
    with duckdb.connect() as con:
        got = con.execute(f"SELECT * FROM '{tmp_path / 'pq' / 'articles.parquet'}'")
        assert [d[0] for d in got.description] == columns["articles"] and got.fetchall() == []
    bad = run_cli("export", "--db", str(seed_warehouse), "--since", "May 2017")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def _readme_run_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index("**1. Run it.**") :]
    return after.split("```\n", 2)[1]


def test_the_readme_shows_what_make_run_prints(tmp_path: Path) -> None:
    """The README's sample output is the real output of `make run` on the seeds, on a machine offline.

    Offline, every feed of feeds.yaml fails; here as many feeds, on a closed 127.0.0.1 port, fail the
    same way, so the output is the one `make run` prints (run id and warehouse path aside).
    """
    import yaml

    shipped = yaml.safe_load((REPO / "feeds.yaml").read_text(encoding="utf-8"))
    feeds = tmp_path / "feeds.yaml"
    closed = serve_free_port()
    feeds.write_text(
        yaml.safe_dump(
            {
                "feeds": [
                    {"url": f"http://127.0.0.1:{closed}/{i}.rss"} for i in range(len(shipped["feeds"]))
                ],
                "topics": shipped.get("topics") or [],
            }
        ),
        encoding="utf-8",
    )
    db = tmp_path / "warehouse" / "wiretrace.sqlite"
    # a wide terminal (no wrapped lines), and room for Prefect's temporary API on a busy machine
    env = {
        **os.environ,
        "WIRETRACE_ALLOW_PRIVATE_NETWORKS": "1",
        "COLUMNS": "1000",  # the temporary path is longer than the one shown
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }
    done = subprocess.run(
        [*WIRETRACE, "run", "--feeds", str(feeds), "--db", str(db)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    shown = re.sub(r"wiretrace run [0-9a-f-]{36}", "wiretrace run …", done.stdout).replace(
        str(db), "warehouse/wiretrace.sqlite"
    )

    def lines(text: str) -> list[str]:
        return [ln.rstrip() for ln in text.rstrip().splitlines()]

    assert lines(_readme_run_block()) == lines(shown)


def serve_free_port() -> int:
    from wiretrace.serve import free_port

    return free_port()  # nothing listens on it: a connection is refused at once
