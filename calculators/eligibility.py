"""Who may apply and when an application is refused: the eligibility clauses, as data.

`calculators/eligibility.yaml` lists, per region, the clauses that decide eligibility (不予受理,
不予资助, 不再重复资助, 补齐, 申报条件 …), each a verbatim quote tagged with the applicant
situations it decides and its effect: `excluded` (the application fails), `reduced` (paid less,
the difference, or only the highest) or `condition` (a requirement to meet).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from knowledge.yaml_data import load_yaml

SITUATIONS = (
    "penalized",
    "dishonest",
    "fraud",
    "prior_funding",
    "same_item_levels",
    "late",
    "not_local",
    "applicant_type",
    "time_window",
    "not_completed",
    "annual_limit",
)
Effect = Literal["excluded", "reduced", "condition"]


@dataclass(frozen=True)
class EligibilityClause:
    region: str
    document: str
    article: str
    quote: str
    situations: tuple[str, ...]
    effect: Effect
    reading: str = ""


@cache
def all_clauses() -> dict[str, tuple[EligibilityClause, ...]]:
    raw = load_yaml(resources.files("calculators").joinpath("eligibility.yaml").read_text("utf-8")) or {}
    out: dict[str, tuple[EligibilityClause, ...]] = {}
    for region, clauses in raw.items():
        parsed = []
        for i, c in enumerate(clauses):
            unknown = set(c.get("situations", ())) - set(SITUATIONS)
            if unknown or c.get("effect") not in ("excluded", "reduced", "condition"):
                raise ValueError(
                    f"eligibility.yaml: {region}[{i}] has situations {sorted(unknown)} or effect {c.get('effect')!r}"
                )
            parsed.append(
                EligibilityClause(
                    region=region,
                    document=c["document"],
                    article=str(c["article"]),
                    quote=c["quote"],
                    situations=tuple(c["situations"]),
                    effect=c["effect"],
                    reading=c.get("reading", ""),
                )
            )
        out[region] = tuple(parsed)
    return out


def clauses_for(region: str) -> tuple[EligibilityClause, ...]:
    """The region's own clauses, then the national ones."""
    table = all_clauses()
    return table.get(region, ()) + table.get("national", ())
