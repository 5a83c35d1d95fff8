"""The items of the real-world feeds (../shared/corpus/feeds/real-world) as articles to tag.

One article per feed item: its title and description as the text (the description's HTML read as
lines, one per block element), its author (`dc:creator`, `author`) as the byline, its pictures'
credits (`media:credit`) as picture credits and the feed's language. Wire credits in feed items
("(AP)", "Reuters in New York", "Photograph: Elise Amendola/AP") are real text from many
publishers; the feed flow itself tags the fetched pages, this is development material for the tagger.
An item is named `<feed file>#<position>` (1-based, in document order).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import feedparser
import lxml.html

FEEDS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feeds" / "real-world"
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote", "tr", "table"}
)


@dataclass(frozen=True)
class FeedItem:
    name: str  # "<feed file>#<position>"
    url: str | None
    language: str | None
    title: str
    description: str
    author: str | None
    picture_credits: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(part for part in (self.title, self.description) if part)


def html_lines(html: str) -> str:
    """A description's words, one line per block element; plain text is kept as it is."""
    if "<" not in html:
        return html.strip()
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return html.strip()
    for bad in root.xpath(".//script | .//style"):
        bad.drop_tree()
    parts: list[str] = []
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        if event == "start":
            if el.tag in _BLOCKS:
                parts.append("\n")
            parts.append(el.text or "")
        else:
            if el.tag in _BLOCKS:
                parts.append("\n")
            if el is not root:
                parts.append(el.tail or "")
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def feed_items(folder: Path = FEEDS) -> list[FeedItem]:
    items = []
    for path in sorted(folder.iterdir()):
        if path.name == "LICENSE" or not path.is_file():
            continue
        parsed = feedparser.parse(path.read_bytes())
        language = (parsed.feed.get("language") or "").split("-")[0].lower() or None
        for position, entry in enumerate(parsed.entries, 1):
            credits = tuple(
                " ".join(c.get("content", "").split())
                for c in entry.get("media_credit", [])
                if isinstance(c, dict) and c.get("content", "").strip()
            )
            items.append(
                FeedItem(
                    name=f"{path.name}#{position}",
                    url=entry.get("link"),
                    language=language,
                    title=" ".join(html_lines(entry.get("title") or "").split()),
                    description=html_lines(entry.get("summary") or ""),
                    author=(entry.get("author") or "").strip() or None,
                    picture_credits=tuple(dict.fromkeys(credits)),
                )
            )
    return items
