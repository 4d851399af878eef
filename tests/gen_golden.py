"""Regenerate the golden graphs of tests/test_mapping_ckan.py after an intended mapping change:
``python -m tests.gen_golden`` — then read the diff of tests/fixtures/golden/ before committing it."""

from __future__ import annotations

import json

from tests.mapping_helpers import as_graph, map_package
from tests.test_mapping_ckan import FIXTURES, GOLDEN, REAL_PACKAGES

PREFIXES = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "schema": "http://schema.org/",
            "vcard": "http://www.w3.org/2006/vcard/ns#", "foaf": "http://xmlns.com/foaf/0.1/",
            "adms": "http://www.w3.org/ns/adms#", "spdx": "http://spdx.org/rdf/terms#",
            "skos": "http://www.w3.org/2004/02/skos/core#"}

if __name__ == "__main__":
    for name, lang in REAL_PACKAGES.items():
        doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        graph = as_graph(map_package(doc.get("result", doc), lang=lang, with_record=True))
        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns, replace=True)
        graph.serialize(GOLDEN / name.replace(".json", ".ttl"), format="turtle")
        print(name, len(graph))
