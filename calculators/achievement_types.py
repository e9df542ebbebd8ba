"""The achievement type registry (achievement_types.yaml) and request validation against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from calculators.models import check_count
from calculators.rulebook import all_city_rules
from foundation.errors import BadAchievementError, shown_value
from knowledge.user_data import follows_user_data
from knowledge.yaml_data import load_yaml

MAX_PROJECT_CHARS = 200

OPEN = "open"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type_name: str
    listed: tuple[Any, ...] | None  # allowed values; None for an open field
    required: bool
    default: Any
    ask: str
    labels: dict[Any, str] = field(default_factory=dict)  # value -> Chinese wording
    title: str = ""  # the field's own Chinese name (级别, 角色), as the estimate form shows it
    # facts only: `refines` is the field a stated fact decides where a rule names both (drafter_rank → role);
    # `same_as` the field of its type whose values the fact takes (upgraded_from → level)
    refines: str | None = None
    same_as: str | None = None
    whole_number: tuple[int, int] | None = None  # a fact that is a whole number: (least, most)

    def label(self, value: Any) -> str:
        if self.same_as is not None:
            return self._twin().label(value)
        return self.labels.get(value, str(value))

    def _twin(self) -> FieldSpec:
        twin = achievement_types()[self.type_name].field(self.same_as or "")
        assert twin is not None, f"{self.type_name}.{self.name}: same_as names no field"
        return twin

    @property
    def values(self) -> tuple[Any, ...]:
        """Allowed values; an open field's are gathered from the rule files (loaded only when asked).
        A whole-number fact lists none (any number in its range)."""
        if self.same_as is not None:
            return self._twin().values
        if self.whole_number is not None:
            return ()
        return self.listed if self.listed is not None else _open_values(self.type_name, self.name)


@dataclass(frozen=True)
class AchievementType:
    name: str
    label: str
    core: bool
    fields: tuple[FieldSpec, ...]
    # optional facts that refine the amount where a city's text uses them (drafter_rank, prior_award_yuan …);
    # never asked for, and kept apart from `fields` so forms and questions stay as they are
    facts: tuple[FieldSpec, ...] = ()

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def fact(self, name: str) -> FieldSpec | None:
        return next((f for f in self.facts if f.name == name), None)


@follows_user_data
def _open_values(type_name: str, field_name: str) -> tuple[Any, ...]:
    seen: list[Any] = []
    for city in all_city_rules():
        for rule in city.rules:
            if type_name in rule.types:
                allowed = rule.when.get(field_name, ())
                for value in allowed if isinstance(allowed, tuple) else ():
                    if value not in seen:
                        seen.append(value)
    return tuple(sorted(seen, key=str))


VALUE_LABELS_KEY = "value_labels"  # Chinese names of the open types' values
FACTS_KEY = "facts"  # the registry's one key that is not a type


def _facts_of(type_name: str, raw_facts: dict[str, Any]) -> tuple[FieldSpec, ...]:
    facts = []
    for fname, fspec in raw_facts.items():
        same_as = fspec.get("same_as")
        types = fspec.get("types")
        if isinstance(same_as, dict):
            if type_name not in same_as:
                continue
        elif types != "all" and type_name not in (types or ()):
            continue
        bounds = fspec.get("whole_number")
        facts.append(
            FieldSpec(
                name=fname,
                type_name=type_name,
                listed=None,
                required=False,
                default=None,
                ask=fspec.get("ask", ""),
                title=fspec.get("title", ""),
                refines=fspec.get("refines"),
                same_as=same_as[type_name] if isinstance(same_as, dict) else None,
                whole_number=(int(bounds[0]), int(bounds[1])) if bounds else None,
            )
        )
    return tuple(facts)


@follows_user_data
def achievement_types() -> dict[str, AchievementType]:
    raw = load_yaml(resources.files("calculators").joinpath("achievement_types.yaml").read_text("utf-8"))
    raw_facts = raw.pop(FACTS_KEY, None) or {}
    open_labels = dict(raw.pop(VALUE_LABELS_KEY, None) or {})
    types: dict[str, AchievementType] = {}
    for name, spec in raw.items():
        fields = []
        for fname, fspec in (spec.get("fields") or {}).items():
            values = fspec.get("values")
            fields.append(
                FieldSpec(
                    name=fname,
                    type_name=name,
                    listed=None if values == OPEN else tuple(values),
                    required="default" not in fspec,
                    default=fspec.get("default"),
                    ask=fspec.get("ask", ""),
                    labels=open_labels | dict(fspec.get("labels") or {}),
                    title=fspec.get("title", ""),
                )
            )
        types[name] = AchievementType(
            name=name,
            label=spec.get("label", name),
            core=bool(spec.get("core")),
            fields=tuple(fields),
            facts=_facts_of(name, raw_facts),
        )
    return types


def _fact_value(spec: FieldSpec, given: Any, where: str) -> Any:
    """A fact as stated, or None when not stated (rules then take their condition on it to hold)."""
    if given is None:
        return None
    if spec.whole_number is not None:
        least, most = spec.whole_number
        if isinstance(given, float) and given.is_integer() and abs(given) < 2**53:
            given = int(given)  # 1308.0 is the integer 1308 in JSON (and in JSON Schema)
        number = given if isinstance(given, int) and not isinstance(given, bool) else None
        if number is None or not least <= number <= most:
            raise BadAchievementError(
                f"{where}.{spec.name}", f"must be a whole number from {least:,} to {most:,}, got {given!r}"
            )
        return number
    value = _canonical(given, spec.values)
    if value is None:
        raise BadAchievementError(
            f"{where}.{spec.name}", f"unknown value {given!r}", allowed=[str(v) for v in spec.values]
        )
    return value


@cache
def refinements() -> dict[str, str]:
    """field → the fact that refines it (role → drafter_rank), from the registry's `refines`."""
    return {f.refines: f.name for spec in achievement_types().values() for f in spec.facts if f.refines}


