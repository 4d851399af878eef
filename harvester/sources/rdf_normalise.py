"""The mapping of DCAT RDF payloads: one dataset's description from a feed → a DCAT-AP 3 record graph.

The payload (harvester.sources.rdf_extract) holds the dataset's triples as the feed wrote them, in DCAT-AP 1,
2, 3 or a national profile such as DCAT-AP.de. Here the record gets the catalog's identity and the DCAT-AP 3
shape:

- IRIs are re-minted: the dataset becomes ``{base}/dataset/{source}/{key}``, its distributions
  ``{dataset}/distribution/{n}`` (in the order of their original terms), blank nodes IRIs under the dataset
  named after the property that leads to them (``{dataset}#contactPoint``). The original dataset IRI stays
  as ``dct:identifier`` and as an ``adms:Identifier``; a distribution's original IRI as its ``dct:identifier``.
- Every other triple of the description is kept, value by value normalised (harvester.sources.rdf_values).
- Objects get the class DCAT-AP 3 expects when the feed leaves it out (a publisher is a ``foaf:Agent`` with a
  ``foaf:name``, a licence a ``dct:LicenseDocument`` …); EU and IANA vocabulary IRIs are typed at validation.
- A dataset without a title fails; one without a description gets its title as description (as CKAN
  records do); a distribution without ``dcat:accessURL`` takes its download URL, or fails the record.
"""

from __future__ import annotations

import hashlib
from collections import deque
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyoxigraph import RdfFormat, parse

from harvester import vocab
from harvester.dcat.rdf import A, literal, term
from harvester.errors import MappingError
from harvester.mapping.emitters import MapContext
from harvester.sources.rdf_values import (
    Pair,
    RecordBuilder,
    is_literal,
    last_segment,
    normalise_value,
    text_of,
)

RDF_MAPPING_REF = "python:harvester.sources.rdf_normalise:RDF_MAPPING"
Graph = dict[str, list[Pair]]

_DISTRIBUTION = term("dcat:distribution")
_DATASET = term("dcat:Dataset")
_SERIES = term("dcat:DatasetSeries")
_TITLE, _DESCRIPTION = term("dct:title"), term("dct:description")
_ACCESS_URL, _DOWNLOAD_URL = term("dcat:accessURL"), term("dcat:downloadURL")
_DISTRIBUTION_CLASS, _LICENSE = term("dcat:Distribution"), term("dct:license")
#: properties only a distribution has (a dataset that is its own distribution hands them over)
DISTRIBUTION_ONLY = frozenset(term(p) for p in (
    "dcat:accessURL", "dcat:downloadURL", "dct:format", "dcat:mediaType", "dcat:byteSize", "dcat:compressFormat",
    "dcat:packageFormat", "spdx:checksum", "dcat:accessService"))

#: predicate → (the class added to an untyped object, the classes that already satisfy DCAT-AP 3)
RANGES: dict[str, tuple[str, frozenset[str]]] = {
    term(p): (term(c), frozenset(term(x) for x in (c, *also))) for p, c, also in (
        ("dct:publisher", "foaf:Agent", ("foaf:Organization", "foaf:Person", "foaf:Group")),
        ("dct:creator", "foaf:Agent", ("foaf:Organization", "foaf:Person", "foaf:Group")),
        ("dcat:contactPoint", "vcard:Kind", ("vcard:Organization", "vcard:Individual", "vcard:Group",
                                             "vcard:Location")),
        ("dcat:distribution", "dcat:Distribution", ()),
        ("dct:license", "dct:LicenseDocument", ()),
        ("dct:accessRights", "dct:RightsStatement", ()),
        ("dct:rights", "dct:RightsStatement", ()),
        ("dct:provenance", "dct:ProvenanceStatement", ()),
        ("dct:conformsTo", "dct:Standard", ()),
        ("dct:format", "dct:MediaTypeOrExtent", ()),
        ("dcat:mediaType", "dct:MediaType", ()),
        ("dcat:compressFormat", "dct:MediaType", ()),
        ("dcat:packageFormat", "dct:MediaType", ()),
        ("dct:language", "dct:LinguisticSystem", ()),
        ("dct:accrualPeriodicity", "dct:Frequency", ()),
        ("dct:spatial", "dct:Location", ()),
        ("dct:temporal", "dct:PeriodOfTime", ()),
        ("dcat:landingPage", "foaf:Document", ()),
        ("foaf:page", "foaf:Document", ()),
        ("spdx:checksum", "spdx:Checksum", ()),
        ("adms:identifier", "adms:Identifier", ()),
        ("dcat:theme", "skos:Concept", ()),
        ("dct:type", "skos:Concept", ()),
        ("adms:status", "skos:Concept", ()),
        ("dcatap:availability", "skos:Concept", ()),
        ("dcat:accessService", "dcat:DataService", ()),
        ("dcat:inSeries", "dcat:DatasetSeries", ()),
    )
}
#: a node of this class needs this property (DCAT-AP 3 minCount 1), read from the first of the fallbacks
NEEDED_LABELS: dict[str, tuple[str, tuple[str, ...]]] = {
    term("foaf:Agent"): (term("foaf:name"), tuple(term(p) for p in (
        "skos:prefLabel", "rdfs:label", "vcard:fn", "dct:title"))),
    term("skos:Concept"): (term("skos:prefLabel"), tuple(term(p) for p in ("rdfs:label", "dct:title"))),
    term("adms:Identifier"): (term("skos:notation"), (term("rdfs:label"),)),
}


