"""Serving a home-made demo portal (an object with ``answer(path, params)``) on a loopback port in a daemon
thread, and the charset faults such portals show: GBK bytes labelled UTF-8, UTF-8 bytes labelled GBK."""

from __future__ import annotations

import sys
import threading
import traceback
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from harvester.demo.threaded import ServedInThread

#: (HTTP status, Content-Type, body)
Answer = tuple[int, str, bytes]
#: charset faults a portal can be switched to
CHARSET_FAULTS = ("gbk-labelled-utf8", "utf8-labelled-gbk")


class HomeMadePortal(Protocol):
    base_url: str

    def answer(self, path: str, params: dict[str, str]) -> Answer:
        """The answer to GET path?params."""


def encoded(text: str, media_type: str, charset_fault: str | None) -> tuple[str, bytes]:
    """(Content-Type, body) of a text answer, mislabelled as the fault says."""
    if charset_fault == "gbk-labelled-utf8":
        return f"{media_type}; charset=utf-8", text.encode("gbk", errors="replace")
    if charset_fault == "utf8-labelled-gbk":
        return f"{media_type}; charset=gbk", text.encode("utf-8")
    return f"{media_type}; charset=utf-8", text.encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], portal: HomeMadePortal) -> None:
        super().__init__(address, _Handler)
        self.portal = portal
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host = self.server_address[0]
        if not isinstance(host, str) or host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    #: headers and body leave in one write: two small writes on a kept-alive connection meet the client's
    #: delayed ACK and cost 40 ms per answer
    wbufsize = 64 * 1024

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        with self.server.lock:
            self.server.requests[path] += 1
        try:
            status, content_type, body = self.server.portal.answer(path, params)
        except Exception:  # noqa: BLE001 - the HTTP boundary: show the bug, answer like a crashed portal
            traceback.print_exc(file=sys.stderr)
            status, content_type, body = 500, "text/html; charset=utf-8", b"<h1>500</h1>"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Silent: a harvest makes many requests."""


class RunningCustomPortal(ServedInThread):
    """A home-made portal being served: ``url``, ``requests`` (per path), ``stop()``."""

    def __init__(self, portal: HomeMadePortal, server: _Server) -> None:
        super().__init__(server, f"home-made-portal-{server.server_port}")
        self.portal = portal
        self.url = server.url

    @property
    def requests(self) -> Counter[str]:
        return self._server.requests

    def requests_under(self, prefix: str) -> int:
        """How many requests were served for paths starting with ``prefix``."""
        with self._server.lock:
            return sum(n for path, n in self._server.requests.items() if path.startswith(prefix))


def serve_custom(portal: HomeMadePortal, host: str = "127.0.0.1", port: int = 0) -> RunningCustomPortal:
    """Serve the portal on host:port (0: any free port) in a daemon thread; its links point at it."""
    server = _Server((host, port), portal)
    portal.base_url = server.url
    return RunningCustomPortal(portal, server)
