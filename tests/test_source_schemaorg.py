"""schema.org Dataset pages end to end against a real HTTP server on loopback: the schema.org and
science-on-schema.org examples (tests/fixtures/schemaorg/) as HTML pages, generated pages of 济南 departments in
JSON-LD, microdata and RDFa with their sitemaps and a DataCatalog page, and the ways a site breaks."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from harvester.context import Context
from harvester.demo.generator import generate_package
from harvester.http import PoliteClient
from harvester.jobs import run_job
from harvester.mapping.emitters import MapContext
from harvester.model import Job, JobStatus, Source, Stage
from harvester.sources.schemaorg import SchemaOrgSource
from harvester.sources.schemaorg_map import SCHEMAORG_MAPPING, box_wkt, byte_size
from tests.conftest import make_settings
from tests.test_source_dcat_rdf import (  # noqa: F401 - fixtures: a portal on loopback
    DCAT,
    DCT,
    EU,
    FixturePortal,
    counts,
    failure,
    portal,
    record_graphs,
    violations,
)

FIXTURES = Path(__file__).parent / "fixtures" / "schemaorg"
HTML = "text/html; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FOAF = "http://xmlns.com/foaf/0.1/"
CSVW = "http://www.w3.org/ns/csvw#"
JINAN_BOX = "36.02 116.19 37.54 117.73"  # south west north east, as schema.org writes a GeoShape box


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def site_source(url: str, source_id: str = "site", **options: Any) -> Source:
    return Source(source_id, "schemaorg", url, "数据集网页", options=options)


def harvest(ctx: Context, url: str, **options: Any) -> Job:
    return run_job(ctx, site_source(url, **options))


def page_html(title: str, body: str = "", head: str = "", charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="{charset}"><title>{escape(title)}</title>'
            f"{head}</head><body>{body}</body></html>\n")


def json_ld_page(title: str, document: Any) -> str:
    script = json.dumps(document, ensure_ascii=False, indent=1) if not isinstance(document, str) else document
    return page_html(title, f"<h1>{escape(title)}</h1>", f'<script type="application/ld+json">{script}</script>')


def sitemap(pages: list[tuple[str, str | None]]) -> bytes:
    urls = "".join(f"<url><loc>{escape(url)}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</url>"
                   for url, lastmod in pages)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">{urls}</urlset>\n'.encode()


def sitemap_index(sitemaps: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{escape(url)}</loc></sitemap>" for url in sitemaps)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>\n'.encode()


def dataset_values(ctx: Context, path: str, source_id: str = "site") -> list[str]:
    """Values at a SPARQL property path from the harvested datasets (sorted)."""
    rows = ctx.store.select(f"SELECT ?o WHERE {{ GRAPH ?g {{ ?d a <{DCAT}Dataset> ; {path} ?o }} }}")
    return sorted(r["o"] for r in rows)


def requested(portal: FixturePortal) -> list[str]:
    return [p for p in portal.requests if p != "/robots.txt"]


# --- the recorded examples ---------------------------------------------------------------------------------------


def example_blocks(name: str) -> list[tuple[str, str]]:
    """(example id, JSON-LD text) of each example of a schema.org examples file."""
    text = fixture(name)
    found = re.findall(r"TYPES: #(eg-\d+)[^\n]*\n.*?<script type=\"application/ld\+json\">(.*?)</script>", text, re.DOTALL)
    return [(eg, block) for eg, block in found]


def serve_recorded_examples(portal: FixturePortal) -> list[str]:
    """Every example as an HTML page; the page URLs."""
    pages = {f"/examples/{eg}.html": json_ld_page(eg, block) for eg, block in
             example_blocks("schemaorg_sdo-soso-dataset-examples.txt") + example_blocks(
                 "schemaorg_dataset_examples_extracted.txt")}
    for name in ("soso_dataset_full", "soso_dataset_variableMeasured_USGS-NWIS_surfaceWater",
                 "soso_data-repository_full"):
        pages[f"/soso/{name}.html"] = json_ld_page(name, fixture(f"{name}.jsonld"))
    for path, text in pages.items():
        portal.serve(path, text.encode("utf-8"), HTML)
    return [portal.url + path for path in pages]


def test_the_recorded_examples_harvest_into_valid_dcat_ap_3(ctx: Context, portal: FixturePortal) -> None:
    pages = serve_recorded_examples(portal)
    assert len(pages) == 7  # eg-0478 is in both files: one page
    url = portal.serve("/sitemap.xml", sitemap([(p, "2024-03-01") for p in pages]), "application/xml")
    job = harvest(ctx, url, language="en")
    assert job.status == JobStatus.PARTIAL, job.message
    assert counts(job) == (2, 0, 0, 0, 5)
    assert violations(ctx, "site") == []
    errors = {e.remote_id.rsplit("/", 1)[-1]: e for e in job.errors}
    assert errors["soso_dataset_variableMeasured_USGS-NWIS_surfaceWater.html"].message == \
        "title is missing: the Dataset has no name"
    assert errors["soso_dataset_variableMeasured_USGS-NWIS_surfaceWater.html"].stage == Stage.MAP
    no_dataset = errors["soso_data-repository_full.html"]
    assert no_dataset.stage == Stage.FETCH
    assert no_dataset.message.endswith("no schema.org Dataset on the page (it describes ResearchProject, Service, "
                                       "WebSite)")
    assert "no schema.org Dataset on the page (it describes ResearchProject)" in errors["eg-0470.html"].message
    assert "(it describes Organization)" in errors["eg-0472.html"].message


def test_the_recorded_examples_map_their_schema_org_properties(ctx: Context, portal: FixturePortal) -> None:
    pages = [p for p in serve_recorded_examples(portal) if p.endswith(("eg-0478.html", "soso_dataset_full.html"))]
    job = harvest(ctx, portal.url + "/unused", urls=pages, language="en")
    assert counts(job) == (2, 0, 0, 0, 0), job.message
    # eg-0478: the publisher is named by @id only, and described as the provider
    assert dataset_values(ctx, f"<{DCT}publisher>/<{FOAF}name>") == [
        '"Example Data Repository"@en', '"SDRO"@en']
    # creators wrapped in a Role
    creators = dataset_values(ctx, f"<{DCT}creator>/<{FOAF}name>")
    assert {'"Dr Uta Passow"@en', '"Dr Mark Brzezinski"@en', '"Dr Robin Ross"@en'} <= set(creators)
    assert dataset_values(ctx, f"<{DCT}license>") == [f"<{EU}licence/CC0>", f"<{EU}licence/CC_BY_4_0>"]
    assert '"bacterioplankton respiration"@en' in dataset_values(ctx, f"<{DCAT}keyword>")
    assert '"doi:10.5066/F7VX0DMQ"' in dataset_values(ctx, f"<{DCT}identifier>")
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert dataset_values(ctx, f"<{DCT}temporal>/<{DCAT}startDate>") == [
        f'"2001-08-06"^^<{xsd}date>', f'"2012-09-20"^^<{xsd}date>']
    assert "<https://www.sample-data-repository.org/dataset/472032.tsv>" in dataset_values(
        ctx, f"<{DCAT}distribution>/<{DCAT}downloadURL>")
    assert dataset_values(ctx, f"<{DCAT}distribution>/<{DCT}format>") == [f"<{EU}file-type/TSV>"] * 2
    polygon = "POLYGON((-75.8183 -68.4817, -68.5033 -68.4817, -68.5033 -65.08, -75.8183 -65.08, -75.8183 -68.4817))"
    assert dataset_values(ctx, f"<{DCT}spatial>/<{DCAT}bbox>") == [
        f'"{polygon}"^^<http://www.opengis.net/ont/geosparql#wktLiteral>']
    assert dataset_values(ctx, "<http://schema.org/includedInDataCatalog>/<http://schema.org/url>") == [
        "<https://www.sample-data-repository.org/collection/biological-data>"]
    columns = dataset_values(ctx, f"<{CSVW}tableSchema>/<{CSVW}column>/<{CSVW}name>")
    assert len(columns) == 14 and '"latitude"' in columns and '"cruiseid"' in columns
    checksums = dataset_values(ctx, f"<{DCAT}distribution>/<http://spdx.org/rdf/terms#checksum>/"
                                    f"<http://spdx.org/rdf/terms#checksumValue>")
    assert [c[:13] for c in checksums] == ['"39ae639d33ce']
    # an HTML-typed description becomes its text
    description = next(d for d in dataset_values(ctx, f"<{DCT}description>") if "krill" in d)
    assert description.startswith('"\\"Winter ecology of larval krill') and "&lt;" not in description
    assert "<p>" not in description


# --- generated pages of 济南 departments --------------------------------------------------------------------------


def facts(package: dict[str, Any]) -> dict[str, Any]:
    """What every markup of a package's page says."""
    extras = {e["key"]: e["value"] for e in package["extras"]}
    return {
        "name": package["title"], "description": package["notes"], "keywords": [t["name"] for t in package["tags"]],
        "identifier": extras["资源代码"], "url": package["url"], "published": extras["发布日期"][:10],
        "modified": package["metadata_modified"][:10], "publisher": package["organization"]["title"],
        "contact": package["maintainer"], "email": package["maintainer_email"], "telephone": extras["联系电话"],
        "license": package.get("license_url") or "", "place": extras.get("空间范围") or extras.get("spatial"),
        "temporal": extras["时间范围"],
        "downloads": [(r["name"], r["url"], r["mimetype"], r["size"]) for r in package["resources"]],
        "variables": [("统计年度", "数据所属的年度", "年"), ("指标数值", "该年度的指标数值", "万元")],
    }


