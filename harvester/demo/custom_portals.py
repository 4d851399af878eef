"""The two home-made demo portals, each served on its own loopback port, with the mapping file that reads it:
济南市生态环境局 (a JSON API, mappings/jinan-sthjj.yaml) and 济南市市场监督管理局 (HTML pages, mappings/jinan-scjgj.yaml).
"""

from __future__ import annotations

from typing import NamedTuple

from harvester.demo.custom_server import RunningCustomPortal, serve_custom
from harvester.demo.scjgj import ScjgjPortal
from harvester.demo.sthjj import SthjjPortal


class CustomDemo(NamedTuple):
    source_id: str
    title: str
    mapping_name: str
    running: RunningCustomPortal


def start_custom_demos(host: str = "127.0.0.1") -> list[CustomDemo]:
    """Start both portals on free ports of ``host``; the caller stops each ``running`` portal."""
    demos: list[CustomDemo] = []
    try:
        demos.append(CustomDemo("jinan-sthjj", "济南市生态环境局数据开放（自建接口）", "jinan-sthjj",
                                serve_custom(SthjjPortal(), host=host)))
        demos.append(CustomDemo("jinan-scjgj", "济南市市场监督管理局数据开放（网页目录）", "jinan-scjgj",
                                serve_custom(ScjgjPortal(), host=host)))
    except OSError:
        for demo in demos:
            demo.running.stop()
        raise
    return demos
