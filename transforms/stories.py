"""Incremental story grouping: each new article joins a recent story or starts one.

Rewrites of one event share few word sequences but many names (WeChat, Tencent,
Roskomnadzor, LinkedIn, ...) and topic words. An article is therefore reduced to a
short keyword vector: content words weighted by TF-IDF, names (capitalized inside a
sentence) counting double, top `TOP_TERMS` kept. A story's vector is the sum of its
members' vectors; a new article joins the most similar story active within `WINDOW`
(cosine >= `THRESHOLD`), else it starts a story whose id derives from its own id, so
reruns give the same ids. A dated article that reaches two or more stories that way
bridges them: they merge, and the larger one (by articles) keeps its id.

Document frequencies come from the stored keyword vectors of earlier articles (plus
the batch itself), smoothed by `PRIOR_DOCS` pseudo-documents so that a young
warehouse with five articles of one story does not call that story's names common.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from transforms.registry import DATA_DIR, read_data_file

WINDOW = timedelta(days=7)
TOP_TERMS = 40
# Measured: each seed scores 0.47-0.72 against the other four; the best AEB article scores
# < 0.12 against any seed. AEB texts that do merge at 0.25 are mostly real shared events
# (one plague outbreak in four outlets, the Prince Andrew interview), at 0.15 topics merge.
THRESHOLD = 0.25
PRIOR_DOCS = 100
NAME_BOOST = 2.0
MAX_TERM_STORIES = 500

_TERM = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]{2}")
_SENTENCE_END = re.compile(r"[.!?:\"”»)\]]\s*$|^\s*$")

STOPWORDS_FILE = DATA_DIR / "stopwords.yaml"


def _clean(words: Iterable[str]) -> frozenset[str]:
    """Only what term_counts can return: jusText's lists hold tokens with their punctuation too."""
    return frozenset(w for w in (x.casefold() for x in words) if len(w) >= 3 and _TERM.fullmatch(w))


_STOPWORD_DATA: dict = read_data_file(STOPWORDS_FILE)
# Our own lists; English is also the list of an article whose language is not known.
_OWN_STOPWORDS = {lang: _clean(words) for lang, words in _STOPWORD_DATA.items() if lang != "justext"}
STOPWORDS = _OWN_STOPWORDS["en"]


@functools.cache
def stopwords(language: str | None) -> frozenset[str]:
    """The words of `language` (ISO 639-1) frequent in every story: our own list for the language,
    else jusText's stop list of it (read when first needed), else the English list."""
    if language in _OWN_STOPWORDS:
        return _OWN_STOPWORDS[language]
    name = (_STOPWORD_DATA.get("justext") or {}).get(language)
    if not name:
        return STOPWORDS
    import justext  # ~50 ms, and only for an article in another language (trafilatura loads it anyway)

    return _clean(justext.get_stoplist(name))


@dataclass(frozen=True, slots=True)
class StoryDoc:
    """What story grouping needs of one article."""

    article_id: str
    text: str
    title: str | None = None
    time: datetime | None = None  # published, else first seen
    dated: bool = True  # False: `time` is only when it was first seen
    language: str | None = None  # ISO 639-1: which stop list its words are read with


@dataclass(frozen=True, slots=True)
class StoryMember:
    """An article already in a story, as stored: its keyword vector and time."""

    article_id: str
    story_id: str
    time: datetime | None
    vector: Mapping[str, float]
    dated: bool = True


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    article_id: str
    story_id: str


@dataclass(frozen=True, slots=True)
class StoryMerge:
    """`article_id` bridged two stories: `from_story` joined `into_story` (the larger one)."""

    article_id: str
    from_story: str
    into_story: str


@dataclass(frozen=True, slots=True)
class StoryChange:
    """One line of story_history: `kind` 'merge' (from_story joined into_story) or 'split' (article_id
    left from_story, which keeps other articles, for into_story)."""

    kind: str
    from_story: str
    into_story: str
    article_id: str


