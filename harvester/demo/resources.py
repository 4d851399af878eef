"""The resources (distributions) of a demo package: formats fitting its topic, download URLs on the portal itself.

Each (topic, format) pair has a template dict built once; a resource copies it and fills in the few fields that
vary, which keeps generation fast enough to serve million-dataset portals page by page.
"""

from __future__ import annotations

import random
from typing import Any, Callable, NamedTuple

from harvester.demo.identity import format_ckan_time, uuid5_text
from harvester.demo.topics import TOPICS, Topic
from harvester.demo.vocabulary import EXTRA_FORMATS, FORMATS

_DAY_US = 86_400_000_000

#: per topic slug, the generic formats it may add (those it does not already have)
_GENERIC_FORMATS: dict[str, tuple[str, ...]] = {
    topic.slug: tuple(f for f in EXTRA_FORMATS if f not in topic.formats) for topic in TOPICS
}


class _ResourceKind(NamedTuple):
    """What every resource of one format in one topic shares."""

    template: dict[str, Any]
    #: appended to the package's short title to name the resource
    label_suffix: str
    #: the file name in the download URL; empty for API endpoints
    file_name: str


def download_path(name: str, resource_id: str, file_name: str) -> str:
    """The portal path of a resource file, as CKAN builds it for uploads."""
    return f"/dataset/{name}/resource/{resource_id}/download/{file_name}"


def api_path(name: str, resource_id: str) -> str:
    """The portal path of the query endpoint a demo API resource points at."""
    return f"/openapi/{name}/{resource_id}"


def choose_formats(draw: Callable[[], float], topic: Topic) -> list[str]:
    """1–4 distinct formats (three on average): the topic's main format, then others of the topic or generic ones."""
    count = _resource_count(draw())
    pool = list(topic.formats[1:])
    generic = _GENERIC_FORMATS[topic.slug]
    first = int(draw() * len(generic))
    pool += (generic[first], generic[(first + 1 + int(draw() * (len(generic) - 1))) % len(generic)])
    chosen = [topic.formats[0]]
    while len(chosen) < count:
        # topic formats come first in the pool, so they are likelier to be picked
        chosen.append(pool.pop(int(draw() * draw() * len(pool))))
    return chosen


def _resource_count(fraction: float) -> int:
    return 1 if fraction < 0.1 else 2 if fraction < 0.3 else 3 if fraction < 0.6 else 4


def generate_resources(rng: random.Random, package: dict[str, Any], topic: Topic, times_us: tuple[int, int],
                       base_url: str) -> list[dict[str, Any]]:
    """The CKAN resource dicts of one package (whose id, name and title are set), in position order."""
    draw = rng.random
    package_id, name = package["id"], package["name"]
    short_title = package["title"].removeprefix("济南市").removeprefix("济南")
    package_created, package_modified = times_us
    first_day = min(_DAY_US, package_modified - package_created)
    resources = []
    for position, fmt in enumerate(choose_formats(draw, topic)):
        kind = _KINDS[topic.slug, fmt]
        resource = kind.template.copy()
        resource["id"] = resource_id = uuid5_text(f"resource:{package_id}:{position}")
        resource["package_id"] = package_id
        resource["position"] = position
        resource["name"] = short_title + kind.label_suffix
        if kind.file_name:
            resource["url"] = f"{base_url}/dataset/{name}/resource/{resource_id}/download/{kind.file_name}"
            if draw() >= 0.12:
                resource["size"] = int(10 ** (3 + 4.5 * draw()))
            if draw() < 0.35:
                resource["hash"] = "%064x" % rng.getrandbits(256)
        else:
            resource["url"] = base_url + api_path(name, resource_id)
            if draw() < 0.5:
                resource["mimetype"] = ""
        # created within a day of the package; last_modified (unknown for a fifth) before the package's
        created = package_created + int(draw() * first_day)
        resource["created"] = format_ckan_time(created)
        if draw() >= 0.2:
            resource["last_modified"] = format_ckan_time(created + int(draw() * (package_modified - created)))
        resources.append(resource)
    return resources


def _kind(topic: Topic, fmt: str) -> _ResourceKind:
    file_format = FORMATS[fmt]
    is_api = fmt == "API"
    label_suffix, description = _describe(fmt)
    template = {
        "id": "", "package_id": "", "position": 0, "name": "", "description": description, "format": fmt,
        "mimetype": file_format.mimetype, "mimetype_inner": None, "url": "",
        "url_type": None if is_api else "upload", "resource_type": "api" if is_api else None,
        "size": None, "hash": "", "created": "", "last_modified": None,
        "cache_url": None, "datastore_active": False, "state": "active",
    }
    if is_api:
        file_name = ""
    elif fmt == "SHP":
        file_name = f"{topic.slug}-shp.zip"
    else:
        file_name = f"{topic.slug}.{file_format.extension}"
    return _ResourceKind(template, label_suffix, file_name)


def _describe(fmt: str) -> tuple[str, str]:
    """A resource's name suffix (after the package's short title) and description, by the kind of file it is."""
    if fmt == "API":
        return "查询接口", "提供按条件分页查询的数据接口，返回JSON格式结果，调用前需申请访问密钥（AppKey）。"
    if fmt in ("PDF", "DOCX"):
        return "数据说明", "数据集的字段说明、统计口径和更新规则。"
    if fmt in ("SHP", "GeoJSON"):
        return f"空间数据（{fmt}）", "矢量空间数据，坐标系为CGCS2000。"
    if fmt == "ZIP":
        return "历史数据打包下载", "历年数据文件的压缩包。"
    if fmt == "RDF":
        return "关联数据（RDF）", "以RDF/XML发布的关联数据版本。"
    if fmt in ("CSV", "XLSX", "XLS"):
        return f"（{fmt}）", f"{fmt}格式的数据文件，首行为字段名。"
    return f"（{fmt}）", f"{fmt}格式的数据文件，UTF-8编码。"


_KINDS: dict[tuple[str, str], _ResourceKind] = {
    (topic.slug, fmt): _kind(topic, fmt) for topic in TOPICS for fmt in topic.formats + _GENERIC_FORMATS[topic.slug]
}
