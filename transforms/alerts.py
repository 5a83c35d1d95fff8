"""Alert rules (feeds.yaml `alerts:`) and the alerts they raise: pure functions over small records.

A rule names one kind of event. The warehouse finds the candidate events of a run (warehouse/alerts.py);
here each becomes an Alert with a stable key, so the same event never alerts twice, whichever run
sees it again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from transforms.urls import is_http_url

KINDS = {
    "story_article": "a new article in a tracked story",
    "uncredited_copy": "uncredited agency copy found",
    "new_outlet": "a new outlet picked up the story",
    "feed_failing": "a feed failing for a while (default 24h)",
}
DEFAULT_FAILING_FOR = timedelta(hours=24)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "h": 3600, "d": 86400}


class AlertConfigError(ValueError):
    """The `alerts:` section cannot be used; the message names the rule and what is wrong."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    kind: str  # one of KINDS
    topics: tuple[str, ...] = ()  # story_article/new_outlet: stories with an article of these topics
    stories: tuple[str, ...] = ()  # story_article/new_outlet: these story ids (or id prefixes)
    agencies: tuple[str, ...] = ()  # uncredited_copy: only these agencies
    failing_for: timedelta = DEFAULT_FAILING_FOR  # feed_failing: how long a feed has failed


@dataclass(frozen=True, slots=True)
class AlertConfig:
    rules: tuple[AlertRule, ...] = ()
    webhook: str | None = None  # JSON POST target; Prefect events are emitted either way


@dataclass(frozen=True, slots=True)
class Candidate:
    """One event the warehouse found for a rule's kind (rows of warehouse/alerts.py)."""

    kind: str
    story_id: str | None = None
    story_label: str | None = None
    story_topics: tuple[str, ...] = ()
    article_id: str | None = None
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    agency: str | None = None
    copied_chars: int | None = None
    feed_url: str | None = None
    failing_since: str | None = None  # ISO 8601
    failing_seconds: float = 0.0  # how long the feed has been failing
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    rule: str
    kind: str
    subject: str
    payload: dict = field(hash=False)
    story_id: str | None = None
    article_id: str | None = None
    feed_url: str | None = None

    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True)


def _names(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AlertConfigError(f"{where}: expected a name or a list of names, got {value!r}")
    return tuple(v.strip() for v in value)


def _failing_for(value: object, where: str) -> timedelta:
    if value is None:
        return DEFAULT_FAILING_FOR
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])
    raise AlertConfigError(f"{where}: {value!r} is not a duration; write e.g. 24h, 90m or 2d")


_RULE_KEYS = {"name", "when", "topics", "stories", "agencies", "for"}


def parse_alert_config(data: object) -> AlertConfig:
    """The parsed YAML of feeds.yaml's `alerts:` section; AlertConfigError says what is wrong and where."""
    if data is None:
        return AlertConfig()
    if not isinstance(data, Mapping):
        raise AlertConfigError("alerts: expected a mapping with 'rules:' and an optional 'webhook:'")
    unknown = set(data) - {"rules", "webhook"}
    if unknown:
        raise AlertConfigError(f"alerts: unknown key(s) {sorted(unknown)}; allowed: rules, webhook")
    webhook = data.get("webhook")
    if webhook is not None and not (isinstance(webhook, str) and is_http_url(webhook.strip())):
        raise AlertConfigError(f"alerts.webhook: must be an http(s) URL, got {webhook!r}")
    raw = data.get("rules") or []
    if not isinstance(raw, list):
        raise AlertConfigError("alerts.rules: expected a list of rules")
    rules = []
    for i, item in enumerate(raw):
        where = f"alerts.rules[{i}]"
        if not isinstance(item, Mapping):
            raise AlertConfigError(f"{where}: expected a mapping with name and when; got {item!r}")
        if unknown := set(item) - _RULE_KEYS:
            raise AlertConfigError(
                f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}"
            )
        name, kind = item.get("name"), item.get("when")
        if not isinstance(name, str) or not name.strip():
            raise AlertConfigError(f"{where}: name must be a non-empty string")
        where = f"{where} ({name})"
        if kind not in KINDS:
            raise AlertConfigError(f"{where}: when must be one of {', '.join(KINDS)}; got {kind!r}")
        rules.append(
            AlertRule(
                name=name.strip(),
                kind=kind,
                topics=_names(item.get("topics"), f"{where} topics"),
                stories=_names(item.get("stories"), f"{where} stories"),
                agencies=_names(item.get("agencies"), f"{where} agencies"),
                failing_for=_failing_for(item.get("for"), f"{where} for"),
            )
        )
    names = [r.name for r in rules]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise AlertConfigError(f"alerts: rule name listed twice: {', '.join(dupes)}")
    return AlertConfig(tuple(rules), webhook.strip() if webhook else None)


