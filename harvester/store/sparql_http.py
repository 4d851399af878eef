"""HTTP to a SPARQL 1.1 server: queries through SPARQLWrapper, updates and Graph Store writes through requests.

Every request has a timeout. Failures become the store's exceptions: an unreachable server, a timeout or a
5xx is a StoreError (retried ``store.retries`` times first: every write here is an idempotent replace); data
the server refuses (400, 413, 415, 422, or Virtuoso's loader errors) is a RecordDataError, so the job retries
record by record; a query the server finds malformed is a SyntaxError, as with the embedded store.
"""

from __future__ import annotations

import ast
import http.client
import logging
import math
import random
import re
import socket
import threading
import time
import urllib.error
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth
from SPARQLWrapper import BASIC, DIGEST, JSON, N3, POST, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException
from SPARQLWrapper.Wrapper import QueryResult

from harvester import __version__
from harvester.store import RecordDataError, StoreError

log = logging.getLogger(__name__)
USER_AGENT = f"harvester/{__version__} (store client)"
_REFUSED_DATA = frozenset({400, 413, 415, 422})
_RETRY_STATUSES = frozenset({502, 503, 504})
# Virtuoso answers 500 when its RDF loader or SPARQL compiler refuses the data of a write
_VIRTUOSO_DATA_ERROR = re.compile(r"\b(SP029|SP030|RDFXX|TURTLE RDF loader|syntax error)", re.IGNORECASE)
# a write rolled back because it met a concurrent one: Virtuoso's "Error 40001 … SR172: Transaction deadlocked",
# or its "SR197: Non unique primary key on DB.DBA.RDF_LANGUAGE" (or RDF_DATATYPE) when two writes bring the same
# language tag or datatype the server has not seen before; the second try finds it registered
_DEADLOCK = re.compile(r"\b40001\b|deadlock|SR197: Non unique primary key on DB\.DBA\.RDF_(LANGUAGE|DATATYPE)",
                       re.IGNORECASE)
#: times a write rolled back by a conflict is run again (whatever store.retries says: it is not a failure)
DEADLOCK_RETRIES = 8
_QUERY_NETWORK_ERRORS = (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError,
                         http.client.HTTPException, OSError)
T = TypeVar("T")


@dataclass(frozen=True)
class Endpoints:
    """Where a remote store answers, and how we authenticate there."""

    query: str
    update: str
    gsp: str | None
    user: str = ""
    password: str = ""
    auth: str = "basic"  # or "digest"
    timeout: float = 60.0
    retries: int = 2
    #: Virtuoso's harvester loader (harvester.store.virtuoso), when the dialect uses it
    loader: str | None = None

    @property
    def authenticated(self) -> bool:
        return bool(self.user)


