"""The HTTP API and web UI (FastAPI): thin faces over the same library functions as the CLI.

Every user mistake becomes a 422 naming the field; anything unexpected becomes a 500 with
a one-line message. No response ever carries a stack trace. Protections (body limit,
API key, rate limit, CORS, security headers) come from the settings the app is created with
(foundation/settings.py: `Settings.from_env()` by default).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import Scope

from assistant.catalogue import catalogue
from assistant.turn import Assistant
from calculators.request import user_error as said_our_way
from foundation.errors import ConfigError, SubsidyError, Unavailable, UserInputError
from foundation.settings import Settings
from subsidy import api_routes, health, openai_routes, web
from subsidy.http_errors import error_body
from subsidy.mcp_server import MCPEndpoint
from subsidy.middleware import GuardMiddleware, HeadAsGetMiddleware, KeyMiddleware
from subsidy.security import RateLimiter, check_api_key, limit_chat_rate, presented_key
from subsidy.shared_rate_limit import chat_limiter

log = logging.getLogger("subsidy.service")

DESCRIPTION = """Which local subsidies a company's standardization work earns, how much, and under which article.

Amounts are integers in yuan. POST bodies are UTF-8 JSON sent with
`Content-Type: application/json` (`curl -H 'Content-Type: application/json' -d @request.json`).

Every error is `{"detail": "…", "field": "…" or null, "allowed": […]}`: 422 with `field`
naming the culprit (a body that is not UTF-8 JSON names `body`); 415 for a POST whose
Content-Type is not JSON (`field`: `content-type`); 413 for bodies above the limit; 429 when
a client sends chat turns or searches too fast; 401 when the server sets `SUBSIDY_API_KEY` and the
`X-API-Key` header is missing or wrong (checked before anything else); 503 when the server cannot serve the request (e.g. its
data directory `SUBSIDY_DATA_DIR` or its database `SUBSIDY_DATABASE_URL` is unusable: `/healthz`
then says so too). Every GET route
also answers HEAD."""


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserInputError)
    async def user_error(_: Request, err: UserInputError) -> JSONResponse:
        return JSONResponse(status_code=422, content=error_body(str(err), err.field, err.allowed))

    @app.exception_handler(ConfigError)
    @app.exception_handler(Unavailable)
    async def server_cannot(_: Request, err: SubsidyError) -> JSONResponse:
        # the server's own setting or resource: not the client's fault, and not its business which
        log.error("unavailable: %s", err)
        detail = f"not available now: the server's {err.field} cannot be used (see the server log)"
        return JSONResponse(status_code=503, content=error_body(detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
        fields = list(api_routes.ChatRequest.model_fields) if request.url.path == "/api/chat" else None
        problem = said_our_way(err.errors(), fields)
        return JSONResponse(status_code=422, content=error_body(str(problem), problem.field, problem.allowed))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Any:
        render_page = getattr(app.state, "render_error_page", None)
        if render_page is not None and _wants_html(request):
            return render_page(request, err.status_code, str(err.detail))
        content = error_body(str(err.detail), getattr(err, "field", None), getattr(err, "allowed", None))
        return JSONResponse(
            status_code=err.status_code, content=content, headers=getattr(err, "headers", None)
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content=error_body(f"internal error ({type(err).__name__})"))


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/v1/", "/mcp", "/healthz", "/openapi.json", "/static/")):
        return False
    return "text/html" in request.headers.get("accept", "")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    warm_up = functools.partial(health.warm_up, app.state.assistant.search, app.state.settings.retrieval)
    threading.Thread(target=warm_up, name="subsidy-warm-up", daemon=True).start()
    async with app.state.mcp.run():  # the MCP transport's task group, for /mcp
        yield


async def _check_mcp_request(scope: Scope) -> None:
    """/mcp: the same key and chat rate limit as /api/chat (the body limit is the guard's)."""
    request = Request(scope)
    check_api_key(
        request.app.state.settings.service,
        presented_key(request.headers.get("x-api-key"), request.headers.get("authorization")),
    )
    if request.method == "POST":
        limit_chat_rate(request)


def create_app(settings: Settings | None = None, *, assistant: Assistant | None = None) -> FastAPI:
    """The web service of these settings (default: the environment's, read now) and this assistant
    (default: one made of the settings). Routes reach both through `subsidy.dependencies`, so a
    test replaces either with `app.dependency_overrides` or passes its own here."""
    settings = settings or Settings.from_env()
    assistant = assistant or Assistant.from_settings(settings)
    service = settings.service
    app = FastAPI(
        title="标准化补助助手 API",
        description=DESCRIPTION,
        version="0.1.0",
        docs_url=None,  # /docs is served locally by subsidy.web.api_docs_page (no CDN, no inline script)
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.chat_limiter = chat_limiter(settings)
    app.state.search_limiter = RateLimiter(service.search_rate_limit, service.search_rate_seconds)
    install_error_handlers(app)
    app.include_router(api_routes.router)
    app.include_router(openai_routes.router)
    app.state.mcp = MCPEndpoint(_check_mcp_request, catalogue(assistant, settings))
    app.router.routes.append(Route("/mcp", endpoint=app.state.mcp, include_in_schema=False))

    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = api_routes.finish_openapi(
                base_openapi(), service.api_key is not None, service.max_message_chars
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    if service.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(service.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(GuardMiddleware, max_body_bytes=service.max_body_bytes)
    app.add_middleware(KeyMiddleware, api_key=service.api_key)  # outermost: the key before the body
    web.mount(app)
    return app


KEEP_ALIVE_SECONDS = 75


def serve(host: str, port: int, workers: int = 1, *, assistant: Assistant | None = None) -> None:
    """Run uvicorn; with workers > 1 each process builds its own app (sessions live in the store:
    SQLite in the data directory, or SUBSIDY_DATABASE_URL). With `assistant` (one process): the
    app of the environment's settings around that assistant."""
    import uvicorn

    settings = Settings.from_env()  # a bad SUBSIDY_* variable is one line from the CLI, not a worker crash
    health.require_usable_data_dir()
    if assistant is not None and workers != 1:
        raise ValueError("an assistant object is served by one worker process")
    app: Any = (
        "subsidy.service:create_app" if assistant is None else create_app(settings, assistant=assistant)
    )

    uvicorn.run(
        app,
        factory=assistant is None,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Idle keep-alive connections are closed by the client side (a load balancer: nginx and
        # the cloud ones keep them 60 s), not here: when an instance closes one just as the next
        # request arrives on it, that request gets a reset (a 502 at the balancer). uvicorn's 5 s
        # made this happen under load, when the event loop ran late.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # X-Forwarded-For is read by security.client_key, from SUBSIDY_TRUSTED_PROXIES only;
        # uvicorn's own reading would believe any client of a same-host proxy
        proxy_headers=False,
    )
