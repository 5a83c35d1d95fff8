"""Whole-article near-duplicates: one syndicated article under other boilerplate or URLs.

Each article gets a MinHash signature (datasketch's affine32 scheme, computed here with numpy: the
same values, without importing datasketch, whose package imports scipy, ~1-2 s of every run's start)
of its set of word 5-shingles, the
same normalized shingles as reuse detection. Candidates come from LSH banding: the
signature is cut into `b` bands of `r` values (datasketch's optimal choice for the
threshold) and two articles are candidates when any band is identical, so no pair of
articles is ever compared unless it collides. Candidates are then checked against the
estimated Jaccard similarity.

Signatures and band keys are plain arrays/ints, so they can be stored (warehouse
tables `near_duplicate_signatures`, `near_duplicate_bands`) and never recomputed; the
band lookup is then a SQL join. `NearDuplicateIndex` is the in-memory equivalent, for
batch runs and the benchmark.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from transforms.reuse import FingerprintIndex, Fingerprints, batch_candidates, text_shingles

NUM_PERM = 128
SEED = 1  # fixed: stored signatures are only comparable under the same permutations
SCHEME = "affine32"
# Same copy under different page furniture: a 500-word article with 150 words of
# other boilerplate on each side still has a shingle Jaccard of ~0.6. Copies of a few
# paragraphs (the seeds' 004 -> 000 is ~0.2) are passage reuse, not duplicates.
THRESHOLD = 0.6


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    """`article_id` is (nearly) the same article as the earlier `duplicate_of_id`."""

    article_id: str
    duplicate_of_id: str
    similarity: float  # estimated Jaccard similarity of the shingle sets


# datasketch's optimal (bands, rows) for THRESHOLD and NUM_PERM (MinHashLSH(0.6, 128): b=18, r=7; a
# test checks it against datasketch). Stored band keys depend on them.
_LSH_PARAMS = {(THRESHOLD, NUM_PERM): (18, 7)}


def lsh_params(threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) datasketch picks for `threshold`; stored band keys depend on them."""
    if (threshold, num_perm) not in _LSH_PARAMS:
        from datasketch import MinHashLSH  # another threshold: datasketch's own choice (imports scipy)

        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        _LSH_PARAMS[threshold, num_perm] = (lsh.b, lsh.r)
    return _LSH_PARAMS[threshold, num_perm]


# MurmurHash3's 32-bit finalizer, as datasketch premixes affine32 inputs with it.
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for SEED: odd multipliers `a` and offsets `b`, uint32."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def signature(text: str, shingles: np.ndarray | None = None) -> np.ndarray | None:
    """The MinHash signature (uint32[NUM_PERM]) of `text` (or of its `text_shingles`).

    None when the text is too short to make a single shingle.
    """
    sh = text_shingles(text) if shingles is None else shingles
    if len(sh) == 0:
        return None
    # the 64-bit shingle hashes are already uniform: their low 32 bits are the values hashed
    values = np.unique(sh & np.uint64(0xFFFFFFFF)).astype(np.uint32).reshape(-1, 1)
    s1, m1, s2, m2, s3 = _FMIX32
    with np.errstate(over="ignore"):  # products wrap modulo 2^32, as the scheme intends
        values = values ^ (values >> np.uint32(s1))
        values = values * np.uint32(m1)
        values = values ^ (values >> np.uint32(s2))
        values = values * np.uint32(m2)
        values = values ^ (values >> np.uint32(s3))
        a, b = _permutations()
        return (values * a + b).min(axis=0)


def band_keys(sig: np.ndarray, threshold: float = THRESHOLD) -> list[int]:
    """One signed 64-bit key per LSH band (band number mixed in), storable as BIGINT."""
    b, r = lsh_params(threshold)
    keys = []
    for band in range(b):
        chunk = sig[band * r : (band + 1) * r].astype("<u4").tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the fraction of equal MinHash values."""
    return float(np.count_nonzero(a == b)) / len(a)


def _later_first(a: str, b: str, times: Mapping[str, datetime | None]) -> tuple[str, str]:
    def key(x: str) -> tuple[int, float, str]:
        t = times.get(x)
        return (1, 0.0, x) if t is None else (0, t.timestamp(), x)

    return (a, b) if key(a) > key(b) else (b, a)


def find_near_duplicates(
    pairs: Iterable[tuple[str, str]],
    signatures: Mapping[str, np.ndarray],
    times: Mapping[str, datetime | None],
    threshold: float = THRESHOLD,
) -> list[NearDuplicate]:
    """Verify candidate pairs; the later article (published, else first seen) is the duplicate."""
    out = {}
    for a, b in pairs:
        if a == b or a not in signatures or b not in signatures:
            continue
        later, earlier = _later_first(a, b, times)
        if (later, earlier) in out:
            continue
        sim = similarity(signatures[a], signatures[b])
        if sim >= threshold:
            out[(later, earlier)] = NearDuplicate(later, earlier, round(sim, 4))
    return sorted(out.values(), key=lambda d: (d.article_id, d.duplicate_of_id))


class NearDuplicateIndex:
    """In-memory LSH over band keys, for batch runs and benchmarks: the warehouse join, in numpy.

    datasketch's own `MinHashLSH` keeps a Python set per bucket and a bytes object per
    band and key (~5 KB per article), which cannot be stored in the warehouse either;
    the band keys (with datasketch's choice of bands and rows) go to a sorted-array
    index instead, ~0.2 KB per article.
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._index = FingerprintIndex()

    def add_batch(self, sigs: Mapping[str, np.ndarray]) -> list[tuple[str, str]]:
        """Candidate pairs of the batch with indexed articles and within the batch; indexes the batch."""
        items = [
            (a, Fingerprints(np.array(band_keys(s, self.threshold), dtype=np.int64), np.zeros(0, np.int32)))
            for a, s in sigs.items()
        ]
        return batch_candidates(self._index, items, min_hits=1)
