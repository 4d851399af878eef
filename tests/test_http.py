"""The polite client against real loopback servers that count and time requests: per-host delay and
concurrency, robots.txt, conditional GET, gzip, the User-Agent, Retry-After, stops, and no request without
a timeout anywhere in the code."""

from __future__ import annotations

import ast
import gzip
import re
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from harvester.errors import FetchError, JobStopped, RobotsDenied, TooLarge
from harvester.http.cache import ValidatorCache
from harvester.http.client import PoliteClient, Response, TimeoutRequiredSession
from harvester.http.robots import RobotsCache
from harvester.http.throttle import HostThrottle
from harvester.metrics import PORTAL_REQUESTS
from harvester.model import Source
from harvester.settings import load_settings
from harvester.state import State
from tests.gated_portal import Answer, RecordingServer, Seen

ROOT = Path(__file__).resolve().parent.parent


def client(**options: object) -> PoliteClient:
    """A client with its own throttle and robots cache, so tests do not share politeness state."""
    values: dict = {"timeout": 5.0, "retries": 0, "backoff": 0.01, "throttle": HostThrottle(),
                    "robots": RobotsCache(), **options}
    return PoliteClient(**values)


def serving(answer) -> RecordingServer:  # type: ignore[no-untyped-def]
    return RecordingServer(answer).start()


@pytest.fixture
def slow_server() -> Iterator[RecordingServer]:
    def answer(seen: Seen, _: object) -> Answer:
        if seen.path == "/robots.txt":
            return 404, {}, b""
        time.sleep(0.05)
        return 200, {"Content-Type": "text/plain"}, b"ok"

    server = serving(answer)
    yield server
    server.stop()


