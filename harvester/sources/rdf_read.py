"""Reading one RDF document of a DCAT feed: its syntax, its text as UTF-8, refusing XML entities, and loading
it into a scratch store (in memory, or on disk past ``SPILL_BYTES`` so a large catalog file is never held
whole as Python objects).

Syntax: the source option ``format`` if set, else the response's media type, else the URL's extension, else
a look at the first bytes. Text: RDF syntaxes are UTF-8, so bytes that are valid UTF-8 are read as UTF-8
whatever the label says; other bytes are decoded by the declared charset (HTTP or XML declaration), then as
GB18030 (a superset of GBK/GB2312), and re-encoded. RDF/XML with entity declarations or an external DTD is
refused before any parser sees it (entity expansion is how "billion laughs" documents exhaust memory).
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Store

from harvester.errors import GatherError

#: documents larger than this are loaded into an on-disk scratch store instead of an in-memory one
SPILL_BYTES = 32 * 1024 * 1024
_CHUNK = 1 << 20

SYNTAXES: dict[str, RdfFormat] = {
    "turtle": RdfFormat.TURTLE, "rdfxml": RdfFormat.RDF_XML, "jsonld": RdfFormat.JSON_LD,
    "ntriples": RdfFormat.N_TRIPLES, "nquads": RdfFormat.N_QUADS, "trig": RdfFormat.TRIG,
}
#: what a DCAT feed is asked for, best first
ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, application/n-triples;q=0.8, "
          "application/n-quads;q=0.7, application/trig;q=0.7, */*;q=0.1")
_GENERIC_TYPES = {
    "application/xml": RdfFormat.RDF_XML, "text/xml": RdfFormat.RDF_XML, "application/json": RdfFormat.JSON_LD,
}
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BOM = codecs.BOM_UTF8


@dataclass
class RdfDocument:
    """One fetched document, ready to parse."""

    url: str
    body: bytes
    content_type: str = ""


@dataclass
class ScratchGraph:
    """A parsed document in a scratch store; ``close()`` removes its files."""

    store: Store
    url: str
    directory: str | None = None
    syntax: RdfFormat = RdfFormat.TURTLE

    def close(self) -> None:
        if self.directory:
            del self.store
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> ScratchGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def syntax_of(doc: RdfDocument, forced: str | None = None) -> RdfFormat:
    """The RDF syntax to parse ``doc`` with (see the module docstring for the order of evidence)."""
    if forced:
        try:
            return SYNTAXES[forced.lower().replace("-", "").replace("/", "")]
        except KeyError:
            raise GatherError(f"unknown format option {forced!r}; one of {', '.join(SYNTAXES)}") from None
    media = doc.content_type.split(";", 1)[0].strip().lower()
    found = RdfFormat.from_media_type(media) if media else None
    if found is None and media in _GENERIC_TYPES:
        found = _GENERIC_TYPES[media]
    if found is None:
        suffix = PurePosixPath(urlsplit(doc.url).path).suffix.lstrip(".").lower()
        found = RdfFormat.from_extension(suffix) if suffix else None
    return found or _sniff(doc.body)


def _sniff(body: bytes) -> RdfFormat:
    head = body[:512].removeprefix(_BOM).lstrip()
    if head.startswith((b"<?xml", b"<rdf:RDF", b"<!DOCTYPE")):
        return RdfFormat.RDF_XML
    if head[:1] in (b"{", b"["):
        return RdfFormat.JSON_LD
    return RdfFormat.TURTLE


def declared_charset(doc: RdfDocument, syntax: RdfFormat) -> str:
    """The charset the document says it is in: the XML declaration's, else the HTTP header's."""
    if syntax == RdfFormat.RDF_XML:
        match = _XML_DECLARATION.match(doc.body[:256].removeprefix(_BOM))
        if match:
            return match.group(1).decode("ascii").lower()
    return charset_of(doc.content_type)


def charset_of(content_type: str) -> str:
    """The charset parameter of a Content-Type header, lower-cased ("" if none)."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            return value.strip().strip("\"'").lower()
    return ""


def utf8_body(doc: RdfDocument, syntax: RdfFormat) -> bytes:
    """The document's bytes as UTF-8 (and, for RDF/XML, with an XML declaration that says so)."""
    body = doc.body.removeprefix(_BOM)
    if not is_utf8(body):
        body = transcode_to_utf8(body, declared_charset(doc, syntax), doc.url)
    match = _XML_DECLARATION.match(body[:256]) if syntax == RdfFormat.RDF_XML else None
    if match and match.group(1).lower().replace(b"-", b"") != b"utf8":
        body = body[:match.start(1)] + b"UTF-8" + body[match.end(1):]
    return body


