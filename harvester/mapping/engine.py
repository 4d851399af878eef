"""Compiling a mapping file into rules once, then applying them to each payload (the hot path of a harvest).

A mapping file names where a record's id and change marker are, how to prepare the payload (CKAN's
key/value ``extras`` lists become objects), the dataset's rules, the nodes (publisher, contact point,
distribution…) that rules point to, and what to do with fields no rule reads: they are kept as
``schema:additionalProperty`` / ``schema:PropertyValue`` pairs instead of being dropped.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import string
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from harvester import MAPPINGS_DIR
from harvester.dcat.rdf import A, literal, term
from harvester.errors import MappingError
from harvester.mapping.aliases import expand_paths
from harvester.mapping.emitters import EMITTERS, Emitter, MapContext, RuleOptions, slug
from harvester.mapping.paths import Getter, compile_path, first_values, is_empty, root_key


@dataclass
class Rule:
    predicate: str
    getters: list[Getter]
    emit: Emitter
    options: RuleOptions
    required: bool = False
    if_absent: bool = False
    node: str | None = None  # name of the node spec for as: node
    const: Any = None
    from_root: bool = False  # paths written "/a.b" read the record's root payload, not the node's
    paths: tuple[str, ...] = ()


@dataclass
class NodeSpec:
    name: str
    iri: str  # template: {dataset} {base} {source} {key} {index} and payload fields
    types: list[str]
    rules: list[Rule]
    keep_unmapped: bool = False
    ignore: frozenset[str] = frozenset()
    consumed: frozenset[str] = frozenset()
    consumed_kv: dict[str, frozenset[str]] = field(default_factory=dict)
    required: bool = False
    iri_parts: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        self.iri_parts = _template_parts(self.iri)


@dataclass
class Mapping:
    name: str
    digest: str  # changes when the mapping file changes, so that records are re-mapped
    record_id: list[Getter]
    marker: list[Getter]
    kv_lists: list[tuple[str, str, str]]  # (path, key field, value field)
    dataset: NodeSpec
    nodes: dict[str, NodeSpec]
    ref: str = ""  # how load_mapping found it (a name or a path), so a worker process can load it too
    #: top-level sections that are not about one record (``listing``, ``detail``, ``page`` of a custom
    #: portal), for the source type that reads them
    sections: dict[str, Any] = field(default_factory=dict)

    def remote_id(self, payload: Any) -> str | None:
        values = first_values(self.record_id, payload) if isinstance(payload, dict) else []
        return str(values[0]) if values else None

    def change_marker(self, payload: Any) -> str | None:
        values = first_values(self.marker, payload) if isinstance(payload, dict) else []
        return str(values[0]) if values else None

    def apply(self, payload: Any, ctx: MapContext) -> None:
        """Add the record's dataset triples to ``ctx``; MappingError if the payload cannot be mapped."""
        if not isinstance(payload, dict):
            raise MappingError(f"expected a JSON object, got {type(payload).__name__}")
        payload = self._prepare(payload)
        ctx.root = payload
        _apply_node(self, self.dataset, payload, ctx, f"<{ctx.dataset}>")

    def _prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        payload = dict(payload)
        for path, key_field, value_field in self.kv_lists:
            _kv_to_dict(payload, path.split("."), key_field, value_field)
        return payload


def _kv_to_dict(node: dict[str, Any], parts: list[str], key_field: str, value_field: str) -> None:
    head = parts[0]
    value = node.get(head)
    if len(parts) > 1:
        if isinstance(value, dict):
            node[head] = child = dict(value)
            _kv_to_dict(child, parts[1:], key_field, value_field)
        return
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for item in value:
            if isinstance(item, dict) and key_field in item:
                merged.setdefault(str(item[key_field]).strip(), item.get(value_field))
        node[head] = merged
    elif value is not None and not isinstance(value, dict):
        raise MappingError(f"'{head}' should be a list of {{{key_field}, {value_field}}}")


def _apply_node(mapping: Mapping, spec: NodeSpec, payload: Any, ctx: MapContext, subject: str) -> int:
    """Apply a node's rules to ``payload`` with ``subject``; returns how many property triples it added."""
    triples = ctx.triples
    start = len(triples)
    emitted: set[str] = set()
    for rule in spec.rules:  # the hot loop of a harvest: a rule's values are found inline, without a call
        predicate = rule.predicate
        if rule.if_absent and predicate in emitted:
            continue
        if rule.const is not None:
            objects = [rule.const]
        else:
            if rule.getters:
                source = ctx.root if rule.from_root else payload
                for get in rule.getters:
                    values = get(source)
                    if values:
                        break
                else:
                    values = []
            else:
                values = [payload]
            if not values:
                objects = values
            elif rule.node is None:
                objects = rule.emit(values, rule.options, ctx, subject)
            else:
                objects = _node_objects(mapping, mapping.nodes[rule.node], values, ctx)
        if not objects:
            if rule.required:
                raise MappingError(f"{rule.options.name} is missing")
            continue
        emitted.add(predicate)
        triples.extend([(subject, predicate, obj) for obj in objects])
    if spec.keep_unmapped and isinstance(payload, dict):
        _keep_unmapped(spec, payload, ctx, subject)
    added = len(triples) - start
    if added:
        for cls in spec.types:
            triples.append((subject, A, cls))
    return added


