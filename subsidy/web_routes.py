"""The web pages: chat, estimate (consultants), policies, and the local API reference at /docs.

Server-rendered Jinja2 (autoescaped) over the same library functions as the API; every page
works without JavaScript, and /static/app.js only makes it smoother (rows added in place,
chat turns without a reload). No inline script or style: the CSP forbids them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from calculators.models import check_count
from subsidy import money
from subsidy.errors import ConfigError, Unavailable, UserInputError
from subsidy.limits import MAX_COUNT, MAX_FORM_ROWS, MAX_QUERY_CHARS
from subsidy.security import (
    LOGIN_COOKIE,
    LOGIN_PATH,
    LOGIN_SECONDS,
    key_matches,
    limit_chat_rate,
    limit_search_rate,
    login_cookie_value,
    settings_of,
)

log = logging.getLogger("subsidy.service")

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "subsidy_session"
MAX_ROWS = MAX_FORM_ROWS
ALL_CITIES = "all"

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- rendering
def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def distinct_statuses(estimate: Any) -> list[Any]:
    """The covered items with distinct (status, from, to): one badge per cited validity."""
    seen, out = set(), []
    for item in _get(estimate, "items") or []:
        if not _get(item, "covered"):
            continue
        key = (_get(item, "policy_status"), _get(item, "effective_from"), _get(item, "effective_to"))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(money.filters(gap=" "))  # 8 万元, 80,000 元
    env.filters["distinct_statuses"] = distinct_statuses
    env.globals.update(max_count=MAX_COUNT, max_query_chars=MAX_QUERY_CHARS)
    return env


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code)


def render_error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    titles = {404: "页面不存在", 405: "不支持的请求方式", 413: "请求过大", 429: "请求过于频繁"}
    response = render(
        "error.html",
        status_code=status_code,
        page="error",
        code=status_code,
        title=titles.get(status_code, "出错了"),
        message=message,
    )
    if status_code == 429:
        response.headers["Retry-After"] = "60"
    return response


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form body as {name: last value} (no multipart parser needed)."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


def same_origin(request: Request) -> None:
    """Form posts must come from our own pages (the cookie is SameSite=Lax; this is a second lock).

    Refused: a browser saying the post comes from another site (Sec-Fetch-Site: cross-site or
    same-site), an Origin that is not this host, and the opaque `Origin: null` (sandboxed frames,
    file: pages, data: URLs). A request with neither header (curl, old browsers) passes.
    """
    fetch_site = request.headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site in ("cross-site", "same-site"):
        raise HTTPException(status_code=403, detail="cross-site form post refused")
    origin = request.headers.get("origin")
    if origin is None:
        return
    if origin.strip().lower() == "null" or urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status_code=403, detail="cross-site form post refused")


# ---------------------------------------------------------------- chat
def session_from_cookie(request: Request) -> str | None:
    """The page's conversation id; a tampered or stale cookie just starts a new conversation."""
    from subsidy.api_routes import SESSION_ID_PATTERN

    value = request.cookies.get(SESSION_COOKIE)
    return value if value and re.fullmatch(SESSION_ID_PATTERN, value) else None


