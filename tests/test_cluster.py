"""The throwaway PostgreSQL server (wiretrace/postgres.py) and the local cluster of `make cluster`."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from wiretrace import postgres


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
