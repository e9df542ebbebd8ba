"""The middleware around every route, outermost first: `KeyMiddleware` (with SUBSIDY_API_KEY set, a
request without the key gets its 401, or for a page the way to /login, before anything reads its
body), `GuardMiddleware` (refuses oversized bodies, adds the security headers to every response,
turns anything unexpected into a one-line 500) and `HeadAsGetMiddleware` (HEAD on every GET route)."""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foundation.settings import DEFAULT_MAX_BODY_BYTES
from subsidy.http_errors import SECURITY_HEADERS, BodyTooLarge, json_error_messages
from subsidy.security import (
    API_KEY_HEADER,
    LOGIN_COOKIE,
    LOGIN_PATH,
    OPEN_PATHS,
    OPEN_PREFIXES,
    key_matches,
    login_cookie_valid,
    presented_key,
)

log = logging.getLogger("subsidy.service")


# ---------------------------------------------------------------- HEAD
class HeadAsGetMiddleware:
    """HEAD is GET without the body: the route runs as GET, the headers (length included) go out."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class GuardMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    for message in json_error_messages(413, BodyTooLarge(limit).detail, "body"):
                        await send(message)
                    return
                break

        started = False
        received = 0

        async def guarded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS:
                    if key not in headers:
                        headers[key] = value
            await send(message)

        try:
            await self.app(scope, guarded_receive, send_with_headers)
        except BodyTooLarge as err:
            if not started:
                for message in json_error_messages(413, str(err.detail), "body"):
                    await send(message)
        except Exception as err:  # the last line of defence: one line, never a stack trace
            log.exception("unhandled error on %s", scope.get("path"))
            if not started:
                for message in json_error_messages(500, f"internal error ({type(err).__name__})"):
                    await send(message)


class KeyMiddleware:
    """With SUBSIDY_API_KEY set: /api/* needs the X-API-Key header, pages the login cookie (or the
    header). Checked before anything reads the body: a keyless request gets 401 whatever it sent."""

    def __init__(self, app: ASGIApp, api_key: str | None):
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.api_key is None or scope["type"] != "http" or self._open(scope):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = presented_key(headers.get(API_KEY_HEADER.lower()), headers.get("authorization"))
        if key_matches(given, self.api_key):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if not path.startswith("/api/"):
            cookie = SimpleCookie()
            try:
                cookie.load(headers.get("cookie", ""))
            except Exception:  # a malformed Cookie header: as if there were none
                cookie = SimpleCookie()
            morsel = cookie.get(LOGIN_COOKIE)
            if login_cookie_valid(morsel.value if morsel else None, self.api_key):
                await self.app(scope, receive, send)
                return
            if scope["method"] in ("GET", "HEAD") and "text/html" in headers.get("accept", ""):
                await _redirect(send, f"{LOGIN_PATH}?next={quote(path)}")
                return
        detail = f"{API_KEY_HEADER}: missing or wrong API key"
        for message in json_error_messages(401, detail, API_KEY_HEADER, {"www-authenticate": API_KEY_HEADER}):
            await send(message)

    @staticmethod
    def _open(scope: Scope) -> bool:
        path = scope["path"]
        return scope["method"] == "OPTIONS" or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


async def _redirect(send: Send, location: str) -> None:
    headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
