"""Webhook delivery: one JSON POST per alert, only to addresses fetching may reach.

The webhook URL comes from feeds.yaml, so it gets the project's fetch rules: http(s) only, and a
host that resolves to a loopback, private, link-local or otherwise non-public address is refused
unless WIRETRACE_ALLOW_PRIVATE_NETWORKS=1 (tests, a hook on the same machine). Redirects are not
followed, so a public hook cannot bounce the POST to an internal address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpcore
import httpx

from clients.fetch import run_async
from clients.guard import AddressRefused, GuardedBackend
from settings import USER_AGENT, allow_private_networks

TIMEOUT = 10.0  # seconds for one POST


class WebhookError(Exception):
    """The alert was not delivered; the message says why (it is recorded and retried next run)."""


def post_json(url: str, body: str) -> None:
    """POST `body` (JSON text) to `url`; WebhookError when it is refused or not answered with 2xx.

    The connection goes through the fetch guard's network backend, so the address checked is the one
    connected to (no DNS rebinding window between the check and the POST).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"webhook {url!r}: only http(s) URLs are allowed")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    timeouts = {"connect": TIMEOUT, "read": TIMEOUT, "write": TIMEOUT, "pool": TIMEOUT}

    async def post() -> int:
        async with httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=GuardedBackend(allow_private_networks()),
        ) as pool:
            response = await pool.request(
                "POST", url, headers=headers, content=body.encode("utf-8"), extensions={"timeout": timeouts}
            )
            return response.status

    try:
        status = run_async(post)
    except AddressRefused as exc:
        raise WebhookError(f"webhook {url}: {exc}: not a public address") from exc
    except (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError) as exc:
        raise WebhookError(f"webhook {url}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise WebhookError(f"webhook {url}: HTTP {status}")
