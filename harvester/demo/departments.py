"""The Jinan government departments (济南市各委办局) that publish the demo portal's datasets, as CKAN organizations."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from harvester.demo import topics
from harvester.demo.topics import Topic

#: the namespace every demo UUID (organization, package, resource, tag) is derived from
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://harvester.invalid/demo/jinan")

#: 济南市 in the administrative division code
JINAN_DIVISION_CODE = "370100"

_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each one is a singleton
class Department:
    """One publishing department: its CKAN organization and the topics it publishes."""

    slug: str
    title: str
    title_en: str
    #: the letters in its catalog codes (资源代码 "370100-JT-00123")
    code: str
    host: str
    description: str
    #: CKAN group names that fit its data, the most fitting first
    groups: tuple[str, ...]
    topics: tuple[Topic, ...]
    #: a sentence about the department's work, used in dataset descriptions
    context: str
    #: what its data is useful for, used in dataset descriptions
    usage: str
    created: str

    @cached_property
    def id(self) -> str:
        return str(uuid.uuid5(DEMO_NAMESPACE, f"organization:{self.slug}"))

    @cached_property
    def credit_code(self) -> str:
        """A checksum-valid 统一社会信用代码 (GB 32100) for a government body (机关) in Jinan."""
        digest = hashlib.sha256(self.slug.encode()).digest()
        org_body = "".join(str(b % 10) for b in digest[:8])
        return with_credit_check("11" + JINAN_DIVISION_CODE + org_body + org_code_check(org_body))

    def as_organization(self) -> dict[str, Any]:
        """The organization dict as CKAN embeds it in a package and lists it in organization_list."""
        return {
            "id": self.id, "name": self.slug, "title": self.title, "type": "organization",
            "description": self.description, "image_url": "", "created": self.created,
            "is_organization": True, "approval_status": "approved", "state": "active",
            "extras": [{"key": "统一社会信用代码", "value": self.credit_code}],
        }


def org_code_check(body: str) -> str:
    """The check character of an 8-character organization code body (GB 11714)."""
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def with_credit_check(first17: str) -> str:
    """Append the GB 32100 check character to the first 17 characters of a 统一社会信用代码."""
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS))
    return first17 + _CREDIT_CODE_CHARS[(31 - total % 31) % 31]


DEPARTMENTS: tuple[Department, ...] = (
    Department("jnjtysj", "济南市交通运输局", "Jinan Municipal Transport Bureau", "JT", "jtj.jinan.gov.cn",
               "负责全市公路、水路、城市公共交通和出租汽车等交通运输行业管理。", ("jiaotong", "anquan"),
               topics.TRANSPORT, "济南市持续推进公共交通优先发展，本数据是城市交通运行监测的重要组成部分。",
               "交通规划、出行服务、公共交通优化", "2018-03-12T08:15:27.318211"),
    Department("jnsthjj", "济南市生态环境局", "Jinan Municipal Ecology and Environment Bureau", "HB",
               "sthjj.jinan.gov.cn", "负责全市生态环境监督管理、环境质量监测和污染防治工作。", ("huanjing", "nengyuan"),
               topics.ENVIRONMENT, "数据来源于全市生态环境监测网络，经质量控制后发布。",
               "环境质量评价、污染防治、公众健康防护", "2018-03-12T08:21:44.901322"),
    Department("jntjj", "济南市统计局", "Jinan Municipal Bureau of Statistics", "TJ", "jntj.jinan.gov.cn",
               "负责全市国民经济核算、统计调查和统计信息发布。", ("jingji",), topics.STATISTICS,
               "统计数据依据国家统计调查制度采集，部分指标为初步核算数。",
               "宏观经济分析、产业研究、政策评估", "2018-03-12T08:30:05.114508"),
    Department("jnzrzyhghj", "济南市自然资源和规划局", "Jinan Municipal Bureau of Natural Resources and Planning",
               "ZR", "nrp.jinan.gov.cn", "负责全市自然资源统一管理、国土空间规划和测绘地理信息工作。",
               ("nengyuan", "chengjian"), topics.NATURAL_RESOURCES, "空间数据采用2000国家大地坐标系（CGCS2000）。",
               "国土空间规划、资源保护、地理信息应用", "2019-01-08T02:40:11.552090"),
    Department("jnscjdglj", "济南市市场监督管理局", "Jinan Municipal Administration for Market Regulation", "SJ",
               "amr.jinan.gov.cn", "负责全市市场主体登记、食品安全、特种设备和知识产权等监督管理。",
               ("jingji", "zhengfu"), topics.MARKET_REGULATION, "数据依托市场监管信息化系统汇聚，按规定进行公示。",
               "企业信用评价、营商环境研究、消费维权", "2018-05-20T06:02:39.007713"),
    Department("jnwsjkwyh", "济南市卫生健康委员会", "Jinan Municipal Health Commission", "WJ", "jnmhc.jinan.gov.cn",
               "负责全市卫生健康事业发展规划、医疗服务和公共卫生管理。", ("weisheng", "shebao"), topics.HEALTH,
               "数据由卫生健康统计直报系统汇总，个人信息已脱敏处理。",
               "就医服务、卫生资源配置、公共卫生研究", "2018-06-02T03:18:56.640215"),
    Department("jnjyj", "济南市教育局", "Jinan Municipal Education Bureau", "JY", "jnedu.jinan.gov.cn",
               "负责全市各级各类教育的统筹规划和管理。", ("jiaoyu",), topics.EDUCATION,
               "数据来源于教育事业统计和学校管理信息系统。", "入学咨询、教育资源布局、教育研究",
               "2018-06-15T01:47:03.281967"),
    Department("jnzfhcxjsj", "济南市住房和城乡建设局", "Jinan Municipal Housing and Urban-Rural Development Bureau",
               "ZJ", "jnzjj.jinan.gov.cn", "负责全市住房保障、房地产市场监管和建筑业管理。", ("chengjian", "jingji"),
               topics.HOUSING, "数据来源于房产交易网签备案和建筑市场监管平台。",
               "购房参考、房地产市场分析、城市更新", "2018-07-09T07:33:20.118442"),
    Department("jnnyncj", "济南市农业农村局", "Jinan Municipal Agriculture and Rural Affairs Bureau", "NY",
               "jnny.jinan.gov.cn", "负责全市农业农村发展规划、农产品质量安全和乡村振兴工作。", ("nongye", "jingji"),
               topics.AGRICULTURE, "数据由各区县农业农村部门采集上报并经审核汇总。",
               "农业生产指导、农产品流通、乡村振兴研究", "2018-08-21T09:05:48.774310"),
    Department("jngaj", "济南市公安局", "Jinan Municipal Public Security Bureau", "GA", "jnga.jinan.gov.cn",
               "负责全市社会治安、交通管理、户政和出入境管理。", ("anquan", "jiaotong"), topics.PUBLIC_SECURITY,
               "数据经脱敏和安全审查后开放，不含个人隐私信息。", "便民服务、道路交通安全、社会治理",
               "2019-02-14T04:26:37.425186"),
    Department("jnwhhlyj", "济南市文化和旅游局", "Jinan Municipal Culture and Tourism Bureau", "WL",
               "jnwl.jinan.gov.cn", "负责全市文化事业、文化产业和旅游业的统筹管理。", ("wenlv",), topics.CULTURE_TOURISM,
               "济南是国家历史文化名城，本数据服务“泉城”文旅融合发展。", "旅游出行、文化消费、文旅产业研究",
               "2018-09-03T02:12:09.836655"),
    Department("jnrlzyhshbzj", "济南市人力资源和社会保障局", "Jinan Municipal Human Resources and Social Security Bureau",
               "RS", "hrss.jinan.gov.cn", "负责全市就业创业、社会保险、人才工作和劳动关系管理。", ("shebao", "zhengfu"),
               topics.HUMAN_RESOURCES, "数据来源于人社业务经办系统，按季度汇总更新。",
               "就业服务、社保政策研究、人才发展", "2018-10-17T05:58:14.093871"),
)

DEPARTMENTS_BY_SLUG: dict[str, Department] = {d.slug: d for d in DEPARTMENTS}
