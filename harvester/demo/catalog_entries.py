"""The catalog entries of the two home-made demo portals (济南市生态环境局, 济南市市场监督管理局), generated from
(department, number, seed) so that every run serves the same catalog; each portal renders them its own way.

Entries are the portal-neutral facts: title, summary, keywords, 更新频率, 开放状态, times (epoch milliseconds), the
data dictionary (信息项) and the files. A few carry the placeholders portals use for "nothing" (暂无, --).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable

from harvester.demo.departments import DEPARTMENTS_BY_SLUG, Department
from harvester.demo.vocabulary import CITY, DISTRICTS, FREQUENCY_LABELS, GROUPS, OPEN_CONDITIONS

UTC8 = timezone(timedelta(hours=8))
_START_MS = int(datetime(2019, 1, 1, tzinfo=UTC8).timestamp() * 1000)
_SPAN_MS = int(timedelta(days=5 * 365).total_seconds() * 1000)
_DAY_MS = 86_400_000
#: keyword separators as portals mix them
_SEPARATORS = ("、", "，", ",", ";", "；")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "text" | "number" | "date" | "datetime" | "code"
    description: str


@dataclass(frozen=True)
class DataFile:
    name: str
    format: str
    size: int


@dataclass(frozen=True)
class CatalogEntry:
    number: int
    code: str  # 资源代码
    title: str
    summary: str  # may be a placeholder
    department: str
    category: str  # 数据领域
    keywords: str  # joined with mixed separators, as portals write them
    frequency: str  # 更新频率
    open_type: str  # 开放状态: 无条件开放 / 有条件开放
    conditions: str  # 开放条件 ("" when open without conditions)
    published_ms: int
    updated_ms: int
    record_count: int
    phone: str
    email: str  # may be 暂无
    columns: tuple[Column, ...]
    files: tuple[DataFile, ...]
    district: str


def generate_entry(department_slug: str, number: int, seed: int = 1) -> CatalogEntry:
    """Entry ``number`` (1-based) of a department's catalog; the same arguments give the same entry."""
    department = DEPARTMENTS_BY_SLUG[department_slug]
    rng = random.Random(f"{department_slug}:{seed}:{number}")
    topic = department.topics[(number - 1) % len(department.topics)]
    year = 2019 + rng.randrange(6)
    district = rng.choice(DISTRICTS)
    title = topic.title.format(year=year, district=district.name, district_en=district.name_en)
    published = _START_MS + rng.randrange(_SPAN_MS) // 1000 * 1000
    restricted = rng.random() < 0.3
    separator = rng.choice(_SEPARATORS)
    return CatalogEntry(
        number=number, code=f"370100-{department.code}-{number:05d}", title=title,
        summary=_summary(rng, department, topic.fact),
        department=department.title, category=GROUPS[department.groups[0]].title,
        keywords=separator.join(topic.tags) if rng.random() < 0.92 else "无",
        frequency=topic.frequency or rng.choice(FREQUENCY_LABELS),
        open_type="有条件开放" if restricted else "无条件开放",
        conditions=rng.choice(OPEN_CONDITIONS).format(org=department.title) if restricted else "",
        published_ms=published, updated_ms=published + rng.randrange(1, 400) * _DAY_MS,
        record_count=int(10 ** (2 + 4 * rng.random())), phone=f"0531-{rng.randrange(60000000, 89999999)}",
        email=f"sjzx@{department.host}" if rng.random() < 0.7 else "暂无",
        columns=tuple(_column(name) for name in topic.fields),
        files=tuple(DataFile(f"{title}.{fmt.lower()}", fmt, rng.randrange(2_000, 5_000_000))
                    for fmt in topic.formats if fmt != "API"),
        district=CITY.name + district.name)


def edited(entry: CatalogEntry, edits: int) -> CatalogEntry:
    """The entry after ``edits`` edits on the portal: a later update time and a revised summary."""
    return replace(entry, updated_ms=entry.updated_ms + edits * _DAY_MS,
                   summary=f"{entry.summary}（第{edits}次修订）")


def _summary(rng: random.Random, department: Department, fact: str) -> str:
    if rng.random() < 0.08:
        return rng.choice(("暂无", "--"))  # the mapping falls back to the title
    return f"{fact}{department.context}可用于{department.usage}等。"


def _column(name: str) -> Column:
    if name.endswith(("日期", "至")):
        kind = "date"
    elif name.endswith("时间"):
        kind = "datetime"
    elif name.endswith(("代码", "编号", "文号", "证号", "许可证号", "编码")):
        kind = "code"
    elif any(word in name for word in ("浓度", "数", "量", "声级", "AQI", "车速", "比例", "金额", "面积")):
        kind = "number"
    else:
        kind = "text"
    return Column(name, kind, f"{name}（{_KIND_NOTES[kind]}）")


_KIND_NOTES = {"text": "文本", "number": "数值", "date": "日期，格式YYYY-MM-DD", "datetime": "日期时间",
               "code": "编码"}


class DemoCatalog:
    """One department's live catalog: entries 1..size, minus removed ones, with edits and additions.

    Fault switch read by the portals: ``missing_title``, entry numbers served without their title.
    """

    def __init__(self, department_slug: str, size: int, seed: int = 1) -> None:
        self.department_slug = department_slug
        self.seed = seed
        self.size = size
        self.missing_title: set[int] = set()
        self._removed: set[int] = set()
        self._edits: dict[int, int] = {}
        self._lock = threading.Lock()

    def live(self) -> list[CatalogEntry]:
        with self._lock:
            numbers = [n for n in range(1, self.size + 1) if n not in self._removed]
        return [self.entry(n) for n in numbers]

    def entry(self, number: int) -> CatalogEntry:
        """Entry ``number`` as served now (also past the end: the pages of a listing that never ends)."""
        entry = generate_entry(self.department_slug, number, self.seed)
        edits = self._edits.get(number, 0)
        entry = edited(entry, edits) if edits else entry
        return replace(entry, title="") if number in self.missing_title else entry

    def find(self, code: str) -> CatalogEntry | None:
        _, _, number = code.rpartition("-")
        if not number.isdigit() or int(number) < 1:
            return None
        entry = self.entry(int(number))
        live = int(number) <= self.size and int(number) not in self._removed
        return entry if live and entry.code == code else None

    def edit(self, numbers: Iterable[int]) -> None:
        with self._lock:
            for n in numbers:
                self._edits[n] = self._edits.get(n, 0) + 1

    def remove(self, numbers: Iterable[int]) -> None:
        with self._lock:
            self._removed.update(numbers)

    def add(self, count: int) -> None:
        with self._lock:
            self.size += count