def json_ld_dataset(f: dict[str, Any], page: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org/", "@type": "Dataset", "@id": page + "#dataset", "name": f["name"],
        "description": f["description"], "keywords": ",".join(f["keywords"]), "identifier": f["identifier"],
        "url": f["url"], "datePublished": f["published"], "dateModified": f["modified"], "inLanguage": "zh-CN",
        "publisher": {"@type": "GovernmentOrganization", "name": f["publisher"],
                      "contactPoint": {"@type": "ContactPoint", "name": f["contact"], "email": f["email"],
                                       "telephone": f["telephone"]}},
        "license": f["license"] or None,
        "spatialCoverage": {"@type": "Place", "name": f["place"], "geo": {"@type": "GeoShape", "box": JINAN_BOX}},
        "temporalCoverage": f["temporal"],
        "distribution": [{"@type": "DataDownload", "name": n, "contentUrl": u, "encodingFormat": m, "contentSize": s}
                         for n, u, m, s in f["downloads"]],
        "variableMeasured": [{"@type": "PropertyValue", "name": n, "description": d, "unitText": u}
                             for n, d, u in f["variables"]],
    }


def microdata_dataset(f: dict[str, Any], page: str) -> str:
    def item(prop: str, kind: str, inner: str) -> str:
        return f'<div itemprop="{prop}" itemscope itemtype="https://schema.org/{kind}">{inner}</div>'

    def meta(prop: str, value: Any) -> str:
        return f'<meta itemprop="{prop}" content="{escape(str(value))}">' if value else ""

    contact = item("contactPoint", "ContactPoint", f'<span itemprop="name">{escape(f["contact"])}</span>'
                   f'<span itemprop="email">{escape(f["email"])}</span>{meta("telephone", f["telephone"])}')
    downloads = "".join(item("distribution", "DataDownload", f'<span itemprop="name">{escape(n)}</span><a '
                             f'itemprop="contentUrl" href="{escape(u)}">下载</a>{meta("encodingFormat", m)}'
                             f'{meta("contentSize", s)}') for n, u, m, s in f["downloads"])
    variables = "".join(item("variableMeasured", "PropertyValue", f'<span itemprop="name">{n}</span><span '
                             f'itemprop="description">{d}</span>{meta("unitText", u)}') for n, d, u in f["variables"])
    return (f'<div itemscope itemtype="https://schema.org/Dataset" itemid="{page}#dataset">'
            f'<h1 itemprop="name">{escape(f["name"])}</h1><p itemprop="description">{escape(f["description"])}</p>'
            + "".join(f'<span itemprop="keywords">{escape(k)}</span>' for k in f["keywords"])
            + meta("identifier", f["identifier"]) + f'<a itemprop="url" href="{escape(f["url"])}">数据详情</a>'
            f'<time itemprop="datePublished" datetime="{f["published"]}">{f["published"]}</time>'
            + meta("dateModified", f["modified"]) + meta("inLanguage", "zh-CN")
            + item("publisher", "GovernmentOrganization", f'<span itemprop="name">{escape(f["publisher"])}</span>'
                   + contact)
            + (f'<link itemprop="license" href="{escape(f["license"])}">' if f["license"] else "")
            + item("spatialCoverage", "Place", f'<span itemprop="name">{escape(f["place"])}</span>'
                   + item("geo", "GeoShape", meta("box", JINAN_BOX)))
            + meta("temporalCoverage", f["temporal"]) + downloads + variables + "</div>")


