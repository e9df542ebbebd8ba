"""The session store on both databases: the embedded SQLite file and PostgreSQL (a throwaway
cluster, tests/postgres_cluster.py), through the same functions of assistant.sessions."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from assistant import sessions, store
from assistant.models import SessionState
from foundation.errors import UserInputError
from subsidy.shared_rate_limit import DatabaseRateLimiter

ROOT = Path(__file__).resolve().parents[1]


def test_turns_states_and_history_round_trip(session_store: str) -> None:
    assert sessions.load_state("a") is None
    sessions.save_turn(
        "a", SessionState(city="tianjin", turns=1), "我们在天津", "请问是哪一类成果？", "哪一类？"
    )
    sessions.save_turn(
        "a", SessionState(city="tianjin", turns=2), "主导制定国标", "可获 8 万元。", None, {"k": 1}
    )
    sessions.save_turn("b", SessionState(city="weihai", turns=1), "威海", "好的。", None)
    assert sessions.load_state("a") == SessionState(city="tianjin", turns=2)
    assert [(t["n"], t["message"], t["event"]) for t in sessions.history("a")] == [
        (1, "我们在天津", None),
        (2, "主导制定国标", {"k": 1}),
    ]
    last = sessions.recent_turns("a", last=1)
    assert [t["n"] for t in last] == [2] and last[0]["answer"]["answer"] == "可获 8 万元。"
    assert last[0]["answer"]["session_id"] == "a"
    assert [t["message"] for t in sessions.recent_turns("b")] == ["威海"]
    sessions.reset("a")
    assert sessions.load_state("a") == SessionState()
    assert len(sessions.history("a")) == 2  # a reset forgets the facts, not what was said


def test_the_schema_is_created_at_the_current_version_and_opening_again_changes_nothing(
    session_store: str,
) -> None:
    assert sessions.check_writable()  # opens (and so creates) the store
    with store.reading(session_store) as conn:
        assert store.schema_version(conn) == store.SCHEMA_VERSION
    store.forget_engines()
    assert store.migrate(store.engine(session_store)) == store.SCHEMA_VERSION
    with store.reading(session_store) as conn:
        versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
    assert versions == [version for version, _, _ in store.MIGRATIONS]


@pytest.mark.integration
def test_several_processes_start_on_an_empty_database_together(session_store: str) -> None:
    """Instances starting at once: one migrates, the others find it done (no duplicate steps)."""
    code = "from assistant import sessions; sessions.check_writable(); print('ok')"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err[-400:] for _, err in outputs]
    with store.reading(session_store) as conn:
        versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
    assert versions == [version for version, _, _ in store.MIGRATIONS]


OLD_SQLITE_SCHEMA = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                       state TEXT NOT NULL);
CREATE TABLE turns (session_id TEXT NOT NULL, n INTEGER NOT NULL, at TEXT NOT NULL, message TEXT NOT NULL,
                    answer TEXT NOT NULL, follow_up TEXT, event TEXT, PRIMARY KEY (session_id, n));
"""


