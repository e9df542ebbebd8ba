"""The service's protections, configured from the environment.

| variable | default | meaning |
| --- | --- | --- |
| `SUBSIDY_API_KEY` | unset | when set, every `/api/*` request needs the header `X-API-Key: <value>`, and the web pages a login (/login) |
| `SUBSIDY_CORS_ORIGINS` | unset (CORS off) | comma-separated origins allowed to call the API from a browser |
| `SUBSIDY_CHAT_RATE` | `6000/60` | chat turns allowed per client (IP) per N seconds, per worker process; across all instances when `SUBSIDY_DATABASE_URL` is set (subsidy/shared_rate_limit.py) |
| `SUBSIDY_SEARCH_RATE` | `6000/60` | searches (API and policies page) allowed per client per N seconds, per worker |
| `SUBSIDY_TRUSTED_PROXIES` | unset | comma-separated addresses or networks of reverse proxies whose `X-Forwarded-For` names the client (for the rate limits); unset: the header is ignored |
| `SUBSIDY_MAX_BODY_BYTES` | `1048576` | request bodies above this are refused with 413 |
| `SUBSIDY_MAX_MESSAGE_CHARS` | `4000` | a chat message above this is a 422 naming `message` |

Here: the settings, the rate limits (per client, trusted proxies) and the API key and login
cookie. The middleware that applies them is subsidy/middleware.py; the error shape and the
security headers are subsidy/http_errors.py.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from fastapi import HTTPException, Request

from foundation.env import max_message_chars, positive_int_setting
from foundation.errors import ConfigError
from foundation.limits import MAX_MESSAGE_CHARS
from subsidy.http_errors import ServiceError

log = logging.getLogger("subsidy.service")

DEFAULT_CHAT_RATE = "6000/60"
DEFAULT_SEARCH_RATE = "6000/60"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_MESSAGE_CHARS = MAX_MESSAGE_CHARS


@dataclass(frozen=True)
class ServiceSettings:
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    chat_rate_limit: int = 6000
    chat_rate_seconds: float = 60.0
    search_rate_limit: int = 6000
    search_rate_seconds: float = 60.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks (SUBSIDY_TRUSTED_PROXIES)


def parse_rate(text: str, name: str = "SUBSIDY_CHAT_RATE") -> tuple[int, float]:
    """`N/SECONDS` (e.g. `60/60`), or `N/minute` / `N/second` / `N/hour`."""
    units = {"s": 1.0, "second": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0}
    units |= {"h": 3600.0, "hour": 3600.0}
    count, _, per = text.strip().partition("/")
    per = per.strip().lower() or "60"
    try:
        seconds = units[per] if per in units else float(per)
        limit = int(count)
    except ValueError:
        raise ConfigError(name, f"not a rate: {text!r}; use N/SECONDS, e.g. 600/60") from None
    if limit < 1 or not seconds > 0:
        raise ConfigError(name, f"not a rate: {text!r}; both numbers must be positive")
    return limit, seconds


def load_service_settings() -> ServiceSettings:
    """Read the environment now (not at import), so a test or a restart sees the current values."""
    api_key = os.environ.get("SUBSIDY_API_KEY", "").strip() or None
    origins = tuple(o.strip() for o in os.environ.get("SUBSIDY_CORS_ORIGINS", "").split(",") if o.strip())
    limit, seconds = parse_rate(os.environ.get("SUBSIDY_CHAT_RATE", "").strip() or DEFAULT_CHAT_RATE)
    search_limit, search_seconds = parse_rate(
        os.environ.get("SUBSIDY_SEARCH_RATE", "").strip() or DEFAULT_SEARCH_RATE, "SUBSIDY_SEARCH_RATE"
    )
    return ServiceSettings(
        api_key=api_key,
        cors_origins=origins,
        chat_rate_limit=limit,
        chat_rate_seconds=seconds,
        search_rate_limit=search_limit,
        search_rate_seconds=search_seconds,
        max_body_bytes=positive_int_setting("SUBSIDY_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        max_message_chars=max_message_chars(),
        trusted_proxies=parse_trusted_proxies(os.environ.get("SUBSIDY_TRUSTED_PROXIES", "")),
    )


def parse_trusted_proxies(text: str, name: str = "SUBSIDY_TRUSTED_PROXIES") -> tuple[str, ...]:
    """Comma-separated addresses or networks (10.0.0.5, 10.0.0.0/8, ::1); a bad one is a ConfigError."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(name, f"not an IP address or network: {part!r}") from None
    return tuple(out)


def settings_of(request: Request) -> ServiceSettings:
    return request.app.state.settings


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
