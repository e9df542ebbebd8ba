"""Can we (still) apply: the user's situation matched to the city's eligibility clauses.

The verdict is `no` when a clause excludes the situation (or every money document of the city has
expired on the day), `depends` when a clause reduces the award or sets a condition the message
does not settle, and `yes` when the city's policy is in force and nothing the user said is excluded
(the conditions to meet are still listed). Never an amount: the calculator gives those.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from assistant import evidence
from assistant.models import Verdict
from calculators.eligibility import EligibilityClause, clauses_for
from calculators.models import Citation
from calculators.rulebook import load_city_rules
from knowledge import corpus
from knowledge.regions import resolve_region

# 近两年 / 上一年度: how many years back an achievement may be, as a time-window clause says
_WINDOW = re.compile(r"(?:近|前)(两|二|三|五|2|3|5)年|(两|二|三|五|2|3|5)年内|上一?年度|上年")
_YEARS = {"两": 2, "二": 2, "三": 3, "五": 5, "2": 2, "3": 3, "5": 5}
MAX_CLAUSES = 5
_PREVIOUS_YEAR = re.compile(r"上一?年度|上年")
# situations whose clauses look back a number of years (近三年内因…被行政处罚): older events do not count
_RECENT_ONLY = ("penalized", "dishonest", "fraud")


@dataclass
class Finding:
    situation: str
    clause: EligibilityClause
    citation: Citation
    effect: str


@dataclass
class Assessment:
    verdict: Verdict
    city: str | None
    city_name: str | None
    status_line: str | None = None
    findings: list[Finding] = field(default_factory=list)
    conditions: list[Citation] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    window_line: str | None = None
    situations: list[str] = field(default_factory=list)


def _window_years(quote: str) -> int | None:
    found = _WINDOW.search(quote)
    if found is None:
        return None
    said = found.group(1) or found.group(2)
    return _YEARS.get(said, 2) if said else 1


def _cite(region: str, clause: EligibilityClause) -> Citation:
    return evidence.citation(
        region if region != "national" else None, clause.document, clause.article, clause.quote
    )


def _money_status(city: str, on: dt.date) -> tuple[str, str | None]:
    """in_force if one of the city's money documents is in force on the day; else its status and end."""
    rules = load_city_rules(city)
    docs = [corpus.document(d) for d in (rules.documents if rules else {})]
    if not docs:
        return "in_force", None
    statuses = [(corpus.policy_status_on(d, on), d) for d in docs]
    if any(s == "in_force" for s, _ in statuses):
        return "in_force", None
    status, doc = statuses[0]
    return status, doc.effective_to.isoformat() if doc.effective_to else None


def assess(city: str | None, situations: list[str], achieved: str | None, on: dt.date) -> Assessment:

    if city is None:
        return Assessment(verdict="depends", city=None, city_name=None, situations=situations)
    region = resolve_region(city)
    out = Assessment(verdict="yes", city=region.id, city_name=region.name, situations=situations)
    status, end = _money_status(region.id, on)
    if status == "expired":
        out.verdict = "no"
        out.status_line = (
            f"{region.name}的资助办法已失效（有效期至 {end}，按 {on.isoformat()} 计），目前不能据此申请。"
        )
    elif status == "not_yet_in_force":
        out.verdict = "no"
        out.status_line = f"{region.name}的资助办法在 {on.isoformat()} 尚未施行。"
    clauses = clauses_for(region.id)
    for situation in situations:
        own = [c for c in clauses if situation in c.situations and c.region == region.id]
        national = [c for c in clauses if situation in c.situations and c.region != region.id]
        for clause in (own or national)[:MAX_CLAUSES]:
            effect: str = clause.effect  # as the clause says, or how it applies to this case
            years = _window_years(clause.quote)
            year = int(achieved[:4]) if achieved and achieved[:4].isdigit() else None
            if situation == "time_window" and years is not None and year is not None:
                if _PREVIOUS_YEAR.search(clause.quote) and year == on.year:
                    effect = "excluded"  # 上一年度发布的: this year's standard is applied for next year
                    out.window_line = (
                        f"您的成果是 {year} 年取得的，按条文须在下一年度申报（{clause.article}）。"
                    )
                else:
                    late = on.year - year > years
                    effect = "excluded" if late else "condition"
                    out.window_line = f"您的成果取得于 {year} 年，{'已超出' if late else '仍在'}条文规定的期限内（{clause.article}）。"
            elif (
                situation in _RECENT_ONLY
                and years is not None
                and year is not None
                and on.year - year > years
            ):
                effect = "not_applicable"  # 近两年内被查处: a penalty older than that no longer counts
                out.window_line = (
                    f"所说的情形发生在 {year} 年，已超出条文所说的“近{years}年”（{clause.article}）。"
                )
            elif situation == "not_completed" and effect == "condition":
                effect = "excluded"  # the clause requires what the user says is not done yet
            out.findings.append(Finding(situation, clause, _cite(region.id, clause), effect))
    effects = {f.effect for f in out.findings} - {"not_applicable"}
    if out.verdict != "no":
        if "excluded" in effects:
            out.verdict = "no"
        elif effects & {"reduced", "condition"}:
            out.verdict = "depends"
        elif situations and not out.findings:
            out.verdict = "depends"  # a situation the texts do not address: the office decides
    out.conditions = [
        _cite(region.id, c) for c in clauses if c.effect == "condition" and c.region == region.id
    ][:MAX_CLAUSES]
    found = [f.citation for f in out.findings]
    out.citations = list({(c.article, c.quote): c for c in found + out.conditions}.values())
    return out
