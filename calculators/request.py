"""The Estimate request, parsed once: `EstimateRequest` (CONTRACT.md).

One pydantic model serves every face: POST /api/estimate declares it (so OpenAPI is exact and
generated, not patched), `subsidy estimate` and the engine's internal callers validate through
it. Its validator consults the regions and the achievement type registry, so an unknown city,
type, field or value is refused with the registry's allowed values, and the parsed request
carries the resolved region, date and achievements.

Errors are UserInputErrors naming the field (`achievements[0].level`), whichever layer finds
them: `user_error` turns pydantic's errors into the same one-line messages the registry gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from calculators.achievement_types import (
    MAX_PROJECT_CHARS,
    Achievement,
    achievement_types,
    validate_achievement,
)
from foundation.dates import ISO_DATE_PATTERN, parse_iso_date
from foundation.errors import UserInputError
from foundation.limits import MAX_COUNT, MAX_ITEMS_PER_CALL
from knowledge.regions import Region, all_regions, resolve_region

REQUEST_FIELDS = ["city", "as_of", "achievements"]


def city_spellings() -> list[str]:
    """Every spelling `city` accepts: ids, names and aliases of regions.yaml."""
    seen: dict[str, None] = {}
    for region in all_regions():
        for spelling in (region.id, region.name, *region.aliases):
            seen.setdefault(spelling, None)
    return list(seen)


def _city_schema(schema: dict[str, Any]) -> None:
    schema["enum"] = city_spellings()


def achievement_schemas() -> list[dict[str, Any]]:
    """One JSON Schema per achievement type of the registry: its fields, their values, which are required."""
    out = []
    for spec in achievement_types().values():
        properties: dict[str, Any] = {
            "type": {"const": spec.name, "title": spec.label},
            "count": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_COUNT,
                "default": 1,
                "description": f"how many units this row counts: 1 to {MAX_COUNT:,}",
            },
            "project": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_PROJECT_CHARS,
                "pattern": r"\S",
                "description": "names the project or product (caps on 'the same item' tell items apart by it)",
            },
        }
        for field in spec.fields:
            values = list(field.values)
            prop: dict[str, Any] = {"enum": values, "title": field.title or field.name}
            if field.ask:
                prop["description"] = field.ask
            if not field.required:
                prop["default"] = field.default
            properties[field.name] = prop
        for fact in spec.facts:
            fact_prop: dict[str, Any] = {"title": fact.title or fact.name, "description": fact.ask or ""}
            if fact.whole_number is not None:  # null: not stated
                fact_prop |= {
                    "type": ["integer", "null"],
                    "minimum": fact.whole_number[0],
                    "maximum": fact.whole_number[1],
                }
            else:
                fact_prop["enum"] = [*fact.values, None]
            properties[fact.name] = fact_prop
        out.append(
            {
                "type": "object",
                "title": spec.name,
                "description": spec.label,
                "properties": properties,
                "required": ["type", *(f.name for f in spec.fields if f.required)],
                "additionalProperties": False,
            }
        )
    return out


def achievements_schema(schema: dict[str, Any]) -> None:
    """JSON Schema of an achievements list: one of the registry's types (for pydantic's json_schema_extra)."""
    schema["items"] = {"oneOf": achievement_schemas()}


# A date as the schema states it (the validators check it with foundation.dates.parse_iso_date).
IsoDate = Annotated[str, Field(json_schema_extra={"format": "date", "pattern": ISO_DATE_PATTERN})]


class EstimateRequest(BaseModel):
    """What to estimate: a city, a grant date and the achievements (POST /api/estimate)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    city: str = Field(
        description="the city or region: an id (tianjin), a name (天津, 天津市) or an alias",
        json_schema_extra=_city_schema,
    )
    as_of: IsoDate | None = Field(None, description="the grant date, YYYY-MM-DD (default: today)")
    achievements: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ITEMS_PER_CALL,
        description=f"the achievements, 1 to {MAX_ITEMS_PER_CALL:,} (per call, summed over a portfolio)",
        json_schema_extra=achievements_schema,
    )

    _region: Region = PrivateAttr()
    _day: dt.date = PrivateAttr()
    _parsed: tuple[Achievement, ...] = PrivateAttr()

    @model_validator(mode="after")
    def _consult_registry(self) -> EstimateRequest:
        self._region = resolve_region(self.city)
        self._day = parse_iso_date(self.as_of, empty_is_today=False)
        self._parsed = tuple(
            validate_achievement(raw, f"achievements[{i}]") for i, raw in enumerate(self.achievements)
        )
        return self

    @property
    def region(self) -> Region:
        return self._region

    @property
    def day(self) -> dt.date:
        return self._day

    @property
    def parsed_achievements(self) -> tuple[Achievement, ...]:
        return self._parsed

    @classmethod
    def parse(cls, raw: Any) -> EstimateRequest:
        """A request from parsed JSON (or an EstimateRequest); a UserInputError naming the field."""
        if isinstance(raw, cls):
            return raw
        try:
            return cls.model_validate(raw)
        except ValidationError as err:
            raise user_error(err.errors()) from None


