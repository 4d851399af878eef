"""The metadata records of 济南市自然资源和规划局's demo CSW catalogue: generated from (number, seed), so every run
serves the same catalogue, and written as ISO 19139 (``gmd:MD_Metadata``) the way GeoNetwork writes them.

Each record is one of twelve spatial data topics (土地利用现状图, 控制性详细规划, 地质灾害隐患点 …) for the whole
city or one district, with a Chinese title and abstract (the title also in English, as a ``PT_FreeText``
translation), keywords, an ISO topic category, a bounding box inside Jinan, a time period, contacts, access
constraints, and online resources: a WMS, a WFS and a download.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import NamedTuple
from xml.sax.saxutils import escape

from harvester.demo.departments import DEMO_NAMESPACE, DEPARTMENTS_BY_SLUG
from harvester.demo.vocabulary import CITY, DISTRICTS

UTC8 = timezone(timedelta(hours=8))
DEPARTMENT = DEPARTMENTS_BY_SLUG["jnzrzyhghj"]  # 济南市自然资源和规划局
#: (west, south, east, north) of Jinan and of its districts, in degrees (CGCS2000 ≈ WGS 84)
BBOXES: dict[str, tuple[float, float, float, float]] = {
    "济南市": (116.20, 36.00, 117.90, 37.50), "历下区": (117.00, 36.60, 117.20, 36.72),
    "市中区": (116.90, 36.48, 117.08, 36.66), "槐荫区": (116.80, 36.60, 116.98, 36.72),
    "天桥区": (116.88, 36.66, 117.06, 36.82), "历城区": (117.00, 36.45, 117.45, 36.90),
    "长清区": (116.50, 36.30, 116.96, 36.66), "章丘区": (117.30, 36.45, 117.72, 37.00),
    "济阳区": (116.90, 36.85, 117.40, 37.20), "莱芜区": (117.40, 36.05, 117.85, 36.50),
    "钢城区": (117.70, 36.00, 117.90, 36.20), "平阴县": (116.25, 36.05, 116.60, 36.40),
    "商河县": (116.95, 37.05, 117.40, 37.50),
}
#: where the catalogue's page of a record is: PAGE_PATH + id + ".html"
PAGE_PATH = "/portal/metadata/"
_EPOCH = datetime(2023, 1, 1, 9, 0, tzinfo=UTC8)
_SPAN_MINUTES = 900 * 24 * 60


class Topic(NamedTuple):
    slug: str
    title: str
    title_en: str
    keywords: tuple[str, ...]
    category: str  # ISO 19115 MD_TopicCategoryCode
    formats: tuple[str, ...]
    frequency: str  # MD_MaintenanceFrequencyCode
    about: str


TOPICS: tuple[Topic, ...] = (
    Topic("tdlyxz", "土地利用现状图", "Land use status map", ("土地利用", "国土调查", "地类"), "planningCadastre",
          ("SHP",), "annually", "基于年度国土变更调查成果，反映耕地、园地、林地、建设用地等各地类的分布和面积。"),
    Topic("kxxgh", "控制性详细规划", "Regulatory detailed plan", ("控制性详细规划", "城市规划", "用地性质"),
          "planningCadastre", ("SHP", "PDF"), "asNeeded", "规定地块的用地性质、容积率、建筑高度和绿地率等规划控制指标。"),
    Topic("dzzhyhd", "地质灾害隐患点", "Geological hazard sites", ("地质灾害", "隐患点", "防灾减灾"),
          "geoscientificInformation", ("SHP", "GeoJSON"), "annually",
          "记录崩塌、滑坡、地面塌陷等地质灾害隐患点的位置、规模和威胁对象。"),
    Topic("yjjbnt", "永久基本农田", "Permanent basic farmland", ("永久基本农田", "耕地保护", "农田"), "farming",
          ("SHP",), "annually", "划定的永久基本农田保护图斑及其面积、质量等别，是耕地保护的依据。"),
    Topic("gtkjgh", "国土空间总体规划", "Territorial spatial master plan", ("国土空间规划", "三区三线", "总体规划"),
          "planningCadastre", ("SHP", "PDF"), "notPlanned", "确定城镇开发边界、生态保护红线和永久基本农田等空间布局。"),
    Topic("zsyx", "数字正射影像图", "Digital orthophoto map", ("遥感影像", "正射影像", "航空摄影"),
          "imageryBaseMapsEarthCover", ("GeoTIFF",), "annually", "由航空摄影和卫星遥感影像纠正镶嵌而成的正射影像。"),
    Topic("dxsw", "泉域地下水位监测点", "Spring-area groundwater monitoring wells", ("泉水", "地下水位", "趵突泉"),
          "inlandWaters", ("CSV", "GeoJSON"), "continual", "济南素有“泉城”之称，本数据记录泉域监测井的位置和地下水位。"),
    Topic("kczygh", "矿产资源规划", "Mineral resources plan", ("矿产资源", "矿业权", "开发利用"),
          "geoscientificInformation", ("PDF", "SHP"), "asNeeded", "明确矿产资源勘查开发的规划分区、开采总量和保护要求。"),
    Topic("sthx", "生态保护红线", "Ecological protection red line", ("生态保护红线", "生态空间", "自然保护地"),
          "environment", ("SHP",), "asNeeded", "划定具有特殊重要生态功能、必须强制性严格保护的区域。"),
    Topic("xzqh", "行政区划界线", "Administrative boundaries", ("行政区划", "界线", "乡镇街道"), "boundaries",
          ("SHP", "GeoJSON"), "annually", "区县、乡镇（街道）行政区划界线及其名称和代码。"),
    Topic("jsydgy", "建设用地供应", "Construction land supply", ("建设用地", "土地供应", "土地出让"),
          "planningCadastre", ("CSV", "SHP"), "monthly", "国有建设用地出让和划拨宗地的位置、面积、用途及成交情况。"),
    Topic("bzdm", "标准地名", "Standard place names", ("地名", "标准地名", "地理信息"), "location",
          ("CSV", "GeoJSON"), "quarterly", "经批准的道路、街巷、居民区等标准地名及其罗马字母拼写和位置。"),
)
_FILE_EXTENSIONS = {"SHP": "zip", "GeoJSON": "geojson", "GeoTIFF": "tif", "PDF": "pdf", "CSV": "csv"}


@dataclass(frozen=True)
class CswEntry:
    """One record of the catalogue, the facts its XML is written from."""

    number: int
    id: str
    code: str  # 资源代码
    topic: Topic
    place: str
    place_en: str
    year: int
    modified: datetime
    created: datetime
    contact: str
    phone: str
    conditional: bool

    @property
    def title(self) -> str:
        return f"{self.place}{self.topic.title}（{self.year}年）"

    @property
    def title_en(self) -> str:
        return f"{self.topic.title_en} of {self.place_en} ({self.year})"


def generate_entries(size: int = 48, seed: int = 1) -> list[CswEntry]:
    """``size`` records: each topic for the whole city, then for districts drawn with ``seed``."""
    rng = random.Random(seed)
    places = [CITY] + list(DISTRICTS)
    pairs = [(topic, place) for round_ in range(len(places)) for topic in TOPICS
             for place in [places[0] if round_ == 0 else places[1 + (round_ * 5 + TOPICS.index(topic) * 7) % 12]]]
    return [_entry(n, topic, place, rng) for n, (topic, place) in enumerate(pairs[:size])]


def _entry(n: int, topic: Topic, place: tuple[str, str], rng: random.Random) -> CswEntry:
    modified = _EPOCH + timedelta(minutes=rng.randrange(_SPAN_MINUTES))
    return CswEntry(
        number=n, id=str(uuid.uuid5(DEMO_NAMESPACE, f"csw:{DEPARTMENT.slug}:{n}")),
        code=f"370100-ZR-{n + 1:05d}", topic=topic, place=place[0], place_en=place[1],
        year=2019 + rng.randrange(6), modified=modified.replace(second=0),
        created=(modified - timedelta(days=rng.randrange(30, 700))).replace(second=0),
        contact=rng.choice(("王", "李", "张", "刘", "陈", "杨")) + rng.choice(("建国", "秀英", "志强", "丽娟", "海涛")),
        phone=f"0531-{rng.randrange(51600000, 51699999)}", conditional=rng.random() < 0.25)


def touched(entry: CswEntry, when: datetime) -> CswEntry:
    """The entry as it is after an edit at ``when`` (the catalogue's date stamp moves)."""
    return replace(entry, modified=when.astimezone(UTC8).replace(microsecond=0))


def _text(value: str) -> str:
    return f"<gco:CharacterString>{escape(value)}</gco:CharacterString>"


def _code(element: str, value: str, code_list: str) -> str:
    url = f"http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#{code_list}"
    return f'<gmd:{element} codeList="{url}" codeListValue="{value}">{value}</gmd:{element}>'


def _party(organisation: str, role: str, email: str, phone: str, individual: str = "") -> str:
    person = f"<gmd:individualName>{_text(individual)}</gmd:individualName>" if individual else ""
    return (f"<gmd:CI_ResponsibleParty>{person}<gmd:organisationName>{_text(organisation)}</gmd:organisationName>"
            "<gmd:contactInfo><gmd:CI_Contact><gmd:phone><gmd:CI_Telephone>"
            f"<gmd:voice>{_text(phone)}</gmd:voice></gmd:CI_Telephone></gmd:phone>"
            "<gmd:address><gmd:CI_Address><gmd:deliveryPoint>" + _text("济南市历下区龙奥北路1号") +
            "</gmd:deliveryPoint><gmd:city>" + _text("济南") + "</gmd:city>"
            f"<gmd:electronicMailAddress>{_text(email)}</gmd:electronicMailAddress>"
            "</gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo>"
            f"<gmd:role>{_code('CI_RoleCode', role, 'CI_RoleCode')}</gmd:role></gmd:CI_ResponsibleParty>")


def _date(value: datetime | str, kind: str) -> str:
    when = value if isinstance(value, str) else value.date().isoformat()
    return (f"<gmd:date><gmd:CI_Date><gmd:date><gco:Date>{when}</gco:Date></gmd:date>"
            f"<gmd:dateType>{_code('CI_DateTypeCode', kind, 'CI_DateTypeCode')}</gmd:dateType>"
            "</gmd:CI_Date></gmd:date>")


def _keywords(words: tuple[str, ...] | list[str], kind: str) -> str:
    inner = "".join(f"<gmd:keyword>{_text(w)}</gmd:keyword>" for w in words)
    return (f"<gmd:descriptiveKeywords><gmd:MD_Keywords>{inner}"
            f"<gmd:type>{_code('MD_KeywordTypeCode', kind, 'MD_KeywordTypeCode')}</gmd:type>"
            "</gmd:MD_Keywords></gmd:descriptiveKeywords>")


def _online(url: str, protocol: str, name: str, description: str, function: str) -> str:
    return ("<gmd:onLine><gmd:CI_OnlineResource>"
            f"<gmd:linkage><gmd:URL>{escape(url)}</gmd:URL></gmd:linkage>"
            f"<gmd:protocol>{_text(protocol)}</gmd:protocol><gmd:name>{_text(name)}</gmd:name>"
            f"<gmd:description>{_text(description)}</gmd:description>"
            f"<gmd:function>{_code('CI_OnLineFunctionCode', function, 'CI_OnLineFunctionCode')}</gmd:function>"
            "</gmd:CI_OnlineResource></gmd:onLine>")


def _bbox(place: str) -> str:
    west, south, east, north = BBOXES.get(place, BBOXES["济南市"])
    sides = (("westBoundLongitude", west), ("eastBoundLongitude", east), ("southBoundLatitude", south),
             ("northBoundLatitude", north))
    return "<gmd:geographicElement><gmd:EX_GeographicBoundingBox>" + "".join(
        f"<gmd:{name}><gco:Decimal>{value:.2f}</gco:Decimal></gmd:{name}>" for name, value in sides) + \
        "</gmd:EX_GeographicBoundingBox></gmd:geographicElement>"


METADATA_EMAIL = "xxzx@" + DEPARTMENT.host
NAMESPACES = ('xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" '
              'xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:xlink="http://www.w3.org/1999/xlink"')


def iso19139_xml(entry: CswEntry, base_url: str, with_title: bool = True) -> str:
    """The entry as a ``gmd:MD_Metadata`` element (no XML declaration: it goes inside an answer)."""
    return (f"<gmd:MD_Metadata {NAMESPACES}>"
            f"<gmd:fileIdentifier>{_text(entry.id)}</gmd:fileIdentifier>"
            f"<gmd:language>{_language('chi')}</gmd:language>"
            f"<gmd:characterSet>{_code('MD_CharacterSetCode', 'utf8', 'MD_CharacterSetCode')}</gmd:characterSet>"
            f"<gmd:hierarchyLevel>{_code('MD_ScopeCode', 'dataset', 'MD_ScopeCode')}</gmd:hierarchyLevel>"
            f"<gmd:contact>{_party(DEPARTMENT.title + '信息中心', 'pointOfContact', METADATA_EMAIL, entry.phone)}"
            "</gmd:contact>"
            f"<gmd:dateStamp><gco:DateTime>{entry.modified.isoformat()}</gco:DateTime></gmd:dateStamp>"
            "<gmd:metadataStandardName>" + _text("GB/T 19710-2005 地理信息 元数据") + "</gmd:metadataStandardName>"
            '<gmd:locale><gmd:PT_Locale id="EN"><gmd:languageCode>' + _language("eng") + "</gmd:languageCode>"
            f"<gmd:characterEncoding>{_code('MD_CharacterSetCode', 'utf8', 'MD_CharacterSetCode')}"
            "</gmd:characterEncoding></gmd:PT_Locale></gmd:locale>"
            f"<gmd:identificationInfo>{_identification(entry, with_title)}</gmd:identificationInfo>"
            f"<gmd:distributionInfo>{_distribution(entry, base_url)}</gmd:distributionInfo>"
            "<gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:lineage><gmd:LI_Lineage><gmd:statement>"
            + _text(f"依据{entry.year}年度调查和审批成果整理入库，采用2000国家大地坐标系（CGCS2000）。")
            + "</gmd:statement></gmd:LI_Lineage></gmd:lineage></gmd:DQ_DataQuality></gmd:dataQualityInfo>"
            "</gmd:MD_Metadata>")


def _language(code: str) -> str:
    return (f'<gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="{code}">'
            f"{code}</gmd:LanguageCode>")


def _identification(entry: CswEntry, with_title: bool) -> str:
    title = ('<gmd:title xsi:type="gmd:PT_FreeText_PropertyType" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' + _text(entry.title) +
             '<gmd:PT_FreeText><gmd:textGroup><gmd:LocalisedCharacterString locale="#EN">'
             f"{escape(entry.title_en)}</gmd:LocalisedCharacterString></gmd:textGroup></gmd:PT_FreeText></gmd:title>")
    topic = entry.topic
    access = "有条件开放" if entry.conditional else "无条件开放"
    start, end = f"{entry.year}-01-01", f"{entry.year}-12-31"
    return ("<gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation>" + (title if with_title else "")
            + _date(entry.created, "creation") + _date(entry.modified, "publication")
            + f"<gmd:identifier><gmd:MD_Identifier><gmd:code>{_text(entry.code)}</gmd:code></gmd:MD_Identifier>"
            "</gmd:identifier></gmd:CI_Citation></gmd:citation>"
            f"<gmd:abstract>{_text(_abstract(entry))}</gmd:abstract>"
            f"<gmd:pointOfContact>{_party(DEPARTMENT.title, 'publisher', 'zrzyhgh@' + DEPARTMENT.host, entry.phone)}"
            f"</gmd:pointOfContact><gmd:pointOfContact>"
            f"{_party(DEPARTMENT.title, 'pointOfContact', 'sjfw@' + DEPARTMENT.host, entry.phone, entry.contact)}"
            "</gmd:pointOfContact><gmd:resourceMaintenance><gmd:MD_MaintenanceInformation>"
            "<gmd:maintenanceAndUpdateFrequency>"
            + _code("MD_MaintenanceFrequencyCode", topic.frequency, "MD_MaintenanceFrequencyCode")
            + "</gmd:maintenanceAndUpdateFrequency></gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>"
            + _keywords(topic.keywords + ("自然资源",), "theme") + _keywords(["济南市", entry.place], "place")
            + "<gmd:resourceConstraints><gmd:MD_LegalConstraints><gmd:useLimitation>"
            + _text("使用本数据须注明来源：济南市自然资源和规划局。") + "</gmd:useLimitation>"
            + f"<gmd:accessConstraints>{_code('MD_RestrictionCode', 'otherRestrictions', 'MD_RestrictionCode')}"
            f"</gmd:accessConstraints><gmd:otherConstraints>{_text(access)}</gmd:otherConstraints>"
            "<gmd:otherConstraints>" + _text("CC BY 4.0") + "</gmd:otherConstraints>"
            "</gmd:MD_LegalConstraints></gmd:resourceConstraints>"
            f"<gmd:language>{_language('chi')}</gmd:language>"
            f"<gmd:topicCategory><gmd:MD_TopicCategoryCode>{topic.category}</gmd:MD_TopicCategoryCode>"
            f"</gmd:topicCategory><gmd:extent><gmd:EX_Extent><gmd:description>{_text(entry.place)}</gmd:description>"
            + _bbox(entry.place) + "<gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent>"
            f'<gml:TimePeriod gml:id="period-{entry.number}"><gml:beginPosition>{start}</gml:beginPosition>'
            f"<gml:endPosition>{end}</gml:endPosition></gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent>"
            "</gmd:temporalElement></gmd:EX_Extent></gmd:extent></gmd:MD_DataIdentification>")


def _abstract(entry: CswEntry) -> str:
    scope = "全市" if entry.place == CITY.name else entry.place
    return (f"{scope}{entry.year}年{entry.topic.title}数据。{entry.topic.about}"
            f"数据由{DEPARTMENT.title}组织生产和维护，{DEPARTMENT.context}")


def _distribution(entry: CswEntry, base_url: str) -> str:
    formats = "".join(f"<gmd:distributionFormat><gmd:MD_Format><gmd:name>{_text(name)}</gmd:name>"
                      f"<gmd:version>{_text('1.0')}</gmd:version></gmd:MD_Format></gmd:distributionFormat>"
                      for name in entry.topic.formats[:1])
    layer = f"jinan:{entry.topic.slug}_{entry.number}"
    main = entry.topic.formats[0]
    online = (_online(f"{base_url}/geoserver/wms?service=WMS&request=GetCapabilities&layers={layer}", "OGC:WMS",
                      layer, f"{entry.title}地图服务（WMS）", "browsing")
              + _online(f"{base_url}/geoserver/wfs?service=WFS&request=GetCapabilities&typeName={layer}", "OGC:WFS",
                        layer, f"{entry.title}要素服务（WFS）", "download")
              + _online(f"{base_url}/download/{entry.code}.{_FILE_EXTENSIONS[main]}", "WWW:DOWNLOAD-1.0-http--download",
                        f"{entry.code}.{_FILE_EXTENSIONS[main]}", f"{entry.title}数据下载（{main}）", "download")
              + _online(f"{base_url}{PAGE_PATH}{entry.id}.html", "WWW:LINK-1.0-http--link", "元数据详情页",
                        f"{entry.title}的元数据详情页", "information"))
    return (f"<gmd:MD_Distribution>{formats}<gmd:transferOptions><gmd:MD_DigitalTransferOptions>{online}"
            "</gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution>")
