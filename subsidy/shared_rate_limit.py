"""The chat rate limit shared by every instance: the token bucket of `security.RateLimiter`, kept
in the session database when SUBSIDY_DATABASE_URL names one.

One row per client in `rate_buckets`, updated by a single `INSERT … ON CONFLICT DO UPDATE …
RETURNING` statement: the database's row lock makes the refill-and-take atomic across threads,
workers and machines, in PostgreSQL and SQLite alike. Time is the wall clock of the asking
instance (monotonic clocks differ between machines); a clock behind the last use refills nothing.
Without SUBSIDY_DATABASE_URL each worker keeps its own buckets in memory, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from assistant import store
from foundation.settings import Settings
from subsidy.security import RateLimiter

log = logging.getLogger("subsidy.service")

# the bucket after refilling for the time since its last use, capped at the capacity
_REFILLED = (
    "(CASE WHEN rate_buckets.tokens + (CASE WHEN :now > rate_buckets.at THEN :now - rate_buckets.at ELSE 0 END)"
    " * :rate > :capacity THEN :capacity ELSE rate_buckets.tokens"
    " + (CASE WHEN :now > rate_buckets.at THEN :now - rate_buckets.at ELSE 0 END) * :rate END)"
)
TAKE_ONE = text(
    "INSERT INTO rate_buckets (key, tokens, at, granted) VALUES (:key, :capacity - 1, :now, 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    f"tokens = CASE WHEN {_REFILLED} >= 1 THEN {_REFILLED} - 1 ELSE {_REFILLED} END, "
    f"granted = CASE WHEN {_REFILLED} >= 1 THEN 1 ELSE 0 END, "
    "at = CASE WHEN :now > rate_buckets.at THEN :now ELSE rate_buckets.at END "
    "RETURNING tokens, granted"
)
# a bucket untouched for its whole refill time is full again: the same as no row
FORGET_FULL = text("DELETE FROM rate_buckets WHERE key LIKE :prefix AND at < :since")


class DatabaseRateLimiter:
    """`limit` turns per client, refilled evenly over `seconds`, counted in the database."""

    FORGET_EVERY = 1000  # acquisitions between two clean-ups of full buckets, per process

    def __init__(
        self, url: str, limit: int, seconds: float, name: str = "chat", clock: Callable[[], float] = time.time
    ):
        self.url = url
        self.capacity = float(limit)
        self.seconds = seconds
        self.refill_per_second = limit / seconds
        self.prefix = f"{name}:"
        self.clock = clock
        self._count = 0

    def acquire(self, client: str) -> float | None:
        """Take one token; None when allowed, else the seconds until a token is back. A store
        that cannot be reached lets the request through (and logs it): the chat turn itself then
        reports the store, and a limiter must not be what takes the service down."""
        now = self.clock()
        values = {
            "key": self.prefix + client,
            "now": now,
            "rate": self.refill_per_second,
            "capacity": self.capacity,
        }
        try:
            with store.writing(self.url) as conn:
                tokens, granted = conn.execute(TAKE_ONE, values).one()
                self._count += 1
                if self._count % self.FORGET_EVERY == 0:
                    conn.execute(FORGET_FULL, {"prefix": self.prefix + "%", "since": now - self.seconds})
        except SQLAlchemyError:
            log.warning("shared rate limit unavailable; request let through", exc_info=True)
            return None
        if granted:
            return None
        return (1.0 - float(tokens)) / self.refill_per_second


def chat_limiter(settings: Settings) -> RateLimiter | DatabaseRateLimiter:
    """Shared across instances when SUBSIDY_DATABASE_URL is set; per worker process otherwise."""
    limit, seconds = settings.service.chat_rate_limit, settings.service.chat_rate_seconds
    if settings.database_url is None:
        return RateLimiter(limit, seconds)
    return DatabaseRateLimiter(store.database_url(settings.data_dir, settings.database_url), limit, seconds)