def _tracks(rule: AlertRule, c: Candidate) -> bool:
    """Does the rule follow this candidate's story? (no topics and no stories: every story)"""
    if not rule.topics and not rule.stories:
        return True
    by_topic = bool(set(rule.topics) & set(c.story_topics))
    by_id = any(c.story_id and c.story_id.removeprefix("story-").startswith(s.removeprefix("story-"))
                for s in rule.stories)  # fmt: skip
    return by_topic or by_id


def _key(rule: AlertRule, *parts: object) -> str:
    # Stable across runs and processes: the same event gives the same key, so it alerts once.
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]
    return f"{rule.name}:{rule.kind}:{digest}"


def _outlet(value: str | None) -> str:
    return value or "(unknown)"


def alerts_for(rule: AlertRule, candidates: list[Candidate]) -> list[Alert]:
    """The alerts one rule raises from the candidate events of its kind."""
    out = []
    for c in candidates:
        if c.kind != rule.kind:
            continue
        if rule.kind == "story_article" and _tracks(rule, c):
            key = _key(rule, c.story_id, c.article_id)
            subject = f"New article in story {c.story_label!r}: {c.title!r} ({_outlet(c.outlet)})"
        elif rule.kind == "new_outlet" and _tracks(rule, c):
            key = _key(rule, c.story_id, c.outlet)
            subject = f"{_outlet(c.outlet)} picked up story {c.story_label!r}: {c.title!r}"
        elif rule.kind == "uncredited_copy" and (not rule.agencies or c.agency in rule.agencies):
            key = _key(rule, c.article_id, c.agency)
            subject = (
                f"Uncredited {c.agency} copy: {c.title!r} ({_outlet(c.outlet)}) pastes {c.copied_chars} "
                f"characters of {c.agency} copy without crediting {c.agency}"
            )
        elif rule.kind == "feed_failing" and c.failing_seconds >= rule.failing_for.total_seconds():
            key = _key(rule, c.feed_url, c.failing_since)
            subject = f"Feed failing since {c.failing_since}: {c.feed_url} ({c.reason})"
        else:
            continue
        payload = {
            "source": "wiretrace",
            "rule": rule.name,
            "kind": rule.kind,
            "what": KINDS[rule.kind],
            "key": key,
            "subject": subject,
            **{k: v for k, v in _candidate_fields(c).items() if v not in (None, ())},
        }
        out.append(Alert(key, rule.name, rule.kind, subject, payload, c.story_id, c.article_id, c.feed_url))
    return out


def _candidate_fields(c: Candidate) -> dict:
    return {
        "story_id": c.story_id,
        "story": c.story_label,
        "article_id": c.article_id,
        "title": c.title,
        "outlet": _outlet(c.outlet) if c.article_id else None,
        "url": c.url,
        "agency": c.agency,
        "copied_chars": c.copied_chars,
        "feed_url": c.feed_url,
        "failing_since": c.failing_since,
        "reason": c.reason,
    }


def evaluate(config: AlertConfig, candidates: list[Candidate]) -> list[Alert]:
    """Every alert of every rule, once per key (two rules may name one event: each alerts)."""
    seen: dict[str, Alert] = {}
    for rule in config.rules:
        for alert in alerts_for(rule, candidates):
            seen.setdefault(alert.key, alert)
    return list(seen.values())
