"""The service's protections: the rate limits (per client, trusted proxies), the API key and
the login cookie. Their settings (SUBSIDY_API_KEY, SUBSIDY_CHAT_RATE …) are read with all the
others by foundation/settings.py. The middleware that applies them is subsidy/middleware.py; the
error shape and the security headers are subsidy/http_errors.py.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from functools import cache

from fastapi import HTTPException, Request

from foundation.settings import ServiceSettings, Settings
from subsidy.http_errors import ServiceError

log = logging.getLogger("subsidy.service")


def settings_of(request: Request) -> ServiceSettings:
    """The service settings of the app serving this request (read once, when it was created)."""
    settings: Settings = request.app.state.settings
    return settings.service


# ---------------------------------------------------------------- rate limiting
class RateLimiter:
    """A token bucket per client: `limit` turns, refilled evenly over `seconds`.

    In memory, so each worker process counts on its own; that keeps it free of shared state
    and the limit is per worker (document it, set it accordingly). With SUBSIDY_DATABASE_URL the
    same bucket lives in the database instead (subsidy.shared_rate_limit), shared by all.
    """

    MAX_CLIENTS = 10_000

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(limit)
        self.refill_per_second = limit / seconds
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float | None:
        """Take one token; returns None when allowed, else the seconds until a token is back."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                if len(self._buckets) > self.MAX_CLIENTS:
                    self._forget_full_buckets(now)
                return None
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.refill_per_second

    def _forget_full_buckets(self, now: float) -> None:
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.refill_per_second >= self.capacity:
                del self._buckets[key]


@cache
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """Who the rate limits count: the peer, unless the peer is a trusted proxy; then the last
    address in X-Forwarded-For that is not itself a trusted proxy (the one our proxy saw).
    Addresses a client wrote further left are never believed."""
    if not peer:
        return "unknown"
    if not forwarded_for or not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def client_key(request: Request) -> str:
    trusted = settings_of(request).trusted_proxies
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), trusted)


def _limit(request: Request, limiter: RateLimiter, what: str) -> None:
    wait = limiter.acquire(client_key(request))
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            status_code=429,
            detail=f"too many {what} requests from this client; retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


def limit_chat_rate(request: Request) -> None:
    """Dependency of the chat endpoints (API and page): 429 with Retry-After past the limit."""
    _limit(request, request.app.state.chat_limiter, "chat")


def limit_search_rate(request: Request) -> None:
    """Dependency of the search endpoints (API and the policies page's search)."""
    _limit(request, request.app.state.search_limiter, "search")


# ---------------------------------------------------------------- API key
API_KEY_HEADER = "X-API-Key"
LOGIN_COOKIE = "subsidy_login"
LOGIN_SECONDS = 30 * 24 * 3600
LOGIN_PATH = "/login"
# open without the key: health probes, the login form and what it loads, the API description
OPEN_PATHS = ("/healthz", LOGIN_PATH, "/openapi.json", "/docs")
OPEN_PREFIXES = ("/static/",)


def key_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _signature(key: str, expires: int) -> str:
    return hmac.new(key.encode("utf-8"), f"page-login:{expires}".encode(), hashlib.sha256).hexdigest()


def login_cookie_value(key: str, now: float | None = None) -> str:
    """`<expiry>.<HMAC of it under the API key>`: proves the key was typed, reveals nothing of it,
    and stops working when the key changes or the expiry passes."""
    expires = int((now if now is not None else time.time()) + LOGIN_SECONDS)
    return f"{expires}.{_signature(key, expires)}"


def login_cookie_valid(value: str | None, key: str, now: float | None = None) -> bool:
    expires, _, signature = (value or "").partition(".")
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(signature.encode(), _signature(key, int(expires)).encode())


def check_api_key(settings: ServiceSettings, given: str | None) -> None:
    """401 unless the server sets no key or `given` is it (for routes outside KeyMiddleware's
    reach, such as the mounted MCP app)."""
    expected = settings.api_key
    if expected is None:
        return
    if not key_matches(given, expected):
        raise ServiceError(
            401,
            f"{API_KEY_HEADER}: missing or wrong API key",
            field=API_KEY_HEADER,
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )


def presented_key(x_api_key: str | None, authorization: str | None) -> str | None:
    """The key a client sent: `X-API-Key`, or `Authorization: Bearer <key>` (what the OpenAI SDK
    and MCP clients send), so the same SUBSIDY_API_KEY guards /v1/* and /mcp."""
    if x_api_key:
        return x_api_key
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
