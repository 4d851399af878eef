"""The opened parts of one harvester process: settings, state, store, search index and IRIs.

``harvester serve``, the CLI commands and the tests each open one Context; the embedded store allows
one writing process, so everything that writes shares it.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from harvester import memory
from harvester.dcat.record import Iris
from harvester.index import SearchIndex
from harvester.mapping.worker import Mapper
from harvester.model import Source
from harvester.settings import Settings
from harvester.state import State
from harvester.store import TripleStore, open_store
from harvester.trust.register import TrustRegister

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.iris = Iris(settings.base_url)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        memory.limit_arenas()  # before the store and index start their threads
        memory.tune_gc()

    @cached_property
    def state(self) -> State:
        return State(self.settings.state_path)

    @cached_property
    def store(self) -> TripleStore:
        return open_store(self.settings.store_url, self.settings)

    @cached_property
    def index(self) -> SearchIndex:
        return SearchIndex(self.settings.index_path)

    @cached_property
    def trust(self) -> TrustRegister:
        return TrustRegister(self.settings.data_dir / "trust.db")

    @cached_property
    def mapper(self) -> Mapper:
        return Mapper(int(self.settings["harvest.map_workers"]))

    # --- sources: declared in the config file (read-only) or added by operators (state.db) -----------
    def sources(self) -> list[Source]:
        declared = [source_from_config(raw) for raw in self.settings.sources]
        names = {s.id for s in declared}
        return declared + [s for s in self.state.sources() if s.id not in names]

    def source(self, source_id: str) -> Source:
        for source in self.sources():
            if source.id == source_id:
                return source
        raise KeyError(f"no source {source_id!r}; see 'harvester source list'")

    def close(self) -> None:
        for name in ("mapper", "index", "store", "trust", "state"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()


def validate_source_id(source_id: str) -> str:
    if not SOURCE_ID.match(source_id):
        raise ValueError(f"source id {source_id!r} must be lower-case letters, digits, '-' or '_' "
                         "(starting with a letter or digit, at most 64 characters)")
    return source_id


def source_from_config(raw: dict[str, Any]) -> Source:
    known = {"id", "type", "url", "title", "schedule", "mapping", "enabled"}
    missing = [k for k in ("id", "type", "url") if not raw.get(k)]
    if missing:
        raise ValueError(f"[[sources]] entry {raw.get('id', '?')!r} lacks {', '.join(missing)}")
    return Source(id=validate_source_id(str(raw["id"])), type=str(raw["type"]), url=str(raw["url"]),
                  title=str(raw.get("title", "")), schedule=raw.get("schedule"), mapping=raw.get("mapping"),
                  enabled=bool(raw.get("enabled", True)), origin="config",
                  options={k: v for k, v in raw.items() if k not in known})
