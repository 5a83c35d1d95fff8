"""Configuration in one place: defaults, environment overrides, limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB = Path("warehouse") / "wiretrace.duckdb"
DEFAULT_SEEDS = Path("seeds")
DEFAULT_FEEDS = Path("feeds.yaml")
MANIFEST_NAME = "manifest.csv"


def default_db() -> Path:
    """WIRETRACE_DB overrides the default warehouse path."""
    return Path(os.environ.get("WIRETRACE_DB") or DEFAULT_DB)


def _cache_dir() -> Path:
    """WIRETRACE_CACHE, else wiretrace/ in the user's cache folder (XDG_CACHE_HOME or ~/.cache)."""
    if os.environ.get("WIRETRACE_CACHE"):
        return Path(os.environ["WIRETRACE_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wiretrace"


def _workers() -> int:
    """WIRETRACE_WORKERS, else one per core."""
    return int(os.environ.get("WIRETRACE_WORKERS") or 0) or os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    # Largest input read as an article; a bigger file or page is recorded as a failure.
    max_document_bytes: int = 10_000_000
    # Articles per batch: one Prefect task and one warehouse transaction each.
    batch_size: int = 250
    # Worker processes for extraction and tagging (the machine has 2 cores).
    workers: int = field(default_factory=lambda: _workers())
    # Below this many documents a worker pool costs more than it saves.
    pool_threshold: int = 24
    # Derived files that make start-up faster and can be deleted at any time (the language model).
    cache_dir: Path = field(default_factory=_cache_dir)


SETTINGS = Settings()
