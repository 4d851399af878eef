"""Checking a source's fields as an operator gives them (admin form or CLI): one place, clear messages.

``validate_source(fields)`` turns the raw fields into a ``Source`` or raises ``SourceFormError`` (a
ValueError) naming every field that is wrong, each with a stable code the admin pages translate.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from harvester.context import validate_source_id
from harvester.model import Source

MAX_URL_LENGTH = 2000
MAX_TITLE_LENGTH = 200
#: checkbox values that mean "on"
TRUE_VALUES = frozenset({"on", "true", "1", "yes"})


@dataclass(frozen=True)
class FieldProblem:
    """One wrong field: ``code`` is stable (``url.scheme``), ``message`` says it in English."""

    field: str
    code: str
    message: str


class SourceFormError(ValueError):
    """The fields do not make a valid source; ``problems`` lists each wrong field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    def for_field(self, name: str) -> list[FieldProblem]:
        return [p for p in self.problems if p.field == name]


def validate_source(fields: Mapping[str, Any]) -> Source:
    """A ``Source`` (origin ``state``) from raw fields: id, type, url, title, schedule, mapping, enabled.

    Text is stripped; empty schedule or mapping mean none; ``enabled`` defaults to on when absent.
    Raises SourceFormError listing every problem."""
    text = {name: str(fields.get(name) or "").strip() for name in ("id", "type", "url", "title", "schedule",
                                                                     "mapping")}
    problems: list[FieldProblem] = []
    for name, check in _CHECKS:
        problem = check(text[name])
        if problem is not None:
            problems.append(FieldProblem(name, *problem))
    if problems:
        raise SourceFormError(problems)
    return Source(id=text["id"], type=text["type"], url=text["url"], title=text["title"],
                  schedule=text["schedule"] or None, mapping=text["mapping"] or None,
                  enabled=_enabled(fields.get("enabled", True)), origin="state")


def check_portal_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host; ValueError otherwise."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must be an http(s) URL, not {url!r}")
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError(f"url {url[:80]!r} has spaces or control characters, or is too long")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(f"url {url!r} is malformed: {exc}") from exc
    if not parts.hostname:
        raise ValueError(f"url {url!r} names no host")
    return url


def _check_id(value: str) -> tuple[str, str] | None:
    if not value:
        return "id.required", "id is required"
    try:
        validate_source_id(value)
    except ValueError as exc:
        return "id.invalid", str(exc)
    return None


def _check_type(value: str) -> tuple[str, str] | None:
    from harvester.sources import source_type

    if not value:
        return "type.required", "type is required"
    try:
        source_type(value)
    except ValueError as exc:
        return "type.unknown", str(exc)
    return None


def _check_url(value: str) -> tuple[str, str] | None:
    if not value:
        return "url.required", "url is required"
    try:
        check_portal_url(value)
    except ValueError as exc:
        return "url.invalid", str(exc)
    return None


def _check_title(value: str) -> tuple[str, str] | None:
    if len(value) > MAX_TITLE_LENGTH:
        return "title.too_long", f"title must have at most {MAX_TITLE_LENGTH} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "title.control", "title must not contain control characters"
    return None


def _check_schedule(value: str) -> tuple[str, str] | None:
    if not value:
        return None
    from harvester.scheduler import parse_schedule

    try:
        parse_schedule(value)
    except ValueError as exc:  # ScheduleError, saying which forms are accepted
        return "schedule.invalid", str(exc)
    return None


def _check_mapping(value: str) -> tuple[str, str] | None:
    if not value:
        return None
    import yaml

    from harvester.errors import MappingError
    from harvester.mapping import load_mapping

    try:
        load_mapping(value)
    except (ValueError, MappingError, yaml.YAMLError, ImportError, AttributeError) as exc:
        return "mapping.invalid", f"mapping {value!r} cannot be used: {exc}"
    return None


_CHECKS: tuple[tuple[str, Callable[[str], tuple[str, str] | None]], ...] = (
    ("id", _check_id), ("type", _check_type), ("url", _check_url), ("title", _check_title),
    ("schedule", _check_schedule), ("mapping", _check_mapping),
)


def _enabled(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_VALUES
