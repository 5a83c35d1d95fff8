"""Alert rules and the alerts they raise: transforms/alerts.py on its own."""

from __future__ import annotations

import pytest

from transforms.alerts import AlertConfigError, Candidate, evaluate, parse_alert_config


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"rules": [{"name": "x", "when": "sometimes"}]}, "when must be one of"),
        ({"rules": [{"name": "x", "when": "feed_failing", "for": 24}]}, "not a duration"),
        ({"rules": [{"when": "story_article"}]}, "name must be"),
        ({"rules": [{"name": "x", "when": "new_outlet", "colour": "red"}]}, "unknown key"),
        ({"webhook": "ftp://example.org/hook", "rules": []}, "http(s) URL"),
        ({"rules": [{"name": "x", "when": "story_article"}, {"name": "x", "when": "new_outlet"}]}, "twice"),
    ],
)
def test_bad_alert_rules_are_named(section: dict, message: str) -> None:
    with pytest.raises(AlertConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_alert_config(section)


def test_each_event_gets_one_stable_key_and_rules_filter_what_they_follow() -> None:
    config = parse_alert_config(
        {
            "rules": [
                {"name": "wechat", "when": "story_article", "topics": ["russia-wechat-block"]},
                {"name": "afp", "when": "uncredited_copy", "agencies": ["AFP"]},
                {"name": "down", "when": "feed_failing", "for": "24h"},
            ]
        }
    )
    tracked = Candidate("story_article", "story-1", "Story", ("russia-wechat-block",), "a1", "T", None, None)
    other = Candidate("story_article", "story-2", "Other", ("elections",), "a2", "T2", "X", None)
    reuters = Candidate("uncredited_copy", article_id="a3", agency="Reuters", copied_chars=300)
    afp = Candidate("uncredited_copy", article_id="a3", agency="AFP", copied_chars=300, title="Copy")
    young = Candidate("feed_failing", feed_url="https://f/rss", failing_since="s", failing_seconds=3600.0)
    old = Candidate("feed_failing", feed_url="https://g/rss", failing_since="s", failing_seconds=90000.0)
    alerts = evaluate(config, [tracked, other, reuters, afp, young, old])
    assert [(a.rule, a.article_id or a.feed_url) for a in alerts] == [
        ("wechat", "a1"),
        ("afp", "a3"),
        ("down", "https://g/rss"),
    ]
    again = evaluate(config, [tracked, afp, old])
    assert [a.key for a in again] == [a.key for a in alerts]  # the same event, the same key
    assert alerts[0].payload["outlet"] == "(unknown)" and "Story" in alerts[0].subject