def rdfa_dataset(f: dict[str, Any], page: str) -> str:
    def node(prop: str, kind: str, inner: str) -> str:
        return f'<div property="{prop}" typeof="{kind}">{inner}</div>'

    def meta(prop: str, value: Any) -> str:
        return f'<meta property="{prop}" content="{escape(str(value))}">' if value else ""

    contact = node("contactPoint", "ContactPoint", f'<span property="name">{escape(f["contact"])}</span>'
                   + meta("email", f["email"]) + f'<span property="telephone">{escape(f["telephone"])}</span>')
    downloads = "".join(node("distribution", "DataDownload", f'<span property="name">{escape(n)}</span><a '
                             f'property="contentUrl" href="{escape(u)}">下载</a>{meta("encodingFormat", m)}'
                             f'{meta("contentSize", s)}') for n, u, m, s in f["downloads"])
    variables = "".join(node("variableMeasured", "PropertyValue", f'<span property="name">{n}</span>'
                             f'{meta("description", d)}<span property="unitText">{u}</span>')
                        for n, d, u in f["variables"])
    return (f'<div vocab="https://schema.org/" typeof="Dataset" resource="{page}#dataset">'
            f'<h1 property="name">{escape(f["name"])}</h1><div property="description">{escape(f["description"])}</div>'
            f'<p property="keywords">{escape("，".join(f["keywords"]))}</p>' + meta("identifier", f["identifier"])
            + f'<a property="url" href="{escape(f["url"])}">数据详情</a>'
            + meta("datePublished", f["published"]) + meta("dateModified", f["modified"]) + meta("inLanguage", "zh-CN")
            + node("publisher", "GovernmentOrganization", f'<span property="name">{escape(f["publisher"])}</span>'
                   + contact)
            + (f'<a property="license" href="{escape(f["license"])}">许可协议</a>' if f["license"] else "")
            + node("spatialCoverage", "Place", f'<span property="name">{escape(f["place"])}</span>'
                   + node("geo", "GeoShape", meta("box", JINAN_BOX)))
            + f'<span property="temporalCoverage">{f["temporal"]}</span>' + downloads + variables + "</div>")