class RdfDatasetMapping:
    """A mapping object (see harvester.mapping.engine.load_mapping) for payloads of DCAT RDF feeds."""

    name = "dcat_rdf"
    ref = RDF_MAPPING_REF

    def __init__(self) -> None:
        self.digest = _code_digest()

    def remote_id(self, payload: Any) -> str | None:
        return str(payload["id"]) if isinstance(payload, dict) and payload.get("id") else None

    def change_marker(self, payload: Any) -> str | None:
        return None  # dct:modified of a DCAT dataset often dates the data, not its description: hash instead

    def apply(self, payload: Any, ctx: MapContext) -> None:
        if not isinstance(payload, dict):
            raise MappingError(f"expected a JSON object, got {type(payload).__name__}")
        if payload.get("error"):
            raise MappingError(str(payload["error"]))
        graph = parse_description(str(payload.get("ntriples") or ""))
        root = str(payload.get("node") or "")
        if root not in graph:
            raise MappingError(f"the payload does not describe its dataset {root or '(none)'}")
        split_self_distribution(graph, root)
        builder = RecordBuilder(ctx.dataset, ctx.lang, ctx.base, ctx.source_id)
        names, distributions = mint_names(graph, root, builder)
        for s in sorted(graph):
            _emit_subject(s, graph[s], names, builder)
        finish_record(builder, str(payload.get("id") or root), distributions)
        ctx.triples.extend(dict.fromkeys(builder.triples))


def parse_description(text: str) -> Graph:
    graph: Graph = {}
    try:
        for quad in parse(text.encode("utf-8"), RdfFormat.N_TRIPLES):
            graph.setdefault(str(quad.subject), []).append((str(quad.predicate), str(quad.object)))
    except SyntaxError as exc:
        raise MappingError(f"the payload is not valid N-Triples: {exc}") from exc
    return graph


def split_self_distribution(graph: Graph, root: str) -> None:
    """A dataset that names itself as its own distribution (seen in DCAT-AP.de feeds) is split in two: the
    distribution's properties move to a distribution node of their own."""
    pairs = graph[root]
    if (_DISTRIBUTION, root) not in pairs:
        return
    node = "_:self-distribution"
    graph[node] = [(A, _DISTRIBUTION_CLASS)] + [(p, o) for p, o in pairs if p in DISTRIBUTION_ONLY or p == _LICENSE]
    graph[root] = [(p, node if p == _DISTRIBUTION and o == root else o) for p, o in pairs
                   if p not in DISTRIBUTION_ONLY and (p, o) != (A, _DISTRIBUTION_CLASS)]


def mint_names(graph: Graph, root: str, b: RecordBuilder) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """New terms for the dataset, its distributions and every blank node; and (new, original) distributions."""
    dataset = f"<{b.dataset}>"
    names = {root: dataset}
    originals = sorted({o for p, o in graph[root] if p == _DISTRIBUTION and not is_literal(o)})
    for n, original in enumerate(originals, 1):
        names[original] = f"<{b.dataset}/distribution/{n}>"
    b.used.update(names.values())
    queue, visited = deque([root, *originals]), {root, *originals}
    while queue:
        subject = queue.popleft()
        for predicate, obj in sorted(graph.get(subject, ())):
            if obj.startswith("_:") and obj not in names:
                names[obj] = b.new_node(names.get(subject, subject), last_segment(predicate))
            if obj in graph and obj not in visited:
                visited.add(obj)
                queue.append(obj)
    for subject in sorted(s for s in graph if s.startswith("_:") and s not in names):
        names[subject] = b.new_node(dataset, "node")
    return names, [(names[o], o) for o in originals]


