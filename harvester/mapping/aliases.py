"""Field aliases: the many names Chinese portals give one catalog field, so a rule can say ``from: "@title"``.

The table is vocab/fields/: the curated ``aliases.yaml`` (Chinese, pinyin-initial and English keys) first,
then the CN-PDS names of 138 portals (``cnpds_field_mapping.json``). ``@NAME`` in a path expands, when the
mapping is compiled, to every key of the unified field NAME; ``a.@NAME`` to ``a.KEY`` for each. The same
file names the keys of one 信息项 (data dictionary item) and the XSD datatypes of its type names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Mapping, Sequence

import yaml

from harvester import VOCAB_DIR
from harvester.dcat.rdf import XSD

FIELDS_DIR = VOCAB_DIR / "fields"
_LENGTH = re.compile(r"[(（\[].*$")  # VARCHAR(50), 字符型（20）
_UNSAFE_KEY = re.compile(r"[.\[\]]")  # a key with these cannot be written as a path
#: keys of JSON-LD payloads (data.json, DCAT JSON-LD): ``@id`` in a path reads the key itself
JSONLD_KEYWORDS = frozenset({"base", "container", "context", "direction", "graph", "id", "import", "included",
                             "index", "json", "language", "list", "nest", "none", "prefix", "propagate",
                             "protected", "reverse", "set", "type", "value", "version", "vocab"})


@dataclass(frozen=True)
class AliasTable:
    #: unified field → source keys, in the order they are tried
    fields: dict[str, tuple[str, ...]]
    #: part of one 信息项 (name, title, type, description) → its keys
    columns: dict[str, tuple[str, ...]]
    #: normalised type name → XSD datatype IRI
    datatypes: dict[str, str]


@cache
def alias_table() -> AliasTable:
    """Read vocab/fields/ once per process."""
    curated = yaml.safe_load((FIELDS_DIR / "aliases.yaml").read_text(encoding="utf-8"))
    cnpds = json.loads((FIELDS_DIR / "cnpds_field_mapping.json").read_text(encoding="utf-8"))["common"]
    fields = {name: list(keys) for name, keys in curated["fields"].items()}
    claimed = {key for keys in fields.values() for key in keys}
    for key, unified in cnpds.items():
        if key not in claimed and not _UNSAFE_KEY.search(key):
            fields.setdefault(unified, []).append(key)
    datatypes = {_type_key(name): XSD + xsd for xsd, names in curated["datatypes"].items() for name in names}
    return AliasTable(fields={n: tuple(dict.fromkeys(k)) for n, k in fields.items()},
                      columns={n: tuple(k) for n, k in curated["columns"].items()}, datatypes=datatypes)


def _type_key(name: str) -> str:
    return _LENGTH.sub("", str(name)).strip().lower().replace(" ", "")


def xsd_datatype(type_name: Any) -> str | None:
    """The XSD datatype IRI of a 信息项 type name (字符串, VARCHAR(50), 整数 …), None when unknown."""
    return alias_table().datatypes.get(_type_key(type_name))


def field_keys(name: str, extra: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The keys of unified field ``name``: the mapping's own (``extra``) first, then the table's."""
    table = alias_table().fields
    own = list((extra or {}).get(name, []))
    if name not in table and not own:
        raise ValueError(f"unknown field alias @{name} (known: {', '.join(sorted(table))})")
    return list(dict.fromkeys([*own, *table.get(name, ())]))


def expand_path(path: str, extra: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """``"@title"`` → ``["资源名称", "信息资源名称", …]``; ``"/detail.@title"`` → ``["/detail.资源名称", …]``;
    ``"@files[]"`` → ``["资源文件[]", …]``; a path without ``@``, or naming a JSON-LD keyword (``@id``,
    ``@type``), is returned alone."""
    head, marker, name = path.rpartition("@")
    if not marker or name.removesuffix("[]") in JSONLD_KEYWORDS:
        return [path]
    if head and not head.endswith((".", "/")) or "." in name:
        raise ValueError(f"path {path!r}: write an alias as the last step, e.g. 'detail.@title'")
    suffix = "[]" if name.endswith("[]") else ""
    return [head + key + suffix for key in field_keys(name.removesuffix("[]"), extra)]


def expand_paths(paths: Sequence[str], extra: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    return list(dict.fromkeys(p for path in paths for p in expand_path(path, extra)))
