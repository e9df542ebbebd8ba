"""What a region pays for, read from its rule file: grouped by article, with amounts and status.

Regions whose documents set no amounts get the measures and conditions their texts offer instead
(the rule file's `conditions`), each a verbatim quote.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, Field

from calculators.achievement_types import achievement_types
from calculators.engine import clause_citation, document_status, resolve_amount, rule_basis
from calculators.models import Basis, Citation, PolicyStatus
from calculators.rulebook import AtLeast, CityRules, Rule, load_city_rules
from foundation.dates import parse_iso_date
from knowledge.regions import resolve_region


class MenuLine(BaseModel):
    description: str  # 主导 制定 国家标准
    amount_yuan: int
    basis: Basis
    rule_id: str
    plain: bool = True  # described in words (False: an open value without a Chinese label)


class MenuGroup(BaseModel):
    title: str  # 第七条 标准制修订
    article: str
    type: str
    type_label: str
    lines: list[MenuLine] = Field(default_factory=list)
    citation: Citation


class MenuDocument(BaseModel):
    id: str
    title: str
    status: PolicyStatus
    effective_from: str | None = None
    effective_to: str | None = None


class CityMenu(BaseModel):
    city: str
    city_name: str
    as_of: str
    has_amounts: bool
    documents: list[MenuDocument] = Field(default_factory=list)
    groups: list[MenuGroup] = Field(default_factory=list)
    conditions: list[Citation] = Field(default_factory=list)  # regions without amounts

    @property
    def status(self) -> PolicyStatus | None:
        """in_force when some money document is in force on the day, else the first one's status."""
        money = [d for d in self.documents if any(g.citation.document_id == d.id for g in self.groups)]
        docs = money or self.documents
        if not docs:
            return None
        if any(d.status == "in_force" for d in docs):
            return "in_force"
        return docs[0].status


def _type_of(rule: Rule) -> str:
    """The achievement type a rule pays (every rule names one: the schema checks it)."""
    condition = rule.when["type"]
    if isinstance(condition, AtLeast):
        raise TypeError(f"{rule.id}: when.type must name a type")
    return str(condition[0])


def _label(text: str) -> str:
    """An open value without a label (provincial_innovation_base) reads as words, not an identifier."""
    return text.replace("_", " ") if text.isascii() else text


def _describe(rule: Rule) -> str:
    spec = achievement_types()[_type_of(rule)]
    parts = []
    for field in spec.fields:
        values = rule.when.get(field.name)
        if isinstance(values, AtLeast):
            parts.append(f"{field.title or field.name} ≥ {values.at_least}")
        elif values:
            parts.append("/".join(_label(field.label(v)) for v in values))
    return " ".join(parts) or spec.label


def _groups(city: CityRules) -> list[MenuGroup]:
    """One group per article and category, standardization work (the contract's types) first; a
    title that does not name the kinds of achievement it pays says them (技术组织 → …秘书处)."""
    types = achievement_types()
    groups: dict[tuple[str, str], MenuGroup] = {}
    labels: dict[tuple[str, str], list[str]] = {}
    for rule in city.rules:
        type_name = _type_of(rule)
        spec = types[type_name]
        title = rule.category or f"{rule.article} {spec.label}"
        key = (rule.article, title)
        if key not in groups:
            groups[key] = MenuGroup(
                title=title,
                article=rule.article,
                type=type_name,
                type_label=spec.label,
                citation=clause_citation(city, rule),
            )
            labels[key] = []
        if spec.label not in labels[key]:
            labels[key].append(spec.label)
        description = _describe(rule)
        if type_name != groups[key].type:  # a second kind of achievement under one title
            description = f"{spec.label} {description}".strip()
        amount, _ = resolve_amount(city, rule)
        groups[key].lines.append(
            MenuLine(
                description=description,
                plain=not re.search(r"[a-z]{3,}", description),  # an unlabelled identifier reads badly
                amount_yuan=int(amount),
                basis=rule_basis(city, rule),
                rule_id=rule.id,
            )
        )
    core = {spec.label for spec in types.values() if spec.core}
    for key, group in groups.items():
        unnamed = [label for label in labels[key] if label in core and label not in group.title]
        if unnamed:
            group.title = f"{group.title}（{'、'.join(unnamed)}）"
    # standardization work first (the contract's types), then the rest in the order of the text
    return sorted(groups.values(), key=lambda g: not types[g.type].core)


def city_menu(city: str, as_of: str | dt.date | None = None) -> CityMenu:
    """Everything a region's documents pay (or, without amounts, offer), on `as_of` (default today)."""
    region = resolve_region(city)
    day = as_of if isinstance(as_of, dt.date) else parse_iso_date(as_of)
    rules = load_city_rules(region.id)
    documents = []
    for doc_id, title in (rules.documents if rules else {}).items():
        status, start, end = document_status(doc_id, day)
        documents.append(
            MenuDocument(id=doc_id, title=title, status=status, effective_from=start, effective_to=end)  # type: ignore[arg-type]
        )
    return CityMenu(
        city=region.id,
        city_name=region.name,
        as_of=day.isoformat(),
        has_amounts=region.has_amounts,
        documents=documents,
        groups=_groups(rules) if rules else [],
        conditions=[clause_citation(rules, c) for c in rules.conditions] if rules else [],
    )