MARKUPS = ("jsonld", "microdata", "rdfa")


def dataset_page(package: dict[str, Any], page: str, markup: str) -> str:
    f = facts(package)
    if markup == "jsonld":
        return json_ld_page(f["name"], json_ld_dataset(f, page))
    body = microdata_dataset(f, page) if markup == "microdata" else rdfa_dataset(f, page)
    return page_html(f["name"], f"<nav>济南市公共数据开放网</nav>{body}<footer>济南市大数据局</footer>")


def catalog_page(packages: list[dict[str, Any]], page: str) -> str:
    """A department's catalog page: a DataCatalog whose ``dataset`` entries are the records."""
    department = packages[0]["organization"]["title"]
    entries = [{k: v for k, v in json_ld_dataset(facts(p), page).items() if k not in ("@context", "@id")}
               for p in packages]
    return json_ld_page(f"{department}数据目录", {
        "@context": "https://schema.org/", "@type": "DataCatalog", "@id": page + "#catalog",
        "name": f"{department}数据目录", "url": page, "dataset": entries})


class JinanSite:
    """Dataset pages of 济南 departments (each markup in turn), a catalog page, and a sitemap with lastmod."""

    def __init__(self, portal: FixturePortal, size: int = 9, catalog_size: int = 3) -> None:
        self.portal = portal
        self.packages = [generate_package(i) for i in range(size + catalog_size)]
        self.pages: dict[str, tuple[str, str]] = {}  # path → (html, lastmod)
        for n, package in enumerate(self.packages[:size]):
            path = f"/dataset/{package['name']}.html"
            self.pages[path] = (dataset_page(package, portal.url + path, MARKUPS[n % 3]),
                                package["metadata_modified"][:10])
        if catalog_size:
            self.pages["/catalog/list.html"] = (catalog_page(self.packages[size:], portal.url + "/catalog/list.html"),
                                                "2024-02-01")

    def publish(self, encoding: str = "utf-8", content_type: str = HTML) -> str:
        for path, (text, _) in self.pages.items():
            self.portal.serve(path, text.encode(encoding), content_type)
        return self.portal.serve("/sitemap.xml", sitemap([(self.portal.url + p, m) for p, (_, m) in
                                                          self.pages.items()]), "application/xml")

    def url_of(self, n: int) -> str:
        return f"{self.portal.url}/dataset/{self.packages[n]['name']}.html"


