"""DCAT-US data.json catalogs: Project Open Data 1.1, and DCAT-US 3.0 in its JSON form.

One GET reads the whole catalog (data.json has neither paging nor a listing of changes); every dataset comes
with its payload, and the job's content hash tells the unchanged ones, which then cost no mapping and no
store write. The document may be a catalog (``dataset``, and in DCAT-US 3.0 ``datasetSeries`` whose
``seriesMember``/``first``/``last`` are datasets too), a list of datasets, or one dataset. Series become
records of their own, typed ``dcat:DatasetSeries``; their members link to them with ``dcat:inSeries``.

The field table is mappings/datajson.yaml; DataJsonMapping prepares each dataset for it (see its docstring).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

from harvester.dcat.rdf import A, term
from harvester.errors import FetchError, GatherError, MappingError
from harvester.http import PoliteClient
from harvester.mapping import Mapping, load_mapping
from harvester.mapping.emitters import MapContext
from harvester.mapping.paths import is_empty
from harvester.model import RemoteRef, Source
from harvester.sources.rdf_read import charset_of, is_utf8, transcode_to_utf8

DATAJSON_MAPPING_REF = "python:harvester.sources.datajson:DATAJSON_MAPPING"
#: fields that hold lists; a portal that sends one value gets it wrapped
LIST_FIELDS = ("keyword", "theme", "language", "references", "distribution", "bureauCode", "programCode")
#: Project Open Data accessLevel → EU access-right code
POD_ACCESS_LEVELS = {"public": "PUBLIC", "restricted public": "RESTRICTED", "non-public": "NON_PUBLIC"}
_SERIES_MEMBERS = ("seriesMember", "first", "last")


class DataJsonSource:
    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.mapping = load_mapping(source.mapping or DATAJSON_MAPPING_REF)
        self.expected_total: int | None = None

    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every dataset and series of the catalog; ``since`` is not used (see the module docstring)."""
        entries = list(catalog_entries(self._read(), self.mapping))
        self.expected_total = len(entries)
        seen: set[str] = set()
        for where, dataset in entries:
            remote_id = self.mapping.remote_id(dataset)
            if remote_id is None:
                title = dataset.get("title") if isinstance(dataset, dict) else None
                label = f"{where} ({str(title)[:80]!r})" if title else where
                yield RemoteRef(f"{where} (no identifier)", None, None, {"_error": f"{label} has no identifier"})
            elif remote_id not in seen:
                seen.add(remote_id)
                yield RemoteRef(remote_id, None, None, dataset)

    def _read(self) -> Any:
        url = self.source.url
        try:
            response = self.client.get(url, headers={"Accept": "application/json, application/ld+json;q=0.9"})
        except FetchError as exc:
            raise GatherError(f"{url}: {exc}") from exc
        body = response.content.removeprefix(b"\xef\xbb\xbf")
        if not is_utf8(body):
            body = transcode_to_utf8(body, charset_of(response.headers.get("content-type", "")), url)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise GatherError(f"{response.url} is not valid JSON: {exc}") from exc

    def fetch(self, ref: RemoteRef) -> Any:
        if ref.payload is None:
            raise FetchError(f"{ref.remote_id}: a data.json gives every dataset with its listing", ref.url)
        return ref.payload

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        """The dataset's landing page, else its identifier when that is a web address."""
        page = payload.get("landingPage") if isinstance(payload, dict) else None
        for candidate in (page, ref.remote_id):
            if isinstance(candidate, str) and candidate.startswith(("http://", "https://")):
                return candidate
        return None


def catalog_entries(document: Any, mapping: Any) -> Iterator[tuple[str, Any]]:
    """(where, dataset) for every series, series member and dataset of a data.json document."""
    series: Any
    if isinstance(document, list):
        datasets, series = document, []
    elif isinstance(document, dict) and ("dataset" in document or "datasetSeries" in document):
        datasets, series = document.get("dataset") or [], document.get("datasetSeries") or []
    elif isinstance(document, dict) and ("title" in document or "identifier" in document):
        datasets, series = [document], []
    else:
        raise GatherError("the document is neither a data.json catalog (with a 'dataset' list) nor a dataset")
    if not isinstance(datasets, list) or not isinstance(series, list):
        raise GatherError("'dataset' and 'datasetSeries' should be lists")
    links: dict[str, dict[str, Any]] = {}
    for n, one in enumerate(series, 1):
        yield from _series_entries(n, one, mapping, links)
    for n, dataset in enumerate(datasets, 1):
        if isinstance(dataset, dict) and isinstance(dataset.get("inSeries"), str) and dataset["inSeries"] in links:
            dataset = {**dataset, "inSeries": links[dataset["inSeries"]]}
        yield f"dataset {n}", dataset if isinstance(dataset, dict) else {"_error": f"dataset {n} is not an object"}


