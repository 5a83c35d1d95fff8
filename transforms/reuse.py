"""Passage-level text reuse: which article pasted which passages of which earlier one.

The pipeline is the classic fingerprint one, kept pure so that its state can live in
the warehouse:

1. `tokenize`: words with their character offsets. Only `\\w+` runs are kept and they
   are casefolded, so quote style, dashes, punctuation and whitespace cannot break a
   match ("We’re" and "We're" give the same words). Scripts written without spaces
   (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar) count one token per character:
   a sentence there is one `\\w+` run, which could never match in part.
2. `shingle_hashes`: a stable 64-bit hash of every run of `SHINGLE` words.
3. `winnow`: the minimum of every window of `WINDOW` shingles. Any shared run of at
   least SHINGLE + WINDOW - 1 words is guaranteed to share a fingerprint, while only
   ~2/(WINDOW+1) of the shingles are stored.
4. Candidates are articles sharing at least `MIN_HITS` fingerprints (an inverted index:
   `FingerprintIndex` in memory, or a SQL join on `reuse_fingerprints`).
5. `align`: for a candidate pair, every shared shingle is a seed; seeds are chained
   along near-diagonals so that a changed, added or dropped word only leaves a short
   gap, and chains of at least `MIN_PASSAGE_WORDS` words become passages; chains of
   `MIN_SHORT_WORDS` to `MIN_PASSAGE_WORDS` - 1 words count too when they are neither
   quoted speech nor a stock phrase (a run that recurs across many outlets).
6. `detect_reuse`: orients each pair by the most certain evidence there is (`orient`:
   publication dates a day or more apart, an explicit credit, agency origin, first-seen
   time; else no direction) and gives each copied region to one source only (the
   agency original, else the earliest), so a copy of a copy does not also show up as a
   second edge.
7. `reuse_tags` and `link_tags`: the credits a copier earns (`reuse`, and `via` for a link
   to the stored article it copied).

One module over 400 lines: the steps share their constants (a passage minimum is only
safe with the window that guarantees its fingerprints) and are read in this order.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import numpy as np

from transforms.records import SourceTag
from transforms.registry import Registry, load_registry

SHINGLE = 5
# Every window of WINDOW shingles keeps its minimum: a shared run of SHINGLE + WINDOW - 1 = 8
# words is sure to share a fingerprint, and one of 12 words (the shortest passage that
# counts) shares two, as candidate lookup needs (its first and last 4 shingles are
# disjoint windows). Window 6 kept fewer fingerprints but missed 12-word ledes.
WINDOW = 4
# Measured on the seeds: the longest shared run between the independent reports
# (002/003) is under 5 words, between the rewrite and its source (001/000) 6 words, a
# shared comment-form footer 14, while the copied passages are 152 and 205 words.
# Two reports quoting one official verbatim share 10-30 words, mostly inside quotation
# marks (see MAX_QUOTED). News sentences are ~20-25 words: 25 is about one pasted sentence.
MIN_PASSAGE_WORDS = 25
# A pasted lede is one sentence of 12-24 words. Runs that short also arise from shared
# quotations and stock phrases, so they count only when they are neither (see _short_ok).
MIN_SHORT_WORDS = 12
# A short run inside quotation marks for more than this share is quoted speech: two
# outlets quoting one speaker copied the speaker, not each other.
MAX_SHORT_QUOTED = 0.2
# A short run whose every fingerprint is held by this many outlets is a stock phrase
# ("sign up for our newsletter to get ..."): shared wording, no evidence of copying.
STOCK_OUTLETS = 4
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

# Scripts written without spaces between words: one token per character.
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(f"[^\\W{_UNSPACED}]+|[{_UNSPACED}]")
_PRIME = np.uint64(0x100000001B3)  # FNV prime: odd, so the rolling combination mixes well

# How each direction was decided, most certain first (article_reuse.direction_basis).
BASES = ("published", "credit", "agency", "first_seen", "undecided")
DAY = timedelta(days=1)
# A date without a time is a calendar day in the outlet's zone, which lies between UTC-12 and
# UTC+14: an instant can fall on any date of that span.
_ZONE_BEHIND, _ZONE_AHEAD = timedelta(hours=12), timedelta(hours=14)
_URL = re.compile(r"https?://[^\s)\]>\"'“”<]+")


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
    """`article_id` contains passages of `copied_from_id`, as `direction_basis` decided.

    With basis `undecided` nothing says which came first: the two share the passages and
    `article_id` is merely the one with the greater id.
    """

    article_id: str
    copied_from_id: str
    shared_chars: int
    share: float  # shared_chars / len(copying text)
    passages: tuple[Passage, ...]
    direction_basis: str | None = "undecided"  # one of BASES; None: stored before it was recorded


@dataclass(frozen=True, slots=True)
class ReuseDoc:
    """What reuse detection needs of one article.

    `published` is a datetime when the instant is known, a date when only the day is.
    """

    article_id: str
    text: str
    published: datetime | date | None = None
    origins: frozenset[str] = frozenset()  # agencies with `origin` evidence in the article
    credited: frozenset[str] = frozenset()  # sources the article credits (cited/via/origin)
    outlet: str | None = None
    first_seen: datetime | None = None  # when the warehouse first loaded it
    url: str | None = None
    links: frozenset[str] = frozenset()  # url_key of every address written in its text


def url_key(url: str) -> str:
    """An address without scheme, 'www.', query, fragment or trailing slash, for matching links."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