def test_a_chinese_site_harvests_every_markup_into_valid_dcat_ap_3(ctx: Context, portal: FixturePortal) -> None:
    site = JinanSite(portal)
    job = harvest(ctx, site.publish())
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (12, 0, 0, 0, 0)
    assert violations(ctx, "site") == []
    names = set(dataset_values(ctx, f"<{DCT}title>"))
    assert {f'"{p["title"]}"@zh' for p in site.packages} == names
    publishers = set(dataset_values(ctx, f"<{DCT}publisher>/<{FOAF}name>"))
    assert len(publishers) == 6 and {'"济南市卫生健康委员会"@zh', '"济南市生态环境局"@zh'} <= publishers
    assert f"<{FOAF}Organization>" in dataset_values(ctx, f"<{DCT}publisher>/a")
    emails = dataset_values(ctx, f"<{DCAT}contactPoint>/<http://www.w3.org/2006/vcard/ns#hasEmail>")
    assert len(emails) == 12 and all(e.startswith("<mailto:") for e in emails)
    keywords = dataset_values(ctx, f"<{DCAT}keyword>")
    assert sum(len(p["tags"]) for p in site.packages) == len(keywords)  # "a,b,c" and "a，b，c" are split
    assert f"<{EU}file-type/XLSX>" in dataset_values(ctx, f"<{DCAT}distribution>/<{DCT}format>")
    assert dataset_values(ctx, f"<{DCT}language>") == [f"<{EU}language/ZHO>"] * 12
    assert len(set(dataset_values(ctx, f"<{DCT}spatial>/<{DCAT}bbox>"))) == 1
    columns = dataset_values(ctx, f"<{CSVW}tableSchema>/<{CSVW}column>/<{DCT}description>")
    assert columns.count('"该年度的指标数值 (万元)"@zh') == 12
    # the catalog page's entries: page URL + their own url, listed in the catalog
    catalog_entries = {r.remote_id for r in gathered(site.portal.url + "/sitemap.xml")
                       if "/catalog/" in r.remote_id}
    assert catalog_entries == {f"{portal.url}/catalog/list.html#{quote(p['url'], safe=':/?=&._~-')}"
                               for p in site.packages[9:]}
    assert dataset_values(ctx, "<http://schema.org/includedInDataCatalog>/<http://schema.org/name>").count(
        f'"{site.packages[9]["organization"]["title"]}数据目录"@zh') == 3


def gathered(url: str, **options: Any) -> list[Any]:
    client = PoliteClient(retries=0)
    try:
        return list(SchemaOrgSource(site_source(url, **options), client, None).gather(None))
    finally:
        client.close()


def test_the_three_markups_of_one_page_give_the_same_record(portal: FixturePortal) -> None:
    package = generate_package(2)
    urls = []
    for markup in MARKUPS:
        path = f"/{markup}/page.html"
        portal.serve(path, dataset_page(package, portal.url + path, markup).encode("utf-8"), HTML)
        urls.append(portal.url + path)
    refs = gathered(portal.url + "/none", urls=" ".join(urls))
    assert [r.remote_id for r in refs] == [u + "#dataset" for u in urls]
    graphs = []
    for ref in refs:
        ctx = MapContext("https://cat.example", "site", "k", "https://cat.example/dataset/site/k")
        SCHEMAORG_MAPPING.apply(ref.payload, ctx)
        graphs.append(sorted(ctx.triples))
    assert graphs[0] == graphs[1] == graphs[2]
    assert len(graphs[0]) > 60


def test_sitemap_lastmod_is_the_change_marker_and_gone_pages_are_deleted(ctx: Context, portal: FixturePortal) -> None:
    site = JinanSite(portal)
    url = site.publish()
    assert harvest(ctx, url).counts.added == 12
    assert counts(harvest(ctx, url)) == (0, 0, 12, 0, 0)
    path = f"/dataset/{site.packages[0]['name']}.html"
    revised = dict(site.packages[0], title=site.packages[0]["title"] + "（2024年修订）")
    site.pages[path] = (dataset_page(revised, portal.url + path, "jsonld"), "2024-06-01")
    del site.pages[f"/dataset/{site.packages[1]['name']}.html"]
    site.publish()
    job = harvest(ctx, url)
    assert counts(job) == (0, 1, 10, 1, 0), job.message
    assert f'"{revised["title"]}"@zh' in dataset_values(ctx, f"<{DCT}title>")


