"""Webhook delivery: one JSON POST per alert, only to addresses fetching may reach.

The webhook URL comes from feeds.yaml, so it gets the project's fetch rules: http(s) only, and a
host that resolves to a loopback, private, link-local or otherwise non-public address is refused
unless WIRETRACE_ALLOW_PRIVATE_NETWORKS=1 (tests, a hook on the same machine). Redirects are not
followed, so a public hook cannot bounce the POST to an internal address.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from clients.guard import refusal
from settings import USER_AGENT, allow_private_networks

TIMEOUT = 10.0  # seconds for one POST


class WebhookError(Exception):
    """The alert was not delivered; the message says why (it is recorded and retried next run)."""


def check_url(url: str) -> None:
    """WebhookError unless `url` is http(s) to a host whose every address fetching may reach."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"webhook {url!r}: only http(s) URLs are allowed")
    if allow_private_networks():
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookError(f"webhook {url}: cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        if reason := refusal(str(info[4][0])):
            raise WebhookError(
                f"webhook {url}: {reason}, not a public address (WIRETRACE_ALLOW_PRIVATE_NETWORKS=1)"
            )


def post_json(url: str, body: str, client: httpx.Client | None = None) -> None:
    """POST `body` (JSON text) to `url`; WebhookError when it is refused or not answered with 2xx."""
    check_url(url)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    try:
        if client is None:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as own:
                response = own.post(url, content=body.encode("utf-8"), headers=headers)
        else:
            response = client.post(url, content=body.encode("utf-8"), headers=headers)
    except httpx.HTTPError as exc:
        raise WebhookError(f"webhook {url}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookError(f"webhook {url}: HTTP {response.status_code}")
