"""/api/* routes (CONTRACT.md): estimate, chat, search, policies; and /healthz.

Thin: each route validates its input, calls the same library function as the CLI and
returns that function's pydantic model as JSON. The Estimate and the Answer are
serialised straight from their models (no re-encoding pass), which keeps /api/estimate fast.
"""

from __future__ import annotations

import email.message
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from calculators.models import Citation, Estimate, EstimateRequestIn, check_count
from knowledge.policies import Policy, PolicyDetail
from subsidy.errors import UserInputError
from subsidy.security import ServiceError, limit_chat_rate, require_api_key, settings_of

log = logging.getLogger("subsidy.service")

JSON = "application/json"
CONTENT_TYPE_ERROR = "Content-Type must be application/json (UTF-8)"
BODY_ENCODING_ERROR = "must be UTF-8 encoded JSON"


def check_json_content_type(value: str | None) -> None:
    """application/json (or any +json type), UTF-8; a body without a Content-Type is refused too."""
    if not value:
        raise ServiceError(415, CONTENT_TYPE_ERROR, field="content-type", allowed=[JSON])
    header = email.message.Message()
    header["content-type"] = value
    subtype = header.get_content_subtype()
    is_json = header.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
    charset = str(header.get_param("charset") or "utf-8").strip().lower()
    if not is_json or charset not in ("utf-8", "utf8"):
        raise ServiceError(415, CONTENT_TYPE_ERROR, field="content-type", allowed=[JSON])


class JSONBodyRoute(APIRoute):
    """A route whose body is checked before FastAPI parses it: 415 for a non-JSON Content-Type,
    422 naming `body` for bytes that are not UTF-8 (FastAPI would answer a bare 400)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()  # cached on the request: FastAPI reads it from there
                if body:
                    check_json_content_type(request.headers.get("content-type"))
                    try:
                        body.decode("utf-8")
                        await request.json()  # cached too: parsed once
                    except UnicodeDecodeError:
                        raise UserInputError("body", BODY_ENCODING_ERROR) from None
                    except json.JSONDecodeError:
                        pass  # FastAPI reports it, with the position
                    except ValueError as err:  # e.g. an integer too long to convert
                        reason = "a number has too many digits" if "digits" in str(err) else str(err)
                        raise UserInputError("body", f"not valid JSON ({reason})") from None
            return await handle(request)

        return handler


router = APIRouter()
api = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)], route_class=JSONBodyRoute)

# Portfolios larger than this run in a worker thread so the event loop keeps serving others.
INLINE_PORTFOLIO_SIZE = 20
SESSION_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"


class ChatRequest(BaseModel):
    """POST /api/chat body (CONTRACT.md)."""

    message: str = Field(..., description="the user's message, in Chinese or English")
    session_id: str | None = Field(
        None,
        pattern=SESSION_ID_PATTERN,
        description="continue this conversation; omit to start a new one",
    )
    as_of: str | None = Field(None, description="the grant date, YYYY-MM-DD (default: today)")


class ChatAnswer(BaseModel):
    """The Answer of CONTRACT.md (documentation of what /api/chat returns)."""

    answer: str
    citations: list[Citation]
    estimate: Estimate | None = None
    follow_up: str | None = None
    session_id: str


class Hit(BaseModel):
    """A retrieval hit of CONTRACT.md (documentation of what /api/search returns)."""

    document: str
    article: str
    city: str | None = None
    text: str
    score: float


class ErrorBody(BaseModel):
    detail: str
    field: str | None = None
    allowed: list[str] = Field(default_factory=list)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or wrong X-API-Key (only when SUBSIDY_API_KEY is set)"},
    413: {"model": ErrorBody, "description": "request body above the limit"},
    422: {"model": ErrorBody, "description": "invalid input; `field` names the culprit"},
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    415: {"model": ErrorBody, "description": "Content-Type is not application/json (UTF-8)"},
}
UNAVAILABLE = {"model": ErrorBody, "description": "the server cannot serve this now (see `detail`)"}


def json_response(body: str | bytes, status_code: int = 200) -> Response:
    return Response(content=body, status_code=status_code, media_type=JSON)


# ---------------------------------------------------------------- health
@router.get(
    "/healthz",
    tags=["service"],
    response_model=None,
    responses={503: {"description": '`{"status": "error", "detail": "…"}`: e.g. an unusable data directory'}},
)
async def healthz() -> Any:
    """Up and serving; `warm` tells whether this worker has loaded the assistant and index yet.

    503 with `{"status": "error", "detail": …}` when the server cannot do its work (its data
    directory, SUBSIDY_DATA_DIR, or its database, SUBSIDY_DATABASE_URL, cannot hold the
    conversations).
    """
    from subsidy.service import (
        WARMED_UP,
        data_dir_problem,
        data_dir_unusable_detail,
        database_problem,
        database_unusable_detail,
    )

    problem = await run_in_threadpool(data_dir_problem)
    detail = data_dir_unusable_detail(problem) if problem else None
    if detail is None:
        problem = await run_in_threadpool(database_problem)
        detail = database_unusable_detail(problem) if problem else None
    if detail is not None:
        return JSONResponse(status_code=503, content={"status": "error", "detail": detail})
    return {"status": "ok", "warm": WARMED_UP.is_set()}


def require_data_dir(what: str) -> None:
    """503 (a server fault, not the client's) when the data directory cannot be used."""
    from subsidy.service import data_dir, data_dir_problem, data_dir_unusable_detail

    path = data_dir()
    problem = data_dir_problem(path)
    if problem:
        log.error("%s unavailable: SUBSIDY_DATA_DIR %s: %s", what, path, problem)
        raise ServiceError(503, f"{what} is not available: {data_dir_unusable_detail(problem)}")


def _message_of(err: UserInputError) -> str:
    """The message of a UserInputError without its `field: ` prefix and `(allowed: …)` suffix."""
    text = str(err).removeprefix(f"{err.field}: ")
    if err.allowed:
        text = text.removesuffix(f" (allowed: {', '.join(err.allowed)})")
    return text


def renamed(err: UserInputError, field: str) -> UserInputError:
    """The same error (same class, message and allowed values) naming another field."""
    return type(err)(field, _message_of(err), allowed=err.allowed)


# ---------------------------------------------------------------- estimate
def _estimate_request_schema() -> dict[str, Any]:
    one = {"$ref": "#/components/schemas/EstimateRequestIn"}
    example = {
        "city": "天津",
        "as_of": "2022-06-01",
        "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {"oneOf": [one, {"type": "array", "items": one}]},
                    "example": example,
                }
            },
        }
    }


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def check_request(raw: Any) -> None:
    """What the engine's own checks say too vaguely, or not at all: a city or date of the wrong
    JSON type ("is required" though present), and counts above MAX_COUNT (not a 500)."""
    if not isinstance(raw, dict) or set(raw) - {"city", "as_of", "achievements"}:
        return  # the engine names the problem
    city = raw.get("city")
    if city is not None and not isinstance(city, str):
        raise UserInputError("city", f"must be a string (a city name or id), got {_json_kind(city)}")
    as_of = raw.get("as_of")
    if as_of is not None and not isinstance(as_of, str):
        raise UserInputError("as_of", f"must be a string YYYY-MM-DD, got {_json_kind(as_of)}")
    achievements = raw.get("achievements")
    if isinstance(achievements, list):
        for i, achievement in enumerate(achievements):
            if isinstance(achievement, dict):
                check_count(achievement.get("count"), f"achievements[{i}]")


