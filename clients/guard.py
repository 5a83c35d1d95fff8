"""Where fetching may connect: public addresses only, checked after DNS and connected to as checked.

A feed can name any host, and a redirect can send us anywhere; a host name can resolve to 127.0.0.1 or
to a cloud metadata address. So the check is made on the resolved address, inside the connection
step itself: every redirect hop opens its connections here, and the socket goes to the very address
that was checked, leaving DNS no second answer to give (no rebinding window). The URL keeps its host
name, so the Host header and TLS SNI and certificate checks are those of the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import httpcore

# Checked in this order: the first label that applies is the one reported.
_KINDS = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_private", "a private"),
    ("is_reserved", "a reserved"),
)


class AddressRefused(Exception):
    """Every address of a host is one that fetching may not reach."""


def refusal(address: str) -> str | None:
    """Why `address` (an IP literal) may not be fetched from, or None when it is a public address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        else:
            # 6to4 and Teredo carry an IPv4 address that a relay may deliver to: a private one is
            # refused whatever the IPv6 address itself is.
            tunnels = (("6to4", ip.sixtofour), ("Teredo", ip.teredo[1] if ip.teredo else None))
            for kind, inner in tunnels:
                if inner is not None and (why := _why_not_public(inner)):
                    return f"{address} is a {kind} address of {inner}, {why}"
    why = _why_not_public(ip)
    return f"{address} is {why}" if why else None


def _why_not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    for attribute, label in _KINDS:
        if getattr(ip, attribute):
            return f"{label} address"
    return None if ip.is_global else "not a public address"


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of `host` (an IP literal gives itself), in the resolver's order."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses that pass `refusal`.

    With `allow_private` (WIRETRACE_ALLOW_PRIVATE_NETWORKS=1, for tests and local feeds) every address
    is allowed.
    """

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        reasons = {a: None if self.allow_private else refusal(a) for a in addresses}
        allowed = [a for a, reason in reasons.items() if reason is None]
        if not allowed:
            why = "; ".join(r for r in reasons.values() if r) or "no address"
            name = "" if host.strip("[]") in reasons else f"{host}: "  # a name, not an IP literal
            raise AddressRefused(f"refused: {name}{why} (WIRETRACE_ALLOW_PRIVATE_NETWORKS=1 allows it)")
        error: Exception | None = None
        for address in allowed:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("refused: unix sockets are never fetched from")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
