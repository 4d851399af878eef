"""Compiled value paths into a JSON payload: ``organization.title``, ``tags[].name``, ``extras.更新频率``.

A path is dot-separated keys; ``[]`` after a key iterates a list. Getting a path yields every non-empty
leaf value; placeholders that portals use for "nothing" (暂无, 无, --, N/A …) count as empty.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Iterator

from harvester.errors import MappingError

PLACEHOLDERS = frozenset({"", "暂无", "无", "--", "-", "—", "/", "null", "none", "n/a", "na", "未知", "不详", "空"})

Getter = Callable[[Any], list[Any]]


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    kind = value.__class__
    if kind is str:
        stripped = value.strip()
        return not stripped or (len(stripped) <= 4 and stripped.lower() in PLACEHOLDERS)
    if kind is list or kind is dict:
        return not value
    return False


@lru_cache(maxsize=None)
def compile_path(path: str) -> Getter:
    """``"a.b[].c"`` → a function payload → list of non-empty values found there."""
    if path in (".", ""):
        return lambda payload: [] if is_empty(payload) else [payload]
    steps = [(part[:-2], True) if part.endswith("[]") else (part, False) for part in path.split(".")]
    if not any(iterate for _, iterate in steps):
        return _compile_keys([key for key, _ in steps])
    if len(steps) == 2 and steps[0][1] and not steps[1][1]:
        return _compile_list_key(steps[0][0], steps[1][0])

    def get(payload: Any) -> list[Any]:
        return [v for v in _walk(payload, steps, 0) if not is_empty(v)]
    return get


def _compile_keys(keys: list[str]) -> Getter:
    """A path of plain keys: ``a`` or ``a.b.c`` (the common case, kept fast)."""
    def get(payload: Any) -> list[Any]:
        for key in keys:
            if payload.__class__ is not dict:
                return []
            payload = payload.get(key)
        return [] if is_empty(payload) else [payload]
    return get


def _compile_list_key(list_key: str, key: str) -> Getter:
    """``a[].b``: field b of every item of list a."""
    def get(payload: Any) -> list[Any]:
        items = payload.get(list_key) if payload.__class__ is dict else None
        if items is None:
            return []
        if items.__class__ is not list:
            raise MappingError(f"'{list_key}' should be a list, not {type(items).__name__}")
        out = []
        for item in items:
            if item.__class__ is dict:
                value = item.get(key)
                if not is_empty(value):
                    out.append(value)
        return out
    return get


def _walk(node: Any, steps: list[tuple[str, bool]], i: int) -> Iterator[Any]:
    if i == len(steps):
        yield node
        return
    key, iterate = steps[i]
    if not isinstance(node, dict):
        return
    value = node.get(key)
    if value is None:
        return
    if iterate:
        if not isinstance(value, list):
            raise MappingError(f"'{key}' should be a list, not {type(value).__name__}")
        for item in value:
            yield from _walk(item, steps, i + 1)
        return
    yield from _walk(value, steps, i + 1)


def first_values(getters: list[Getter], payload: Any) -> list[Any]:
    """The values of the first path that has any."""
    for get in getters:
        values = get(payload)
        if values:
            return values
    return []


def root_key(path: str) -> str:
    return path.split(".", 1)[0].removesuffix("[]")
