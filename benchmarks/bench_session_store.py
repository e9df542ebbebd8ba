"""Session-store benchmark (printed figures, not a test): what the store adds to a chat turn.

For the embedded SQLite file and for PostgreSQL (a throwaway cluster started here, as the tests
do), per turn: turn_lock + load_state + save_turn, sequential and from 8 threads on 8
conversations; and recent_turns (what the chat page reads). A turn's own work (extraction,
calculators, retrieval) is not in these figures.
Run: .venv/bin/python benchmarks/bench_session_store.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TURNS = 300
THREADS = 8


def one_turn(session_id: str) -> float:
    from assistant import sessions
    from assistant.models import SessionState

    started = time.perf_counter()
    with sessions.turn_lock(session_id):
        state = sessions.load_state(session_id) or SessionState()
        state.turns += 1
        sessions.save_turn(session_id, state, "主导制定国家标准", "可获资助。", None)
    return time.perf_counter() - started


def measure(label: str) -> None:
    from assistant import sessions, store

    sessions.check_writable()
    times = [one_turn(f"seq{i % 20}") for i in range(TURNS)]
    print(f"{label:<11} one turn at a time: p50 {statistics.median(times) * 1000:.1f} ms", end="")
    print(f", p95 {sorted(times)[int(0.95 * len(times))] * 1000:.1f} ms")

    def worker(n: int) -> None:
        for _ in range(TURNS // THREADS):
            one_turn(f"par{n}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done = THREADS * (TURNS // THREADS)
    print(f"{label:<11} {THREADS} threads, {THREADS} conversations: {done / elapsed:.0f} turns/s")
    started = time.perf_counter()
    for i in range(TURNS):
        sessions.recent_turns(f"seq{i % 20}")
    print(f"{label:<11} recent_turns: {(time.perf_counter() - started) / TURNS * 1000:.2f} ms")
    store.forget_engines()


def main() -> None:
    from tests.postgres_cluster import start_cluster

    os.environ["SUBSIDY_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-store-")
    os.environ.pop("SUBSIDY_DATABASE_URL", None)
    measure("SQLite")
    cluster = start_cluster()
    try:
        os.environ["SUBSIDY_DATABASE_URL"] = cluster.create_database()
        measure("PostgreSQL")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
