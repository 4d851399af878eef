"""Cutting one dataset's description out of a parsed DCAT document, as deterministic N-Triples text.

A description is the dataset's own triples, everything reachable through blank nodes, and the triples of the
resources it points to that the document describes (distributions, agents, licences, concepts…) up to
``IRI_DEPTH`` links away — but not other records (datasets, series, catalogs, catalog records) nor the classes
behind ``rdf:type``. A linked series keeps its type, title and description so the link can be checked.

Blank nodes get labels computed from their content (a hash of what they say, their own blank nodes
included), and lines are sorted, so the same description always gives the same text — the job's content hash
then tells unchanged datasets from changed ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store, Triple

from harvester.dcat.rdf import DCAT, DCT, RDF

RDF_TYPE = NamedNode(RDF + "type")
#: classes whose instances are records of their own: linked to, never copied into another record
RECORD_CLASSES = frozenset({DCAT + "Dataset", DCAT + "DatasetSeries", DCAT + "Catalog", DCAT + "CatalogRecord"})
#: how many links away from the dataset described IRIs are still copied (distribution → licence is 2)
IRI_DEPTH = 3
#: the largest description copied for one dataset; larger ones fail that record with a clear error
MAX_TRIPLES = 20_000
_SERIES_STUB = (RDF + "type", DCT + "title", DCT + "description")
_IN_SERIES = DCAT + "inSeries"

Term = NamedNode | BlankNode | Literal


class DescriptionTooLarge(ValueError):
    pass


@dataclass
class _Walk:
    store: Store
    triples: list[Quad] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


def dataset_nodes(store: Store) -> list[NamedNode | BlankNode]:
    """Every dcat:Dataset and dcat:DatasetSeries of the document that is not a catalog, sorted."""
    found: dict[str, NamedNode | BlankNode] = {}
    for cls in (DCAT + "Dataset", DCAT + "DatasetSeries"):
        for quad in store.quads_for_pattern(None, RDF_TYPE, NamedNode(cls), None):
            node = quad.subject
            if isinstance(node, (NamedNode, BlankNode)) and not _is_a(store, node, DCAT + "Catalog"):
                found[str(node)] = node
    return [found[key] for key in sorted(found)]


def _is_a(store: Store, node: NamedNode | BlankNode, cls: str) -> bool:
    return next(iter(store.quads_for_pattern(node, RDF_TYPE, NamedNode(cls), None)), None) is not None


def _types(store: Store, node: NamedNode | BlankNode) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(node, RDF_TYPE, None, None)
            if isinstance(q.object, NamedNode)}


def describe(store: Store, node: NamedNode | BlankNode) -> tuple[str, str]:
    """The dataset's description as sorted N-Triples lines with content-derived blank node labels, and the
    dataset's own term in them."""
    walk = _Walk(store)
    _visit(walk, node, 0)
    text, labels = canonical_ntriples(walk.triples)
    return text, labels.get(node.value, str(node)) if isinstance(node, BlankNode) else str(node)


def _visit(walk: _Walk, node: NamedNode | BlankNode, depth: int) -> None:
    key = str(node)
    if key in walk.seen:
        return
    walk.seen.add(key)
    for quad in walk.store.quads_for_pattern(node, None, None, None):
        walk.triples.append(quad)
        if len(walk.triples) > MAX_TRIPLES:
            raise DescriptionTooLarge(f"its description passes {MAX_TRIPLES:,} triples")
        target = quad.object
        if isinstance(target, BlankNode):
            _visit(walk, target, depth)
        elif isinstance(target, NamedNode) and quad.predicate != RDF_TYPE and depth < IRI_DEPTH:
            _follow(walk, quad.predicate.value, target, depth + 1)


def _follow(walk: _Walk, predicate: str, target: NamedNode, depth: int) -> None:
    types = _types(walk.store, target)
    if not types & RECORD_CLASSES:
        _visit(walk, target, depth)
    elif predicate == _IN_SERIES and str(target) not in walk.seen:
        walk.seen.add(str(target))
        for name in _SERIES_STUB:
            walk.triples.extend(walk.store.quads_for_pattern(target, NamedNode(name), None, None))


def canonical_ntriples(quads: list[Quad]) -> tuple[str, dict[str, str]]:
    """Sorted, de-duplicated N-Triples of ``quads`` (graph names dropped), blank nodes labelled by content;
    and the labels given (original label → new term)."""
    by_subject: dict[str, list[Quad]] = {}
    for quad in quads:
        if isinstance(quad.subject, BlankNode):
            by_subject.setdefault(quad.subject.value, []).append(quad)
    labels: dict[str, str] = {}
    lines = {f"{_term(q.subject, by_subject, labels)} {q.predicate} {_term(q.object, by_subject, labels)} .\n"
             for q in quads}
    return "".join(sorted(lines)), labels


def _term(term: Term | Triple, by_subject: dict[str, list[Quad]], labels: dict[str, str]) -> str:
    if not isinstance(term, BlankNode):
        return str(term)
    if term.value not in labels:
        labels[term.value] = "_:b" + _signature(term.value, by_subject, ())[:16]
    return labels[term.value]


def _signature(label: str, by_subject: dict[str, list[Quad]], path: tuple[str, ...]) -> str:
    """A hash of what a blank node says, its own blank nodes' signatures included (cycles cut)."""
    if label in path:
        return "cycle"
    parts = []
    for quad in by_subject.get(label, []):
        target = quad.object
        value = _signature(target.value, by_subject, (*path, label)) if isinstance(target, BlankNode) \
            else str(target)
        parts.append(f"{quad.predicate} {value}")
    return hashlib.sha1("\n".join(sorted(parts)).encode("utf-8")).hexdigest()


def identifier_of(store: Store, node: NamedNode | BlankNode) -> str | None:
    """The remote id of a dataset: its IRI, or for a blank-node dataset its dct:identifier."""
    if isinstance(node, NamedNode):
        return node.value
    values = sorted(q.object.value.strip() for q in store.quads_for_pattern(node, NamedNode(DCT + "identifier"),
                                                                           None, None)
                    if isinstance(q.object, (Literal, NamedNode)))
    return next((v for v in values if v), None)


@dataclass(frozen=True)
class Description:
    """One dataset of a document: its node, remote id, and N-Triples (or why it could not be cut out)."""

    node: str  # the N-Triples term of the dataset in ``ntriples``
    remote_id: str | None
    ntriples: str = ""
    error: str | None = None


def iter_descriptions(store: Store) -> Iterator[Description]:
    for node in dataset_nodes(store):
        remote_id = identifier_of(store, node)
        try:
            text, term = describe(store, node)
        except DescriptionTooLarge as exc:
            yield Description(str(node), remote_id, error=f"dataset {remote_id or node}: {exc}")
            continue
        yield Description(term, remote_id, text)
