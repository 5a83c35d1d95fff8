"""Main-text quality of extract_html on the Article Extraction Benchmark (AEB), beside trafilatura.

Run from the repository root: `.venv/bin/python benchmarks/extraction_quality.py [--processes N]`.

The metric follows the benchmark's own evaluation script: texts are split into `\\w+` tokens
(case kept), compared as multisets of 4-token shingles; per page true/false positives and
false negatives are normalised to sum to 1, precision and recall are averaged over the pages
and F1 is the harmonic mean of the two averages. (corpus/README.md describes lower-cased
whitespace tokens; the script does not, and only its tokens reproduce the published 0.960
of trafilatura.)
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import pickle
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
AEB = REPO.parent / "shared" / "corpus" / "aeb"
_TOKEN = re.compile(r"\w+")
SHINGLE = 4

# An extractor takes (html, url) and returns the text, or an object with a .text (an Article).
Extractor = Callable[[str, "str | None"], Any]


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; a text shorter than n tokens is one short shingle."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def readme_page_f1(gold: str, predicted: str, n: int = SHINGLE) -> float:
    """Per-page F1 as corpus/README.md words it: lower-cased whitespace tokens, 4-word shingles."""

    def grams(text: str) -> Counter[tuple[str, ...]]:
        tokens = (text or "").lower().split()
        return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)

    true, pred = grams(gold), grams(predicted)
    tp = sum((true & pred).values())
    if not tp:
        return 0.0
    precision, recall = tp / sum(pred.values()), tp / sum(true.values())
    return 2 * precision * recall / (precision + recall)


def page_counts(gold: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page, normalised to sum to 1 so that long pages weigh no more."""
    true, pred = shingles(gold), shingles(predicted)
    tp = float(sum((true & pred).values()))
    fp = float(sum((pred - true).values()))
    fn = float(sum((true - pred).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def summarize(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    """Benchmark precision, recall and F1 from per-page (tp, fp, fn)."""
    # As in the benchmark: a page with nothing predicted has no precision, a page with an
    # empty gold text no recall.
    precision = statistics.mean([_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def load_aeb(corpus: Path = AEB) -> list[tuple[str, str, str, str]]:
    """(id, html, url, gold text) of every AEB page, in id order."""
    with open(corpus / "ground-truth.json", encoding="utf-8") as fh:
        gold = json.load(fh)
    pages = []
    for page_id in sorted(gold):
        with gzip.open(corpus / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as fh:
            html = fh.read()
        pages.append((page_id, html, gold[page_id].get("url"), gold[page_id].get("articleBody", "")))
    return pages


def _run_chunk(extract: Extractor, chunk: list[tuple[str, str, str, str]]) -> list[tuple[str, str, float]]:
    # Runs in a worker: CPU seconds are measured per page inside it, so a pool shortens
    # the wall time without flattering the per-page cost.
    logging.disable(logging.CRITICAL)  # trafilatura warns on every discarded candidate
    results = []
    for page_id, html, url, _gold in chunk:
        start = time.process_time()
        try:
            out = extract(html, url)
        except Exception:  # an extractor that gives up on a page scores zero on it
            out = None
        cpu = time.process_time() - start
        text = out if isinstance(out, str) else getattr(out, "text", None) or ""
        results.append((page_id, text, cpu))
    return results


def aeb_scores(
    extract: Extractor,
    processes: int = 2,
    pages: list[tuple[str, str, str, str]] | None = None,
) -> dict[str, Any]:
    """F1, precision, recall and CPU seconds per page of `extract` over the AEB pages.

    `extract(html, url)` returns the main text, or an object with `.text` (an Article); an
    exception counts as an empty text. With processes > 1 the pages run in a pool of
    forked workers when the extractor pickles (a module-level function), else in-process.
    The result also holds `per_page` {id: (precision, recall)} and `texts` {id: text}.
    """
    pages = pages if pages is not None else load_aeb()
    gold = {page_id: text for page_id, _html, _url, text in pages}
    wall = time.perf_counter()
    if processes > 1 and _picklable(extract):
        chunks = [pages[i::processes] for i in range(processes)]
        with ProcessPoolExecutor(processes) as pool:
            done = [row for rows in pool.map(_run_chunk, [extract] * processes, chunks) for row in rows]
    else:
        done = _run_chunk(extract, pages)
    wall = time.perf_counter() - wall
    counts, per_page, texts, cpu, readme_f1s = [], {}, {}, 0.0, []
    for page_id, text, seconds in sorted(done):
        readme_f1s.append(readme_page_f1(gold[page_id], text))
        c = page_counts(gold[page_id], text)
        counts.append(c)
        per_page[page_id] = (_precision(*c), _recall(*c))
        texts[page_id] = text
        cpu += seconds
    result: dict[str, Any] = summarize(counts)
    result.update(
        f1_readme=statistics.mean(readme_f1s),
        pages=len(pages),
        cpu_seconds_per_page=cpu / len(pages),
        wall_seconds=wall,
        per_page=per_page,
        texts=texts,
    )
    return result


def _picklable(obj: object) -> bool:
    try:
        pickle.dumps(obj)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def trafilatura_default(html: str, url: str | None = None) -> str | None:
    """trafilatura as the benchmark runs it: default settings, comments off."""
    from trafilatura import extract

    return extract(html, include_comments=False)


def wiretrace_extract(html: str, url: str | None = None) -> Any:
    from transforms.html import extract_html

    return extract_html(html, url)


def wiretrace_without_credits(html: str, url: str | None = None) -> Any:
    """extract_html with harvest_credits (transforms/page_credits.py) stubbed: its share of the time."""
    import transforms.html as module

    saved = module.harvest_credits
    module.harvest_credits = lambda tree: ()
    try:
        return module.extract_html(html, url)
    finally:
        module.harvest_credits = saved


EXTRACTORS: dict[str, Extractor] = {
    "trafilatura default": trafilatura_default,
    "extract_html": wiretrace_extract,
    "  without credits": wiretrace_without_credits,
}
WARM_UP_PAGES = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--worst", type=int, default=0, help="list the N pages with the lowest F1")
    args = parser.parse_args()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    pages = load_aeb()
    print(f"AEB: {len(pages)} pages from {AEB}")
    rows = {}
    for name, fn in EXTRACTORS.items():
        # Warm up in the parent, before the pool forks: imports, htmldate's dateparser and
        # the language model load once per worker process in production, not once per page.
        _run_chunk(fn, pages[:WARM_UP_PAGES])
        rows[name] = aeb_scores(fn, processes=args.processes, pages=pages)
    print(
        f"{'extractor':<22}{'F1':>7}{'prec':>8}{'recall':>8}{'F1 (README)':>13}"
        f"{'CPU s/page':>12}{'wall s':>8}"
    )
    for name, r in rows.items():
        print(
            f"{name:<22}{r['f1']:>7.4f}{r['precision']:>8.4f}{r['recall']:>8.4f}{r['f1_readme']:>13.4f}"
            f"{r['cpu_seconds_per_page']:>12.4f}{r['wall_seconds']:>8.1f}"
        )
    print(
        "F1: the benchmark's evaluate.py metric; F1 (README): per-page F1 of lower-cased whitespace shingles"
    )
    cpu = {name: r["cpu_seconds_per_page"] for name, r in rows.items()}
    base = cpu["trafilatura default"]
    print(
        f"CPU time ratio to trafilatura default: extract_html {cpu['extract_html'] / base:.2f}"
        f", without credit harvest {cpu['  without credits'] / base:.2f}"
        f" (CPU seconds measured per page inside {args.processes} worker processes)"
    )
    if args.worst:
        ours = rows["extract_html"]
        urls = {page_id: url for page_id, _html, url, _gold in pages}

        def f1(pr: tuple[float, float]) -> float:
            return 2 * pr[0] * pr[1] / (pr[0] + pr[1]) if sum(pr) else 0.0

        for page_id, pr in sorted(ours["per_page"].items(), key=lambda kv: f1(kv[1]))[: args.worst]:
            print(f"  {f1(pr):.3f}  P={pr[0]:.3f} R={pr[1]:.3f}  {page_id[:12]}  {urls[page_id]}")


if __name__ == "__main__":
    main()
