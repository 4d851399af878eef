"""CKAN portals: gather by package_search paging (package_list + package_show where search is off).

A complete gather lists every package (full payloads, sorted by id so that edits during paging do not
move packages between pages). An incremental gather asks ``fq=metadata_modified:[since TO *]`` for the
changed packages' payloads, then lists every package's id and change marker only (``fl``), so deletions
are still detected and unchanged packages cost nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

from harvester.errors import FetchError, GatherError, HTTPStatusError
from harvester.http import PoliteClient
from harvester.mapping import load_mapping
from harvester.model import RemoteRef, Source

#: answers of a CKAN whose search is switched off or missing: fall back to package_list
SEARCH_UNAVAILABLE = frozenset({400, 403, 404, 405, 501})
LIST_FIELDS = "id,name,metadata_modified"


class CkanSource:
    def __init__(self, source: Source, client: PoliteClient, settings: Any) -> None:
        self.source = source
        self.client = client
        self.api = source.url.rstrip("/") + "/api/3/action/"
        self.rows = int(source.options.get("rows", settings["ckan.rows"]))
        self.mapping = load_mapping(source.mapping or "ckan")
        self.expected_total: int | None = None

    # --- gather --------------------------------------------------------------------------------
    def gather(self, since: datetime | None) -> Iterator[RemoteRef]:
        seen: set[str] = set()
        try:
            first = self._search_page(0, "id asc", None, None)
        except HTTPStatusError as exc:
            if exc.status not in SEARCH_UNAVAILABLE:
                raise GatherError(f"package_search failed: {exc}") from exc
            yield from self._gather_by_list(seen)
            return
        except FetchError as exc:
            raise GatherError(f"package_search failed: {exc}") from exc
        self.expected_total = int(first.get("count") or 0)
        if since is None:
            yield from self._pages("id asc", None, None, seen, first)
            return
        fq = f"metadata_modified:[{since.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ} TO *]"
        yield from self._pages("metadata_modified asc", fq, None, seen)
        yield from self._pages("id asc", None, LIST_FIELDS, seen)

    def _pages(self, sort: str, fq: str | None, fl: str | None, seen: set[str],
               first: dict[str, Any] | None = None) -> Iterator[RemoteRef]:
        start, pages_seen = 0, set()
        while True:
            page = first if first is not None and start == 0 else self._search_page(start, sort, fq, fl)
            results = page.get("results")
            if not isinstance(results, list):
                raise GatherError(f"package_search at start={start} has no result list")
            if not results:
                return
            ids = tuple(str(p.get("id")) for p in results if isinstance(p, dict))
            if ids in pages_seen:
                raise GatherError(f"package_search returned the same page twice (start={start}): paging loop")
            pages_seen.add(ids)
            yield from self._refs(results, seen, with_payload=fl is None)
            start += len(results)
            if start >= int(page.get("count") or 0):
                return

    def _refs(self, results: list[Any], seen: set[str], with_payload: bool) -> Iterator[RemoteRef]:
        for package in results:
            remote_id = str(package.get("id") or package.get("name") or "") if isinstance(package, dict) else ""
            if not remote_id:
                continue
            if remote_id in seen:
                continue
            seen.add(remote_id)
            full = with_payload or len(package) > 3  # a portal that ignores fl sends whole packages
            yield RemoteRef(remote_id, _marker(package.get("metadata_modified")), None,
                            package if full else None)

    def _search_page(self, start: int, sort: str, fq: str | None, fl: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"rows": self.rows, "start": start, "sort": sort, "q": "*:*"}
        if fq:
            params["fq"] = fq
        if fl:
            params["fl"] = fl
        return self._action("package_search", params)

    def _gather_by_list(self, seen: set[str]) -> Iterator[RemoteRef]:
        try:
            names = self._action("package_list", {})
        except FetchError as exc:
            raise GatherError(f"package_search is unavailable and package_list failed: {exc}") from exc
        if not isinstance(names, list):
            raise GatherError("package_list did not return a list")
        self.expected_total = len(names)
        for name in names:
            if isinstance(name, str) and name not in seen:
                seen.add(name)
                yield RemoteRef(name)  # payload via package_show; its id replaces the name

    # --- fetch ---------------------------------------------------------------------------------
    def fetch(self, ref: RemoteRef) -> Any:
        if ref.payload is not None:
            return ref.payload
        return self._action("package_show", {"id": ref.remote_id})

    def original_url(self, ref: RemoteRef, payload: Any) -> str | None:
        name = payload.get("name") if isinstance(payload, dict) else None
        return f"{self.source.url.rstrip('/')}/dataset/{name or ref.remote_id}"

    def _action(self, action: str, params: dict[str, Any]) -> Any:
        response = self.client.get(self.api + action, params=params)
        envelope = response.json()
        if not isinstance(envelope, dict) or not envelope.get("success"):
            error = envelope.get("error") if isinstance(envelope, dict) else None
            raise FetchError(f"{action} answered success=false: {error}", response.url)
        return envelope.get("result")


def _marker(value: Any) -> str | None:
    return str(value) if value else None
