"""The mapping of schema.org Dataset payloads (harvester.sources.schemaorg) to DCAT-AP 3: mappings/schemaorg.yaml,
behind a preparation of each dataset (``prepare_dataset``):

- text keeps its ``@language`` (else the dataset's one ``inLanguage``, its primary subtag, else the source's
  language);
- ``keywords`` as one string are split at commas; ``DefinedTerm`` keywords give their name;
- agents (``publisher``, else ``provider``, else the first ``creator``/``author``) are unwrapped from ``Role``
  and typed ``foaf:Person``/``foaf:Organization``; contact points come from ``contactPoint`` (the dataset's or
  its agents'), else from an agent's own e-mail and telephone;
- ``license`` (a URL, a name, or a ``CreativeWork``): the first the licence vocabulary knows, else the first;
- ``spatialCoverage``: a ``Place`` name, its ``GeoShape`` box as a WKT ``dcat:bbox``, its ``GeoCoordinates`` as
  ``dcat:centroid``; ``temporalCoverage`` (``2008-01-01/2010-12-31``) a period;
- ``distribution`` (``DataDownload``): ``contentUrl`` is the download and access URL (else ``url``, else the
  landing page), ``encodingFormat`` the format and media type, ``contentSize`` the byte size (``1.5 MB``),
  ``spdx:checksum`` the checksum;
- ``variableMeasured`` (``PropertyValue`` name, description, unitText) is the data dictionary.
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from pathlib import Path
from typing import Any

from harvester import vocab
from harvester.dcat.rdf import GSP, term, typed
from harvester.errors import MappingError
from harvester.mapping import Mapping, load_mapping
from harvester.mapping.emitters import MapContext
from harvester.mapping.paths import is_empty
from harvester.sources.schemaorg_extract import Node, types_of

SCHEMAORG_MAPPING_REF = "python:harvester.sources.schemaorg_map:SCHEMAORG_MAPPING"
#: schema.org properties kept as schema:additionalProperty (plain text only)
KEPT_AS_PROPERTIES = ("alternateName", "citation", "measurementTechnique", "isAccessibleForFree",
                      "conditionsOfAccess", "creditText")
_FOAF = "http://xmlns.com/foaf/0.1/"
_ORGANIZATION_TYPES = frozenset({"FundingAgency", "Corporation", "NGO", "Project", "ResearchProject", "Consortium",
                                 "DataCatalog", "WebSite"})
_AGENT_KEYS = ("creator", "author", "publisher", "provider", "contributor", "member", "agent")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_SIZE = re.compile(r"^\s*([\d.,]+)\s*([kmgt]?i?b|bytes?|字节)?\s*$", re.IGNORECASE)
_WKT_PREDICATES = frozenset({term("dcat:bbox"), term("dcat:centroid")})


class SchemaOrgMapping:
    """A mapping object (see harvester.mapping.engine.load_mapping) for schema.org Dataset payloads."""

    name = "schemaorg"
    ref = SCHEMAORG_MAPPING_REF

    @cached_property
    def table(self) -> Mapping:
        return load_mapping("schemaorg")

    @cached_property
    def digest(self) -> str:
        here = Path(__file__).parent
        code = b"".join((here / n).read_bytes() for n in ("schemaorg_map.py", "schemaorg_extract.py"))
        return f"{self.table.digest}-{hashlib.sha1(code).hexdigest()[:8]}"

    def remote_id(self, payload: Any) -> str | None:
        return str(payload["id"]) if isinstance(payload, dict) and payload.get("id") else None

    def change_marker(self, payload: Any) -> str | None:
        return None  # the sitemap's lastmod, when there is one, is the listing's change marker

    def apply(self, payload: Any, ctx: MapContext) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("dataset"), dict):
            raise MappingError("expected a schema.org Dataset payload")
        record = prepare_dataset(payload, ctx.lang)
        if not record["title"]:
            raise MappingError("title is missing: the Dataset has no name")
        self.table.apply(record, ctx)
        # dcat:bbox and dcat:centroid are WKT geometries: the table gives them as text
        ctx.triples[:] = [(s, p, typed(_text(o), GSP + "wktLiteral") if p in _WKT_PREDICATES else o)
                          for s, p, o in ctx.triples]


def prepare_dataset(payload: dict[str, Any], default_lang: str) -> dict[str, Any]:
    """The fields mappings/schemaorg.yaml maps (see the module docstring)."""
    node: Node = payload["dataset"]
    page = str(payload.get("page") or "")
    lang = _dataset_language(node) or default_lang
    landing = next((u for u in texts(node, "url") if _is_web(u)), None) or page or None
    agents = [agent(v) for key in ("publisher", "provider", "creator", "author") for v in node.get(key, [])]
    record: dict[str, Any] = {
        "id": payload.get("id"), "title": _first_per_language(lang_maps(node, "name", lang)),
        "description": lang_maps(node, "description", lang)[:1], "keywords": keywords(node),
        "identifiers": identifiers(node) or [str(payload.get("id") or page)],
        "landing_page": landing, "pages": [u for u in texts(node, "sameAs") if _is_web(u) and u != landing],
        "issued": first(texts(node, "datePublished") or texts(node, "dateCreated")),
        "modified": first(texts(node, "dateModified")), "version": first(texts(node, "version")),
        "publisher": next((a for a in agents if a), None),
        "creators": [a for key in ("creator", "author") for a in map(agent, node.get(key, [])) if a],
        "contacts": contacts(node), "licence": licence(node), "language": texts(node, "inLanguage"),
        "spatial": [p for p in map(place, node.get("spatialCoverage", [])) if p],
        "temporal": first(texts(node, "temporalCoverage")),
        "distribution": [d for d in (distribution(v, landing) for v in node.get("distribution", [])) if d],
        "variables": [v for v in map(variable, node.get("variableMeasured", [])) if v],
        "catalog": catalog(node, payload.get("catalog")),
    }
    for name in KEPT_AS_PROPERTIES:
        values = texts(node, name)
        record[name] = values[0] if len(values) == 1 else values
    return record


# --- reading values ----------------------------------------------------------------------------
def texts(node: Node, key: str) -> list[str]:
    """The plain text values of ``node[key]`` (language-tagged ones included, nested nodes give their
    name or ``@id``)."""
    out = []
    for value in node.get(key, []):
        if isinstance(value, dict):
            value = value.get("@value") or first(texts(value, "name")) or value.get("@id")
        if isinstance(value, bool):
            value = "true" if value else "false"
        if value is not None and not isinstance(value, (dict, list)) and not is_empty(str(value)):
            out.append(str(value).strip())
    return out


def first(values: list[str]) -> str | None:
    return values[0] if values else None


def lang_maps(node: Node, key: str, lang: str) -> list[dict[str, str]]:
    out = []
    for value in node.get(key, []):
        if isinstance(value, dict) and "@value" in value:
            tag = str(value.get("@language") or "")
            out.append({tag if _LANG_TAG.match(tag) else lang: str(value["@value"]).strip()})
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and not is_empty(str(value)):
            out.append({lang: str(value).strip()})
    return out


def _first_per_language(maps: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for one in maps:
        for tag, text in one.items():
            seen.setdefault(tag, text)
    return [{tag: text} for tag, text in seen.items()]


def _dataset_language(node: Node) -> str | None:
    """The language of the dataset's untagged text when it declares exactly one: its primary subtag
    (``zh-CN`` → ``zh``, so that records of one site share the tags of the source's language)."""
    tags = [t for t in texts(node, "inLanguage") if _LANG_TAG.match(t)]
    return tags[0].split("-")[0].lower() if len(tags) == 1 else None


def _is_web(text: str) -> bool:
    return text.startswith(("http://", "https://")) and " " not in text


def _text(literal_term: str) -> str:
    """The text of a plain N-Triples literal made by the table (no escapes in WKT)."""
    return literal_term[1:literal_term.rindex('"')]


# --- the fields --------------------------------------------------------------------------------
def keywords(node: Node) -> list[str]:
    out: list[str] = []
    for text in texts(node, "keywords"):
        out.extend(part.strip() for part in re.split(r"[,，、;；]", text) if part.strip())
    return list(dict.fromkeys(out))


def identifiers(node: Node) -> list[str]:
    out = []
    for value in node.get("identifier", []):
        if isinstance(value, dict):  # a PropertyValue: its value, else its URL
            value = first(texts(value, "value")) or first(texts(value, "url")) or value.get("@value")
        if value is not None and not is_empty(str(value)):
            out.append(str(value).strip())
    node_id = str(node.get("@id") or "")
    if _is_web(node_id) and not out:
        out.append(node_id)
    return list(dict.fromkeys(out))


def agent(value: Any) -> dict[str, Any] | None:
    """An agent's name, class and means of contact; a ``Role`` gives the agent it wraps."""
    if isinstance(value, dict) and "Role" in types_of(value):
        inner = next((v for k in _AGENT_KEYS for v in value.get(k, []) if isinstance(v, dict)), None)
        value = inner if inner is not None else value
    if isinstance(value, str):
        return {"name": value.strip(), "class": _FOAF + "Agent"} if value.strip() else None
    if not isinstance(value, dict):
        return None
    name = first(texts(value, "name") or texts(value, "legalName") or texts(value, "alternateName"))
    if name is None:
        return None
    kinds = set(types_of(value))
    cls = "Person" if "Person" in kinds else "Organization" if kinds & _ORGANIZATION_TYPES or any(
        k.endswith("Organization") for k in kinds) else "Agent"
    return {"name": name, "class": _FOAF + cls, "email": first(texts(value, "email")),
            "telephone": first(texts(value, "telephone")), "node": value}


def contacts(node: Node) -> list[dict[str, Any]]:
    """The dataset's contact points, else its agents', else agents that give an e-mail or telephone."""
    agents = [a for key in ("publisher", "provider", "creator", "author") for a in map(agent, node.get(key, [])) if a]
    points = [*node.get("contactPoint", []),
              *(p for a in agents if "node" in a for p in a["node"].get("contactPoint", []))]
    found = [c for c in map(_contact_point, points) if c]
    if not found:
        found = [{"fn": a["name"], "email": a.get("email"), "telephone": a.get("telephone")} for a in agents
                 if a.get("email") or a.get("telephone")]
    unique = {(c.get("fn"), c.get("email"), c.get("telephone")): c for c in reversed(found)}
    return list(reversed(unique.values()))[:3]


def _contact_point(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    found = {"fn": first(texts(value, "name") or texts(value, "contactType")), "email": first(texts(value, "email")),
             "telephone": first(texts(value, "telephone")), "url": first(texts(value, "url"))}
    return found if any(found.values()) else None


def licence(node: Node) -> list[str]:
    """One licence (DCAT-AP allows one): the first the vocabulary recognises, else the first given."""
    candidates = []
    for value in node.get("license", []):
        if isinstance(value, dict):  # a CreativeWork: its URL, else its name
            candidates += texts(value, "url") + texts(value, "name") + ([value["@id"]] if value.get("@id") else [])
        elif isinstance(value, str) and value.strip():
            candidates.append(value.strip())
    known = next((c for c in candidates if _known_licence(c)), None)
    return [known or candidates[0]] if candidates else []


def _known_licence(text: str) -> bool:
    return (vocab.licence(None, text) if "://" in text else vocab.licence(text)) is not None


def place(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        return {"name": value.strip()} if value.strip() else None
    if not isinstance(value, dict):
        return None
    found: dict[str, Any] = {"name": first(texts(value, "name"))}
    for geo in value.get("geo", []):
        if isinstance(geo, dict):
            found["bbox"] = found.get("bbox") or box_wkt(first(texts(geo, "box")))
            found["centroid"] = found.get("centroid") or point_wkt(geo)
    return found if any(found.values()) else None


def box_wkt(box: str | None) -> str | None:
    """schema.org ``GeoShape.box`` ("south west north east": two points, latitude before longitude) as WKT."""
    try:
        south, west, north, east = (float(n) for n in re.split(r"[\s,]+", (box or "").strip()))
    except ValueError:
        return None
    if not (-90 <= south <= 90 and -90 <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        return None
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return "POLYGON((" + ", ".join(f"{x:g} {y:g}" for x, y in corners) + "))"


def point_wkt(geo: Node) -> str | None:
    try:
        latitude, longitude = float(texts(geo, "latitude")[0]), float(texts(geo, "longitude")[0])
    except (IndexError, ValueError):
        return None
    return f"POINT({longitude:g} {latitude:g})"


def distribution(value: Any, landing: str | None) -> dict[str, Any] | None:
    if isinstance(value, str):
        return {"access_url": value, "download_url": value} if _is_web(value) else None
    if not isinstance(value, dict):
        return None
    content = first([u for u in texts(value, "contentUrl") if _is_web(u)])
    formats = texts(value, "encodingFormat") or texts(value, "fileFormat")
    size = first(texts(value, "contentSize"))
    return {"access_url": content or first([u for u in texts(value, "url") if _is_web(u)]) or landing,
            "download_url": content, "title": first(texts(value, "name")),
            "description": first(texts(value, "description")), "format": first(formats),
            "byte_size": byte_size(size), "content_size": size if byte_size(size) is None else None,
            "issued": first(texts(value, "datePublished")), "modified": first(texts(value, "dateModified")),
            "checksum": checksum(value)}


def byte_size(text: str | None) -> int | None:
    match = _SIZE.match(text or "")
    if not match:
        return None
    unit = (match.group(2) or "").lower()
    factor = 1024 ** ("kmgt".index(unit[0]) + 1) if unit[:1] in ("k", "m", "g", "t") else 1
    try:
        return int(float(match.group(1).replace(",", "")) * factor)
    except ValueError:
        return None


def checksum(value: Node) -> str | None:
    """``algorithm:digest`` of the first ``spdx:checksum`` (harvester's ``checksum`` kind reads it)."""
    for found in value.get("spdx:checksum", []):
        if isinstance(found, dict):
            digest = first(texts(found, "spdx:checksumValue"))
            algorithm = next((str(a.get("@id") or "") for a in found.get("spdx:checksumAlgorithm", [])
                              if isinstance(a, dict)), "")
            if digest:
                return f"{algorithm.rsplit('_', 1)[-1]}:{digest}" if "_" in algorithm else digest
    return None


def variable(value: Any) -> dict[str, str] | str | None:
    """One column of the data dictionary: its name, and its description with its unit."""
    if isinstance(value, str):
        return value.strip() or None
    if not isinstance(value, dict):
        return None
    name = first(texts(value, "name"))
    if name is None:
        return None
    description, unit = first(texts(value, "description")), first(texts(value, "unitText"))
    if unit:
        description = f"{description} ({unit})" if description else unit
    return {"name": name, "description": description or ""}


def catalog(node: Node, page_catalog: Node | None) -> dict[str, Any] | None:
    """The DataCatalog the dataset is listed in: ``includedInDataCatalog``, else the catalog of its page."""
    found = next((v for v in node.get("includedInDataCatalog", []) if isinstance(v, dict)), page_catalog)
    if not isinstance(found, dict):
        return None
    url = first([u for u in texts(found, "url") + [str(found.get("@id") or "")] if _is_web(u)])
    name = first(texts(found, "name"))
    return {"name": name, "url": url} if name or url else None


SCHEMAORG_MAPPING = SchemaOrgMapping()
