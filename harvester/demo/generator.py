"""Generates the demo portal's CKAN packages: each one a pure function of (index, seed), so any page of a
million-dataset portal can be produced on the fly.

Random choices draw from ``rng.random()`` rather than ``choice``/``sample``/``shuffle``: it is several times faster,
and generation speed bounds how fast a benchmark portal can serve pages.
"""

from __future__ import annotations

import random
from bisect import bisect
from functools import lru_cache
from itertools import accumulate
from typing import Any, Callable, NamedTuple, Sequence, TypeVar

from harvester.demo.departments import JINAN_DIVISION_CODE, Department
from harvester.demo.identity import (
    details_seed, format_ckan_time, package_id, package_times_us, placement_of, uuid5_text,
)
from harvester.demo.resources import generate_resources
from harvester.demo.topics import Topic
from harvester.demo.vocabulary import (
    AUTHOR_UNITS, CITY, DISTRICTS, FREQUENCIES, FREQUENCY_LABELS, GIVEN_NAMES, GROUPS, LICENSES, OPEN_CONDITIONS,
    SURNAMES, District, Frequency,
)

DEFAULT_BASE_URL = "http://127.0.0.1"

UNCONDITIONAL = "无条件开放"
CONDITIONAL = "有条件开放"

_LICENSE_CUM_WEIGHTS = tuple(accumulate(licence.weight for licence in LICENSES))
_GENERIC_TAGS = ("开放数据", "政务数据", "济南", "泉城", "民生服务", "open data", "统计数据", "数据开放")
_UTC_TO_BEIJING_US = 8 * 3_600_000_000
_VERSIONS = ("", "", "", "1.0", "1.0", "2.0")
#: descriptions stay under 300 characters even after the portal appends an edit note
_NOTES_MIN, _NOTES_MAX = 60, 288
_Item = TypeVar("_Item")
Draw = Callable[[], float]


class _Facts(NamedTuple):
    """The drawn choices a package's title, description and extras all have to agree on."""

    year: int
    place: District
    spatial: str
    spatial_en: str
    frequency: Frequency
    coverage: tuple[int, int]
    #: 时间范围 as "start/end" dates; it ends at publication when the data runs into the publication year
    period: str
    record_count: int
    conditional: bool