def linked_urls(text: str) -> frozenset[str]:
    """The url_key of every http(s) address written in `text` (a via link, a source line)."""
    if "://" not in text:
        return frozenset()
    return frozenset(url_key(m.group().rstrip(".,;:")) for m in _URL.finditer(text))


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

    def document_frequency(self, hashes: np.ndarray) -> dict[int, int]:
        """hash -> number of indexed articles holding it, for the fingerprints `hashes`."""
        q = np.unique(hashes)
        total = np.zeros(len(q), dtype=np.int64)
        for h, _ in self._segments:
            total += np.searchsorted(h, q, "right") - np.searchsorted(h, q, "left")
        return dict(zip(q.tolist(), total.tolist(), strict=True))

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


# Quotation marks of many languages; a closing ’ followed by a letter is an apostrophe (We’re).
_QUOTED = re.compile(r"“[^”\n]*”|\"[^\"\n]*\"|«[^»\n]*»|„[^“”\n]*[“”]|‘[^\n]*?’(?!\w)|「[^」\n]*」")


def quoted_spans(text: str) -> list[tuple[int, int]]:
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


def align(
    copy_text: str,
    src_text: str,
    min_words: int = MIN_SHORT_WORDS,
    stock: Callable[[np.ndarray], bool] | None = None,
) -> list[Passage]:
    """Passages of `copy_text` that also stand in `src_text`, tolerating small edits.

    `stock(shingles)` says whether a short run (under MIN_PASSAGE_WORDS) is a stock phrase;
    without it only quotation marks can rule a short run out.
    """
    return _align(tokenize(copy_text), tokenize(src_text), copy_text, src_text, min_words, stock)


def stock_test(recurrence: Mapping[int, int], outlets: int = STOCK_OUTLETS) -> Callable[[np.ndarray], bool]:
    """A `stock` test from fingerprint -> number of outlets holding it (unknown ones count 1)."""

    def stock(shingles: np.ndarray) -> bool:
        fps = shingles[winnow(shingles)].view(np.int64).tolist()
        return bool(fps) and min(recurrence.get(h, 1) for h in fps) >= outlets

    return stock


