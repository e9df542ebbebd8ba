"""Load and fault tests against a real `subsidy serve` on loopback (bounded in count and time).

- 50 concurrent chat sessions x 20 turns against two workers: zero errors, and every answer
  stays in its own session (the city each session named keeps coming back in its Estimates).
- kill -9 the server mid-conversation, start it again on the same data dir, and the same
  session_id continues with the facts it had.

Each runs twice: conversations in the data directory's SQLite file, and in PostgreSQL.

They need the real assistant (assistant.dialogue, issue 5) and skip while it is missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from foundation.settings import Settings

# Real servers (subprocesses), PostgreSQL, and load: ~90 s.
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
HAS_ASSISTANT = importlib.util.find_spec("assistant.dialogue") is not None
needs_assistant = pytest.mark.skipif(
    not HAS_ASSISTANT, reason="assistant.dialogue (issue 5) is not there yet: nothing to load-test"
)

# (city as users write it, city id, standard level as users write it)
SESSIONS_SCRIPT = [
    ("天津", "tianjin", "国家标准"),
    ("郑州", "zhengzhou", "行业标准"),
    ("威海", "weihai", "国家标准"),
    ("枣庄", "zaozhuang", "行业标准"),
    ("临沂", "linyi", "国家标准"),
    ("聊城", "liaocheng", "国家标准"),
    ("佛山", "foshan", "行业标准"),
    ("广州开发区", "guangzhou-huangpu", "国家标准"),
    ("北京", "beijing", "国家标准"),
]
FOLLOW_UPS = [
    "那如果是修订呢？",
    "如果是参与起草呢？",
    "那主导制定呢？",
    "有效期到什么时候？",
    "需要什么材料？",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_index_data_dir(path: Path) -> Path:
    """A fresh SUBSIDY_DATA_DIR (the session store) that reuses the test session's retrieval index.

    The index of the session data dir (tests/conftest.py) is built once (seconds: the shipped
    passage vectors) and linked in, so each server starts with an existing index.
    """
    from knowledge.search import build_index
    from tests.conftest import SESSION_DATA_DIR

    path.mkdir(parents=True, exist_ok=True)
    shared = SESSION_DATA_DIR / "chroma"
    if not shared.exists():
        previous = os.environ.get("SUBSIDY_DATA_DIR")
        os.environ["SUBSIDY_DATA_DIR"] = str(SESSION_DATA_DIR)
        try:
            build_index(Settings.from_env().retrieval, notify=lambda message: None)
        finally:
            if previous is not None:
                os.environ["SUBSIDY_DATA_DIR"] = previous
    link = path / "chroma"
    if not link.exists():
        link.symlink_to(shared, target_is_directory=True)
    return path


LAUNCH_WITH_FAKE_ASSISTANT = """
import sys
from tests.fakes import FakeAssistant
from subsidy.service import serve
serve("127.0.0.1", int(sys.argv[1]), 1, assistant=FakeAssistant())
"""


@dataclass
class Server:
    """`subsidy serve` in its own process group, so it and its workers can be killed together."""

    port: int
    data_dir: Path
    workers: int = 1
    fake_assistant: bool = False
    env_extra: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        env = {name: value for name, value in os.environ.items() if name != "SUBSIDY_API_KEY"}
        env.update({"SUBSIDY_DATA_DIR": str(self.data_dir), **(self.env_extra or {})})
        if self.fake_assistant:
            cmd = [sys.executable, "-c", LAUNCH_WITH_FAKE_ASSISTANT, str(self.port)]
        else:
            cmd = [sys.executable, "-m", "subsidy.cli", "serve", "--host", "127.0.0.1"]
            cmd += ["--port", str(self.port), "--workers", str(self.workers)]
        log = open(self.data_dir / f"server-{self.port}.log", "ab")  # noqa: SIM115 (lives with the process)
        started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}; see {log.name}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1.0).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server not ready within {timeout} s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)  # the group this test started: server + its workers
        self.proc.wait(timeout=30)
        self.proc = None


@pytest.fixture(params=["sqlite", "postgresql"])
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Where the servers keep the conversations: the SQLite file of their data directory, or one
    PostgreSQL database (a fresh one on the test session's throwaway cluster)."""
    if request.param == "sqlite":
        return {}
    return {"SUBSIDY_DATABASE_URL": request.getfixturevalue("postgres_url")}


@pytest.fixture
def server_factory(tmp_path, store_env) -> Iterator:
    started: list[Server] = []

    def make(name: str = "data", **kwargs) -> Server:
        env = {**store_env, **kwargs.pop("env_extra", {})}
        server = Server(
            port=free_port(), data_dir=shared_index_data_dir(tmp_path / name), env_extra=env, **kwargs
        )
        started.append(server)
        return server

    yield make
    for server in started:
        server.kill(signal.SIGTERM)