def _series_entries(n: int, series: Any, mapping: Any, links: dict[str, dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    if not isinstance(series, dict):
        yield f"series {n}", {"_error": f"series {n} is not an object"}
        return
    own = {k: v for k, v in series.items() if k not in _SERIES_MEMBERS}
    own.setdefault("@type", "DatasetSeries")
    yield f"series {n}", own
    series_id = mapping.remote_id(own)
    if series_id is None:
        return
    link = {"id": series_id, "title": own.get("title"), "description": own.get("description")}
    for name in filter(None, (series_id, own.get("@id"))):
        links[str(name)] = link
    members = series.get("seriesMember")
    for member in [*(members if isinstance(members, list) else []), series.get("first"), series.get("last")]:
        if isinstance(member, dict):
            yield f"series {n} member", {**member, "inSeries": member.get("inSeries") or link}


class DataJsonMapping:
    """mappings/datajson.yaml, behind a small preparation of each dataset:

    - single values where lists are due (``keyword``, ``theme``, ``distribution`` …) become lists;
    - an identifier object (DCAT-US 3.0: ``{"@id"}`` or ``{"notation"}``) becomes its text;
    - a repeating interval in ``modified`` (``R/P1W``, allowed by Project Open Data) is the update frequency;
    - ``accessLevel`` (public, restricted public, non-public) becomes the EU access right;
    - a publisher or contact point given as text becomes an object; series get ``dcat:DatasetSeries``.
    """

    name = "datajson"
    ref = DATAJSON_MAPPING_REF

    @cached_property
    def table(self) -> Mapping:
        return load_mapping("datajson")

    @property
    def digest(self) -> str:
        return self.table.digest + "-1"

    def remote_id(self, payload: Any) -> str | None:
        if not isinstance(payload, dict):
            return None
        identifier = payload.get("identifier")
        if isinstance(identifier, dict):
            identifier = identifier.get("@id") or identifier.get("notation")
        if is_empty(identifier) or isinstance(identifier, (dict, list)):
            identifier = payload.get("@id")
        return None if is_empty(identifier) or isinstance(identifier, (dict, list)) else str(identifier).strip()

    def change_marker(self, payload: Any) -> str | None:
        return None  # `modified` may be a frequency, and says nothing of the description: hash instead

    def apply(self, payload: Any, ctx: MapContext) -> None:
        if not isinstance(payload, dict):
            raise MappingError(f"expected a JSON object, got {type(payload).__name__}")
        if payload.get("_error"):
            raise MappingError(str(payload["_error"]))
        self.table.apply(self.prepare(payload), ctx)
        if str(payload.get("@type", "")).removeprefix("dcat:") == "DatasetSeries":
            ctx.add(f"<{ctx.dataset}>", A, term("dcat:DatasetSeries"))

    def prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        dataset = dict(payload)
        for name in LIST_FIELDS:
            if name in dataset and not isinstance(dataset[name], list) and not is_empty(dataset[name]):
                dataset[name] = [dataset[name]]
        dataset["identifier"] = self.remote_id(payload)
        modified = dataset.get("modified")
        if isinstance(modified, str) and modified.strip().upper().startswith("R/"):
            dataset.setdefault("accrualPeriodicity", modified.strip())
            del dataset["modified"]
        level = dataset.get("accessLevel")
        if isinstance(level, str) and level.strip().lower() in POD_ACCESS_LEVELS:
            dataset["accessLevel"] = POD_ACCESS_LEVELS[level.strip().lower()]
        for name, key in (("publisher", "name"), ("contactPoint", "fn")):
            if isinstance(dataset.get(name), str):
                dataset[name] = {key: dataset[name]}
        return dataset


DATAJSON_MAPPING = DataJsonMapping()
