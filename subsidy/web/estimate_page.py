"""The estimate page (/estimate, for consultants), its CSV/XLSX exports and the form's CSS.

The form is a GET, so a result is a shareable URL; rows are added and removed without
JavaScript (submit buttons `add` / `remove`). A hidden copy of 「测算」 comes first in the form, so
Enter in any field calculates instead of pressing the first row's 「删除」.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from calculators.achievement_types import achievement_types
from calculators.engine import estimate
from calculators.models import check_count
from foundation.errors import UserInputError
from foundation.limits import MAX_FORM_ROWS
from knowledge.regions import all_regions, money_regions
from subsidy.exports import InputRow, to_csv, to_xlsx
from subsidy.web.messages import chinese_message
from subsidy.web.rendering import render

MAX_ROWS = MAX_FORM_ROWS
ALL_CITIES = "all"

router = APIRouter(include_in_schema=False)


def type_specs() -> list[dict[str, Any]]:

    specs = []
    for spec in achievement_types().values():
        specs.append(
            {
                "name": spec.name,
                "label": spec.label,
                "core": spec.core,
                "fields": [
                    {
                        "name": f.name,
                        "label": f.title or f.name,
                        "values": [str(v) for v in f.values],
                        # by the value as the form sends it ("national", "False")
                        "value_labels": {str(v): f.label(v) for v in f.values},
                        "default": None if f.default is None else str(f.default),
                        "required": f.required,
                    }
                    for f in spec.fields
                ],
            }
        )
    return specs


def parse_estimate_query(params: dict[str, str]) -> tuple[str, str, list[dict[str, Any]]]:
    """The estimate form (GET query) as (city, as_of, rows); rows keep the raw field values."""
    city = params.get("city", "").strip() or ALL_CITIES
    as_of = params.get("as_of", "").strip()
    rows = []
    for i in range(MAX_ROWS):
        type_name = params.get(f"t{i}")
        if type_name is None:
            continue
        prefix = f"f{i}.{type_name}."
        fields = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix) and v != ""}
        rows.append({"type": type_name, "count": params.get(f"n{i}", "1").strip() or "1", "fields": fields})
    return city, as_of, rows


def rows_to_achievements(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    achievements = []
    for index, row in enumerate(r for r in rows if r["type"]):
        try:
            count = int(row["count"])
        except ValueError:
            shown = row["count"] if len(row["count"]) <= 20 else row["count"][:20] + "…"
            raise UserInputError(
                f"achievements[{index}].count", f"must be a whole number, got {shown!r}"
            ) from None
        check_count(count, f"achievements[{index}]")  # not a 500 from the engine's arithmetic
        achievements.append({"type": row["type"], "count": count, **row["fields"]})
    return achievements


def run_estimates(city: str, as_of: str, achievements: list[dict[str, Any]]) -> list[Any]:
    """One Estimate, or one per city with money amounts for 'compare all cities'."""

    cities = [r.id for r in money_regions()] if city == ALL_CITIES else [city]
    return [estimate({"city": c, "as_of": as_of or None, "achievements": achievements}) for c in cities]


def rank_cities(estimates: list[Any]) -> list[Any]:
    """What can be applied for on the date first (by that amount), then the rest by their old totals."""
    return sorted(
        estimates,
        key=lambda e: (e.total_in_force_yuan <= 0, -e.total_in_force_yuan, -e.total_yuan, e.city),
    )


def describe_row(row: dict[str, Any], types: dict[str, dict[str, Any]], with_count: bool = True) -> str:
    """One form row in words (标准制修订 · 国家标准 · 主导 · 制定 · × 2): achievement_types.yaml labels."""
    spec = types.get(row["type"], {"label": row["type"], "fields": []})
    value_labels = {f["name"]: f["value_labels"] for f in spec["fields"]}
    parts = [spec["label"]]
    parts += [value_labels.get(name, {}).get(str(v), str(v)) for name, v in row["fields"].items()]
    if with_count and row["count"] not in ("", "1"):
        parts.append(f"× {row['count']}")
    return " · ".join(parts)


def describe_rows(rows: list[dict[str, Any]], with_count: bool = True) -> list[str]:
    by_name = {t["name"]: t for t in type_specs()}
    return [describe_row(r, by_name, with_count) for r in rows if r["type"]]


def _estimate_context(request: Request) -> dict[str, Any]:
    """The estimate page: the form as sent (rows added/removed without JavaScript) and its results."""

    params = dict(request.query_params)
    city, as_of, rows = parse_estimate_query(params)
    editing = "add" in params or "remove" in params
    submitted = "city" in params and not editing
    if params.get("remove", "").isdigit():
        rows = [r for i, r in enumerate(rows) if i != int(params["remove"])]
    if "add" in params or not rows:
        rows.append({"type": "", "count": "1", "fields": {}})
    context: dict[str, Any] = {
        "page": "estimate",
        "types": type_specs(),
        "regions": all_regions(),
        "city": city,
        "as_of": as_of,
        "rows": rows,
        "estimates": [],
        "error": None,
        "technical": None,
        "status_code": 200,
        "descriptions": describe_rows(rows),
        "today": dt.date.today().isoformat(),
    }
    try:
        achievements = rows_to_achievements(rows)
        if achievements and not editing:
            context["estimates"] = rank_cities(run_estimates(city, as_of, achievements))
        elif submitted:  # 测算 with no type chosen: a hint on the page, not a failed request
            context["error"], _ = chinese_message("achievements: add at least one achievement row")
    except UserInputError as err:
        context["error"], context["technical"] = chinese_message(str(err))
        context["status_code"] = 422
    if context["estimates"]:
        query = canonical_query(city, as_of, rows)
        context["csv_url"] = f"/estimate/export.csv?{query}"
        context["xlsx_url"] = f"/estimate/export.xlsx?{query}"
        context["city_url"] = lambda c: f"/estimate?{canonical_query(c, as_of, rows)}#results"
    return context


def canonical_query(city: str, as_of: str, rows: list[dict[str, Any]]) -> str:
    pairs: list[tuple[str, str]] = [("city", city), ("as_of", as_of)]
    for i, row in enumerate(r for r in rows if r["type"]):
        pairs += [(f"t{i}", row["type"]), (f"n{i}", row["count"])]
        pairs += [(f"f{i}.{row['type']}.{k}", v) for k, v in row["fields"].items()]
    return urlencode(pairs)


@router.get("/estimate", response_class=HTMLResponse)
async def estimate_page(request: Request) -> HTMLResponse:
    context = _estimate_context(request)
    return render("estimate.html", **context)


def _export_estimates(request: Request) -> tuple[list[Any], list[InputRow], str]:
    city, as_of, rows = parse_estimate_query(dict(request.query_params))
    achievements = rows_to_achievements(rows)
    if not achievements:
        raise UserInputError("achievements", "add at least one achievement row")
    estimates = rank_cities(run_estimates(city, as_of, achievements))
    name = (
        f"subsidy-estimate-{'all-cities' if city == ALL_CITIES else estimates[0].city}-{estimates[0].as_of}"
    )
    descriptions = describe_rows(rows, with_count=False)
    inputs = [InputRow(d, a["count"]) for d, a in zip(descriptions, achievements, strict=True)]
    return estimates, inputs, name


def _export_error(err: UserInputError) -> Response:
    return Response(str(err) + "\n", status_code=422, media_type="text/plain; charset=utf-8")


@router.get("/estimate/export.csv")
async def export_csv(request: Request) -> Response:

    try:
        estimates, inputs, name = _export_estimates(request)
    except UserInputError as err:
        return _export_error(err)
    return Response(
        to_csv(estimates, inputs),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/estimate/export.xlsx")
async def export_xlsx(request: Request) -> Response:

    try:
        estimates, inputs, name = _export_estimates(request)
    except UserInputError as err:
        return _export_error(err)
    return Response(
        to_xlsx(estimates, inputs),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get("/assets/types.css")
async def types_css() -> Response:
    """Show only the fields of each row's chosen type, without JavaScript (CSS :has)."""
    rules = [".row fieldset.fields { display: none; }"]
    for spec in type_specs():
        name = spec["name"]
        rules.append(
            f'.row:has(select.type-select option[value="{name}"]:checked) '
            f'fieldset.fields[data-type="{name}"] {{ display: flex; }}'
        )
    return Response("\n".join(rules) + "\n", media_type="text/css", headers={"Cache-Control": "max-age=300"})