# ---------------------------------------------------------------- load
async def run_session(client: httpx.AsyncClient, index: int, turns: int) -> dict:
    city_word, city_id, level = SESSIONS_SCRIPT[index % len(SESSIONS_SCRIPT)]
    messages = [f"我们公司在{city_word}，主导制定了一项{level}，能拿多少资助？"]
    messages += [FOLLOW_UPS[i % len(FOLLOW_UPS)] for i in range(turns - 1)]
    session_id = None
    errors: list[str] = []
    cities_seen: list[str] = []
    for turn, message in enumerate(messages):
        body = {"message": message, "as_of": "2022-06-01"}
        if session_id:
            body["session_id"] = session_id
        try:
            response = await client.post("/api/chat", json=body)
        except httpx.HTTPError as err:
            errors.append(f"turn {turn}: {type(err).__name__}")
            continue
        if response.status_code != 200:
            errors.append(f"turn {turn}: HTTP {response.status_code} {response.text[:120]}")
            continue
        answer = response.json()
        if session_id is None:
            session_id = answer["session_id"]
        elif answer["session_id"] != session_id:
            errors.append(f"turn {turn}: session_id changed to {answer['session_id']}")
        if answer.get("estimate"):
            cities_seen.append(answer["estimate"]["city"])
    return {"city": city_id, "session_id": session_id, "errors": errors, "cities": cities_seen}


async def run_load(base: str, sessions: int, turns: int) -> list[dict]:
    limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as client:
        return await asyncio.gather(*(run_session(client, i, turns) for i in range(sessions)))


@needs_assistant
def test_50_concurrent_sessions_of_20_turns_on_two_workers(server_factory):
    server = server_factory(workers=2)
    server.start()
    started = time.perf_counter()
    results = asyncio.run(asyncio.wait_for(run_load(server.base, sessions=50, turns=20), timeout=600))
    elapsed = time.perf_counter() - started
    errors = [f"session {i}: {e}" for i, r in enumerate(results) for e in r["errors"]]
    assert errors == [], errors[:10]
    assert len({r["session_id"] for r in results}) == 50
    for i, result in enumerate(results):
        assert result["cities"], f"session {i} never got an Estimate"
        assert set(result["cities"]) == {result["city"]}, f"session {i} mixed up: {result['cities']}"
    print(f"1000 chat turns in {elapsed:.1f} s ({1000 / elapsed:.0f} turns/s)")


# ---------------------------------------------------------------- fault
@needs_assistant
def test_kill_and_restart_mid_conversation_keeps_the_session(server_factory):
    server = server_factory(workers=1)
    server.start()
    first = httpx.post(
        server.base + "/api/chat",
        json={"message": "我们公司在威海，牵头修订了一项行业标准，能申请多少资助？", "as_of": "2022-06-01"},
        timeout=60,
    ).json()
    session_id = first["session_id"]
    assert first["estimate"]["city"] == "weihai"
    amount_before = first["estimate"]["total_yuan"]

    server.kill(signal.SIGKILL)
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.base + "/healthz", timeout=1.0)
    server.start()

    second = httpx.post(
        server.base + "/api/chat",
        json={"message": "那如果是制定呢？", "session_id": session_id, "as_of": "2022-06-01"},
        timeout=60,
    )
    assert second.status_code == 200, second.text
    answer = second.json()
    assert answer["session_id"] == session_id
    assert answer["estimate"]["city"] == "weihai"  # the city came from before the crash
    item = answer["estimate"]["items"][0]
    assert item["type"] == "standard" and item["amount_yuan"] != amount_before

    # the chat page of that session shows both turns, the one from before the crash included
    page = httpx.get(server.base + "/", cookies={"subsidy_session": session_id}, timeout=60).text
    assert page.count('class="turn"') == 2
    assert 'id="turn-1"' in page and 'id="turn-2"' in page
    assert (
        f'data-yuan="{amount_before}"' in page and f'data-yuan="{answer["estimate"]["total_yuan"]}"' in page
    )


@needs_assistant
def test_workers_share_sessions(server_factory):
    """Many turns on two workers: whichever worker answers, the session's facts are there."""
    server = server_factory(workers=2)
    server.start()
    with httpx.Client(base_url=server.base, timeout=60) as client:
        first = client.post(
            "/api/chat", json={"message": "我们在聊城，主导制定了一项国家标准", "as_of": "2022-06-01"}
        )
        session_id = first.json()["session_id"]
        for _ in range(10):
            # a fresh connection each time, so the kernel spreads them over both workers
            answer = httpx.post(
                server.base + "/api/chat",
                json={"message": "那如果是修订呢？", "session_id": session_id, "as_of": "2022-06-01"},
                timeout=60,
            ).json()
            assert answer["estimate"]["city"] == "liaocheng"
        for _ in range(4):  # whichever worker renders the chat page, it shows the whole conversation
            page = httpx.get(server.base + "/", cookies={"subsidy_session": session_id}, timeout=60).text
            assert page.count('class="turn"') == 11 and 'id="turn-11"' in page
