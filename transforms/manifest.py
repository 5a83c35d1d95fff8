"""manifest.csv: what a seed file itself lacks (url, outlet, published), by file name."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import PurePosixPath

from transforms.urls import canonicalize_url

COLUMNS = ("file", "url", "outlet", "published")
# Longest value of a field: a URL or an outlet name is far shorter; more is a broken row.
MAX_FIELD = 4096


class ManifestError(ValueError):
    """The manifest cannot be read; the message says which line and why."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    file: str  # relative to the manifest's folder
    url: str | None = None
    outlet: str | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One manifest row that cannot be used; the other rows still apply."""

    line: int
    reason: str  # 'manifest line 3: ...'


def _row_problem(name: str, row: dict, line_no: int, entries: dict) -> str | None:
    if not name:
        return "empty 'file'"
    if name in entries:
        return f"{name!r} is listed twice"
    if name.startswith("/") or PurePosixPath(name).is_absolute() or (len(name) > 1 and name[1] == ":"):
        return f"{name[:200]!r} is an absolute path; 'file' must be relative to the manifest's folder"
    if ".." in PurePosixPath(name).parts:
        return f"{name[:200]!r} leaves the manifest's folder ('..')"
    for key, value in row.items():
        if isinstance(value, str) and len(value) > MAX_FIELD:
            return f"{key!r} is {len(value):,} characters long (the limit is {MAX_FIELD:,})"
    url = (row.get("url") or "").strip()
    if url and canonicalize_url(url) is None:
        return f"{url[:200]!r} is not a valid http(s) URL"
    return None


def parse_manifest_rows(text: str) -> tuple[dict[str, ManifestEntry], list[RowProblem]]:
    """Entries keyed by normalised relative path ('a/b.txt'), and the rows that cannot be used.

    Only a manifest without a usable header raises ManifestError: a bad row never hides the others.
    """
    previous = csv.field_size_limit()
    # A field over csv's limit would stop the reader at that row; read it whole and refuse it below.
    csv.field_size_limit(max(previous, len(text) + 1))
    try:
        return _parse(text)
    except csv.Error as exc:
        raise ManifestError(f"manifest is not valid CSV: {exc}") from exc
    finally:
        csv.field_size_limit(previous)


def _parse(text: str) -> tuple[dict[str, ManifestEntry], list[RowProblem]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "file" not in header:
        shown = repr(reader.fieldnames)[:200]
        raise ManifestError(f"manifest needs a header row with a 'file' column, found {shown}")
    unknown = set(header) - set(COLUMNS)
    if unknown:
        shown = [u[:50] for u in sorted(unknown)]
        raise ManifestError(f"manifest has unknown columns {shown}; allowed: {', '.join(COLUMNS)}")
    reader.fieldnames = header
    entries: dict[str, ManifestEntry] = {}
    problems: list[RowProblem] = []
    for row in reader:
        line_no = reader.line_num
        row.pop(None, None)  # values past the header's columns
        name = (row.get("file") or "").strip().replace("\\", "/").removeprefix("./")
        if problem := _row_problem(name, row, line_no, entries):
            problems.append(RowProblem(line_no, f"manifest line {line_no}: {problem}"))
            continue
        entries[name] = ManifestEntry(
            file=name,
            **{k: (row.get(k) or "").strip() or None for k in ("url", "outlet", "published")},
        )
    return entries, problems


def parse_manifest(text: str) -> dict[str, ManifestEntry]:
    """Entries keyed by normalised relative path; ManifestError at the first row that cannot be used."""
    entries, problems = parse_manifest_rows(text)
    if problems:
        raise ManifestError(problems[0].reason)
    return entries
