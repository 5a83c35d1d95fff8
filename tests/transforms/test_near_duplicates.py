"""Whole-article near-duplicates with MinHash LSH."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from tests.conftest import SEEDS
from transforms.near_duplicates import (
    NUM_PERM,
    NearDuplicate,
    NearDuplicateIndex,
    band_keys,
    find_near_duplicates,
    lsh_params,
    signature,
    similarity,
)


def _seeds() -> dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def _syndicated(text: str) -> str:
    """The same article on another site: other menus, share buttons, footer, quote style."""
    return (
        "Home | World | Tech | Sports\nShare on Facebook Share on Twitter\n"
        + text.replace("“", '"').replace("”", '"')
        + "\nMore from our site: ten things you missed this week\n© 2017 Another Site Media"
    )


def test_same_article_under_other_boilerplate_is_a_near_duplicate() -> None:
    seeds = _seeds()
    sigs = {k: signature(v) for k, v in seeds.items()}
    sigs["copy"] = signature(_syndicated(seeds["003"]))
    index = NearDuplicateIndex()
    pairs = index.add_batch({k: sigs[k] for k in ("000", "001", "002", "003", "004")})
    assert pairs == []  # the seeds are one story, but no two are the same article
    pairs = index.add_batch({"copy": sigs["copy"]})
    assert pairs == [("copy", "003")]
    times = {"003": datetime(2017, 5, 6, tzinfo=UTC), "copy": datetime(2017, 5, 7, tzinfo=UTC)}
    found = find_near_duplicates(pairs, sigs, times)
    assert len(found) == 1
    assert found[0].article_id == "copy" and found[0].duplicate_of_id == "003"
    assert found[0].similarity > 0.8


def test_passage_copies_are_not_whole_article_duplicates() -> None:
    seeds = _seeds()
    # the blog pastes ~20% of the AFP story and ~60% of Droid Report's: reuse, not duplicates
    assert similarity(signature(seeds["004"]), signature(seeds["003"])) < 0.4
    assert similarity(signature(seeds["004"]), signature(seeds["000"])) < 0.4


def test_the_later_article_is_the_duplicate_and_undated_counts_as_later() -> None:
    sig = signature(_seeds()["002"])
    assert sig is not None
    sigs = {"a": sig, "b": sig.copy(), "c": sig.copy()}
    times = {"a": datetime(2017, 5, 8, tzinfo=UTC), "b": datetime(2017, 5, 6, tzinfo=UTC), "c": None}
    found = find_near_duplicates([("a", "b"), ("c", "a"), ("b", "c"), ("a", "b")], sigs, times)
    assert found == [
        NearDuplicate("a", "b", 1.0),
        NearDuplicate("c", "a", 1.0),
        NearDuplicate("c", "b", 1.0),
    ]


def test_signatures_and_band_keys_are_storable_and_stable() -> None:
    text = _seeds()["000"]
    sig = signature(text)
    assert sig is not None and sig.dtype == np.uint32 and len(sig) == NUM_PERM
    restored = np.frombuffer(sig.astype("<u4").tobytes(), dtype="<u4")
    assert np.array_equal(restored, sig)
    assert np.array_equal(signature(text), sig)  # no per-process randomness
    bands, _ = lsh_params()
    keys = band_keys(sig)
    assert len(keys) == bands and all(-(2**63) <= k < 2**63 for k in keys)
    assert len(set(keys) & set(band_keys(signature(_seeds()["002"])))) == 0
    assert signature("too short") is None


def test_unrelated_real_articles_have_no_near_duplicates(corpus_dir) -> None:
    aeb = corpus_dir / "aeb" / "ground-truth.json"
    bodies = {k: v["articleBody"] for k, v in json.loads(aeb.read_text(encoding="utf-8")).items()}
    sigs = {k: s for k, v in bodies.items() if (s := signature(v)) is not None}
    index = NearDuplicateIndex()
    pairs = index.add_batch(sigs)
    found = find_near_duplicates(pairs, sigs, {})
    assert found == []
    # a syndicated copy of one of them is found among all 181
    first = next(iter(bodies))
    sigs["syndicated"] = signature(_syndicated(bodies[first]))
    found = find_near_duplicates(index.add_batch({"syndicated": sigs["syndicated"]}), sigs, {})
    assert [(d.article_id, d.duplicate_of_id) for d in found] == [("syndicated", first)]


def test_signatures_are_datasketchs_minhash_and_the_bands_its_choice(corpus_dir) -> None:
    """Computed with numpy, without importing datasketch: its affine32 MinHash, value for value (the
    stored signatures and band keys of existing warehouses stay comparable), and its (bands, rows)."""
    from datasketch import MinHash, MinHashLSH

    from transforms.near_duplicates import SCHEME, SEED, THRESHOLD
    from transforms.reuse import text_shingles

    aeb = json.loads((corpus_dir / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    texts = [*_seeds().values(), *(v["articleBody"] for v in aeb.values())]
    compared = 0
    for text in texts:
        shingles = text_shingles(text)
        if len(shingles) == 0:
            continue
        theirs = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=lambda x: x, scheme=SCHEME)
        theirs.update_batch(np.unique(shingles & np.uint64(0xFFFFFFFF)).tolist())
        assert np.array_equal(signature(text), np.asarray(theirs.hashvalues, dtype=np.uint32))
        compared += 1
    assert compared > 150
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    assert lsh_params() == (lsh.b, lsh.r)
    other = MinHashLSH(threshold=0.8, num_perm=NUM_PERM)
    assert lsh_params(0.8) == (other.b, other.r)  # a threshold not precomputed: datasketch's choice
