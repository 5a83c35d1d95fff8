"""Credit-like strings from the whole HTML page, not only its main text.

Bylines, author meta tags and JSON-LD authors sit outside the text that
trafilatura extracts, yet they are often the only sign of agency copy.
"""

from __future__ import annotations

import json

import lxml.html

from transforms.records import Credit

_AUTHOR_META = (
    "author",
    "article:author",
    "dc.creator",
    "dc.source",
    "sailthru.author",
    "parsely-author",
    "byl",
)


def _jsonld_people(node: object) -> list[str]:
    names: list[str] = []
    if isinstance(node, list):
        for item in node:
            names.extend(_jsonld_people(item))
    elif isinstance(node, dict):
        for key in ("author", "creator", "sourceOrganization", "copyrightHolder"):
            value = node.get(key)
            if isinstance(value, str):
                names.append(value)
            elif isinstance(value, (dict, list)):
                names.extend(
                    v.get("name") for v in (value if isinstance(value, list) else [value])
                    if isinstance(v, dict) and isinstance(v.get("name"), str)
                )
        if "@graph" in node:
            names.extend(_jsonld_people(node["@graph"]))
    return names


def harvest_credits(tree: lxml.html.HtmlElement) -> tuple[Credit, ...]:
    """Every byline, author meta and JSON-LD author of the page, in page order."""
    credits: list[Credit] = []
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").lower()
        if key in _AUTHOR_META and meta.get("content", "").strip():
            credits.append(Credit(meta.get("content").strip(), "author_meta"))
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        credits.extend(Credit(name.strip(), "jsonld") for name in _jsonld_people(data) if name.strip())
    return tuple(dict.fromkeys(credits))
