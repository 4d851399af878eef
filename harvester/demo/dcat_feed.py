"""The demo DCAT feed: 济南市统计局's datasets as a DCAT-AP Turtle catalog paged with Hydra, on a loopback port.

    feed = start_dcat_demo()            # feed.url == "http://127.0.0.1:<port>/catalog.ttl"
    ...                                 # harvest it as a source of type dcat_rdf
    feed.stop()

The datasets are the demo CKAN portal's packages of 济南市统计局 (same seed, same content, so the same
(index, seed) always gives the same Turtle), written the way many DCAT-AP 2 portals write them: formats,
media types, languages, update frequencies and access rights as literals, sizes as ``xsd:decimal``, the time
period with ``schema:startDate``, the contact point as a blank node. Harvesting the feed shows the
normalisation to DCAT-AP 3 at work. Pages are ``/catalog.ttl?page=N`` (``hydra:PartialCollectionView`` with
``hydra:next``); ``/catalog.ttl`` is the first page.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harvester import vocab
from harvester.dcat.rdf import iri, literal, typed
from harvester.demo.departments import DEPARTMENTS_BY_SLUG
from harvester.demo.generator import DEFAULT_BASE_URL, generate_package
from harvester.demo.identity import placement_of
from harvester.demo.portal import DEFAULT_SIZE

DEPARTMENT_SLUG = "jntjj"  # 济南市统计局
DEFAULT_PAGE_SIZE = 10
FEED_PATH = "/catalog.ttl"
TURTLE = "text/turtle; charset=utf-8"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix schema: <http://schema.org/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""


def department_packages(size: int = DEFAULT_SIZE, seed: int = 1, base_url: str = DEFAULT_BASE_URL) -> list[dict[str, Any]]:
    """The demo portal's packages published by 济南市统计局, in index order."""
    return [generate_package(i, seed, base_url) for i in range(size)
            if placement_of(i, seed).department.slug == DEPARTMENT_SLUG]


def _block(subject: str, pairs: list[tuple[str, str]]) -> str:
    """One Turtle statement block: ``subject p1 o1 ;\\n    p2 o2 .``"""
    body = " ;\n    ".join(f"{p} {o}" for p, o in pairs)
    return f"{subject} {body} .\n\n"


def _extras(package: dict[str, Any]) -> dict[str, str]:
    return {e["key"]: e["value"] for e in package.get("extras", [])}


