"""Canonical URLs: one spelling per page, so an article reached by two links is loaded once.

Pure functions. The tracking parameters dropped are listed in `transforms/data/tracking_params.yaml`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from transforms.outlet import registered_domain
from transforms.registry import DATA_DIR, read_data_file

TRACKING_FILE = DATA_DIR / "tracking_params.yaml"
HTTP_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are when re-quoting a path: reserved ones keep their meaning, and
# "%" keeps existing escapes, so quoting an already canonical path changes nothing.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


@dataclass(frozen=True, slots=True)
class TrackingParams:
    names: frozenset[str]
    prefixes: tuple[str, ...]

    def is_tracking(self, name: str) -> bool:
        low = name.lower()
        return low in self.names or low.startswith(self.prefixes)


def parse_tracking_params(data: dict) -> TrackingParams:
    """The parsed data file as TrackingParams (ValueError when it is not of the expected form)."""
    if not isinstance(data, dict):
        raise ValueError("tracking params file must be a mapping with 'names' and 'prefixes'")
    names = data.get("names") or []
    prefixes = data.get("prefixes") or []
    if not all(isinstance(x, str) and x for x in [*names, *prefixes]):
        raise ValueError("tracking params: 'names' and 'prefixes' must be lists of non-empty strings")
    return TrackingParams(frozenset(n.lower() for n in names), tuple(p.lower() for p in prefixes))


@functools.cache
def load_tracking_params(path: Path = TRACKING_FILE) -> TrackingParams:
    return parse_tracking_params(read_data_file(path))


def is_http_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host: the only kind wiretrace fetches."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)


def strip_credentials(url: str) -> str:
    """The URL without `user:password@`: credentials in a feed's link are never sent nor stored.

    Anything that is not a parseable URL is returned as it is (callers refuse it elsewhere).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def canonicalize_url(url: str, base: str | None = None, tracking: TrackingParams | None = None) -> str | None:
    """The canonical spelling of an http(s) URL; None when it is not one (mailto:, ftp:, garbage).

    Lower-case scheme and host, no default port, no fragment, no tracking parameters (the others keep
    their order: some sites' ids depend on it), an empty path as "/", unsafe characters %-escaped.
    A relative `url` is resolved against `base` first.
    """
    tracking = tracking or load_tracking_params()
    url = (url or "").strip()
    if not url:
        return None
    try:
        if base:
            url = urljoin(base, url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname  # already lower-cased by urlsplit
        port = parts.port
    except ValueError:  # an invalid port or an unbalanced IPv6 bracket
        return None
    if scheme not in HTTP_SCHEMES or not host:
        return None
    host = host.rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    # user:password@ is left out: it never identifies an article and must not be stored.
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not tracking.is_tracking(k)]
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


# Linear time on any page: a tag ends at the next "<" too (a run of "<link" without ">" is not rescanned
# from each one), and an attribute name starts only where a name starts (not inside a long one).
_LINK_TAG = re.compile(r"<link\b[^<>]*>", re.IGNORECASE)
_ATTR = re.compile(
    r"""(?<![-a-zA-Z0-9_:.])([a-zA-Z_:][-a-zA-Z0-9_:.]*+)\s*+=\s*+("[^"]*"|'[^']*'|[^\s"'>]++)"""
)
_HEAD_END = re.compile(r"</head\s*>|<body\b", re.IGNORECASE)


def find_canonical_link(html: str) -> str | None:
    """The href of the page's `<link rel="canonical">` (as written, maybe relative), else None.

    Only the head is searched: a canonical link in the body is not the page's own.
    """
    end = _HEAD_END.search(html)
    head = html[: end.start()] if end else html[:200_000]
    for tag in _LINK_TAG.finditer(head):
        attrs = {k.lower(): unescape(v.strip("\"'")) for k, v in _ATTR.findall(tag.group(0))}
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href", "").strip():
            return attrs["href"].strip()
    return None


def choose_canonical(
    final_url: str, canonical_href: str | None, tracking: TrackingParams | None = None
) -> str:
    """The page's canonical URL: its `rel=canonical` when it is trustworthy, else the final URL.

    A canonical link is ignored when it points to another registered domain (syndicated agency copy
    often names the agency's page: the outlet that carried it must stay a separate article) or to a
    site's front page while the page itself is not one (a common template bug).
    """
    final = canonicalize_url(final_url, tracking=tracking) or final_url
    if not canonical_href:
        return final
    candidate = canonicalize_url(canonical_href, base=final, tracking=tracking)
    if candidate is None or registered_domain(candidate) != registered_domain(final):
        return final
    if urlsplit(candidate).path in ("", "/") and urlsplit(final).path not in ("", "/"):
        return final
    return candidate