def estimate_all(payload: Any) -> Estimate | list[Estimate]:
    """A request gives an Estimate; an array gives the Estimates in the same order, errors
    prefixed with the request's index (`[1].city`) and keeping their allowed values."""
    from calculators.engine import estimate

    if not isinstance(payload, list):
        check_request(payload)
        return estimate(payload)
    out = []
    for i, request in enumerate(payload):
        try:
            check_request(request)
            out.append(estimate(request))
        except UserInputError as err:
            raise renamed(err, f"[{i}].{err.field}") from None
    return out


def estimates_json(result: Estimate | list[Estimate]) -> str:
    if isinstance(result, list):
        return "[" + ",".join(e.model_dump_json() for e in result) + "]"
    return result.model_dump_json()


@api.post(
    "/estimate",
    tags=["calculators"],
    summary="Award calculation for one request, or an array of them (a portfolio)",
    response_model=None,
    responses={
        200: {"model": Estimate, "description": "an Estimate, or an array in the same order"},
        **BODY_ERRORS,
    },
    openapi_extra=_estimate_request_schema(),
)
async def api_estimate(payload: Any = Body(...)) -> Response:
    if isinstance(payload, list) and len(payload) > INLINE_PORTFOLIO_SIZE:
        result = await run_in_threadpool(estimate_all, payload)
    else:
        result = estimate_all(payload)
    return json_response(estimates_json(result))


def require_database(what: str) -> None:
    """503 when SUBSIDY_DATABASE_URL names a database this instance cannot use (checked before
    the turn: a turn answered and then not stored would be a conversation silently lost)."""
    from subsidy.service import database_problem, database_unusable_detail

    problem = database_problem()
    if problem:
        log.error("%s unavailable: SUBSIDY_DATABASE_URL %s", what, problem)
        raise ServiceError(503, f"{what} is not available: {database_unusable_detail(problem)}")


# ---------------------------------------------------------------- chat
def chat_turn_function() -> Callable[..., Any]:
    """The assistant's `chat_turn`, imported on first use (it loads the retrieval index)."""
    try:
        from assistant.dialogue import chat_turn
    except ImportError as err:
        log.error("chat assistant unavailable: %s", err)
        raise HTTPException(status_code=503, detail="the chat assistant is not available") from None
    return chat_turn


def check_message(text: str, limit: int, field: str = "message") -> str:
    if not text.strip():
        raise UserInputError(field, "must not be empty")
    if len(text) > limit:
        raise UserInputError(field, f"too long: {len(text)} characters (limit {limit})")
    return text


