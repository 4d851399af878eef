"""Real SPARQL servers for the tests: the Oxigraph server and OpenLink Virtuoso, on loopback ephemeral ports.

Each is started once per test session in a temporary directory and stopped at the end; tests share it and
stay apart by minting their IRIs under a base URL of their own (``backend_settings`` drops that test's graphs
afterwards). A ``FaultProxy`` between the harvester and a server makes it fail on demand (refuse connections,
answer 500, hang). Tests needing a server that is not installed are skipped, saying how to install it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from harvester.settings import Settings
from harvester.store import open_store
from harvester.store.virtuoso import LOADER_SQL

BACKENDS = ("embedded", "oxigraph-server", "virtuoso")
SPARQL_USER, SPARQL_PASSWORD = "harvester", "test-" + uuid.uuid4().hex[:12]
_START_TIMEOUT = 60.0


def free_port() -> int:
    """A port free right now on 127.0.0.1 (for servers that cannot be told to pick one themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return requests.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=2).status_code == 200
    except requests.RequestException:
        return False


class ServerProcess:
    """A server in a child process of its own (its own process group), stopped with it."""

    process: subprocess.Popen[bytes] | None = None
    log_path: Path

    def _spawn(self, argv: list[str]) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_until(self, ready: Any, what: str) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if ready():
                return
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.process.returncode}: {self.log_tail()}")
            time.sleep(0.1)
        raise RuntimeError(f"{what} did not answer within {_START_TIMEOUT:g} s: {self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-1500:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to finish anything (a crash)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


class OxigraphServer(ServerProcess):
    """``oxigraph serve`` (PyPI ``oxigraph``) on an on-disk location; it picks its own port."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self.log_path = location.parent / "oxigraph.log"
        self.port = 0
        binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        self.binary = binary if os.access(binary, os.X_OK) else None

    def start(self) -> None:
        bind = f"127.0.0.1:{self.port}"  # 0 the first time; the same port after a restart
        # --timeout-s: a test that gives up on a runaway query must not leave the server busy with it
        self._spawn([str(self.binary), "serve", "--location", str(self.location), "--bind", bind, "--timeout-s", "20"])
        self._wait_until(self._listening, "the Oxigraph server")

    def _listening(self) -> bool:
        if not self.port:
            ports = [c.laddr.port for c in psutil.Process(self.process.pid).net_connections()  # type: ignore[union-attr]
                     if c.status == psutil.CONN_LISTEN]
            if not ports:
                return False
            self.port = ports[0]
        return _answers(self.query_url)

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def settings(self) -> dict[str, Any]:
        return {"store_url": "sparql+" + self.query_url}


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {dir}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
CheckpointInterval = 10

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 30
"""
# the permissions the harvester's SPARQL user needs (docs/stores.md): SPARQL updates, and write access to graphs;
# then the harvester loader, its fast write path
VIRTUOSO_SETUP = """\
DB.DBA.USER_CREATE ('{user}', '{password}');
GRANT SPARQL_UPDATE TO "{user}";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('{user}', 3);
"""


class VirtuosoServer(ServerProcess):
    """``virtuoso-t`` (Debian ``virtuoso-opensource``) with a minimal virtuoso.ini in a directory of its own, the
    harvester's SPARQL user, and the harvester loader (``loader=False``: a Virtuoso without it)."""

    def __init__(self, directory: Path, buffers: int = 10000, loader: bool = True) -> None:
        self.dir = directory
        self.buffers = buffers  # 8 KB pages of cache (80 MB; 60,000 loaded 10,000 records no faster: measured)
        self.loader = loader
        self.log_path = directory / "virtuoso-stdout.log"
        self.binary = shutil.which("virtuoso-t")
        self.isql = shutil.which("isql-vt") or shutil.which("isql")
        self.sql_port = self.http_port = 0

    def start(self) -> None:
        for attempt in itertools.count():
            if not self.http_port:
                self.sql_port, self.http_port = free_port(), free_port()
            (self.dir / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
                dir=self.dir, sql_port=self.sql_port, http_port=self.http_port, buffers=self.buffers,
                dirty_buffers=self.buffers * 3 // 5))
            self._spawn([str(self.binary), "-f", "+configfile", str(self.dir / "virtuoso.ini")])
            try:
                self._wait_until(lambda: _answers(self.sparql_url), "Virtuoso")
                break
            except RuntimeError:
                self.kill()
                if attempt == 2:
                    raise
                self.http_port = 0  # a port taken meanwhile: try others
        if not (self.dir / "setup.done").exists():
            self.sql(VIRTUOSO_SETUP.format(user=SPARQL_USER, password=SPARQL_PASSWORD) +
                     (LOADER_SQL if self.loader else ""))
            (self.dir / "setup.done").write_text("ok")

    def sql(self, statements: str) -> str:
        """Run SQL with isql as dba (the default password of a new database)."""
        script = self.dir / "statements.sql"
        script.write_text(statements)
        done = subprocess.run([str(self.isql), f"127.0.0.1:{self.sql_port}", "dba", "dba", str(script)],
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql failed: {done.stdout[-800:]} {done.stderr[-400:]}")
        return done.stdout

    def checkpoint(self) -> None:
        """Write everything to the database file (a restart then has no log to roll forward)."""
        self.sql("checkpoint;\n")

    @property
    def sparql_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    def settings(self) -> dict[str, Any]:
        return {"store_url": "sparql+" + self.sparql_url, "store_update_url": self.sparql_url + "-auth",
                "store_user": SPARQL_USER, "store_password": SPARQL_PASSWORD, "store_auth": "digest"}


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "store")
    if server.binary is None:
        pytest.skip("the Oxigraph server is not installed (pip install oxigraph)")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    if server.binary is None or server.isql is None:
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    server.start()
    try:
        yield server
    finally:
        server.stop()


_tests = itertools.count(1)


def backend_settings(request: pytest.FixtureRequest, backend: str) -> Iterator[dict[str, Any]]:
    """Settings values for ``backend`` with a base URL of this test's own; its graphs are dropped afterwards."""
    base = f"http://t{next(_tests)}-{uuid.uuid4().hex[:6]}.harvester.test"
    values: dict[str, Any] = {"web_base_url": base, "store_retries": 0, "store_timeout": 30.0}
    if backend == "oxigraph-server":
        values.update(request.getfixturevalue("oxigraph_server").settings())
    elif backend == "virtuoso":
        values.update(request.getfixturevalue("virtuoso_server").settings())
    yield values
    if backend != "embedded":
        store = open_store(values["store_url"], Settings().with_values(**values))
        try:
            store.drop_graphs(list(store.graph_names(base + "/")))  # type: ignore[attr-defined]
        finally:
            store.close()


@dataclass
class Fault:
    """What the proxy does to requests that match: 'refuse' (close at once), 'error' (500), 'hang' (wait)."""

    mode: str = ""
    writes_only: bool = True
    after: int = 0  # let this many writes succeed first
    hang_seconds: float = 5.0
    times: int = 0  # fail only this many requests, then pass them through again (0: every one)
    body: bytes = b"proxy failure"  # what an 'error' answers, with status 500


class FaultProxy:
    """A loopback HTTP proxy in front of one server, passing requests through until told to fail."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.fault = Fault()
        self.writes_done = 0  # writes the server accepted (an authentication challenge is not one)
        self.failed = 0  # requests the proxy failed
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @classmethod
    def before_store(cls, values: dict[str, Any]) -> tuple[FaultProxy, dict[str, Any]]:
        """A proxy in front of the store server of these settings values, and the values that reach the
        server through it."""
        target = values["store_url"].removeprefix("sparql+").rsplit("/", 1)[0]
        proxy = cls(target)
        return proxy, {k: v.replace(target, proxy.url) if isinstance(v, str) else v for k, v in values.items()}

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        is_write = h.command in ("PUT", "DELETE") or (
            h.command == "POST" and not h.headers.get("Content-Type", "").startswith("application/x-www-form"))
        fault = self.fault
        if fault.mode and (is_write or not fault.writes_only) and self.writes_done >= fault.after:
            with self._lock:
                failing = self.failed < fault.times or not fault.times
                self.failed += failing
            if failing:
                return self._fail(h)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        answer = requests.request(h.command, self.target + h.path, data=body, headers=headers, timeout=60)
        if is_write and answer.status_code < 300:
            self.writes_done += 1
        h.send_response_only(answer.status_code)  # the server's own Server header, not ours
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                h.send_header(name, value)
        h.send_header("Content-Length", str(len(answer.content)))
        h.end_headers()
        h.wfile.write(answer.content)

    def _fail(self, h: BaseHTTPRequestHandler) -> None:
        if self.fault.mode == "refuse":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.fault.mode == "hang":
            time.sleep(self.fault.hang_seconds)
        h.send_response(500)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(self.fault.body)))
        h.end_headers()
        h.wfile.write(self.fault.body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
