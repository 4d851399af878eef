"""Assessing stored records: DCAT-AP 3 SHACL validation and the full MQA score, for changed records only.

Mapping already scores every record (without the two indicators that need more than the record: DCAT-AP
compliance and URL accessibility). ``assess`` completes the score of the records whose content changed since
their last assessment (or all of them, ``force``, or the ones whose URLs were just checked, ``keys``):

1. validates the record graph with the official DCAT-AP 3.0.1 shapes (harvester.dcat.validate);
2. measures the MQA score with that result and the link checker's URL statuses (harvester.trust.links);
3. rewrites the record's DQV measurements in its graph (the dimensions, total and rating, plus the
   ``pv:dcatApCompliance`` measurement: true or false), and its search document;
4. keeps the violations per record in trust.db, for operators (which rules fail, how often, examples).

It runs after every harvest of a source (in the harvest's slot, so no job of that source writes meanwhile),
from ``harvester validate``, and after link checks.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from harvester.dcat.rdf import XSD, A, Triple, term, to_ntriples
from harvester.dcat.validate import validate_ntriples
from harvester.index.docs import doc_from_triples
from harvester.store import GraphWrite
from harvester.trust.dqv import dqv_triples
from harvester.trust.quality import PV, link_urls, measure
from harvester.trust.register import Assessment

log = logging.getLogger(__name__)

#: records read, validated and written back per store write
BATCH = 100
_COMPLIANCE = f"<{PV}dcatApCompliance>"
#: violations kept per record (a broken record can have hundreds; operators need the kinds, not all of them)
MAX_VIOLATIONS = 20


@dataclass
class AssessResult:
    source_id: str
    assessed: int = 0
    failing: int = 0
    bands: dict[str, int] = field(default_factory=dict)
    mean_score: float = 0.0
    seconds: float = 0.0


def assess(ctx: Any, source_id: str, *, force: bool = False, keys: set[str] | None = None,
           limit: int = 0, links: Any = None) -> AssessResult:
    """Assess the source's records that changed since their last assessment (see the module docstring)."""
    started = time.monotonic()
    due = due_records(ctx, source_id, force, keys or set())
    if limit:
        due = due[:limit]
    result = AssessResult(source_id)
    hashes = {r.key: r.hash for r in ctx.state.records_of_source(source_id)}
    for start in range(0, len(due), BATCH):
        rows = _assess_batch(ctx, source_id, due[start:start + BATCH], hashes, links)
        ctx.trust.save_assessments(source_id, rows)
        result.assessed += len(rows)
        result.failing += sum(1 for a in rows if not a.conforms)
    if result.assessed:
        _record_trend(ctx, source_id, result)
    result.seconds = time.monotonic() - started
    return result


def due_records(ctx: Any, source_id: str, force: bool, keys: set[str]) -> list[str]:
    """Keys of the stored records to assess: changed since their assessment, forced, or named."""
    assessed = ctx.trust.assessed_hashes(source_id)
    withheld = ctx.trust.withheld_keys(source_id)
    return [r.key for r in ctx.state.records_of_source(source_id)
            if r.key not in withheld and (force or r.key in keys or assessed.get(r.key) != r.hash)]


def _assess_batch(ctx: Any, source_id: str, keys: list[str], hashes: dict[str, str],
                  links: Any) -> list[Assessment]:
    writes, docs, rows = [], [], []
    for key in keys:
        graph = ctx.iris.graph(source_id, key)
        triples = ctx.store.graph_triples(graph)
        if not triples:  # deleted meanwhile
            continue
        dataset = ctx.iris.dataset(source_id, key)
        record, row = assess_record(triples, dataset, links)
        writes.append(GraphWrite.of(graph, record))
        rows.append(replace(row, key=key, hash=hashes.get(key, "")))
        doc = doc_from_triples(source_id, key, record)
        old = ctx.index.get(f"{source_id}/{key}")
        if doc is not None:  # keep the duplicate mark harvester.trust.duplicates gave it
            docs.append(replace(doc, duplicate_of=old.duplicate_of) if old else doc)
    if writes:
        ctx.store.replace_graphs(writes)
        ctx.index.upsert(docs)
        ctx.index.commit()
    return rows


