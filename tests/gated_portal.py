"""Test servers on loopback ephemeral ports that count, time and hold requests.

``RecordingServer`` answers with a handler function and records every request (path, headers, arrival and
end times, how many were in flight at once). ``gated_ckan`` is a CKAN whose package_search waits for a
gate to open, so a harvest stays running until the test lets it finish.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

#: (status, headers, body); a handler returns None when it wrote its answer itself
Answer = tuple[int, dict[str, str], bytes]
Handler = Callable[["Seen", "_Handler"], "Answer | None"]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    arrived: float
    ended: float = 0.0


@dataclass
class RecordingServer:
    handler: Handler
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> RecordingServer:
        recorder = self

        class Bound(_Handler):
            owner = recorder

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Bound)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def paths(self) -> list[str]:
        with self.lock:
            return [s.path for s in self.seen]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: RecordingServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        owner = self.owner
        seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        with owner.lock:
            owner.seen.append(seen)
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
        try:
            answer = owner.handler(seen, self)
            if answer is None:  # the handler wrote its answer itself
                return
            status, headers, body = answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with owner.lock:
                owner.in_flight -= 1
                seen.ended = time.monotonic()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def ckan_json(result: Any) -> Answer:
    body = json.dumps({"success": True, "result": result}).encode()
    return 200, {"Content-Type": "application/json"}, body


def gated_ckan(gate: threading.Event) -> RecordingServer:
    """A CKAN listing nothing, whose package_search answers only once ``gate`` is set (at most 60 s)."""

    def answer(seen: Seen, _: _Handler) -> Answer:
        if seen.path.startswith("/api/3/action/package_search"):
            gate.wait(60)
            return ckan_json({"count": 0, "results": []})
        return 404, {}, b"not found"

    return RecordingServer(answer).start()
