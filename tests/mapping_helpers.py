"""Mapping a payload the way a harvest job does, for tests that look at one record's graph."""

from __future__ import annotations

from datetime import datetime, timezone

import rdflib

from harvester.dcat.rdf import Triple, to_ntriples
from harvester.dcat.record import Iris, catalog_record_triples
from harvester.mapping import load_mapping
from harvester.mapping.emitters import MapContext
from harvester.model import Source

BASE = "https://catalog.example"
HARVESTED = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def map_package(package: dict, source_id: str = "demo", key: str = "k", lang: str = "zh",
                with_record: bool = False) -> list[Triple]:
    iris = Iris(BASE)
    ctx = MapContext(BASE, source_id, key, iris.dataset(source_id, key), lang=lang)
    load_mapping("ckan").apply(package, ctx)
    triples = list(ctx.triples)
    if with_record:
        source = Source(source_id, "ckan", "https://portal.example", "Portal")
        modified = next((o for _, p, o in triples if p.endswith("/modified>")), None)
        triples += catalog_record_triples(iris, source, key, f"https://portal.example/dataset/{key}",
                                          HARVESTED, "0" * 40, modified)
    return triples


def as_graph(triples: list[Triple]) -> rdflib.Graph:
    return rdflib.Graph().parse(data=to_ntriples(triples), format="nt")