def assess_record(triples: list[Triple], dataset: str, links: Any = None) -> tuple[list[Triple], Assessment]:
    """The record with its measurements renewed, and its assessment (key and hash left to the caller)."""
    own = f"<{dataset}#quality-"
    base = [t for t in triples if not t[0].startswith(own)]
    report = validate_ntriples(to_ntriples(base))
    violations = [{"path": v.path or "", "message": v.message, "component": v.component or "", "focus": v.focus}
                  for v in report.violations if v.severity == "Violation"]
    conforms = not violations
    status = links.statuses(link_urls(base, dataset)) if links is not None else None
    quality = measure(base, dataset, shacl_conforms=conforms, url_status=status)
    node = f"<{dataset}#quality-dcat-ap-compliance>"
    compliance = [Triple(node, A, term("dqv:QualityMeasurement")),
                  Triple(node, term("dqv:computedOn"), f"<{dataset}>"),
                  Triple(node, term("dqv:isMeasurementOf"), _COMPLIANCE),
                  Triple(node, term("dqv:value"), f'"{str(conforms).lower()}"^^<{XSD}boolean>')]
    record = base + dqv_triples(quality, dataset, level="total") + compliance
    return record, Assessment("", "", conforms, violations[:MAX_VIOLATIONS], quality.total, quality.band)


def _record_trend(ctx: Any, source_id: str, result: AssessResult) -> None:
    """The source's quality now (every assessed record, not only this run's), kept for the operators' trend."""
    rows = ctx.trust.assessments(source_id)
    result.bands = dict(Counter(a.band for a in rows))
    result.mean_score = sum(a.score for a in rows) / len(rows) if rows else 0.0
    ctx.trust.add_quality_point(source_id, len(rows), result.mean_score, result.bands,
                                sum(1 for a in rows if not a.conforms))
    log.info("assessed %d records of %s: %d fail DCAT-AP 3 SHACL, mean MQA score %.0f",
             result.assessed, source_id, result.failing, result.mean_score)


def after_harvest(ctx: Any, source_id: str, job: Any) -> AssessResult | None:
    """Assess what a harvest changed (``trust.assess_after_harvest``); a failure here fails no harvest."""
    if not ctx.settings["trust.assess_after_harvest"] or job is None or job.status.value not in GOOD_ENDS:
        return None
    links = None
    try:
        if (ctx.settings.data_dir / "links.db").exists():
            from harvester.trust.linkrun import link_checker
            links = link_checker(ctx)
        return assess(ctx, source_id, links=links)
    except Exception:  # noqa: BLE001 - the records stay stored and scored by the mapping; the next run retries
        log.exception("assessing %s after job %s failed", source_id, job.id)
        return None
    finally:
        if links is not None:
            links.close()
            links.client.close()


#: job statuses after which the records are worth assessing
GOOD_ENDS = ("succeeded", "partial", "needs_confirmation")


@dataclass(frozen=True)
class RuleFailure:
    """One SHACL rule failing on a source's records: how often, and some records it fails on."""

    path: str
    message: str
    records: int
    examples: list[str]


def failing_rules(ctx: Any, source_id: str, examples: int = 3) -> list[RuleFailure]:
    """The rules that fail on the source's records, most frequent first."""
    counts: Counter[tuple[str, str]] = Counter()
    keys: dict[tuple[str, str], list[str]] = {}
    for row in ctx.trust.assessments(source_id):
        for rule in {(v["path"], v["message"]) for v in row.violations}:
            counts[rule] += 1
            keys.setdefault(rule, []).append(row.key)
    return [RuleFailure(path, message, n, keys[(path, message)][:examples])
            for (path, message), n in counts.most_common()]
