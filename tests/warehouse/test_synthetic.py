"""warehouse/synthetic.py: the benchmarks' generated rows fit the real schema and its checks."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from warehouse import db, synthetic

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_generated_rows_land_in_the_schema_with_no_key_twice() -> None:
    con = duckdb.connect()
    db.migrate(con)
    with db.transaction(con):
        synthetic.fill_stored(con, 50, NOW)
    batch = {"article_id": ["x1", "x2"], "text": ["One text.", "Another text."], "word_count": [2, 2]}
    synthetic.insert_articles(con, pa.table({**batch, "first_seen_at": [NOW, NOW]}), "seed")
    credits = {
        k: [v, v] for k, v in (("source", "AFP"), ("kind", "agency"), ("role", "origin"), ("evidence", "AFP"))
    }
    synthetic.insert_credits(con, pa.table({"article_id": ["x1", "x2"], **credits}))
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("articles", "article_sources")
    }
    assert counts == {"articles": 52, "article_sources": 102}
    assert con.execute("SELECT origin, source_ref FROM articles WHERE article_id = 'x1'").fetchone() == (
        "seed",
        "x1",
    )
    assert con.execute("SELECT count(*) FROM raw_documents").fetchone()[0] == 50
    assert con.execute("SELECT * FROM duplicate_keys").fetchall() == []
