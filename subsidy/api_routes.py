"""/api/* routes (CONTRACT.md): estimate, chat, search, policies; and /healthz.

Thin: each route validates its input, calls the same library function as the CLI and
returns that function's pydantic model as JSON. The Estimate and the Answer are
serialised straight from their models (no re-encoding pass), which keeps /api/estimate fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from calculators.models import Citation, Estimate, EstimateRequestIn
from knowledge.policies import Policy, PolicyDetail
from subsidy.errors import UserInputError
from subsidy.security import limit_chat_rate, require_api_key, settings_of

log = logging.getLogger("subsidy.service")

router = APIRouter()
api = APIRouter(prefix="/api", dependencies=[Depends(require_api_key)])

JSON = "application/json"
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


def json_response(body: str | bytes, status_code: int = 200) -> Response:
    return Response(content=body, status_code=status_code, media_type=JSON)


# ---------------------------------------------------------------- health
@router.get("/healthz", tags=["service"])
async def healthz() -> dict[str, Any]:
    """Up and serving; `warm` tells whether this worker has loaded the assistant and index yet."""
    from subsidy.service import WARMED_UP

    return {"status": "ok", "warm": WARMED_UP.is_set()}


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
        **ERRORS,
    },
    openapi_extra=_estimate_request_schema(),
)
async def api_estimate(payload: Any = Body(...)) -> Response:
    from subsidy.commands.estimate import estimate_many

    if isinstance(payload, list) and len(payload) > INLINE_PORTFOLIO_SIZE:
        result = await run_in_threadpool(estimate_many, payload)
    else:
        result = estimate_many(payload)
    return json_response(estimates_json(result))


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
    return await run_in_threadpool(chat_turn, message, session_id=session_id, as_of=as_of or None)


@api.post(
    "/chat",
    tags=["assistant"],
    summary="One chat turn; send the returned session_id to continue the conversation",
    response_model=None,
    responses={200: {"model": ChatAnswer}, 429: {"model": ErrorBody, "description": "rate limit"}, **ERRORS},
    dependencies=[Depends(limit_chat_rate)],
)
async def api_chat(body: ChatRequest, request: Request) -> Response:
    answer = await run_chat_turn(request, body.message, body.session_id, body.as_of)
    return json_response(answer.model_dump_json())


# ---------------------------------------------------------------- search
@api.get(
    "/search",
    tags=["retrieval"],
    summary="Retrieval over the policy corpus",
    response_model=list[Hit],
    responses=ERRORS,
)
async def api_search(
    request: Request,
    q: str = Query(..., description="the query"),
    k: int = Query(5, ge=1, description="number of hits: at least 1; more than 50 is cut to 50"),
    city: str | None = Query(None, description="only this city's documents (any spelling)"),
) -> Response:
    check_message(q, settings_of(request).max_message_chars, field="q")
    try:
        from knowledge.search import search
    except ImportError as err:
        log.error("retrieval unavailable: %s", err)
        raise HTTPException(status_code=503, detail="retrieval is not available") from None
    hits = await run_in_threadpool(search, q, k=min(50, k), city=city or None)
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
