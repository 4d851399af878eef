"""Validators for conditional GET: the ETag / Last-Modified and body of a URL's last 200 answer, in state.db.

A client asked for ``conditional=True`` sends ``If-None-Match`` / ``If-Modified-Since``; on 304 it
answers with the kept body, so a feed or page that did not change costs the portal almost nothing.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Protocol

#: bodies larger than this are not kept (the request then goes unconditional next time)
MAX_CACHED_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Cached:
    etag: str | None
    last_modified: str | None
    headers: dict[str, str]
    content: bytes

    def request_headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


class ValidatorStore(Protocol):
    """What the cache needs of harvester.state.State."""

    def http_validator(self, url: str) -> dict[str, object] | None: ...

    def save_http_validator(self, url: str, etag: str | None, last_modified: str | None, headers: str,
                            body: bytes) -> None: ...


class ValidatorCache:
    def __init__(self, store: ValidatorStore) -> None:
        self.store = store

    def lookup(self, url: str) -> Cached | None:
        row = self.store.http_validator(url)
        if row is None:
            return None
        try:
            body = zlib.decompress(row["body"])  # type: ignore[arg-type]
            headers = json.loads(str(row["headers"]))
        except (zlib.error, ValueError, TypeError):
            return None  # a damaged entry: ask unconditionally
        return Cached(row["etag"], row["last_modified"], headers, body)  # type: ignore[arg-type]

    def save(self, url: str, headers: dict[str, str], content: bytes) -> None:
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
        if not (etag or last_modified) or len(content) > MAX_CACHED_BYTES:
            return
        kept = {k: v for k, v in headers.items() if k in ("content-type", "etag", "last-modified")}
        self.store.save_http_validator(url, etag, last_modified, json.dumps(kept), zlib.compress(content, 6))
