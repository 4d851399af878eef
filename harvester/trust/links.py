"""Background checks of distribution URLs for the MQA's accessibility indicators, kept in SQLite.

``LinkChecker`` asks each URL with HEAD, and with a streamed GET that reads only the first bytes when a
server refuses HEAD (405, 501), through the polite client (robots.txt, per-host pacing, timeouts, capped
retries). The last answer per URL (status, when, error) lives in a database file of its own, so checks
survive restarts and a URL is asked again only when ``due``. A failure (timeout, refused connection,
robots.txt denial, a URL that is not HTTP) is kept as status None with the error's text; 4xx/5xx answers
are kept as their status. ``statuses`` feeds harvester.trust.quality.measure(url_status=…).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from harvester.errors import FetchError, HTTPStatusError, JobStopped
from harvester.http.client import PoliteClient

#: statuses meaning "this server does not do HEAD": ask again with GET
HEAD_REFUSED = frozenset({405, 501})
FIRST_BYTES = 1024
_SCHEMA = """CREATE TABLE IF NOT EXISTS link_status (
    url TEXT PRIMARY KEY,
    status INTEGER,          -- the final HTTP status after redirects; NULL when no answer came
    checked_at REAL NOT NULL, -- Unix time
    error TEXT               -- why no status came (timeout, refused, robots.txt …)
)"""
_CHUNK = 500  # URLs per query, well under SQLite's limit of host parameters


@dataclass(frozen=True)
class LinkStatus:
    url: str
    status: int | None
    checked_at: datetime
    error: str | None


class LinkChecker:
    """Checks URLs politely and remembers the answers (thread-safe; one database file per checker)."""

    def __init__(self, client: PoliteClient, db_path: str | Path, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self._clock = clock
        self._lock = threading.Lock()
        # autocommit: each answer is saved as it comes, so a stopped check loses nothing done
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)

    def due(self, urls: Iterable[str], max_age: timedelta | float) -> list[str]:
        """The URLs never checked, or checked longer than ``max_age`` (seconds or a timedelta) ago."""
        wanted = list(dict.fromkeys(urls))
        seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else float(max_age)
        cutoff = self._clock() - seconds
        known = self._rows(wanted)
        return [url for url in wanted if url not in known or known[url].checked_at.timestamp() < cutoff]

    def check(self, urls: Iterable[str], stop_after: float | None = None) -> dict[str, int | None]:
        """Ask each URL and save its answer; with ``stop_after`` (seconds), start no new check after that
        long, leaving the rest for the next round (they are not in the answer and stay due)."""
        started = time.monotonic()
        results: dict[str, int | None] = {}
        for url in dict.fromkeys(urls):
            if stop_after is not None and time.monotonic() - started >= stop_after:
                break
            status, error = self._ask(url)
            self._save(url, status, error)
            results[url] = status
        return results

    def statuses(self, urls: Iterable[str]) -> dict[str, int | None]:
        """The last status of each checked URL (None: it failed); URLs never checked are left out."""
        return {url: row.status for url, row in self._rows(list(dict.fromkeys(urls))).items()}

    def details(self, urls: Iterable[str]) -> dict[str, LinkStatus]:
        """The last check of each checked URL, with when and the error text (for reports)."""
        return self._rows(list(dict.fromkeys(urls)))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _ask(self, url: str) -> tuple[int | None, str | None]:
        if not url.lower().startswith(("http://", "https://")):
            return None, "not an HTTP URL"
        try:
            try:
                return self.client.probe(url, "HEAD").status, None
            except HTTPStatusError as exc:
                if exc.status not in HEAD_REFUSED:
                    raise
            # streamed, and closed after the first bytes: the file itself may be gigabytes
            return self.client.probe(url, "GET", FIRST_BYTES).status, None
        except HTTPStatusError as exc:
            return exc.status, None
        except JobStopped:
            raise
        except FetchError as exc:
            return None, str(exc) or type(exc).__name__

    def _save(self, url: str, status: int | None, error: str | None) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO link_status (url, status, checked_at, error) VALUES (?, ?, ?, ?)",
                             (url, status, self._clock(), error))

    def _rows(self, urls: list[str]) -> dict[str, LinkStatus]:
        found: dict[str, LinkStatus] = {}
        for start in range(0, len(urls), _CHUNK):
            chunk = urls[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT url, status, checked_at, error FROM link_status WHERE url IN ({marks})", chunk).fetchall()
            for url, status, checked_at, error in rows:
                found[url] = LinkStatus(url, status, datetime.fromtimestamp(checked_at, timezone.utc), error)
        return found
