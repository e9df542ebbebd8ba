"""Stand-ins shared by the test modules: a deterministic chat assistant and a search module.

The service imports `assistant.turn` and `knowledge.search` when a request needs them, so a fake
is a module put in `sys.modules` under that name (undone with the test's monkeypatch).
"""

from __future__ import annotations

import sys
import types
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, Field

from calculators.engine import estimate
from calculators.models import Citation, Estimate

# the one achievement FakeAssistant estimates: a lead-drafted national standard
NATIONAL_STANDARD = {
    "city": "天津",
    "as_of": "2022-06-01",
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}


class FakeAnswer(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    estimate: Estimate | None = None
    follow_up: str | None = None
    session_id: str


class FakeAssistant:
    """chat_turn(message, session_id, as_of): remembers the city per session, answers from the engine.

    "在<city>" sets the session's city; "<script>…" is echoed back; any message with 国家标准 asks
    the engine for a lead/draft national standard in the session's city. Like the real one, it
    records each turn in assistant.sessions (the chat page reads the conversation from there).
    """

    CITIES = {"天津": "tianjin", "郑州": "zhengzhou", "威海": "weihai"}

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}

    def chat_turn(self, message: str, session_id: str | None = None, as_of: str | None = None) -> FakeAnswer:
        from assistant import sessions
        from assistant.models import SessionState

        answer = self.answer(message, session_id or uuid.uuid4().hex, as_of)
        sessions.save_turn(
            answer.session_id,
            SessionState(),
            message,
            answer.answer,
            answer.follow_up,
            citations=answer.citations,
            estimate=answer.estimate,
        )
        return answer

    def answer(self, message: str, session_id: str, as_of: str | None) -> FakeAnswer:
        state = self.sessions.setdefault(session_id, {"city": None, "turns": 0})
        state["turns"] += 1
        for word, city in self.CITIES.items():
            if word in message:
                state["city"] = city
        if "国家标准" not in message:
            return FakeAnswer(answer=f"第 {state['turns']} 轮：{message}", session_id=session_id)
        if state["city"] is None:
            return FakeAnswer(
                answer="请问贵公司在哪个城市？", follow_up="请问贵公司在哪个城市？", session_id=session_id
            )
        est = estimate({**NATIONAL_STANDARD, "city": state["city"], "as_of": as_of or "2022-06-01"})
        item = est.items[0]
        return FakeAnswer(
            answer=f"第 {state['turns']} 轮：可获 {item.amount_yuan // 10000} 万元。",
            citations=[item.citation] if item.citation else [],
            estimate=est,
            session_id=session_id,
        )


def install_fake_assistant(monkeypatch: pytest.MonkeyPatch | None = None) -> FakeAssistant:
    """Put FakeAssistant where the service imports `assistant.turn` from (for good without a
    monkeypatch: the server processes of tests/test_load.py start this way)."""
    fake = FakeAssistant()
    module = types.ModuleType("assistant.turn")
    module.chat_turn = fake.chat_turn  # type: ignore[attr-defined]
    if monkeypatch is None:
        sys.modules["assistant.turn"] = module
    else:
        monkeypatch.setitem(sys.modules, "assistant.turn", module)
    return fake


def install_search(monkeypatch: pytest.MonkeyPatch, search: Callable[..., list[Any]]) -> types.ModuleType:
    """Put a stand-in `knowledge.search` module whose `search` is the given function."""
    module = types.ModuleType("knowledge.search")
    module.search = search  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "knowledge.search", module)
    return module


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
