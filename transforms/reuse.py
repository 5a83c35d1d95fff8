"""Passage-level text reuse: which article pasted which passages of which earlier one.

The pipeline is the classic fingerprint one, kept pure so that its state can live in
the warehouse:

1. `tokenize`: words with their character offsets. Only `\\w+` runs are kept and they
   are casefolded, so quote style, dashes, punctuation and whitespace cannot break a
   match ("We’re" and "We're" give the same words).
2. `shingle_hashes`: a stable 64-bit hash of every run of `SHINGLE` words.
3. `winnow`: the minimum of every window of `WINDOW` shingles. Any shared run of at
   least SHINGLE + WINDOW - 1 words is guaranteed to share a fingerprint, while only
   ~2/(WINDOW+1) of the shingles are stored.
4. Candidates are articles sharing at least `MIN_HITS` fingerprints (an inverted index:
   `FingerprintIndex` in memory, or a SQL join on `reuse_fingerprints`).
5. `align`: for a candidate pair, every shared shingle is a seed; seeds are chained
   along near-diagonals so that a changed, added or dropped word only leaves a short
   gap, and chains of at least `MIN_PASSAGE_WORDS` words become passages.
6. `detect_reuse`: orients each pair (who is the copy) and gives each copied region to
   one source only (the agency original, else the earliest), so a copy of a copy does
   not also show up as a second edge.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from transforms.records import SourceTag
from transforms.registry import Registry, load_registry

SHINGLE = 5
WINDOW = 6
# Measured on the seeds: the longest shared run between the independent reports
# (002/003) is under 5 words, between the rewrite and its source (001/000) 6 words, a
# shared comment-form footer 14, while the copied passages are 152 and 205 words.
# Two reports quoting one official verbatim share 10-30 words, mostly inside quotation
# marks (see MAX_QUOTED). News sentences are ~20-25 words: 25 is about one pasted sentence.
MIN_PASSAGE_WORDS = 25
MIN_HITS = 2
# Gap (in shingle positions) a chain may jump: one changed word removes SHINGLE
# shingles, so SHINGLE + 3 tolerates a changed word plus an inserted/dropped one.
MAX_GAP = SHINGLE + 3
MAX_SHIFT = 3  # words inserted or dropped inside a passage
# A passage mostly inside quotation marks is a shared quote, not copied prose.
MAX_QUOTED = 0.8
# Fingerprints present in more articles than this are boilerplate (footers, share
# widgets); they add cost and no evidence, so candidate lookup ignores them.
MAX_POSTINGS = 200

_WORD = re.compile(r"\w+")
_PRIME = np.uint64(0x100000001B3)  # FNV prime: odd, so the rolling combination mixes well


@dataclass(frozen=True, slots=True)
class Passage:
    """A copied passage: [start, end) in the copying text, [src_start, src_end) in the source."""

    start: int
    end: int
    src_start: int
    src_end: int
    text: str


@dataclass(frozen=True, slots=True)
class ReuseEdge:
    """`article_id` contains passages of `copied_from_id`."""

    article_id: str
    copied_from_id: str
    shared_chars: int
    share: float  # shared_chars / len(copying text)
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class ReuseDoc:
    """What reuse detection needs of one article."""

    article_id: str
    text: str
    time: datetime | None = None  # published, else first seen
    origins: frozenset[str] = frozenset()  # agencies with `origin` evidence in the article
    credited: frozenset[str] = frozenset()  # sources the article credits (cited/via/origin)
    outlet: str | None = None


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """Winnowed fingerprints of one text: hash (int64, storable as BIGINT) and word position."""

    hashes: np.ndarray
    positions: np.ndarray


@dataclass(slots=True)
class _Tokens:
    words: list[str]
    starts: np.ndarray
    ends: np.ndarray
    shingles: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))


_word_hash_cache: dict[str, int] = {}


def _word_hashes(ws: Sequence[str]) -> np.ndarray:
    # Python's hash() is salted per process; fingerprints are stored, so they must not be.
    cache = _word_hash_cache
    missing = [w for w in set(ws) if w not in cache]
    if len(cache) + len(missing) > 2_000_000:  # bounded: real-world vocabularies are long-tailed
        cache.clear()
        missing = list(set(ws))
    for w in missing:
        cache[w] = int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
    if len(ws) == 1:
        return np.array([cache[ws[0]]], dtype=np.uint64)
    # itemgetter does the per-word lookups in C
    return np.array(operator.itemgetter(*ws)(cache), dtype=np.uint64)


def words(text: str) -> list[str]:
    """The normalized words of `text` (casefolded `\\w+` runs)."""
    return [w.casefold() for w in _WORD.findall(text)]


def text_shingles(text: str) -> np.ndarray:
    """The shingle hashes of `text`: shared by fingerprints and MinHash signatures."""
    return shingle_hashes(words(text))


def tokenize(text: str) -> _Tokens:
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    ws = [text[s:e].casefold() for s, e in spans]
    arr = np.array(spans, dtype=np.int64).reshape(-1, 2)
    tok = _Tokens(ws, arr[:, 0], arr[:, 1])
    tok.shingles = shingle_hashes(ws)
    return tok


def shingle_hashes(ws: Sequence[str], k: int = SHINGLE) -> np.ndarray:
    """A stable uint64 hash of every run of `k` words (position i covers words i..i+k-1)."""
    n = len(ws) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    wh = _word_hashes(ws)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):  # polynomial rolling combination, wrapping mod 2**64
            h = h * _PRIME + wh[j : j + n]
    return h


def winnow(hashes: np.ndarray, w: int = WINDOW) -> np.ndarray:
    """Positions of the winnowed fingerprints (minimum of each window of `w` hashes)."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(hashes) <= w:
        return np.array([int(np.argmin(hashes))], dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(hashes, w)
    picks = np.arange(len(windows)) + windows.argmin(axis=1)
    return np.unique(picks)


def fingerprints(text: str, shingles: np.ndarray | None = None) -> Fingerprints:
    """The winnowed fingerprints of `text` (or of its `text_shingles`), for the index or a table."""
    sh = text_shingles(text) if shingles is None else shingles
    pos = winnow(sh)
    return Fingerprints(sh[pos].view(np.int64), pos.astype(np.int32))


class FingerprintIndex:
    """An in-memory inverted index of fingerprints -> article, for batch runs and benchmarks.

    Postings are kept as sorted numpy segments merged log-structured (a new segment is
    merged into the previous one while it is at least half its size), so adding n
    articles costs O(n log n) in total and the memory is two arrays, not a dict of
    Python ints (which would need ~100 bytes per posting).
    """

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._segments: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, doc numbers)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def postings(self) -> int:
        return sum(len(h) for h, _ in self._segments)

    def add(self, items: Iterable[tuple[str, Fingerprints]]) -> None:
        hs, ds = [], []
        for article_id, fp in items:
            doc = len(self._ids)
            self._ids.append(article_id)
            u = np.unique(fp.hashes)
            hs.append(u)
            ds.append(np.full(len(u), doc, dtype=np.int32))
        if not hs:
            return
        h = np.concatenate(hs)
        d = np.concatenate(ds)
        order = np.argsort(h, kind="stable")
        self._segments.append((h[order], d[order]))
        while len(self._segments) > 1 and len(self._segments[-1][0]) * 2 >= len(self._segments[-2][0]):
            (h2, d2), (h1, d1) = self._segments.pop(), self._segments.pop()
            h = np.concatenate([h1, h2])
            d = np.concatenate([d1, d2])
            order = np.argsort(h, kind="stable")
            self._segments.append((h[order], d[order]))

    def candidates(
        self, items: Iterable[tuple[str, Fingerprints]], min_hits: int = MIN_HITS
    ) -> list[tuple[str, str, int]]:
        """(article_id, indexed article_id, shared fingerprints) for pairs with >= min_hits.

        Articles already in the index are skipped as partners of themselves; call this
        before `add` for a batch and once more within the batch (see `batch_candidates`).
        """
        qs, qd, names = [], [], []
        for n, (article_id, fp) in enumerate(items):
            u = np.unique(fp.hashes)
            qs.append(u)
            qd.append(np.full(len(u), n, dtype=np.int64))
            names.append(article_id)
        if not qs or not self._segments:
            return []
        q = np.concatenate(qs)
        qdoc = np.concatenate(qd)
        keys = []
        for h, d in self._segments:
            lo = np.searchsorted(h, q, "left")
            hi = np.searchsorted(h, q, "right")
            cnt = hi - lo
            keep = (cnt > 0) & (cnt <= MAX_POSTINGS)
            lo, cnt, qq = lo[keep], cnt[keep], qdoc[keep]
            if len(lo) == 0:
                continue
            # expand each [lo, hi) range into the postings it covers, without a Python loop
            total = int(cnt.sum())
            starts = np.repeat(lo - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
            idx = starts + np.arange(total)
            keys.append(np.repeat(qq, cnt) * (1 << 32) + d[idx].astype(np.int64))
        if not keys:
            return []
        pairs, counts = np.unique(np.concatenate(keys), return_counts=True)
        out = []
        for key, c in zip(pairs.tolist(), counts.tolist(), strict=True):
            if c >= min_hits:
                other = self._ids[key & 0xFFFFFFFF]
                mine = names[key >> 32]
                if other != mine:
                    out.append((mine, other, c))
        return out


def batch_candidates(
    index: FingerprintIndex, batch: Sequence[tuple[str, Fingerprints]], min_hits: int = MIN_HITS
) -> list[tuple[str, str]]:
    """Candidate pairs for a new batch: against the index, then within the batch; adds the batch."""
    pairs = [(a, b) for a, b, _ in index.candidates(batch, min_hits)]
    inner = FingerprintIndex()
    inner.add(batch)
    seen = set()
    for a, b, _ in inner.candidates(batch, min_hits):
        key = (a, b) if a < b else (b, a)
        if key not in seen:
            seen.add(key)
            pairs.append(key)
    index.add(batch)
    return pairs


_QUOTED = re.compile(r"“[^”\n]*”|\"[^\"\n]*\"|«[^»\n]*»|„[^“”\n]*[“”]")


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks; a quote never runs past a line end, so a stray mark cannot run on."""
    return [m.span() for m in _QUOTED.finditer(text)]


def _quoted_fraction(spans: list[tuple[int, int]], start: int, end: int) -> float:
    inside = sum(max(0, min(end, b) - max(start, a)) for a, b in spans)
    return inside / max(1, end - start)


def _seeds(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(i, j) pairs where shingle a[i] == b[j], sorted by i then j; very repeated shingles dropped."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(b, kind="stable")
    bs = b[order]
    lo = np.searchsorted(bs, a, "left")
    hi = np.searchsorted(bs, a, "right")
    cnt = hi - lo
    keep = (cnt > 0) & (cnt <= 5)
    ii = np.nonzero(keep)[0]
    if len(ii) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    cnt = cnt[ii]
    total = int(cnt.sum())
    offs = np.repeat(lo[ii] - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt) + np.arange(total)
    return np.stack([np.repeat(ii, cnt), order[offs]], axis=1)


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the punctuation glued to a passage's ends (a closing '.”', an opening '“')."""
    n = len(text)
    while end < n and not text[end].isspace() and not text[end].isalnum():
        end += 1
    while start > 0 and not text[start - 1].isspace() and not text[start - 1].isalnum():
        start -= 1
    return start, end


def align(copy_text: str, src_text: str, min_words: int = MIN_PASSAGE_WORDS) -> list[Passage]:
    """Passages of `copy_text` that also stand in `src_text`, tolerating small edits."""
    return _align(tokenize(copy_text), tokenize(src_text), copy_text, src_text, min_words)


def _align(ct: _Tokens, st: _Tokens, copy_text: str, src_text: str, min_words: int) -> list[Passage]:
    seeds = _seeds(ct.shingles, st.shingles)
    if len(seeds) == 0:
        return []
    # chains: [i_first, j_first, i_last, j_last, n_seeds]
    chains: list[list[int]] = []
    active: list[list[int]] = []
    for i, j in seeds.tolist():
        best, best_cost = None, None
        still = []
        for ch in active:
            di, dj = i - ch[2], j - ch[3]
            if di > MAX_GAP:
                continue  # too far behind: the chain is closed
            still.append(ch)
            if di >= 1 and 1 <= dj <= MAX_GAP and abs(di - dj) <= MAX_SHIFT:
                cost = abs(di - dj) * 4 + di
                if best_cost is None or cost < best_cost:
                    best, best_cost = ch, cost
        active = still
        if best is not None:
            best[2], best[3], best[4] = i, j, best[4] + 1
        else:
            ch = [i, j, i, j, 1]
            chains.append(ch)
            active.append(ch)
    k = SHINGLE
    nc, ns = len(ct.words), len(st.words)
    spans = []
    for i0, j0, i1, j1, _ in chains:
        e_i, e_j = i1 + k - 1, j1 + k - 1
        # grow over exact word matches the shingles could not reach (an edit near an edge)
        while i0 > 0 and j0 > 0 and ct.words[i0 - 1] == st.words[j0 - 1]:
            i0, j0 = i0 - 1, j0 - 1
        while e_i + 1 < nc and e_j + 1 < ns and ct.words[e_i + 1] == st.words[e_j + 1]:
            e_i, e_j = e_i + 1, e_j + 1
        if e_i - i0 + 1 >= min_words:
            spans.append((i0, e_i, j0, e_j))
    # overlapping chains (a repeated sentence, a second alignment) keep the longest
    spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    taken: list[tuple[int, int]] = []
    passages = []
    quoted = None
    for i0, e_i, j0, e_j in spans:
        if any(i0 <= b and a <= e_i for a, b in taken):
            continue
        start, end = _widen(copy_text, int(ct.starts[i0]), int(ct.ends[e_i]))
        if quoted is None:
            quoted = _quoted_spans(copy_text)
        if _quoted_fraction(quoted, start, end) > MAX_QUOTED:
            continue
        taken.append((i0, e_i))
        passages.append(
            Passage(
                start, end, *_widen(src_text, int(st.starts[j0]), int(st.ends[e_j])), copy_text[start:end]
            )
        )
    passages.sort(key=lambda p: p.start)
    return passages


def _sort_time(doc: ReuseDoc) -> tuple[int, float, str]:
    # unknown times sort last: an undated article is more likely the later copy
    if doc.time is None:
        return (1, 0.0, doc.article_id)
    return (0, doc.time.timestamp(), doc.article_id)


def orient(a: ReuseDoc, b: ReuseDoc) -> tuple[ReuseDoc, ReuseDoc] | None:
    """(copy, source) for two articles sharing text, or None when neither copied the other.

    Agency evidence wins over dates: an article carrying an agency's origin credit is
    the source when the other has none. Two articles both crediting the same agency as
    origin both ran the wire: neither copied the other; nor did two articles of one outlet
    (their shared text is the site's boilerplate). Next, an article that credits
    the other's outlet (a via link, "X reported") is the copy. Last, the later one
    (published, else first seen) is the copy.
    """
    if a.origins & b.origins:
        return None
    # within one site shared text is its furniture ("About us", a series blurb), not a copy
    if a.outlet is not None and a.outlet == b.outlet:
        return None
    if a.origins and not b.origins:
        return b, a
    if b.origins and not a.origins:
        return a, b
    a_credits_b = b.outlet is not None and b.outlet in a.credited
    b_credits_a = a.outlet is not None and a.outlet in b.credited
    if a_credits_b != b_credits_a:
        return (a, b) if a_credits_b else (b, a)
    return (a, b) if _sort_time(a) > _sort_time(b) else (b, a)


def _source_priority(doc: ReuseDoc) -> tuple[int, tuple[int, float, str]]:
    return (0 if doc.origins else 1, _sort_time(doc))


def detect_reuse(
    pairs: Iterable[tuple[str, str]],
    docs: Mapping[str, ReuseDoc],
    min_words: int = MIN_PASSAGE_WORDS,
) -> list[ReuseEdge]:
    """Reuse edges for candidate pairs (from the index); `docs` holds both sides of each pair."""
    tokens: dict[str, _Tokens] = {}

    def tok(doc: ReuseDoc) -> _Tokens:
        t = tokens.get(doc.article_id)
        if t is None:
            t = tokens[doc.article_id] = tokenize(doc.text)
        return t

    found: dict[str, list[tuple[ReuseDoc, list[Passage]]]] = {}
    seen: set[tuple[str, str]] = set()
    for x, y in pairs:
        key = (x, y) if x < y else (y, x)
        if key in seen or x == y:
            continue
        seen.add(key)
        oriented = orient(docs[x], docs[y])
        if oriented is None:
            continue
        copy, src = oriented
        ps = _align(tok(copy), tok(src), copy.text, src.text, min_words)
        if ps:
            found.setdefault(copy.article_id, []).append((src, ps))

    edges = []
    for copy_id, sources in found.items():
        length = max(len(docs[copy_id].text), 1)
        claimed: list[tuple[int, int]] = []
        # each copied region goes to the best source only: the agency original, else the earliest
        for src, ps in sorted(sources, key=lambda s: _source_priority(s[0])):
            kept = []
            for p in ps:
                overlap = sum(max(0, min(p.end, b) - max(p.start, a)) for a, b in claimed)
                if overlap < 0.5 * (p.end - p.start):
                    kept.append(p)
            if not kept:
                continue
            claimed.extend((p.start, p.end) for p in kept)
            shared = sum(p.end - p.start for p in kept)
            edges.append(ReuseEdge(copy_id, src.article_id, shared, round(shared / length, 4), tuple(kept)))
    edges.sort(key=lambda e: (e.article_id, e.copied_from_id))
    return edges


def reuse_tags(
    edges: Iterable[ReuseEdge],
    origins_by_article: Mapping[str, Iterable[str]],
    outlet_by_article: Mapping[str, str | None],
    registry: Registry | None = None,
) -> list[tuple[str, SourceTag]]:
    """`reuse` credits of the copying articles, one per copied passage.

    A copier gets each agency that has `origin` evidence in the copied article; when the
    copied article is no agency copy, it gets the copied article's outlet instead, if
    the registry knows it (pasting Droid Report's own text is reusing Droid Report).
    The evidence is the passage, with its offsets in the copier.
    """
    registry = registry or load_registry()
    tags: dict[tuple[str, str, int, int], tuple[str, SourceTag]] = {}
    for edge in edges:
        credits = [(a, "agency") for a in sorted(set(origins_by_article.get(edge.copied_from_id, ())))]
        outlet = outlet_by_article.get(edge.copied_from_id)
        known = registry.by_name.get(outlet) if outlet else None
        # text of an agency-origin article is the agency's, not the republishing outlet's
        if not credits and known is not None and outlet != outlet_by_article.get(edge.article_id):
            credits.append((known.name, known.kind))
        for source, kind in credits:
            for p in edge.passages:
                key = (edge.article_id, source, p.start, p.end)
                tags.setdefault(
                    key, (edge.article_id, SourceTag(source, kind, "reuse", p.text, p.start, p.end))
                )
    return [tags[k] for k in sorted(tags)]
