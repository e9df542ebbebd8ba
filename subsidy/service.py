"""The HTTP API and web UI (FastAPI): thin faces over the same library functions as the CLI.

Every user mistake becomes a 422 naming the field; anything unexpected becomes a 500 with
a one-line message. No response ever carries a stack trace.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from subsidy.errors import UserInputError

log = logging.getLogger("subsidy.service")


def _validation_message(err: RequestValidationError) -> tuple[str, str]:
    first = err.errors()[0] if err.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query")]
    field = ".".join(loc) or "body"
    return field, f"{field}: {first.get('msg', 'invalid')}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserInputError)
    async def user_error(_: Request, err: UserInputError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": str(err), "field": err.field, "allowed": err.allowed}
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        field, message = _validation_message(err)
        return JSONResponse(status_code=422, content={"detail": message, "field": field})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content={"detail": f"internal error ({type(err).__name__})"})


def create_app() -> FastAPI:
    from subsidy import api_routes

    app = FastAPI(
        title="标准化补助助手 API",
        description="Which local subsidies a company's standardization work earns, how much, and under which article.",
        version="0.1.0",
    )
    install_error_handlers(app)
    app.include_router(api_routes.router)
    try:
        from subsidy import web_routes
    except ImportError:  # pages not built yet
        web_routes = None  # type: ignore[assignment]
    if web_routes is not None:
        web_routes.mount(app)
    return app


def serve(host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    uvicorn.run(
        "subsidy.service:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
    )
