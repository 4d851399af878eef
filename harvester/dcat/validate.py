"""SHACL validation of one record graph against the official DCAT-AP 3.0.1 shapes, in the "typed" mode.

The data graph is the record graph, plus the typing supplement of the vocabulary IRIs it uses
(``harvester.vocab.typing_triples``: rdf:type, skos:inScheme, skos:prefLabel), plus the handful of DCAT,
FOAF and vCard subclass axioms that ``sh:class`` needs (``foaf:Organization rdfs:subClassOf foaf:Agent`` …).
No inference runs and no vocabulary or ontology is merged in (see dcat-ap-shacl/VALIDATION.md). The shapes,
``vocab/shacl/dcat-ap-SHACL.ttl``, are parsed once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache

import rdflib
from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from rdflib.namespace import RDF, SH

from harvester import VOCAB_DIR
from harvester.vocab import typing_triples

SHAPES_FILE = VOCAB_DIR / "shacl" / "dcat-ap-SHACL.ttl"

_DCAT = "http://www.w3.org/ns/dcat#"
_FOAF = "http://xmlns.com/foaf/0.1/"
_VCARD = "http://www.w3.org/2006/vcard/ns#"
_SUBCLASS_OF = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"

#: The class hierarchy of DCAT 3, FOAF and vCard that the shapes rely on. sh:class accepts an instance of
#: a subclass only when the subClassOf triple is in the data graph, so without these a foaf:Organization
#: publisher is "not a foaf:Agent" and a dcat:Dataset is "not a dcat:Resource" (foaf:primaryTopic).
SUBCLASS_AXIOMS = "".join(f"<{sub}> {_SUBCLASS_OF} <{sup}> .\n" for sub, sup in (
    (_DCAT + "Dataset", _DCAT + "Resource"),
    (_DCAT + "DataService", _DCAT + "Resource"),
    (_DCAT + "Catalog", _DCAT + "Dataset"),
    (_DCAT + "DatasetSeries", _DCAT + "Dataset"),
    (_FOAF + "Organization", _FOAF + "Agent"),
    (_FOAF + "Person", _FOAF + "Agent"),
    (_FOAF + "Group", _FOAF + "Agent"),
    (_VCARD + "Organization", _VCARD + "Kind"),
    (_VCARD + "Individual", _VCARD + "Kind"),
    (_VCARD + "Group", _VCARD + "Kind"),
    (_VCARD + "Location", _VCARD + "Kind"),
))

_OPTIONS = {"inference": "none", "advanced": False, "allow_warnings": True, "allow_infos": True,
            "inplace": True}
# One validation at a time: the parsed shapes are shared, and validation is CPU-bound under the GIL anyway.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result."""

    focus: str
    path: str | None
    message: str
    severity: str  # "Violation" | "Warning" | "Info"
    #: the constraint component's local name, e.g. "MinCountConstraintComponent"
    component: str | None = None
    #: the offending value (IRI or literal lexical form), when the result names one
    value: str | None = None


@dataclass
class ValidationReport:
    """The outcome of validating one record graph."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    @property
    def violation_count(self) -> int:
        """Results of severity Violation only (warnings and infos do not count)."""
        return sum(1 for v in self.violations if v.severity == "Violation")


def validate_ntriples(ntriples: str) -> ValidationReport:
    """Validate a record graph given as N-Triples text (the harvester's record representation)."""
    data = rdflib.Graph()
    data.parse(data=ntriples, format="nt")
    return _validate_data(data)


def validate_graph(graph: rdflib.Graph) -> ValidationReport:
    """Validate a record graph; ``graph`` itself is not changed."""
    data = rdflib.Graph()
    for triple in graph:
        data.add(triple)
    return _validate_data(data)


def _validate_data(data: rdflib.Graph) -> ValidationReport:
    used = {str(o) for o in data.objects() if isinstance(o, rdflib.URIRef)}
    data.parse(data=typing_triples(used) + SUBCLASS_AXIOMS, format="nt")
    shapes = _shapes()
    with _LOCK:
        validator = Validator(DataGraph.from_rdflib(data), shacl_graph=shapes.graph.graph,
                              options=dict(_OPTIONS, use_shapes=shapes.node_shapes))
        # Reuse the shapes pyshacl built last time: rebuilding them costs about a quarter of each run.
        validator.shacl_graph = shapes.graph
        conforms, results, _text = validator.run()  # type: ignore[no-untyped-call]
    return ValidationReport(conforms=bool(conforms), violations=_violations(results))


@dataclass(frozen=True)
class _ParsedShapes:
    graph: ShapesGraph
    #: the node shapes; running only these skips target checks on ~1600 property shapes that have none
    node_shapes: list[str]


@cache
def _shapes() -> _ParsedShapes:
    _speed_up_pyshacl()
    graph = rdflib.Graph()
    graph.parse(SHAPES_FILE, format="turtle")
    shapes = ShapesGraph(graph)
    shapes.shapes  # build pyshacl's shape objects now, once  # noqa: B018
    return _ParsedShapes(shapes, sorted(str(s) for s in graph.subjects(RDF.type, SH.NodeShape)))


class _ListWithSetLookup(list):  # type: ignore[type-arg]
    """A list whose ``in`` is a set lookup; ``copy()`` still gives a plain list."""

    def __init__(self, items: list[rdflib.URIRef]) -> None:
        super().__init__(items)
        self._members = frozenset(items)

    def __contains__(self, item: object) -> bool:
        return item in self._members


def _speed_up_pyshacl() -> None:
    """Give pyshacl its list of constraint parameters with set-speed ``in`` (same results, about 2× faster).

    pyshacl tests every predicate of every shape it evaluates against this ~40-item list, which was half of
    the time spent on a 75-triple record. It caches the list in ``pyshacl.shape.CONSTRAINT_PARAMS``; we fill
    that cache first. If a pyshacl release moves these names, this does nothing and validation stays correct.
    """
    try:
        import pyshacl.shape as shape_module
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
    except ImportError:
        return
    if not isinstance(getattr(shape_module, "CONSTRAINT_PARAMS", (None,))[0], _ListWithSetLookup):
        faster = _ListWithSetLookup(ALL_CONSTRAINT_PARAMETERS)
        setattr(shape_module, "CONSTRAINT_PARAMS", (faster, CONSTRAINT_PARAMETERS_MAP))


def _violations(results: rdflib.Graph) -> list[Violation]:
    # A set: a dcat:Catalog is also a dcat:Dataset, so both shapes report its missing title, identically.
    found = {_violation(results, node) for node in results.subjects(RDF.type, SH.ValidationResult)}
    return sorted(found, key=lambda v: (v.focus, v.path or "", v.component or "", v.message))


def _violation(results: rdflib.Graph, node: rdflib.term.Node) -> Violation:
    def text(predicate: rdflib.URIRef) -> str | None:
        value = results.value(node, predicate)
        return None if value is None else str(value)

    severity = text(SH.resultSeverity) or str(SH.Violation)
    component = text(SH.sourceConstraintComponent)
    return Violation(focus=text(SH.focusNode) or "", path=text(SH.resultPath),
                     message=text(SH.resultMessage) or "", severity=_local_name(severity),
                     component=_local_name(component) if component else None, value=text(SH.value))


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
