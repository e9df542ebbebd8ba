"""/api/* routes (CONTRACT.md): estimate, chat, search, policies; and /healthz.

Thin: each route validates its input, calls the same library function as the CLI and
returns that function's pydantic model as JSON. The Estimate and the Answer are
serialised straight from their models (no re-encoding pass), which keeps /api/estimate fast.
"""

from __future__ import annotations

import email.message
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.models import Answer
from assistant.sessions import SESSION_ID, StoreUnavailable
from assistant.turn import Assistant
from calculators import engine
from calculators.models import Estimate
from calculators.request import EstimateBody, EstimateRequest, IsoDate, city_spellings
from foundation.dates import ISO_DATE_PATTERN, parse_iso_date
from foundation.errors import ConfigError, Unavailable, UserInputError
from foundation.limits import MAX_MESSAGE_CHARS, MAX_QUERY_CHARS
from foundation.settings import Settings
from foundation.user_text import check_message
from knowledge.corpus import document, load_documents
from knowledge.hit import ContractHit
from knowledge.policies import Policy, PolicyDetail, list_policies, policy_detail
from knowledge.regions import resolve_region
from subsidy.dependencies import AssistantDep, SettingsDep
from subsidy.health import (
    data_dir,
    data_dir_problem,
    data_dir_unusable_detail,
    database_problem,
    database_unusable_detail,
)
from subsidy.http_errors import ServiceError
from subsidy.json_input import parse_json
from subsidy.security import limit_chat_rate, limit_search_rate

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
    """A route whose body is read before FastAPI validates it: 415 for a non-JSON Content-Type,
    422 naming `body` for bytes that are not UTF-8 (FastAPI would answer a bare 400), for a key
    given twice and for nesting deeper than MAX_JSON_DEPTH (subsidy/json_input.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()  # cached on the request: FastAPI reads it from there
                if body:
                    check_json_content_type(request.headers.get("content-type"))
                    try:
                        text = body.decode("utf-8")
                    except UnicodeDecodeError:
                        raise UserInputError("body", BODY_ENCODING_ERROR) from None
                    # parsed once, our way (duplicate keys, depth); FastAPI takes it from the cache
                    request._json = parse_json(text, "body")
            return await handle(request)

        return handler


router = APIRouter()
# The API key is checked by middleware.KeyMiddleware, before anything reads the body.
api = APIRouter(prefix="/api", route_class=JSONBodyRoute)

# Portfolios larger than this run in a worker thread so the event loop keeps serving others.
INLINE_PORTFOLIO_SIZE = 20
SESSION_ID_PATTERN = f"^{SESSION_ID.pattern}$"  # the ids sessions accept, as a JSON Schema pattern
NOT_BLANK = r"\S"  # JSON Schema `pattern` is a search: at least one non-space character


class ChatRequest(BaseModel):
    """POST /api/chat body (CONTRACT.md)."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        ...,
        description="the user's message, in Chinese or English (SUBSIDY_MAX_MESSAGE_CHARS at most)",
        json_schema_extra={"minLength": 1, "maxLength": MAX_MESSAGE_CHARS, "pattern": NOT_BLANK},
    )
    session_id: str | None = Field(
        None,
        pattern=SESSION_ID_PATTERN,
        description="continue this conversation (the session_id of an earlier answer); omit, or send "
        "an id the server did not issue, to start a new one",
    )
    as_of: IsoDate | None = Field(None, description="the grant date, YYYY-MM-DD (default: today)")


