"""The configuration files read from disk: feeds.yaml's feeds and topics, and its alert rules.

This module only reads and parses YAML; what the values mean (and what is wrong with them) is
decided in transforms/feeds.py and transforms/alerts.py. Every error names the file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from transforms.alerts import AlertConfig, AlertConfigError, parse_alert_config
from transforms.feeds import FeedConfig, FeedConfigError, parse_feed_config

# libyaml's loader when PyYAML was built with it: a 1000-feed file in milliseconds, not a second.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigFileError(ValueError):
    """A configuration file cannot be read or is not YAML; the message names the file."""


def read_yaml(path: str | Path) -> object:
    """The parsed YAML of the file at `path` (None when it is empty); ConfigFileError when it is
    missing, unreadable or not valid YAML."""
    path = Path(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError as exc:
        raise ConfigFileError(f"{path}: not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path}: not valid YAML: {exc}") from exc


def load_feed_config(path: str | Path) -> FeedConfig:
    """feeds.yaml as a FeedConfig; FeedConfigError (naming the file) when it cannot be used."""
    try:
        data = read_yaml(path)
    except ConfigFileError as exc:
        raise FeedConfigError(f"feeds config {exc}") from exc
    try:
        return parse_feed_config(data)
    except FeedConfigError as exc:
        raise FeedConfigError(f"{path}: {exc}") from exc


def load_alert_config(feeds_file: str | Path | None) -> AlertConfig:
    """The `alerts:` section of the feeds file (no file: no rules); AlertConfigError (naming the
    file) when it cannot be used."""
    if not feeds_file or not Path(feeds_file).is_file():
        return AlertConfig()
    try:
        data = read_yaml(feeds_file)
        return parse_alert_config(data.get("alerts") if isinstance(data, dict) else None)
    except ConfigFileError as exc:
        raise AlertConfigError(f"feeds config {exc}") from exc
    except AlertConfigError as exc:
        raise AlertConfigError(f"{feeds_file}: {exc}") from exc