@dataclass(frozen=True)
class Achievement:
    """A validated achievement: its type, every field filled (defaults applied), and its count."""

    type: str
    fields: dict[str, Any]
    count: int
    assumed: tuple[str, ...] = ()  # fields filled from their defaults


def _canonical(given: Any, allowed: tuple[Any, ...]) -> Any:
    for value in allowed:
        if given == value and type(given) is type(value):
            return value
    for value in allowed:
        if isinstance(value, bool):
            if str(given).lower() == str(value).lower():
                return value
        elif str(given).strip().lower() == str(value).lower():
            return value
    return None


def validate_achievement(raw: dict[str, Any], where: str) -> Achievement:
    """Check one achievement dict against the registry; errors name the field and allowed values."""
    types = achievement_types()
    type_name = raw.get("type")
    if "type" not in raw:
        raise BadAchievementError(f"{where}.type", "is required", allowed=list(types))
    if not isinstance(type_name, str) or type_name not in types:
        raise BadAchievementError(
            f"{where}.type", f"unknown achievement type {shown_value(type_name)}", allowed=list(types)
        )
    spec = types[type_name]
    count = raw.get("count", 1)
    if isinstance(count, float) and count.is_integer() and abs(count) < 2**53:
        count = int(count)  # 3.0 is the integer 3 in JSON (and in JSON Schema)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BadAchievementError(f"{where}.count", f"must be a positive integer, got {shown_value(count)}")
    check_count(count, where)
    known = {f.name for f in spec.fields} | {f.name for f in spec.facts} | {"type", "count", "project"}
    extra = sorted(set(raw) - known)
    if extra:
        raise BadAchievementError(
            f"{where}.{extra[0]}",
            f"is not a field of type {type_name!r}",
            allowed=[f.name for f in spec.fields] + ["count", "project"] + [f.name for f in spec.facts],
        )
    fields: dict[str, Any] = {"type": type_name}
    assumed = []
    for f in spec.fields:
        if f.name in raw and raw[f.name] is None:
            raise BadAchievementError(
                f"{where}.{f.name}",
                "must not be null (leave it out to use its default)",
                allowed=[str(v) for v in f.values],
            )
        if f.name not in raw:
            if f.required:
                raise BadAchievementError(
                    f"{where}.{f.name}", "is required", allowed=[str(v) for v in f.values]
                )
            fields[f.name] = f.default
            assumed.append(f.name)
            continue
        value = _canonical(raw[f.name], f.values)
        if value is None:
            raise BadAchievementError(
                f"{where}.{f.name}",
                f"unknown value {shown_value(raw[f.name])}",
                allowed=[str(v) for v in f.values],
            )
        fields[f.name] = value
    for f in spec.facts:
        fields[f.name] = _fact_value(f, raw.get(f.name), where)
    if "project" in raw:
        project = raw["project"]
        if not isinstance(project, str) or not project.strip() or len(project) > MAX_PROJECT_CHARS:
            raise BadAchievementError(
                f"{where}.project", "must be a short text naming the project or product"
            )
        fields["project"] = project.strip()
    return Achievement(type=type_name, fields=fields, count=count, assumed=tuple(assumed))
