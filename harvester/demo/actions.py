"""The CKAN action API of the demo portal: each action a function of (portal, parameters) returning its result.

Errors are raised as ActionError (the CKAN error envelope with its HTTP status) or ServerFault (an injected crash);
the HTTP layer turns them into responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from harvester.demo.departments import DEPARTMENTS
from harvester.demo.generator import group_dict
from harvester.demo.search import DEFAULT_SORT, SearchQueryError
from harvester.demo.vocabulary import GROUPS, PORTAL_TITLE

if TYPE_CHECKING:
    from harvester.demo.portal import DemoPortal

Params = Mapping[str, Any]

#: CKAN's ckan.search.rows_max default: larger ``rows`` are capped silently
MAX_ROWS = 1000
CKAN_VERSION = "2.10.4"


class ActionError(Exception):
    """A CKAN error answer: HTTP status plus the ``error`` object of the envelope."""

    def __init__(self, status: int, error_type: str, message: str | None = None, *,
                 fields: dict[str, Any] | None = None) -> None:
        super().__init__(message or error_type)
        self.status = status
        self.error: dict[str, Any] = {"__type": error_type, **(fields or {})}
        if message is not None:
            self.error["message"] = message


class ServerFault(Exception):
    """An injected failure: the portal answers HTTP 500 with an HTML error page, as a crashing CKAN does."""


def not_found() -> ActionError:
    return ActionError(404, "Not Found Error", "Not found")


def package_search(portal: DemoPortal, params: Params) -> dict[str, Any]:
    if portal.search_disabled:
        raise not_found()
    rows = min(_integer(params, "rows", 10), MAX_ROWS)
    start = 0 if portal.repeat_pages else _integer(params, "start", 0)
    if portal.take_search_fault(start // rows + 1 if rows else 1):
        raise ServerFault(f"package_search page {start // max(rows, 1) + 1} failed (injected)")
    sort = str(params.get("sort") or DEFAULT_SORT)
    try:
        count, indexes = portal.search(str(params.get("q") or ""), str(params.get("fq") or ""), sort, start, rows)
    except SearchQueryError as error:
        raise ActionError(409, "Search Query Error", str(error)) from None
    fields = [f for f in str(params.get("fl") or "").replace(" ", ",").split(",") if f]
    if fields:  # CKAN 2.9+: only these fields of each package (from the search index)
        results = [portal.fields(index, fields) for index in indexes]
    else:
        results = [portal.package(index) for index in indexes]
    return {"count": count, "results": results, "sort": sort, "facets": {}, "search_facets": {}}


def package_show(portal: DemoPortal, params: Params) -> dict[str, Any]:
    reference = params.get("id") or params.get("name")
    if not reference:
        raise ActionError(409, "Validation Error", fields={"id": ["Missing value"]})
    index = portal.find(str(reference))
    if index is None:
        raise not_found()
    return portal.package(index)


def package_list(portal: DemoPortal, params: Params) -> list[str]:
    limit = _integer(params, "limit", None)
    return portal.package_names(_integer(params, "offset", 0), limit)


def organization_list(portal: DemoPortal, params: Params) -> list[Any]:
    departments = sorted(DEPARTMENTS, key=lambda department: department.slug)
    if not _flag(params, "all_fields"):
        return [department.slug for department in departments]
    counts = portal.organization_counts()
    return [
        {**department.as_organization(), "display_name": department.title, "num_followers": 0,
         "package_count": counts[department.slug]}
        for department in departments
    ]


def group_list(portal: DemoPortal, params: Params) -> list[Any]:
    names = sorted(GROUPS)
    if not _flag(params, "all_fields"):
        return names
    counts = portal.group_counts()
    return [{**group_dict(name), "type": "group", "is_organization": False, "state": "active",
             "package_count": counts.get(name, 0)} for name in names]


def status_show(portal: DemoPortal, params: Params) -> dict[str, Any]:
    return {"site_title": PORTAL_TITLE, "site_description": "济南市各委办局公共数据开放目录（演示数据，非真实数据）",
            "site_url": portal.base_url, "ckan_version": CKAN_VERSION, "error_emails_to": None,
            "locale_default": "zh_Hans_CN", "extensions": ["fluent", "scheming_datasets"]}


ACTIONS: dict[str, Callable[[DemoPortal, Params], Any]] = {
    "package_search": package_search,
    "package_show": package_show,
    "package_list": package_list,
    "organization_list": organization_list,
    "group_list": group_list,
    "status_show": status_show,
}


def run_action(portal: DemoPortal, name: str, params: Params) -> Any:
    """The result of one action; raises ActionError or ServerFault."""
    action = ACTIONS.get(name)
    if action is None:
        raise ActionError(400, "Bad Request", f"Bad request - Action name not known: {name}")
    return action(portal, params)


def _integer(params: Params, name: str, default: int | None) -> Any:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ActionError(409, "Validation Error", fields={name: ["Invalid integer"]}) from None
    if number < 0:
        raise ActionError(409, "Validation Error", fields={name: ["Must be a natural number"]})
    return number


def _flag(params: Params, name: str) -> bool:
    value = params.get(name)
    return value is True or str(value).lower() in ("true", "1", "yes")
