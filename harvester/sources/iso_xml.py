"""Reading ISO 19139 and ISO 19115-3 metadata XML: safely, and by local element names.

Both schemas name their elements alike (``title``, ``CI_Citation``, ``EX_GeographicBoundingBox``) in different
namespaces (``gmd``/``gco`` against ``mdb``/``cit``/``mri``/``lan``, each in a 1.0 and a 2.0 version), so one
reader walks paths of local names (``identificationInfo/*/citation/CI_Citation/title``) and serves both.
Multilingual text (``PT_FreeText`` with ``LocalisedCharacterString locale="#FR"``) becomes ``{language: text}``.

XML is parsed without entity expansion, DTD loading or network access, and a document with a DOCTYPE is
refused before any parser sees it (entity expansion is how "billion laughs" documents exhaust memory).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

Element = Any  # lxml.etree._Element (not importable as a type at run time)

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
#: how long one harvested text may be (the mapping cuts longer ones too)
MAX_TEXT = 20_000
_BOM = b"\xef\xbb\xbf"
_FREE_TEXT = "PT_FreeText"

#: ISO 639-2 (bibliographic and terminology) codes → the ISO 639-1 language tags RDF literals use
ISO_639_2 = {
    "eng": "en", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "dut": "nl", "nld": "nl", "chi": "zh",
    "zho": "zh", "spa": "es", "ita": "it", "por": "pt", "jpn": "ja", "kor": "ko", "rus": "ru", "pol": "pl",
    "cze": "cs", "ces": "cs", "slo": "sk", "slk": "sk", "swe": "sv", "dan": "da", "fin": "fi", "nor": "no",
    "nob": "nb", "nno": "nn", "gre": "el", "ell": "el", "hun": "hu", "rum": "ro", "ron": "ro", "bul": "bg",
    "hrv": "hr", "slv": "sl", "est": "et", "lav": "lv", "lit": "lt", "mlt": "mt", "gle": "ga", "ice": "is",
    "isl": "is", "ara": "ar", "tur": "tr", "ukr": "uk", "cat": "ca", "baq": "eu", "eus": "eu", "glg": "gl",
    "ltz": "lb", "srp": "sr", "vie": "vi", "tha": "th", "heb": "he", "per": "fa", "fas": "fa", "hin": "hi",
}
_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class UnsafeXml(ValueError):
    """The document declares a DOCTYPE (entities, an external DTD): refused unparsed."""


def refuse_doctype(body: bytes) -> None:
    """UnsafeXml if the prolog (before the root element) holds a DOCTYPE declaration.

    Catalogue answers never need one; refusing it outright means no entity is declared, let alone expanded."""
    body = body.removeprefix(_BOM)
    pos, end = 0, len(body)
    while pos < end:
        while pos < end and body[pos:pos + 1] in b" \t\r\n":
            pos += 1
        if body.startswith(b"<?", pos):
            pos = _after(body, b"?>", pos)
        elif body.startswith(b"<!--", pos):
            pos = _after(body, b"-->", pos)
        elif body.startswith(b"<!DOCTYPE", pos):
            declares = "declares XML entities" if b"<!ENTITY" in body[pos:pos + 65536] else "has a DOCTYPE"
            raise UnsafeXml(f"the XML {declares}; refused (entities are never expanded, DTDs never loaded)")
        else:
            return


def _after(body: bytes, marker: bytes, pos: int) -> int:
    found = body.find(marker, pos)
    return len(body) if found < 0 else found + len(marker)


def parse_xml(body: bytes) -> Element:
    """The root element of ``body`` (UTF-8 or as its XML declaration says). Raises UnsafeXml, or
    etree.XMLSyntaxError for XML that is not well-formed (a truncated answer)."""
    refuse_doctype(body)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    return etree.fromstring(body, parser)


def local(tag: Any) -> str:
    """``{namespace}name`` → ``name``; "" for comments and processing instructions."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace(element: Element) -> str:
    return element.tag.partition("}")[0].lstrip("{") if element.tag.startswith("{") else ""