def test_a_sitemap_index_that_names_itself_is_read_once(ctx: Context, portal: FixturePortal) -> None:
    site = JinanSite(portal, size=6, catalog_size=2)
    site.publish()
    pages = [(portal.url + p, m) for p, (_, m) in site.pages.items()]
    portal.serve("/sitemaps/a.xml", sitemap(pages[:4]), "application/xml")
    portal.serve("/sitemaps/b.xml.gz", gzip.compress(sitemap(pages[4:])), "application/gzip")
    portal.serve("/sitemaps/more.xml", sitemap_index([portal.url + "/sitemap_index.xml", portal.url + "/sitemaps/a.xml"]),
                 "application/xml")
    index = portal.serve("/sitemap_index.xml", sitemap_index([
        portal.url + "/sitemap_index.xml", portal.url + "/sitemaps/a.xml", "sitemaps/b.xml.gz",
        portal.url + "/sitemaps/more.xml"]), "application/xml")
    job = harvest(ctx, index)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert counts(job) == (8, 0, 0, 0, 0)
    sitemaps = [p for p in requested(portal) if "sitemap" in p]
    assert sitemaps == ["/sitemap_index.xml", "/sitemaps/a.xml", "/sitemaps/b.xml.gz", "/sitemaps/more.xml"]


def test_the_include_option_keeps_other_pages_out(ctx: Context, portal: FixturePortal) -> None:
    site = JinanSite(portal, size=6, catalog_size=2)
    job = harvest(ctx, site.publish(), include=r"/dataset/")
    assert counts(job) == (6, 0, 0, 0, 0), job.message
    assert not [p for p in requested(portal) if p.startswith("/catalog/")]


def test_a_json_ld_document_listed_in_urls_is_read(ctx: Context, portal: FixturePortal) -> None:
    document = json_ld_dataset(facts(generate_package(5)), portal.url + "/data/5.jsonld")
    url = portal.serve("/data/5.jsonld", json.dumps(document, ensure_ascii=False).encode(), "application/ld+json")
    job = harvest(ctx, portal.url, urls=[url])
    assert counts(job) == (1, 0, 0, 0, 0), job.message
    assert dataset_values(ctx, f"<{DCT}title>") == [f'"{generate_package(5)["title"]}"@zh']


# --- pages that fail alone ----------------------------------------------------------------------------------------


@pytest.fixture
def site(ctx: Context, portal: FixturePortal) -> JinanSite:
    """A site harvested once (9 dataset pages and a catalog page of 3)."""
    jinan = JinanSite(portal)
    assert harvest(ctx, jinan.publish()).counts.added == 12
    return jinan


def reharvest(ctx: Context, site: JinanSite, page: int, body: bytes | None, status: int = 200,
              content_type: str = HTML) -> Job:
    site.publish()
    if body is not None:
        site.portal.serve(f"/dataset/{site.packages[page]['name']}.html", body, content_type, status)
    return run_job(ctx, site_source(site.portal.url + "/sitemap.xml"), full=True)