def _within_the_item_limit(requests: list[EstimateRequest]) -> list[EstimateRequest]:
    rows = sum(len(r.achievements) for r in requests)
    if rows > MAX_ITEMS_PER_CALL:
        raise UserInputError(
            "portfolio",
            f"too many achievements: {rows:,} in all; a call computes at most {MAX_ITEMS_PER_CALL:,}, "
            "split the portfolio",
        )
    return requests


EstimatePortfolio = Annotated[
    list[EstimateRequest],
    Field(
        max_length=MAX_ITEMS_PER_CALL,
        description=f"requests answered in the same order; at most {MAX_ITEMS_PER_CALL:,} achievements in all",
    ),
    AfterValidator(_within_the_item_limit),
]


def _body_kind(value: Any) -> str:
    return "portfolio" if isinstance(value, list) else "request"


# A request gives an Estimate; an array of them (a portfolio) gives the Estimates in order.
EstimateBody = Annotated[
    Annotated[EstimateRequest, Tag("request")] | Annotated[EstimatePortfolio, Tag("portfolio")],
    Discriminator(_body_kind),
]


def parse_body(raw: Any) -> EstimateRequest | list[EstimateRequest]:
    """A request or a portfolio, as `subsidy estimate` reads a file: errors name `[i].field`."""
    if not isinstance(raw, list):
        return EstimateRequest.parse(raw)

    try:
        return TypeAdapter(EstimatePortfolio).validate_python(raw)
    except ValidationError as err:
        raise user_error(err.errors()) from None


# ---------------------------------------------------------------- pydantic errors, said our way
def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def field_path(loc: Sequence[int | str]) -> str:
    """('achievements', 0, 'level') → achievements[0].level; [1, 'city'] → [1].city."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _message(error: dict[str, Any], field: str, fields: list[str]) -> tuple[str, list[str]]:
    kind, value = error.get("type", ""), error.get("input")
    name = field.rsplit(".", 1)[-1]
    if kind == "missing":
        return ("is required (a city name or id)" if name == "city" else "is required"), []
    if kind == "extra_forbidden":
        return "is not a request field", fields
    if kind == "json_invalid":
        return "not valid JSON", []
    if kind == "string_type":
        what = "YYYY-MM-DD" if name == "as_of" else "(a city name or id)" if name == "city" else ""
        return f"must be a string {what}, got {json_kind(value)}".replace("  ", " "), []
    if kind == "list_type":
        return f"must be a list of achievements, got {json_kind(value)}", []
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if field.endswith("]") and ".achievements[" in f".{field}":
            return "must be an object with a type", []
        return f"must be a JSON object with {', '.join(fields)}", []
    if kind == "too_short":
        return "must be a non-empty list of achievements", []
    if kind == "too_long":
        return f"too many: a call computes at most {MAX_ITEMS_PER_CALL:,} achievements, split it", []
    return str(error.get("msg", "is not valid")), []


def user_error(errors: Sequence[Any], fields: list[str] | None = None) -> UserInputError:
    """The first of pydantic's errors as a UserInputError naming the field.

    An unknown key is reported before a wrong value (as a reader would fix them); an error the
    registry raised inside the validator comes out as it was raised, under the request's index
    in a portfolio (`[1].city`).
    """
    ordered = sorted(_of_the_shape_sent(errors), key=lambda e: e.get("type") != "extra_forbidden")
    first = ordered[0] if ordered else {}
    given_loc = tuple(first.get("loc", ()))
    whole = "body" if given_loc[:1] == ("body",) and "request" not in given_loc else "request"
    loc = [part for part in given_loc if part not in _WRAPPERS]
    where = field_path(loc)
    raised = (first.get("ctx") or {}).get("error")
    if isinstance(raised, UserInputError):
        field = f"{where}.{raised.field}" if where else raised.field
        return type(raised)(field, raised.message, allowed=raised.allowed)
    message, allowed = _message(first, where or whole, fields or REQUEST_FIELDS)
    return UserInputError(where or whole, message, allowed=allowed)


def _of_the_shape_sent(errors: Sequence[Any]) -> list[Any]:
    """The errors of the branch the body's shape chose (an array: a portfolio; anything else: a
    request), where the validator reports both branches' errors."""
    in_portfolio = [e for e in errors if "portfolio" in e.get("loc", ()) and e.get("type") != "list_type"]
    if in_portfolio:
        return in_portfolio
    return [e for e in errors if "portfolio" not in e.get("loc", ())] or list(errors)


# parts of pydantic's and FastAPI's error locations that are not the user's field names
_WRAPPERS = ("body", "query", "path", "header", "request", "portfolio")
