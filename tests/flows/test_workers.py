"""The worker pool: processes forked from a warmed-up fork server, and the model cache."""

from __future__ import annotations

import os
from pathlib import Path

from flows.workers import cached_language_model, worker_pool
from settings import Settings
from transforms import language
from transforms.language import detect_language

GERMAN = "Die Bundesregierung hat am Dienstag neue Regeln für den Handel mit Energie beschlossen."


def _worker_state() -> tuple[int, bool]:
    # runs in a worker, before any article: is the language model there already?
    return os.getpid(), language._model is not None


def test_workers_start_with_the_language_model_loaded() -> None:
    with worker_pool(Settings(workers=2)) as pool:
        assert pool is not None
        states = [pool.submit(_worker_state).result() for _ in range(4)]
    assert all(pid != os.getpid() for pid, _ in states)
    assert all(loaded for _, loaded in states)


def test_one_core_gets_no_pool() -> None:
    with worker_pool(Settings(workers=1)) as pool:
        assert pool is None


def test_language_model_cache_is_made_once_and_remade_when_damaged(tmp_path: Path) -> None:
    model = cached_language_model(tmp_path)
    (made,) = tmp_path.glob("*.pickle")
    assert not list(tmp_path.glob("*.partial"))
    assert model.classify(GERMAN)[0] == "de"
    stamp = made.stat().st_mtime_ns
    assert cached_language_model(tmp_path).classify(GERMAN) == model.classify(GERMAN)
    assert made.stat().st_mtime_ns == stamp  # read, not written again

    made.write_bytes(made.read_bytes()[:1000])  # a write cut short
    again = cached_language_model(tmp_path)
    assert again.classify(GERMAN)[0] == "de"
    assert made.stat().st_size > 1_000_000


def test_an_unwritable_cache_costs_only_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert cached_language_model(blocked / "cache").classify(GERMAN)[0] == "de"
    assert detect_language(GERMAN) == "de"
