"""Every occurrence of a registry name on a corpus's pages, with its context: the worksheet for labelling.

Run from the repository root:  .venv/bin/python benchmarks/labels/candidates.py A-M   (Fundus, by publisher)
                               .venv/bin/python benchmarks/labels/candidates.py aeb   (the AEB pages)
                               .venv/bin/python benchmarks/labels/candidates.py feeds (the real-world
                                 feeds' items: title and description, author, media:credit)

It reads the page's visible text (scripts and styles dropped; image alt/title texts and
figure captions included), its meta tags and its JSON-LD, finds each alias and dateline token
of `transforms/data/sources.yaml` as written (or in capitals) and as a whole word, and prints
one line per occurrence. It never runs the tagger: labels are judged from these lines and
from reading the page, not from what the tagger outputs.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from transforms.registry import load_registry  # noqa: E402

FUNDUS = REPO.parent / "shared" / "corpus" / "fundus"
AEB = REPO.parent / "shared" / "corpus" / "aeb"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def page_texts(raw: bytes) -> list[tuple[str, str]]:
    tree = lxml.html.document_fromstring(raw)
    found: list[tuple[str, str]] = []
    for meta in tree.iter("meta"):
        if meta.get("content"):
            found.append((f"meta:{meta.get('name') or meta.get('property')}", meta.get("content")))
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        found.append(("jsonld", script.text or ""))
    for bad in tree.xpath("//script | //style | //noscript | //template"):
        bad.drop_tree()
    for img in tree.iter("img"):
        for attr in ("alt", "title"):
            if img.get(attr):
                found.append((f"img-{attr}", img.get(attr)))
    body = tree.find("body")
    text = "\n".join(t.strip() for t in (body if body is not None else tree).itertext() if t.strip())
    found.append(("text", text))
    return found


def patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for source in load_registry().sources:
        for word in dict.fromkeys([*source.aliases, *source.datelines]):
            forms = {word, word.upper()}
            for form in forms:
                left = "" if _CJK.match(form) else r"(?<![\w$@&.-])"
                right = "" if _CJK.match(form[-1]) else r"(?![\w$@&])"
                core = left + re.escape(form) + right
                if word not in source.aliases:
                    # A dateline-only token ("TT", "Mehr") is a credit only next to a bracket, a
                    # slash, or alone on its line.
                    core = rf"(?:(?<=[(/])\s*{core}|{core}(?=\s*[)/])|(?<=\n){core}(?=\s*(?:\n|$)))"
                out.append((re.compile(core), source.name))
    return out


def corpus_pages(part: str) -> list[tuple[Path, str]]:
    """(page, its URL) of the part: "aeb", or a range of Fundus publishers' initials ("A-M")."""
    if part == "aeb":
        gold = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
        return [
            (path, gold[path.name.removesuffix(".html.gz")]["url"])
            for path in sorted((AEB / "html").glob("*.html.gz"))
        ]
    first, last = part.split("-")
    urls = dict(line.split(",", 1) for line in (FUNDUS / "manifest.csv").read_text().split()[1:])
    return [
        (path, urls[f"pages/{path.name}"])
        for path in sorted((FUNDUS / "pages").glob("*.html.gz"))
        if first.lower() <= path.name[0].lower() <= last.lower()
    ]


def _hits(pats: list[tuple[re.Pattern[str], str]], text: str) -> list[tuple[int, int, str]]:
    """The longest of overlapping occurrences, in text order."""
    hits: dict[tuple[int, int], str] = {}
    for pat, name in pats:
        for m in pat.finditer(text):
            hits.setdefault((m.start(), m.end()), name)
    kept: list[tuple[int, int, str]] = []
    for (a, b), name in sorted(hits.items(), key=lambda x: (x[0][0], -(x[0][1] - x[0][0]))):
        if kept and a < kept[-1][1]:
            continue
        kept.append((a, b, name))
    return kept


def feed_candidates(pats: list[tuple[re.Pattern[str], str]]) -> None:
    """The feed items' occurrences: where is 'text' (title and description), 'author' or 'media:credit'."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from feed_items import feed_items

    registry = load_registry()
    for item in feed_items():
        owner = registry.source_for_host(urlsplit(item.url or "").hostname or "")
        own = owner.name if owner is not None and owner.kind == "outlet" else None
        texts = [("text", item.text), ("author", item.author or "")]
        texts += [("media:credit", c) for c in item.picture_credits]
        for where, text in texts:
            for a, b, name in _hits(pats, text):
                if name != own:
                    ctx = text[max(0, a - 90) : b + 90].replace("\n", " ⏎ ")
                    print(f"{item.name}\t{where}\t{name}\t{json.dumps(ctx, ensure_ascii=False)}")


def main() -> None:
    part = sys.argv[1] if len(sys.argv) > 1 else "A-M"
    pats = patterns()
    if part == "feeds":
        feed_candidates(pats)
        return
    registry = load_registry()
    for path, url in corpus_pages(part):
        host = urlsplit(url).hostname or ""
        owner = registry.source_for_host(host)
        # An outlet's own name on its own page is its site name, not a credit of another source.
        own = owner.name if owner is not None and owner.kind == "outlet" else None
        for where, text in page_texts(gzip.decompress(path.read_bytes())):
            if "dataLayer" in where or where in ("meta:keywords", "meta:news_keywords"):
                continue
            for a, b, name in _hits(pats, text):
                if name == own:
                    continue
                ctx = text[max(0, a - 90) : b + 90].replace("\n", " ⏎ ")
                print(f"{path.name}\t{where}\t{name}\t{json.dumps(ctx, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
