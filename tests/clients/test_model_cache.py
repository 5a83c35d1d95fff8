"""clients/model_cache.py: py3langid's model as a pickle, made once, remade when damaged."""

from __future__ import annotations

import os
import time
from pathlib import Path

from clients.model_cache import STALE_MODEL_SECONDS, cached_language_model
from transforms.language import detect_language

GERMAN = "Die Bundesregierung hat am Dienstag neue Regeln für den Handel mit Energie beschlossen."


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


def test_a_new_model_pickle_deletes_the_stale_ones_of_other_installs(tmp_path: Path) -> None:
    stale, recent = tmp_path / "py3langid-1-1.pickle", tmp_path / "py3langid-2-2.pickle"
    for old in (stale, recent):
        old.write_bytes(b"made for another model file")
    day_ago = time.time() - STALE_MODEL_SECONDS - 60
    os.utime(stale, (day_ago, day_ago))
    cached_language_model(tmp_path)
    assert not stale.exists()  # over a day old: another install's, gone
    assert recent.exists()  # perhaps a checkout in use now: kept
    assert len(list(tmp_path.glob("py3langid-*.pickle"))) == 2


def test_an_unwritable_cache_costs_only_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert cached_language_model(blocked / "cache").classify(GERMAN)[0] == "de"
    assert detect_language(GERMAN) == "de"
