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
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
            docs[a] = reuse.ReuseDoc(a, text, t)
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
        "dup_precision": len(dup_right) / len(dup_pairs) if dup_pairs else 1.0,
        "dup_recall": len(dup_pairs & full) / len(full) if full else 1.0,
        "dups_found": len(dup_pairs),
    }


def run_warehouse(size: int, batch: int, seed: int) -> dict:
    """The real stage: `update_provenance` per batch against an in-memory DuckDB warehouse."""
    import duckdb
    import pyarrow as pa

    from flows.provenance import update_provenance
    from warehouse import db

    corpus = Corpus.make(seed)
    con = duckdb.connect()
    db.migrate(con)
    truth: set[tuple[str, str]] = set()
    spent = cpu = 0.0
    batch_times = []
    for start in range(0, size, batch):
        rows: dict[str, list] = {k: [] for k in ("article_id", "text", "published_at", "word_count")}
        for n in range(start, min(size, start + batch)):
            text, kind, src = corpus.article(n)
            a = f"a{n:06d}"
            rows["article_id"].append(a)
            rows["text"].append(text)
            rows["published_at"].append(T0 + timedelta(minutes=n))
            rows["word_count"].append(len(text.split()))
            if src is not None and kind != "rewrite":
                truth.add((a, f"a{src:06d}"))
        con.register("bench_batch", pa.table(rows))
        con.execute(
            """INSERT INTO articles BY NAME
               SELECT *, 'h' AS content_hash, 'feed' AS origin, article_id AS source_ref,
                      published_at AS first_seen_at, published_at AS updated_at, 'bench' AS pipeline_version
               FROM bench_batch"""
        )
        con.unregister("bench_batch")
        began, began_cpu = time.perf_counter(), time.process_time()
        with db.transaction(con):
            update_provenance(con, rows["article_id"])
        took = time.perf_counter() - began
        spent += took
        cpu += time.process_time() - began_cpu
        batch_times.append(took)
    found = set(con.execute("SELECT article_id, copied_from_id FROM article_reuse").fetchall())
    hit = found & truth
    return {
        **_timings(size, batch, spent, cpu, batch_times),
        "precision": len(hit) / len(found) if found else 1.0,
        "recall": len(hit) / len(truth) if truth else 1.0,
        "stories": con.execute("SELECT count(*) FROM stories").fetchone()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
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
    args = parser.parse_args()
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
        print(f"  direction     reversed edges {r['wrong_direction']}")
        print(
            f"near-duplicates precision {r['dup_precision']:.4f}  recall {r['dup_recall']:.4f}"
            f" of full copies ({r['dups_found']:,} found)"
        )
    for size in args.warehouse:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            r = pool.submit(run_warehouse, size, args.batch, args.seed).result()
        print(f"\n== warehouse path (update_provenance on DuckDB, stories included): {size:,} articles")
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
