"""The demo portal's HTTP server: CKAN's action API, resource downloads and pages, on a loopback port in a
daemon thread (``http.server.ThreadingHTTPServer``)."""

from __future__ import annotations

import json
import re
import sys
import threading
import traceback
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import orjson

from harvester.demo import content
from harvester.demo.actions import ActionError, ServerFault, not_found, run_action
from harvester.demo.threaded import ServedInThread

if TYPE_CHECKING:
    from harvester.demo.portal import DemoPortal

_ACTION = re.compile(r"^/api(?:/3)?/action/(?P<action>\w+)/?$")
_DOWNLOAD = re.compile(r"^/dataset/(?P<name>[^/]+)/resource/(?P<resource>[^/]+)/download/(?P<file>[^/]+)$")
_API_ENDPOINT = re.compile(r"^/openapi/(?P<name>[^/]+)/(?P<resource>[^/]+)$")
_DATASET_PAGE = re.compile(r"^/dataset/(?P<name>[^/]+)/?$")
_JSON = "application/json; charset=utf-8"
_HTML = "text/html; charset=utf-8"
#: how many recent requests RunningPortal.queries remembers
QUERY_LOG_SIZE = 10_000
_FAULT_PAGE = "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n" \
              "<body><h1>Internal Server Error</h1></body></html>\n"

Answer = tuple[int, str, bytes]


class PortalHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its portal and records the requests it answers."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], portal: DemoPortal) -> None:
        super().__init__(address, CkanRequestHandler)
        self.portal = portal
        self.requests: Counter[str] = Counter()
        self.queries: deque[str] = deque(maxlen=QUERY_LOG_SIZE)
        self._count_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL clients reach the portal at (loopback when it listens on all interfaces)."""
        host = self.server_address[0]
        if not isinstance(host, str) or host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.server_port}"

    def record(self, path: str, params: dict[str, Any]) -> None:
        with self._count_lock:
            self.requests[path] += 1
            self.queries.append(f"{path}?{urlencode(params)}" if params else path)


class CkanRequestHandler(BaseHTTPRequestHandler):
    """Routes one request; the CKAN envelope on every action answer."""

    server: PortalHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "DemoCKAN/2.10"

    def do_GET(self) -> None:
        self._answer({})

    def do_HEAD(self) -> None:
        self._answer({}, head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            self._answer({})
        elif "json" in (self.headers.get("Content-Type") or "json"):
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict):
                self._answer(body)
            else:
                self._send((400, _JSON, _envelope_bytes(self.server.portal, "", None, {
                    "__type": "Bad Request", "message": "Bad request - JSON Error: could not decode the body"})))
        else:
            self._answer({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Silent: a harvest makes thousands of requests."""

    def _answer(self, body_params: dict[str, Any], *, head: bool = False) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        params.update(body_params)
        self.server.record(path, params)
        try:
            answer = self._route(path, params)
        except Exception:  # the HTTP boundary: show the bug to the test run, answer like a crashed CKAN
            traceback.print_exc(file=sys.stderr)
            answer = (500, _HTML, _FAULT_PAGE.encode())
        self._send(answer, head=head)

    def _route(self, path: str, params: dict[str, Any]) -> Answer:
        portal = self.server.portal
        if (match := _ACTION.match(path)) is not None:
            return _action_answer(portal, match["action"], params)
        if (match := _DOWNLOAD.match(path)) is not None:
            return _download_answer(portal, match["name"], match["resource"], match["file"])
        if (match := _API_ENDPOINT.match(path)) is not None:
            return _download_answer(portal, match["name"], match["resource"], None)
        if (match := _DATASET_PAGE.match(path)) is not None:
            index = portal.find(match["name"])
            if index is not None:
                return 200, _HTML, content.dataset_page(portal.package(index)).encode()
        if path in ("/", "/index.html"):
            return 200, _HTML, content.home_page(portal).encode()
        return 404, _HTML, b"<!DOCTYPE html>\n<html><body><h1>404 Not Found</h1></body></html>\n"

    def _send(self, answer: Answer, *, head: bool = False) -> None:
        status, content_type, body = answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


def _action_answer(portal: DemoPortal, action: str, params: dict[str, Any]) -> Answer:
    try:
        result = run_action(portal, action, params)
    except ServerFault:
        return 500, _HTML, _FAULT_PAGE.encode()
    except ActionError as error:
        return error.status, _JSON, _envelope_bytes(portal, action, None, error.error)
    return 200, _JSON, _envelope_bytes(portal, action, result, None)


def _envelope_bytes(portal: DemoPortal, action: str, result: Any, error: dict[str, Any] | None) -> bytes:
    envelope: dict[str, Any] = {"help": f"{portal.base_url}/api/3/action/help_show?name={action}"}
    if error is None:
        envelope.update(success=True, result=result)
    else:
        envelope.update(success=False, error=error)
    return orjson.dumps(envelope)  # ten times faster than json.dumps: pages of 1,000 packages are megabytes


def _download_answer(portal: DemoPortal, name: str, resource_id: str, file_name: str | None) -> Answer:
    """A resource file (file_name given) or API endpoint answer, if the package lists that resource."""
    index = portal.find(name)
    package = portal.package(index) if index is not None else None
    resources = package["resources"] if package is not None else []
    if not isinstance(resources, list) or not any(r["id"] == resource_id for r in resources):
        error = not_found()
        return error.status, _JSON, _envelope_bytes(portal, "", None, error.error)
    topic = content.topic_of(portal, index)  # type: ignore[arg-type]  # index is set when resources exist
    if file_name is None:
        return 200, _JSON, content.api_answer(topic)
    body, media_type = content.resource_file(topic, file_name)
    return 200, media_type, body


class RunningPortal(ServedInThread):
    """A demo portal being served; stop() it or use it as a context manager."""

    def __init__(self, portal: DemoPortal, server: PortalHTTPServer) -> None:
        super().__init__(server, f"demo-portal-{server.server_port}")
        self.portal = portal
        self.url = server.url

    @property
    def requests(self) -> Counter[str]:
        """Requests served so far, per URL path."""
        return self._server.requests

    @property
    def queries(self) -> deque[str]:
        """The most recent requests (at most QUERY_LOG_SIZE) as "path?query", POST JSON bodies folded into the
        query, e.g. "/api/3/action/package_search?rows=20&fq=metadata_modified%3A%5B…"."""
        return self._server.queries


def serve(portal: DemoPortal, host: str = "127.0.0.1", port: int = 0) -> RunningPortal:
    """Serve the portal on host:port (0: any free port) in a daemon thread; resource URLs point at it."""
    server = PortalHTTPServer((host, port), portal)
    portal.base_url = server.url
    return RunningPortal(portal, server)
