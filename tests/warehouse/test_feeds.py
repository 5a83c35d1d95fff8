"""warehouse/feeds.py and the statements of the feed path: what a statement costs per value."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from warehouse import db


@pytest.mark.skipif(importlib.util.find_spec("pandas") is not None, reason="pandas is installed here")
def test_a_list_parameter_does_not_search_for_pandas_once_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    looked: list[str] = []  # the modules searched for on sys.path
    original = importlib._bootstrap._find_spec  # type: ignore[attr-defined]

    def spy(name: str, *args: object) -> object:
        looked.append(name)
        return original(name, *args)

    con = duckdb.connect()
    urls = [f"https://example.org/{i}" for i in range(200)]
    monkeypatch.setattr(importlib._bootstrap, "_find_spec", spy)  # type: ignore[attr-defined]
    try:
        # the warehouse's way of passing many keys: one list parameter
        found = con.execute("SELECT len(list_filter(?, u -> u LIKE '%/1%'))", [urls]).fetchone()
    finally:
        monkeypatch.undo()
        con.close()
    assert found == (111,)  # 1, 10-19, 100-199
    assert looked.count("pandas") == 0, f"{looked.count('pandas')} searches for pandas"
    assert db.SQL_DIR.is_dir()  # warehouse.db, imported, is what records pandas as absent