def test_a_truncated_page_fails_alone_and_keeps_its_record(ctx: Context, site: JinanSite) -> None:
    before = record_graphs(ctx, "site")
    text = site.pages[f"/dataset/{site.packages[0]['name']}.html"][0]
    job = reharvest(ctx, site, 0, text[:len(text) // 2].encode("utf-8"))
    assert job.status == JobStatus.PARTIAL
    assert counts(job) == (0, 0, 11, 0, 1)
    [error] = job.errors
    assert error.stage == Stage.FETCH and error.remote_id == site.url_of(0)
    assert "JSON-LD block 1 is not valid JSON" in error.message
    assert record_graphs(ctx, "site") == before


def test_a_page_that_answers_404_fails_alone_and_nothing_is_deleted(ctx: Context, site: JinanSite) -> None:
    before = record_graphs(ctx, "site")
    del site.pages[f"/dataset/{site.packages[4]['name']}.html"]  # gone from the sitemap too
    job = reharvest(ctx, site, 3, b"<html><body>not found</body></html>", status=404)
    assert counts(job) == (0, 0, 10, 0, 1), job.message
    assert "404" in job.errors[0].message and job.errors[0].remote_id == site.url_of(3)
    # the failed page's datasets are unknown, so this harvest deletes nothing (the gone page included)
    assert record_graphs(ctx, "site") == before


def test_a_page_without_a_dataset_is_reported(ctx: Context, site: JinanSite) -> None:
    body = json_ld_page("关于我们", {"@context": "https://schema.org", "@type": "GovernmentOrganization",
                                     "name": "济南市大数据局"}).encode("utf-8")
    job = reharvest(ctx, site, 1, body)
    assert counts(job) == (0, 0, 11, 1, 1), job.message  # the page no longer describes its dataset
    assert job.errors[0].message == f"{site.url_of(1)}: no schema.org Dataset on the page (it describes " \
                                    "GovernmentOrganization)"


def test_a_dataset_without_a_name_fails_alone(ctx: Context, site: JinanSite) -> None:
    before = record_graphs(ctx, "site")
    document = json_ld_dataset(facts(site.packages[0]), site.url_of(0))
    del document["name"]
    job = reharvest(ctx, site, 0, json_ld_page("无名称", document).encode("utf-8"))
    assert counts(job) == (0, 0, 11, 0, 1)
    assert [(e.stage, e.remote_id, e.message) for e in job.errors] == [
        (Stage.MAP, site.url_of(0) + "#dataset", "title is missing: the Dataset has no name")]
    assert record_graphs(ctx, "site") == before


@pytest.mark.parametrize("encoding, content_type", [
    ("gbk", "text/html; charset=utf-8"),   # GBK bytes labelled UTF-8
    ("gbk", "text/html"),                  # GBK bytes, no label
    ("utf-8", "text/html; charset=gbk"),   # UTF-8 bytes labelled GBK
])
def test_mislabelled_charsets_are_read_as_what_the_bytes_are(ctx: Context, portal: FixturePortal, encoding: str,
                                                             content_type: str) -> None:
    site = JinanSite(portal, size=6, catalog_size=0)
    job = harvest(ctx, site.publish(encoding, content_type))
    assert counts(job) == (6, 0, 0, 0, 0), job.message
    assert {f'"{p["title"]}"@zh' for p in site.packages} == set(dataset_values(ctx, f"<{DCT}title>"))


def test_a_page_past_the_size_cap_fails_alone(tmp_path: Path, portal: FixturePortal) -> None:
    cap = 64 * 1024
    context = Context(make_settings(tmp_path / "data", http_max_bytes=cap))
    site = JinanSite(portal, size=3, catalog_size=0)
    url = site.publish()

    def endless() -> Iterator[bytes]:
        yield b"<html><body>"
        while True:
            yield "<p>济南市数据</p>".encode() * 100

    try:
        portal.serve(f"/dataset/{site.packages[2]['name']}.html", endless, HTML)
        job = harvest(context, url)
        assert counts(job) == (2, 0, 0, 0, 1), job.message
        assert f"more than {cap:,} bytes" in job.errors[0].message
    finally:
        context.close()


# --- sitemaps that fail the gather, and delete nothing ------------------------------------------------------------


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE urlset [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://x/&lol9;</loc></url></urlset>
"""


@pytest.mark.parametrize("body, status, reason", [
    (BILLION_LAUGHS.encode(), 200, "declares XML entities; refused"),
    (None, 200, "is not well-formed XML"),  # the site's sitemap cut in half
    (b"<html><body>Sitemap</body></html>", 200, "is neither a urlset nor a sitemapindex (its root element is 'html')"),
    (b"gone", 404, "404"),
    (gzip.compress(b"x")[:8], 200, "is not valid gzip"),
])
def test_a_sitemap_that_cannot_be_read_fails_the_gather_and_deletes_nothing(
        ctx: Context, site: JinanSite, body: bytes | None, status: int, reason: str) -> None:
    before = record_graphs(ctx, "site")
    whole = sitemap([(site.portal.url + p, m) for p, (_, m) in site.pages.items()])
    site.portal.serve("/sitemap.xml", body if body is not None else whole[:len(whole) // 2], "application/xml",
                      status)
    message = failure(run_job(ctx, site_source(site.portal.url + "/sitemap.xml"), full=True))
    assert "gather failed, nothing deleted" in message and reason in message
    assert record_graphs(ctx, "site") == before


def test_a_chain_of_sitemaps_that_never_ends_stops_at_max_sitemaps(ctx: Context, site: JinanSite) -> None:
    before = record_graphs(ctx, "site")
    for n in range(1, 12):
        site.portal.serve(f"/chain/{n}.xml", sitemap_index([f"{site.portal.url}/chain/{n + 1}.xml"]),
                          "application/xml")
    message = failure(run_job(ctx, site_source(site.portal.url + "/chain/1.xml", max_sitemaps=5), full=True))
    assert "more than 5 sitemaps (source option max_sitemaps)" in message
    assert record_graphs(ctx, "site") == before


def test_a_sitemap_past_the_size_cap_fails_the_gather(tmp_path: Path, portal: FixturePortal) -> None:
    context = Context(make_settings(tmp_path / "data", http_max_bytes=64 * 1024))

    def endless() -> Iterator[bytes]:
        yield f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}">'.encode()
        n = 0
        while True:
            n += 1
            yield f"<url><loc>{portal.url}/dataset/{n}.html</loc></url>".encode()

    try:
        portal.serve("/sitemap.xml", endless, "application/xml")
        message = failure(harvest(context, portal.url + "/sitemap.xml"))
        assert "more than 65,536 bytes" in message
    finally:
        context.close()


# --- small pieces -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("1024", 1024), ("1,024", 1024), ("1.5 MB", 1572864), ("12KB", 12288), ("2 GiB", 2 * 1024 ** 3),
    ("300 字节", 300), ("large", None), ("", None)])
def test_content_sizes_are_read_as_bytes(text: str, expected: int | None) -> None:
    assert byte_size(text) == expected


def test_a_geoshape_box_is_a_wkt_polygon_and_a_bad_one_is_none() -> None:
    assert box_wkt(JINAN_BOX) == "POLYGON((116.19 36.02, 117.73 36.02, 117.73 37.54, 116.19 37.54, 116.19 36.02))"
    assert box_wkt("36 116 37") is None and box_wkt("95 0 96 1") is None


def test_one_dataset_marked_up_twice_is_one_record(portal: FixturePortal) -> None:
    f = facts(generate_package(4))
    document = {k: v for k, v in json_ld_dataset(f, "").items() if k != "@id"}
    body = microdata_dataset(f, "").replace(' itemid="#dataset"', "")
    script = f'<script type="application/ld+json">{json.dumps(document, ensure_ascii=False)}</script>'
    url = portal.serve("/twice.html", page_html(f["name"], body, script).encode("utf-8"), HTML)
    refs = gathered(portal.url, urls=[url])
    assert [r.remote_id for r in refs] == [url]
    assert refs[0].payload["dataset"]["name"] == [f["name"]]


class RecordingClient(PoliteClient):
    """A polite client that notes every URL it is asked for."""

    def __init__(self) -> None:
        super().__init__(retries=0)
        self.urls: list[str] = []

    def get(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
            conditional: bool = False) -> Any:
        self.urls.append(url)
        return super().get(url, params=params, headers=headers, conditional=conditional)


def test_graphs_arrays_main_entities_and_references_are_read_without_fetching_any_context(
        portal: FixturePortal) -> None:
    f = facts(generate_package(6))
    dataset = {k: v for k, v in json_ld_dataset(f, "").items() if k not in ("@context", "@id", "publisher")}
    publisher = {"@id": "#org", "@type": "GovernmentOrganization", "name": f["publisher"],
                 "email": f["email"]}
    graph = {"@context": ["https://schema.org/", {"spdx": "http://spdx.org/rdf/terms#"}],
             "@graph": [publisher, {**dataset, "@id": "#data", "publisher": {"@id": "#org"}}]}
    array = [{"@context": "http://schema.org", "@type": "WebPage", "name": "数据详情页",
              "mainEntity": {**{f"schema:{k}": v for k, v in dataset.items() if k != "@type"},
                             "@type": "schema:Dataset"}}]
    urls = [portal.serve("/graph.html", json_ld_page("graph", graph).encode("utf-8"), HTML),
            portal.serve("/array.html", json_ld_page("array", array).encode("utf-8"), HTML)]
    client = RecordingClient()
    try:
        refs = list(SchemaOrgSource(site_source(portal.url, urls=urls), client, None).gather(None))
    finally:
        client.close()
    assert [r.remote_id for r in refs] == [urls[0] + "#data", urls[1]]
    assert all(url.startswith(portal.url) for url in client.urls)
    resolved = refs[0].payload["dataset"]["publisher"][0]
    assert resolved["name"] == [f["publisher"]] and resolved["email"] == [f["email"]]
    for ref in refs:
        ctx = MapContext("https://cat.example", "site", "k", "https://cat.example/dataset/site/k")
        SCHEMAORG_MAPPING.apply(ref.payload, ctx)
        assert ("<https://cat.example/dataset/site/k>", f"<{DCT}title>", f'"{f["name"]}"@zh') in ctx.triples
