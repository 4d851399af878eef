"""Value by value, DCAT-AP 1/2 and national-profile habits turned into DCAT-AP 3: one handler per predicate.

A handler gets one (subject, object) of a harvested triple and returns the (predicate, object) pairs to keep:
literals where DCAT-AP 3 wants vocabulary IRIs become EU authority or IANA IRIs when they can be recognised
(``"CSV"`` → file-type/CSV, ``"zh"`` → language/ZHO, ``<http://id.loc.gov/vocabulary/iso639-1/de>`` →
language/DEU), and otherwise a small node of the right class carrying the text as its label, so nothing is
lost; ``dcat:byteSize`` becomes ``xsd:nonNegativeInteger`` (an unreadable size moves to ``schema:contentSize``);
dates are re-typed when their lexical form does not fit their datatype; deprecated terms get their DCAT 3 name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from harvester import vocab
from harvester.dcat import rdf
from harvester.dcat.rdf import A, literal, literal_parts, safe_iri, term, typed
from harvester.mapping.emitters import MAX_TEXT, datetime_term
from harvester.mapping.values import (
    BadValue,
    is_email,
    parse_datetime,
    parse_nonneg_int,
)
from harvester.vocab.concept import Concept

Pair = tuple[str, str]
_XSD = rdf.XSD
_DATE_FORMS = {
    _XSD + "date": re.compile(r"-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?"),
    _XSD + "dateTime": re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"),
    _XSD + "gYear": re.compile(r"-?\d{4,}(Z|[+-]\d{2}:\d{2})?"),
    _XSD + "gYearMonth": re.compile(r"-?\d{4,}-\d{2}(Z|[+-]\d{2}:\d{2})?"),
}
_LOCAL_NAME = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass
class RecordBuilder:
    """The triples of one record being normalised, and the node IRIs minted so far (all under the dataset)."""

    dataset: str  # IRI, without brackets
    lang: str
    base: str
    source_id: str
    triples: list[tuple[str, str, str]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def add(self, s: str, p: str, o: str) -> None:
        self.triples.append((s, p, o))

    def new_node(self, parent: str, local: str) -> str:
        """A fresh IRI for a node of ``parent`` (a term), e.g. ``<…/dataset/src/key#contactPoint-2>``; nodes of
        resources that are not the record's own are minted under the dataset."""
        parent_iri = parent[1:-1] if parent.startswith("<") else self.dataset
        if parent_iri != self.dataset and not parent_iri.startswith((self.dataset + "/", self.dataset + "#")):
            parent_iri = self.dataset
        base, _, fragment = parent_iri.partition("#")
        stem = f"{base}#{fragment + '-' if fragment else ''}{_LOCAL_NAME.sub('', local) or 'node'}"
        candidate, n = stem, 1
        while f"<{candidate}>" in self.used:
            n += 1
            candidate = f"{stem}-{n}"
        self.used.add(f"<{candidate}>")
        return f"<{candidate}>"

    def labelled_node(self, subject: str, local: str, cls: str, label_predicate: str, text: str) -> str:
        node = self.new_node(subject, local)
        self.add(node, A, term(cls))
        self.add(node, term(label_predicate), literal(text[:MAX_TEXT]))
        return node


Handler = Callable[[str, str, RecordBuilder], Iterable[Pair]]


def is_literal(value: str) -> bool:
    return value.startswith('"')


def text_of(value: str) -> str:
    return literal_parts(value)[0].strip() if is_literal(value) else value[1:-1]


def last_segment(iri_term: str) -> str:
    """The readable end of an IRI: ``<…/iso639-1/de>`` → ``de``, ``<…/theme/Politik%20und%20Wahlen>`` →
    ``Politik und Wahlen``."""
    return unquote(re.split(r"[/#]", iri_term[1:-1].rstrip("/#"))[-1])


def _as_iri(value: str) -> str | None:
    """An IRI term for an IRI, or for a literal holding a web address."""
    if not is_literal(value):
        return value
    text = text_of(value)
    return safe_iri(text) if re.match(r"(?i)(https?|ftp)://", text) else None