def _align(
    ct: _Tokens,
    st: _Tokens,
    copy_text: str,
    src_text: str,
    min_words: int,
    stock: Callable[[np.ndarray], bool] | None = None,
) -> list[Passage]:
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
    if min_words >= MIN_SHORT_WORDS:  # below it, align lists every shared run (for inspection)
        cut = (_whole_sentences(ct, st, copy_text, src_text, *sp) for sp in spans)
        spans = [sp for sp in cut if sp is not None and sp[1] - sp[0] + 1 >= min_words]
    taken: list[tuple[int, int]] = []
    passages = []
    quoted: tuple[list[tuple[int, int]], list[tuple[int, int]]] | None = None
    for i0, e_i, j0, e_j in spans:
        if any(i0 <= b and a <= e_i for a, b in taken):
            continue
        start, end = _widen(copy_text, int(ct.starts[i0]), int(ct.ends[e_i]))
        src_start, src_end = _widen(src_text, int(st.starts[j0]), int(st.ends[e_j]))
        if quoted is None:
            quoted = quoted_spans(copy_text), quoted_spans(src_text)
        # quotation marks on either side: one outlet may have dropped them
        inside = max(_quoted_fraction(quoted[0], start, end), _quoted_fraction(quoted[1], src_start, src_end))
        short = e_i - i0 + 1 < MIN_PASSAGE_WORDS
        if inside > (MAX_SHORT_QUOTED if short else MAX_QUOTED):
            continue
        if short and stock is not None and stock(ct.shingles[i0 : e_i - k + 2]):
            continue
        taken.append((i0, e_i))
        passages.append(Passage(start, end, src_start, src_end, copy_text[start:end]))
    passages.sort(key=lambda p: p.start)
    return passages


# Between two words, the end of a sentence: its mark before a space (after any closing quote),
# a full-width mark of the scripts without spaces, or a line break.
_SENTENCE_GAP = re.compile(r"[.!?…][\"”’»)\]]*(?:\s|$)|[。！？]|\n")


def _boundary(tok: _Tokens, text: str, i: int) -> bool:
    """Whether a sentence ends between word i and word i + 1 (or at either end of the text)."""
    if i < 0 or i + 1 >= len(tok.words):
        return True
    return _SENTENCE_GAP.search(text, int(tok.ends[i]), int(tok.starts[i + 1])) is not None


def _whole_sentences(
    ct: _Tokens, st: _Tokens, copy_text: str, src_text: str, i0: int, e_i: int, j0: int, e_j: int
) -> tuple[int, int, int, int] | None:
    """A short run cut to the whole sentences it holds in both texts; None when under MIN_SHORT_WORDS.

    A pasted lede is a sentence or more; two reports that share only a title or a name
    ("the U.S. Attorney's Office for the Western District of New York") share part of one.
    Long runs are kept as they are.
    """
    if e_i - i0 + 1 >= MIN_PASSAGE_WORDS:
        return i0, e_i, j0, e_j
    lead, tail = j0 - i0, e_j - e_i
    first = next(
        (
            i
            for i in range(i0, e_i + 1)
            if _boundary(ct, copy_text, i - 1) and _boundary(st, src_text, i + lead - 1)
        ),
        None,
    )
    last = next(
        (
            i
            for i in range(e_i, i0 - 1, -1)
            if _boundary(ct, copy_text, i) and _boundary(st, src_text, i + tail)
        ),
        None,
    )
    if first is None or last is None or last - first + 1 < MIN_SHORT_WORDS:
        return None
    return first, last, first + lead, last + tail


def _instant(doc: ReuseDoc) -> datetime | None:
    p = doc.published
    if p is None:
        return doc.first_seen
    if isinstance(p, datetime):
        return p if p.tzinfo else p.replace(tzinfo=UTC)
    return datetime(p.year, p.month, p.day, tzinfo=UTC)


def _sort_time(doc: ReuseDoc) -> tuple[int, float, str]:
    # unknown times sort last: an undated article is more likely the later copy
    t = _instant(doc)
    return (1, 0.0, doc.article_id) if t is None else (0, t.timestamp(), doc.article_id)


