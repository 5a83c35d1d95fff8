"""The cost of the attribute guard (transforms/page.py) next to extraction, on the real pages.

For each corpus folder it prints the pages, how many the guard refuses (it should refuse none),
the guard's CPU seconds, extraction's CPU seconds (extract_html, which runs the guard once too)
and the guard's share; then the CPU seconds lxml and the guard take on one element with 20,000
attributes, as the guard now refuses it. CPU seconds within one run, so the ratio holds on a busy
machine.

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
from transforms.page import _MARKUP, MAX_ATTRIBUTES, parse_html  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
FOLDERS = ("aeb/html", "attribution-dev/pages", "fundus/pages")


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f}; limit {MAX_ATTRIBUTES:,} attributes on one element")
    for folder in FOLDERS:
        pages = [gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
                 for path in sorted((CORPUS / folder).glob("*.gz"))]  # fmt: skip
        start = time.process_time()
        refused = sum(_MARKUP.match(page).end() < len(page) for page in pages)
        guard = time.process_time() - start
        start = time.process_time()
        for page in pages:
            with contextlib.suppress(NoArticleError):
                extract_html(page)
        extract = time.process_time() - start
        print(
            f"{folder}: {len(pages)} pages, {refused} refused; guard {guard:.3f} CPU-s,"
            f" extraction {extract:.2f} CPU-s, guard {guard / extract:.1%} of extraction"
        )
    page = "<html><body><p " + " ".join(f"a{i}" for i in range(20_000)) + ">text</p></body></html>"
    start = time.process_time()
    parse_html(page)
    parse = time.process_time() - start
    start = time.process_time()
    _MARKUP.match(page)
    guard = time.process_time() - start
    print(f"one <p> with 20,000 attributes: lxml parse {parse:.2f} CPU-s, guard {guard:.4f} CPU-s")


if __name__ == "__main__":
    main()
