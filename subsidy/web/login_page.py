"""The login page (/login): when SUBSIDY_API_KEY is set, the web pages ask for the key once and
keep a signed HttpOnly cookie (subsidy.middleware.KeyMiddleware checks it before anything else)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from subsidy.security import (
    LOGIN_COOKIE,
    LOGIN_PATH,
    LOGIN_SECONDS,
    key_matches,
    limit_chat_rate,
    login_cookie_value,
    settings_of,
)
from subsidy.web.forms import form_fields, same_origin
from subsidy.web.rendering import render

router = APIRouter(include_in_schema=False)


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
