"""济南市生态环境局's home-made catalog API (demo): JSON paged by pageNum/pageSize, Chinese keys, epoch
milliseconds, and a detail request per record that carries the data dictionary (信息项) and the files.

    GET /api/catalog/list?pageNum=1&pageSize=20   {"code": 200, "data": {"total": N, "list": [...]}}
    GET /api/catalog/detail?id=370100-HB-00001     {"code": 200, "data": {..., "信息项": [...], "资源文件": [...]}}
    GET /portal/dataset/370100-HB-00001.html       the record's page for people
    GET /files/370100-HB-00001/1                   a file (the header row of its CSV)

Like many home-made APIs it answers HTTP 200 with ``{"code": 404, …}`` for an unknown id.
"""

from __future__ import annotations

import html
import json
from typing import Any

from harvester.demo.catalog_entries import CatalogEntry, DemoCatalog
from harvester.demo.custom_server import Answer, encoded

DEPARTMENT = "jnsthjj"
MAX_PAGE_SIZE = 50
_TYPES = {"text": "字符串", "number": "数值", "date": "日期", "datetime": "日期时间", "code": "字符串"}


class SthjjPortal:
    """The API over a DemoCatalog. Fault switches, read on every request:

    truncate_list_page: this page number is cut off mid-JSON
    truncate_detail: codes whose detail answer is cut off mid-JSON
    charset_fault: one of custom_server.CHARSET_FAULTS, on every answer
    endless: pages past the end keep coming, full, and ``total`` never stops them
    ignore_page_number: every page is page 1 (a paging loop)
    missing_id: entry numbers listed without their 资源ID
    """

    def __init__(self, size: int = 45, seed: int = 1) -> None:
        self.catalog = DemoCatalog(DEPARTMENT, size, seed)
        self.base_url = ""
        self.truncate_list_page: int | None = None
        self.truncate_detail: set[str] = set()
        self.charset_fault: str | None = None
        self.endless = False
        self.ignore_page_number = False
        self.missing_id: set[int] = set()

    def answer(self, path: str, params: dict[str, str]) -> Answer:
        if path == "/api/catalog/list":
            return self._list(params)
        if path == "/api/catalog/detail":
            return self._detail(params.get("id", ""))
        if path.startswith("/portal/dataset/") and path.endswith(".html"):
            return self._page(path.removeprefix("/portal/dataset/").removesuffix(".html"))
        if path.startswith("/files/"):
            return self._file(path.removeprefix("/files/"))
        return 404, "text/html; charset=utf-8", "<h1>404 页面不存在</h1>".encode()

    def _list(self, params: dict[str, str]) -> Answer:
        try:
            number = max(1, int(params.get("pageNum", "1")))
            size = min(MAX_PAGE_SIZE, max(1, int(params.get("pageSize", "10"))))
        except ValueError:
            return self._json({"code": 400, "msg": "参数错误", "data": None})
        number = 1 if self.ignore_page_number else number
        live = self.catalog.live()
        start = (number - 1) * size
        if self.endless:
            entries = [self.catalog.entry(n) for n in range(start + 1, start + size + 1)]
            total = 2_147_483_647
        else:
            entries, total = live[start:start + size], len(live)
        listed = [self._listed(e) for e in entries]
        body = {"code": 200, "msg": "操作成功",
                "data": {"total": total, "pageNum": number, "pageSize": size, "list": listed}}
        return self._json(body, truncate=number == self.truncate_list_page)

    def _listed(self, entry: CatalogEntry) -> dict[str, Any]:
        item = _item(entry)
        return {k: v for k, v in item.items() if k != "资源ID"} if entry.number in self.missing_id else item

    def _detail(self, code: str) -> Answer:
        entry = self.catalog.find(code)
        if entry is None:
            return self._json({"code": 404, "msg": "资源不存在", "data": None})
        return self._json({"code": 200, "msg": "操作成功", "data": self._details(entry)},
                          truncate=code in self.truncate_detail)

    def _details(self, entry: CatalogEntry) -> dict[str, Any]:
        data = {**_item(entry), "资源摘要": entry.summary, "数据领域": entry.category, "关键字": entry.keywords,
                "更新频率": entry.frequency, "开放条件": entry.conditions or "无", "发布时间": entry.published_ms,
                "资源格式": ",".join(f.format for f in entry.files), "数据量": entry.record_count,
                "空间范围": entry.district, "联系电话": entry.phone, "联系邮箱": entry.email,
                "信息项": [{"名称": c.name, "数据类型": _TYPES[c.kind], "说明": c.description} for c in entry.columns],
                "资源文件": [{"文件名称": f.name, "文件格式": f.format, "文件大小": f.size,
                          "下载地址": f"{self.base_url}/files/{entry.code}/{i}"} for i, f in enumerate(entry.files, 1)]}
        return {k: v for k, v in data.items() if k != "资源名称" or v}

    def _page(self, code: str) -> Answer:
        entry = self.catalog.find(code)
        if entry is None:
            return 404, "text/html; charset=utf-8", "<h1>404 资源不存在</h1>".encode()
        text = (f"<!DOCTYPE html><html lang=zh><head><meta charset=utf-8><title>{html.escape(entry.title)}</title>"
                f"</head><body><h1>{html.escape(entry.title)}</h1><p>{html.escape(entry.summary)}</p></body></html>")
        return (200, *encoded(text, "text/html", self.charset_fault))

    def _file(self, rest: str) -> Answer:
        code, _, _ = rest.partition("/")
        entry = self.catalog.find(code)
        if entry is None:
            return 404, "text/plain; charset=utf-8", "资源不存在".encode()
        return (200, *encoded(",".join(c.name for c in entry.columns) + "\n", "text/csv", None))

    def _json(self, body: dict[str, Any], truncate: bool = False) -> Answer:
        text = json.dumps(body, ensure_ascii=False)
        if truncate:
            text = text[:len(text) // 2]
        return (200, *encoded(text, "application/json", self.charset_fault))


def _item(entry: CatalogEntry) -> dict[str, Any]:
    """A record as the list answer shows it (the summary cut short, as list pages do)."""
    item = {"资源ID": entry.code, "资源名称": entry.title, "资源摘要": entry.summary[:40], "来源部门": entry.department,
            "开放状态": entry.open_type, "更新时间": entry.updated_ms}
    return {k: v for k, v in item.items() if k != "资源名称" or v}