# --- vocabulary slots ----------------------------------------------------------------------------


def _concept(lookup: Callable[[str], Concept | None], value: str, by_segment: bool = True) -> str | None:
    """The concept a literal or IRI names; a foreign IRI is also tried by its last segment
    (``<http://purl.org/cld/freq/monthly>`` → MONTHLY) unless ``by_segment`` is off."""
    text = text_of(value)
    found = lookup(text) if text else None
    if found is None and by_segment and not is_literal(value):
        found = lookup(last_segment(value))
    return f"<{found.iri}>" if found else None


def _vocabulary(predicate: str, lookup: Callable[[str], Concept | None], cls: str, local: str,
                by_segment: bool = True) -> Handler:
    """A slot for one EU vocabulary: the concept if recognised, else the IRI as given, else a labelled node."""
    def handle(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
        found = _concept(lookup, value, by_segment)
        if found:
            return [(predicate, found)]
        iri = _as_iri(value)
        if iri:
            return [(predicate, iri)]
        return [(predicate, b.labelled_node(subject, local, cls, "rdfs:label", text_of(value)))]
    return handle


def _licence(value: str) -> Concept | None:
    return vocab.licence(value) if "://" not in value else vocab.licence(None, value)


def _media_type(subject: str, value: str, b: RecordBuilder, predicate: str) -> Iterable[Pair]:
    text = text_of(value)
    found = vocab.media_type(text)
    if found:
        return [(predicate, f"<{found}>")]
    iri = _as_iri(value)
    return [(predicate, iri if iri else b.labelled_node(subject, "mediaType", "dct:MediaType", "rdfs:label", text))]


def _media_type_slot(predicate: str) -> Handler:
    return lambda subject, value, b: _media_type(subject, value, b, predicate)


def _theme(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    """An EU data theme when the value names one; a portal's own concept IRI is kept beside it; a label
    nobody recognises becomes the portal's own skos:Concept."""
    predicate = term("dcat:theme")
    found = _concept(vocab.theme, value)
    pairs = [] if is_literal(value) or value == found else [(predicate, value)]
    if found:
        pairs.append((predicate, found))
    elif is_literal(value) and text_of(value):
        pairs.append((predicate, _local_concept(text_of(value), b)))
    return pairs


def _local_concept(text: str, b: RecordBuilder) -> str:
    scheme = f"{b.base}/concepts/{b.source_id}/theme"  # the same scheme the mapping language's local_concept uses
    node = safe_iri(f"{scheme}/{quote(text, safe='')}") or b.new_node(f"<{b.dataset}>", "theme")
    b.add(node, A, term("skos:Concept"))
    b.add(node, term("skos:prefLabel"), literal(text[:MAX_TEXT], b.lang))
    b.add(node, term("skos:inScheme"), f"<{scheme}>")
    return node


# --- agents, documents, identifiers ------------------------------------------------------------------


def _agent(predicate: str) -> Handler:
    def handle(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
        if not is_literal(value):
            return [(predicate, value)]
        name = text_of(value)
        return [(predicate, b.labelled_node(subject, predicate.rsplit("/", 1)[-1][:-1], "foaf:Agent",
                                            "foaf:name", name))] if name else []
    return handle


def _contact_point(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    if not is_literal(value):
        return [(term("dcat:contactPoint"), value)]
    text = text_of(value)
    node = b.new_node(subject, "contactPoint")
    b.add(node, A, term("vcard:Kind"))
    email = safe_iri("mailto:" + text.removeprefix("mailto:")) if is_email(text.removeprefix("mailto:")) else None
    if email:
        b.add(node, term("vcard:hasEmail"), email)
    else:
        b.add(node, term("vcard:fn"), literal(text))
    return [(term("dcat:contactPoint"), node)]


def _email(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    text = text_of(value).removeprefix("mailto:")
    if is_literal(value) and is_email(text):
        return [(term("vcard:hasEmail"), safe_iri(f"mailto:{text}") or value)]
    return [(term("vcard:hasEmail"), value)]


def _web_address(predicate: str, cls: str | None = None) -> Handler:
    """A slot for a web address: a literal URL becomes an IRI; other text moves to rdfs:seeAlso."""
    def handle(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
        iri = _as_iri(value)
        if iri is None:
            return [(term("rdfs:seeAlso"), value)]
        if cls:
            b.add(iri, A, term(cls))
        return [(predicate, iri)]
    return handle


def _identifier(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    return [(term("dct:identifier"), literal(text_of(value)) if not is_literal(value) else value)]


def _other_identifier(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    if not is_literal(value):
        return [(term("adms:identifier"), value)]
    return [(term("adms:identifier"), b.labelled_node(subject, "identifier", "adms:Identifier", "skos:notation",
                                                      text_of(value)))]


def _standard(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    iri = _as_iri(value)
    return [(term("dct:conformsTo"), iri or b.labelled_node(subject, "conformsTo", "dct:Standard", "rdfs:label",
                                                            text_of(value)))]


def _statement(predicate: str, cls: str, local: str) -> Handler:
    def handle(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
        if not is_literal(value):
            return [(predicate, value)]
        return [(predicate, b.labelled_node(subject, local, cls, "rdfs:label", text_of(value)))]
    return handle


# --- literals: text, dates, sizes, places, periods --------------------------------------------------


def _text(predicate: str) -> Handler:
    def handle(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
        if not is_literal(value):
            return [(predicate, literal(value[1:-1]))]
        text, lang, datatype = literal_parts(value)
        if len(text) <= MAX_TEXT and not datatype:
            return [(predicate, value)]
        return [(predicate, literal(text[:MAX_TEXT], lang))]
    return handle


def _date(predicate: str) -> Handler:
    """Dates keep a lexical form that fits their datatype; others are read (2021年7月6日, 2021/7/6 …) and
    re-typed; text that is no date at all stays as a plain literal."""
    def handle(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
        if not is_literal(value):
            return [(predicate, value)]
        text, _, datatype = literal_parts(value)
        form = _DATE_FORMS.get(datatype or "")
        if form is not None and form.fullmatch(text.strip()):
            return [(predicate, value)]
        try:
            return [(predicate, datetime_term(parse_datetime(text)))]
        except BadValue:
            return [(predicate, literal(text[:MAX_TEXT]))]
    return handle


def _byte_size(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    text = text_of(value)
    try:
        return [(term("dcat:byteSize"), typed(str(parse_nonneg_int(text)), _XSD + "nonNegativeInteger"))]
    except BadValue:
        return [(term("schema:contentSize"), literal(text))] if text else []


def _spatial(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    if not is_literal(value):
        return [(term("dct:spatial"), value)]
    text = text_of(value)
    node = b.new_node(subject, "spatial")
    b.add(node, A, term("dct:Location"))
    if text.startswith("{"):
        b.add(node, term("locn:geometry"), typed(text, rdf.GSP + "geoJSONLiteral"))
    else:
        b.add(node, term("skos:prefLabel"), value if literal_parts(value)[1] else literal(text, b.lang))
    return [(term("dct:spatial"), node)]


def _temporal(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    if not is_literal(value):
        return [(term("dct:temporal"), value)]
    start, _, end = text_of(value).replace(" TO ", "/").replace("至", "/").partition("/")
    bounds = []
    for bound in (start.strip(" ["), end.strip(" ]*")):
        try:
            bounds.append(datetime_term(parse_datetime(bound)) if bound else None)
        except BadValue:
            bounds.append(None)
    if not any(bounds):
        return [(term("rdfs:comment"), value)]
    node = b.new_node(subject, "temporal")
    b.add(node, A, term("dct:PeriodOfTime"))
    for name, found in zip(("dcat:startDate", "dcat:endDate"), bounds):
        if found:
            b.add(node, term(name), found)
    return [(term("dct:temporal"), node)]


def _checksum_value(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    text = text_of(value).lower()
    return [(term("spdx:checksumValue"), typed(text, _XSD + "hexBinary") if re.fullmatch(r"[0-9a-f]+", text)
             else value)]


def _checksum_algorithm(subject: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    if not is_literal(value):
        return [(term("spdx:algorithm"), value)]
    name = text_of(value).lower().replace("-", "")
    return [(term("spdx:algorithm"), f"<{rdf.SPDX}checksumAlgorithm_{name}>")] if name.isalnum() else []


def _build_handlers() -> dict[str, Handler]:
    t = term
    handlers: dict[str, Handler] = {
        t("dct:title"): _text(t("dct:title")), t("dct:description"): _text(t("dct:description")),
        t("dcat:keyword"): _text(t("dcat:keyword")), t("dcat:version"): _text(t("dcat:version")),
        t("owl:versionInfo"): _text(t("dcat:version")),
        t("dct:format"): _vocabulary(t("dct:format"), vocab.file_type, "dct:MediaTypeOrExtent", "format"),
        t("dct:language"): _vocabulary(t("dct:language"), vocab.language, "dct:LinguisticSystem", "language"),
        t("dct:license"): _vocabulary(t("dct:license"), _licence, "dct:LicenseDocument", "license", False),
        t("dct:accrualPeriodicity"): _vocabulary(t("dct:accrualPeriodicity"), vocab.frequency, "dct:Frequency",
                                                  "accrualPeriodicity"),
        t("dct:accessRights"): _vocabulary(t("dct:accessRights"), vocab.access_right, "dct:RightsStatement",
                                           "accessRights"),
        t("dcat:mediaType"): _media_type_slot(t("dcat:mediaType")),
        t("dcat:compressFormat"): _media_type_slot(t("dcat:compressFormat")),
        t("dcat:packageFormat"): _media_type_slot(t("dcat:packageFormat")),
        t("dcat:theme"): _theme, t("dct:spatial"): _spatial, t("dct:temporal"): _temporal,
        t("dct:publisher"): _agent(t("dct:publisher")), t("dct:creator"): _agent(t("dct:creator")),
        t("dcat:contactPoint"): _contact_point, t("vcard:hasEmail"): _email,
        t("dct:identifier"): _identifier, t("adms:identifier"): _other_identifier, t("dct:conformsTo"): _standard,
        t("dct:rights"): _statement(t("dct:rights"), "dct:RightsStatement", "rights"),
        t("dct:provenance"): _statement(t("dct:provenance"), "dct:ProvenanceStatement", "provenance"),
        t("dcat:byteSize"): _byte_size, t("dcat:bytes"): _byte_size, t("dcat:size"): _byte_size,
        t("spdx:checksumValue"): _checksum_value, t("spdx:algorithm"): _checksum_algorithm,
        t("dcat:landingPage"): _web_address(t("dcat:landingPage"), "foaf:Document"),
        t("foaf:page"): _web_address(t("foaf:page"), "foaf:Document"),
        t("dcat:accessURL"): _web_address(t("dcat:accessURL")),
        t("dcat:downloadURL"): _web_address(t("dcat:downloadURL")),
        t("dcat:endpointURL"): _web_address(t("dcat:endpointURL")),
        t("vcard:hasURL"): _web_address(t("vcard:hasURL")),
        t("foaf:homepage"): _web_address(t("foaf:homepage"), "foaf:Document"),
    }
    for date in ("dct:issued", "dct:modified", "dcat:startDate", "dcat:endDate"):
        handlers[t(date)] = _date(t(date))
    handlers[t("schema:startDate")] = _date(t("dcat:startDate"))
    handlers[t("schema:endDate")] = _date(t("dcat:endDate"))
    return handlers


HANDLERS: dict[str, Handler] = _build_handlers()


def normalise_value(subject: str, predicate: str, value: str, b: RecordBuilder) -> Iterable[Pair]:
    """The (predicate, object) pairs one harvested triple becomes (itself when nothing needs changing; nothing
    for an empty literal)."""
    if is_literal(value) and not literal_parts(value)[0].strip():
        return []
    handler = HANDLERS.get(predicate)
    return handler(subject, value, b) if handler else [(predicate, value)]
