"""The link checker against a real HTTP server on a loopback ephemeral port: statuses kept, HEAD refused
answered by GET, failures kept as None with their error, due() after max_age, per-host pacing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harvester.http.client import PoliteClient
from harvester.http.robots import RobotsCache
from harvester.http.throttle import HostThrottle
from harvester.trust.links import LinkChecker
from tests.servers import free_port

BIG = 64 * 1024 * 1024  # a "file" the checker must not download (far beyond what socket buffers hold)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(with_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(with_body=True)

    def _answer(self, with_body: bool) -> None:
        self.server.seen.append((self.command, self.path, time.monotonic()))
        path = self.path
        if path == "/slow":
            time.sleep(1.5)
        if path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/robots.txt":
            status, body = 200, b"User-agent: *\nDisallow: /private\n"
        elif path == "/missing":
            status, body = 404, b"gone"
        elif path.startswith("/no-head") and self.command == "HEAD":
            status, body = 405, b""
        elif path == "/no-head/big":
            status, body = 200, b""
        else:
            status, body = 200, b"data"
        self.send_response(status)
        self.send_header("Content-Length", str(BIG if path == "/no-head/big" and with_body else len(body)))
        self.end_headers()
        if with_body:
            self._write(path, body)

    def _write(self, path: str, body: bytes) -> None:
        try:
            if path != "/no-head/big":
                self.wfile.write(body)
                return
            for _ in range(BIG // 65536):
                self.wfile.write(b"x" * 65536)
                self.server.big_sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass  # the checker hung up after the first bytes, as it should

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str, float]]
    big_sent: int


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.seen, srv.big_sent = [], 0
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def url(srv: _Server, path: str) -> str:
    return f"http://127.0.0.1:{srv.server_port}{path}"


def client(delay: float = 0.0, obey_robots: bool = False, timeout: float = 5.0) -> PoliteClient:
    # a throttle and robots cache of its own: the process-wide ones would carry state between tests
    return PoliteClient(timeout=timeout, retries=0, backoff=0.01, delay=delay, obey_robots=obey_robots,
                        throttle=HostThrottle(), robots=RobotsCache())


def test_statuses_are_checked_and_kept(server: _Server, tmp_path: Path) -> None:
    checker = LinkChecker(client(), tmp_path / "links.db")
    urls = [url(server, "/ok"), url(server, "/missing"), url(server, "/no-head")]
    assert checker.check(urls) == {urls[0]: 200, urls[1]: 404, urls[2]: 200}
    # HEAD first; the server refusing HEAD is asked again with GET
    assert [(m, p) for m, p, _ in server.seen] == [("HEAD", "/ok"), ("HEAD", "/missing"), ("HEAD", "/no-head"),
                                                   ("GET", "/no-head")]
    checker.close()
    reopened = LinkChecker(client(), tmp_path / "links.db")
    assert reopened.statuses(urls + [url(server, "/never")]) == {urls[0]: 200, urls[1]: 404, urls[2]: 200}
    assert reopened.details([urls[1]])[urls[1]].error is None


def test_a_get_after_refused_head_reads_only_the_first_bytes(server: _Server, tmp_path: Path) -> None:
    checker = LinkChecker(client(), tmp_path / "links.db")
    big = url(server, "/no-head/big")
    assert checker.check([big]) == {big: 200}
    time.sleep(0.5)  # the server notices the hang-up
    assert server.big_sent < BIG // 2, "the checker downloaded the file"


def test_failures_are_kept_as_none_with_their_error(server: _Server, tmp_path: Path) -> None:
    checker = LinkChecker(client(timeout=0.4, obey_robots=True), tmp_path / "links.db")
    slow, private = url(server, "/slow"), url(server, "/private/file.csv")
    refused = f"http://127.0.0.1:{free_port()}/file.csv"
    loop, no_host = url(server, "/loop"), "http:///file.csv"
    urls = [slow, private, refused, loop, no_host, "ftp://example.org/file.csv"]
    assert checker.check(urls) == dict.fromkeys(urls)
    errors = {u: row.error or "" for u, row in checker.details(urls).items()}
    assert "timed out" in errors[slow]
    assert "robots.txt" in errors[private]
    assert "connect" in errors[refused].lower()
    assert "redirect" in errors[loop].lower()
    assert "url" in errors[no_host].lower()
    assert errors["ftp://example.org/file.csv"] == "not an HTTP URL"
    assert checker.statuses(urls) == dict.fromkeys(urls)  # checked (None), not missing
    assert ("HEAD", "/private/file.csv") not in [(m, p) for m, p, _ in server.seen]


def test_due_lists_unchecked_and_stale_urls(server: _Server, tmp_path: Path) -> None:
    now = [1_000_000.0]
    checker = LinkChecker(client(), tmp_path / "links.db", clock=lambda: now[0])
    ok, other = url(server, "/ok"), url(server, "/other")
    checker.check([ok])
    assert checker.due([ok, other], max_age=3600) == [other]
    now[0] += 3599
    assert checker.due([ok, other, other], max_age=3600) == [other]
    now[0] += 2
    assert checker.due([ok, other], max_age=3600) == [ok, other]
    checker.check([ok])
    assert checker.due([ok], max_age=3600) == []


def test_requests_to_one_host_are_paced(server: _Server, tmp_path: Path) -> None:
    checker = LinkChecker(client(delay=0.25), tmp_path / "links.db")
    checker.check([url(server, f"/file-{i}") for i in range(4)])
    times = [t for _, _, t in server.seen]
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.24


def test_stop_after_leaves_the_rest_due(server: _Server, tmp_path: Path) -> None:
    checker = LinkChecker(client(delay=0.3), tmp_path / "links.db")
    urls = [url(server, f"/file-{i}") for i in range(6)]
    done = checker.check(urls, stop_after=0.5)
    assert 1 <= len(done) < len(urls)
    assert checker.due(urls, max_age=3600) == urls[len(done):]