def test_one_request_at_a_time_per_host_with_the_delay_between(slow_server: RecordingServer) -> None:
    polite = client(delay=0.2)
    threads = [threading.Thread(target=polite.get, args=(f"{slow_server.url}/page/{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pages = sorted((s for s in slow_server.seen if s.path.startswith("/page/")), key=lambda s: s.arrived)
    assert len(pages) == 4 and slow_server.max_in_flight == 1
    gaps = [b.arrived - a.ended for a, b in zip(pages, pages[1:])]
    assert min(gaps) >= 0.19, gaps


def test_the_throttle_is_shared_by_the_clients_of_a_process(slow_server: RecordingServer) -> None:
    shared = HostThrottle()
    first, second = client(delay=0.0, throttle=shared), client(delay=0.0, throttle=shared)
    threads = [threading.Thread(target=c.get, args=(f"{slow_server.url}/x",)) for c in (first, second) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert slow_server.max_in_flight == 1  # two jobs of one portal still ask one at a time


def test_different_hosts_are_not_held_by_each_other(slow_server: RecordingServer) -> None:
    other = serving(lambda seen, _: (200, {}, b"ok"))
    try:
        polite = client(delay=1.0)
        polite.get(f"{slow_server.url}/a")
        started = time.monotonic()
        polite.get(f"{other.url}/b")
        assert time.monotonic() - started < 0.5
        polite.get(f"{slow_server.url}/c")
        assert time.monotonic() - started >= 0.9  # the first host's delay still holds
    finally:
        other.stop()


ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: harvester\nDisallow: /secret/\nCrawl-delay: 1\n"


@pytest.fixture
def robots_server() -> Iterator[RecordingServer]:
    def answer(seen: Seen, _: object) -> Answer:
        if seen.path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS
        return 200, {}, b"page"

    server = serving(answer)
    yield server
    server.stop()


def test_robots_txt_is_obeyed_and_its_crawl_delay_honoured(robots_server: RecordingServer) -> None:
    polite = client(obey_robots=True)
    with pytest.raises(RobotsDenied, match="obey_robots = false"):
        polite.get(f"{robots_server.url}/secret/data.json")
    polite.get(f"{robots_server.url}/private/ok-for-us")  # our group replaces '*'
    polite.get(f"{robots_server.url}/open")
    assert robots_server.paths() == ["/robots.txt", "/private/ok-for-us", "/open"]  # robots.txt read once
    last, before = robots_server.seen[-1], robots_server.seen[-2]
    assert last.arrived - before.ended >= 0.99  # Crawl-delay 1 beats a delay of 0


def test_a_source_may_switch_robots_off(robots_server: RecordingServer, tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml", env={}).with_values(http_delay=0.0)
    source = Source("s", "ckan", robots_server.url, options={"obey_robots": False})
    polite = PoliteClient.from_settings(settings, source)
    polite.get(f"{robots_server.url}/secret/data.json")
    assert robots_server.paths() == ["/secret/data.json"]
    assert PoliteClient.from_settings(settings, Source("t", "ckan", "x")).obey_robots  # obeyed by default


@pytest.mark.parametrize("status, allowed", [(404, True), (410, True), (500, False), (503, False)])
def test_a_missing_robots_txt_allows_an_unreachable_one_forbids(status: int, allowed: bool) -> None:
    server = serving(lambda seen, _: (status, {}, b"") if seen.path == "/robots.txt" else (200, {}, b"ok"))
    try:
        polite = client(obey_robots=True)
        if allowed:
            assert polite.get(f"{server.url}/data").content == b"ok"
        else:
            with pytest.raises(RobotsDenied, match=f"HTTP {status}"):
                polite.get(f"{server.url}/data")
            assert server.paths() == ["/robots.txt"]
    finally:
        server.stop()


def test_conditional_get_sends_the_validators_and_uses_the_kept_body(tmp_path: Path) -> None:
    def answer(seen: Seen, _: object) -> Answer:
        validators = {"ETag": '"v1"', "Last-Modified": "Sat, 01 Mar 2025 00:00:00 GMT"}
        if seen.headers.get("if-none-match") == '"v1"':
            return 304, validators, b""
        return 200, {"Content-Type": "application/json; charset=utf-8", **validators}, '{"标题": 1}'.encode()

    server = serving(answer)
    state = State(tmp_path / "state.db")
    try:
        polite = client(validators=ValidatorCache(state))
        first = polite.get(f"{server.url}/feed", params={"page": 1}, conditional=True)
        second = polite.get(f"{server.url}/feed", params={"page": 1}, conditional=True)
        plain = polite.get(f"{server.url}/feed", params={"page": 1})
        assert (first.not_modified, second.not_modified, plain.not_modified) == (False, True, False)
        assert second.json() == {"标题": 1} == first.json()
        asked = [s.headers for s in server.seen]
        assert "if-none-match" not in asked[0]
        assert asked[1]["if-none-match"] == '"v1"'
        assert asked[1]["if-modified-since"] == "Sat, 01 Mar 2025 00:00:00 GMT"
        assert "if-none-match" not in asked[2]  # only asked-for requests are conditional
    finally:
        server.stop()
        state.close()


def test_gzip_is_asked_for_and_decoded_and_the_cap_holds_after_decoding() -> None:
    page, bomb = "数据".encode() * 1000, gzip.compress(b"\0" * 5_000_000)

    def answer(seen: Seen, _: object) -> Answer:
        if seen.path == "/bomb":
            return 200, {"Content-Encoding": "gzip"}, bomb
        return 200, {"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"}, gzip.compress(page)

    server = serving(answer)
    try:
        polite = client(max_bytes=1_000_000)
        assert polite.get(f"{server.url}/page").content == page
        assert "gzip" in server.seen[0].headers["accept-encoding"]
        with pytest.raises(TooLarge):
            polite.get(f"{server.url}/bomb")  # 5 KB on the wire, 5 MB decoded
    finally:
        server.stop()


def test_the_user_agent_names_us_and_the_contact_url(slow_server: RecordingServer) -> None:
    client(contact_url="https://data.jinan.example/contact").get(f"{slow_server.url}/x")
    agent = slow_server.seen[0].headers["user-agent"]
    assert re.fullmatch(r"harvester/\S+ \(\+https://data\.jinan\.example/contact\)", agent)


def test_retry_after_is_honoured_and_counted() -> None:
    answers = iter([(429, {"Retry-After": "1"}, b""), (200, {}, b"ok")])
    server = serving(lambda seen, _: next(answers))
    try:
        host = server.url.split("//")[1]
        before = PORTAL_REQUESTS.labels(host, "429")._value.get()
        assert client(retries=1).get(f"{server.url}/x").content == b"ok"
        assert server.seen[1].arrived - server.seen[0].ended >= 0.95
        assert PORTAL_REQUESTS.labels(host, "429")._value.get() == before + 1
        assert PORTAL_REQUESTS.labels(host, "200")._value.get() >= 1
    finally:
        server.stop()


def test_a_stop_ends_a_trickling_download_at_once() -> None:
    def trickle(seen: Seen, handler) -> None:  # type: ignore[no-untyped-def]
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(1000):
            try:
                handler.wfile.write(b"x")
                handler.wfile.flush()
            except OSError:
                break
            time.sleep(0.05)

    server = serving(trickle)
    cancel = threading.Event()
    try:
        polite = client(cancel=cancel)
        threading.Timer(0.3, cancel.set).start()
        started = time.monotonic()
        with pytest.raises(JobStopped):
            polite.get(f"{server.url}/slow")
        assert time.monotonic() - started < 2.0  # not the 50 s the trickle would take
    finally:
        server.stop()


def test_the_session_refuses_a_request_without_a_timeout(slow_server: RecordingServer) -> None:
    with pytest.raises(ValueError, match="needs a timeout"):
        TimeoutRequiredSession().get(f"{slow_server.url}/x")
    with pytest.raises(ValueError, match="positive timeout"):
        PoliteClient(timeout=0)
    assert slow_server.seen == []


#: ways to reach the network
_DIRECT_HTTP = re.compile(r"^\s*(?:import|from)\s+(?:requests|urllib3|httpx|aiohttp|http\.client|urllib\.request)\b"
                          r"|\burllib\.request\b|\burlopen\(|\brequests\.(?:get|post|put|head|request|Session)\b", re.M)
#: the modules that may hold an HTTP client: the polite client for portals, and the store's client for the
#: operator's own SPARQL server (harvester/store/sparql_http.py)
_CLIENT_MODULES = ("harvester/http/", "harvester/store/sparql_http.py")
_VERBS = {"request", "get", "post", "put", "delete", "head", "patch", "send"}


def _sources() -> Iterator[tuple[str, str]]:
    for folder in ("harvester", "web"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_no_code_reaches_the_network_except_through_the_client_modules() -> None:
    offenders = [f"{name}: {match.group(0).strip()}" for name, text in _sources()
                 if not name.startswith(_CLIENT_MODULES) for match in _DIRECT_HTTP.finditer(text)]
    assert offenders == []


def _calls_without_timeout(text: str) -> list[str]:
    """HTTP calls on a session or on requests that pass no timeout (forwarding **kwargs is checked at run time)."""
    missing = []
    for node in ast.walk(ast.parse(text)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _VERBS):
            continue
        receiver = ast.unparse(node.func.value)
        if "session" not in receiver.lower() and receiver != "requests":
            continue
        if not any(k.arg in ("timeout", None) for k in node.keywords):
            missing.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return missing


def test_every_http_call_in_the_client_modules_has_a_timeout() -> None:
    checked, missing = 0, []
    for name, text in _sources():
        if name.startswith(_CLIENT_MODULES):
            checked += 1
            missing += [f"{name} {m}" for m in _calls_without_timeout(text)]
    assert checked >= 2 and missing == []


def test_the_scans_would_catch_a_direct_or_untimed_call() -> None:
    assert _DIRECT_HTTP.search("import requests\n")
    assert _DIRECT_HTTP.search("    r = requests.get(url)\n")
    assert _DIRECT_HTTP.search("from urllib.request import urlopen\n")
    assert not _DIRECT_HTTP.search("from urllib.parse import urlsplit\n")
    assert _calls_without_timeout("self.session.get(url, params=p)\n")
    assert _calls_without_timeout("requests.post(url, data=b)\n")
    assert not _calls_without_timeout("self._session().request('GET', url, timeout=5)\n")
    assert not _calls_without_timeout("settings.get('x')\n")


def test_source_options_for_politeness_from_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from harvester.cli import main

    config = tmp_path / "harvester.toml"
    config.write_text('[data]\ndir = "data"\n', encoding="utf-8")
    runner = CliRunner()
    added = runner.invoke(main, ["--config", str(config), "source", "add", "jtj", "--type", "ckan", "--url",
                                 "https://jtj.jinan.example", "--option", "obey_robots=false", "--option", "delay=2.5",
                                 "--schedule", "every 6h"])
    assert added.exit_code == 0, added.output
    state = State(tmp_path / "data" / "state.db")
    [source] = state.sources()
    state.close()
    assert source.options == {"obey_robots": False, "delay": 2.5} and source.schedule == "every 6h"
    settings = load_settings(config, env={})
    polite = PoliteClient.from_settings(settings, source)
    assert (polite.obey_robots, polite.delay) == (False, 2.5)
    bad = runner.invoke(main, ["--config", str(config), "source", "add", "x", "--type", "ckan", "--url",
                               "https://x.example", "--option", "no-equals"])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.output
    bad = runner.invoke(main, ["--config", str(config), "source", "add", "x", "--type", "ckan", "--url",
                               "https://x.example", "--schedule", "daily"])
    assert bad.exit_code == 2 and "every 6h" in bad.output


@pytest.mark.parametrize("encoding, content_type", [
    ("utf-8", "application/json"), ("utf-8", "application/json; charset=UTF-8"),
    ("gbk", "application/json"), ("gbk", "application/json; charset=GBK"), ("gb18030", "application/json; charset=utf-8"),
])
def test_json_bodies_decode_whatever_the_label(encoding: str, content_type: str) -> None:
    body = '{"title": "济南市公交线路", "tags": ["交通"]}'.encode(encoding)
    assert Response("http://p.example/", 200, {"content-type": content_type}, body).json() == {
        "title": "济南市公交线路", "tags": ["交通"]}


def test_invalid_json_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match="invalid JSON from http://p.example/"):
        Response("http://p.example/", 200, {"content-type": "application/json"}, b"<html>busy</html>").json()
