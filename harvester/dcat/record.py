"""The parts of a record graph the harvester adds itself: IRIs, the dcat:CatalogRecord, the source catalogs."""

from __future__ import annotations

from datetime import datetime

from harvester.dcat import rdf
from harvester.dcat.rdf import A, Triple, literal, safe_iri, term, typed
from harvester.model import Source

DCAT_AP_3 = "http://data.europa.eu/r5r/"  # DCAT-AP 3 is identified by its namespace document


class Iris:
    """Every IRI the catalog mints, from one base URL (DESIGN §4)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def dataset(self, source_id: str, key: str) -> str:
        return f"{self.base}/dataset/{source_id}/{key}"

    def graph(self, source_id: str, key: str) -> str:
        return f"{self.base}/graph/{source_id}/{key}"

    def graph_prefix(self, source_id: str | None = None) -> str:
        return f"{self.base}/graph/{source_id}/" if source_id else f"{self.base}/graph/"

    def record(self, source_id: str, key: str) -> str:
        return f"{self.base}/record/{source_id}/{key}"

    def source_catalog(self, source_id: str) -> str:
        return f"{self.base}/catalog/{source_id}"

    def source_graph(self, source_id: str) -> str:
        """The graph holding a source's dcat:Catalog description (not a record graph)."""
        return f"{self.base}/graph/_catalog/{source_id}"

    @property
    def catalog(self) -> str:
        return f"{self.base}/catalog"

    def split_graph(self, graph: str) -> tuple[str, str] | None:
        """``{base}/graph/src/key`` → ("src", "key"); None for graphs that are not records."""
        prefix = self.graph_prefix()
        if not graph.startswith(prefix):
            return None
        source_id, _, key = graph[len(prefix):].partition("/")
        if not key or source_id == "_catalog":
            return None
        return source_id, key


def catalog_record_triples(iris: Iris, source: Source, key: str, original_url: str | None,
                           harvested: datetime, content_hash: str, source_modified: str | None) -> list[Triple]:
    """The CatalogRecord of one harvested dataset and its links from the source's catalog.

    ``dct:source`` points at the portal's own record (DCAT-AP: itself a dcat:CatalogRecord, whose
    ``dct:modified`` is the portal's last change, ``source_modified``, an N-Triples literal)."""
    ds = f"<{iris.dataset(source.id, key)}>"
    rec = f"<{iris.record(source.id, key)}>"
    catalog = f"<{iris.source_catalog(source.id)}>"
    stamp = typed(harvested.isoformat(timespec="seconds"), rdf.XSD + "dateTime")
    checksum = f"<{iris.record(source.id, key)}#checksum>"
    triples = [
        Triple(rec, A, term("dcat:CatalogRecord")),
        Triple(rec, term("foaf:primaryTopic"), ds),
        Triple(rec, term("dct:modified"), stamp),
        Triple(rec, term("dct:conformsTo"), f"<{DCAT_AP_3}>"),
        Triple(f"<{DCAT_AP_3}>", A, term("dct:Standard")),
        Triple(rec, term("spdx:checksum"), checksum),
        Triple(checksum, A, term("spdx:Checksum")),
        Triple(checksum, term("spdx:algorithm"), term("spdx:checksumAlgorithm_sha1")),
        Triple(checksum, term("spdx:checksumValue"), typed(content_hash, rdf.XSD + "hexBinary")),
        Triple(catalog, term("dcat:dataset"), ds),
        Triple(catalog, term("dcat:record"), rec),
    ]
    original = safe_iri(original_url)
    if original:
        triples += [Triple(rec, term("dct:source"), original),
                    Triple(original, A, term("dcat:CatalogRecord")),
                    Triple(original, term("foaf:primaryTopic"), ds),
                    Triple(original, term("dct:modified"), source_modified or stamp)]
    return triples


def source_catalog_triples(iris: Iris, source: Source, site_title: str) -> list[Triple]:
    """The dcat:Catalog of one source portal, and its place in the merged catalog of catalogs."""
    cat = f"<{iris.source_catalog(source.id)}>"
    root = f"<{iris.catalog}>"
    publisher = f"<{iris.base}/organization/{source.id}/_portal>"
    title = source.title or source.id
    triples = [
        Triple(cat, A, term("dcat:Catalog")),
        Triple(cat, term("dct:title"), literal(title, "zh")),
        Triple(cat, term("dct:description"), literal(str(source.options.get("description") or title), "zh")),
        Triple(cat, term("dct:publisher"), publisher),
        Triple(publisher, A, term("foaf:Organization")),
        Triple(publisher, term("foaf:name"), literal(str(source.options.get("publisher") or title), "zh")),
        Triple(root, A, term("dcat:Catalog")),
        Triple(root, term("dct:title"), literal(site_title, "zh")),
        Triple(root, term("dcat:catalog"), cat),
    ]
    homepage = safe_iri(source.url)
    if homepage:
        triples += [Triple(cat, term("foaf:homepage"), homepage), Triple(homepage, A, term("foaf:Document"))]
    return triples
