"""clients/config_files.py: feeds.yaml and its alert rules read from disk, every error naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients.config_files import ConfigFileError, load_alert_config, load_feed_config, read_yaml
from transforms.alerts import AlertConfigError
from transforms.feeds import FeedConfigError

SHIPPED = Path(__file__).resolve().parents[2] / "feeds.yaml"


def test_the_shipped_file_is_read_with_its_feeds_and_rules() -> None:
    data = read_yaml(SHIPPED)
    assert isinstance(data, dict)
    assert len(load_feed_config(SHIPPED).feeds) == len(data["feeds"])
    assert len(load_alert_config(SHIPPED).rules) == len(data["alerts"]["rules"])


def test_a_file_that_cannot_be_used_is_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds: [\nalerts: {", encoding="utf-8")
    with pytest.raises(ConfigFileError, match=f"{bad}: not valid YAML"):
        read_yaml(bad)
    with pytest.raises(FeedConfigError, match=f"{bad}: not valid YAML"):
        load_feed_config(bad)
    with pytest.raises(AlertConfigError, match=f"{bad}: not valid YAML"):
        load_alert_config(bad)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00feeds")
    with pytest.raises(FeedConfigError, match=f"{binary}: cannot read"):
        load_feed_config(binary)
    with pytest.raises(FeedConfigError, match="not found"):
        load_feed_config(tmp_path / "missing.yaml")


def test_alert_rules_are_optional_and_their_errors_name_the_file(tmp_path: Path) -> None:
    assert load_alert_config(None).rules == ()
    assert load_alert_config(tmp_path / "missing.yaml").rules == ()
    no_alerts = tmp_path / "feeds.yaml"
    no_alerts.write_text("feeds: []\n", encoding="utf-8")
    assert load_alert_config(no_alerts).rules == ()
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("alerts:\n  rules:\n    - {name: x, when: never}\n", encoding="utf-8")
    with pytest.raises(AlertConfigError, match=f"{wrong}: alerts.rules"):
        load_alert_config(wrong)
