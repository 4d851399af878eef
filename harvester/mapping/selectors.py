"""Selectors into portal pages: JSONPath for JSON, XPath for XML and HTML, CSS for HTML, and the page parsers.

A selector names its language by its start: ``$…`` is JSONPath (jsonpath-ng, with filters), ``xpath:…`` is
XPath 1.0 (lxml), ``css:…`` a CSS selector (cssselect), optionally ending in ``::text`` or ``::attr(NAME)``
as in scrapy. On an element, XPath and CSS are relative to it (``xpath:./a``; ``xpath://a`` searches the
whole page). A matched element gives its text with whitespace collapsed; an ``href``/``src`` attribute is
made absolute against the page's URL. Harvested pages are untrusted: XML is parsed without DTDs, entities
or network access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import orjson
from cssselect import HTMLTranslator, SelectorError
from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext import parse as parse_jsonpath

FORMATS = ("json", "html", "xml")
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "data-href", "data-url"})
_CSS_SUFFIX = re.compile(r"::(?:(?P<text>text)|attr\((?P<attr>[A-Za-z_:][-A-Za-z0-9_:.]*)\))\s*$")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Selector:
    """A compiled selector; ``select(node, page_url)`` gives the values it finds (possibly none)."""

    text: str
    kind: str  # "jsonpath" | "xpath" | "css"
    run: Callable[[Any], Any]

    def select(self, node: Any, page_url: str = "") -> list[Any]:
        if self.kind == "jsonpath":
            if isinstance(node, lxml.etree._Element):
                raise ValueError(f"selector {self.text!r} is JSONPath, but the page is HTML or XML")
            return [match.value for match in self.run(node)]
        return [_markup_value(r, page_url) for r in self._run_markup(node)]

    def elements(self, node: Any) -> list[Any]:
        """The matched JSON values or markup elements themselves (for record and table selectors)."""
        if self.kind == "jsonpath":
            return self.select(node)
        return self._run_markup(node)

    def _run_markup(self, node: Any) -> list[Any]:
        if not isinstance(node, lxml.etree._Element):
            raise ValueError(f"selector {self.text!r} is {self.kind.upper()}, but the page is JSON")
        try:
            found = self.run(node)
        except lxml.etree.XPathError as exc:
            raise ValueError(f"selector {self.text!r} failed: {exc}") from exc
        return found if isinstance(found, list) else [found]


@lru_cache(maxsize=512)
def compile_selector(text: str) -> Selector:
    """ValueError naming the problem for a selector that does not compile."""
    text = str(text).strip()
    try:
        if text.startswith("$"):
            return Selector(text, "jsonpath", parse_jsonpath(text).find)
        if text.startswith("xpath:"):
            return Selector(text, "xpath", lxml.etree.XPath(text.removeprefix("xpath:").strip()))
        if text.startswith("css:"):
            return Selector(text, "css", lxml.etree.XPath(_css_to_xpath(text.removeprefix("css:").strip())))
    except (JSONPathError, lxml.etree.XPathError, SelectorError) as exc:
        raise ValueError(f"selector {text!r} does not compile: {exc}") from exc
    raise ValueError(f"selector {text!r} should start with $ (JSONPath), 'xpath:' or 'css:'")


def _css_to_xpath(css: str) -> str:
    suffix = _CSS_SUFFIX.search(css)
    if suffix is None:
        return HTMLTranslator().css_to_xpath(css)
    path = HTMLTranslator().css_to_xpath(css[:suffix.start()].strip())
    return f"{path}/@{suffix['attr']}" if suffix["attr"] else path


def _markup_value(result: Any, page_url: str) -> Any:
    if isinstance(result, lxml.etree._Element):
        return text_of(result)
    if isinstance(result, bool):
        return "true" if result else "false"
    if isinstance(result, float):
        return str(int(result)) if result.is_integer() else str(result)
    text = " ".join(str(result).split())
    if getattr(result, "attrname", None) in _URL_ATTRIBUTES and text and page_url:
        return urljoin(page_url, text)
    return text


def text_of(element: Any) -> str:
    """An element's text, whitespace collapsed (comments and scripts left out)."""
    if not isinstance(element, lxml.etree._Element):
        return " ".join(str(element).split())
    parts = element.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return " ".join("".join(str(p) for p in parts).split())


def detect_format(content_type: str, text: str) -> str:
    """json, xml or html, from the Content-Type, else from the first character."""
    kind = content_type.split(";")[0].strip().lower()
    if "json" in kind:
        return "json"
    if "html" in kind:
        return "html"
    if "xml" in kind:
        return "xml"
    start = text.lstrip()[:1]
    if start in ("{", "["):
        return "json"
    return "xml" if text.lstrip().startswith("<?xml") and "<html" not in text[:2000].lower() else "html"


def parse_page(text: str, page_format: str) -> Any:
    """The page as JSON values or an lxml root element; ValueError saying why it cannot be read."""
    if page_format == "json":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc})") from exc
    if not text.strip():
        raise ValueError(f"empty {page_format.upper()} page")
    body = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses a declaration in decoded text
    try:
        if page_format == "xml":
            return lxml.etree.fromstring(body, parser=_XML_PARSER)
        return lxml.html.document_fromstring(body)
    except (lxml.etree.LxmlError, ValueError) as exc:
        raise ValueError(f"not valid {page_format.upper()} ({exc})") from exc
