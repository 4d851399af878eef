"""Source types by name: each module gathers one kind of portal's listing and fetches its payloads.

Source types register as entry points in the ``harvester.sources`` group (setup.cfg); a new portal type
is a module (or, for home-made portals, a mapping file), nothing else changes.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Iterator, Protocol

from harvester.http import PoliteClient
from harvester.mapping import Mapping
from harvester.model import RemoteRef, Source


class SourceType(Protocol):
    """Made once per job: ``SourceType(source, client, settings)``."""

    mapping: Mapping
    #: how many records the portal says it lists (for progress), once gather has started
    expected_total: int | None
    #: optional, True when absent: False after a gather that listed only the records changed since
    #: ``since`` (OAI-PMH ``from``, a CSW ``modified`` filter). Unlisted records are then kept, and
    #: deletions come as ``RemoteRef(..., deleted=True)``.
    complete_listing: bool

    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        """Every record the portal lists, each once. ``since``: payloads are needed only for records
        changed after it (the others may come without payload, with their change marker). Raises
        GatherError if the listing cannot be read to its end."""

    def fetch(self, ref: RemoteRef) -> Any:
        """The record's payload (FetchError on failure)."""

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        """Where a person sees this record on the portal."""


@cache
def source_types() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group="harvester.sources")}


def source_type(name: str) -> Any:
    """The class registered for a type name; ValueError naming the known types otherwise."""
    types = source_types()
    if name not in types:
        raise ValueError(f"unknown source type {name!r}; known: {', '.join(sorted(types)) or 'none'}")
    return types[name].load()


def open_source(source: Source, client: PoliteClient, settings: Any) -> SourceType:
    return source_type(source.type)(source, client, settings)  # type: ignore[no-any-return]
