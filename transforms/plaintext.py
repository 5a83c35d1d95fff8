"""Plain-text articles to Article records: our own cleaner.

Plain text copied from news pages keeps the page's furniture as lines: a title,
byline and date (sometimes run together on one line), breadcrumbs, image alt
text, photo captions, share and comment boilerplate, widgets of unrelated items
after the article. The patterns that recognise them live in
`data/boilerplate.yaml`; captions and credit lines removed from the body are
kept as `Credit`s because they are often the only sign of agency copy.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from transforms.dates import normalize_date
from transforms.records import Article, Credit
from transforms.registry import DATA_DIR, read_data_file

# Invisible and exotic spaces that copy-paste leaves behind.
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_MULTISPACE = re.compile(r" {2,}")
_SENTENCE_END = re.compile(r"[.!?…\"”’')\]]$")


@dataclass(frozen=True)
class _Patterns:
    run_together_header: tuple[re.Pattern[str], ...]
    byline: tuple[re.Pattern[str], ...]
    date_line: tuple[re.Pattern[str], ...]
    breadcrumb: tuple[re.Pattern[str], ...]
    drop_line: tuple[re.Pattern[str], ...]
    cut_from: tuple[re.Pattern[str], ...]
    caption: tuple[re.Pattern[str], ...]
    credit_line: tuple[re.Pattern[str], ...]


@functools.cache
def _patterns() -> _Patterns:
    data = read_data_file(DATA_DIR / "boilerplate.yaml")
    return _Patterns(**{key: tuple(re.compile(p) for p in data[key]) for key in _Patterns.__annotations__})


def _match(patterns: tuple[re.Pattern[str], ...], line: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = pattern.match(line) if pattern.pattern.startswith(("^", "(?i)^")) else pattern.search(line)
        if found:
            return found
    return None


def _normalize_line(line: str) -> str:
    line = _INVISIBLE.sub("", line)
    return _MULTISPACE.sub(" ", _SPACES.sub(" ", line)).strip()


def _units(text: str) -> list[str]:
    """Non-empty lines; lines of a hard-wrapped block are joined into one paragraph."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [ln for ln in (_normalize_line(x) for x in block.split("\n")) if ln]
        wrapped = (
            len(lines) >= 3
            and sum(45 <= len(ln) <= 90 for ln in lines[:-1]) >= 0.8 * (len(lines) - 1)
            and not any(_SENTENCE_END.search(ln) for ln in lines[:-1][:1])
        )
        units.extend([" ".join(lines)] if wrapped else lines)
    return units


def _is_paragraph(line: str) -> bool:
    words = len(line.split())
    return words >= 20 or (words >= 8 and bool(_SENTENCE_END.search(line)))


def _same_title(line: str, title: str | None) -> bool:
    return title is not None and line.casefold() == title.casefold()


# A widget heading cuts off the rest only near the end: when the text after it is at most this share
# of the text before it. Further up, the same words are a subheading, and the article goes on.
_NEAR_END = 0.5


def _ends_article(before: list[str], after: list[str]) -> bool:
    """Whether a widget heading ends the article: what follows is a widget (mostly short lines that
    are not paragraphs: headlines, links) or the last part of the body. Never cuts off most of it."""
    if sum(not _is_paragraph(line) for line in after) * 2 >= len(after):
        return True
    return sum(map(len, after)) <= _NEAR_END * sum(map(len, before))


def clean_plaintext(text: str) -> Article:
    """Title, byline, date and main text of one plain-text article.

    Text before the first paragraph is the header (title, byline, date, breadcrumbs,
    alt text); after it comes the body, where boilerplate lines are dropped and a
    widget heading near the end (or before a list of headlines) cuts off everything after it.
    """
    pats = _patterns()
    units = _units(text)
    title = byline = published = None
    credits: list[Credit] = []

    if units and (head := _match(pats.run_together_header, units[0])):
        title, byline = head["title"].strip(), head["byline"].strip()
        published = normalize_date(head["date"])
        units[0] = head["rest"].strip()

    body_start = next(
        (i for i, u in enumerate(units) if _is_paragraph(u) and not _match(pats.caption, u)), None
    )
    header, body = (
        (units[:body_start], units[body_start:]) if body_start is not None else (units[:1], units[1:])
    )

    for line in header:
        if _match(pats.caption, line):
            credits.append(Credit(line, "caption"))
        elif _match(pats.credit_line, line):
            credits.append(Credit(line, "credit_line"))
        elif _match(pats.drop_line, line) or (_match(pats.breadcrumb, line) and title is None):
            continue
        elif date := _match(pats.date_line, line):
            published = published or normalize_date(date.groupdict().get("date") or line)
        elif by := _match(pats.byline, line):
            byline = byline or by["byline"].strip()
            if by.groupdict().get("date"):
                published = published or normalize_date(by["date"])
        elif title is None:
            title = line
        # Other short header lines (alt text, kickers, a repeated title) are not article text.

    kept: list[str] = []
    for i, line in enumerate(body):
        # A widget heading only counts after some article text: "Related" can open a story too.
        if len(line.split()) <= 6 and len(kept) >= 3 and _match(pats.cut_from, line):
            if _ends_article(kept, body[i + 1 :]):
                break
            kept.append(line)  # a subheading inside the article ("More on the footage"): kept as text
            continue
        if _match(pats.caption, line):
            credits.append(Credit(line, "caption"))
        elif _match(pats.credit_line, line) and len(line.split()) <= 20:
            credits.append(Credit(line, "credit_line"))
        elif not (_match(pats.drop_line, line) or _same_title(line, title)):
            kept.append(line)

    return Article(
        text="\n\n".join(kept),
        title=title,
        byline=byline,
        published=published,
        credits=tuple(credits),
    )