def _emit_subject(subject: str, pairs: list[Pair], names: dict[str, str], b: RecordBuilder) -> None:
    new_subject = names.get(subject, subject)
    if _typed_by_vocabulary(new_subject):
        return  # the catalog's own vocabularies describe EU and IANA concepts; a feed's copy is not kept
    dataset = f"<{b.dataset}>"
    for predicate, obj in sorted(pairs):
        if predicate == A and obj == _DATASET and new_subject != dataset:
            continue  # only the record's own dataset is a dcat:Dataset in its graph (search documents rely on it)
        for new_predicate, new_obj in normalise_value(new_subject, predicate, names.get(obj, obj), b):
            b.add(new_subject, new_predicate, new_obj)


def finish_record(b: RecordBuilder, remote_id: str, distributions: list[tuple[str, str]]) -> None:
    """Identity, the mandatory properties, and the classes DCAT-AP 3 expects (see the module docstring)."""
    dataset = f"<{b.dataset}>"
    props = _properties(b.triples)
    titles = [o for o in props.get(dataset, {}).get(_TITLE, []) if is_literal(o)]
    if not titles:
        raise MappingError("title is missing")
    b.add(dataset, A, _DATASET)
    b.add(dataset, term("dct:identifier"), literal(remote_id))
    original = b.new_node(dataset, "original-id")
    b.add(dataset, term("adms:identifier"), original)
    b.add(original, A, term("adms:Identifier"))
    b.add(original, term("skos:notation"), literal(remote_id))
    for n, (node, original_term) in enumerate(distributions, 1):
        _finish_distribution(b, props.get(node, {}), node, original_term, n)
    _ensure_ranges(b)
    _describe_datasets(b)
    _ensure_labels(b)


def _finish_distribution(b: RecordBuilder, props: dict[str, list[str]], node: str, original: str, n: int) -> None:
    if original.startswith("<"):
        b.add(node, term("dct:identifier"), literal(original[1:-1]))
    if props.get(_ACCESS_URL):
        return
    downloads = [o for o in props.get(_DOWNLOAD_URL, []) if not is_literal(o)]
    if not downloads:
        raise MappingError(f"distribution {n} ({original}) has neither dcat:accessURL nor dcat:downloadURL")
    for url in downloads:
        b.add(node, _ACCESS_URL, url)


def _properties(triples: list[tuple[str, str, str]]) -> dict[str, dict[str, list[str]]]:
    props: dict[str, dict[str, list[str]]] = {}
    for s, p, o in triples:
        props.setdefault(s, {}).setdefault(p, []).append(o)
    return props


@lru_cache(maxsize=8192)
def _typed_by_vocabulary(node: str) -> bool:
    """EU authority, IANA and SPDX IRIs get their classes from harvester.vocab when a record is validated."""
    return node.startswith("<") and bool(vocab.typing_triples({node[1:-1]}))


def _ensure_ranges(b: RecordBuilder) -> None:
    props = _properties(b.triples)
    for s, p, o in list(b.triples):
        spec = RANGES.get(p)
        if spec is None or is_literal(o) or _typed_by_vocabulary(o):
            continue
        cls, accepted = spec
        types = props.setdefault(o, {}).setdefault(A, [])
        if not accepted.intersection(types):
            b.add(o, A, cls)
            types.append(cls)


def _describe_datasets(b: RecordBuilder) -> None:
    """Datasets and series in the record (the dataset, a linked series) get their title as description."""
    for node, node_props in _properties(b.triples).items():
        if {_DATASET, _SERIES}.intersection(node_props.get(A, [])) and not node_props.get(_DESCRIPTION):
            for title in node_props.get(_TITLE, []):
                b.add(node, _DESCRIPTION, title)


def _ensure_labels(b: RecordBuilder) -> None:
    """Agents without foaf:name, concepts without skos:prefLabel, identifiers without skos:notation get one
    from another label they carry, else from their IRI's last segment."""
    for node, node_props in _properties(b.triples).items():
        for cls in node_props.get(A, []):
            needed = NEEDED_LABELS.get(cls)
            if needed is None or node_props.get(needed[0]) or _typed_by_vocabulary(node):
                continue
            label_predicate, fallbacks = needed
            found = next((node_props[f] for f in fallbacks if node_props.get(f)), None)
            for value in found or [literal(last_segment(node) if node.startswith("<") else node)]:
                b.add(node, label_predicate, value if is_literal(value) else literal(text_of(value)))


def _code_digest() -> str:
    """Changes when this normalisation changes, so that records are mapped again."""
    here = Path(__file__).parent
    text = b"".join((here / name).read_bytes() for name in ("rdf_normalise.py", "rdf_values.py"))
    return hashlib.sha1(text).hexdigest()[:12]


RDF_MAPPING = RdfDatasetMapping()