def _node_objects(mapping: Mapping, spec: NodeSpec, values: list[Any], ctx: MapContext) -> list[str]:
    """The IRIs of the nodes built from ``values`` (those that got any property)."""
    out = []
    for index, value in enumerate(values):
        node_iri = _node_iri(spec, value, ctx, index)
        if _apply_node(mapping, spec, value, ctx, node_iri):
            out.append(node_iri)
        elif spec.required:
            raise MappingError(f"{spec.name} {index + 1} has none of its fields")
    return out


def _node_iri(spec: NodeSpec, value: Any, ctx: MapContext, index: int) -> str:
    parts = []
    for literal_text, name in spec.iri_parts:
        parts.append(literal_text)
        if name is None:
            continue
        if name == ".":  # the node's own value, when it is a plain value (a department's name)
            parts.append(slug(value) if not is_empty(value) and value.__class__ is not dict else str(index))
        elif name in _CONTEXT_FIELDS:
            parts.append(_CONTEXT_FIELDS[name](ctx, index))
        else:
            found = value.get(name) if value.__class__ is dict else None
            parts.append(slug(found) if not is_empty(found) else str(index))
    return "<" + "".join(parts) + ">"


_CONTEXT_FIELDS: dict[str, Any] = {
    "dataset": lambda ctx, i: ctx.dataset, "base": lambda ctx, i: ctx.base,
    "source": lambda ctx, i: ctx.source_id, "key": lambda ctx, i: ctx.key, "index": lambda ctx, i: str(i),
}


def _template_parts(template: str) -> tuple[tuple[str, str | None], ...]:
    """``"{dataset}/distribution/{id}"`` → (("", "dataset"), ("/distribution/", "id"))."""
    return tuple((text, name) for text, name, _, _ in string.Formatter().parse(template))


_ADDITIONAL, _PROPERTY_VALUE = term("schema:additionalProperty"), term("schema:PropertyValue")
_NAME, _VALUE = term("schema:name"), term("schema:value")


def _keep_unmapped(spec: NodeSpec, payload: dict[str, Any], ctx: MapContext, subject: str) -> None:
    ignore, consumed, consumed_kv = spec.ignore, spec.consumed, spec.consumed_kv
    pairs: list[tuple[str, Any]] = []
    for key, value in payload.items():  # membership first: most keys are read by a rule or ignored
        if key in ignore:
            continue
        if key in consumed_kv:
            if isinstance(value, dict):
                kept = consumed_kv[key]
                pairs.extend((k, v) for k, v in value.items() if k not in kept and not is_empty(v))
        elif key not in consumed and not is_empty(value):
            pairs.append((key, value))
    base = subject[1:-1]
    add = ctx.add
    for n, (key, value) in enumerate(pairs):
        node = f"<{base}#property-{n}>"
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        add(subject, _ADDITIONAL, node)
        add(node, A, _PROPERTY_VALUE)
        add(node, _NAME, literal(str(key)[:200]))
        add(node, _VALUE, literal(text[:5000]))


# --- compiling a mapping file ------------------------------------------------------------------


def _tz(value: str | None) -> timezone:
    if not value or value.upper() == "UTC":
        return timezone.utc
    sign = -1 if value.startswith("-") else 1
    hours, _, minutes = value.lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def _compile_rule(raw: dict[str, Any], scope: str, aliases: dict[str, list[str]] | None = None) -> Rule:
    kind = str(raw.get("as", "text"))
    node = kind.split(":", 1)[1] if kind.startswith("node:") else None
    vocab_kind = kind.split(":", 1)[1] if kind.startswith("vocab:") else None
    emitter_name = "vocab" if vocab_kind else ("node" if node else kind)
    if emitter_name not in EMITTERS and not node:
        raise ValueError(f"{scope}: unknown 'as: {kind}' (known: {', '.join(sorted(EMITTERS))}, node:NAME)")
    paths = raw.get("from", [])
    paths = expand_paths([paths] if isinstance(paths, str) else list(paths), aliases)
    from_root = bool(paths) and all(p.startswith("/") for p in paths)
    paths = [p.lstrip("/") for p in paths]
    options = RuleOptions(name=str(raw.get("name") or (paths[0] if paths else raw["to"])),
                          lang=raw.get("lang"), split=raw.get("split"), tz=_tz(raw.get("tz")),
                          strict=bool(raw.get("strict", kind == "datetime")), vocab=vocab_kind,
                          scheme=raw.get("scheme"))
    const = raw.get("const")
    return Rule(predicate=term(raw["to"]), getters=[compile_path(p) for p in paths],
                emit=EMITTERS.get(emitter_name, EMITTERS["text"]), options=options,
                required=bool(raw.get("required")), if_absent=bool(raw.get("if_absent")), node=node,
                const=term(const) if const else None, from_root=from_root, paths=tuple(paths))