def story_changes(
    old_story: Mapping[str, str],
    new_story: Mapping[str, str],
    merges: Sequence[StoryMerge],
    remaining: Mapping[str, int],
) -> list[StoryChange]:
    """What a batch did to stories, for their history: its merges, then its splits.

    old_story and new_story: each re-processed article's story before and after the batch; remaining:
    the articles each old story holds after it. A re-processed article that moves to another story
    splits its old one only when that story keeps other articles and did not merge into the new one.
    """
    merged = {m.from_story: m.into_story for m in merges}
    splits = [
        StoryChange("split", old, new_story[a], a)
        for a, old in sorted(old_story.items())
        if a in new_story and new_story[a] != old and merged.get(old) != new_story[a] and remaining.get(old)
    ]
    return [StoryChange("merge", m.from_story, m.into_story, m.article_id) for m in merges] + splits


def story_id_for(article_id: str) -> str:
    """The id of a story started by `article_id`: stable across reruns."""
    return f"story-{article_id}"


def term_counts(
    text: str, title: str | None = None, language: str | None = None
) -> dict[str, tuple[int, bool]]:
    """term -> (count, looks like a name) for the content words of the title and text, set apart from
    the stop words of the article's `language` (English when not known)."""
    stop = stopwords(language)
    counts: Counter[str] = Counter()
    names: set[str] = set()
    for part in (title or "", text):
        for m in _TERM.finditer(part):
            word = m.group()
            term = word.casefold().replace("’", "'")
            if term.endswith("'s"):
                term = term[:-2]
            if len(term) < 3 or term in stop:
                continue
            counts[term] += 1
            # a capital inside a sentence marks a name; at a sentence start it says nothing
            if word[0].isupper() and not _SENTENCE_END.search(part[max(0, m.start() - 3) : m.start()]):
                names.add(term)
    return {t: (c, t in names) for t, c in counts.items()}


def idf(df: int, n_docs: int) -> float:
    return math.log((n_docs + PRIOR_DOCS) / (df + 1))


def vectorize(
    counts: Mapping[str, tuple[int, bool]], df: Mapping[str, int], n_docs: int, top: int = TOP_TERMS
) -> dict[str, float]:
    """The unit-length keyword vector of one article (top terms by TF-IDF, names boosted)."""
    weights = {
        t: (1.0 + math.log(c)) * idf(df.get(t, 0), n_docs) * (NAME_BOOST if name else 1.0)
        for t, (c, name) in counts.items()
    }
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    norm = math.sqrt(sum(w * w for _, w in best)) or 1.0
    return {t: round(w / norm, 6) for t, w in best}


def within_window(
    t1: datetime | None, dated1: bool, t2: datetime | None, dated2: bool, window: timedelta = WINDOW
) -> bool:
    """Whether two articles are close enough in time to be one story.

    An undated article was published when first seen or at any time before, so it
    may join an older story; it only rules out stories that start well after it was seen.
    """
    if t1 is None or t2 is None:
        return True
    if dated1 == dated2:
        return abs(t1 - t2) <= window
    undated, dated = (t1, t2) if dated2 else (t2, t1)
    return dated <= undated + window


def _time_key(d: StoryDoc) -> tuple[int, float, str]:
    return (1, 0.0, d.article_id) if d.time is None else (0, d.time.timestamp(), d.article_id)