def is_utf8(body: bytes) -> bool:
    """Whether ``body`` is valid UTF-8, checked a chunk at a time (no full-size text copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    try:
        for start in range(0, len(body), _CHUNK):
            decoder.decode(view[start:start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def transcode_to_utf8(body: bytes, declared: str, url: str) -> bytes:
    """Bytes that are not UTF-8, decoded by their declared charset, else as GB18030, and re-encoded."""
    tried = []
    for encoding in dict.fromkeys([declared, "gb18030"]):
        if not encoding or encoding.replace("-", "") == "utf8":
            continue
        codec = "gb18030" if encoding in ("gbk", "gb2312", "cp936") else encoding
        tried.append(encoding)
        try:
            return body.decode(codec).encode("utf-8")
        except (UnicodeDecodeError, LookupError):
            continue
    raise GatherError(f"{url} is neither valid UTF-8 nor {' nor '.join(tried)} text")


def refuse_xml_entities(body: bytes, url: str) -> None:
    """GatherError if the XML prolog has a DOCTYPE declaring entities or naming an external DTD.

    Markup cannot appear raw in XML content, so any ``<!ENTITY`` after the DOCTYPE is a declaration
    (or sits in a comment or CDATA section, which a valid RDF/XML feed has no reason to do)."""
    start = _doctype_start(body)
    if start is None:
        return
    if body.find(b"<!ENTITY", start) >= 0:
        raise GatherError(f"{url}: the RDF/XML declares XML entities in its DOCTYPE; refused "
                          "(entities are never expanded)")
    head = re.split(rb"[\[>]", body[start:start + 4096], maxsplit=1)[0]
    if re.search(rb"\b(SYSTEM|PUBLIC)\b", head):
        raise GatherError(f"{url}: the RDF/XML names an external DTD in its DOCTYPE; refused "
                          "(external entities are never loaded)")


def _doctype_start(body: bytes) -> int | None:
    """Where the prolog's DOCTYPE declaration starts (before the root element), if there is one."""
    pos, end = 0, len(body)
    while pos < end:
        while pos < end and body[pos:pos + 1] in b" \t\r\n":
            pos += 1
        if body.startswith(b"<?", pos):
            pos = _after(body, b"?>", pos)
        elif body.startswith(b"<!--", pos):
            pos = _after(body, b"-->", pos)
        elif body.startswith(b"<!DOCTYPE", pos):
            return pos
        else:
            return None
    return None


def _after(body: bytes, marker: bytes, pos: int) -> int:
    found = body.find(marker, pos)
    return len(body) if found < 0 else found + len(marker)


def load_document(doc: RdfDocument, forced_syntax: str | None = None) -> ScratchGraph:
    """Parse ``doc`` into a scratch store; GatherError naming the document and the parser's reason."""
    syntax = syntax_of(doc, forced_syntax)
    body = utf8_body(doc, syntax)
    if syntax == RdfFormat.RDF_XML:
        refuse_xml_entities(body, doc.url)
    directory = tempfile.mkdtemp(prefix="harvester-feed-") if len(body) > SPILL_BYTES else None
    graph = ScratchGraph(Store(directory) if directory else Store(), doc.url, directory, syntax)
    try:
        graph.store.bulk_load(body, syntax, base_iri=doc.url)
    except SyntaxError as exc:
        graph.close()
        raise GatherError(f"{doc.url} is not valid {syntax.name}: {_reason(exc)}") from exc
    except (ValueError, OSError) as exc:
        graph.close()
        raise GatherError(f"{doc.url} could not be read as {syntax.name}: {exc}") from exc
    return graph


def _reason(exc: SyntaxError) -> str:
    text = str(exc.msg if exc.msg else exc)
    if "LoadDocumentCallback" in text:
        return "its JSON-LD @context is remote, and remote contexts are not fetched (inline the context)"
    return text[:300]


def objects(graph: ScratchGraph, predicate: str) -> Iterator[tuple[str, str]]:
    """(subject, object) values of every triple with ``predicate``, in the document's default graph or any."""
    for quad in graph.store.quads_for_pattern(None, NamedNode(predicate), None, None):
        subject, target = quad.subject, quad.object
        if isinstance(subject, (NamedNode, BlankNode)) and isinstance(target, (NamedNode, BlankNode, Literal)):
            yield subject.value, target.value
