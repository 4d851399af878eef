"""Record graphs (N-Triples term text) serialised as Turtle, JSON-LD, RDF/XML or N-Triples with pyoxigraph."""

from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox

from harvester.dcat.rdf import PREFIXES, Triple, to_ntriples

#: media type → pyoxigraph format, in the order a client without preference gets them
RDF_MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}
#: URL suffix → media type (``/dataset/src/key.ttl``)
RDF_SUFFIXES: dict[str, str] = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "nt": "application/n-triples",
}


def serialize_triples(triples: Iterable[Triple], media_type: str) -> bytes:
    """The triples in ``media_type`` (one of RDF_MEDIA_TYPES); Turtle and RDF/XML use the prefixes in use.

    Triples are sorted first, so one subject's statements come together and the output is stable.
    Raises ValueError for an unknown media type and SyntaxError if a term is not valid N-Triples.
    """
    fmt = RDF_MEDIA_TYPES.get(media_type)
    if fmt is None:
        raise ValueError(f"cannot serialise RDF as {media_type!r}; one of {', '.join(RDF_MEDIA_TYPES)}")
    ordered = sorted(set(triples))
    parsed = [quad.triple for quad in ox.parse(to_ntriples(ordered), format=ox.RdfFormat.N_TRIPLES)]
    return ox.serialize(parsed, format=fmt, prefixes=used_prefixes(ordered)) or b""


def used_prefixes(triples: Iterable[Triple]) -> dict[str, str]:
    """The entries of PREFIXES whose namespace some IRI of the triples starts with."""
    namespaces = {ns: name for name, ns in PREFIXES.items()}
    used: dict[str, str] = {}
    for triple in triples:
        for part in triple:
            if not part.startswith("<"):
                if "^^<" not in part:
                    continue
                part = part[part.rindex("^^<") + 2:]
            for ns, name in namespaces.items():
                if part.startswith("<" + ns) and name not in used:
                    used[name] = ns
    return dict(sorted(used.items()))
