"""From a page's structured data to its datasets: schema.org terms, references resolved, one payload per dataset.

Terms are read as schema.org terms without resolving any ``@context`` (a remote context is never fetched, and
schema.org's own is known here): ``name``, ``schema:name``, ``http://schema.org/name`` and
``https://schema.org/name`` are all ``name``; other prefixed terms (``spdx:checksum``) stay as written.
Values become lists; ``@list``/``@set`` are lists; ``{"@value", "@language"}`` keeps its language; HTML text
(``"@type": "HTML"``) becomes plain text. A value that is only a reference (``{"@id": …}``) is replaced by the
node of that ``@id`` that the page describes (a publisher described once, named by several datasets).

The datasets of a page: every ``Dataset`` among its items (also in ``@graph``, and as ``mainEntity`` or
``about`` of a page item), and every ``dataset`` of a ``DataCatalog`` (a catalog page lists its datasets).
"""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urldefrag, urljoin

import lxml.html
from lxml import etree

SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "http://www.schema.org/",
                   "https://www.schema.org/", "schema:", "sdo:")
#: how deep values are read, and how many nodes one page may hold (a page is untrusted)
MAX_DEPTH = 24
MAX_NODES = 50_000
#: how many references deep the page's own nodes are copied into a dataset's payload
EMBED_DEPTH = 4
_PAGE_LINKS = ("mainEntity", "about")

Node = dict[str, Any]


class TooManyNodes(ValueError):
    pass


def term(name: str) -> str:
    """The schema.org term a key or type names (see the module docstring)."""
    text = str(name).strip()
    for prefix in SCHEMA_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def types_of(node: Any) -> list[str]:
    return node.get("@type", []) if isinstance(node, dict) else []


@dataclass
class _Reading:
    page_url: str
    nodes: int = 0


def normalise_items(items: list[Any], page_url: str) -> list[Node]:
    """The page's top-level nodes (``@graph`` members included), in the shape the module docstring gives;
    TooManyNodes past MAX_NODES."""
    reading = _Reading(page_url)
    out: list[Node] = []
    for item in items:
        for value in _values(item, reading, 0):
            if isinstance(value, dict) and "@value" not in value:
                out.extend([value, *value.pop("@graph", [])])
    return [n for n in out if isinstance(n, dict) and "@value" not in n]


def _values(value: Any, reading: _Reading, depth: int) -> list[Any]:
    """One JSON-LD value as a list of normalised values (a list or ``@list`` gives several)."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(value, list):
        return [v for item in value for v in _values(item, reading, depth + 1)]
    if not isinstance(value, dict):
        return [] if value is None else [value]
    if "@value" in value:
        return _literal(value)
    for key in ("@list", "@set"):
        if key in value:
            return _values(value[key], reading, depth + 1)
    return [_node(value, reading, depth)]


def _literal(value: dict[str, Any]) -> list[Any]:
    text = value["@value"]
    if text is None:
        return []
    if str(value.get("@type", "")).endswith("HTML"):
        text = html_text(str(text))
    language = value.get("@language")
    return [{"@value": str(text), "@language": str(language)}] if language else [text]


def _node(value: dict[str, Any], reading: _Reading, depth: int) -> Node:
    reading.nodes += 1
    if reading.nodes > MAX_NODES:
        raise TooManyNodes(f"the page's structured data holds more than {MAX_NODES:,} nodes")
    node: Node = {}
    for key, raw in value.items():
        if key == "@type":
            node["@type"] = [term(t) for t in (raw if isinstance(raw, list) else [raw]) if isinstance(t, str)]
        elif key == "@id" and isinstance(raw, str) and raw.strip():
            node["@id"] = urljoin(reading.page_url, raw.strip())
        elif key == "@graph":
            node["@graph"] = [v for v in _values(raw, reading, depth + 1) if isinstance(v, dict)]
        elif not key.startswith("@"):
            found = _values(raw, reading, depth + 1)
            if found:
                node.setdefault(term(key), []).extend(found)
    return node


def html_text(text: str) -> str:
    """The text of an HTML fragment (escaped or not), without its markup."""
    unescaped = html.unescape(text) if "&lt;" in text else text
    if "<" not in unescaped:
        return unescaped.strip()
    try:
        fragment = lxml.html.fragment_fromstring(unescaped, create_parent="div")
    except (etree.ParserError, ValueError):
        return unescaped.strip()
    blocks = [" ".join(p.split()) for p in fragment.itertext()]
    return " ".join(b for b in blocks if b)


# --- the datasets of a page --------------------------------------------------------------------
@dataclass
class FoundDataset:
    node: Node
    catalog: Node | None  # the DataCatalog whose ``dataset`` it is
    remote_id: str = ""


def find_datasets(nodes: list[Node]) -> list[FoundDataset]:
    """Every dataset of the page, once each, in page order, with its references resolved. Once: by ``@id``, and
    without one by name and url (a page that marks one dataset up twice, in JSON-LD and in microdata)."""
    index = node_index(nodes)
    found: list[FoundDataset] = []
    seen: set[str] = set()

    def add(node: Node, catalog: Node | None) -> None:
        key = node.get("@id") or _name_and_url(node) or str(id(node))
        if key not in seen:
            seen.add(key)
            found.append(FoundDataset(embed(node, index), catalog))

    for node in nodes:
        for candidate in [node, *(v for link in _PAGE_LINKS for v in node.get(link, []) if isinstance(v, dict))]:
            candidate = index.get(candidate.get("@id", ""), candidate) if _reference(candidate) else candidate
            if "Dataset" in types_of(candidate):
                add(candidate, None)
            elif "DataCatalog" in types_of(candidate):
                for entry in candidate.get("dataset", []):
                    entry = index.get(entry.get("@id", ""), entry) if isinstance(entry, dict) else entry
                    if isinstance(entry, dict) and (not types_of(entry) or "Dataset" in types_of(entry)):
                        add(entry, _catalog_summary(candidate))
    return found


def _name_and_url(node: Node) -> str:
    name, url = node.get("name", [None])[0], node.get("url", [None])[0]
    return f"{name}|{url}" if isinstance(name, str) and name.strip() else ""


def node_index(nodes: list[Node]) -> dict[str, Node]:
    """``@id`` → the fullest node the page gives for it (references alone are not descriptions)."""
    index: dict[str, Node] = {}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node.get("@id") and not _reference(node) and len(node) > len(index.get(node["@id"], {})):
            index[node["@id"]] = node
        stack.extend(v for values in node.values() if isinstance(values, list)
                     for v in values if isinstance(v, dict) and "@value" not in v)
    return index


def _reference(node: Node) -> bool:
    return bool(node.get("@id")) and not (set(node) - {"@id", "@type"})


def embed(node: Node, index: dict[str, Node], depth: int = 0, path: tuple[str, ...] = ()) -> Node:
    """A copy of ``node`` whose references are replaced by the page's nodes of those ``@id`` (cycles cut)."""
    out: Node = {}
    for key, values in node.items():
        if not isinstance(values, list) or key.startswith("@"):
            out[key] = copy.deepcopy(values)
            continue
        out[key] = [_embedded(v, index, depth, (*path, node.get("@id", ""))) for v in values]
    return out


