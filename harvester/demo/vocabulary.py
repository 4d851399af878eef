"""Fixed word lists the demo generator draws from: licences, file formats, groups, districts, names, frequencies."""

from __future__ import annotations

from typing import NamedTuple


class License(NamedTuple):
    id: str
    title: str
    url: str
    is_open: bool
    weight: int


LICENSES: tuple[License, ...] = (
    License("cc-by-4.0", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/", True, 40),
    License("cc-by-sa-4.0", "Creative Commons Attribution Share-Alike 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/", True, 10),
    License("cc-zero", "Creative Commons CCZero", "http://www.opendefinition.org/licenses/cc-zero", True, 10),
    License("odc-odbl", "Open Data Commons Open Database License (ODbL)",
            "http://www.opendefinition.org/licenses/odc-odbl", True, 8),
    License("odc-by", "Open Data Commons Attribution License",
            "http://www.opendefinition.org/licenses/odc-by", True, 7),
    License("other-open", "Other (Open)", "", True, 15),
    License("notspecified", "License not specified", "", False, 10),
)


class FileFormat(NamedTuple):
    mimetype: str
    extension: str


FORMATS: dict[str, FileFormat] = {
    "CSV": FileFormat("text/csv", "csv"),
    "XLSX": FileFormat("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "XLS": FileFormat("application/vnd.ms-excel", "xls"),
    "JSON": FileFormat("application/json", "json"),
    "XML": FileFormat("application/xml", "xml"),
    "API": FileFormat("application/json", ""),
    "SHP": FileFormat("application/zip", "zip"),
    "GeoJSON": FileFormat("application/geo+json", "geojson"),
    "PDF": FileFormat("application/pdf", "pdf"),
    "DOCX": FileFormat("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "ZIP": FileFormat("application/zip", "zip"),
    "RDF": FileFormat("application/rdf+xml", "rdf"),
}

#: formats any dataset may add next to its topic's own (documentation, bundles, linked data)
EXTRA_FORMATS: tuple[str, ...] = ("PDF", "DOCX", "ZIP", "XLS", "RDF", "XML")


class Group(NamedTuple):
    name: str
    title: str
    title_en: str


GROUPS: dict[str, Group] = {g.name: g for g in (
    Group("jiaotong", "交通出行", "Transport"),
    Group("huanjing", "生态环境", "Environment"),
    Group("jingji", "经济发展", "Economy"),
    Group("nengyuan", "资源能源", "Resources and energy"),
    Group("jiaoyu", "教育科技", "Education and science"),
    Group("weisheng", "医疗卫生", "Health"),
    Group("shebao", "社会保障", "Social security"),
    Group("anquan", "公共安全", "Public safety"),
    Group("chengjian", "城建住房", "Urban construction and housing"),
    Group("zhengfu", "机构团体", "Government and organisations"),
    Group("nongye", "农业农村", "Agriculture and rural affairs"),
    Group("wenlv", "文化休闲", "Culture and leisure"),
)}


class District(NamedTuple):
    name: str
    name_en: str


CITY = District("济南市", "Jinan")
DISTRICTS: tuple[District, ...] = (
    District("历下区", "Lixia District"), District("市中区", "Shizhong District"),
    District("槐荫区", "Huaiyin District"), District("天桥区", "Tianqiao District"),
    District("历城区", "Licheng District"), District("长清区", "Changqing District"),
    District("章丘区", "Zhangqiu District"), District("济阳区", "Jiyang District"),
    District("莱芜区", "Laiwu District"), District("钢城区", "Gangcheng District"),
    District("平阴县", "Pingyin County"), District("商河县", "Shanghe County"),
)


class Frequency(NamedTuple):
    label: str
    phrase: str
    english: str


FREQUENCIES: dict[str, Frequency] = {f.label: f for f in (
    Frequency("每年", "每年更新一次", "annually"),
    Frequency("每半年", "每半年更新一次", "every six months"),
    Frequency("每季度", "按季度更新", "quarterly"),
    Frequency("每月", "按月更新", "monthly"),
    Frequency("每周", "每周更新", "weekly"),
    Frequency("每日", "每日更新", "daily"),
    Frequency("实时", "实时更新", "in real time"),
    Frequency("不定期", "不定期更新", "irregularly"),
)}
FREQUENCY_LABELS: tuple[str, ...] = tuple(FREQUENCIES)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN_NAMES: tuple[str, ...] = (
    "芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞",
    "秀英", "建华", "志强", "晓东", "海燕", "文博", "子涵", "雨轩", "俊杰", "雪梅", "国栋", "立新", "红梅", "晨阳",
)

#: the office inside a department that publishes its data (the CKAN "author")
AUTHOR_UNITS: tuple[tuple[str, str], ...] = (
    ("数据管理科", "sjglk"), ("办公室", "bgs"), ("信息中心", "xxzx"), ("大数据中心", "dsjzx"), ("政策法规科", "zcfgk"),
)

OPEN_CONDITIONS: tuple[str, ...] = (
    "申请人需通过平台提交数据使用申请，说明使用目的和范围，经{org}审核同意并签订数据使用协议后获取。",
    "仅向经{org}审核通过的科研机构和企业开放，使用前须签署数据安全承诺书和数据使用协议。",
    "需向{org}提交书面申请及数据使用协议，审核通过后在约定范围内使用，不得向第三方提供。",
)

PORTAL_TITLE = "济南市公共数据开放平台（演示）"
PORTAL_TITLE_EN = "Jinan Public Data Open Platform (demo)"
