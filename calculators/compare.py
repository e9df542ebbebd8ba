"""One achievement (or a portfolio) priced in several cities on one day, ranked.

Ranking: cities whose cited policies are in force on `as_of` first, then by the amount they pay
(the total after each city's own caps), then the rest (expired / not yet in force), greyed by the
faces. A city that pays nothing for the achievements comes last. Every row keeps its Estimate, so
each amount is cited like any other.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from calculators.engine import estimate
from calculators.models import Basis, Citation, Estimate, PolicyStatus
from knowledge.regions import money_regions, resolve_region


class ComparisonRow(BaseModel):
    city: str
    city_name: str
    total_yuan: int  # what the city's clauses pay (after its caps), whatever the policy's status
    total_basis: Basis
    total_in_force_yuan: int
    policy_status: PolicyStatus | None  # of the cited policies: in_force only if all are
    covered: bool  # some clause of the city pays for the achievements
    articles: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    estimate: Estimate


class Comparison(BaseModel):
    as_of: str
    rows: list[ComparisonRow]


def _status(est: Estimate) -> PolicyStatus | None:
    statuses = {i.policy_status for i in est.items if i.covered and i.policy_status}
    if not statuses:
        return None
    if statuses == {"in_force"}:
        return "in_force"
    return "expired" if "expired" in statuses else "not_yet_in_force"


def _row(est: Estimate) -> ComparisonRow:
    covered = [i for i in est.items if i.covered]
    citations: dict[tuple[str, str], Citation] = {}
    for item in covered:
        if item.citation is not None:
            citations.setdefault((item.citation.document, item.citation.article), item.citation)
    return ComparisonRow(
        city=est.city,
        city_name=est.city_name,
        total_yuan=est.total_yuan,
        total_basis=est.total_basis,
        total_in_force_yuan=est.total_in_force_yuan,
        policy_status=_status(est),
        covered=bool(covered) and est.total_yuan > 0,
        articles=list(dict.fromkeys(c.article for c in citations.values())),
        citations=list(citations.values()),
        estimate=est,
    )


def rank_key(row: ComparisonRow) -> tuple[int, int]:
    """In force first, then by amount; a city paying nothing last."""
    if not row.covered:
        return (2, 0)
    return (0 if row.policy_status == "in_force" else 1, -row.total_yuan)


def compare(
    achievements: list[dict[str, Any]], cities: list[str] | None = None, as_of: str | None = None
) -> Comparison:
    """Price `achievements` in each of `cities` (default: every city whose policies set amounts)."""
    ids = [resolve_region(c).id for c in cities] if cities else [r.id for r in money_regions()]
    ids = list(dict.fromkeys(ids))
    when = {"as_of": as_of} if as_of else {}
    rows = [_row(estimate({"city": c, **when, "achievements": achievements})) for c in ids]
    rows.sort(key=rank_key)  # stable: ties keep the order the cities were named in
    day = rows[0].estimate.as_of if rows else (as_of or "")
    return Comparison(as_of=day, rows=rows)
