"""Personal data leaked into harvested metadata is redacted before it is stored, and flagged to operators."""

from __future__ import annotations

import json

from harvester.context import Context
from harvester.jobs import run_job
from harvester.model import JobStatus, Source
from tests.test_source_dcat_rdf import FixturePortal, portal  # noqa: F401 - fixture: a portal on loopback
from web import create_app


def id_card(first17: str) -> str:
    """An 18-character resident ID with its GB 11643 check character (ISO 7064 MOD 11-2)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


PERSON_ID = id_card("37010219900307123")
MOBILE = "13812345678"


def catalog() -> bytes:
    leaky = {"identifier": "370100-HB-00001", "title": "企业环境信用评价结果",
             "description": f"联系人张三，电话{MOBILE}，身份证{PERSON_ID}。官方邮箱 sthjj@jinan.gov.cn。",
             "keyword": ["环境信用"], "modified": "2024-05-01",
             "publisher": {"name": "济南市生态环境局"},
             "contactPoint": {"fn": "张三", "hasEmail": "mailto:zhangsan1990@qq.com"}}
    clean = {"identifier": "370100-HB-00002", "title": "空气质量日报", "description": "每日空气质量，热线 0531-12369。",
             "keyword": ["空气"], "modified": "2024-05-01", "publisher": {"name": "济南市生态环境局"},
             "contactPoint": {"fn": "监测科", "hasEmail": "mailto:jcs@jinan.gov.cn"}}
    return json.dumps({"dataset": [leaky, clean]}, ensure_ascii=False).encode()


def test_personal_data_is_redacted_everywhere_public_and_flagged(ctx: Context, portal: FixturePortal) -> None:
    url = portal.serve("/data.json", catalog(), "application/json")
    job = run_job(ctx, Source("sthjj", "datajson", url, "济南市生态环境局"))
    assert job.status == JobStatus.SUCCEEDED and job.counts.added == 2, job.message
    stored = "".join(o for _g, triples in ctx.store.iter_graphs(ctx.iris.graph_prefix("sthjj")) for _s, _p, o in triples)
    assert MOBILE not in stored and PERSON_ID not in stored and "zhangsan1990@qq.com" not in stored
    assert "sthjj@jinan.gov.cn" in stored and "jcs@jinan.gov.cn" in stored and "0531-12369" in stored
    assert "联系人张三" in stored  # the rest of the text stays
    flags = ctx.trust.flags("sthjj")
    assert {f.kind for f in flags} == {"id_card", "mobile", "email"}
    assert {f.field for f in flags} >= {"dct:description", "vcard:hasEmail"}
    assert all(PERSON_ID not in f.excerpt and MOBILE not in f.excerpt for f in flags)
    assert len({f.key for f in flags}) == 1
    client = create_app(ctx).test_client()
    for route in ("/search?q=环境信用", "/api/search?q=环境信用", "/catalog.ttl",
                  "/api/3/action/package_search?q=环境信用"):
        text = client.get(route).get_data(as_text=True)
        assert MOBILE not in text and PERSON_ID not in text and "zhangsan1990" not in text, route


def test_a_corrected_record_loses_its_flags(ctx: Context, portal: FixturePortal) -> None:
    url = portal.serve("/data.json", catalog(), "application/json")
    source = Source("sthjj", "datajson", url, "济南市生态环境局")
    run_job(ctx, source)
    assert ctx.trust.flags("sthjj")
    portal.serve("/data.json", catalog().replace(MOBILE.encode(), b"0531-12369").replace(PERSON_ID.encode(), b"")
                 .replace(b"zhangsan1990@qq.com", b"sthjj@jinan.gov.cn"), "application/json")
    assert run_job(ctx, source).counts.updated == 1
    assert ctx.trust.flags("sthjj") == []
