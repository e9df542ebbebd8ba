"""The API reference page (/docs): the OpenAPI document rendered as a page (linked from the footer).

Swagger UI would need a CDN and inline script, which the CSP forbids.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from subsidy.dependencies import get_settings
from subsidy.web.rendering import render

router = APIRouter(include_in_schema=False)


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
        api_key_required=get_settings(request).service.api_key is not None,
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
