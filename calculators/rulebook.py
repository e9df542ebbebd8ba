"""Rules as data: one YAML file per city under calculators/rules/, loaded into typed records.

The engine (calculators.engine) knows no city; everything city-specific is in these files.
See calculators/rules/README.md for the file format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from knowledge.yaml_data import load_yaml

RULES_PACKAGE = "calculators"
RULES_DIR = "rules"


class RuleFileError(Exception):
    """A rule file is malformed: a bug in the data, not a user mistake."""


@dataclass(frozen=True)
class Quote:
    document: str  # document id (knowledge corpus)
    article: str
    quote: str


@dataclass(frozen=True)
class Rule:
    id: str
    document: str
    article: str
    quote: str
    when: dict[str, tuple[Any, ...]]
    basis: str
    amount_yuan: int | None = None  # base rules
    quote_amount: str | None = None  # the text in `quote` that states the amount
    derive_from: str | None = None  # derived rules: another rule's id
    factor: Decimal | None = None
    quote_factor: str | None = None  # the text in `quote` that states the factor
    per_unit: bool = True  # amount × count
    category: str | None = None
    apply: str | None = None  # key into the city's `apply` table
    notes: tuple[str, ...] = ()
    reading: str | None = None  # how an ambiguous text was read, and why

    def matches(self, fields: dict[str, Any]) -> bool:
        return all(fields.get(name) in allowed for name, allowed in self.when.items())

    @property
    def specificity(self) -> int:
        return len(self.when)


@dataclass(frozen=True)
class Cap:
    id: str
    kind: str  # annual_total | highest_only | max_categories | max_units_per_class
    document: str
    article: str
    quote: str
    description: str
    select: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    exclude: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    rules: tuple[str, ...] = ()  # rule-id prefixes the cap covers (empty = any)
    limit_yuan: int | None = None
    raised_limit_yuan: int | None = None  # annual_total: limit when an item matches `raised_if`
    raised_if: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    limit: int | None = None  # max_categories / max_units_per_class
    group_by: tuple[str, ...] = ()  # highest_only / max_units_per_class
    reading: str | None = None

    def selects(self, rule: Rule, fields: dict[str, Any]) -> bool:
        if self.rules and not any(rule.id.startswith(prefix) for prefix in self.rules):
            return False
        if not all(fields.get(k) in v for k, v in self.select.items()):
            return False
        return not (self.exclude and all(fields.get(k) in v for k, v in self.exclude.items()))


@dataclass(frozen=True)
class Uncovered:
    """An achievement the documents do not pay for, with the reading that says so."""

    when: dict[str, tuple[Any, ...]]
    reading: str
    document: str | None = None
    article: str | None = None
    quote: str | None = None

    def matches(self, fields: dict[str, Any]) -> bool:
        return all(fields.get(name) in allowed for name, allowed in self.when.items())


@dataclass(frozen=True)
class ApplyTable:
    window: str | None = None
    deadline: str | None = None
    office: str | None = None
    materials: tuple[str, ...] = ()
    citations: tuple[Quote, ...] = ()


@dataclass(frozen=True)
class CityRules:
    city: str
    verified_on: str
    compilation: str
    policies_as_of: str
    documents: dict[str, str]  # id -> official title
    rules: tuple[Rule, ...]
    caps: tuple[Cap, ...]
    apply: dict[str, ApplyTable]
    notes: tuple[Quote, ...]  # city-wide notes: facts the calculator cannot know
    conditions: tuple[Quote, ...]  # cities without amounts: qualification conditions, non-cash incentives
    out_of_scope: tuple[tuple[Quote, str], ...] = ()  # amounts in the text deliberately not encoded, with why
    uncovered: tuple[Uncovered, ...] = ()  # achievements the text deliberately does not pay, with why

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _as_tuple_map(raw: dict[str, Any] | None) -> dict[str, tuple[Any, ...]]:
    return {k: tuple(v) if isinstance(v, list) else (v,) for k, v in (raw or {}).items()}


def _quote(raw: dict[str, Any]) -> Quote:
    return Quote(document=raw["document"], article=str(raw["article"]), quote=raw["quote"])


def _rule(raw: dict[str, Any], where: str) -> Rule:
    derive = raw.get("derive") or {}
    try:
        return Rule(
            id=raw["id"],
            document=raw["document"],
            article=str(raw["article"]),
            quote=raw["quote"],
            when=_as_tuple_map(raw["when"]),
            basis=raw.get("basis", ""),
            amount_yuan=raw.get("amount_yuan"),
            quote_amount=raw.get("quote_amount"),
            derive_from=derive.get("from"),
            factor=Decimal(str(derive["factor"])) if "factor" in derive else None,
            quote_factor=raw.get("quote_factor"),
            per_unit=raw.get("per_unit", True),
            category=raw.get("category"),
            apply=raw.get("apply"),
            notes=tuple(raw.get("notes", [])),
            reading=raw.get("reading"),
        )
    except KeyError as missing:
        raise RuleFileError(f"{where}: rule {raw.get('id', '?')} lacks {missing}") from None


def _cap(raw: dict[str, Any], where: str) -> Cap:
    try:
        return Cap(
            id=raw["id"],
            kind=raw["kind"],
            document=raw["document"],
            article=str(raw["article"]),
            quote=raw["quote"],
            description=raw["description"],
            select=_as_tuple_map(raw.get("select")),
            exclude=_as_tuple_map(raw.get("exclude")),
            rules=tuple(raw.get("rules", [])),
            limit_yuan=raw.get("limit_yuan"),
            raised_limit_yuan=raw.get("raised_limit_yuan"),
            raised_if=_as_tuple_map(raw.get("raised_if")),
            limit=raw.get("limit"),
            group_by=tuple(raw.get("group_by", [])),
            reading=raw.get("reading"),
        )
    except KeyError as missing:
        raise RuleFileError(f"{where}: cap {raw.get('id', '?')} lacks {missing}") from None


def _apply_table(raw: dict[str, Any]) -> ApplyTable:
    return ApplyTable(
        window=raw.get("window"),
        deadline=raw.get("deadline"),
        office=raw.get("office"),
        materials=tuple(raw.get("materials", [])),
        citations=tuple(_quote(c) for c in raw.get("citations", [])),
    )


def parse_city_file(text: str, where: str) -> CityRules:
    raw = load_yaml(text)
    if not isinstance(raw, dict) or "city" not in raw:
        raise RuleFileError(f"{where}: not a city rule file")
    rules = tuple(_rule(r, where) for r in raw.get("rules", []))
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuleFileError(f"{where}: duplicate rule ids {sorted(dupes)}")
    known = set(ids)
    for rule in rules:
        if rule.derive_from and rule.derive_from not in known:
            raise RuleFileError(f"{where}: {rule.id} derives from unknown {rule.derive_from}")
        if rule.derive_from is None and rule.amount_yuan is None:
            raise RuleFileError(f"{where}: {rule.id} has neither amount_yuan nor derive")
        if rule.basis not in ("fixed", "up_to", "") or (rule.derive_from is None and not rule.basis):
            raise RuleFileError(f"{where}: {rule.id} has basis {rule.basis!r}")
    return CityRules(
        city=raw["city"],
        verified_on=str(raw.get("verified_on", "")),
        compilation=raw.get("compilation", ""),
        policies_as_of=str(raw.get("policies_as_of", "")),
        documents=dict(raw.get("documents", {})),
        rules=rules,
        caps=tuple(_cap(c, where) for c in raw.get("caps", [])),
        apply={k: _apply_table(v) for k, v in (raw.get("apply") or {}).items()},
        notes=tuple(_quote(n) for n in raw.get("notes", [])),
        conditions=tuple(_quote(c) for c in raw.get("conditions", [])),
        out_of_scope=tuple((_quote(o), o["reason"]) for o in raw.get("out_of_scope", [])),
        uncovered=tuple(
            Uncovered(
                when=_as_tuple_map(u["when"]),
                reading=u["reading"],
                document=u.get("document"),
                article=str(u["article"]) if u.get("article") else None,
                quote=u.get("quote"),
            )
            for u in raw.get("uncovered", [])
        ),
    )


@cache
def load_city_rules(city_id: str) -> CityRules | None:
    path = resources.files(RULES_PACKAGE).joinpath(f"{RULES_DIR}/{city_id}.yaml")
    if not path.is_file():
        return None
    return parse_city_file(path.read_text("utf-8"), f"{RULES_DIR}/{city_id}.yaml")


@cache
def all_city_rules() -> tuple[CityRules, ...]:
    folder = resources.files(RULES_PACKAGE).joinpath(RULES_DIR)
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            city = load_city_rules(entry.name[: -len(".yaml")])
            if city is not None:
                found.append(city)
    return tuple(found)