class ErrorBody(BaseModel):
    detail: str
    field: str | None = None
    allowed: list[str] = Field(default_factory=list)


ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "invalid input; `field` names the culprit"},
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"model": ErrorBody, "description": "request body above the limit"},
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
    from subsidy.health import (
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

    path = data_dir()
    problem = data_dir_problem(path)
    if problem:
        log.error("%s unavailable: SUBSIDY_DATA_DIR %s: %s", what, path, problem)
        raise ServiceError(503, f"{what} is not available: {data_dir_unusable_detail(problem)}")


# ---------------------------------------------------------------- estimate
def estimate_all(payload: EstimateRequest | list[EstimateRequest]) -> Estimate | list[Estimate]:
    """A request gives an Estimate; a portfolio gives the Estimates in the same order."""

    if isinstance(payload, list):
        return [engine.estimate(request) for request in payload]
    return engine.estimate(payload)


def estimates_json(result: Estimate | list[Estimate]) -> str:
    if isinstance(result, list):
        return "[" + ",".join(e.model_dump_json() for e in result) + "]"
    return result.model_dump_json()


ESTIMATE_EXAMPLE = {
    "city": "天津",
    "as_of": "2022-06-01",
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}


@api.post(
    "/estimate",
    tags=["calculators"],
    summary="Award calculation for one request, or an array of them (a portfolio)",
    description="An EstimateRequest gives an Estimate; an array of them gives the Estimates in the same "
    "order, errors naming the request's index (`[1].city`). A call computes at most 1,000 achievements "
    "(summed over a portfolio): split bigger jobs.",
    response_model=Estimate | list[Estimate],
    responses=BODY_ERRORS,
)
async def api_estimate(payload: EstimateBody = Body(..., examples=[ESTIMATE_EXAMPLE])) -> Response:
    if isinstance(payload, list) and len(payload) > INLINE_PORTFOLIO_SIZE:
        result = await run_in_threadpool(estimate_all, payload)
    else:
        result = estimate_all(payload)
    return json_response(estimates_json(result))


def require_database(what: str) -> None:
    """503 when SUBSIDY_DATABASE_URL names a database this instance cannot use (checked before
    the turn: a turn answered and then not stored would be a conversation silently lost)."""

    problem = database_problem()
    if problem:
        log.error("%s unavailable: SUBSIDY_DATABASE_URL %s", what, problem)
        raise ServiceError(503, f"{what} is not available: {database_unusable_detail(problem)}")


# ---------------------------------------------------------------- chat
async def run_chat_turn(
    assistant: Assistant, settings: Settings, message: str, session_id: str | None, as_of: str | None
) -> Answer:
    """One chat turn as the API, the chat page and /v1 run it: checked, then off the event loop."""
    check_message(message, settings.max_message_chars)
    if as_of:
        parse_iso_date(as_of, "as_of")
    await require_store()
    return await run_in_threadpool(stored_turn, assistant, message, session_id, as_of or None)


async def require_store() -> None:
    """The conversation lives there: without it every turn would be answered and then forgotten."""
    await run_in_threadpool(require_data_dir, "the chat")
    await run_in_threadpool(require_database, "the chat")


def stored_turn(assistant: Assistant, message: str, session_id: str | None, as_of: str | None) -> Answer:
    """The assistant's turn (inside its conversation's turn lock); 503 when the store cannot be reached."""
    try:
        return assistant.turn(message, session_id=session_id, as_of=as_of)
    except StoreUnavailable as err:
        log.error("the chat is not available: %s", err)
        raise ServiceError(503, "the chat is not available: the session store cannot be reached") from None


@api.post(
    "/chat",
    tags=["assistant"],
    summary="One chat turn; send the returned session_id to continue the conversation",
    response_model=None,
    responses={
        200: {"model": Answer},
        429: {"model": ErrorBody, "description": "rate limit"},
        503: UNAVAILABLE,
        **BODY_ERRORS,
    },
    dependencies=[Depends(limit_chat_rate)],
)
async def api_chat(body: ChatRequest, assistant: AssistantDep, settings: SettingsDep) -> Response:
    if body.as_of is not None:
        parse_iso_date(body.as_of, "as_of", empty_is_today=False)  # the schema's YYYY-MM-DD, "" included
    answer = await run_chat_turn(assistant, settings, body.message, body.session_id, body.as_of)
    return json_response(answer.model_dump_json())


# ---------------------------------------------------------------- search
def optional_string(**constraints: Any) -> Callable[[dict[str, Any]], None]:
    """The schema of an optional query parameter: a string (a query cannot send null) with these
    constraints; values given as callables are computed when the schema is first asked for."""

    def edit(schema: dict[str, Any]) -> None:
        schema.pop("anyOf", None)
        schema["type"] = "string"
        schema.update({k: v() if callable(v) else v for k, v in constraints.items()})

    return edit


_city_enum = optional_string(enum=city_spellings)


@api.get(
    "/search",
    tags=["retrieval"],
    summary="Retrieval over the policy corpus",
    response_model=list[ContractHit],
    responses={429: {"model": ErrorBody, "description": "rate limit"}, 503: UNAVAILABLE, **ERRORS},
    dependencies=[Depends(limit_search_rate)],
)
async def api_search(
    q: str = Query(
        ...,
        description=f"the query, at most {MAX_QUERY_CHARS:,} characters",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": NOT_BLANK},
    ),
    k: int = Query(5, ge=1, description="number of hits: at least 1; more than 50 is cut to 50"),
    city: str | None = Query(
        None, description="only this city's documents (any spelling)", json_schema_extra=_city_enum
    ),
    with_national: bool = Query(
        False, description="with `city`: national documents too (the CLI's --with-national)"
    ),
    *,
    assistant: AssistantDep,
) -> Response:
    check_message(q, MAX_QUERY_CHARS, field="q")
    if city is not None:
        resolve_region(city, "city")  # before anything heavy loads, as the CLI does
    try:
        hits = await run_in_threadpool(
            assistant.search, q, k=min(50, k), city=city, include_national=with_national
        )
    except (Unavailable, ConfigError) as err:  # the index, the model: the server's fault (service.py: 503)
        log.error("retrieval unavailable: %s", err)
        await run_in_threadpool(require_data_dir, "retrieval")
        raise
    except UserInputError as err:
        if err.field == "query":  # named as the HTTP parameter
            raise UserInputError("q", err.message, allowed=err.allowed) from None
        raise
    return json_response("[" + ",".join(hit.model_dump_json() for hit in hits) + "]")


# ---------------------------------------------------------------- policies
AS_OF_QUERY = Query(
    None,
    description="status on this date, YYYY-MM-DD (default: today)",
    json_schema_extra=optional_string(format="date", pattern=ISO_DATE_PATTERN),
)


def _strict_date(as_of: str | None) -> str | None:
    if as_of is not None:
        parse_iso_date(as_of, "as_of", empty_is_today=False)
    return as_of


def _doc_ids(schema: dict[str, Any]) -> None:

    schema["enum"] = [doc.id for doc in load_documents()]


@api.get(
    "/policies",
    tags=["knowledge"],
    summary="The policy documents with their status on a date",
    response_model=list[Policy],
    responses=ERRORS,
)
async def api_policies(
    city: str | None = Query(
        None, description="only this city's documents (any spelling)", json_schema_extra=_city_enum
    ),
    as_of: str | None = AS_OF_QUERY,
) -> list[dict[str, Any]]:

    if city is not None:
        resolve_region(city, "city")  # "" too: the schema lists the spellings
    return list_policies(city=city, as_of=_strict_date(as_of))


@api.get(
    "/policies/{doc_id}",
    tags=["knowledge"],
    summary="One policy document with its articles",
    response_model=PolicyDetail,
    responses={404: {"model": ErrorBody}, **ERRORS},
)
async def api_policy(
    doc_id: str = Path(description="a document id, as /api/policies lists them", json_schema_extra=_doc_ids),
    as_of: str | None = AS_OF_QUERY,
) -> dict[str, Any]:

    try:
        document(doc_id)
    except UserInputError as err:
        raise ServiceError(404, str(err).replace("document:", "doc_id:", 1), field="doc_id") from None
    return policy_detail(doc_id, as_of=_strict_date(as_of))


router.include_router(api)


def finish_openapi(schema: dict[str, Any], api_key_required: bool, max_message_chars: int) -> dict[str, Any]:
    """What depends on the server's settings: the API key (declared, with its 401, only when
    SUBSIDY_API_KEY is set) and the chat message limit (SUBSIDY_MAX_MESSAGE_CHARS)."""
    message = schema["components"]["schemas"]["ChatRequest"]["properties"]["message"]
    message["maxLength"] = max_message_chars
    if not api_key_required:
        return schema
    schema["components"]["securitySchemes"] = {
        "APIKeyHeader": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "the server's SUBSIDY_API_KEY",
        }
    }
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            operation["security"] = [{"APIKeyHeader": []}]
            operation["responses"]["401"] = {
                "description": "missing or wrong X-API-Key",
                "content": {JSON: {"schema": error}},
            }
    return schema
