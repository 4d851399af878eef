"""Link-check runs: check the due access and download URLs of a source's records, then re-score those records.

A run takes the URLs of the source's stored records (harvester.trust.quality.link_urls), checks those not
checked within ``trust.link_max_age_hours`` through the polite client (robots.txt, the source's pacing), for
at most ``trust.link_check_budget`` seconds, and re-assesses the records whose URLs it checked, so their MQA
accessibility points follow. ``harvester links check`` runs it; ``harvester serve`` runs it for every source
every ``trust.link_check_every`` (empty: never).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from harvester.http.client import PoliteClient
from harvester.trust.assess import AssessResult, assess
from harvester.trust.links import LinkChecker
from harvester.trust.quality import link_urls


@dataclass
class LinkRun:
    source_id: str
    checked: int
    broken: int
    reassessed: AssessResult | None


def link_checker(ctx: Any, source: Any = None) -> LinkChecker:
    """The checker of this data folder (``links.db``), with a client paced as the source's harvests are."""
    return LinkChecker(PoliteClient.from_settings(ctx.settings, source), ctx.settings.data_dir / "links.db")


def stored_links(ctx: Any, source_id: str) -> dict[str, list[str]]:
    """Record key → its access and download URLs."""
    found = {}
    for graph, triples in ctx.store.iter_graphs(ctx.iris.graph_prefix(source_id)):
        split = ctx.iris.split_graph(graph)
        if split is not None:
            found[split[1]] = link_urls(triples, ctx.iris.dataset(*split))
    return found


def check_links(ctx: Any, source_id: str, budget: float | None = None) -> LinkRun:
    settings = ctx.settings
    budget = float(settings["trust.link_check_budget"]) if budget is None else budget
    by_record = stored_links(ctx, source_id)
    checker = link_checker(ctx, ctx.source(source_id))
    try:
        due = checker.due([u for urls in by_record.values() for u in urls],
                          timedelta(hours=float(settings["trust.link_max_age_hours"])))
        answers = checker.check(due, stop_after=budget or None)
        checked = set(answers)
        keys = {key for key, urls in by_record.items() if checked.intersection(urls)}
        reassessed = assess(ctx, source_id, keys=keys, links=checker) if keys else None
    finally:
        checker.close()
        checker.client.close()
    broken = sum(1 for status in answers.values() if status is None or not 200 <= status < 300)
    return LinkRun(source_id, len(answers), broken, reassessed)
