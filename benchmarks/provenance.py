"""Reuse and near-duplicate detection on a synthetic corpus with planted copies.

    .venv/bin/python benchmarks/provenance.py [--sizes 10000 100000] [--batch 1000] [--seed 7]

A seeded generator writes articles from a Zipf-distributed vocabulary of made-up words
and plants, at fixed rates, copies of earlier *original* articles:

- full:    the whole source under another site's header and footer (also a near-duplicate)
- partial: one to three paragraphs of the source inside an article of its own
- edited:  two or three paragraphs with quote marks, punctuation and one word per sentence changed
- rewrite: two or three paragraphs paraphrased (synonyms, swapped words, sentences reordered);
           NOT reuse: a correct detector finds no edge for these

Articles arrive in time order in batches, as scheduled runs would load them. Each batch is
fingerprinted, matched against the in-memory inverted index (state equal to the warehouse's
`reuse_fingerprints`), aligned, and then added; near-duplicates go through MinHash LSH
likewise. Each size runs in a fresh process, so its peak memory is its own.

`--prose` runs the second benchmark of this script (kept beside the synthetic one, so the
two share their runner; hence the length): real prose from the shared corpus (AEB and
Fundus article texts), with copies built at run time and loaded through
`update_provenance` on DuckDB. Each set is its own warehouse:

- dates:        three consecutive paragraphs (25+ words each, no dateline) of article A pasted
                into the middle of article B, dated a month after A (dates only, as a manifest gives)
- dates+agency: the same, the copy also carrying an agency's origin credit (the issue's case)
- credits:      no dates; the copy credits A by a via link or "<outlet> reported", and was
                loaded a run before A and carries agency copy (first-seen and agency point wrong)
- agency:       no dates; A carries an agency origin credit; the copy was loaded a run earlier
- first_seen:   nothing but A being loaded a run earlier
- undecided:    nothing at all: the edge must be found and stored without a direction
- ledes:        a 12-24-word sentence of A pasted into B as its own paragraph, dated a month later
- quotes:       a real quotation (12-40 words, in quotation marks) put into two other articles
                with their own attribution: 0 edges expected

Each set also loads unrelated articles. Edges between pages that share text anyway (found
when the untouched pages are loaded alone: syndication, a site's boilerplate) are counted
apart. Figures are printed per corpus part: AEB, Fundus publishers A-M, and Fundus N-Z (the
held-out half, never looked at while building the rules).

    .venv/bin/python benchmarks/provenance.py --prose [--per-set 40] [--seed 7]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import multiprocessing
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms import near_duplicates as nd
from transforms import reuse

RATES = {"full": 0.03, "partial": 0.05, "edited": 0.04, "rewrite": 0.05}
VOCAB = 30_000
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Corpus:
    rng: np.random.Generator
    vocab: np.ndarray
    cdf: np.ndarray
    synonym: np.ndarray
    paragraphs: dict[int, list[str]] = field(default_factory=dict)  # originals only, for copying
    originals: list[int] = field(default_factory=list)

    @classmethod
    def make(cls, seed: int) -> Corpus:
        rng = np.random.default_rng(seed)
        onsets = [*"bcdfghjklmnprstvwz", "ch", "sh", "th", "tr", "br", "pl"]
        vowels = [*"aeiou", "ai", "ou", "ea"]
        words: set[str] = set()
        while len(words) < VOCAB:
            n = int(rng.integers(1, 4))
            words.add(
                "".join(
                    onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))] for _ in range(n)
                )
            )
        vocab = np.array(sorted(words), dtype=object)
        rng.shuffle(vocab)
        weights = 1.0 / np.arange(1, VOCAB + 1) ** 1.05
        cdf = np.cumsum(weights) / weights.sum()
        return cls(rng, vocab, cdf, rng.permutation(VOCAB))

    def _sentence_ids(self) -> np.ndarray:
        return np.searchsorted(self.cdf, self.rng.random(int(self.rng.integers(10, 28))))

    def _render(self, ids: np.ndarray, quoted: bool = False, mark: str = ".") -> str:
        ws = self.vocab[ids].tolist()
        if len(ws) > 8 and self.rng.random() < 0.3:
            ws[int(self.rng.integers(3, len(ws) - 3))] += ","
        s = " ".join(ws)
        s = s[0].upper() + s[1:] + mark
        return f"“{s}”" if quoted else s

    def original(self) -> list[str]:
        paragraphs = []
        for _ in range(int(self.rng.integers(5, 10))):
            sents = [
                self._render(self._sentence_ids(), quoted=self.rng.random() < 0.1)
                for _ in range(int(self.rng.integers(2, 5)))
            ]
            paragraphs.append(" ".join(sents))
        return paragraphs

    def edit(self, paragraph: str) -> str:
        """Same text, other quote marks and punctuation, one word per sentence changed."""
        out = []
        for sent in paragraph.replace("“", '"').replace("”", '"').split(". "):
            ws = sent.split(" ")
            if len(ws) > 6 and self.rng.random() < 0.7:
                k = int(self.rng.integers(2, len(ws) - 2))
                ws[k] = self.vocab[int(self.rng.integers(VOCAB))]
            out.append(" ".join(w.rstrip(",") if self.rng.random() < 0.5 else w for w in ws))
        return " - ".join(out) if self.rng.random() < 0.3 else "; ".join(out)

    def rewrite(self, paragraph: str) -> str:
        """A paraphrase: synonyms, swapped neighbours, sentences in another order."""
        lookup = (
            {w: i for i, w in enumerate(self.vocab.tolist())}
            if not hasattr(self, "_lookup")
            else self._lookup
        )
        self._lookup = lookup
        sents = [s for s in paragraph.replace("“", "").replace("”", "").split(". ") if s]
        self.rng.shuffle(sents)
        out = []
        for sent in sents:
            ws = [w.strip(".,").lower() for w in sent.split()]
            for k in range(len(ws)):
                if self.rng.random() < 0.35 and ws[k] in lookup:
                    ws[k] = self.vocab[self.synonym[lookup[ws[k]]]]
            for k in range(0, len(ws) - 1, 2):
                if self.rng.random() < 0.4:
                    ws[k], ws[k + 1] = ws[k + 1], ws[k]
            out.append(" ".join(ws).capitalize() + ".")
        return " ".join(out)

    def article(self, n: int) -> tuple[str, str, int | None]:
        """(text, kind, source number) of article n."""
        roll = self.rng.random()
        kind = "original"
        if n >= 50 and self.originals:
            acc = 0.0
            for name, rate in RATES.items():
                acc += rate
                if roll < acc:
                    kind = name
                    break
        own = self.original()
        if kind == "original":
            self.paragraphs[n] = own
            self.originals.append(n)
            if len(self.originals) > 2000:  # only recent originals are copied: keep memory flat
                del self.paragraphs[self.originals[-2001]]
            return "\n\n".join(own), kind, None
        # sources are recent originals: copies follow the news by hours or days
        recent = self.originals[-2000:]
        src = recent[int(self.rng.integers(len(recent)))]
        sp = self.paragraphs[src]
        if kind == "full":
            text = (
                "Home | News | World\nShare this article\n\n"
                + "\n\n".join(sp)
                + "\n\nSubscribe to our newsletter."
            )
            return text, kind, src
        k = int(self.rng.integers(1, 4)) if kind == "partial" else int(self.rng.integers(2, 4))
        start = int(self.rng.integers(0, max(1, len(sp) - k + 1)))
        taken = sp[start : start + k]
        if kind == "edited":
            taken = [self.edit(p) for p in taken]
        elif kind == "rewrite":
            taken = [self.rewrite(p) for p in taken]
        at = int(self.rng.integers(0, len(own) + 1))
        return "\n\n".join(own[:at] + taken + own[at:]), kind, src


def _timings(size: int, batch: int, spent: float, cpu: float, batch_times: list[float]) -> dict:
    """Time figures shared by both runs: per article overall, and in the first and last tenth of batches."""
    tenth = max(1, len(batch_times) // 10)
    return {
        "size": size,
        "seconds": spent,
        "per_article_ms": spent / size * 1000,
        "cpu_per_article_ms": cpu / size * 1000,
        "first_batches_ms": sum(batch_times[:tenth]) / (tenth * batch) * 1000,
        "last_batches_ms": sum(batch_times[-tenth:]) / (tenth * batch) * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(size: int, batch: int, seed: int) -> dict:
    corpus = Corpus.make(seed)
    fp_index = reuse.FingerprintIndex()
    nd_index = nd.NearDuplicateIndex()
    docs: dict[str, reuse.ReuseDoc] = {}
    sigs: dict[str, np.ndarray] = {}
    times: dict[str, datetime] = {}
    truth: dict[tuple[str, str], str] = {}
    rewrites: set[tuple[str, str]] = set()
    kinds: dict[str, str] = {}
    edges: list[reuse.ReuseEdge] = []
    dups: list[nd.NearDuplicate] = []
    spent = cpu = 0.0
    batch_times = []
    for start in range(0, size, batch):
        new = []
        for n in range(start, min(size, start + batch)):
            text, kind, src = corpus.article(n)
            a = f"a{n:06d}"
            kinds[a] = kind
            t = T0 + timedelta(minutes=n)
            # seen when published, as a feed polled every minute would see it: first_seen decides
            # the direction of copies published less than a day after their source
            docs[a] = reuse.ReuseDoc(a, text, t, first_seen=t)
            times[a] = t
            new.append(a)
            if src is not None:
                pair = (a, f"a{src:06d}")
                if kind == "rewrite":
                    rewrites.add(pair)
                else:
                    truth[pair] = kind
        began, began_cpu = time.perf_counter(), time.process_time()
        shingles = {a: reuse.text_shingles(docs[a].text) for a in new}
        fps = [(a, reuse.fingerprints(docs[a].text, shingles[a])) for a in new]
        pairs = reuse.batch_candidates(fp_index, fps)
        edges.extend(reuse.detect_reuse(pairs, docs))
        new_sigs = {a: s for a in new if (s := nd.signature(docs[a].text, shingles[a])) is not None}
        sigs.update(new_sigs)
        dups.extend(nd.find_near_duplicates(nd_index.add_batch(new_sigs), sigs, times))
        took = time.perf_counter() - began
        spent += took
        cpu += time.process_time() - began_cpu
        batch_times.append(took)

    found = {(e.article_id, e.copied_from_id) for e in edges}
    hit = found & set(truth)
    per_kind = {}
    for kind in ("full", "partial", "edited"):
        planted = {p for p, k in truth.items() if k == kind}
        per_kind[kind] = (len(planted & found), len(planted))
    full = {p for p, k in truth.items() if k == "full"}
    # two full copies of one source are duplicates of each other too
    root = {c: s for c, s in full}
    dup_pairs = {(d.article_id, d.duplicate_of_id) for d in dups}
    dup_right = {(x, y) for x, y in dup_pairs if root.get(x, x) == root.get(y, y)}
    return {
        **_timings(size, batch, spent, cpu, batch_times),
        "postings": fp_index.postings,
        "planted": len(truth),
        "found": len(found),
        "precision": len(hit) / len(found) if found else 1.0,
        "recall": len(hit) / len(truth) if truth else 1.0,
        "per_kind": per_kind,
        "rewrites": len(rewrites),
        "rewrites_flagged": len(rewrites & found),
        "wrong_direction": len({(b, a) for a, b in found} & set(truth)),
        "bases": dict(Counter(e.direction_basis for e in edges)),
        "dup_precision": len(dup_right) / len(dup_pairs) if dup_pairs else 1.0,
        "dup_recall": len(dup_pairs & full) / len(full) if full else 1.0,
        "dups_found": len(dup_pairs),
    }


class StepTimer:
    """Wall time per step of `update_provenance`: every function it calls through the warehouse
    module and the transforms, wrapped for the benchmark only (the stage itself is untouched)."""

    STEPS: ClassVar[dict[str, tuple[str, ...] | None]] = {
        "wp": None,  # every public function of warehouse.provenance
        "reuse": ("text_shingles", "fingerprints", "detect_reuse", "reuse_tags", "link_tags"),
        "nd": ("signature", "band_keys", "find_near_duplicates"),
        "stories": ("term_counts", "assign_stories"),
    }

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.active = False

    def install(self) -> None:
        import inspect

        from flows import provenance as fp

        for alias, names in self.STEPS.items():
            module = getattr(fp, alias)
            if names is None:
                names = [
                    n
                    for n, f in vars(module).items()
                    if inspect.isfunction(f) and not n.startswith("_") and f.__module__ == module.__name__
                ]
            for name in names:
                setattr(module, name, self._wrap(f"{alias}.{name}", getattr(module, name)))

    def _wrap(self, label: str, func):
        def timed(*args, **kwargs):
            if not self.active:
                return func(*args, **kwargs)
            began = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - began

        return timed


def run_warehouse(
    size: int,
    batch: int,
    seed: int,
    probes: tuple[int, ...] = (),
    probe_batch: int = 5,
    on_lake: bool = False,
) -> dict:
    """The real stage: `update_provenance` per batch against an in-memory DuckDB warehouse, or
    a DuckLake (SQLite catalog and Parquet files in a temporary folder) when `on_lake`.

    At each size in `probes` (articles stored), the next `probe_batch` articles are processed as
    a batch of their own, as an incremental run would, and timed step by step.
    """
    import duckdb
    import pyarrow as pa

    from flows.provenance import update_provenance
    from warehouse import db, synthetic

    timer = StepTimer()
    timer.install()
    corpus = Corpus.make(seed)
    folder = tempfile.TemporaryDirectory(prefix="wiretrace-bench-")
    if on_lake:
        con = db.connect(Path(folder.name) / "w.sqlite")
    else:
        con = duckdb.connect()
        db.migrate(con)
    truth: set[tuple[str, str]] = set()
    spent = cpu = 0.0
    batch_times = []
    probe_results = []
    cuts = sorted({0, size, *(p for p in probes if p < size)})
    spans = [
        (lo, hi)
        for a, b in itertools.pairwise(cuts)
        for lo, hi in ([(a, a + probe_batch)] if a in probes else [])
        + [(s, min(b, s + batch)) for s in range(a + (probe_batch if a in probes else 0), b, batch)]
    ]
    for start, stop in spans:
        probing = start in probes and stop - start == probe_batch
        rows: dict[str, list] = {k: [] for k in ("article_id", "text", "published_at", "word_count")}
        for n in range(start, stop):
            text, kind, src = corpus.article(n)
            a = f"a{n:06d}"
            rows["article_id"].append(a)
            rows["text"].append(text)
            rows["published_at"].append(T0 + timedelta(minutes=n))
            rows["word_count"].append(len(text.split()))
            if src is not None and kind != "rewrite":
                truth.add((a, f"a{src:06d}"))
        synthetic.insert_articles(con, pa.table({**rows, "first_seen_at": rows["published_at"]}), "feed")
        timer.seconds.clear()
        timer.active = probing
        began, began_cpu = time.perf_counter(), time.process_time()
        with db.transaction(con):
            update_provenance(con, rows["article_id"])
        took = time.perf_counter() - began
        timer.active = False
        if probing:
            probe_results.append({"stored": start, "seconds": took, "steps": dict(timer.seconds)})
            continue
        spent += took
        cpu += time.process_time() - began_cpu
        batch_times.append(took)
    found = set(con.execute("SELECT article_id, copied_from_id FROM article_reuse").fetchall())
    hit = found & truth
    result = {
        **_timings(size - probe_batch * len(probe_results), batch, spent, cpu, batch_times),
        "probes": probe_results,
        "precision": len(hit) / len(found) if found else 1.0,
        "recall": len(hit) / len(truth) if truth else 1.0,
        "stories": con.execute("SELECT count(*) FROM stories").fetchone()[0],
    }
    con.close()
    folder.cleanup()
    return result


# -- real prose ---------------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PROSE_SETS = ("dates", "dates+agency", "credits", "agency", "first_seen", "undecided", "ledes", "quotes")
EXPECTED_BASIS = {
    "dates": "published",
    "dates+agency": "published",
    "credits": "credit",
    "agency": "agency",
    "first_seen": "first_seen",
    "undecided": "undecided",
    "ledes": "published",
}
# An agency dateline opening a paragraph ("WASHINGTON (Reuters) —", "(AP) -"): such paragraphs are
# left out of what is pasted, so a copy never carries an agency credit by accident.
_DATELINE = re.compile(r"^\W*[A-Z][\w .,'/-]{0,40}?\([^)]{1,25}\)\s*[—–-]|^\W*\([^)]{1,25}\)\s*[—–-]")
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]")
_QUOTE_MARKS = re.compile('["“”„«»‘「」]')


@dataclass(frozen=True)
class ProseDoc:
    key: str
    part: str  # 'aeb', 'fundus A-M', 'fundus N-Z (held out)'
    outlet: str
    url: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def load_prose(corpus: Path = CORPUS) -> list[ProseDoc]:
    """Every AEB and Fundus article text, as paragraphs, with its outlet and address."""
    import json

    from transforms.outlet import registered_domain

    docs = []
    gold = json.loads((corpus / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    for key, v in sorted(gold.items()):
        paras = tuple(p.strip() for p in v["articleBody"].split("\n") if p.strip())
        docs.append(ProseDoc(f"aeb:{key[:12]}", "aeb", registered_domain(v["url"]) or key, v["url"], paras))
    pages = json.loads((corpus / "fundus" / "pages.json").read_text(encoding="utf-8"))
    for page in sorted(pages.values(), key=lambda p: p["publisher"]):
        expected = json.loads((corpus / "fundus" / "expected" / page["json"]).read_text(encoding="utf-8"))
        body = expected.get(page["version"], {}).get("body") or {}
        paras = [*body.get("summary", [])]
        for section in body.get("sections", []):
            paras += section.get("paragraphs", [])
        publisher = page["publisher"]
        part = "fundus A-M" if publisher[0].upper() <= "M" else "fundus N-Z (held out)"
        docs.append(
            ProseDoc(f"fundus:{publisher}", part, publisher, page["url"], tuple(p for p in paras if p))
        )
    return docs


def _n_words(text: str) -> int:
    return len(reuse.words(text))


def _block(doc: ProseDoc) -> list[tuple[int, str]]:
    """Starts of three consecutive paragraphs of 25+ words without a dateline, and their text."""
    ok = [_n_words(p) >= 25 and not _DATELINE.match(p) for p in doc.paragraphs]
    return [
        (i, "\n\n".join(doc.paragraphs[i : i + 3]))
        for i in range(len(ok) - 2)
        if ok[i] and ok[i + 1] and ok[i + 2]
    ]


def _ledes(doc: ProseDoc) -> list[str]:
    """Sentences of 12-24 words that open a paragraph and hold no quotation mark (no quoted speech)."""
    out = []
    for p in doc.paragraphs:
        m = _SENTENCE.match(p)
        if (
            m
            and 12 <= _n_words(m.group()) <= 24
            and not _QUOTE_MARKS.search(m.group())
            and not _DATELINE.match(p)
        ):
            out.append(m.group().strip())
    return out


def _quotes(doc: ProseDoc) -> list[str]:
    out = []
    for p in doc.paragraphs:
        for a, b in reuse.quoted_spans(p):
            if 12 <= _n_words(p[a:b]) <= 40:
                out.append(p[a:b])
    return out


def _paste(host: ProseDoc, inserted: str) -> str:
    mid = max(1, len(host.paragraphs) // 2)
    return "\n\n".join([*host.paragraphs[:mid], inserted, *host.paragraphs[mid:]])


@dataclass
class Built:
    """One set's articles: (article_id, text, outlet, url, published_date, run, origins, credited)."""

    rows: list[tuple[str, str, str, str, object, int, tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=list
    )
    base: dict[str, str] = field(default_factory=dict)  # article_id -> the corpus page it is made of
    truth: dict[tuple[str, str], str] = field(default_factory=dict)  # (copy, source) -> part
    quote_hosts: dict[str, str] = field(default_factory=dict)  # quote host article_id -> part


def build_set(name: str, docs: list[ProseDoc], per_set: int, rng: np.random.Generator) -> Built:
    """Copies of one kind (see the module docstring) plus unrelated articles, from real texts."""
    from datetime import date

    b = Built()
    order = [docs[i] for i in rng.permutation(len(docs))]
    used: set[str] = set()

    def take(pred) -> ProseDoc | None:
        for d in order:
            if d.key not in used and pred(d):
                used.add(d.key)
                return d
        return None

    def add(aid, text, doc, published=None, run=1, origins=(), credited=()) -> None:
        b.rows.append(
            (aid, text, doc.outlet, doc.url if aid == doc.key else None, published, run, origins, credited)
        )
        b.base[aid] = doc.key

    day0 = date(2019, 1, 1)
    for n in range(per_set):
        if name == "quotes":
            src = take(lambda d: bool(_quotes(d)))
            if src is None:
                break
            quote = _quotes(src)[int(rng.integers(len(_quotes(src))))]
            h1 = take(lambda d, s=src: len(d.paragraphs) >= 2 and d.outlet != s.outlet)
            h2 = take(lambda d, s=src, h=h1: len(d.paragraphs) >= 2 and d.outlet not in (s.outlet, h.outlet))
            if h1 is None or h2 is None:
                break
            when = day0 + timedelta(days=int(rng.integers(0, 300)))
            add(f"q{n}a", _paste(h1, f"{quote} the minister said on Monday."), h1, when)
            add(f"q{n}b", _paste(h2, f"{quote}, according to a statement."), h2, when + timedelta(days=2))
            b.quote_hosts.update({f"q{n}a": src.part, f"q{n}b": src.part})
            continue
        pick = _ledes if name == "ledes" else _block
        src = take(lambda d, pick=pick: bool(pick(d)))
        if src is None:
            break
        host = take(lambda d, s=src: len(d.paragraphs) >= 4 and d.outlet != s.outlet and d.part == s.part)
        if host is None:
            break
        choices = pick(src)
        chosen = choices[int(rng.integers(len(choices)))]
        pasted = chosen if name == "ledes" else chosen[1]
        published = day0 + timedelta(days=int(rng.integers(0, 300)))
        copy_id = f"c{n}"
        copy_pub = src_pub = None
        copy_run = src_run = 1
        copy_origins: tuple[str, ...] = ()
        src_origins: tuple[str, ...] = ()
        credited: tuple[str, ...] = ()
        if name in ("dates", "dates+agency", "ledes"):
            src_pub, copy_pub = published, published + timedelta(days=30)
            if name == "dates+agency":
                copy_origins = ("AP",)
        elif name == "credits":
            copy_run, src_run, copy_origins = 1, 2, ("AP",)
            if n % 2:
                pasted += f"\n\n(Via: {src.url})"
            else:
                pasted += f"\n\n{src.outlet} reported."
                credited = (src.outlet,)
        elif name == "agency":
            copy_run, src_run, src_origins = 1, 2, ("AFP",)
        elif name == "first_seen":
            copy_run, src_run = 2, 1
        add(src.key, src.text, src, src_pub, src_run, src_origins)
        add(copy_id, _paste(host, pasted), host, copy_pub, copy_run, copy_origins, credited)
        b.truth[(copy_id, src.key)] = src.part
    for _ in range(per_set):
        other = take(lambda d: len(d.paragraphs) >= 2)
        if other is None:
            break
        add(other.key, other.text, other, None, 1)
    return b


def _load_runs(rows: list, runs_of_base: bool = False) -> dict[tuple[str, str], str]:
    """Load rows run by run through update_provenance; return {(article_id, copied_from_id): basis}."""
    import duckdb
    import pyarrow as pa

    from flows.provenance import update_provenance
    from warehouse import db, synthetic

    con = duckdb.connect()
    db.migrate(con)
    seen0 = datetime(2026, 11, 1, tzinfo=UTC)
    for run in sorted({r[5] for r in rows}):
        part = [r for r in rows if r[5] == run]
        table = pa.table(
            {
                "article_id": [r[0] for r in part],
                "text": [r[1] for r in part],
                "outlet": [r[2] for r in part],
                "url": [r[3] for r in part],
                "published_date": pa.array([r[4] for r in part], pa.date32()),
                "word_count": [len(r[1].split()) for r in part],
                "first_seen_at": pa.array(
                    [seen0 + timedelta(days=run)] * len(part), pa.timestamp("us", "UTC")
                ),
            }
        )
        synthetic.insert_articles(con, table, "seed")
        credits = [
            (r[0], s, kind, role, "benchmark metadata")
            for r in part
            for s, kind, role in [
                *((o, "agency", "origin") for o in r[6]),
                *((c, "outlet", "cited") for c in r[7]),
            ]
        ]
        if credits:
            names = ("article_id", "source", "kind", "role", "evidence")
            synthetic.insert_credits(con, pa.table({n: [c[i] for c in credits] for i, n in enumerate(names)}))
        with db.transaction(con):
            update_provenance(con, [r[0] for r in part])
    return dict(
        ((a, b), basis)
        for a, b, basis in con.execute(
            "SELECT article_id, copied_from_id, direction_basis FROM article_reuse"
        ).fetchall()
    )


def run_prose(per_set: int, seed: int) -> dict:
    docs = load_prose()
    by_key = {d.key: d for d in docs}
    rng = np.random.default_rng(seed)
    began = time.perf_counter()
    results = {}
    for name in PROSE_SETS:
        built = build_set(name, docs, per_set, rng)
        # the untouched pages alone: what they share anyway
        pages = sorted(set(built.base.values()))
        raw_rows = [(k, by_key[k].text, by_key[k].outlet, by_key[k].url, None, 1, (), ()) for k in pages]
        anyway = {frozenset(p) for p in _load_runs(raw_rows)}
        found = _load_runs(built.rows)
        r = {"planted": len(built.truth), "hit": 0, "fp": [], "anyway": 0, "basis": {}, "parts": {}}
        for part in set(built.truth.values()) | set(built.quote_hosts.values()):
            r["parts"][part] = [0, 0]
        for part in built.truth.values():
            r["parts"][part][1] += 1
        for (a, b), basis in found.items():
            if frozenset((built.base[a], built.base[b])) in anyway and (a, b) not in built.truth:
                r["anyway"] += 1
                continue
            planted = (a, b) if (a, b) in built.truth else (b, a) if (b, a) in built.truth else None
            if planted is None:
                r["fp"].append((a, b, built.base[a], built.base[b]))
                continue
            r["hit"] += 1
            r["parts"][built.truth[planted]][0] += 1
            verdict = "undecided" if basis == "undecided" else "right" if (a, b) == planted else "wrong"
            r["basis"].setdefault(basis, Counter())[verdict] += 1
        r["quote_hosts"] = len(built.quote_hosts)
        results[name] = r
    # every untouched page at once: the text real pages share without any planted copy
    raw_rows = [(d.key, d.text, d.outlet, d.url, None, 1, (), ()) for d in docs]
    shared = sorted(_load_runs(raw_rows))
    return {"sets": results, "seconds": time.perf_counter() - began, "docs": len(docs), "shared": shared}


def print_prose(res: dict, per_set: int) -> None:
    print(
        f"real prose: {res['docs']} AEB and Fundus texts, up to {per_set} copies per set"
        f" ({res['seconds']:.0f} s)"
    )
    total_hit = total_planted = total_fp = 0
    for name, r in res["sets"].items():
        fp = len(r["fp"])
        if name == "quotes":
            print(
                f"\n{name:<13} {r['quote_hosts']} articles quoting {r['quote_hosts'] // 2} shared quotations:"
                f" {fp} edges between them (0 expected);"
                f" {r['anyway']} edges between pages that share text anyway"
            )
        else:
            total_hit, total_planted, total_fp = (
                total_hit + r["hit"],
                total_planted + r["planted"],
                total_fp + fp,
            )
            precision = r["hit"] / (r["hit"] + fp) if r["hit"] + fp else 1.0
            print(
                f"\n{name:<13} recall {r['hit'] / r['planted'] if r['planted'] else 1:.3f}"
                f" ({r['hit']}/{r['planted']})  precision {precision:.3f} ({fp} wrong edges);"
                f" {r['anyway']} edges between pages that share text anyway"
            )
            parts = ", ".join(f"{p} {h}/{n}" for p, (h, n) in sorted(r["parts"].items()))
            print(f"{'':<13} by corpus part: {parts}")
            for basis, c in sorted(r["basis"].items()):
                decided = c["right"] + c["wrong"]
                acc = (
                    f"{c['right'] / decided:.3f} right ({c['right']}/{decided})"
                    if decided
                    else "no direction claimed"
                )
                print(
                    f"{'':<13} direction_basis {basis:<10} {acc}; undecided {c['undecided']}"
                    f" (expected basis: {EXPECTED_BASIS[name]})"
                )
        for a, b, ba, bb in r["fp"][:5]:
            print(f"{'':<13} wrong edge {a} <- {b} ({ba} / {bb})")
    print(f"\nuntouched pages, all {res['docs']} loaded together: {len(res['shared'])} edges (shared anyway)")
    for a, b in res["shared"]:
        print(f"{'':<13} {a} <- {b}")
    precision = total_hit / (total_hit + total_fp) if total_hit + total_fp else 1.0
    print(
        f"\nall copy sets: recall {total_hit / total_planted:.3f} ({total_hit}/{total_planted}),"
        f" precision {precision:.3f} ({total_fp} wrong edges)"
    )


def print_probes(probes: list[dict]) -> None:
    """Per-step seconds of each 5-article run, one column per number of stored articles."""
    if not probes:
        return
    steps = sorted(
        {k for p in probes for k in p["steps"]}, key=lambda k: -max(p["steps"].get(k, 0) for p in probes)
    )
    head = "".join(f"{p['stored']:>12,}" for p in probes)
    print(f"\n5 new articles, seconds per step, by articles stored:\n{'step':<34}{head}")
    for k in steps:
        if max(p["steps"].get(k, 0) for p in probes) >= 0.001:
            print(f"{k:<34}" + "".join(f"{p['steps'].get(k, 0):>12.3f}" for p in probes))
    print(f"{'whole batch (update_provenance)':<34}" + "".join(f"{p['seconds']:>12.3f}" for p in probes))
    if len(probes) > 1:
        print(f"ratio last/first {probes[-1]['seconds'] / probes[0]['seconds']:.2f} (target <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--warehouse",
        type=int,
        nargs="*",
        default=[],
        metavar="SIZE",
        help="also run flows.provenance.update_provenance on DuckDB for these sizes (SQL index path)",
    )
    parser.add_argument(
        "--probe",
        type=int,
        nargs="*",
        default=[],
        metavar="STORED",
        help="with --warehouse: at these numbers of stored articles, time a 5-article run step by step",
    )
    parser.add_argument(
        "--lake", action="store_true", help="--warehouse on a DuckLake instead of in-memory DuckDB"
    )
    parser.add_argument("--prose", action="store_true", help="run the real-prose benchmark instead")
    parser.add_argument("--per-set", type=int, default=40, help="copies per real-prose set")
    args = parser.parse_args()
    if args.prose:
        print_prose(run_prose(args.per_set, args.seed), args.per_set)
        return
    print(f"planted rates: {RATES}; batches of {args.batch}; seed {args.seed}")
    results = []
    for size in args.sizes:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            r = pool.submit(run, size, args.batch, args.seed).result()
        results.append(r)
        print(f"\n== {size:,} articles, incremental in batches of {args.batch}")
        print(
            f"time            {r['seconds']:.1f} s wall  ({r['per_article_ms']:.2f} ms/article;"
            f" first 10% of batches {r['first_batches_ms']:.2f} ms/article,"
            f" last 10% {r['last_batches_ms']:.2f}); CPU {r['cpu_per_article_ms']:.2f} ms/article"
        )
        print(f"peak memory     {r['peak_rss_mb']:.0f} MB (process RSS, corpus texts included)")
        print(f"index postings  {r['postings']:,} fingerprints")
        print(
            f"reuse           precision {r['precision']:.4f}  recall {r['recall']:.4f}"
            f"  ({r['found']:,} edges found, {r['planted']:,} planted)"
        )
        for kind, (got, n) in r["per_kind"].items():
            print(f"  {kind:<8}      recall {got / n if n else 1:.4f} ({got}/{n})")
        print(f"  rewrites      flagged as reuse {r['rewrites_flagged']}/{r['rewrites']} (should be 0)")
        print(f"  direction     reversed edges {r['wrong_direction']}; by direction_basis {r['bases']}")
        print(
            f"near-duplicates precision {r['dup_precision']:.4f}  recall {r['dup_recall']:.4f}"
            f" of full copies ({r['dups_found']:,} found)"
        )
    for size in args.warehouse:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            r = pool.submit(
                run_warehouse, size, args.batch, args.seed, tuple(args.probe), on_lake=args.lake
            ).result()
        store = "a DuckLake (SQLite catalog, Parquet files)" if args.lake else "in-memory DuckDB"
        print(f"\n== warehouse path (update_provenance on {store}, stories included): {size:,} articles")
        print(
            f"time            {r['seconds']:.1f} s wall  ({r['per_article_ms']:.2f} ms/article;"
            f" first 10% of batches {r['first_batches_ms']:.2f} ms/article,"
            f" last 10% {r['last_batches_ms']:.2f}); CPU {r['cpu_per_article_ms']:.2f} ms/article"
        )
        print(f"peak memory     {r['peak_rss_mb']:.0f} MB")
        print(
            f"reuse           precision {r['precision']:.4f}  recall {r['recall']:.4f}"
            f"  ({r['stories']:,} stories)"
        )
        print_probes(r["probes"])
    if len(results) > 1:
        a, b = results[0], results[-1]
        ratio = b["per_article_ms"] / a["per_article_ms"]
        cpu_ratio = b["cpu_per_article_ms"] / a["cpu_per_article_ms"]
        print(
            f"\nper-article time {a['size']:,}: {a['per_article_ms']:.2f} ms,"
            f" {b['size']:,}: {b['per_article_ms']:.2f} ms (ratio {ratio:.2f}; 1.0 = linear);"
            f" CPU ratio {cpu_ratio:.2f}"
        )


if __name__ == "__main__":
    main()
