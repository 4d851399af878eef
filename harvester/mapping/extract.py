"""Turning one listing entry or detail page into a JSON object the mapping's rules can read.

Three ways, combinable, in a ``listing`` or ``detail`` section of a mapping file:

``fields``  field name → selector (the first value, or every value with ``all: true``, optionally cut by a
            regular expression ``pattern``: its first group, else the whole match)
``rows``    selector of key/value rows (``<tr><th>资源名称</th><td>…</td></tr>``, ``<dt>…</dt><dd>…</dd>``,
            ``<li>资源名称：…</li>``): each row gives the field its key names
``tables``  field name → selector of a ``<table>``: a list of objects, one per body row, keyed by the
            header cells (a data dictionary, 信息项); a cell holding a link also gives ``KEY_url``, the
            link's absolute URL (a download button)
``children: true``  each child element gives a field named after its tag (XML records such as
            ``<record><zymc>…</zymc></record>``); a tag that repeats gives a list
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.etree

from harvester.mapping.paths import is_empty
from harvester.mapping.selectors import Selector, compile_selector, text_of

_KEY_END = "：:　 "  # what ends a row's key: 资源名称：
_INLINE_PAIR = re.compile(r"^\s*([^：:]{1,40})[：:]\s*(.*)$", re.DOTALL)
_FIELD_KEYS = frozenset({"select", "all", "pattern"})
MAX_TABLE_ROWS = 5000


@dataclass(frozen=True)
class FieldRule:
    name: str
    selector: Selector
    all: bool = False
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Extraction:
    fields: tuple[FieldRule, ...] = ()
    rows: tuple[Selector, ...] = ()
    tables: tuple[tuple[str, Selector], ...] = ()
    children: bool = False

    def apply(self, node: Any, page_url: str = "") -> dict[str, Any]:
        """The extracted object (ValueError when a selector does not fit the page)."""
        record: dict[str, Any] = _child_fields(node) if self.children else {}
        for selector in self.rows:
            for row in selector.elements(node):
                record.update(_row_pairs(row))
        for name, selector in self.tables:
            tables = [t for t in selector.elements(node) if isinstance(t, lxml.etree._Element)]
            if tables:
                record[name] = table_rows(tables[0], page_url)
        for rule in self.fields:
            value = _field_value(rule, node, page_url)
            if value is not None:
                record[rule.name] = value
        return record


def _child_fields(node: Any) -> dict[str, Any]:
    if not isinstance(node, lxml.etree._Element):
        raise ValueError("'children: true' reads XML or HTML elements, but the records are JSON")
    fields: dict[str, Any] = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name, value = lxml.etree.QName(child).localname, text_of(child)
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value
    return fields


def _field_value(rule: FieldRule, node: Any, page_url: str) -> Any:
    values = rule.selector.select(node, page_url)
    if rule.pattern is not None:
        values = [_cut(rule.pattern, v) for v in values if isinstance(v, str)]
    values = [v for v in values if not is_empty(v)]
    if rule.all:
        return values or None
    return values[0] if values else None


def _cut(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    if found is None:
        return None
    return found.group(1) if pattern.groups else found.group(0)


def _row_pairs(row: Any) -> dict[str, str]:
    """The key/value pairs of one row: its cells taken two by two, or "key：value" in a single cell."""
    if not isinstance(row, lxml.etree._Element):
        return {}
    cells = [c for c in row if isinstance(c.tag, str)]
    if len(cells) < 2:
        found = _INLINE_PAIR.match(text_of(row))
        return {found.group(1).strip(): found.group(2).strip()} if found and found.group(2).strip() else {}
    pairs = {}
    for key_cell, value_cell in zip(cells[0::2], cells[1::2]):
        key, value = text_of(key_cell).strip(_KEY_END), text_of(value_cell)
        if key and not is_empty(value):
            pairs[key] = value
    return pairs


def table_rows(table: Any, page_url: str = "") -> list[dict[str, str]]:
    """A table's body rows as objects keyed by its header cells (the first row when it has no ``th``)."""
    rows = [r for r in table.iter("tr")]
    if not rows:
        return []
    header_index = next((i for i, r in enumerate(rows) if r.find("th") is not None), 0)
    header = [text_of(c).strip(_KEY_END) for c in rows[header_index] if c.tag in ("th", "td")]
    out = []
    for row in rows[header_index + 1:][:MAX_TABLE_ROWS]:
        item: dict[str, str] = {}
        for key, cell in zip(header, (c for c in row if c.tag in ("th", "td"))):
            value, links = text_of(cell), cell.xpath(".//a/@href")
            if key and not is_empty(value):
                item[key] = value
            if key and links and str(links[0]).strip():
                item[f"{key}_url"] = urljoin(page_url, str(links[0]).strip())
        if item:
            out.append(item)
    return out


def compile_extraction(section: dict[str, Any], scope: str) -> Extraction | None:
    """The ``fields``/``rows``/``tables`` of a listing or detail section; None when it has none.
    ValueError names the part of the mapping file that is wrong."""
    fields = section.get("fields") or {}
    rows = section.get("rows") or []
    tables = section.get("tables") or {}
    if not isinstance(fields, dict) or not isinstance(tables, dict):
        raise ValueError(f"{scope}: 'fields' and 'tables' map field names to selectors")
    children = bool(section.get("children"))
    if not (fields or rows or tables or children):
        return None
    return Extraction(
        fields=tuple(_field_rule(str(name), spec, f"{scope}.fields.{name}") for name, spec in fields.items()),
        rows=tuple(_selector(s, f"{scope}.rows") for s in ([rows] if isinstance(rows, str) else rows)),
        tables=tuple((str(name), _selector(s, f"{scope}.tables.{name}")) for name, s in tables.items()),
        children=children)


def _field_rule(name: str, spec: Any, scope: str) -> FieldRule:
    if isinstance(spec, str):
        return FieldRule(name, _selector(spec, scope))
    if not isinstance(spec, dict) or "select" not in spec or set(spec) - _FIELD_KEYS:
        raise ValueError(f"{scope}: a selector, or {{select, all, pattern}}")
    try:
        pattern = re.compile(spec["pattern"]) if spec.get("pattern") else None
    except re.error as exc:
        raise ValueError(f"{scope}: pattern does not compile: {exc}") from exc
    return FieldRule(name, _selector(spec["select"], scope), bool(spec.get("all")), pattern)


def _selector(text: Any, scope: str) -> Selector:
    try:
        return compile_selector(str(text))
    except ValueError as exc:
        raise ValueError(f"{scope}: {exc}") from exc
