"""manifest.csv: what a seed file itself lacks (url, outlet, published), by file name."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

COLUMNS = ("file", "url", "outlet", "published")


class ManifestError(ValueError):
    """The manifest cannot be read; the message says which line and why."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    file: str  # relative to the manifest's folder
    url: str | None = None
    outlet: str | None = None
    published: str | None = None


def parse_manifest(text: str) -> dict[str, ManifestEntry]:
    """Entries keyed by normalised relative path ('a/b.txt'); only the `file` column is required."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "file" not in header:
        raise ManifestError(f"manifest needs a header row with a 'file' column, found {reader.fieldnames!r}")
    unknown = set(header) - set(COLUMNS)
    if unknown:
        raise ManifestError(f"manifest has unknown columns {sorted(unknown)}; allowed: {', '.join(COLUMNS)}")
    reader.fieldnames = header
    entries: dict[str, ManifestEntry] = {}
    for line_no, row in enumerate(reader, start=2):
        name = (row.get("file") or "").strip().replace("\\", "/").removeprefix("./")
        if not name:
            raise ManifestError(f"manifest line {line_no}: empty 'file'")
        if name in entries:
            raise ManifestError(f"manifest line {line_no}: {name!r} is listed twice")
        entries[name] = ManifestEntry(
            file=name,
            **{k: (row.get(k) or "").strip() or None for k in ("url", "outlet", "published")},
        )
    return entries
