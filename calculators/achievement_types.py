"""The achievement type registry (achievement_types.yaml) and request validation against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from calculators.models import check_count
from calculators.rulebook import all_city_rules
from knowledge.yaml_data import load_yaml
from subsidy.errors import BadAchievementError, shown_value

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

    def label(self, value: Any) -> str:
        return self.labels.get(value, str(value))

    @property
    def values(self) -> tuple[Any, ...]:
        """Allowed values; an open field's are gathered from the rule files (loaded only when asked)."""
        return self.listed if self.listed is not None else _open_values(self.type_name, self.name)


@dataclass(frozen=True)
class AchievementType:
    name: str
    label: str
    core: bool
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@cache
def _open_values(type_name: str, field_name: str) -> tuple[Any, ...]:
    seen: list[Any] = []
    for city in all_city_rules():
        for rule in city.rules:
            if type_name in rule.when.get("type", ()):
                for value in rule.when.get(field_name, ()):
                    if value not in seen:
                        seen.append(value)
    return tuple(sorted(seen, key=str))


@cache
def achievement_types() -> dict[str, AchievementType]:
    raw = load_yaml(resources.files("calculators").joinpath("achievement_types.yaml").read_text("utf-8"))
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
                    labels=dict(fspec.get("labels") or {}),
                    title=fspec.get("title", ""),
                )
            )
        types[name] = AchievementType(
            name=name, label=spec.get("label", name), core=bool(spec.get("core")), fields=tuple(fields)
        )
    return types


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
    known = {f.name for f in spec.fields} | {"type", "count", "project"}
    extra = sorted(set(raw) - known)
    if extra:
        raise BadAchievementError(
            f"{where}.{extra[0]}",
            f"is not a field of type {type_name!r}",
            allowed=[f.name for f in spec.fields] + ["count", "project"],
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
    if "project" in raw:
        project = raw["project"]
        if not isinstance(project, str) or not project.strip() or len(project) > MAX_PROJECT_CHARS:
            raise BadAchievementError(
                f"{where}.project", "must be a short text naming the project or product"
            )
        fields["project"] = project.strip()
    return Achievement(type=type_name, fields=fields, count=count, assumed=tuple(assumed))
