"""Mapping benchmark: CKAN package → DCAT-AP 3 record, ours against an rdflib graph-building baseline.

    python -m tests.benchmarks.mapping [--packages 5000] [--baseline-packages 1000] [--runs 3] [--profile]

The packages are the demo portal's generated ones (harvester.demo.generator), as JSON bytes, the way the
harvest hands them to the mapping worker. Three paths are timed in one process, datasets/s (wall and CPU),
and ``map_task`` again on every core:

- ``map_task``: what a harvest runs per record (harvester.mapping.worker: the YAML mapping, privacy redaction,
  catalog record, MQA quality measurements, search document, duplicate match keys, N-Triples text);
- ``engine``: the mapping alone (``Mapping.apply``) and its N-Triples text;
- ``rdflib``: the baseline, written the way ckanext-dcat's profiles do it: one ``rdflib.Graph`` per dataset,
  filled field by field with rdflib terms, serialised to Turtle;
- ``map_task`` on every core: the same tasks (500 packages each) through the harvest's own ``Mapper`` with one
  worker process per core, payloads and results pickled across as in a harvest (wall clock only).

``--profile`` runs cProfile over ``map_task`` and prints where the time goes. Not part of the test run.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import statistics
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import orjson
import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, XSD, Namespace

from harvester.dcat.rdf import to_ntriples
from harvester.demo.generator import generate_package
from harvester.mapping.emitters import MapContext
from harvester.mapping.engine import load_mapping
from harvester.mapping.worker import Mapper, MapItem, MapTask, map_task
from harvester.model import Source

BASE = "https://data.example.cn"
SOURCE = Source("bench", "ckan", "http://127.0.0.1:5000", "benchmark portal")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
#: the functions worker._map_one calls, by stage, for the profile's split
STAGES = {
    "orjson.loads": ("<orjson.loads>",),
    "mapping (Mapping.apply)": ("engine.py(apply)",),
    "privacy redaction": ("privacy.py(redact_record)",),
    "catalog record": ("record.py(catalog_record_triples)",),
    "quality (measure, dqv_triples)": ("quality.py(measure)", "dqv.py(dqv_triples)"),
    "search document": ("docs.py(doc_from_triples)",),
    "duplicate match keys": ("duplicates.py(match_keys)",),
    "N-Triples text": ("rdf.py(to_ntriples)",),
}


def generate_bodies(count: int, seed: int = 1) -> list[tuple[dict[str, Any], bytes]]:
    """(package, canonical JSON) pairs, as the harvest hashes and hands them on."""
    out = []
    for index in range(count):
        package = generate_package(index, seed)
        out.append((package, orjson.dumps(package, option=orjson.OPT_SORT_KEYS)))
    return out


def ours_task(bodies: list[tuple[dict[str, Any], bytes]]) -> MapTask:
    items = [MapItem(p["id"], p["name"], body, hashlib.sha1(body).hexdigest(), f"{SOURCE.url}/dataset/{p['name']}")
             for p, body in bodies]
    return MapTask("ckan", BASE, SOURCE, datetime.now(timezone.utc), items)


def run_map_task(bodies: list[tuple[dict[str, Any], bytes]]) -> int:
    """Triples written for all packages by map_task."""
    mapped = map_task(ours_task(bodies))
    assert not any(m.error for m in mapped), next(m.error for m in mapped if m.error)
    return sum(m.ntriples.count("\n") for m in mapped)


def run_engine(bodies: list[tuple[dict[str, Any], bytes]]) -> int:
    mapping = load_mapping("ckan")
    triples = 0
    for package, body in bodies:
        key = package["name"]
        ctx = MapContext(BASE, SOURCE.id, key, f"{BASE}/dataset/{SOURCE.id}/{key}")
        mapping.apply(orjson.loads(body), ctx)
        triples += to_ntriples(ctx.triples).count("\n")
    return triples


# --- the baseline: ckanext-dcat's way ------------------------------------------------------------


def run_rdflib(bodies: list[tuple[dict[str, Any], bytes]]) -> int:
    triples = 0
    for _, body in bodies:
        graph = graph_from_package(json.loads(body))
        graph.serialize(format="turtle")
        triples += len(graph)
    return triples


def graph_from_package(package: dict[str, Any]) -> Graph:
    """One dataset's graph as ckanext-dcat's euro_dcat_ap profile builds it (graph_from_dataset)."""
    g = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("skos", SKOS),
                              ("spdx", SPDX), ("adms", ADMS), ("locn", LOCN), ("owl", OWL)):
        g.bind(prefix, namespace)
    extras = {e["key"]: e["value"] for e in package.get("extras", [])}
    dataset = URIRef(f"{BASE}/dataset/{package['id']}")
    g.add((dataset, RDF.type, DCAT.Dataset))
    _add_triples_from_dict(g, package, dataset, [
        ("title", DCTERMS.title), ("notes", DCTERMS.description), ("version", OWL.versionInfo),
        ("id", DCTERMS.identifier)])
    for language, title in (package.get("title_translated") or {}).items():
        g.add((dataset, DCTERMS.title, Literal(title, lang=language)))
    for tag in package.get("tags", []):
        g.add((dataset, DCAT.keyword, Literal(tag["name"])))
    if package.get("url"):
        g.add((dataset, DCAT.landingPage, URIRef(package["url"])))
    _add_date_triple(g, dataset, DCTERMS.issued, package.get("metadata_created"))
    _add_date_triple(g, dataset, DCTERMS.modified, package.get("metadata_modified"))
    for key, predicate in (("frequency", DCTERMS.accrualPeriodicity), ("更新频率", DCTERMS.accrualPeriodicity),
                           ("开放类型", DCTERMS.accessRights), ("language", DCTERMS.language),
                           ("资源代码", ADMS.identifier)):
        if extras.get(key):
            g.add((dataset, predicate, Literal(extras[key])))
    for group in package.get("groups", []):
        g.add((dataset, DCAT.theme, URIRef(f"{BASE}/group/{group['name']}")))
    _add_publisher(g, dataset, package)
    _add_contact(g, dataset, package, extras)
    _add_spatial_temporal(g, dataset, extras)
    if package.get("license_url"):
        g.add((dataset, DCTERMS.license, URIRef(package["license_url"])))
    for resource in package.get("resources", []):
        _add_distribution(g, dataset, resource, package)
    return g


def _add_triples_from_dict(g: Graph, source: dict[str, Any], subject: URIRef,
                           items: list[tuple[str, URIRef]]) -> None:
    for key, predicate in items:
        if source.get(key):
            g.add((subject, predicate, Literal(source[key])))


def _add_date_triple(g: Graph, subject: URIRef | BNode, predicate: URIRef, value: str | None) -> None:
    if value:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
        g.add((subject, predicate, Literal(parsed.isoformat(), datatype=XSD.dateTime)))


def _add_publisher(g: Graph, dataset: URIRef, package: dict[str, Any]) -> None:
    org = package.get("organization") or {}
    publisher = URIRef(f"{BASE}/organization/{org.get('id')}")
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Literal(org.get("title", ""))))
    if org.get("description"):
        g.add((publisher, DCTERMS.description, Literal(org["description"])))


def _add_contact(g: Graph, dataset: URIRef, package: dict[str, Any], extras: dict[str, str]) -> None:
    contact = BNode()
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(package.get("maintainer") or package.get("author") or "")))
    email = package.get("maintainer_email") or package.get("author_email")
    if email:
        g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    if extras.get("联系电话"):
        g.add((contact, VCARD.hasTelephone, URIRef(f"tel:{extras['联系电话']}")))


def _add_spatial_temporal(g: Graph, dataset: URIRef, extras: dict[str, str]) -> None:
    place = extras.get("空间范围") or extras.get("spatial")
    if place:
        location = BNode()
        g.add((dataset, DCTERMS.spatial, location))
        g.add((location, RDF.type, DCTERMS.Location))
        g.add((location, SKOS.prefLabel, Literal(place)))
    if extras.get("时间范围"):
        start, _, end = extras["时间范围"].partition("/")
        period = BNode()
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))


def _add_distribution(g: Graph, dataset: URIRef, resource: dict[str, Any], package: dict[str, Any]) -> None:
    distribution = URIRef(f"{BASE}/dataset/{package['id']}/resource/{resource['id']}")
    g.add((dataset, DCAT.distribution, distribution))
    g.add((distribution, RDF.type, DCAT.Distribution))
    _add_triples_from_dict(g, resource, distribution, [
        ("name", DCTERMS.title), ("description", DCTERMS.description), ("format", DCTERMS.format),
        ("mimetype", DCAT.mediaType)])
    if resource.get("url"):
        g.add((distribution, DCAT.accessURL, URIRef(resource["url"])))
        g.add((distribution, DCAT.downloadURL, URIRef(resource["url"])))
    if package.get("license_url"):
        g.add((distribution, DCTERMS.license, URIRef(package["license_url"])))
    if resource.get("size"):
        g.add((distribution, DCAT.byteSize, Literal(resource["size"], datatype=XSD.nonNegativeInteger)))
    _add_date_triple(g, distribution, DCTERMS.issued, resource.get("created"))
    _add_date_triple(g, distribution, DCTERMS.modified, resource.get("last_modified"))
    if resource.get("hash"):
        checksum = BNode()
        g.add((distribution, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.checksumValue, Literal(resource["hash"], datatype=XSD.hexBinary)))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))


# --- timing --------------------------------------------------------------------------------------


def time_path(run: Callable[[list[tuple[dict[str, Any], bytes]]], int], bodies: list[tuple[dict[str, Any], bytes]],
              runs: int) -> dict[str, float]:
    """Median datasets/s (wall and CPU) of ``runs`` passes over ``bodies``, after a short warm-up."""
    run(bodies[:50])
    walls, cpus, triples = [], [], 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        triples = run(bodies)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"datasets": len(bodies), "runs": runs, "datasets_per_s": round(len(bodies) / statistics.median(walls)),
            "cpu_datasets_per_s": round(len(bodies) / statistics.median(cpus)),
            "all_datasets_per_s": [round(len(bodies) / w) for w in walls],
            "triples_per_dataset": round(triples / len(bodies), 1), "load_1min": os.getloadavg()[0]}


def time_workers(bodies: list[tuple[dict[str, Any], bytes]], runs: int, workers: int,
                 per_task: int = 500) -> dict[str, Any]:
    """Median datasets/s (wall) of ``runs`` passes of ``map_task`` over ``bodies`` on ``workers`` processes."""
    whole = ours_task(bodies)
    tasks = [replace(whole, items=whole.items[i:i + per_task]) for i in range(0, len(whole.items), per_task)]
    mapper = Mapper(workers)
    try:
        warm = [mapper.submit(replace(whole, items=whole.items[:20])) for _ in range(workers * 2)]
        for future in warm:  # every worker started, its mapping loaded
            future.result()
        walls = []
        for _ in range(runs):
            wall = time.perf_counter()
            mapped = [m for future in [mapper.submit(t) for t in tasks] for m in future.result()]
            walls.append(time.perf_counter() - wall)
            assert len(mapped) == len(bodies) and not any(m.error for m in mapped)
    finally:
        mapper.close()
    return {"datasets": len(bodies), "runs": runs, "workers": workers,
            "datasets_per_s": round(len(bodies) / statistics.median(walls)),
            "all_datasets_per_s": [round(len(bodies) / w) for w in walls], "load_1min": os.getloadavg()[0]}


def run(packages: int, baseline_packages: int, runs: int) -> dict[str, Any]:
    bodies = generate_bodies(max(packages, baseline_packages))
    results: dict[str, Any] = {
        "map_task": time_path(run_map_task, bodies[:packages], runs),
        "engine": time_path(run_engine, bodies[:packages], runs),
        "rdflib": time_path(run_rdflib, bodies[:baseline_packages], runs),
        "map_task_all_cores": time_workers(bodies[:packages], runs, os.cpu_count() or 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "rdflib": rdflib.__version__},
    }
    baseline = results["rdflib"]["datasets_per_s"]
    results["ratio_map_task"] = round(results["map_task"]["datasets_per_s"] / baseline, 1)
    results["ratio_engine"] = round(results["engine"]["datasets_per_s"] / baseline, 1)
    return results


def profile(packages: int = 2000, top: int = 25) -> dict[str, Any]:
    """cProfile of map_task over ``packages`` packages: the share of each stage and the top functions."""
    task = ours_task(generate_bodies(packages))
    map_task(MapTask(task.mapping, task.base, task.source, task.harvested, task.items[:50]))
    profiler = cProfile.Profile()
    profiler.runcall(map_task, task)
    stats = pstats.Stats(profiler)
    total = max(row[3] for row in stats.stats.values())  # type: ignore[attr-defined]
    stages = {stage: sum(row[3] for func, row in stats.stats.items()  # type: ignore[attr-defined]
                         if _label(func) in names) for stage, names in STAGES.items()}
    text = io.StringIO()
    stats.stream = text  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    return {"packages": packages, "seconds_profiled": round(total, 2),
            "stages_share": {k: round(v / total, 3) for k, v in stages.items()}, "top": text.getvalue()}


def _label(func: tuple[str, int, str]) -> str:
    filename, _, name = func
    return f"{os.path.basename(filename)}({name})" if filename != "~" else name


def print_results(results: dict[str, Any]) -> None:
    print(f"{'path':<10}{'datasets/s':>12}{'CPU-bound /s':>14}{'triples':>9}")
    for path in ("map_task", "engine", "rdflib"):
        row = results[path]
        print(f"{path:<10}{row['datasets_per_s']:>12,}{row['cpu_datasets_per_s']:>14,}{row['triples_per_dataset']:>9}")
    print(f"map_task is {results['ratio_map_task']}× the rdflib baseline, the engine alone "
          f"{results['ratio_engine']}×")
    cores = results.get("map_task_all_cores")
    if cores:
        print(f"map_task on {cores['workers']} worker processes (the harvest's Mapper): "
              f"{cores['datasets_per_s']:,} datasets/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000, help="packages mapped by our paths per run")
    parser.add_argument("--baseline-packages", type=int, default=1000, help="packages mapped by the baseline")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile map_task over 2,000 packages instead")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file (default bench-results/…)")
    args = parser.parse_args()
    if args.profile:
        found = profile()
        print(found["top"])
        for stage, share in found["stages_share"].items():
            print(f"  {stage:<26}{share:>7.1%}")
        return
    results = run(args.packages, args.baseline_packages, args.runs)
    print_results(results)
    out = args.out or Path("bench-results") / f"mapping-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
