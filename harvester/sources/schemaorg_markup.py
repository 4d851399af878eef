"""Reading the structured data of one HTML page: JSON-LD scripts, microdata and RDFa Lite, as JSON-LD-like items.

Nothing on the page runs and nothing is fetched: JSON-LD script text is parsed as JSON (its ``@context`` is
not resolved, see harvester.sources.schemaorg_extract), microdata (``itemscope``/``itemtype``/``itemprop``/
``itemid``) and RDFa Lite (``typeof``/``property``/``resource``) are read from the parsed page. Each item
comes as a dict in the shape JSON-LD would give it: ``@type``, ``@id``, and property → list of values (text,
an absolute URL, or a nested item). A JSON-LD block that is not valid JSON gives the reason instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from harvester.sources.oai_xml import Element

#: nested items deeper than this are left out (a page is untrusted)
MAX_DEPTH = 24
_JSON_LD_TYPES = ("application/ld+json", "application/json+ld")
_URL_TAGS = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src", "video": "src",
             "source": "src", "track": "src", "embed": "src", "iframe": "src", "object": "data"}
_SCRIPT_WRAPPING = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")


@dataclass
class PageMarkup:
    """What one page says in structured data: its items (JSON-LD values, microdata and RDFa items) and the
    JSON-LD blocks that could not be read."""

    items: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_html(text: str, page_url: str) -> PageMarkup:
    """The page's structured data; ValueError when the text is not an HTML page at all."""
    if not text.strip():
        raise ValueError("the page is empty")
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(f"the page cannot be parsed as HTML: {exc}") from exc
    markup = PageMarkup()
    _json_ld_blocks(root, markup)
    markup.items += [_microdata_item(e, page_url, 0) for e in root.xpath("//*[@itemscope and not(@itemprop)]")]
    markup.items += [_rdfa_item(e, page_url, 0) for e in root.xpath("//*[@typeof and not(@property)]")]
    return markup


def read_json_ld(text: str) -> PageMarkup:
    """A JSON-LD document served as such (``application/ld+json``)."""
    markup = PageMarkup()
    _add_json(text, "the JSON-LD document", markup)
    return markup


def _json_ld_blocks(root: Element, markup: PageMarkup) -> None:
    scripts = [s for s in root.iter("script")
               if (s.get("type") or "").split(";")[0].strip().lower() in _JSON_LD_TYPES]
    for number, script in enumerate(scripts, 1):
        _add_json(_SCRIPT_WRAPPING.sub("", script.text or ""), f"JSON-LD block {number}", markup)


def _add_json(text: str, what: str, markup: PageMarkup) -> None:
    if not text.strip():
        return
    try:
        # strict=False: pages often put raw line breaks inside JSON strings; that much is forgiven
        value = json.loads(text, strict=False)
    except ValueError as exc:
        markup.errors.append(f"{what} is not valid JSON ({exc})")
        return
    except RecursionError:
        markup.errors.append(f"{what} nests too deeply")
        return
    markup.items.extend(value if isinstance(value, list) else [value])


# --- microdata -----------------------------------------------------------------------------------
def _microdata_item(element: Element, page_url: str, depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if element.get("itemtype"):
        item["@type"] = element.get("itemtype").split()
    if element.get("itemid"):
        item["@id"] = urljoin(page_url, element.get("itemid").strip())
    if depth < MAX_DEPTH:
        for prop in _properties(element, "itemprop", "itemscope"):
            value = _microdata_item(prop, page_url, depth + 1) if prop.get("itemscope") is not None \
                else _markup_value(prop, page_url, ("content",))
            for name in prop.get("itemprop").split():
                item.setdefault(name, []).append(value)
    return item


def _properties(element: Element, attribute: str, scope: str) -> list[Element]:
    """The elements under ``element`` that carry ``attribute``, not looking inside nested items (which carry
    ``scope``): their properties are their own."""
    found, stack = [], list(reversed(element))
    while stack:
        child = stack.pop()
        if not isinstance(child.tag, str):
            continue
        if child.get(attribute) is not None:
            found.append(child)
        if child.get(scope) is None:
            stack.extend(reversed(child))
    return found


def _markup_value(element: Element, page_url: str, value_attributes: tuple[str, ...]) -> str:
    for name in value_attributes:
        if element.get(name) is not None:
            return element.get(name).strip()
    tag = element.tag.lower()
    if tag in _URL_TAGS and element.get(_URL_TAGS[tag]):
        return urljoin(page_url, element.get(_URL_TAGS[tag]).strip())
    if tag == "time" and element.get("datetime"):
        return element.get("datetime").strip()
    if tag in ("data", "meter") and element.get("value") is not None:
        return element.get("value").strip()
    return _text(element)


def _text(element: Element) -> str:
    parts = element.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return " ".join("".join(str(p) for p in parts).split())


# --- RDFa Lite -------------------------------------------------------------------------------------
def _rdfa_item(element: Element, page_url: str, depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": element.get("typeof").split()}
    subject = element.get("resource") or element.get("about")
    if subject:
        item["@id"] = urljoin(page_url, subject.strip())
    if depth < MAX_DEPTH:
        for prop in _properties(element, "property", "typeof"):
            value: Any
            if prop.get("typeof") is not None:
                value = _rdfa_item(prop, page_url, depth + 1)
            elif prop.get("content") is None and prop.get("resource"):
                value = urljoin(page_url, prop.get("resource").strip())
            else:
                value = _markup_value(prop, page_url, ("content",))
            for name in prop.get("property").split():
                item.setdefault(name, []).append(value)
    return item
