"""What a user added to the shipped knowledge, and caches that follow it.

A consultant ingests new policy documents (`subsidy ingest`), adds regions and installs rule
files (`subsidy rules install`). They live in the data directory (`SUBSIDY_DATA_DIR`, never
inside the installed package):

    <data dir>/policies/          ingested documents (knowledge/ingested.py)
    <data dir>/rules/<id>.yaml    installed rule files (calculators/rulebook.py)
    <data dir>/regions.yaml       regions the shipped list does not have
    <data dir>/user-data-version  a token rewritten on every change

The corpus, the regions and the rule files are read once and cached; `follows_user_data`
makes such a cache forget itself when the token changes: at once in the process that made the
change (`mark_changed`), within a second in another one (a running `subsidy serve` picks up a
document ingested from the command line).
"""

from __future__ import annotations

import functools
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

from foundation.settings import DATA_DIR_VARIABLE, data_dir_from_env

VERSION_FILE = "user-data-version"
RECHECK_SECONDS = 1.0

P = ParamSpec("P")
R = TypeVar("R")


def user_data_dir() -> Path:
    """SUBSIDY_DATA_DIR, else the platform's user data directory (read now, not at import)."""
    return data_dir_from_env()


class _Tracker:
    """The last version seen and when the file was last read; clears the caches on a change."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: tuple[str, str] | None = None
        self.seen_setting: str | None = None  # SUBSIDY_DATA_DIR as it was at the last check
        self.checked_at = 0.0
        self.caches: list[Callable[[], None]] = []

    def current(self) -> tuple[str, str]:
        folder = user_data_dir()
        try:
            token = (folder / VERSION_FILE).read_text("utf-8").strip()
        except OSError:
            token = ""
        return str(folder), token

    def check(self) -> None:
        # the hot path (every cached call): one clock read and one environment lookup; the data
        # directory itself is worked out only when the setting changed or a second has passed
        now = time.monotonic()
        setting = os.environ.get(DATA_DIR_VARIABLE)
        if self.seen is not None and setting == self.seen_setting and now - self.checked_at < RECHECK_SECONDS:
            return
        version = self.current()
        with self.lock:
            self.checked_at = now
            self.seen_setting = setting
            if version != self.seen:
                self.seen = version
                for clear in self.caches:
                    clear()

    def forget(self) -> None:
        with self.lock:
            self.seen = None
            for clear in self.caches:
                clear()


_tracker = _Tracker()


class FollowsUserData(Generic[P, R]):
    """A `functools.cache` that is dropped when the user's data changes (see the module docstring)."""

    def __init__(self, fn: Callable[P, R]) -> None:
        self._cached: Any = functools.cache(fn)
        functools.update_wrapper(self, fn)
        _tracker.caches.append(self._cached.cache_clear)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        _tracker.check()
        result: R = self._cached(*args, **kwargs)
        return result

    def cache_clear(self) -> None:
        self._cached.cache_clear()


def follows_user_data(fn: Callable[P, R]) -> FollowsUserData[P, R]:
    return FollowsUserData(fn)


def mark_changed() -> None:
    """Record a change to the user's data: every process's caches of it are renewed."""
    folder = user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / VERSION_FILE, uuid.uuid4().hex + "\n")
    _tracker.forget()


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
