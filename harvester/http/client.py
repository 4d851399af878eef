"""The polite HTTP client: a timeout on every request, retries with backoff honouring Retry-After,
a size cap, a named User-Agent, and charset detection for portals that mislabel GBK/GB18030 text.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from harvester import __version__
from harvester.errors import FetchError, FetchTimeout, HTTPStatusError, TooLarge

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0  # seconds; a portal asking for longer is treated as failing now


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return decode_body(self.content, self.headers.get("content-type", ""))

    def json(self) -> Any:
        try:
            return orjson.loads(self.text)
        except ValueError as exc:
            raise FetchError(f"invalid JSON from {self.url}: {exc}", self.url) from exc


def decode_body(content: bytes, content_type: str) -> str:
    """Decode by the declared charset, falling back to UTF-8 then GB18030 (a superset of GBK/GB2312)."""
    declared = ""
    for part in content_type.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            declared = value.strip().strip('"').lower()
    for encoding in dict.fromkeys([declared, "utf-8", "gb18030"]):
        if not encoding:
            continue
        try:
            return content.decode("gb18030" if encoding in ("gbk", "gb2312") else encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return content.decode("utf-8", errors="replace")


class PoliteClient:
    """One per harvest job. Thread-safe; requests to one host are spaced by ``delay`` seconds."""

    def __init__(self, timeout: float = 30.0, retries: int = 3, backoff: float = 0.5,
                 max_bytes: int = 200 * 1024 * 1024, contact_url: str = "", delay: float = 0.0) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_bytes = max_bytes
        self.delay = delay
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"harvester/{__version__} (+{contact_url})".replace(" (+)", "")
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> PoliteClient:
        return cls(timeout=settings["http.timeout"], retries=settings["http.retries"],
                   backoff=settings["http.backoff"], max_bytes=settings["http.max_bytes"],
                   contact_url=settings["http.contact_url"])

    def get(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
        """GET with retries; raises FetchError (HTTPStatusError, FetchTimeout, TooLarge) when it gives up."""
        attempt = 0
        while True:
            try:
                response = self._get_once(url, params, headers)
            except (FetchTimeout, requests.ConnectionError) as exc:
                if attempt >= self.retries:
                    raise exc if isinstance(exc, FetchError) else FetchError(f"cannot connect: {exc}", url)
                self._sleep_backoff(attempt, None)
            else:
                if response.status not in RETRY_STATUSES:
                    return _raise_for_status(response)
                if attempt >= self.retries:
                    return _raise_for_status(response)
                self._sleep_backoff(attempt, response.headers.get("retry-after"))
            attempt += 1

    def _get_once(self, url: str, params: dict[str, Any] | None, headers: dict[str, str] | None) -> Response:
        self._wait_turn(url)
        try:
            with self.session.get(url, params=params, headers=headers, timeout=self.timeout, stream=True) as r:
                body = self._read_capped(r)
                return Response(r.url, r.status_code, {k.lower(): v for k, v in r.headers.items()}, body)
        except requests.Timeout as exc:
            raise FetchTimeout(f"timed out after {self.timeout:g} s: {url}", url) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise FetchError(f"connection broken while reading {url}: {exc}", url) from exc

    def _read_capped(self, r: requests.Response) -> bytes:
        declared = r.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"{r.url} declares {int(declared):,} bytes, more than {self.max_bytes:,}", r.url)
        chunks, size = [], 0
        for chunk in r.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(f"{r.url} sent more than {self.max_bytes:,} bytes", r.url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _wait_turn(self, url: str) -> None:
        if self.delay <= 0:
            return
        host = urlsplit(url).netloc
        with self._lock:
            wait = self._last_request.get(host, 0.0) + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request[host] = time.monotonic()

    def _sleep_backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2 ** attempt) * (1 + random.random() * 0.5)
        asked = _retry_after_seconds(retry_after)
        if asked is not None:
            delay = max(delay, min(asked, MAX_RETRY_AFTER))
        time.sleep(delay)

    def close(self) -> None:
        self.session.close()


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    parsed = email.utils.parsedate_to_datetime(value)
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _raise_for_status(response: Response) -> Response:
    if response.status >= 400:
        raise HTTPStatusError(f"HTTP {response.status} from {response.url}", response.url, response.status)
    return response