def _days(p: datetime | date) -> tuple[date, date]:
    """The calendar dates a publication time may stand for, earliest and latest."""
    if isinstance(p, datetime):
        t = p if p.tzinfo else p.replace(tzinfo=UTC)
        return (t - _ZONE_BEHIND).astimezone(UTC).date(), (t + _ZONE_AHEAD).astimezone(UTC).date()
    return p, p


def published_first(a: ReuseDoc, b: ReuseDoc) -> ReuseDoc | None:
    """The article published at least a day before the other, at the precision both dates have."""
    pa, pb = a.published, b.published
    if pa is None or pb is None:
        return None
    if isinstance(pa, datetime) and isinstance(pb, datetime):
        ta, tb = _instant(a), _instant(b)
        assert ta is not None and tb is not None
        return a if tb - ta >= DAY else b if ta - tb >= DAY else None
    (a_lo, a_hi), (b_lo, b_hi) = _days(pa), _days(pb)
    return a if b_lo - a_hi >= DAY else b if a_lo - b_hi >= DAY else None


def _credits(a: ReuseDoc, b: ReuseDoc) -> bool:
    """Whether `a` credits `b`: names b's outlet as a source, or links b's address."""
    return (b.outlet is not None and b.outlet in a.credited) or (
        b.url is not None and url_key(b.url) in a.links
    )


def orient(a: ReuseDoc, b: ReuseDoc) -> tuple[ReuseDoc, ReuseDoc, str] | None:
    """(copy, source, direction_basis) for two articles sharing text; None when neither copied.

    Two articles both crediting the same agency as origin both ran the wire, and two of
    one outlet share the site's boilerplate: neither copied the other. Otherwise the most
    certain evidence decides, each rule only when the ones above it cannot:
    1. `published`: dates a day or more apart (an article cannot copy a later one);
    2. `credit`: one credits the other's outlet or links its address, not the reverse;
    3. `agency`: one carries an agency's origin credit and the other none;
    4. `first_seen`: one was loaded in an earlier run than the other.
    Else `undecided`: the shared text is stored without a direction.
    """
    if a.origins & b.origins:
        return None
    # within one site shared text is its furniture ("About us", a series blurb), not a copy
    if a.outlet is not None and a.outlet == b.outlet:
        return None
    first = published_first(a, b)
    if first is not None:
        return (b, a, "published") if first is a else (a, b, "published")
    a_credits_b, b_credits_a = _credits(a, b), _credits(b, a)
    if a_credits_b != b_credits_a:
        return (a, b, "credit") if a_credits_b else (b, a, "credit")
    if bool(a.origins) != bool(b.origins):
        return (b, a, "agency") if a.origins else (a, b, "agency")
    if a.first_seen is not None and b.first_seen is not None and a.first_seen != b.first_seen:
        return (a, b, "first_seen") if a.first_seen > b.first_seen else (b, a, "first_seen")
    return (a, b, "undecided") if a.article_id > b.article_id else (b, a, "undecided")


def _source_priority(doc: ReuseDoc) -> tuple[int, tuple[int, float, str]]:
    return (0 if doc.origins else 1, _sort_time(doc))