async def run_chat_turn(request: Request, message: str, session_id: str | None, as_of: str | None) -> Any:
    """One chat turn as the API and the chat page both run it: checked, then off the event loop."""
    from subsidy.dates import parse_iso_date

    check_message(message, settings_of(request).max_message_chars)
    if as_of:
        parse_iso_date(as_of, "as_of")
    chat_turn = chat_turn_function()
    # the conversation lives there: without it every turn would be answered and then forgotten
    await run_in_threadpool(require_data_dir, "the chat")
    await run_in_threadpool(require_database, "the chat")
    return await run_in_threadpool(one_turn_at_a_time, chat_turn, message, session_id, as_of or None)


def one_turn_at_a_time(
    chat_turn: Callable[..., Any], message: str, session_id: str | None, as_of: str | None
) -> Any:
    """The turn inside its conversation's turn lock: a concurrent turn on the same conversation,
    on this instance or another, waits for this one to be stored (assistant.sessions.turn_lock)."""
    from assistant import sessions

    try:
        with sessions.turn_lock(session_id):
            return chat_turn(message, session_id=session_id, as_of=as_of)
    except sessions.StoreUnavailable as err:
        log.error("the chat is not available: %s", err)
        raise ServiceError(503, "the chat is not available: the session store cannot be reached") from None


@api.post(
    "/chat",
    tags=["assistant"],
    summary="One chat turn; send the returned session_id to continue the conversation",
    response_model=None,
    responses={
        200: {"model": ChatAnswer},
        429: {"model": ErrorBody, "description": "rate limit"},
        503: UNAVAILABLE,
        **BODY_ERRORS,
    },
    dependencies=[Depends(limit_chat_rate)],
)
async def api_chat(body: ChatRequest, request: Request) -> Response:
    answer = await run_chat_turn(request, body.message, body.session_id, body.as_of)
    return json_response(answer.model_dump_json())


# ---------------------------------------------------------------- search
SEARCH_PARAMETERS = {"query": "q", "q": "q", "k": "k", "city": "city"}


@api.get(
    "/search",
    tags=["retrieval"],
    summary="Retrieval over the policy corpus",
    response_model=list[Hit],
    responses={503: UNAVAILABLE, **ERRORS},
)
async def api_search(
    request: Request,
    q: str = Query(..., description="the query"),
    k: int = Query(5, ge=1, description="number of hits: at least 1; more than 50 is cut to 50"),
    city: str | None = Query(None, description="only this city's documents (any spelling)"),
    with_national: bool = Query(
        False, description="with `city`: national documents too (the CLI's --with-national)"
    ),
) -> Response:
    from knowledge.regions import resolve_region

    check_message(q, settings_of(request).max_message_chars, field="q")
    if city and city.strip():
        resolve_region(city, "city")  # before anything heavy loads, as the CLI does
    try:
        from knowledge.search import search
    except ImportError as err:
        log.error("retrieval unavailable: %s", err)
        raise HTTPException(status_code=503, detail="retrieval is not available") from None
    try:
        hits = await run_in_threadpool(
            search, q, k=min(50, k), city=city or None, include_national=with_national
        )
    except UserInputError as err:
        if err.field in SEARCH_PARAMETERS:  # named as the HTTP parameter (the library says `query`)
            raise renamed(err, SEARCH_PARAMETERS[err.field]) from None
        # the index, the embedding model or the data directory: the server's fault, not the client's
        log.error("retrieval unavailable: %s", err)
        await run_in_threadpool(require_data_dir, "retrieval")
        raise ServiceError(
            503, f"retrieval is not available: the server's {err.field} cannot be used (see the server log)"
        ) from None
    return json_response("[" + ",".join(hit.model_dump_json() for hit in hits) + "]")


# ---------------------------------------------------------------- policies
@api.get(
    "/policies",
    tags=["knowledge"],
    summary="The policy documents with their status on a date",
    response_model=list[Policy],
    responses=ERRORS,
)
async def api_policies(
    city: str | None = Query(None, description="only this city's documents (any spelling)"),
    as_of: str | None = Query(None, description="status on this date, YYYY-MM-DD (default: today)"),
) -> list[dict[str, Any]]:
    from knowledge.policies import list_policies

    return list_policies(city=city, as_of=as_of)


@api.get(
    "/policies/{doc_id}",
    tags=["knowledge"],
    summary="One policy document with its articles",
    response_model=PolicyDetail,
    responses={404: {"model": ErrorBody}, **ERRORS},
)
async def api_policy(
    doc_id: str,
    as_of: str | None = Query(None, description="status on this date, YYYY-MM-DD (default: today)"),
) -> dict[str, Any]:
    from knowledge.corpus import document
    from knowledge.policies import policy_detail

    try:
        document(doc_id)
    except UserInputError as err:
        raise HTTPException(status_code=404, detail=str(err)) from None
    return policy_detail(doc_id, as_of=as_of)


router.include_router(api)


def document_request_models(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the Estimate request models to an OpenAPI schema (the route reads a raw body)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    request_schema = EstimateRequestIn.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(request_schema.pop("$defs", {}))
    components["EstimateRequestIn"] = request_schema
    return schema