def _embedded(value: Any, index: dict[str, Node], depth: int, path: tuple[str, ...]) -> Any:
    if not isinstance(value, dict) or "@value" in value:
        return value
    target = index.get(value.get("@id", "")) if _reference(value) else value
    if target is None or depth >= EMBED_DEPTH or (target.get("@id") and target["@id"] in path):
        return {k: v for k, v in value.items() if k in ("@id", "@type")}
    return embed(target, index, depth + 1, path)


def _catalog_summary(catalog: Node) -> Node:
    return {k: catalog[k] for k in ("@id", "@type", "name", "url", "description") if k in catalog}


def assign_remote_ids(found: list[FoundDataset], page_url: str) -> None:
    """The page's URL for its one dataset; page URL + ``#`` + its ``@id`` fragment, ``@id``, ``url`` or
    ``identifier`` (else its position) when the page holds several. A dataset whose ``@id`` is a fragment of
    the page keeps that fragment either way."""
    page = urldefrag(page_url)[0]
    for number, dataset in enumerate(found, 1):
        node_id = str(dataset.node.get("@id") or "")
        if node_id.startswith(page + "#"):
            dataset.remote_id = node_id
        elif len(found) == 1:
            dataset.remote_id = page
        else:
            dataset.remote_id = f"{page}#{_fragment(dataset.node, number)}"
    _deduplicate(found)


def _fragment(node: Node, number: int) -> str:
    for key in ("@id", "url", "identifier"):
        values = node.get(key) if key != "@id" else [node.get(key)]
        for value in values or []:
            text = value.get("value", [None])[0] if isinstance(value, dict) else value
            if isinstance(text, (str, int)) and str(text).strip():
                return quote(str(text).strip(), safe=":/?=&._~-")
    return f"dataset-{number}"


def _deduplicate(found: list[FoundDataset]) -> None:
    """Two datasets that would share an id (the same url twice) get their positions appended."""
    counts: dict[str, int] = {}
    for dataset in found:
        counts[dataset.remote_id] = counts.get(dataset.remote_id, 0) + 1
    for number, dataset in enumerate(found, 1):
        if counts[dataset.remote_id] > 1:
            dataset.remote_id += f"-{number}" if "#" in dataset.remote_id else f"#dataset-{number}"


def describe_types(nodes: list[Node]) -> str:
    """The types a page describes, for the message of a page without dataset."""
    names = sorted({t for n in nodes for t in types_of(n)})
    return ", ".join(names[:12]) or "untyped items"