def _compile_node(name: str, raw: dict[str, Any], kv_roots: set[str],
                  aliases: dict[str, list[str]] | None = None) -> NodeSpec:
    rules = [_compile_rule(r, f"{name}.rules[{i}]", aliases) for i, r in enumerate(raw.get("rules", []))]
    paths = [p for r in raw.get("rules", []) for p in expand_paths(_as_list(r.get("from", [])), aliases)
             if not p.startswith("/")]
    consumed_kv: dict[str, set[str]] = {k: set() for k in kv_roots}
    for p in paths:
        head, _, rest = p.partition(".")
        if head in consumed_kv and rest:
            consumed_kv[head].add(rest.split(".")[0])
    types = raw.get("type", [])
    return NodeSpec(name=name, iri=str(raw.get("iri", "")), rules=rules,
                    types=[term(t) for t in ([types] if isinstance(types, str) else types)],
                    keep_unmapped=bool(raw.get("keep_unmapped")), ignore=frozenset(raw.get("ignore", [])),
                    consumed=frozenset(root_key(p) for p in paths),
                    consumed_kv={k: frozenset(v) for k, v in consumed_kv.items()},
                    required=bool(raw.get("required")))


#: top-level keys about one record; the others are kept in Mapping.sections
RECORD_KEYS = frozenset({"name", "id", "marker", "kv_lists", "dataset", "nodes", "aliases"})


def compile_mapping(text: str, name: str) -> Mapping:
    raw = yaml.safe_load(text)
    aliases = _aliases(raw.get("aliases"), name)
    kv_lists = [(k["path"], k.get("key", "key"), k.get("value", "value")) for k in raw.get("kv_lists", [])]
    top_kv = {path for path, _, _ in kv_lists if "." not in path}
    nodes = {n: _compile_node(n, spec, set(spec.get("kv", [])), aliases)
             for n, spec in raw.get("nodes", {}).items()}
    dataset = _compile_node("dataset", raw["dataset"], top_kv, aliases)
    for rule in [*dataset.rules, *(r for spec in nodes.values() for r in spec.rules)]:
        if rule.node and rule.node not in nodes:
            raise ValueError(f"mapping {name}: rule for {rule.predicate} names unknown node {rule.node!r}")
    _merge_inline_nodes(dataset, nodes)
    return Mapping(name=str(raw.get("name", name)), digest=hashlib.sha1(text.encode()).hexdigest()[:12],
                   record_id=[compile_path(p) for p in expand_paths(_as_list(raw.get("id", "id")), aliases)],
                   marker=[compile_path(p) for p in expand_paths(_as_list(raw.get("marker", [])), aliases)],
                   kv_lists=kv_lists, dataset=dataset, nodes=nodes,
                   sections={k: v for k, v in raw.items() if k not in RECORD_KEYS})


def _aliases(raw: Any, name: str) -> dict[str, list[str]]:
    """The mapping's own ``aliases:`` (unified field → its keys on this portal, tried before the table's)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, (str, list)) for v in raw.values()):
        raise ValueError(f"mapping {name}: 'aliases' should map field names to lists of keys")
    return {str(k): _as_list(v) for k, v in raw.items()}


def _merge_inline_nodes(dataset: NodeSpec, nodes: dict[str, NodeSpec]) -> None:
    """A node built from the dataset's own payload (a rule with no ``from``) reads dataset fields, and so
    does a node rule whose paths start with ``/``: what they read is consumed, not unmapped."""
    consumed, consumed_kv = set(dataset.consumed), {k: set(v) for k, v in dataset.consumed_kv.items()}
    inline = {nodes[rule.node].name for rule in dataset.rules if rule.node and not rule.getters}
    read = [p for spec in nodes.values() for r in spec.rules if spec.name in inline or r.from_root for p in r.paths]
    for path in read:
        consumed.add(root_key(path))
        head, _, rest = path.partition(".")
        if head in consumed_kv and rest:
            consumed_kv[head].add(rest.split(".")[0])
    dataset.consumed = frozenset(consumed)
    dataset.consumed_kv = {k: frozenset(v) for k, v in consumed_kv.items()}


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@cache
def load_mapping(name_or_path: str) -> Mapping:
    """A mapping by name (``ckan`` → mappings/ckan.yaml), by file path, or ``python:module:attribute`` — an
    object with the same interface (``apply``, ``change_marker``, ``remote_id``, ``digest``, ``ref``) for
    source types whose payloads are not JSON records (RDF feeds, XML catalogs)."""
    if name_or_path.startswith("python:"):
        module_name, _, attribute = name_or_path.removeprefix("python:").partition(":")
        return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
    path = Path(name_or_path)
    if not path.suffix:
        path = MAPPINGS_DIR / f"{name_or_path}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read mapping {name_or_path!r}: {exc}") from exc
    mapping = compile_mapping(text, path.stem)
    mapping.ref = name_or_path
    return mapping
