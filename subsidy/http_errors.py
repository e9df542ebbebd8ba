"""How the service says something went wrong: one JSON shape for every error
(`{"detail", "field", "allowed"}`), the HTTP error that can name the culprit, and the security
headers every response carries (errors included)."""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import Message

# No inline script or style anywhere: every page loads /static/app.js and /static/style.css.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),  # same-origin posts carry their Origin
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)


class ServiceError(HTTPException):
    """An HTTP error that, like a UserInputError, can name the culprit and its allowed values."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        field: str | None = None,
        allowed: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.field = field
        self.allowed = allowed or []


def error_body(detail: str, field: str | None = None, allowed: list[str] | None = None) -> dict[str, object]:
    """The one shape of every JSON error."""
    return {"detail": detail, "field": field, "allowed": list(allowed or [])}


class BodyTooLarge(ServiceError):
    """Raised while the body streams in; an HTTPException so FastAPI's body parsing passes it on."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body too large (limit {limit} bytes)", field="body")


def json_error_messages(
    status: int, detail: str, field: str | None = None, extra_headers: dict[str, str] | None = None
) -> tuple[Message, Message]:
    body = json.dumps(error_body(detail, field), ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in [*SECURITY_HEADERS, *(extra_headers or {}).items()]]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    )
