"""Reading one record graph for display: values by subject and property, in the request's language.

Every value here is harvested text; templates escape it, and links pass ``safe_href``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from harvester import vocab
from harvester.dcat.rdf import Triple, iri_value, is_iri, literal_parts, term

#: China Standard Time: dates are shown as the portals' users read them
CST = timezone(timedelta(hours=8))
#: properties whose objects name something: their labels are looked up in this order
LABEL_PROPERTIES = tuple(term(c) for c in ("skos:prefLabel", "foaf:name", "vcard:fn", "rdfs:label", "dct:title",
                                           "skos:notation"))


class RecordGraph:
    """One record graph indexed by subject, with the lookups a page needs in the request's language."""

    def __init__(self, triples: Iterable[Triple], lang: str) -> None:
        self.lang = lang
        self.props: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            self.props[s][p].append(o)

    def objects(self, subject: str | None, curie: str) -> list[str]:
        if subject is None or subject not in self.props:
            return []
        return self.props[subject].get(term(curie), [])

    def first(self, subject: str | None, curie: str) -> str | None:
        found = self.objects(subject, curie)
        return found[0] if found else None

    def text(self, subject: str | None, curie: str) -> str:
        """The literal of a property in the request's language, else Chinese/untagged, else any."""
        return pick_language([o for o in self.objects(subject, curie) if not is_iri(o)], self.lang)

    def texts(self, subject: str | None, curie: str) -> list[str]:
        return [literal_parts(o)[0] for o in self.objects(subject, curie) if not is_iri(o)]

    def label(self, node: str) -> str:
        """A node's name: its label in the graph, a vocabulary label, the IRI; a literal's text."""
        if not is_iri(node):
            return literal_parts(node)[0]
        for prop in LABEL_PROPERTIES:
            found = [o for o in self.props.get(node, {}).get(prop, []) if not is_iri(o)]
            if found:
                return pick_language(found, self.lang)
        return vocab.label(iri_value(node), self.lang)

    def subjects_of_type(self, curie: str) -> list[str]:
        rdf_type, wanted = term("rdf:type"), term(curie)
        return sorted(s for s, props in self.props.items() if wanted in props.get(rdf_type, []))


def pick_language(literals: list[str], lang: str) -> str:
    """The text of the literal in ``lang``, else a Chinese or untagged one, else any."""
    ranked: dict[str, str] = {}
    for lit in literals:
        text, tag, _ = literal_parts(lit)
        tag = (tag or "").lower()
        rank = "0" if tag.startswith(lang) else "1" if not tag or tag.startswith("zh") else "2"
        ranked.setdefault(rank, text)
    return ranked[min(ranked)] if ranked else ""


def iri_or_none(node: str | None) -> str | None:
    return iri_value(node) if node and is_iri(node) else None


def int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def show_date(node: str | None) -> str:
    """A date or dateTime literal as YYYY-MM-DD (dateTimes in China Standard Time)."""
    moment = parse_moment(node)
    if isinstance(moment, datetime):
        return moment.date().isoformat()
    return moment or ""


def show_datetime(node: str | None) -> str:
    moment = parse_moment(node)
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M") + " (UTC+8)"
    return moment or ""


def parse_moment(node: str | None) -> datetime | str | None:
    """A dateTime in China Standard Time; a date (or unparseable text) as its text; None for nothing."""
    if not node or is_iri(node):
        return None
    text = literal_parts(node)[0]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) <= 10:
        return text
    return moment.astimezone(CST) if moment.tzinfo else moment
