"""Stand-ins shared by the test modules: a deterministic chat assistant and a search, and the
test client that uses them.

The routes are given the app's assistant by `subsidy.dependencies.get_assistant`; `make_client`
overrides that dependency (`app.dependency_overrides`) with the stand-ins the test put in place
(`install_fake_assistant`, `install_search`, undone with the test's monkeypatch), looked up at
request time, so a client made before the stand-in is installed uses it too.
"""

from __future__ import annotations

import dataclasses
import types
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from assistant.models import Answer, SessionState
from assistant.sessions import SessionStore
from calculators.engine import estimate
from foundation.settings import Settings
from subsidy.dependencies import get_assistant
from subsidy.service import create_app

# the stand-ins of the running test: "assistant" (a FakeAssistant), "search" (a holder whose
# `search` attribute is the function)
_active: dict[str, Any] = {}


def _assistant_in_force(request: Request) -> Any:
    fake = _active.get("assistant")
    if fake is not None:
        return fake
    real = request.app.state.assistant
    holder = _active.get("search")
    if holder is None:
        return real
    return dataclasses.replace(real, search=lambda *a, **k: holder.search(*a, **k))


def make_client(settings: Settings | None = None, **service: Any) -> TestClient:
    """A test client of an app of these settings (default: the environment's), its service
    settings changed as given (`chat_rate_limit=3`), using the test's stand-ins."""
    settings = settings or Settings.from_env()
    if service:
        settings = settings.with_service(**service)
    app = create_app(settings)
    app.dependency_overrides[get_assistant] = _assistant_in_force
    return TestClient(app, raise_server_exceptions=False)


# the one achievement FakeAssistant estimates: a lead-drafted national standard
NATIONAL_STANDARD = {
    "city": "天津",
    "as_of": "2022-06-01",
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}


class FakeAssistant:
    """turn(message, session_id, as_of): remembers the city per session, answers from the engine.

    "在<city>" sets the session's city; "<script>…" is echoed back; any message with 国家标准 asks
    the engine for a lead/draft national standard in the session's city. Like the real one, it
    records each turn in assistant.sessions (the chat page reads the conversation from there).
    """

    CITIES = {"天津": "tianjin", "郑州": "zhengzhou", "威海": "weihai"}

    def __init__(self, store: SessionStore | None = None) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.store = store or SessionStore.from_settings(Settings.from_env())

    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        """The test's stand-in search (`install_search`), else nothing found."""
        holder = _active.get("search")
        return holder.search(*args, **kwargs) if holder is not None else []

    def turn(self, message: str, session_id: str | None = None, as_of: str | None = None) -> Answer:
        answer = self.answer(message, session_id or uuid.uuid4().hex, as_of)
        with self.store.turn_lock(answer.session_id):
            self.store.save_turn(answer.session_id, SessionState(), message, answer)
        return answer

    def answer(self, message: str, session_id: str, as_of: str | None) -> Answer:
        state = self.sessions.setdefault(session_id, {"city": None, "turns": 0})
        state["turns"] += 1
        for word, city in self.CITIES.items():
            if word in message:
                state["city"] = city
        if "国家标准" not in message:
            return Answer(answer=f"第 {state['turns']} 轮：{message}", session_id=session_id)
        if state["city"] is None:
            return Answer(
                answer="请问贵公司在哪个城市？", follow_up="请问贵公司在哪个城市？", session_id=session_id
            )
        est = estimate({**NATIONAL_STANDARD, "city": state["city"], "as_of": as_of or "2022-06-01"})
        item = est.items[0]
        return Answer(
            answer=f"第 {state['turns']} 轮：可获 {item.amount_yuan // 10000} 万元。",
            citations=[item.citation] if item.citation else [],
            estimate=est,
            session_id=session_id,
        )


def install_fake_assistant(monkeypatch: pytest.MonkeyPatch) -> FakeAssistant:
    """FakeAssistant answers the chat of every client of `make_client` in this test (its sessions
    in the test's SUBSIDY_DATA_DIR)."""
    fake = FakeAssistant()
    monkeypatch.setitem(_active, "assistant", fake)
    return fake


def install_search(
    monkeypatch: pytest.MonkeyPatch, search: Callable[..., list[Any]]
) -> types.SimpleNamespace:
    """The given function searches for every client of `make_client` in this test; returns its
    holder (set the holder's `search` to change it)."""
    holder = types.SimpleNamespace(search=search)
    monkeypatch.setitem(_active, "search", holder)
    return holder


class FakeHit(BaseModel):
    document: str
    article: str
    city: str | None
    text: str
    score: float


def install_fake_search(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str | None, bool]]:
    """A two-hit stand-in for `knowledge.search`; returns its calls (query, k, city, include_national)."""
    calls = []

    def search(
        query: str, k: int = 5, city: str | None = None, include_national: bool = False
    ) -> list[FakeHit]:
        calls.append((query, k, city, include_national))
        return [
            FakeHit(
                document="天津市标准化资助项目与资金管理办法（试行）",
                article="第七条",
                city="tianjin",
                text="…",
                score=0.9,
            )
        ] * min(k, 2)

    install_search(monkeypatch, search)
    return calls
