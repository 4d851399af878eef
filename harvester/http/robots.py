"""robots.txt, read as RFC 9309 says: 2xx rules apply, 4xx means everything is allowed, 5xx or no answer
means nothing is (until the portal answers again). Rules are kept per origin for an hour, shared by the process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from harvester.errors import JobStopped

#: the product token our User-Agent starts with; robots.txt groups name it (or '*')
ROBOTS_AGENT = "harvester"
RULES_TTL = 3600.0
UNREACHABLE_TTL = 300.0
MAX_CRAWL_DELAY = 60.0

#: fetches a robots.txt URL: (HTTP status, body text); raises on a network error
Fetch = Callable[[str], tuple[int, str]]


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one origin; ``parser`` None means "allow all" (allow True) or "deny all" (allow False)."""

    parser: RobotFileParser | None
    allow: bool
    reason: str

    def can_fetch(self, url: str) -> bool:
        if self.parser is None:
            return self.allow
        return self.parser.can_fetch(ROBOTS_AGENT, url)

    def crawl_delay(self) -> float:
        """The Crawl-delay asked of us (capped at a minute), or 0."""
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(ROBOTS_AGENT)
        return min(float(delay), MAX_CRAWL_DELAY) if delay else 0.0


def parse_robots(text: str) -> RobotsRules:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return RobotsRules(parser, True, "robots.txt")


class RobotsCache:
    """robots.txt rules per origin (scheme://host:port), fetched on first use and kept for ``RULES_TTL``."""

    def __init__(self) -> None:
        self._rules: dict[str, tuple[float, RobotsRules]] = {}
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}

    def rules_for(self, url: str, fetch: Fetch) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            per_origin = self._fetching.setdefault(origin, threading.Lock())
        with per_origin:  # one fetch per origin, even when several jobs start together
            with self._lock:
                cached = self._rules.get(origin)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            rules, ttl = _read(origin + "/robots.txt", fetch)
            with self._lock:
                self._rules[origin] = (time.monotonic() + ttl, rules)
            return rules

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


def _read(robots_url: str, fetch: Fetch) -> tuple[RobotsRules, float]:
    try:
        status, text = fetch(robots_url)
    except JobStopped:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read robots.txt means "unreachable" (RFC 9309 §2.3.1.4)
        return RobotsRules(None, False, f"robots.txt unreachable ({exc})"), UNREACHABLE_TTL
    if 200 <= status < 300:
        return parse_robots(text), RULES_TTL
    if 400 <= status < 500:
        return RobotsRules(None, True, f"no robots.txt (HTTP {status})"), RULES_TTL
    return RobotsRules(None, False, f"robots.txt answered HTTP {status}"), UNREACHABLE_TTL


#: the process's robots.txt rules: every PoliteClient shares them
ROBOTS = RobotsCache()
