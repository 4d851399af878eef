"""The ``table_schema`` kind: a data dictionary (信息项: column name and type) as a ``csvw:tableSchema`` node.

A portal sends its data dictionary as a list of objects (``{"名称": "监测点位", "数据类型": "字符串"}``, pinyin or
English keys alike, see vocab/fields/aliases.yaml ``columns``), as that list JSON-encoded in a string, or as
column names joined in one string (``监测点位、PM2.5``). Each item becomes a ``csvw:Column`` with ``csvw:name``,
``csvw:titles``, ``csvw:datatype`` (the XSD datatype for known type names, else the portal's type name as
text) and ``dct:description``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from harvester.dcat.rdf import A, literal, term
from harvester.errors import MappingError
from harvester.mapping.aliases import alias_table, xsd_datatype
from harvester.mapping.paths import is_empty
from harvester.mapping.values import SPLIT_DEFAULT, split_values

if TYPE_CHECKING:
    from harvester.mapping.emitters import MapContext, RuleOptions

MAX_COLUMNS = 2000  # columns kept of one data dictionary
_NAME_LENGTH = 500


def emit_table_schema(values: list[Any], opts: RuleOptions, ctx: MapContext, subject: str) -> list[str]:
    columns = [c for c in (_column(item, opts) for item in _items(values, opts)) if c][:MAX_COLUMNS]
    if not columns:
        return []
    base = subject[1:-1]
    schema = f"<{base}#schema>"
    ctx.add(schema, A, term("csvw:Schema"))
    lang = ctx.language(opts) or ctx.lang
    for number, (name, title, datatype, description) in enumerate(columns, start=1):
        node = f"<{base}#column-{number}>"
        ctx.add(schema, term("csvw:column"), node)
        ctx.add(node, A, term("csvw:Column"))
        ctx.add(node, term("csvw:name"), literal(name))
        if title:
            ctx.add(node, term("csvw:titles"), literal(title, lang))
        if datatype:
            iri = xsd_datatype(datatype)
            ctx.add(node, term("csvw:datatype"), f"<{iri}>" if iri else literal(datatype))
        if description:
            ctx.add(node, term("dct:description"), literal(description, lang))
    return [schema]


def _items(values: list[Any], opts: RuleOptions) -> list[Any]:
    """The dictionary's items, whichever shape the portal sent: a list, items one by one, JSON in a string,
    names in a string."""
    items: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.lstrip().startswith(("[", "{")):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise MappingError(f"{opts.name}: the data dictionary is not valid JSON: {exc}") from exc
        if isinstance(value, list):
            items.extend(value)
        elif isinstance(value, str):
            items.extend(split_values(value, opts.split or SPLIT_DEFAULT))
        else:
            items.append(value)
    return items


def _column(item: Any, opts: RuleOptions) -> tuple[str, str, str, str] | None:
    """(name, title, type, description) of one item; None for an item with no name."""
    if isinstance(item, dict):
        keys = alias_table().columns
        name, title, datatype, description = (_first(item, keys[part]) for part in
                                              ("name", "title", "type", "description"))
        name = name or title
    elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
        name, title, datatype, description = str(item).strip(), "", "", ""
    else:
        raise MappingError(f"{opts.name}: a data dictionary item should be an object or a name, "
                           f"not {type(item).__name__}")
    if not name:
        return None
    return name[:_NAME_LENGTH], title[:_NAME_LENGTH], datatype[:100], description[:5000]


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = item.get(key)
        if not is_empty(value) and not isinstance(value, (dict, list)):
            return str(value).strip()
    return ""