def assign_stories(
    new: Sequence[StoryDoc],
    members: Sequence[StoryMember],
    df: Mapping[str, int],
    n_docs: int,
    threshold: float = THRESHOLD,
    window: timedelta = WINDOW,
    counts: Mapping[str, Mapping[str, tuple[int, bool]]] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> tuple[list[StoryAssignment], dict[str, dict[str, float]], list[StoryMerge]]:
    """Assign each new article (in time order) to a story; also return their keyword vectors
    and the merges they caused.

    `members` are the stored articles that may matter (those within the window that
    share a term with the batch, as the warehouse query selects them); `df`/`n_docs`
    count earlier articles only: the batch's own terms are added here. `counts` are the
    articles' term_counts when the caller has them already. `sizes` are the stored
    stories' article counts (which side of a merge is larger); by default the members.
    Assignments name each article's story after every merge of the batch.
    """
    if counts is None:
        counts = {d.article_id: term_counts(d.text, d.title, d.language) for d in new}
    batch_df: Counter[str] = Counter(df)
    for c in counts.values():
        batch_df.update(c.keys())
    total = n_docs + len(new)
    size: Counter[str] = Counter(sizes) if sizes is not None else Counter(m.story_id for m in members)

    # story centroids (sum of member vectors) with an inverted index term -> {story: weight},
    # so that scoring an article costs its terms' postings, not the window's size
    centroid: dict[str, dict[str, float]] = {}
    norm2: dict[str, float] = {}
    postings: dict[str, dict[str, float]] = {}
    times: dict[str, list[tuple[datetime | None, bool]]] = {}

    def add(story_id: str, vec: Mapping[str, float], when: datetime | None, dated: bool) -> None:
        c = centroid.setdefault(story_id, {})
        n2 = norm2.get(story_id, 0.0)
        for t, w in vec.items():
            old = c.get(t, 0.0)
            c[t] = old + w
            n2 += (old + w) ** 2 - old**2
            postings.setdefault(t, {})[story_id] = old + w
        norm2[story_id] = n2
        times.setdefault(story_id, []).append((when, dated))

    def absorb(into: str, gone: str) -> None:
        for t in centroid.get(gone, {}):
            postings[t].pop(gone, None)
        for when, dated in times.pop(gone, []):
            times.setdefault(into, []).append((when, dated))
        add(into, centroid.pop(gone, {}), None, True)
        times[into].pop()  # the merged vector is no article of its own
        norm2.pop(gone, None)
        size[into] += size.pop(gone, 0)

    for m in members:
        add(m.story_id, m.vector, m.time, m.dated)

    assigned: list[tuple[str, str]] = []
    merges: list[StoryMerge] = []
    alias: dict[str, str] = {}
    vectors = {}
    for doc in sorted(new, key=_time_key):
        vec = vectorize(counts[doc.article_id], batch_df, total)
        vectors[doc.article_id] = vec
        scores: dict[str, float] = {}
        for t, w in vec.items():
            post = postings.get(t)
            # a term in very many stories is weak evidence, and scanning it would make the
            # cost grow with the window: skip it
            if post is None or len(post) > MAX_TERM_STORIES:
                continue
            for sid, c in post.items():
                scores[sid] = scores.get(sid, 0.0) + w * c
        ranked = sorted(
            ((dot / math.sqrt(norm2[sid]), sid) for sid, dot in scores.items() if norm2[sid] > 0),
            key=lambda x: (-x[0], x[1]),
        )
        reached = [
            sid
            for sim, sid in ranked
            if sim >= threshold
            and any(within_window(doc.time, doc.dated, t, d, window) for t, d in times[sid])
        ]
        if not reached:
            sid = story_id_for(doc.article_id)
        elif not doc.dated:
            # an undated article may have appeared any time before it was seen: it joins the
            # best story, but cannot show that two stories weeks apart are one
            sid = reached[0]
        else:
            # the larger story keeps its id; on a tie the older id (stable across reruns)
            sid = min(reached, key=lambda s: (-size[s], s))
            for other in sorted(set(reached) - {sid}):
                absorb(sid, other)
                merges.append(StoryMerge(doc.article_id, other, sid))
                alias[other] = sid
        assigned.append((doc.article_id, sid))
        size[sid] += 1
        add(sid, vec, doc.time, doc.dated)

    def final(sid: str) -> str:
        while sid in alias:
            sid = alias[sid]
        return sid

    assignments = [StoryAssignment(a, final(s)) for a, s in assigned]
    return assignments, vectors, merges
