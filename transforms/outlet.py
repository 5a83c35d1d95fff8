"""Which outlet published an article: given, registry by domain, site name, registered domain."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

import tldextract

from transforms.registry import Registry


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # The public-suffix snapshot bundled with tldextract: never download a list at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def host_of(url: str | None) -> str | None:
    """The lower-cased host of a URL; None when there is none or the URL is invalid ('http://[::1')."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def registered_domain(url: str | None) -> str | None:
    """'https://money.cnn.com/x' -> 'cnn.com'; 'http://news.bbc.co.uk' -> 'bbc.co.uk'."""
    host = host_of(url)
    if not host:
        return None
    parts = _extractor()(host)
    return parts.top_domain_under_public_suffix or None


def resolve_outlet(
    registry: Registry, given: str | None, url: str | None, site_name: str | None
) -> str | None:
    """The outlet's name by the first rule that gives one (see README, 'Outlets')."""
    if given and given.strip():
        return given.strip()
    host = host_of(url)
    if host and (source := registry.source_for_host(host)):
        return source.name
    if site_name and site_name.strip():
        return site_name.strip()
    return registered_domain(url)