def _answer_view(answer: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of an Answer: the numbers come from its Estimate, never the text."""
    estimate = answer.get("estimate") or None
    covered = [i for i in (estimate or {}).get("items", []) if i.get("covered")]
    statuses = distinct_statuses(estimate) if estimate else []
    citations = list(
        {(c["document"], c["article"], c["quote"]): c for c in answer.get("citations") or []}.values()
    )
    follow_up = answer.get("follow_up")
    if follow_up and follow_up.strip() in (answer.get("answer") or ""):
        follow_up = None  # the answer already ends with the question
    return {
        **answer,
        "estimate": estimate,
        "covered": covered,
        "statuses": statuses,
        "citations": citations,
        "follow_up": follow_up,
    }


def conversation(session_id: str | None) -> list[dict[str, Any]]:
    """The page's turns: the session's last turns as the assistant stored them (any worker, any face)."""
    from assistant import sessions

    if not session_id:
        return []
    return [{**turn, "view": _answer_view(turn["answer"])} for turn in sessions.recent_turns(session_id)]


def _latest_turn_number(session_id: str) -> int:
    """The number of the turn the assistant just stored (the page's #turn-N); 0 if it could not."""
    from assistant import sessions

    latest = sessions.recent_turns(session_id, last=1)
    return latest[0]["n"] if latest else 0


@router.get("/", response_class=HTMLResponse)
async def chat_page(request: Request) -> HTMLResponse:
    turns = conversation(session_from_cookie(request))
    return render(
        "chat.html",
        page="chat",
        turns=turns,
        error=None,
        message="",
        as_of="",
        max_message_chars=settings_of(request).max_message_chars,
    )


@router.post("/chat", dependencies=[Depends(limit_chat_rate), Depends(same_origin)])
async def chat_post(request: Request) -> Response:
    from subsidy.api_routes import run_chat_turn

    form = await form_fields(request)
    message = form.get("message", "")
    as_of = form.get("as_of", "").strip() or None
    fragment = request.query_params.get("fragment") == "1"
    session_id = session_from_cookie(request)
    try:
        answer = await run_chat_turn(request, message, session_id, as_of)
    except UserInputError as err:
        if fragment:
            return render("_chat_error.html", status_code=422, message=str(err))
        return render(
            "chat.html",
            status_code=422,
            page="chat",
            turns=conversation(session_id),
            error=str(err),
            message=message,
            as_of=as_of or "",
            max_message_chars=settings_of(request).max_message_chars,
        )
    data = answer.model_dump(mode="json")
    seq = _latest_turn_number(data["session_id"])
    if fragment:
        turn = {"message": message, "answer": data, "view": _answer_view(data)}
        response: Response = render("_turn.html", turn=turn, seq=seq)
    else:
        response = RedirectResponse(f"/#turn-{seq}" if seq else "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        data["session_id"],
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/chat/new", dependencies=[Depends(same_origin)])
async def chat_new() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---------------------------------------------------------------- estimate
def _type_specs() -> list[dict[str, Any]]:
    from calculators.achievement_types import achievement_types

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
    from calculators.engine import estimate
    from knowledge.regions import money_regions

    cities = [r.id for r in money_regions()] if city == ALL_CITIES else [city]
    return [estimate({"city": c, "as_of": as_of or None, "achievements": achievements}) for c in cities]


def describe_row(row: dict[str, Any], types: dict[str, dict[str, Any]]) -> str:
    """One form row in words (标准制修订 · 国家标准 · 主导 · 制定 · × 2): achievement_types.yaml labels."""
    spec = types.get(row["type"], {"label": row["type"], "fields": []})
    value_labels = {f["name"]: f["value_labels"] for f in spec["fields"]}
    parts = [spec["label"]]
    parts += [value_labels.get(name, {}).get(str(v), str(v)) for name, v in row["fields"].items()]
    if row["count"] not in ("", "1"):
        parts.append(f"× {row['count']}")
    return " · ".join(parts)


def _estimate_context(request: Request) -> dict[str, Any]:
    """The estimate page: the form as sent (rows added/removed without JavaScript) and its results."""
    from knowledge.regions import all_regions

    params = dict(request.query_params)
    city, as_of, rows = parse_estimate_query(params)
    editing = "add" in params or "remove" in params
    if params.get("remove", "").isdigit():
        rows = [r for i, r in enumerate(rows) if i != int(params["remove"])]
    if "add" in params or not rows:
        rows.append({"type": "", "count": "1", "fields": {}})
    types = _type_specs()
    by_name = {t["name"]: t for t in types}
    context: dict[str, Any] = {
        "page": "estimate",
        "types": types,
        "regions": all_regions(),
        "city": city,
        "as_of": as_of,
        "rows": rows,
        "estimates": [],
        "error": None,
        "descriptions": [describe_row(r, by_name) for r in rows if r["type"]],
        "today": dt.date.today().isoformat(),
    }
    try:
        achievements = rows_to_achievements(rows)
        if achievements and not editing:
            context["estimates"] = run_estimates(city, as_of, achievements)
    except UserInputError as err:
        context["error"] = err
    if context["estimates"]:
        query = _canonical_query(city, as_of, rows)
        context["csv_url"] = f"/estimate/export.csv?{query}"
        context["xlsx_url"] = f"/estimate/export.xlsx?{query}"
        context["city_url"] = lambda c: f"/estimate?{_canonical_query(c, as_of, rows)}"
    return context


def _canonical_query(city: str, as_of: str, rows: list[dict[str, Any]]) -> str:
    pairs: list[tuple[str, str]] = [("city", city), ("as_of", as_of)]
    for i, row in enumerate(r for r in rows if r["type"]):
        pairs += [(f"t{i}", row["type"]), (f"n{i}", row["count"])]
        pairs += [(f"f{i}.{row['type']}.{k}", v) for k, v in row["fields"].items()]
    return urlencode(pairs)


@router.get("/estimate", response_class=HTMLResponse)
async def estimate_page(request: Request) -> HTMLResponse:
    context = _estimate_context(request)
    return render("estimate.html", status_code=422 if context["error"] else 200, **context)


def _export_estimates(request: Request) -> tuple[list[Any], str]:
    city, as_of, rows = parse_estimate_query(dict(request.query_params))
    achievements = rows_to_achievements(rows)
    if not achievements:
        raise UserInputError("achievements", "add at least one achievement row")
    estimates = run_estimates(city, as_of, achievements)
    name = (
        f"subsidy-estimate-{'all-cities' if city == ALL_CITIES else estimates[0].city}-{estimates[0].as_of}"
    )
    return estimates, name


def _export_error(err: UserInputError) -> Response:
    return Response(str(err) + "\n", status_code=422, media_type="text/plain; charset=utf-8")


@router.get("/estimate/export.csv")
async def export_csv(request: Request) -> Response:
    from subsidy.exports import to_csv

    try:
        estimates, name = _export_estimates(request)
    except UserInputError as err:
        return _export_error(err)
    return Response(
        to_csv(estimates),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/estimate/export.xlsx")
async def export_xlsx(request: Request) -> Response:
    from subsidy.exports import to_xlsx

    try:
        estimates, name = _export_estimates(request)
    except UserInputError as err:
        return _export_error(err)
    return Response(
        to_xlsx(estimates),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get("/assets/types.css")
async def types_css() -> Response:
    """Show only the fields of each row's chosen type, without JavaScript (CSS :has)."""
    rules = [".row fieldset.fields { display: none; }"]
    for spec in _type_specs():
        name = spec["name"]
        rules.append(
            f'.row:has(select.type-select option[value="{name}"]:checked) '
            f'fieldset.fields[data-type="{name}"] {{ display: flex; }}'
        )
    return Response("\n".join(rules) + "\n", media_type="text/css", headers={"Cache-Control": "max-age=300"})


# ---------------------------------------------------------------- policies
@router.get("/policies", response_class=HTMLResponse)
async def policies_page(request: Request) -> HTMLResponse:
    from knowledge.policies import list_policies
    from knowledge.regions import all_regions

    city = request.query_params.get("city", "").strip()
    as_of = request.query_params.get("as_of", "").strip()
    query = request.query_params.get("q", "").strip()
    error = None
    try:
        policies = list_policies(city=city or None, as_of=as_of or None)
    except UserInputError as err:
        error, policies = str(err), []
    hits: list[dict[str, Any]] = []
    search_error: str | None = None
    if query and error is None:
        limit_search_rate(request)
        hits, search_error = await _search_hits(query, city or None)
    return render(
        "policies.html",
        status_code=422 if error else 200,
        page="policies",
        policies=policies,
        regions=all_regions(),
        city=city,
        as_of=as_of,
        q=query,
        hits=hits,
        search_error=search_error,
        error=error,
        day=as_of or dt.date.today().isoformat(),
    )


async def _search_hits(query: str, city: str | None) -> tuple[list[dict[str, Any]], str | None]:
    from starlette.concurrency import run_in_threadpool

    try:
        from knowledge.search import search
    except ImportError:
        return [], "检索暂不可用"
    try:
        hits = await run_in_threadpool(search, query, k=8, city=city)
    except UserInputError as err:
        return [], str(err)
    except (Unavailable, ConfigError):
        log.exception("retrieval unavailable")
        return [], "检索暂不可用"
    return [h.model_dump(mode="json") for h in hits], None


@router.get("/policies/{doc_id}", response_class=HTMLResponse)
async def policy_page(doc_id: str, request: Request) -> HTMLResponse:
    from knowledge.corpus import document
    from knowledge.policies import policy_detail

    as_of = request.query_params.get("as_of", "").strip()
    try:
        document(doc_id)
    except UserInputError:
        raise HTTPException(status_code=404, detail=f"没有编号为 {doc_id} 的政策文件") from None
    try:
        detail = policy_detail(doc_id, as_of=as_of or None)
    except UserInputError as err:
        return render_error_page(request, 422, str(err))
    return render(
        "policy.html", page="policies", doc=detail, as_of=as_of, day=as_of or dt.date.today().isoformat()
    )


# ---------------------------------------------------------------- login (when SUBSIDY_API_KEY is set)
def _local_path(target: str) -> str:
    """Where to go after logging in: a path on this site only (never //host or a full URL)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    next_path = _local_path(request.query_params.get("next", "/"))
    return render("login.html", page="login", next=next_path, error=None)


@router.post(LOGIN_PATH, dependencies=[Depends(limit_chat_rate), Depends(same_origin)])
async def login(request: Request) -> Response:
    form = await form_fields(request)
    next_path = _local_path(form.get("next", "/"))
    key = settings_of(request).api_key
    if key is None:
        return RedirectResponse(next_path, status_code=303)
    if not key_matches(form.get("key"), key):
        return render("login.html", status_code=401, page="login", next=next_path, error="密钥不正确。")
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        LOGIN_COOKIE,
        login_cookie_value(key),
        max_age=LOGIN_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


# ---------------------------------------------------------------- API reference
@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI document rendered as a page (Swagger UI would need a CDN and inline script)."""
    schema = request.app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "body_schema": _schema_name(body.get("schema")),
                    "body_example": body.get("example"),
                    "responses": {code: _response_schema(r) for code, r in op.get("responses", {}).items()},
                    "tags": op.get("tags", []),
                    "secured": bool(op.get("security")),
                }
            )
    components = schema.get("components", {}).get("schemas", {})
    return render(
        "docs.html",
        page="docs",
        info=schema.get("info", {}),
        operations=operations,
        components=components,
        api_key_required=request.app.state.settings.api_key is not None,
    )


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_schema_name(schema.get('items'))}]"
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " | ".join(_schema_name(s) for s in schema[key])
    return schema.get("type", "")


def _response_schema(response: dict[str, Any]) -> str:
    content = response.get("content", {}).get("application/json", {})
    name = _schema_name(content.get("schema"))
    return f"{response.get('description', '')} {name}".strip()


# ---------------------------------------------------------------- mount
def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.render_error_page = render_error_page
