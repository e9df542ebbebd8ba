"""How many OpenMP threads one query embedding should use, decided per query.

A short query is split across threads layer by layer, so every thread must be on a core at each
of the forward pass's ~70 barriers. On idle cores two threads embed a query in ~19 ms against
~30 ms for one; with one core busy elsewhere two threads take ~170 ms. So a query uses one
thread plus the cores that are idle when it starts, and after a multi-threaded query ran much
slower than usual (a rival the snapshot missed: kernel writeback, a burst elsewhere) the next
queries run on one thread for a while.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def idle_core_threads(cores: int, proc: Path = PROC) -> int:
    """One, plus the cores nothing else wants at this instant.

    /proc/loadavg's fourth field counts the machine's runnable tasks. This process's own
    Python and OpenMP threads (named like the process) are not rivals: the caller holds the
    model and the workers may still be spinning from the last call. Its other native threads
    are (Chroma's tokio and SQLite workers run on after a query). Where /proc cannot be read
    (not Linux) one thread is the safe choice.
    """
    try:
        runnable = int((proc / "loadavg").read_text().split()[3].split("/")[0])
        own = _own_runnable_threads(proc / "self")
    except (OSError, IndexError, ValueError):
        return 1
    others = max(0, runnable - own)
    return max(1, min(cores, cores - others))


def _own_runnable_threads(self_dir: Path) -> int:
    """Runnable threads of this process that carry the process's own name; at least the caller."""
    name = (self_dir / "comm").read_bytes().strip()
    running = 0
    for stat in (self_dir / "task").glob("*/stat"):
        try:
            text = stat.read_bytes()
        except OSError:  # the thread ended meanwhile
            continue
        # "tid (comm) S ...": comm may hold spaces and parentheses; the state follows the last ")"
        close = text.rindex(b")")
        if text[text.index(b"(") + 1 : close] == name and text[close + 2 : close + 3] == b"R":
            running += 1
    return max(1, running)


class QueryThreads:
    """Chooses each query's thread count and backs off to one after a slow parallel query."""

    def __init__(
        self,
        cores: int | None = None,
        *,
        proc: Path = PROC,
        clock: Callable[[], float] = time.monotonic,
        slow_factor: float = 3.0,
        backoff_s: float = 0.5,
        history: int = 32,
    ) -> None:
        self.cores = cores or usable_cores()
        self._proc = proc
        self._clock = clock
        self._slow_factor = slow_factor
        self._backoff_s = backoff_s
        self._per_token: deque[float] = deque(maxlen=history)  # seconds per token, parallel runs
        self._single_until = 0.0
        self._lock = threading.Lock()

    def choose(self) -> int:
        if self.cores <= 1 or self._clock() < self._single_until:
            return 1
        return idle_core_threads(self.cores, self._proc)

    def record(self, threads: int, tokens: int, seconds: float) -> None:
        """Report how long a query took; a parallel run far slower than usual starts a back-off."""
        if threads <= 1:
            return
        per_token = seconds / max(1, tokens)
        with self._lock:
            usual = statistics.median(self._per_token) if len(self._per_token) >= 4 else None
            if usual is not None and per_token > self._slow_factor * usual:
                self._single_until = self._clock() + self._backoff_s
            else:
                self._per_token.append(per_token)
