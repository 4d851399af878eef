"""Reading an untrusted XML answer (an OAI-PMH response, a sitemap) into an lxml element, safely.

A document whose prolog holds a DOCTYPE is refused before any parser sees it: neither OAI-PMH nor sitemaps
need one, and refusing it outright means no entity is declared, let alone expanded ("billion laughs"), and no
external DTD is named. The parser itself never expands entities, loads DTDs or touches the network. Text is
read as what the bytes are: valid UTF-8 is UTF-8 whatever the label says; other bytes are decoded by the
charset the XML declaration or the HTTP header names, then as GB18030 (a superset of GBK).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from harvester.errors import GatherError
from harvester.sources import iso_xml
from harvester.sources.rdf_read import charset_of, is_utf8, transcode_to_utf8

Element = Any  # lxml.etree._Element (not importable as a type at run time)

XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>")
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class UnreadableXml(ValueError):
    """The answer is not XML that may be read: the message says why (DOCTYPE, charset, syntax)."""


def parse_untrusted_xml(body: bytes, url: str, content_type: str = "") -> Element:
    """The document's root element; UnreadableXml naming the document and the reason otherwise."""
    body = body.removeprefix(_BOM)
    refuse_doctype(body, url)
    if not is_utf8(body):
        declared = _DECLARED_ENCODING.match(body[:256])
        charset = declared.group(1).decode("ascii").lower() if declared else charset_of(content_type)
        try:
            body = transcode_to_utf8(body, charset, url)
        except GatherError as exc:
            raise UnreadableXml(str(exc)) from exc
    body = _DECLARATION.sub(b"", body, count=1)  # the text is UTF-8 now, whatever the declaration said
    if not body.strip():
        raise UnreadableXml(f"{url} is empty")
    try:
        return etree.fromstring(body, parser=XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableXml(f"{url} is not well-formed XML: {exc}") from exc


def refuse_doctype(body: bytes, url: str) -> None:
    """UnreadableXml if the prolog (before the root element) holds a DOCTYPE declaration (the prolog scan
    is harvester.sources.iso_xml's, shared by every XML source)."""
    try:
        iso_xml.refuse_doctype(body)
    except iso_xml.UnsafeXml as exc:
        raise UnreadableXml(f"{url} {str(exc).removeprefix('the XML ')}") from exc


def local_name(element: Element) -> str:
    """The element's tag without its namespace ("" for comments and processing instructions)."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(element: Element) -> str:
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def text_of(element: Element | None) -> str:
    """The element's own text, stripped (entity references are never expanded: they give nothing)."""
    if element is None:
        return ""
    return "".join(t for t in element.itertext() if isinstance(t, str)).strip()