def test_a_sessions_sqlite3_from_before_versioning_is_migrated_in_place(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SUBSIDY_DATABASE_URL", raising=False)
    store.forget_engines()
    with sqlite3.connect(tmp_path / "sessions.sqlite3") as conn:
        conn.executescript(OLD_SQLITE_SCHEMA)
        conn.execute(
            "INSERT INTO sessions VALUES ('old', '2024-01-01', '2024-01-01', ?)",
            (SessionState(city="weihai", turns=1).model_dump_json(),),
        )
        conn.execute("INSERT INTO turns VALUES ('old', 1, '2024-01-01', '威海', '好的。', NULL, NULL)")
    conn.close()
    assert sessions.load_state("old") == SessionState(city="weihai", turns=1)
    sessions.save_turn("old", SessionState(city="weihai", turns=2), "国标", "可获资助。", None)
    assert [t["n"] for t in sessions.recent_turns("old")] == [1, 2]
    with sqlite3.connect(tmp_path / "sessions.sqlite3") as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (store.SCHEMA_VERSION,)
        assert "answer_json" in [row[1] for row in conn.execute("PRAGMA table_info(turns)")]
    conn.close()
    store.forget_engines()


# ---------------------------------------------------------------- one turn at a time
def one_turn(session_id: str, label: str, pause: float) -> None:
    """A turn as the assistant runs it: read the state, think, store the state it derived."""
    with sessions.turn_lock(session_id):
        state = sessions.load_state(session_id) or SessionState()
        time.sleep(pause)  # the other turns pile up here, unless they wait for this one
        state.turns += 1
        state.city_candidates.append(label)
        sessions.save_turn(session_id, state, label, f"answer {label}", None)


TURNS_FROM_A_PROCESS = """
import sys
from tests.test_session_store import one_turn
for i in range(int(sys.argv[2])):
    one_turn(sys.argv[1], f"p{sys.argv[3]}-{i}", 0.01)
"""


@pytest.mark.integration
def test_concurrent_turns_on_one_conversation_are_serialised(session_store: str) -> None:
    """Threads here and two other processes run turns on one conversation at once: every turn's
    state change survives (none read a state another was about to replace), numbered 1..N."""
    threads = [threading.Thread(target=one_turn, args=("busy", f"t{i}", 0.02)) for i in range(8)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TURNS_FROM_A_PROCESS, "busy", "6", str(n)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    labels = {f"t{i}" for i in range(8)} | {f"p{n}-{i}" for n in range(2) for i in range(6)}
    state = sessions.load_state("busy")
    assert state is not None and state.turns == len(labels) == 20
    assert sorted(state.city_candidates) == sorted(labels)  # no turn's change was lost
    turns = sessions.history("busy")
    assert [t["n"] for t in turns] == list(range(1, 21))
    assert [t["message"] for t in turns] == state.city_candidates  # stored in the order they ran


def test_a_turn_that_stores_under_a_new_id_does_not_wait_for_itself(session_store: str) -> None:
    """A turn holding one id that stores its answer under another (a new conversation issued
    mid-turn): with SQLite, even an id whose lock file is the one already held."""
    other = "fresh"
    if not store.is_postgresql(session_store):
        given = sessions._sqlite_turn_lock_file("given", session_store)
        other = next(
            f"n{i}"
            for i in range(100_000)
            if sessions._sqlite_turn_lock_file(f"n{i}", session_store) == given
        )
    started = time.perf_counter()
    with sessions.turn_lock("given"):
        assert sessions.load_state("given") is None
        sessions.save_turn(other, SessionState(turns=1), "你好", "您好。", None)
    assert time.perf_counter() - started < 5
    assert [t["message"] for t in sessions.history(other)] == ["你好"]


HOLD_AND_WAIT = """
import sys, time
from assistant import sessions
with sessions.turn_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.integration
def test_a_turn_killed_mid_way_lets_go_of_its_conversation(session_store: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, "crash"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        waited: list[float] = []

        def blocked_turn() -> None:
            started = time.perf_counter()
            one_turn("crash", "after", 0)
            waited.append(time.perf_counter() - started)

        turn = threading.Thread(target=blocked_turn)
        turn.start()
        turn.join(timeout=1.0)
        assert turn.is_alive(), "a turn ran while another process held the conversation"
        holder.send_signal(signal.SIGKILL)
        turn.join(timeout=30)
        assert not turn.is_alive() and waited and waited[0] < 30
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert [t["message"] for t in sessions.history("crash")] == ["after"]


# ---------------------------------------------------------------- shared rate limits
def test_the_database_rate_limit_is_one_bucket_for_all_instances(session_store: str) -> None:
    now = [1_000_000.0]
    store.engine(session_store)  # the schema, as the service has it by the first request
    first, second = (DatabaseRateLimiter(session_store, 5, 60, clock=lambda: now[0]) for _ in range(2))
    got = [limiter.acquire("10.0.0.7") for limiter in (first, second, first, second, first)]
    assert got == [None] * 5
    wait = second.acquire("10.0.0.7")
    assert wait is not None and wait == pytest.approx(12.0)  # 5 per 60 s: one token back in 12 s
    assert first.acquire("10.0.0.8") is None  # another client has its own bucket
    now[0] += 12.5
    assert first.acquire("10.0.0.7") is None
    assert second.acquire("10.0.0.7") is not None


def test_the_database_rate_limit_holds_under_concurrent_requests(session_store: str) -> None:
    store.engine(session_store)
    limiters = [DatabaseRateLimiter(session_store, 20, 3600) for _ in range(4)]
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer(limiter: DatabaseRateLimiter) -> None:
        for _ in range(15):
            ok = limiter.acquire("crowd") is None
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(allowed) == 60 and allowed.count(True) == 20  # exactly the limit, never more


# ---------------------------------------------------------------- an unusable database
def test_an_unreachable_database_is_one_line_naming_the_variable(monkeypatch, tmp_path: Path) -> None:
    from tests.postgres_cluster import free_port

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", f"postgresql://someone:s3cret@127.0.0.1:{free_port()}/subsidy")
    try:
        problem = sessions.database_problem()
        assert problem is not None and "OperationalError" in problem
        with pytest.raises(UserInputError, match="SUBSIDY_DATABASE_URL: .*127.0.0.1") as raised:
            sessions.check_writable()
        assert "s3cret" not in str(raised.value)
        with pytest.raises(sessions.StoreUnavailable), sessions.turn_lock("x"):
            pass
    finally:
        store.forget_engines()
