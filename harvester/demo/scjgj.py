"""济南市市场监督管理局's open-data pages (demo): HTML list pages with a "下一页" link, pinyin class names on the
list, and a detail page per record holding a table of 资源名称/资源代码/… rows, the 信息项 table and the files.

    GET /sjkf/index.html, /sjkf/list_2.html …    ten records a page; "下一页" links the next page
    GET /sjkf/detail/370100-SJ-00001.html       the record: key/value rows, 信息项, 资源文件
    GET /sjkf/files/370100-SJ-00001/1           a file (the header row of its CSV)

Times are written the way some portals glue them: ``2021-07-0603:25:19`` (UTC+8).
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

from harvester.demo.catalog_entries import UTC8, CatalogEntry, DemoCatalog
from harvester.demo.custom_server import Answer, encoded

DEPARTMENT = "jnscjdglj"
PAGE_SIZE = 10
_LIST_PAGE = re.compile(r"^/sjkf/(?:index|list_(\d+))\.html$")
_DETAIL_PAGE = re.compile(r"^/sjkf/detail/([^/]+)\.html$")
_TYPES = {"text": "VARCHAR(200)", "number": "NUMBER(18,2)", "date": "DATE", "datetime": "DATETIME",
          "code": "VARCHAR(50)"}
_NOT_FOUND = (404, "text/html; charset=utf-8", "<h1>404 页面不存在</h1>".encode())


class ScjgjPortal:
    """The pages over a DemoCatalog. Fault switches, read on every request:

    charset_fault: one of custom_server.CHARSET_FAULTS, on every page
    endless: "下一页" never stops (pages past the end are generated)
    next_loops: the last page's "下一页" links back to the first page
    """

    def __init__(self, size: int = 32, seed: int = 1) -> None:
        self.catalog = DemoCatalog(DEPARTMENT, size, seed)
        self.base_url = ""
        self.charset_fault: str | None = None
        self.endless = False
        self.next_loops = False

    def answer(self, path: str, params: dict[str, str]) -> Answer:
        if (match := _LIST_PAGE.match(path)) is not None:
            return self._html(self._list_page(int(match[1] or 1)))
        if (match := _DETAIL_PAGE.match(path)) is not None:
            entry = self.catalog.find(match[1])
            return self._html(_detail_page(entry)) if entry is not None else _NOT_FOUND
        if path.startswith("/sjkf/files/"):
            entry = self.catalog.find(path.removeprefix("/sjkf/files/").partition("/")[0])
            if entry is not None:
                return (200, *encoded(",".join(c.name for c in entry.columns) + "\n", "text/csv", None))
        return _NOT_FOUND

    def _list_page(self, number: int) -> str | None:
        live = self.catalog.live()
        pages = max(1, -(-len(live) // PAGE_SIZE))
        if self.endless:
            first = (number - 1) * PAGE_SIZE + 1
            entries = [self.catalog.entry(n) for n in range(first, first + PAGE_SIZE)]
        elif number > pages:
            return None
        else:
            entries = live[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        if self.endless or number < pages:
            pager = f'<a href="list_{number + 1}.html">下一页</a>'
        elif self.next_loops:
            pager = '<a href="index.html">下一页</a>'
        else:
            pager = '<span class="disabled">下一页</span>'
        items = "\n".join(_list_item(e) for e in entries)
        return _document("数据目录 - 济南市市场监督管理局",
                         f'<ul class="sjml">\n{items}\n</ul>\n<div class="pager">共{len(live)}条 第{number}/{pages}页 '
                         f'<a href="index.html">首页</a> {pager}</div>')

    def _html(self, text: str | None) -> Answer:
        if text is None:
            return _NOT_FOUND
        return (200, *encoded(text, "text/html", self.charset_fault))


def _list_item(entry: CatalogEntry) -> str:
    return (f'<li class="sj-item" data-zyid="{escape(entry.code)}">'
            f'<a class="zymc" href="/sjkf/detail/{escape(entry.code)}.html">{escape(entry.title)}</a> '
            f'<span class="tgbm">{escape(entry.department)}</span> '
            f'<span class="gxsj">{_glued(entry.updated_ms)}</span></li>')


def _detail_page(entry: CatalogEntry) -> str:
    rows = [[("资源名称", entry.title)], [("资源代码", entry.code), ("提供部门：", entry.department)],
            [("资源摘要", entry.summary)], [("数据领域", entry.category), ("关键字", entry.keywords)],
            [("更新频率", entry.frequency), ("开放类型", entry.open_type)], [("开放条件", entry.conditions or "--")],
            [("发布时间", _glued(entry.published_ms)), ("更新时间", _glued(entry.updated_ms))],
            [("数据条数", f"{entry.record_count:,}"), ("联系电话", entry.phone)], [("联系邮箱", entry.email)]]
    info = "\n".join("<tr>" + "".join(f"<th>{escape(k)}</th><td>{escape(v)}</td>" for k, v in row) + "</tr>"
                     for row in rows if row[0][0] != "资源名称" or row[0][1])
    columns = "\n".join(f"<tr><td>{escape(c.name)}</td><td>{_TYPES[c.kind]}</td><td>{escape(c.description)}</td></tr>"
                        for c in entry.columns)
    files = "\n".join(f'<tr><td>{escape(f.name)}</td><td>{f.format}</td><td>{f.size}</td>'
                      f'<td><a href="../files/{escape(entry.code)}/{i}">下载</a></td></tr>'
                      for i, f in enumerate(entry.files, 1))
    return _document(f"{entry.title} - 济南市市场监督管理局",
                     f'<h1>{escape(entry.title)}</h1>\n<table class="zyxx">\n{info}\n</table>\n<h2>信息项</h2>\n'
                     f'<table class="xxx"><thead><tr><th>字段名称</th><th>数据类型</th><th>说明</th></tr></thead>'
                     f'<tbody>\n{columns}\n</tbody></table>\n<h2>资源文件</h2>\n<table class="wjlb"><tr><th>文件名称</th>'
                     f'<th>文件格式</th><th>文件大小</th><th>下载</th></tr>\n{files}\n</table>')


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title></head>\n'
            f'<body>\n{body}\n</body></html>\n')


def _glued(epoch_ms: int) -> str:
    """``2021-07-0603:25:19``: date and time with the space lost, as some portals print them."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC8).strftime("%Y-%m-%d%H:%M:%S")
