"""robots.txt: what a site allows, read once per site (scheme, host and port) per run.

The rules follow RFC 9309, with the stdlib's `urllib.robotparser` matching paths:
- 2xx: the file's rules, for our product token (the user agent's first word, `wiretrace`);
- 4xx (a missing file included): everything is allowed;
- 5xx, a timeout, a connection error or a refused address: nothing is fetched from the site in this
  run. The RFC asks for it, and it is the safe reading: a server that cannot answer for its robots.txt
  is not asked for more. The page or feed is recorded as failed with the reason, and later runs try
  again (the cache lives for one run only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

# RFC 9309: crawlers must read at least 500 KiB of a robots.txt; what follows is ignored.
MAX_ROBOTS_BYTES = 512_000
DISALLOWED = "disallowed by robots.txt"


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one site. `parser` None with no `unavailable` reason: everything is allowed."""

    parser: RobotFileParser | None = field(default=None, compare=False)
    unavailable: str | None = None  # the reason recorded when robots.txt could not be read

    def refusal(self, url: str, user_agent: str) -> str | None:
        """None when `url` may be fetched, else the reason recorded for it."""
        if self.unavailable:
            return self.unavailable
        if self.parser is not None and not self.parser.can_fetch(user_agent, url):
            return DISALLOWED
        return None


def robots_url(url: str) -> str:
    """The robots.txt that governs `url`: at the root of its scheme, host and port."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], "/robots.txt", "", ""))


def site_of(url: str) -> str:
    """The key robots.txt rules are cached under: scheme://host[:port]."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2].lower()}"


def rules_from_response(status: int, body: bytes) -> RobotsRules:
    """The rules given by a robots.txt response (after redirects)."""
    if 200 <= status < 300:
        parser = RobotFileParser()
        parser.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").splitlines())
        return RobotsRules(parser)
    if 400 <= status < 500:
        return RobotsRules()
    return unavailable(f"HTTP {status}")


def unavailable(why: str) -> RobotsRules:
    """Rules that fetch nothing from the site this run, because its robots.txt could not be read."""
    return RobotsRules(unavailable=f"robots.txt unavailable ({why}): the site is not fetched this run")


class RobotsCache:
    """Rules per site for one run, shared by every fetch of the run."""

    def __init__(self) -> None:
        self.rules: dict[str, RobotsRules] = {}
