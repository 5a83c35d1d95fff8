"""Fuzz and fault suite: mutated bytes of real pages and seeds, and hostile seeds folders.

Seeded and bounded (well under a minute): the same inputs every run, so a failure reproduces.
Whatever the bytes, `transforms.pipeline.process` returns an article or a Failure, and a run
over a hostile folder completes with every input either loaded or recorded.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS, SEEDS, require_corpus
from transforms.pipeline import process
from transforms.records import Failure, RawDocument, TaggedArticle
from transforms.registry import load_registry
from wiretrace import open_warehouse

SEED = 12


def real_inputs() -> list[tuple[str, bytes]]:
    """A few real pages and every seed: (name, bytes as stored)."""
    pages = sorted(require_corpus(CORPUS / "aeb" / "html").glob("*.html.gz"))[:6]
    pages += sorted(require_corpus(CORPUS / "attribution-dev" / "pages").glob("*.html.gz"))[:4]
    found = [(p.name.removesuffix(".gz"), gzip.decompress(p.read_bytes())) for p in pages]
    return found + [(p.name, p.read_bytes()) for p in sorted(SEEDS.glob("*.txt"))]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage of the kinds real inputs show: flips, cuts, splices, odd encodings, gzip."""
    kind = rng.randrange(10)
    if kind == 0:  # bit flips
        out = bytearray(data)
        for _ in range(rng.randrange(1, 50)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if kind == 1:  # cut anywhere
        return data[: rng.randrange(len(data))]
    if kind == 2:  # random bytes spliced in
        at = rng.randrange(len(data))
        return data[:at] + rng.randbytes(rng.randrange(1, 2000)) + data[at:]
    if kind == 3:  # a chunk repeated many times (long tokens, deep nesting)
        at = rng.randrange(len(data))
        return data[:at] + data[at : at + rng.randrange(1, 64)] * rng.randrange(100, 3000) + data[at:]
    if kind == 4:  # gzip, whole or cut short, or two members
        packed = gzip.compress(data)
        return rng.choice(
            [packed, packed[: rng.randrange(2, len(packed))], packed + gzip.compress(data[:100])]
        )
    if kind == 5:  # another encoding, with or without a byte-order mark
        text = data.decode("utf-8", "replace")
        return text.encode(rng.choice(["utf-16-le", "utf-16", "utf-32-be", "cp1252", "latin-1"]), "replace")
    if kind == 6:  # NUL and control bytes sprinkled
        out = bytearray(data)
        for _ in range(rng.randrange(1, 200)):
            out.insert(rng.randrange(len(out)), rng.randrange(32))
        return bytes(out)
    if kind == 7:  # tags and comments without end
        return data + b"<!--" * rng.randrange(1, 500) + b"<div " * rng.randrange(1, 500)
    if kind == 8:  # whitespace- and punctuation-only stretches
        return data[: len(data) // 2] + b" \t\n(" * rng.randrange(1, 5000) + data[len(data) // 2 :]
    return rng.randbytes(rng.randrange(0, 5000))  # noise


def test_mutated_real_inputs_always_give_an_article_or_a_failure():
    rng = random.Random(SEED)
    registry = load_registry()
    inputs = real_inputs()
    outcomes = {"article": 0, "failure": 0}
    for number in range(100):
        name, data = rng.choice(inputs)
        damaged = mutate(data, rng)
        suffix = ".gz" if damaged[:2] == b"\x1f\x8b" else ""
        raw = RawDocument(
            source_ref=f"fuzz-{number}-{name}{suffix}", data=damaged, url=rng.choice([None, "http://[::1"])
        )
        result = process(raw, registry, max_bytes=2_000_000)
        assert isinstance(result, TaggedArticle | Failure), (number, name)
        assert result.source_ref == raw.source_ref
        if isinstance(result, Failure):
            assert result.reason and result.stage
        outcomes["article" if isinstance(result, TaggedArticle) else "failure"] += 1
    assert outcomes["article"] > 20 and outcomes["failure"] > 20  # both paths were exercised


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_over_a_hostile_seeds_folder_completes_and_accounts_for_every_input(tmp_path: Path):
    from flows.ingest import wiretrace_run

    rng = random.Random(SEED)
    seeds = tmp_path / "seeds"
    (seeds / "deep" / "er").mkdir(parents=True)
    inputs = real_inputs()
    names = []
    for number in range(30):
        name, data = rng.choice(inputs)
        target = seeds / ("deep/er" if number % 7 == 0 else "") / f"{number:02d}-{name}"
        target.write_bytes(mutate(data, rng))
        names.append(target.relative_to(seeds).as_posix())
    shutil.copy(SEEDS / "002_cd3e9b45309f4b3f.txt", seeds / "good.txt")
    (seeds / "good-again.txt.gz").write_bytes(
        gzip.compress((SEEDS / "002_cd3e9b45309f4b3f.txt").read_bytes())
    )
    (seeds / "out.txt").symlink_to("/etc/hostname")
    (seeds / "loop.txt").symlink_to(seeds / "loop.txt")
    os.mkfifo(seeds / "pipe.txt")
    (seeds / "manifest.csv").write_bytes(b"file,url\n" + rng.randbytes(300) + b"\ngood.txt,http://[::1\n")
    path = tmp_path / "w.duckdb"
    result = wiretrace_run(seeds_dir=str(seeds), db_path=str(path))
    with open_warehouse(path) as con:
        loaded = {r[0] for r in con.execute("SELECT source_ref FROM articles").fetchall()}
        recorded = {r[0] for r in con.execute("SELECT source_ref FROM ingest_failures").fetchall()}
        status = con.execute("SELECT status FROM runs").fetchall()
    every = {*names, "good.txt", "good-again.txt.gz", "out.txt", "loop.txt", "pipe.txt"}
    assert status == [("completed",)]
    assert every <= loaded | recorded  # nothing lost silently
    assert not loaded & {"out.txt", "loop.txt", "pipe.txt"}
    assert result["inputs"] == len(every)
    assert result["new"] + result["failed"] + result["duplicate"] == len(every)
