"""Alerts after provenance: the rules of feeds.yaml (`alerts:`) over what a run changed.

Each new alert is recorded once in the `alerts` table (its key is stable), emitted once as a Prefect
event (`wiretrace.alert.<kind>`, so automations can route it to Slack or e-mail) and POSTed as JSON to
the webhook when one is configured. A webhook failure is recorded and retried by the next run; nothing
here ever fails the run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NONE
from prefect.events import emit_event
from prefect.exceptions import MissingContextError

from clients.config_files import load_alert_config
from clients.webhook import WebhookError, post_json
from flows.tasks import now
from transforms.alerts import Alert, AlertConfigError, evaluate
from warehouse import alerts as wa


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("wiretrace.alerts")


def emit(alert: Alert) -> None:
    """The alert as a Prefect event: its resource is the alert, labelled with rule, story and article."""
    resource = {"prefect.resource.id": f"wiretrace.alert.{alert.key}", "wiretrace.rule": alert.rule}
    for label, value in (("wiretrace.story", alert.story_id), ("wiretrace.article", alert.article_id),
                         ("wiretrace.feed", alert.feed_url)):  # fmt: skip
        if value:
            resource[label] = value
    emit_event(event=f"wiretrace.alert.{alert.kind}", resource=resource, payload=alert.payload)


def deliver(con: duckdb.DuckDBPyConnection, webhook: str | None) -> dict[str, int]:
    """POST every undelivered alert (new or failed before); without a webhook, the event was the delivery."""
    results: dict[str, str | None] = {}
    for key, payload, _attempts in wa.pending(con):
        if webhook is None:
            results[key] = None
            continue
        try:
            post_json(webhook, payload)
            results[key] = None
        except WebhookError as exc:
            results[key] = str(exc)
    wa.record_deliveries(con, results, now())
    failed = sum(err is not None for err in results.values())
    return {"delivered": len(results) - failed, "failed": failed}


@task(name="check-alerts", cache_policy=NONE)
def check_alerts(
    con: duckdb.DuckDBPyConnection, feeds_file: str | None, run_id: str, loaded_ids: Sequence[str]
) -> dict[str, int]:
    """Evaluate the alert rules on this run's changes, record the new alerts, emit and deliver them."""
    log = _logger()
    try:
        config = load_alert_config(feeds_file)
        if not config.rules:
            return {"new": 0, "delivered": 0, "failed": 0}
        found = evaluate(config, wa.candidates(con, run_id, loaded_ids, now()))
        new_keys = set(wa.record_new(con, found, run_id, now()))
        for alert in found:
            if alert.key in new_keys:
                emit(alert)
        sent = deliver(con, config.webhook)
    except (AlertConfigError, duckdb.Error, OSError) as exc:
        # alerts never fail the run: the warehouse and the feeds are what the run is for
        log.warning("alerts not checked: %s", exc)
        return {"new": 0, "delivered": 0, "failed": 0}
    if new_keys or sent["failed"]:
        log.info(
            "alerts: %d new, %d delivered, %d failed (retried next run)",
            len(new_keys), sent["delivered"], sent["failed"],
        )  # fmt: skip
    return {"new": len(new_keys), **sent}
