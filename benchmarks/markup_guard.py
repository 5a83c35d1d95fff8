"""The cost of the attribute guard (transforms/page.py) next to extraction, on the real pages.

For each corpus folder it prints the pages, how many the guard refuses (it should refuse none),
the guard's CPU seconds and its share of extract_html's and of a worker's whole chain (process:
decode, extract, tag), both of which run the guard once too; then the CPU seconds lxml and the
guard take on one element with 20,000 attributes, as the guard now refuses it. CPU seconds within
one run, so the ratio holds on a busy machine.

    .venv/bin/python benchmarks/markup_guard.py
"""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transforms.html import NoArticleError, extract_html  # noqa: E402
from transforms.page import MAX_ATTRIBUTES, overcrowded_element_at, parse_html  # noqa: E402
from transforms.pipeline import process  # noqa: E402
from transforms.records import RawDocument  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
FOLDERS = ("aeb/html", "attribution-dev/pages", "fundus/pages")


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f}; limit {MAX_ATTRIBUTES:,} attributes on one element")
    for folder in FOLDERS:
        files = sorted((CORPUS / folder).glob("*.gz"))
        raws = [RawDocument(f.name, gzip.decompress(f.read_bytes()), media_type="text/html") for f in files]
        pages = [raw.data.decode("utf-8", "replace") for raw in raws]
        start = time.process_time()
        refused = sum(overcrowded_element_at(page) is not None for page in pages)
        guard = time.process_time() - start
        start = time.process_time()
        for page in pages:
            with contextlib.suppress(NoArticleError):
                extract_html(page)
        extract = time.process_time() - start
        start = time.process_time()
        for raw in raws:
            process(raw)
        chain = time.process_time() - start
        print(
            f"{folder}: {len(pages)} pages, {refused} refused; guard {guard:.3f} CPU-s, {guard / extract:.1%}"
            f" of extract_html ({extract:.2f} CPU-s), {guard / chain:.1%} of a worker's whole chain"
            f" (process: decode, extract, tag; {chain:.2f} CPU-s)"
        )
    page = "<html><body><p " + " ".join(f"a{i}" for i in range(20_000)) + ">text</p></body></html>"
    start = time.process_time()
    parse_html(page)
    parse = time.process_time() - start
    start = time.process_time()
    overcrowded_element_at(page)
    guard = time.process_time() - start
    print(f"one <p> with 20,000 attributes: lxml parse {parse:.2f} CPU-s, guard {guard:.4f} CPU-s")


if __name__ == "__main__":
    main()
