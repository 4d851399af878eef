"""What the demo portal serves besides the action API: tiny resource files, the API endpoints resources point at,
and short HTML pages, so every link in a demo package leads somewhere."""

from __future__ import annotations

import html
import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

from harvester.demo.identity import placement_of
from harvester.demo.topics import Topic
from harvester.demo.vocabulary import FORMATS, PORTAL_TITLE, PORTAL_TITLE_EN

if TYPE_CHECKING:
    from harvester.demo.portal import DemoPortal

_MEDIA_TYPES = {f.extension: f.mimetype for f in FORMATS.values() if f.extension}
_SAMPLE_ROWS = 2
_JINAN_POINT = (117.0009, 36.6758)


def sample_rows(topic: Topic) -> list[dict[str, str]]:
    """A couple of plausible records with the topic's fields."""
    return [{field: _sample_value(field, row) for field in topic.fields} for row in range(1, _SAMPLE_ROWS + 1)]


def _sample_value(field: str, row: int) -> str:
    if field == "经度":
        return f"{_JINAN_POINT[0] + row / 100:.4f}"
    if field == "纬度":
        return f"{_JINAN_POINT[1] + row / 100:.4f}"
    if any(word in field for word in ("日期", "时间", "月份", "期", "季度")):
        return f"2024-0{row}-01"
    if any(word in field for word in ("量", "数", "率", "价", "值", "浓度", "AQI", "面积", "标准", "声级", "长")):
        return str(row * 137)
    return f"示例{field}{row}"


def resource_file(topic: Topic, file_name: str) -> tuple[bytes, str]:
    """(body, media type) of a resource download: real CSV/JSON/GeoJSON/XML/RDF, placeholders for binaries."""
    extension = file_name.rsplit(".", 1)[-1].lower()
    rows = sample_rows(topic)
    media_type = _MEDIA_TYPES.get(extension, "application/octet-stream")
    if extension == "csv":
        lines = [",".join(topic.fields)] + [",".join(row.values()) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8"), "text/csv; charset=utf-8"
    if extension == "json":
        return _json_bytes(rows), media_type
    if extension == "geojson":
        return _json_bytes(_feature_collection(rows)), media_type
    if extension in ("xml", "rdf"):
        return _xml_records(topic, rows, rdf=extension == "rdf"), media_type
    if extension == "pdf":
        return b"%PDF-1.4\n% demo placeholder\n%%EOF\n", media_type
    return _zip_with_csv(topic, rows), media_type


def api_answer(topic: Topic) -> bytes:
    """What a demo query endpoint answers, shaped like the JSON APIs of Chinese open-data platforms."""
    rows = sample_rows(topic)
    return _json_bytes({"code": 200, "success": True, "message": "操作成功",
                        "data": {"total": len(rows), "pageNum": 1, "pageSize": 10, "rows": rows}})


def home_page(portal: DemoPortal) -> str:
    """The portal's front page: its name and where the API is."""
    return _page(PORTAL_TITLE, f"""
<p>{PORTAL_TITLE_EN}: {portal.count} 个数据集，来自济南市各委办局（演示数据，非真实数据）。</p>
<ul>
  <li><a href="/api/3/action/package_search">/api/3/action/package_search</a></li>
  <li><a href="/api/3/action/organization_list?all_fields=true">/api/3/action/organization_list</a></li>
  <li><a href="/api/3/action/status_show">/api/3/action/status_show</a></li>
</ul>""")


def dataset_page(package: dict[str, Any]) -> str:
    """A dataset's landing page on the portal."""
    resources = package["resources"] if isinstance(package["resources"], list) else []
    links = "\n".join(f'  <li><a href="{html.escape(r["url"])}">{html.escape(r["name"])}</a> ({r["format"]})</li>'
                      for r in resources)
    return _page(package["title"], f"<p>{html.escape(package['notes'])}</p>\n<ul>\n{links}\n</ul>")


def topic_of(portal: DemoPortal, index: int) -> Topic:
    return placement_of(index, portal.seed).topic


def _page(title: str, body: str) -> str:
    escaped = html.escape(title)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head><meta charset="utf-8"><title>{escaped}</title></head>\n'
            f"<body>\n<h1>{escaped}</h1>{body}\n</body>\n</html>\n")


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _feature_collection(rows: list[dict[str, str]]) -> dict[str, Any]:
    features = [{"type": "Feature", "properties": row,
                 "geometry": {"type": "Point", "coordinates": [_JINAN_POINT[0] + n / 100, _JINAN_POINT[1] + n / 100]}}
                for n, row in enumerate(rows, start=1)]
    return {"type": "FeatureCollection", "features": features}


def _xml_records(topic: Topic, rows: list[dict[str, str]], *, rdf: bool) -> bytes:
    if rdf:
        body = (f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                f'xmlns:dct="http://purl.org/dc/terms/">\n  <rdf:Description>\n'
                f"    <dct:title>{html.escape(topic.title_en)}</dct:title>\n  </rdf:Description>\n</rdf:RDF>\n")
    else:
        records = "".join(
            "  <record>" + "".join(f'<field name="{html.escape(k)}">{html.escape(v)}</field>' for k, v in row.items())
            + "</record>\n" for row in rows)
        body = f"<records>\n{records}</records>\n"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _zip_with_csv(topic: Topic, rows: list[dict[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        csv_text = "\r\n".join([",".join(topic.fields)] + [",".join(row.values()) for row in rows]) + "\r\n"
        archive.writestr(zipfile.ZipInfo(f"{topic.slug}.csv", date_time=(2024, 1, 1, 0, 0, 0)), csv_text)
    return buffer.getvalue()