def detect_reuse(
    pairs: Iterable[tuple[str, str]],
    docs: Mapping[str, ReuseDoc],
    min_words: int = MIN_SHORT_WORDS,
    recurrence: Mapping[int, int] | None = None,
) -> list[ReuseEdge]:
    """Reuse edges for candidate pairs (from the index); `docs` holds both sides of each pair.

    `recurrence` maps fingerprints to the number of outlets holding them (stock phrases).
    """
    stock = stock_test(recurrence) if recurrence is not None else None
    tokens: dict[str, _Tokens] = {}

    def tok(doc: ReuseDoc) -> _Tokens:
        t = tokens.get(doc.article_id)
        if t is None:
            t = tokens[doc.article_id] = tokenize(doc.text)
        return t

    found: dict[str, list[tuple[ReuseDoc, list[Passage], str]]] = {}
    seen: set[tuple[str, str]] = set()
    for x, y in pairs:
        key = (x, y) if x < y else (y, x)
        if key in seen or x == y:
            continue
        seen.add(key)
        oriented = orient(docs[x], docs[y])
        if oriented is None:
            continue
        copy, src, basis = oriented
        ps = _align(tok(copy), tok(src), copy.text, src.text, min_words, stock)
        if ps:
            found.setdefault(copy.article_id, []).append((src, ps, basis))

    edges = []
    for copy_id, sources in found.items():
        length = max(len(docs[copy_id].text), 1)
        claimed: list[tuple[int, int]] = []
        # each copied region goes to the best source only: the agency original, else the earliest;
        # text shared without a direction claims nothing, as it may be the other's copy
        for src, ps, basis in sorted(sources, key=lambda s: (s[2] == "undecided", _source_priority(s[0]))):
            kept = []
            for p in ps:
                overlap = sum(max(0, min(p.end, b) - max(p.start, a)) for a, b in claimed)
                if overlap < 0.5 * (p.end - p.start):
                    kept.append(p)
            if not kept:
                continue
            if basis != "undecided":
                claimed.extend((p.start, p.end) for p in kept)
            shared = sum(p.end - p.start for p in kept)
            edges.append(
                ReuseEdge(copy_id, src.article_id, shared, round(shared / length, 4), tuple(kept), basis)
            )
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
    copied article is no agency copy, it gets the copied article's outlet instead (its
    registry name and kind when the registry knows it, else the outlet as the article
    has it: a site name or domain). The evidence is the passage, with its offsets in the
    copier. Text shared without a direction credits nobody.
    """
    registry = registry or load_registry()
    tags: dict[tuple[str, str, int, int], tuple[str, SourceTag]] = {}
    for edge in edges:
        if edge.direction_basis == "undecided":
            continue
        credits = [(a, "agency") for a in sorted(set(origins_by_article.get(edge.copied_from_id, ())))]
        outlet = outlet_by_article.get(edge.copied_from_id)
        # text of an agency-origin article is the agency's, not the republishing outlet's
        if not credits and outlet and outlet != outlet_by_article.get(edge.article_id):
            known = registry.by_name.get(outlet)
            credits.append((known.name, known.kind) if known is not None else (outlet, "outlet"))
        for source, kind in credits:
            for p in edge.passages:
                key = (edge.article_id, source, p.start, p.end)
                tags.setdefault(
                    key, (edge.article_id, SourceTag(source, kind, "reuse", p.text, p.start, p.end))
                )
    return [tags[k] for k in sorted(tags)]


def link_tags(
    edges: Iterable[ReuseEdge], docs: Mapping[str, ReuseDoc], registry: Registry | None = None
) -> list[tuple[str, SourceTag]]:
    """`via` credits for copiers that link the address of the article they copied.

    "(Via: http://technology.inquirer.net/...)" names no outlet, and the host may be in no
    registry; but when the linked article is stored, its outlet is known. The evidence is
    the address as written, with its offsets in the copier.
    """
    registry = registry or load_registry()
    tags: dict[tuple[str, str, int], tuple[str, SourceTag]] = {}
    for edge in edges:
        copy, src = docs.get(edge.article_id), docs.get(edge.copied_from_id)
        if edge.direction_basis == "undecided" or copy is None or src is None:
            continue
        if not src.url or not src.outlet or src.outlet == copy.outlet or url_key(src.url) not in copy.links:
            continue
        known = registry.by_name.get(src.outlet)
        name, kind = (known.name, known.kind) if known is not None else (src.outlet, "outlet")
        for m in _URL.finditer(copy.text):
            address = m.group().rstrip(".,;:")
            if url_key(address) == url_key(src.url):
                start = m.start()
                tag = SourceTag(name, kind, "via", address, start, start + len(address))
                tags.setdefault((edge.article_id, name, start), (edge.article_id, tag))
    return [tags[k] for k in sorted(tags)]
