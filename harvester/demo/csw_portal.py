"""济南市自然资源和规划局's demo CSW 2.0.2 catalogue: generated ISO 19139 records (harvester.demo.csw_records)
served on a loopback port, the way a GeoNetwork answers GET requests with KVP.

    running = start_csw_demo()          # running.url == "http://127.0.0.1:<port>/csw"
    ...                                 # harvest it as a source of type csw
    running.stop()

    GET /csw?service=CSW&request=GetCapabilities
    GET /csw?service=CSW&version=2.0.2&request=GetRecords&outputSchema=http://www.isotc211.org/2005/gmd
            &elementSetName=full&resultType=results&startPosition=1&maxRecords=10
            [&constraintLanguage=CQL_TEXT&constraint=Modified >= '2024-01-01T00:00:00Z']
    GET /csw?service=CSW&version=2.0.2&request=GetRecordById&id=…&outputSchema=…
    GET /portal/metadata/<id>.html      the record's page for people

Records are sorted by identifier; ``nextRecord`` is 0 on the last page. A request it cannot answer (another
outputSchema, a constraint other than ``Modified >=``, an unknown request) gets an ``ows:ExceptionReport``.
"""

from __future__ import annotations

import html
import re
import threading
from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from harvester.demo.csw_records import (
    DEPARTMENT, PAGE_PATH, CswEntry, generate_entries, iso19139_xml, touched,
)
from harvester.demo.custom_server import Answer, RunningCustomPortal, encoded, serve_custom
from harvester.mapping.values import parse_datetime

CSW_PATH = "/csw"
GMD = "http://www.isotc211.org/2005/gmd"
MAX_RECORDS = 100
DEFAULT_RECORDS = 10
XML = "application/xml"
SOURCE_ID = "jinan-zrzyhghj"
SOURCE_TITLE = DEPARTMENT.title  # 济南市自然资源和规划局
_MODIFIED = re.compile(r"^\s*\(?\s*(?:apiso:)?modified\s*>=\s*'([^']+)'\s*\)?\s*$", re.I)
_AND = re.compile(r"\s+AND\s+", re.I)
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