def _ckan_time(text: str) -> str:
    """CKAN's naive UTC timestamp as an xsd:dateTime literal."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC, microsecond=0)
    return typed(moment.isoformat().replace("+00:00", "Z"), _XSD + "dateTime")


def _beijing_time(text: str) -> str:
    moment = datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=timezone(timedelta(hours=8)))
    return typed(moment.isoformat(), _XSD + "dateTime")


def dataset_turtle(package: dict[str, Any]) -> str:
    """The Turtle of one dataset and its distributions."""
    department = DEPARTMENTS_BY_SLUG[package["organization"]["name"]]
    extras = _extras(package)
    subject = iri(f"http://{department.host}/dataset/{package['name']}")
    pairs = [("a", "dcat:Dataset"), ("dct:identifier", literal(extras.get("资源代码", package["id"])))]
    titles = package.get("title_translated") or {"zh": package["title"]}
    notes = package.get("notes_translated") or {"zh": package["notes"]}
    pairs += [("dct:title", literal(text, lang)) for lang, text in titles.items()]
    pairs += [("dct:description", literal(text, lang)) for lang, text in notes.items()]
    pairs += [("dcat:keyword", literal(tag["name"], "zh")) for tag in package["tags"]]
    pairs += _themes(package) + _facts(package, extras)
    pairs += [("dct:publisher", iri(f"http://{department.host}/#organization")),
              ("dcat:contactPoint", _contact(package, extras)),
              ("dcat:landingPage", iri(package["url"]))]
    resources = package.get("resources", [])
    pairs += [("dcat:distribution", iri(f"{subject[1:-1]}/resource/{r['id']}")) for r in resources]
    return _block(subject, pairs) + "".join(_distribution(subject, r, package) for r in resources)


def _themes(package: dict[str, Any]) -> list[tuple[str, str]]:
    found = (vocab.theme(group["title"]) for group in package.get("groups", []))
    return [("dcat:theme", f"<{concept.iri}>") for concept in dict.fromkeys(c for c in found if c)]


def _facts(package: dict[str, Any], extras: dict[str, str]) -> list[tuple[str, str]]:
    """Dates, frequency, openness, coverage, language and licence, as a DCAT-AP 2 portal writes them."""
    pairs = [("dct:issued", _beijing_time(extras["发布日期"])) if "发布日期" in extras else None,
             ("dct:modified", _ckan_time(package["metadata_modified"])),
             ("dct:accrualPeriodicity", literal(extras.get("更新频率") or extras.get("frequency", ""))),
             ("dct:accessRights", literal(extras["开放类型"])) if "开放类型" in extras else None,
             ("dct:rights", literal(extras["开放条件"], "zh")) if "开放条件" in extras else None,
             ("dct:spatial", literal(extras.get("空间范围") or extras.get("spatial", ""), "zh")),
             ("dct:language", literal(extras.get("language", "zh"))),
             ("owl:versionInfo", literal(package["version"])) if package.get("version") else None]
    start, _, end = extras.get("时间范围", "").partition("/")
    if start and end:
        pairs.append(("dct:temporal", f"[ a dct:PeriodOfTime ; schema:startDate {typed(start, _XSD + 'date')} ; "
                                      f"schema:endDate {typed(end, _XSD + 'date')} ]"))
    if package.get("license_url"):
        pairs.append(("dct:license", iri(package["license_url"])))
    elif package.get("license_title"):
        pairs.append(("dct:license", literal(package["license_title"])))
    return [p for p in pairs if p is not None and p[1] != '""']


def _contact(package: dict[str, Any], extras: dict[str, str]) -> str:
    name = str(package.get("maintainer") or package.get("author") or department_name(package))
    email = package.get("maintainer_email") or package.get("author_email")
    parts = ["a vcard:Organization", f"vcard:fn {literal(name, 'zh')}"]
    if email:
        parts.append(f"vcard:hasEmail {iri('mailto:' + email)}")
    if extras.get("联系电话"):
        parts.append(f"vcard:hasTelephone {literal(extras['联系电话'])}")
    return "[ " + " ; ".join(parts) + " ]"


def department_name(package: dict[str, Any]) -> str:
    return str(package["organization"]["title"])


def _distribution(dataset: str, resource: dict[str, Any], package: dict[str, Any]) -> str:
    pairs = [("a", "dcat:Distribution"), ("dct:title", literal(resource["name"], "zh")),
             ("dcat:accessURL", iri(resource["url"])), ("dcat:downloadURL", iri(resource["url"]))]
    if resource.get("description"):
        pairs.append(("dct:description", literal(resource["description"], "zh")))
    if resource.get("format"):
        pairs.append(("dct:format", literal(resource["format"])))
    if resource.get("mimetype"):
        pairs.append(("dcat:mediaType", literal(resource["mimetype"])))
    if resource.get("size"):
        pairs.append(("dcat:byteSize", typed(str(resource["size"]), _XSD + "decimal")))
    if resource.get("last_modified"):
        pairs.append(("dct:modified", _ckan_time(resource["last_modified"])))
    if package.get("license_url"):
        pairs.append(("dct:license", iri(package["license_url"])))
    return _block(iri(f"{dataset[1:-1]}/resource/{resource['id']}"), pairs)


class DcatFeed:
    """The feed's pages, made once per page number."""

    def __init__(self, size: int = DEFAULT_SIZE, seed: int = 1, page_size: int = DEFAULT_PAGE_SIZE,
                 portal_url: str = DEFAULT_BASE_URL) -> None:
        self.size, self.seed, self.page_size, self.portal_url = size, seed, page_size, portal_url
        self.feed_url = ""  # set once the server knows its port
        self._pages: dict[int, bytes] = {}
        self._lock = threading.Lock()

    @cached_property
    def packages(self) -> list[dict[str, Any]]:
        return department_packages(self.size, self.seed, self.portal_url)

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.packages) // self.page_size))

    def page(self, number: int) -> bytes:
        """Page ``number`` (1-based) as UTF-8 Turtle, made once."""
        with self._lock:
            if number not in self._pages:
                self._pages[number] = self.page_turtle(number).encode("utf-8")
            return self._pages[number]

    def page_turtle(self, number: int) -> str:
        chosen = self.packages[(number - 1) * self.page_size:number * self.page_size]
        department = DEPARTMENTS_BY_SLUG[DEPARTMENT_SLUG]
        organization = iri(f"http://{department.host}/#organization")
        catalog = iri(self.feed_url)
        return "".join([
            _PREFIXES,
            _block(catalog, [("a", "dcat:Catalog, hydra:Collection"),
                             ("dct:title", literal(f"{department.title}开放数据目录", "zh")),
                             ("dct:description", literal(department.description, "zh")),
                             ("dct:publisher", organization),
                             ("hydra:totalItems", typed(str(len(self.packages)), _XSD + "integer")),
                             ("hydra:view", self._page_iri(number))]
                   + [("dcat:dataset", iri(f"http://{department.host}/dataset/{p['name']}")) for p in chosen]),
            _block(self._page_iri(number), self._view_links(number)),
            _block(organization, [("a", "foaf:Organization"), ("foaf:name", literal(department.title, "zh")),
                                  ("foaf:name", literal(department.title_en, "en")),
                                  ("dct:identifier", literal(department.credit_code))]),
            *(dataset_turtle(p) for p in chosen),
        ])

    def _page_iri(self, number: int) -> str:
        return iri(f"{self.feed_url}?page={number}")

    def _view_links(self, number: int) -> list[tuple[str, str]]:
        links = [("a", "hydra:PartialCollectionView"), ("hydra:first", self._page_iri(1)),
                 ("hydra:last", self._page_iri(self.page_count))]
        if number > 1:
            links.append(("hydra:previous", self._page_iri(number - 1)))
        if number < self.page_count:
            links.append(("hydra:next", self._page_iri(number + 1)))
        return links


