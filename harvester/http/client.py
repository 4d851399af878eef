"""The polite HTTP client, the only way harvester reaches a portal.

Every request has a timeout (the session refuses one without); robots.txt is obeyed (RFC 9309; per source
``obey_robots = false``); requests to one host go one at a time across the process, ``http.delay`` apart
(or the robots.txt Crawl-delay, if longer); 429/5xx/connection errors are retried with backoff and jitter
honouring Retry-After; bodies are capped (after gzip decoding); feeds and pages can be fetched
conditionally (ETag / Last-Modified kept in state.db); the User-Agent names us and a contact URL; text
mislabelled as UTF-8 by GBK/GB18030 portals is decoded by fallback. A job's stop signal (``cancel``)
ends waits, retries and body reads at once.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import orjson
import requests
import urllib3

from harvester import __version__
from harvester.errors import (
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    JobStopped,
    RobotsDenied,
    TooLarge,
)
from harvester.http.cache import ValidatorCache
from harvester.http.robots import ROBOTS, ROBOTS_AGENT, RobotsCache
from harvester.http.throttle import THROTTLE, HostThrottle
from harvester.metrics import PORTAL_REQUESTS

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0  # seconds; a portal asking for longer is treated as failing now
MAX_ROBOTS_CHARS = 512 * 1024  # RFC 9309: parse at least 500 KiB


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    #: the portal answered 304 Not Modified and this is the body kept from its last 200
    not_modified: bool = False

    @property
    def text(self) -> str:
        return decode_body(self.content, self.headers.get("content-type", ""))

    def json(self) -> Any:
        try:
            if _declared_charset(self.headers.get("content-type", "")) in ("", "utf-8", "utf8"):
                try:
                    return orjson.loads(self.content)  # UTF-8 bytes parse without a decoded copy
                except orjson.JSONDecodeError:
                    pass  # not UTF-8 after all (a GBK page without a charset), or not JSON: decode first
            return orjson.loads(self.text)
        except ValueError as exc:
            raise FetchError(f"invalid JSON from {self.url}: {exc}", self.url) from exc


def _declared_charset(content_type: str) -> str:
    for part in content_type.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            return value.strip().strip('"').lower()
    return ""


def decode_body(content: bytes, content_type: str) -> str:
    """Decode by the declared charset, falling back to UTF-8 then GB18030 (a superset of GBK/GB2312)."""
    declared = _declared_charset(content_type)
    for encoding in dict.fromkeys([declared, "utf-8", "gb18030"]):
        if not encoding:
            continue
        try:
            return content.decode("gb18030" if encoding in ("gbk", "gb2312") else encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return content.decode("utf-8", errors="replace")


class TimeoutRequiredSession(requests.Session):
    """A requests session that refuses any request without a timeout: nothing may wait forever."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        # request(method, url, params, data, headers, cookies, files, auth, timeout, …)
        timeout = args[6] if len(args) > 6 else kwargs.get("timeout")
        if timeout is None:
            raise ValueError(f"refused {method!r} {url!r}: every request to a portal needs a timeout")
        return super().request(method, url, *args, **kwargs)