class SparqlHttp:
    """One server's HTTP client; safe to share between threads (a query makes its own SPARQLWrapper)."""

    def __init__(self, endpoints: Endpoints, write_concurrency: int = 4) -> None:
        self.endpoints = endpoints
        self._local = threading.local()
        self._pool_size = max(1, write_concurrency)

    # --- queries (SPARQLWrapper) -------------------------------------------------------------------
    def open_query(self, sparql: str, accept: str, timeout: float,
                   params: tuple[tuple[str, str], ...] = ()) -> QueryResult:
        """Send a query; the answer's body is left unread, to be streamed. SyntaxError for a malformed
        query or an update, StoreError when the server cannot answer."""
        wrapper = self._wrapper(sparql, accept, timeout, params)
        if wrapper.isSparqlUpdateRequest():
            raise SyntaxError("this is an update, not a query: the store is read here, never written")
        try:
            return wrapper.query()
        except QueryBadFormed as exc:
            raise SyntaxError(_server_message(exc)) from exc
        except SPARQLWrapperException as exc:
            raise StoreError(f"the SPARQL server failed the query: {_server_message(exc)}") from exc
        except urllib.error.HTTPError as exc:
            error = _Unavailable if exc.code in _RETRY_STATUSES else StoreError
            raise error(f"the SPARQL server answered HTTP {exc.code} to a query") from exc
        except _QUERY_NETWORK_ERRORS as exc:
            raise _Unavailable(f"the SPARQL server at {self.endpoints.query} did not answer: {exc}") from exc

    def query_bytes(self, sparql: str, accept: str, params: tuple[tuple[str, str], ...] = ()) -> bytes:
        """A trusted internal query's whole answer (StoreError for any failure, a malformed query included)."""
        def attempt() -> bytes:
            try:
                result = self.open_query(sparql, accept, self.endpoints.timeout, params)
                try:
                    return result.response.read()
                finally:
                    result.response.close()
            except SyntaxError as exc:
                raise StoreError(f"the SPARQL server refused an internal query: {exc}") from exc
            except _QUERY_NETWORK_ERRORS as exc:
                raise _Unavailable(f"reading the SPARQL server's answer failed: {exc}") from exc
        return self._retrying(attempt)

    def _wrapper(self, sparql: str, accept: str, timeout: float,
                 params: tuple[tuple[str, str], ...]) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(self.endpoints.query, agent=USER_AGENT)
        wrapper.setOnlyConneg(True)
        # form-encoded POST: long queries fit, and Virtuoso 7 never answers an application/sparql-query body
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        with warnings.catch_warnings():  # a query it cannot classify goes as is: the server judges it
            warnings.simplefilter("ignore", RuntimeWarning)
            wrapper.setQuery(sparql)
        wrapper.setReturnFormat(N3 if wrapper.queryType in ("CONSTRUCT", "DESCRIBE") else
                                JSON if "json" in accept else XML)
        wrapper.addCustomHttpHeader("Accept", accept)
        wrapper.setTimeout(max(1, math.ceil(timeout)))
        for name, value in params:
            wrapper.addParameter(name, value)
        if self.endpoints.user:
            wrapper.setCredentials(self.endpoints.user, self.endpoints.password)
            wrapper.setHTTPAuth(DIGEST if self.endpoints.auth == "digest" else BASIC)
        return wrapper

    # --- writes (requests) -------------------------------------------------------------------------
    def update(self, text: str) -> None:
        """One SPARQL 1.1 Update request."""
        self._send("POST", self.endpoints.update, text.encode("utf-8"),
                   {"Content-Type": "application/sparql-update; charset=utf-8"})

    def put_graph(self, graph: str, ntriples: str) -> None:
        """Graph Store Protocol PUT: the graph's whole new content."""
        self._send("PUT", self._gsp(), ntriples.encode("utf-8"),
                   {"Content-Type": "application/n-triples; charset=utf-8"}, {"graph": graph})

    def post_quads(self, nquads: str, params: tuple[tuple[str, str], ...] = ()) -> None:
        """Graph Store Protocol POST of N-Quads to the dataset (each quad into its own graph)."""
        self._send("POST", self._gsp(), nquads.encode("utf-8"), {"Content-Type": "application/n-quads"},
                   dict(params))

    def post(self, url: str, body: bytes, content_type: str) -> str:
        """A write POSTed to ``url`` (Virtuoso's harvester loader); the text of the answer."""
        return self._send("POST", url, body, {"Content-Type": content_type})

    def get_text(self, url: str) -> tuple[int, str]:
        """Status and text of a GET (authenticated like writes); StoreError when the server does not answer."""
        def attempt() -> tuple[int, str]:
            try:
                response = self._session().get(url, timeout=self._timeouts(), headers={"User-Agent": USER_AGENT})
            except requests.RequestException as exc:
                raise _Unavailable(f"the SPARQL server at {url} did not answer: {exc}") from exc
            if response.status_code in _RETRY_STATUSES:
                raise _Unavailable(f"the SPARQL server is unavailable (HTTP {response.status_code})")
            return response.status_code, response.text
        return self._retrying(attempt)

    def _gsp(self) -> str:
        if not self.endpoints.gsp:
            raise StoreError("this store has no Graph Store Protocol endpoint: set store.gsp_url")
        return self.endpoints.gsp

    def _send(self, method: str, url: str, body: bytes, headers: dict[str, str],
              params: dict[str, str] | None = None) -> str:
        def attempt() -> str:
            for n in range(DEADLOCK_RETRIES + 1):
                try:
                    response = self._session().request(method, url, data=body, params=params,
                                                       timeout=self._timeouts(),
                                                       headers={"User-Agent": USER_AGENT, **headers})
                except requests.RequestException as exc:
                    raise _Unavailable(f"the SPARQL server at {url} did not answer a write: {exc}") from exc
                try:
                    _check_write(response)
                    return response.text
                except _Deadlock:
                    if n == DEADLOCK_RETRIES:
                        raise
                    log.info("a write to %s was rolled back by a deadlock; running it again (%d)", url, n + 1)
                    time.sleep(random.uniform(0.05, 0.25) * (n + 1))  # concurrent writes met: run it again
            raise AssertionError("unreachable")
        return self._retrying(attempt)

    def _timeouts(self) -> tuple[float, float]:
        return (min(10.0, self.endpoints.timeout), self.endpoints.timeout)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.mount("http://", HTTPAdapter(pool_maxsize=self._pool_size))
            session.mount("https://", HTTPAdapter(pool_maxsize=self._pool_size))
            session.auth = self._auth()
        return session

    def _auth(self) -> AuthBase | None:
        if not self.endpoints.user:
            return None
        if self.endpoints.auth == "digest":
            return HTTPDigestAuth(self.endpoints.user, self.endpoints.password)
        return HTTPBasicAuth(self.endpoints.user, self.endpoints.password)

    def _retrying(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt``, again after a short backoff while the server is unreachable or unavailable."""
        for n in range(self.endpoints.retries):
            try:
                return attempt()
            except _Unavailable:
                time.sleep(0.25 * 2 ** n)
        return attempt()

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()


class _Unavailable(StoreError):
    """The server could not be reached, timed out, or answered 502/503/504: worth another try."""


class _Deadlock(StoreError):
    """The server rolled a write back because it met another one (SQLSTATE 40001): run it again."""


def _check_write(response: requests.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    message = _short(response.text)
    if status in (401, 403):
        raise StoreError(f"the SPARQL server refused our credentials for a write (HTTP {status}): check "
                         f"store.user, store.auth and the user's permissions (docs/stores.md): {message}")
    if status == 500 and _DEADLOCK.search(message):
        raise _Deadlock(f"the SPARQL server rolled back a write that met another one: {message}")
    if status in _REFUSED_DATA or (status == 500 and _VIRTUOSO_DATA_ERROR.search(message)):
        raise RecordDataError(f"the SPARQL server refused the data (HTTP {status}): {message}")
    if status in _RETRY_STATUSES:
        raise _Unavailable(f"the SPARQL server is unavailable (HTTP {status}): {message}")
    raise StoreError(f"the SPARQL server failed a write (HTTP {status}): {message}")


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _server_message(exc: SPARQLWrapperException) -> str:
    """The server's own words from a SPARQLWrapper exception (its message embeds the body as a bytes repr)."""
    text = str(exc)
    _, _, body = text.partition("Response:\n")
    if body:
        try:
            return _short(ast.literal_eval(body).decode("utf-8", errors="replace"))
        except (ValueError, SyntaxError, AttributeError):
            return _short(body)
    return _short(text)
