"""The throwaway PostgreSQL server (wiretrace/postgres.py) and the local cluster of `make cluster`."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest
import yaml

from scripts import compare_warehouses
from tests.conftest import CORPUS, SEEDS
from warehouse.compare import base_tables
from wiretrace import cluster, postgres, serve

REPO = Path(__file__).resolve().parents[1]


def test_session_postgres_answers_queries_on_loopback(pg_server: postgres.Postgres, pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        version = con.execute("SHOW server_version").fetchone()[0]
        assert version.split(".")[0] == postgres.bin_dir().parent.name.split(".")[0]
        # the throwaway settings the starter promises, read back from the server
        assert con.execute("SHOW fsync").fetchone()[0] == "off"
        assert con.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
        con.execute("CREATE TABLE probe (id int PRIMARY KEY, word text)")
        con.execute("INSERT INTO probe VALUES (1, 'wiretrace'), (2, 'ducklake')")
        assert con.execute("SELECT string_agg(word, ',' ORDER BY id) FROM probe").fetchone()[0] == (
            "wiretrace,ducklake"
        )
        con.execute("DROP TABLE probe")
    assert pg_dsn == pg_server.dsn()


def test_a_database_of_its_own_is_empty_and_separate(pg_server: postgres.Postgres) -> None:
    dsn = pg_server.create_database("cluster_probe")
    with psycopg.connect(dsn, autocommit=True) as con:
        assert con.execute("SELECT current_database()").fetchone()[0] == "cluster_probe"
        tables = con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        assert tables == 0
    with pytest.raises(ValueError, match="plain database name"):
        pg_server.create_database("x; DROP DATABASE postgres")


def test_stop_ends_the_server_and_removes_its_folder(pg_server: postgres.Postgres) -> None:
    server = postgres.start()
    pid = server.pid()
    assert pid is not None and postgres.alive(pid)
    with psycopg.connect(server.dsn(), autocommit=True) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
    postgres.stop(server)
    assert not postgres.alive(pid)
    assert not server.folder.exists()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", server.port)) != 0
    postgres.stop(server)  # a second stop is a no-op, not an error


def test_the_newest_installed_version_is_used_and_none_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "PG_ROOT", tmp_path)
    with pytest.raises(postgres.PostgresUnavailable, match="apt-get install postgresql"):
        postgres.bin_dir()
    for version in ("9.6", "15", "13"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "pg_ctl").touch()
    assert postgres.bin_dir() == tmp_path / "15" / "bin"


# -- the comparison `make cluster` ends with ---------------------------------------------------------


def _seed_run(folder: Path) -> str:
    from flows.ingest import wiretrace_run
    from settings import DEFAULT_DB

    folder.mkdir()
    path = str(folder / DEFAULT_DB.name)
    wiretrace_run(seeds_dir=str(SEEDS), feeds_file=None, db_path=path)
    return path


def test_two_runs_of_the_same_inputs_hold_the_same_rows_and_a_change_shows(
    prefect_harness: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import duckdb

    import wiretrace

    first, second = _seed_run(tmp_path / "a"), _seed_run(tmp_path / "b")
    # two runs: other run ids and times, same rows
    assert compare_warehouses.main([first, second]) == 0
    assert "hold the same rows" in capsys.readouterr().out

    con_a = wiretrace.open_warehouse(first)
    changed = duckdb.connect()
    try:
        tables = base_tables(con_a)
        assert {"articles", "article_sources", "stories", "raw_documents"} <= set(tables)
        for table in tables:
            rows = con_a.table(table).arrow()  # noqa: F841 - read by name in the SQL below
            changed.execute(f'CREATE TABLE "{table}" AS SELECT * FROM rows')
        assert compare_warehouses.compare(con_a, changed) == []
        changed.execute(
            "UPDATE articles SET title = title || '!' "
            "WHERE article_id = (SELECT min(article_id) FROM articles)"
        )
        changed.execute("DELETE FROM article_sources WHERE role = 'photo'")
        # a wall-clock column is not a difference
        changed.execute("UPDATE articles SET updated_at = updated_at + INTERVAL 1 DAY")
        problems = compare_warehouses.compare(con_a, changed)
    finally:
        con_a.close()
        changed.close()
    headlines = [p for p in problems if p.startswith("table")]
    assert [h.split(":")[0] for h in headlines] == ["table article_sources", "table articles"]
    assert "1 only in the first, 1 only in the second" in headlines[1]
    assert any(p.startswith("  - ") and "'photo'" in p for p in problems)


def test_the_cluster_polls_feeds_in_shards_one_per_worker_and_runs_each_on_its_feeds() -> None:
    deployed = cluster.cluster_deployments(REPO)
    assert "feed-poll" not in deployed  # the unsharded one would poll every feed beside the shards
    runs = cluster.ingest_runs(REPO, deployed, "catalog", "cluster/feeds.yaml")
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    shards = {
        d["name"]: d["parameters"]["shard"]
        for d in config["deployments"]
        if d["name"] in runs and d["parameters"].get("shards", 1) > 1
    }
    # as many shards as workers, each run on the cluster's feeds (its own shard from the deployment)
    assert sorted(shards.values()) == list(range(cluster.PREFECT_WORKERS))
    assert all(runs[name] == {"db_path": "catalog", "feeds_file": "cluster/feeds.yaml"} for name in shards)
    assert runs["seed-ingest"] == {"db_path": "catalog", "seeds_dir": "seeds"}
    assert set(runs) == {"seed-ingest", *shards}


# -- make cluster's processes and cluster-stop -------------------------------------------------------


def test_cluster_stop_ends_every_process_it_recorded(pg_server: postgres.Postgres, tmp_path: Path) -> None:
    """PostgreSQL, the Dask scheduler and workers and the feed server, started as `make cluster`
    starts them (from another process's point of view: by the PIDs in the state file), then stopped."""
    import httpx

    state_dir = tmp_path / "state"
    state_dir.mkdir()
    state: dict = {}
    server = postgres.start()
    state["postgres"] = {"folder": str(server.folder), "port": server.port}
    try:
        cluster.start_dask(state_dir, state, dict(os.environ), REPO)
        feeds = cluster.start_feed_server(state_dir, state, CORPUS, REPO)
        recorded = cluster.load_state(state_dir)
        assert set(recorded["processes"]) == {
            "dask-scheduler",
            "dask-worker-1",
            "dask-worker-2",
            "feed-server",
        }
        assert sorted(cluster.running(recorded)) == sorted([*recorded["processes"], "postgres"])
        assert cluster.up(REPO, state_dir) == 2  # a second cluster does not start over the first

        # the feed server serves corpus pages behind its feeds
        config = yaml.safe_load(feeds.read_text(encoding="utf-8"))
        # one host (port) per feed: the two workers' sharded polling splits them by host
        assert len({httpx.URL(f["url"]).port for f in config["feeds"]}) == cluster.FEEDS
        rss = httpx.get(config["feeds"][0]["url"], timeout=30).text
        link = rss.split("<link>")[1].split("</link>")[0]
        assert link.startswith("http://127.0.0.1:")
        assert "<html" in httpx.get(link, timeout=30).text.lower()
    except BaseException:
        cluster.down(state_dir)  # a failed check must not leave the processes running
        raise

    groups = list(recorded["processes"].values())
    postmaster = server.pid()
    assert cluster.down(state_dir) == 0
    assert not any(serve._group_alive(pgid) for pgid in groups)
    assert postmaster and not postgres.alive(postmaster)
    assert not server.folder.exists()
    assert not (state_dir / cluster.STATE_FILE).exists()
    assert cluster.down(state_dir) == 0  # nothing recorded: nothing to stop, no error