class PoliteClient:
    """One per harvest job (thread-safe). Politeness state (host slots, robots.txt) is shared by the process."""

    def __init__(self, timeout: float = 30.0, retries: int = 3, backoff: float = 0.5,
                 max_bytes: int = 200 * 1024 * 1024, contact_url: str = "", delay: float = 0.0, *,
                 obey_robots: bool = False, host_concurrency: int = 1, validators: ValidatorCache | None = None,
                 cancel: threading.Event | None = None, on_response: Callable[[], None] | None = None,
                 throttle: HostThrottle = THROTTLE, robots: RobotsCache = ROBOTS) -> None:
        if not timeout or timeout <= 0:
            raise ValueError("PoliteClient needs a positive timeout")
        self.timeout, self.retries, self.backoff, self.max_bytes = timeout, retries, backoff, max_bytes
        self.delay, self.obey_robots, self.host_concurrency = delay, obey_robots, host_concurrency
        self.validators, self.cancel, self.on_response = validators, cancel, on_response
        self.throttle, self.robots = throttle, robots
        self.session = TimeoutRequiredSession()
        self.session.headers["User-Agent"] = f"{ROBOTS_AGENT}/{__version__} (+{contact_url})".replace(" (+)", "")
        self.session.headers["Accept-Encoding"] = "gzip, deflate"

    @classmethod
    def from_settings(cls, settings: Any, source: Any = None, state: Any = None,
                      cancel: threading.Event | None = None,
                      on_response: Callable[[], None] | None = None) -> PoliteClient:
        """The client for a job of ``source`` (its options ``delay`` and ``obey_robots`` override the
        settings); ``state`` (harvester.state.State) keeps the validators of conditional requests."""
        options = getattr(source, "options", None) or {}
        return cls(timeout=settings["http.timeout"], retries=settings["http.retries"],
                   backoff=settings["http.backoff"], max_bytes=settings["http.max_bytes"],
                   contact_url=settings["http.contact_url"], delay=float(options.get("delay", settings["http.delay"])),
                   obey_robots=_flag(options.get("obey_robots", settings["http.obey_robots"])),
                   host_concurrency=int(settings["http.host_concurrency"]),
                   validators=ValidatorCache(state) if state is not None else None,
                   cancel=cancel, on_response=on_response)

    def get(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
            conditional: bool = False) -> Response:
        """GET with retries; raises FetchError (HTTPStatusError, FetchTimeout, TooLarge, RobotsDenied) when
        it gives up, JobStopped when the job is stopped. ``conditional``: revalidate with the kept ETag /
        Last-Modified and answer the kept body on 304 (for feeds and pages that change rarely)."""
        self._check_cancel()
        full_url = requests.Request("GET", url, params=params).prepare().url or url
        delay = self._delay_for(full_url)
        cached = self.validators.lookup(full_url) if conditional and self.validators else None
        send = {**(headers or {}), **(cached.request_headers() if cached else {})}
        response = self._get_with_retries(full_url, send, delay)
        if response.status == 304 and cached is not None:
            return Response(response.url, 200, dict(cached.headers), cached.content, not_modified=True)
        if conditional and self.validators is not None and response.status == 200:
            self.validators.save(full_url, response.headers, response.content)
        return response

    def probe(self, url: str, method: str = "HEAD", read_bytes: int = 0) -> Response:
        """A link check: ``method`` (HEAD, or GET streamed) reading at most ``read_bytes`` of the body, with
        the robots.txt, pacing and retries of get(); raises as get() does (HTTPStatusError for >= 400)."""
        self._check_cancel()
        try:
            return self._get_with_retries(url, {}, self._delay_for(url), method, read_bytes)
        except requests.RequestException as exc:  # an invalid URL, a redirect loop: links fail so, portals rarely
            raise FetchError(f"{type(exc).__name__}: {exc}", url) from exc

    def _delay_for(self, url: str) -> float:
        """The delay before requests to the URL's host; RobotsDenied if robots.txt forbids the URL."""
        if not self.obey_robots:
            return self.delay
        rules = self.robots.rules_for(url, self._fetch_robots)
        if not rules.can_fetch(url):
            raise RobotsDenied(f"robots.txt of {urlsplit(url).netloc} does not allow {url} ({rules.reason}); "
                               "the source option obey_robots = false overrides it", url)
        return max(self.delay, rules.crawl_delay())

    def _fetch_robots(self, robots_url: str) -> tuple[int, str]:
        response = self._get_once(robots_url, {}, self.delay)
        return response.status, response.text[:MAX_ROBOTS_CHARS]

    def _get_with_retries(self, url: str, headers: dict[str, str], delay: float, method: str = "GET",
                          read_bytes: int | None = None) -> Response:
        attempt = 0
        while True:
            try:
                response = self._get_once(url, headers, delay, method, read_bytes)
            except (FetchTimeout, requests.ConnectionError) as exc:
                if attempt >= self.retries:
                    raise exc if isinstance(exc, FetchError) else FetchError(f"cannot connect: {exc}", url)
                self._sleep_backoff(attempt, None)
            else:
                if response.status not in RETRY_STATUSES or attempt >= self.retries:
                    return _raise_for_status(response)
                self._sleep_backoff(attempt, response.headers.get("retry-after"))
            attempt += 1

    def _get_once(self, url: str, headers: dict[str, str], delay: float, method: str = "GET",
                  read_bytes: int | None = None) -> Response:
        """One request; ``read_bytes`` None reads the whole body (capped), else at most that many bytes."""
        host = urlsplit(url).netloc
        with self.throttle.slot(host, delay, self.host_concurrency, self.cancel):
            try:
                with self.session.request(method, url, headers=headers, timeout=self.timeout, stream=True) as r:
                    body = self._read_capped(r) if read_bytes is None else _read_first(r, read_bytes)
                    response = Response(r.url, r.status_code, {k.lower(): v for k, v in r.headers.items()}, body)
            except requests.Timeout as exc:
                PORTAL_REQUESTS.labels(host, "timeout").inc()
                raise FetchTimeout(f"timed out after {self.timeout:g} s: {url}", url) from exc
            except FetchTimeout:
                PORTAL_REQUESTS.labels(host, "timeout").inc()
                raise
            except (requests.ConnectionError, FetchError):
                PORTAL_REQUESTS.labels(host, "error").inc()
                raise
        PORTAL_REQUESTS.labels(host, str(response.status)).inc()
        if self.on_response is not None:
            self.on_response()
        return response

    def _read_capped(self, r: requests.Response) -> bytes:
        declared = r.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"{r.url} declares {int(declared):,} bytes, more than {self.max_bytes:,}", r.url)
        chunks: list[bytes] = []
        size = 0
        while True:
            # read1 returns what has arrived (a stop is seen even while a portal trickles bytes); the
            # content is decoded, so the cap holds for gzip bombs too
            try:
                chunk = r.raw.read1(65536, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError as exc:
                raise FetchTimeout(f"timed out after {self.timeout:g} s reading {r.url}", r.url) from exc
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
                raise FetchError(f"connection broken while reading {r.url}: {exc}", r.url) from exc
            if not chunk:
                return b"".join(chunks)
            self._check_cancel()
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(f"{r.url} sent more than {self.max_bytes:,} bytes", r.url)
            chunks.append(chunk)

    def _sleep_backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2 ** attempt) * (1 + random.random() * 0.5)
        asked = _retry_after_seconds(retry_after)
        if asked is not None:
            delay = max(delay, min(asked, MAX_RETRY_AFTER))
        if self.cancel is None:
            time.sleep(delay)
        elif self.cancel.wait(delay):
            raise JobStopped("stopped while waiting to retry")

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise JobStopped("the job was stopped")

    def close(self) -> None:
        self.session.close()


def _read_first(r: requests.Response, limit: int) -> bytes:
    """What has arrived of the body, up to ``limit`` bytes (a link check needs no more)."""
    if limit <= 0:
        return b""
    try:
        return r.raw.read1(limit, decode_content=False)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise FetchTimeout(f"timed out reading {r.url}", r.url) from exc
    except urllib3.exceptions.ProtocolError as exc:
        raise FetchError(f"connection broken while reading {r.url}: {exc}", r.url) from exc


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _raise_for_status(response: Response) -> Response:
    if response.status >= 400:
        raise HTTPStatusError(f"HTTP {response.status} from {response.url}", response.url, response.status,
                              response.content[:8192])
    return response