def children(element: Element, name: str) -> Iterator[Element]:
    """The child elements named ``name`` (any namespace); ``*`` for every child element."""
    for child in element:
        if isinstance(child.tag, str) and (name == "*" or local(child.tag) == name):
            yield child


def find_all(element: Element, path: str) -> list[Element]:
    """Every element at ``path`` below ``element``: local names separated by ``/``, ``*`` for any."""
    found = [element]
    for step in path.split("/"):
        found = [child for node in found for child in children(node, step)]
        if not found:
            break
    return found


def find(element: Element, *paths: str) -> Element | None:
    """The first element found at the first of ``paths`` that has one."""
    for path in paths:
        found = find_all(element, path)
        if found:
            return found[0]
    return None


def text(prop: Element | None) -> str | None:
    """The text a property element carries: its gco:CharacterString, gmx:Anchor, gmd:URL, gco:Date … child's
    text, or its own; None when empty (``gco:nilReason`` elements carry none)."""
    if prop is None:
        return None
    for child in prop:
        if isinstance(child.tag, str) and local(child.tag) != _FREE_TEXT:
            value = (child.text or "").strip()
            return value[:MAX_TEXT] if value else None
    value = (prop.text or "").strip()
    return value[:MAX_TEXT] if value else None


def texts(element: Element, *paths: str) -> list[str]:
    """The texts of every element at each of ``paths``, in order, each once."""
    out = (text(prop) for path in paths for prop in find_all(element, path))
    return list(dict.fromkeys(value for value in out if value))


def first_text(element: Element, *paths: str) -> str | None:
    found = texts(element, *paths)
    return found[0] if found else None


def href(prop: Element | None) -> str | None:
    """The xlink:href of a property's gmx:Anchor (or of the property itself)."""
    if prop is None:
        return None
    for node in (*children(prop, "Anchor"), prop):
        value = (node.get(XLINK_HREF) or "").strip()
        if value:
            return value
    return None


def code(prop: Element | None) -> str | None:
    """A code list value: the ``codeListValue`` of the property's code element, else the element's text."""
    if prop is None:
        return None
    for child in children(prop, "*"):
        value = (child.get("codeListValue") or child.text or "").strip()
        return value or None
    value = (prop.get("codeListValue") or prop.text or "").strip()
    return value or None


def language_tag(value: str | None) -> str | None:
    """An RDF language tag from an ISO 639-2 code, a 639-1 code or a BCP 47 tag (``"eng; US"`` → ``en``)."""
    if not value:
        return None
    head = re.split(r"[\s;,_]+", value.strip())[0].lower()
    if head in ISO_639_2:
        return ISO_639_2[head]
    return head if _TAG.match(head) else None


@dataclass
class Languages:
    """The languages of one record: its main language, and its locales by id (``#FR`` → ``fr``)."""

    main: str
    locales: dict[str, str] = field(default_factory=dict)
    #: whether the record names its main language (else ``main`` is the source's default)
    declared: bool = False

    def of_locale(self, locale: str | None) -> str | None:
        key = (locale or "").strip().lstrip("#")
        if not key:
            return None
        if key in self.locales:
            return self.locales[key]
        # GeoNetwork names locales after their language: "#FR", "#locale-fre", "#ZHO"
        return language_tag(key.rpartition("-")[2])


def free_text(prop: Element | None, langs: Languages) -> dict[str, str]:
    """A (possibly multilingual) text property as ``{language tag: text}``; the main text first."""
    out: dict[str, str] = {}
    if prop is None:
        return out
    main = text(prop)
    if main:
        out[langs.main] = main
    for group in find_all(prop, "PT_FreeText/textGroup/LocalisedCharacterString"):
        value = (group.text or "").strip()[:MAX_TEXT]
        tag = langs.of_locale(group.get("locale"))
        if value and tag:
            out.setdefault(tag, value)
    return out


def free_texts(element: Element, langs: Languages, *paths: str) -> list[dict[str, str]]:
    """``free_text`` of every element at each of ``paths`` (empty ones left out)."""
    out = (free_text(prop, langs) for path in paths for prop in find_all(element, path))
    return [value for value in out if value]


def unique(values: Iterable[Any]) -> list[Any]:
    """Values in order, each once (for unhashable values too)."""
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out