class CswPortal:
    """The catalogue over generated entries. Fault switches, read on every request:

    charset_fault: one of custom_server.CHARSET_FAULTS, on every answer
    truncate_page: this startPosition's answer is cut off mid-XML
    next_record_loop: every page answers nextRecord = its own startPosition
    refuse_filters: a constraint gets an ows:ExceptionReport (a catalogue without CQL)
    untitled: entry numbers whose record has no title
    """

    def __init__(self, size: int = 48, seed: int = 1) -> None:
        self.entries: dict[str, CswEntry] = {e.id: e for e in generate_entries(size, seed)}
        self.base_url = ""
        self.lock = threading.Lock()
        self.charset_fault: str | None = None
        self.truncate_page: int | None = None
        self.next_record_loop = False
        self.refuse_filters = False
        self.untitled: set[int] = set()

    # --- changing the catalogue (tests) -------------------------------------------------------------------------
    def touch(self, number: int, when: datetime | None = None) -> CswEntry:
        """Edit entry ``number`` now (or at ``when``): its date stamp moves, so a changed-since query finds it."""
        with self.lock:
            entry = next(e for e in self.entries.values() if e.number == number)
            self.entries[entry.id] = changed = touched(entry, when or datetime.now(timezone.utc))
        return changed

    def remove(self, number: int) -> CswEntry:
        with self.lock:
            entry = next(e for e in self.entries.values() if e.number == number)
            del self.entries[entry.id]
        return entry

    # --- answering ---------------------------------------------------------------------------------------------
    def answer(self, path: str, params: dict[str, str]) -> Answer:
        kvp = {k.lower(): v for k, v in params.items()}
        if path.startswith(PAGE_PATH) and path.endswith(".html"):
            return self._page(path.removeprefix(PAGE_PATH).removesuffix(".html"))
        if path != CSW_PATH:
            return 404, "text/html; charset=utf-8", "<h1>404 页面不存在</h1>".encode()
        request = kvp.get("request", "").lower()
        if request == "getcapabilities":
            return self._xml(capabilities(self.base_url + CSW_PATH))
        if kvp.get("service", "").upper() != "CSW":
            return self._xml(exception_report("MissingParameterValue", "service", "service=CSW is required"))
        if request == "getrecords":
            return self._get_records(kvp)
        if request == "getrecordbyid":
            return self._get_record_by_id(kvp.get("id", ""))
        return self._xml(exception_report("OperationNotSupported", "request", f"unknown request {request!r}"))

    def _get_records(self, kvp: dict[str, str]) -> Answer:
        if kvp.get("outputschema", GMD) != GMD:
            return self._xml(exception_report("InvalidParameterValue", "outputSchema",
                                              f"this catalogue writes {GMD} only"))
        try:
            start = max(1, int(kvp.get("startposition", "1")))
            size = min(MAX_RECORDS, max(1, int(kvp.get("maxrecords", str(DEFAULT_RECORDS)))))
            since = self._since(kvp.get("constraint", ""))
        except ValueError as exc:
            return self._xml(exception_report("InvalidParameterValue", "constraint", str(exc)))
        with self.lock:
            matched = sorted((e for e in self.entries.values() if since is None or e.modified >= since),
                             key=lambda e: e.id)
        chosen = matched[start - 1:start - 1 + size]
        following = start + len(chosen) if start - 1 + len(chosen) < len(matched) else 0
        if self.next_record_loop:
            following = start
        records = "".join(iso19139_xml(e, self.base_url, e.number not in self.untitled) for e in chosen)
        body = results_answer(len(matched), len(chosen), following, records)
        if self.truncate_page == start:
            body = body[:len(body) * 2 // 3]
        return self._xml(body)

    def _since(self, constraint: str) -> datetime | None:
        """The moment of a ``Modified >= '…'`` constraint (ValueError for any other constraint)."""
        if not constraint.strip():
            return None
        if self.refuse_filters:
            raise ValueError("constraints are not supported by this catalogue")
        since = None
        for clause in _AND.split(constraint.strip()):
            match = _MODIFIED.match(clause)
            if not match:
                raise ValueError(f"unsupported constraint {clause[:80]!r}: only Modified >= '…' is understood")
            moment = parse_datetime(match.group(1))
            if not isinstance(moment, datetime):
                moment = datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
            since = moment if since is None else max(since, moment)
        return since

    def _get_record_by_id(self, record_id: str) -> Answer:
        with self.lock:
            entry = self.entries.get(record_id)
        inner = iso19139_xml(entry, self.base_url, entry.number not in self.untitled) if entry else ""
        return self._xml(f'{_DECLARATION}<csw:GetRecordByIdResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
                         f"{inner}</csw:GetRecordByIdResponse>")

    def _page(self, record_id: str) -> Answer:
        with self.lock:
            entry = self.entries.get(record_id)
        if entry is None:
            return 404, "text/html; charset=utf-8", "<h1>404 元数据不存在</h1>".encode()
        title = html.escape(entry.title)
        page = (f"<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'><title>{title}</title></head>"
                f"<body><h1>{title}</h1><p>{html.escape(entry.code)}</p></body></html>")
        return 200, "text/html; charset=utf-8", page.encode()

    def _xml(self, text: str) -> Answer:
        content_type, body = encoded(text, XML, self.charset_fault)
        return 200, content_type, body


def results_answer(matched: int, returned: int, following: int, records: str) -> str:
    """A csw:GetRecordsResponse around ``records`` (serialised elements)."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return (f'{_DECLARATION}<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
            f'version="2.0.2"><csw:SearchStatus timestamp="{stamp}"/>'
            f'<csw:SearchResults numberOfRecordsMatched="{matched}" numberOfRecordsReturned="{returned}" '
            f'elementSet="full" nextRecord="{following}">{records}</csw:SearchResults></csw:GetRecordsResponse>')


def exception_report(code: str, locator: str, message: str) -> str:
    return (f'{_DECLARATION}<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.2.0">'
            f"<ows:Exception exceptionCode={quoteattr(code)} locator={quoteattr(locator)}>"
            f"<ows:ExceptionText>{escape(message)}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>")


def capabilities(url: str) -> str:
    """A minimal GetCapabilities answer: who runs the catalogue and the GET endpoint of each operation."""
    operations = "".join(
        f'<ows:Operation name="{name}"><ows:DCP><ows:HTTP><ows:Get xlink:href={quoteattr(url)}/></ows:HTTP>'
        f"</ows:DCP></ows:Operation>" for name in ("GetCapabilities", "GetRecords", "GetRecordById"))
    return (f'{_DECLARATION}<csw:Capabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
            'xmlns:ows="http://www.opengis.net/ows" xmlns:xlink="http://www.w3.org/1999/xlink" version="2.0.2">'
            f"<ows:ServiceIdentification><ows:Title>{escape(DEPARTMENT.title)}地理信息元数据目录</ows:Title>"
            "<ows:ServiceType>CSW</ows:ServiceType><ows:ServiceTypeVersion>2.0.2</ows:ServiceTypeVersion>"
            f"</ows:ServiceIdentification><ows:ServiceProvider><ows:ProviderName>{escape(DEPARTMENT.title)}"
            f"</ows:ProviderName></ows:ServiceProvider><ows:OperationsMetadata>{operations}</ows:OperationsMetadata>"
            "</csw:Capabilities>")


def start_csw_demo(host: str = "127.0.0.1", port: int = 0, size: int = 48, seed: int = 1) -> RunningCustomPortal:
    """Serve the catalogue on host:port (0: any free port) in a daemon thread; ``url`` is its CSW endpoint and
    ``portal`` the CswPortal (its fault switches, ``touch`` and ``remove``)."""
    running = serve_custom(CswPortal(size, seed), host=host, port=port)
    running.url = running.url + CSW_PATH
    return running