class _FeedHandler(BaseHTTPRequestHandler):
    server: _FeedServer
    protocol_version = "HTTP/1.1"
    server_version = "DemoDcatFeed/1.0"

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append(self.path)
        number = (parse_qs(parts.query).get("page") or ["1"])[0]
        feed = self.server.feed
        if parts.path != FEED_PATH or not number.isdigit() or not 1 <= int(number) <= feed.page_count:
            self._send(404, "text/plain; charset=utf-8", "没有这一页 (no such page)\n".encode(), head)
            return
        self._send(200, TURTLE, feed.page(int(number)), head)

    def _send(self, status: int, content_type: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are kept in server.requests; the demo's console stays quiet


class _FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], feed: DcatFeed) -> None:
        super().__init__(address, _FeedHandler)
        self.feed = feed
        self.requests: list[str] = []


@dataclass
class RunningDcatFeed:
    """A demo feed being served; ``url`` is its first page, ``requests`` the paths asked so far."""

    url: str
    feed: DcatFeed
    _server: _FeedServer
    _thread: threading.Thread

    @property
    def requests(self) -> list[str]:
        return self._server.requests

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_dcat_demo(host: str = "127.0.0.1", port: int = 0, *, size: int = DEFAULT_SIZE, seed: int = 1,
                    page_size: int = DEFAULT_PAGE_SIZE, portal_url: str = DEFAULT_BASE_URL) -> RunningDcatFeed:
    """Serve the 济南市统计局 DCAT feed on host:port (0: any free port) in a daemon thread. ``size`` and
    ``seed`` are those of the demo CKAN portal the datasets come from; ``portal_url`` is where its download
    links point."""
    feed = DcatFeed(size, seed, page_size, portal_url)
    server = _FeedServer((host, port), feed)
    shown_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    feed.feed_url = f"http://{shown_host}:{server.server_port}{FEED_PATH}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"demo-dcat-feed-{server.server_port}", daemon=True)
    thread.start()
    return RunningDcatFeed(feed.feed_url, feed, server, thread)
