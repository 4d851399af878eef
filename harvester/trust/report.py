"""What operators see of trust, per source: records withheld from the public, personal data found and redacted,
department names the curated list does not know, and datasets also published on other portals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harvester.index import SearchQuery
from harvester.trust.departments import department
from harvester.trust.assess import RuleFailure, failing_rules
from harvester.trust.register import PrivacyFlag, QualityPoint, WithheldRecord

#: records listed per kind on a page (the counts are exact)
LISTED = 50


@dataclass
class TrustReport:
    source_id: str
    withheld: list[WithheldRecord] = field(default_factory=list)
    withheld_count: int = 0
    privacy: list[PrivacyFlag] = field(default_factory=list)
    privacy_counts: dict[str, int] = field(default_factory=dict)
    #: published department names the curated list (vocab/departments) does not know → datasets
    unmatched_departments: list[tuple[str, int]] = field(default_factory=list)
    #: datasets of this source also published on another portal
    duplicates: int = 0
    #: records validated, and those failing DCAT-AP 3 SHACL, with the failing rules (most frequent first)
    validated: int = 0
    failing: int = 0
    rules: list[RuleFailure] = field(default_factory=list)
    #: quality after each assessment run, oldest first; the latest band counts
    trend: list[QualityPoint] = field(default_factory=list)


def trust_report(ctx: Any, source_id: str) -> TrustReport:
    trust = ctx.trust
    publishers = ctx.index.search(SearchQuery(filters={"source": [source_id]}, per_page=1, facet_limit=1000))
    clustered = ctx.trust.cluster_members()
    return TrustReport(
        source_id=source_id,
        withheld=trust.withheld(source_id, limit=LISTED), withheld_count=trust.withheld_count(source_id),
        privacy=trust.flags(source_id, limit=LISTED), privacy_counts=trust.flag_counts(source_id),
        unmatched_departments=[(name, n) for name, n in publishers.facets.get("publisher", [])
                               if department(name) is None],
        duplicates=sum(1 for member in clustered if member.partition("/")[0] == source_id),
        rules=failing_rules(ctx, source_id), trend=trust.quality_history(source_id),
        **_validation_counts(trust.assessments(source_id)),
    )


def _validation_counts(rows: list[Any]) -> dict[str, int]:
    return {"validated": len(rows), "failing": sum(1 for a in rows if not a.conforms)}
