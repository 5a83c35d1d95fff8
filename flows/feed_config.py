"""feeds.yaml read from disk; its meaning is parsed in transforms/feeds.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from transforms.feeds import FeedConfig, FeedConfigError, parse_feed_config

# libyaml's loader when PyYAML was built with it: a 1000-feed file in milliseconds, not a second.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_feed_config(path: str | Path) -> FeedConfig:
    """feeds.yaml as a FeedConfig; FeedConfigError (naming the file) when it cannot be used."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError as exc:
        raise FeedConfigError(f"{path}: feeds config not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedConfigError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise FeedConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_feed_config(data)
    except FeedConfigError as exc:
        raise FeedConfigError(f"{path}: {exc}") from exc
