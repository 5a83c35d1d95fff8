"""What a run did, in one vocabulary: the counts each part of a run returns, the terminal prints,
the Prefect artifacts show and the `runs` table stores.

Inputs (seed files, stored articles re-tagged) and feeds are counted apart: a feed that failed is
not an input that failed, and a page fetched from a feed is counted as a page, not as an input.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from warehouse.summary import plural


@dataclass(frozen=True)
class _Addable:
    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass(frozen=True)
class InputCounts(_Addable):
    """Seed files read, or stored articles re-tagged from their raw bytes."""

    inputs: int = 0  # files (or stored articles) looked at
    new: int = 0  # articles added
    updated: int = 0  # articles rewritten (the input or the transforms changed)
    unchanged: int = 0  # skipped: same bytes, same transforms
    failed: int = 0  # inputs recorded in ingest_failures this run
    duplicate: int = 0  # the same article as another input (same canonical URL): recorded, not loaded
    loaded: tuple[str, ...] = ()  # article ids written, for provenance

    def describe(self) -> str:
        """'5 inputs, 5 new, 0 updated, 0 unchanged, 0 failed' (and duplicates, when there are)."""
        text = (
            f"{plural(self.inputs, 'input')}, {self.new} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed"
        )
        return text + (f", {plural(self.duplicate, 'duplicate')}" if self.duplicate else "")


@dataclass(frozen=True)
class FeedCounts(_Addable):
    """Feeds polled and the pages fetched from their new entries."""

    feeds_polled: int = 0
    feeds_not_modified: int = 0  # 304, or the same body as last time
    feeds_failed: int = 0
    entries_new: int = 0  # entries never seen before
    pages_fetched: int = 0  # pages requested (new entries, and failed ones retried)
    pages_failed: int = 0  # fetch or extraction failed
    pages_duplicate: int = 0  # already known under their canonical URL
    pages_matched: int = 0  # matched a topic: loaded as articles
    pages_unmatched: int = 0  # matched no topic: recorded, not loaded
    new: int = 0  # articles added from pages
    updated: int = 0  # articles rewritten from pages
    loaded: tuple[str, ...] = ()  # article ids written, for provenance

    def describe(self) -> str:
        """'12 polled, 0 not modified, 12 failed; 0 new entries, 0 pages fetched, ...'."""
        return (
            f"{self.feeds_polled} polled, {self.feeds_not_modified} not modified, "
            f"{self.feeds_failed} failed; "
            f"{plural(self.entries_new, 'new entry', 'new entries')}, "
            f"{plural(self.pages_fetched, 'page')} fetched, {self.pages_failed} failed, "
            f"{self.pages_duplicate} already known, {self.pages_matched} matched a topic; "
            f"{self.new} new and {self.updated} updated articles"
        )
