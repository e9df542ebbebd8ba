"""The service with SUBSIDY_DATABASE_URL: instances share the chat rate limit through the database,
and a database it cannot use is a 503 (healthz, chat) and a one-line refusal from `subsidy serve`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant import store
from subsidy.security import RateLimiter
from subsidy.shared_rate_limit import DatabaseRateLimiter
from tests.fakes import install_fake_assistant, make_client
from tests.postgres_cluster import free_port
from tests.test_api import run_serve

# PostgreSQL and real server processes.
pytestmark = pytest.mark.integration


def instance(**settings) -> TestClient:
    return make_client(**settings)


@pytest.fixture
def shared_database(postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", postgres_url)
    install_fake_assistant(monkeypatch)
    yield postgres_url
    store.forget_engines()


def test_two_instances_on_one_database_share_the_chat_rate_limit(shared_database):
    first, second = (
        instance(chat_rate_limit=3, chat_rate_seconds=60),
        instance(chat_rate_limit=3, chat_rate_seconds=60),
    )
    assert isinstance(first.app.state.chat_limiter, DatabaseRateLimiter)  # type: ignore[attr-defined]
    codes = [
        client.post("/api/chat", json={"message": "你好"}).status_code
        for client in (first, second, first, second)
    ]
    assert codes == [200, 200, 200, 429]  # 3 in all, not 3 each
    limited = first.post("/api/chat", json={"message": "你好"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_without_a_database_each_instance_counts_on_its_own(monkeypatch, tmp_path):
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    install_fake_assistant(monkeypatch)
    first, second = (
        instance(chat_rate_limit=2, chat_rate_seconds=60),
        instance(chat_rate_limit=2, chat_rate_seconds=60),
    )
    assert isinstance(first.app.state.chat_limiter, RateLimiter)  # type: ignore[attr-defined]
    codes = [
        client.post("/api/chat", json={"message": "你好"}).status_code
        for client in (first, second, first, second)
    ]
    assert codes == [200, 200, 200, 200]
    assert first.post("/api/chat", json={"message": "你好"}).status_code == 429


def test_a_conversation_continues_on_the_other_instance(shared_database):
    first, second = instance(), instance()
    answer = first.post("/api/chat", json={"message": "我们在天津"}).json()
    again = second.post("/api/chat", json={"message": "国家标准", "session_id": answer["session_id"]})
    assert again.status_code == 200
    second.cookies.set("subsidy_session", answer["session_id"])
    page = second.get("/").text  # the other instance shows the whole conversation
    assert page.count('class="turn"') == 2


@pytest.fixture
def unreachable_database(monkeypatch, tmp_path):
    url = f"postgresql://subsidy:s3cret@127.0.0.1:{free_port()}/subsidy"
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", url)
    yield url
    store.forget_engines()


def test_healthz_and_chat_say_503_when_the_database_cannot_be_used(unreachable_database, monkeypatch):
    install_fake_assistant(monkeypatch)
    client = instance()
    health = client.get("/healthz")
    assert health.status_code == 503 and "SUBSIDY_DATABASE_URL" in health.json()["detail"]
    chat = client.post("/api/chat", json={"message": "你好"})
    assert chat.status_code == 503 and "SUBSIDY_DATABASE_URL" in chat.json()["detail"]
    for response in (health, chat):
        assert "s3cret" not in response.text and "127.0.0.1" not in response.text  # nothing of the URL


def test_serve_refuses_an_unreachable_database_in_one_line(unreachable_database, tmp_path):
    result = run_serve(free_port(), SUBSIDY_DATA_DIR=str(tmp_path), SUBSIDY_DATABASE_URL=unreachable_database)
    assert result.stdout == "" and result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: SUBSIDY_DATABASE_URL: postgresql+psycopg://subsidy:***@"
    )
    assert "s3cret" not in result.stderr
