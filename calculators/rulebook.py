"""Rules as data: one YAML file per city under calculators/rules/, loaded into typed records.

The engine (calculators.engine) knows no city; everything city-specific is in these files.
The records below are the files' schema: frozen pydantic models that refuse unknown keys, so a
misspelt key (`per_units:`), an unknown cap kind or basis is an error naming its place
(`rules/x.yaml: rules[3].per_units`) when the file is loaded, not a silent default. The JSON
Schema editors use (calculators/rules/schema.json) is generated from them. See
calculators/rules/README.md for the format.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from knowledge.user_data import follows_user_data, user_data_dir
from knowledge.yaml_data import load_yaml

RULES_PACKAGE = "calculators"
RULES_DIR = "rules"

Basis = Literal["fixed", "up_to"]
Scalar = Annotated[str | StrictBool | StrictInt, Field(union_mode="left_to_right")]


class RuleFileError(Exception):
    """A rule file is malformed: a bug in the data, not a user mistake."""


class Record(BaseModel):
    """Every record of a rule file: immutable, and an unknown key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class AtLeast(Record):
    """A condition on a whole-number fact: this value or more (`drafter_rank: {at_least: 4}`)."""

    at_least: StrictInt

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= self.at_least


def _values_as_tuple(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    return {
        k: tuple(v) if isinstance(v, list) else v if isinstance(v, dict) else (v,) for k, v in raw.items()
    }


# `when`/`select` values: one value, a list of values (any of them), or {at_least: N}
Condition = tuple[Scalar, ...] | AtLeast
Conditions = Annotated[
    dict[str, Condition],
    BeforeValidator(_values_as_tuple, json_schema_input_type=dict[str, Scalar | list[Scalar] | AtLeast]),
]
Text = Annotated[str, Field(min_length=1)]
Article = Annotated[str, Field(min_length=1, description="第七条, 第八条（四）, 10. …")]


def _date_as_text(raw: Any) -> Any:
    return raw.isoformat() if isinstance(raw, dt.date) else raw


DateText = Annotated[str, BeforeValidator(_date_as_text, json_schema_input_type=str)]


def strict_matches(when: dict[str, Condition], fields: dict[str, Any]) -> bool:
    return all(fields.get(name) in allowed for name, allowed in when.items())


class Quote(Record):
    document: str = Field(description="document id of the knowledge corpus")
    article: Article
    quote: Text = Field(description="a verbatim span of the seed text (whitespace may differ)")
    reading: str | None = None


class Derive(Record):
    from_: str = Field(alias="from", description="the id of the rule this one is a percentage of")
    factor: float = Field(gt=0, description="0.5 for 50%")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


class Rule(Record):
    id: Text = Field(description="stable: city/article/type/field values")
    document: str
    article: Article
    quote: Text
    when: Conditions = Field(description="the achievement this rule pays: field → value, list or {at_least}")
    basis: Basis | None = Field(
        None, description="fixed (给予 N 万元) or up_to (不超过/最高); derived rules inherit"
    )
    amount_yuan: StrictInt | None = Field(
        None, ge=0, description="per unit (× count unless per_unit is false)"
    )
    quote_amount: str | None = Field(None, description="the words in `quote` that state amount_yuan")
    derive: Derive | None = None
    quote_factor: str | None = Field(None, description="the words in `quote` that state derive.factor")
    per_unit: StrictBool = True
    category: str | None = Field(None, description="the class max_categories and highest_only caps group by")
    apply: str | None = Field(None, description="key into the city's `apply` table (else default)")
    notes: tuple[str, ...] = ()
    reading: str | None = Field(None, description="how an ambiguous text was read, and why")
    review: Literal["needed"] | None = Field(
        None, description="`needed`: drafted by `subsidy rules draft`, a person has not checked it yet"
    )

    @property
    def derive_from(self) -> str | None:
        return self.derive.from_ if self.derive else None

    @cached_property
    def factor(self) -> Decimal | None:
        return Decimal(str(self.derive.factor)) if self.derive else None

    def matches(self, fields: dict[str, Any], refined: dict[str, str] | None = None) -> bool:
        """A condition on a fact the applicant did not state (None) is taken to hold; the engine says so.

        `refined` maps a field to the fact that refines it (role → drafter_rank): when the rule
        conditions on that fact and it is stated, the fact decides, not the field (临沂 第七条: the
        second drafter is a 参与 unit whatever the applicant called its role)."""
        for name, allowed in self.when.items():
            value = fields.get(name)
            if value is None or value in allowed:
                continue
            by = refined.get(name) if refined else None
            if by is not None and by in self.when and fields.get(by) is not None:
                continue
            return False
        return True

    @property
    def specificity(self) -> int:
        return len(self.when)

    @cached_property
    def types(self) -> tuple[str, ...]:
        """The achievement types this rule pays (`when.type`)."""
        allowed = self.when.get("type", ())
        return tuple(str(t) for t in allowed) if isinstance(allowed, tuple) else ()


class Selection(Record):
    """What a cap or an adjustment applies to: rules by id prefix, achievements by field values."""

    id: Text
    document: str
    article: Article
    quote: Text
    description: Text = Field(description="one line, shown with the effect")
    select: Conditions = Field(default_factory=dict, description="field filter (empty = all)")
    exclude: Conditions = Field(default_factory=dict, description="leave out what matches all of these")
    rules: tuple[str, ...] = Field((), description="rule-id prefixes (empty = any rule)")
    reading: str | None = None
    review: Literal["needed"] | None = Field(
        None, description="`needed`: drafted, not yet checked by a person"
    )

    def selects(self, rule: Rule, fields: dict[str, Any]) -> bool:
        if self.rules and not any(rule.id.startswith(prefix) for prefix in self.rules):
            return False
        if not strict_matches(self.select, fields):
            return False
        return not (self.exclude and strict_matches(self.exclude, fields))


class AnnualTotalCap(Selection):
    """The selected items together pay at most limit_yuan (raised_limit_yuan if an item matches raised_if)."""

    kind: Literal["annual_total"]
    limit_yuan: StrictInt = Field(ge=0)
    raised_limit_yuan: StrictInt | None = Field(None, ge=0)
    raised_if: Conditions = Field(default_factory=dict)


class HighestOnlyCap(Selection):
    """从高不重复: per group_by class, a unit of a lower item that may be the same item as a higher one is dropped."""

    kind: Literal["highest_only"]
    group_by: tuple[str, ...] = Field((), description="fields (or `category`) that form a class")


class MaxCategoriesCap(Selection):
    """At most `limit` rule categories a year; the ones worth most to the applicant are kept."""

    kind: Literal["max_categories"]
    limit: StrictInt = Field(ge=1)


class MaxUnitsPerClassCap(Selection):
    """At most `limit` units per group_by class; the units paying most are kept."""

    kind: Literal["max_units_per_class"]
    limit: StrictInt = Field(ge=1)
    group_by: tuple[str, ...] = ()


Cap = Annotated[
    AnnualTotalCap | HighestOnlyCap | MaxCategoriesCap | MaxUnitsPerClassCap, Field(discriminator="kind")
]
CAP_KIND_NAMES = ("annual_total", "highest_only", "max_categories", "max_units_per_class")


class PriorAwardAdjustment(Selection):
    """What another government already paid for the same item (`prior_award_yuan`):
    `block` pays nothing once anything was paid; `top_up` pays only the difference (补齐)."""

    kind: Literal["prior_award"]
    mode: Literal["block", "top_up"]


class UpgradeAdjustment(Selection):
    """A title upgraded from an earlier level (`upgraded_from`): only the difference to that level's amount."""

    kind: Literal["upgrade_difference"]


class EarlierGradeAdjustment(Selection):
    """An award after an earlier one of the same kind (`previous_grade`): a higher grade is paid in full,
    one not above the earlier grade is not paid."""

    kind: Literal["earlier_grade"]


Adjustment = Annotated[
    PriorAwardAdjustment | UpgradeAdjustment | EarlierGradeAdjustment, Field(discriminator="kind")
]
ADJUSTMENT_KIND_NAMES = ("prior_award", "upgrade_difference", "earlier_grade")
# the achievement fact each adjustment kind reads (calculators/achievement_types.yaml `facts`)
ADJUSTMENT_FACT = {
    "prior_award": "prior_award_yuan",
    "upgrade_difference": "upgraded_from",
    "earlier_grade": "previous_grade",
}


class Uncovered(Record):
    """An achievement the documents do not pay for, with the reading that says so."""

    when: Conditions
    reading: Text
    document: str | None = None
    article: str | None = None
    quote: str | None = None

    def matches(self, fields: dict[str, Any]) -> bool:
        return strict_matches(self.when, fields)


class OutOfScope(Quote):
    reason: Text = Field(description="why no rule encodes this amount")


class Inexpressible(Quote):
    """A money clause the engine cannot state yet (listed by `subsidy rules --coverage`)."""

    reason: Text


class ApplyTable(Record):
    window: str | None = None
    deadline: str | None = None
    office: str | None = None
    materials: tuple[str, ...] = ()
    citations: tuple[Quote, ...] = ()


class CityRules(Record):
    city: Text = Field(description="contract id (knowledge/data/regions.yaml)")
    verified_on: DateText = Field(description="when this file was last checked against the source text")
    compilation: str = ""
    policies_as_of: DateText = ""
    documents: dict[str, str] = Field(description="document id → official title")
    rules: tuple[Rule, ...] = ()
    caps: tuple[Cap, ...] = Field(
        (), description="aggregate rules, applied in this order to the counted items"
    )
    adjustments: tuple[Adjustment, ...] = Field(
        (), description="per-item clauses on earlier awards (prior funding, upgrades, earlier grades)"
    )
    apply: dict[str, ApplyTable] = Field(default_factory=dict)
    notes: tuple[Quote, ...] = Field(
        (), description="facts the calculator cannot know; shown with every item"
    )
    conditions: tuple[Quote, ...] = Field(
        (), description="cities without amounts: conditions, non-cash incentives"
    )
    out_of_scope: tuple[OutOfScope, ...] = Field((), description="amounts deliberately not encoded, and why")
    uncovered: tuple[Uncovered, ...] = Field((), description="achievements the text does not pay, and why")
    inexpressible: tuple[Inexpressible, ...] = Field(
        (), description="money clauses the engine cannot state yet, and why"
    )

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _path(loc: tuple[int | str, ...]) -> str:
    """('rules', 3, 'per_units') → rules[3].per_units; the tag pydantic adds for a union is left out."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i >= 2 and isinstance(loc[i - 1], int) and loc[i - 2] in ("caps", "adjustments"):
            continue  # the discriminator's value, not a key of the file
        else:
            out += f".{part}" if out else str(part)
    return out


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    kind, msg = first["type"], first["msg"]
    if kind == "extra_forbidden":
        msg = "is not a key of this record (misspelt?)"
    elif kind == "union_tag_invalid":
        ctx = first.get("ctx") or {}
        msg = f"kind {ctx.get('tag')!r} is unknown; allowed: {ctx.get('expected_tags')}"
    elif kind == "literal_error":
        msg = f"{msg}, got {first.get('input')!r}"
    more = len(error.errors()) - 1
    return f"{_path(tuple(first['loc']))}: {msg}" + (f" (and {more} more)" if more else "")


def _check_links(city: CityRules) -> str | None:
    """Cross-record checks a schema cannot state: unique ids, derive targets, amounts and bases."""
    seen: dict[str, int] = {}
    for i, rule in enumerate(city.rules):
        if rule.id in seen:
            return f"rules[{i}].id: duplicate of rules[{seen[rule.id]}] ({rule.id})"
        seen[rule.id] = i
    for i, rule in enumerate(city.rules):
        if rule.derive is not None:
            if rule.derive.from_ not in seen:
                return f"rules[{i}].derive.from: unknown rule {rule.derive.from_!r}"
            if rule.amount_yuan is not None:
                return f"rules[{i}]: has both amount_yuan and derive"
        elif rule.amount_yuan is None:
            return f"rules[{i}]: has neither amount_yuan nor derive"
        elif rule.basis is None:
            return f"rules[{i}].basis: a rule with amount_yuan needs basis (fixed or up_to)"
        if "type" not in rule.when:
            return f"rules[{i}].when.type: every rule names the achievement type it pays"
    return None


def parse_city_file(text: str, where: str) -> CityRules:
    raw = load_yaml(text)
    if not isinstance(raw, dict) or "city" not in raw:
        raise RuleFileError(f"{where}: not a city rule file")
    try:
        city = CityRules.model_validate(raw)
    except ValidationError as error:
        raise RuleFileError(f"{where}: {_first_error(error)}") from None
    problem = _check_links(city)
    if problem:
        raise RuleFileError(f"{where}: {problem}")
    return city


def rule_file_json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file, for editors (calculators/rules/schema.json)."""
    schema = CityRules.model_json_schema(by_alias=True)
    schema["title"] = "Subsidy calculator rule file (one city)"
    schema["$id"] = "https://example.invalid/subsidy-assistant/rules.schema.json"
    return schema


def user_rules_dir() -> Path:
    """Rule files the user installed (`subsidy rules install`): they take precedence over shipped ones."""
    return user_data_dir() / RULES_DIR


@follows_user_data
def load_city_rules(city_id: str) -> CityRules | None:
    installed = user_rules_dir() / f"{city_id}.yaml"
    if installed.is_file():
        return parse_city_file(installed.read_text("utf-8"), str(installed))
    path = resources.files(RULES_PACKAGE).joinpath(f"{RULES_DIR}/{city_id}.yaml")
    if not path.is_file():
        return None
    return parse_city_file(path.read_text("utf-8"), f"{RULES_DIR}/{city_id}.yaml")


@follows_user_data
def all_city_rules() -> tuple[CityRules, ...]:
    folder = resources.files(RULES_PACKAGE).joinpath(RULES_DIR)
    names = {entry.name for entry in folder.iterdir()}
    if user_rules_dir().is_dir():
        names |= {entry.name for entry in user_rules_dir().iterdir()}
    found = []
    for name in sorted(names):
        if name.endswith(".yaml"):
            city = load_city_rules(name[: -len(".yaml")])
            if city is not None:
                found.append(city)
    return tuple(found)