def generate_package(index: int, seed: int = 1, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The CKAN package_show result of the demo package at index; the same arguments give the same dict."""
    department, topic, groups, _ = placement_of(index, seed)
    times_us = package_times_us(index, seed)
    created = format_ckan_time(times_us[0])
    rng = random.Random(details_seed(index, seed))
    draw = rng.random
    facts = _draw_facts(draw, topic, created)
    name = f"{topic.slug}-{index:05d}"
    title = _fill(topic.title, facts, english=False)
    licence = LICENSES[bisect(_LICENSE_CUM_WEIGHTS, draw() * _LICENSE_CUM_WEIGHTS[-1])]
    author, author_email, maintainer, maintainer_email = _people(draw, department)
    tags = _tags(draw, topic)
    package: dict[str, Any] = {
        "id": package_id(index, seed), "name": name, "title": title, "type": "dataset", "state": "active",
        "private": False, "license_id": licence.id, "license_title": licence.title, "license_url": licence.url,
        "isopen": licence.is_open, "author": author, "author_email": author_email, "maintainer": maintainer,
        "maintainer_email": maintainer_email, "notes": _notes(draw, department, topic, facts),
        "url": f"http://{department.host}/data/{name}", "version": _pick(draw, _VERSIONS),
        "metadata_created": created, "metadata_modified": format_ckan_time(times_us[1]),
        "owner_org": department.id, "organization": department.as_organization(),
        "groups": [group_dict(name) for name in groups], "tags": tags, "num_tags": len(tags),
        "extras": _extras(draw, index, department, facts, times_us[0]),
    }
    if draw() < 0.6:
        title_en = _fill(topic.title_en, facts, english=True)
        package["title_translated"] = {"zh": title, "en": title_en}
        package["notes_translated"] = {"zh": package["notes"], "en": _notes_en(department, facts, title_en)}
    resources = package["resources"] = generate_resources(rng, package, topic, times_us, base_url)
    package["num_resources"] = len(resources)
    return package


def _pick(draw: Draw, items: Sequence[_Item]) -> _Item:
    return items[int(draw() * len(items))]


def _draw_facts(draw: Draw, topic: Topic, created: str) -> _Facts:
    created_year = int(created[:4])
    year = created_year - int(draw() * 4)
    place = _pick(draw, DISTRICTS)
    if "{district}" in topic.title or draw() < 0.15:
        spatial, spatial_en = CITY.name + place.name, f"{place.name_en}, {CITY.name_en}"
    else:
        spatial, spatial_en = CITY.name, CITY.name_en
    frequency = FREQUENCIES[topic.frequency or _pick(draw, FREQUENCY_LABELS)]
    start = year - int(draw() * 5)
    period_end = f"{year}-12-31" if year < created_year else created[:10]
    return _Facts(year, place, spatial, spatial_en, frequency, (start, year), f"{start}-01-01/{period_end}",
                  int(10 ** (2 + 4.5 * draw())), draw() < 0.25)


def _fill(pattern: str, facts: _Facts, *, english: bool) -> str:
    if "{" not in pattern:
        return pattern
    district = facts.place.name_en if english else facts.place.name
    return pattern.format(year=facts.year, district=district, district_en=facts.place.name_en)


def _people(draw: Draw, department: Department) -> tuple[str, str, str, str]:
    """(author, author_email, maintainer, maintainer_email): the publishing office and a contact person."""
    unit, mailbox = _pick(draw, AUTHOR_UNITS)
    author, author_email = department.title + unit, f"{mailbox}@{department.host}"
    if draw() < 0.15:  # some departments name no contact person
        return author, author_email, "", ""
    return author, author_email, _pick(draw, SURNAMES) + _pick(draw, GIVEN_NAMES), f"sjzx@{department.host}"


def _notes(draw: Draw, department: Department, topic: Topic, facts: _Facts) -> str:
    """A 60–300 character description: the topic's fact, the publisher, then a few drawn sentences."""
    start, end = facts.coverage
    years = f"{end}年" if start == end else f"{start}年至{end}年"
    optional = [
        f"数据覆盖{facts.spatial}，时间范围为{years}，{facts.frequency.phrase}。",
        f"目前共有约{facts.record_count}条记录。",
        *_fixed_sentences(department, topic),
    ]
    if facts.conditional:
        optional.append("本数据为有条件开放数据，使用前需在线提交申请并签订数据使用协议。")
    notes = _opening(department, topic)
    wanted = 1 + int(draw() * 5)
    while optional and (wanted > 0 or len(notes) < _NOTES_MIN):
        sentence = optional.pop(int(draw() * len(optional)))
        if len(notes) + len(sentence) <= _NOTES_MAX:
            notes += sentence
            wanted -= 1
    return notes


@lru_cache(maxsize=256)
def _opening(department: Department, topic: Topic) -> str:
    return topic.fact + f"本数据由{department.title}负责采集、整理和发布。"


@lru_cache(maxsize=256)
def _fixed_sentences(department: Department, topic: Topic) -> tuple[str, ...]:
    return (
        f"主要字段包括{'、'.join(topic.fields)}等。",
        department.context,
        f"可用于{department.usage}等方面的分析研究和应用开发。",
        "数据已按照《山东省公共数据开放办法》进行脱敏处理。",
    )


def _notes_en(department: Department, facts: _Facts, title_en: str) -> str:
    start, end = facts.coverage
    years = f"in {end}" if start == end else f"from {start} to {end}"
    return (f"{title_en}, published by the {department.title_en}. The data covers {facts.spatial_en} "
            f"{years} and is updated {facts.frequency.english}; it holds about "
            f"{facts.record_count:,} records.")


def _tags(draw: Draw, topic: Topic) -> list[dict[str, Any]]:
    """3–8 tags: the topic's own first, then generic ones."""
    count = 3 + int(draw() * 6)
    names = list(topic.tags[:count])
    offset = int(draw() * len(_GENERIC_TAGS))
    for generic in _GENERIC_TAGS[offset:] + _GENERIC_TAGS[:offset]:
        if len(names) >= count:
            break
        if generic not in names:
            names.append(generic)
    return [_tag(name).copy() for name in names]


@lru_cache(maxsize=1024)
def _tag(name: str) -> dict[str, Any]:
    """The cached template of a tag dict; callers copy it."""
    return {"id": uuid5_text(f"tag:{name}"), "name": name, "display_name": name, "state": "active",
            "vocabulary_id": None}


def group_dict(name: str) -> dict[str, Any]:
    """A CKAN group as packages embed it and group_list(all_fields) lists it."""
    return dict(_group_template(name))


@lru_cache(maxsize=64)
def _group_template(name: str) -> dict[str, Any]:
    group = GROUPS[name]
    return {"id": uuid5_text(f"group:{name}"), "name": name, "title": group.title, "display_name": group.title,
            "description": f"{group.title}（{group.title_en}）", "image_display_url": ""}


def _extras(draw: Draw, index: int, department: Department, facts: _Facts, created_us: int) -> list[dict[str, str]]:
    """The CKAN extras in Chinese keys; some packages use English keys for frequency and spatial coverage."""
    english_keys = draw() < 0.15
    extras = [{"key": "frequency" if english_keys else "更新频率", "value": facts.frequency.label}]
    if facts.conditional:
        extras.append({"key": "开放类型", "value": CONDITIONAL})
        extras.append({"key": "开放条件", "value": _pick(draw, OPEN_CONDITIONS).format(org=department.title)})
    else:
        extras.append({"key": "开放类型", "value": UNCONDITIONAL})
    extras += (
        {"key": "资源代码", "value": f"{JINAN_DIVISION_CODE}-{department.code}-{index + 1:05d}"},
        {"key": "spatial" if english_keys else "空间范围", "value": facts.spatial},
        {"key": "时间范围", "value": facts.period},
        {"key": "发布日期", "value": format_ckan_time(created_us + _UTC_TO_BEIJING_US)[:19].replace("T", " ")},
        {"key": "联系电话", "value": "0531-8%07d" % int(draw() * 10_000_000)},
        {"key": "language", "value": "zh"},
        {"key": "数据量", "value": str(facts.record_count)},
    )
    return extras
