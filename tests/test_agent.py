"""The LLM front end as a tool-using agent: scripted LangChain fake chat models that call tools.

Every test runs offline: the "model" is langchain-core's GenericFakeChatModel taught to accept
`bind_tools` and to emit the tool calls of its script.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from assistant import agent, llm, sessions, tools
from assistant.turn import chat_turn
from foundation.errors import UserInputError

QUESTION = "天津主导制定国家标准能拿多少"
AS_OF = "2022-06-01"
TIANJIN_REQUEST = {
    "city": "天津",
    "as_of": AS_OF,
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}
ZHENGZHOU_REQUEST = {**TIANJIN_REQUEST, "city": "郑州"}


class ScriptedToolModel(GenericFakeChatModel):
    """A fake chat model that does tool calling: it records what it was bound to and sent."""

    bound: list[Any] = []
    seen: list[list[BaseMessage]] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.bound = list(tools)
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen = [*self.seen, list(messages)]
        return super()._generate(messages, *args, **kwargs)


def calls(*pairs: tuple[str, dict[str, Any]]) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": n, "args": a, "id": f"call_{i}"} for i, (n, a) in enumerate(pairs)]
    )


def scripted(*messages: AIMessage | str) -> ScriptedToolModel:
    return ScriptedToolModel(messages=iter(messages))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    for name in ("SUBSIDY_LLM_BASE_URL", "SUBSIDY_LLM_MODEL", "SUBSIDY_LLM_API_KEY", "SUBSIDY_LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    yield


def deterministic() -> str:
    return chat_turn(QUESTION, as_of=AS_OF).answer


# ---------------------------------------------------------------- the tools themselves
def test_every_tool_schema_comes_from_its_model_and_is_described_in_both_languages() -> None:
    catalogue = tools.tools()
    assert set(tools.AGENT_TOOL_NAMES) <= set(catalogue)
    for tool in catalogue.values():
        assert tool.input_schema() == tool.arguments.model_json_schema()
        assert tool.output_schema() == tool.result.model_json_schema()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in tool.description), tool.name
        assert any(word.isascii() and word.isalpha() and len(word) > 3 for word in tool.description.split())
    estimate_doc = catalogue["estimate"].description
    assert "standard（标准制修订）: level=international/national" in estimate_doc  # from the registry


def test_a_tool_call_gives_the_library_result() -> None:
    from calculators.engine import estimate

    got = tools.call_tool("estimate", TIANJIN_REQUEST)
    assert got == estimate(TIANJIN_REQUEST)
    routes = tools.call_tool("apply_info", {"city": "tianjin", "type": "standard"})
    assert isinstance(routes, tools.ApplyInfoResult) and routes.routes
    assert "standard" in routes.routes[0].types and routes.routes[0].citations
    listed = tools.call_tool("policies", {"city": "天津", "as_of": AS_OF})
    assert {p.status for p in listed.policies} == {"in_force"}


def test_compare_and_city_menu_are_the_calculators() -> None:
    from calculators.compare import compare
    from calculators.menu import city_menu

    achievements = TIANJIN_REQUEST["achievements"]
    got = tools.call_tool(
        "compare", {"achievements": achievements, "cities": ["天津", "郑州"], "as_of": AS_OF}
    )
    assert got == compare(achievements, cities=["天津", "郑州"], as_of=AS_OF)
    assert [r.city for r in got.rows] == ["zhengzhou", "tianjin"]  # both in force: the larger first
    menu = tools.call_tool("city_menu", {"city": "tianjin", "as_of": AS_OF})
    assert menu == city_menu("tianjin", as_of=AS_OF) and menu.groups


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("estimate", {"city": "天津"}, "achievements"),
        (
            "estimate",
            {**TIANJIN_REQUEST, "achievements": [{"type": "standard", "level": "galactic"}]},
            "level",
        ),
        ("estimate", {**TIANJIN_REQUEST, "city": "火星"}, "city"),
        ("search", {"query": "资助", "k": 0}, "k"),
        ("policies", {"as_of": "2022-13-45"}, "as_of"),
        ("apply_info", {"city": "天津", "type": "moon_landing"}, "type"),
        ("apply_info", {"city": "天津", "colour": "red"}, "colour"),
        ("compare", {"achievements": []}, "achievements"),
        ("compare", {"achievements": [{"type": "standard"}], "cities": ["火星"]}, "city"),
        ("city_menu", {}, "city"),
        ("transfer_money", {}, "name"),
    ],
)
def test_bad_arguments_are_an_error_naming_the_field(name: str, arguments: dict, field: str) -> None:
    with pytest.raises(UserInputError) as err:
        tools.call_tool(name, arguments)
    assert field in err.value.field


# ---------------------------------------------------------------- the agent loop
def test_an_honest_agent_answers_with_a_tool_result() -> None:
    model = scripted(
        calls(("estimate", ZHENGZHOU_REQUEST)),
        "天津：主导制定国家标准给予 8万元（80,000元），依据第七条。"
        "对比郑州：主要起草单位最高可得 100万元（1,000,000元），依据郑州实施细则 10.。",
    )
    with llm.use_model(model):
        got = chat_turn(QUESTION, as_of=AS_OF)
    assert got.answer.startswith("天津：主导制定国家标准给予 8万元")
    assert "100万元" in got.answer
    assert [t["function"]["name"] for t in model.bound] == list(tools.AGENT_TOOL_NAMES)
    # the tool result went back to the model, and Zhengzhou's clause is now a citation
    tool_messages = [m for m in model.seen[-1] if isinstance(m, ToolMessage)]
    assert json.loads(str(tool_messages[0].content))["city"] == "zhengzhou"
    assert any(c.document_id == "zhengzhou-quality-rules" for c in got.citations)
    assert got.estimate is not None and got.estimate.city == "tianjin"  # the Answer keeps the calculator's
    event = sessions.history(got.session_id)[-1]["event"]
    assert event["agent"] == "used" and event["agent_tools"] == ["estimate"]


class DraftEchoModel(ScriptedToolModel):
    """Answers with the calculator's answer it was given, under a heading of its own (and reads
    no facts when asked for them: `{}`)."""

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        last = str(messages[-1].content)
        text = "整理如下：\n" + last.split("计算结果：", 1)[1].strip() if "计算结果：" in last else "{}"
        self.messages = iter([AIMessage(content=text)])
        return super()._generate(messages, *args, **kwargs)


def test_the_model_sees_the_deterministic_answer_and_the_history() -> None:
    first = chat_turn("我们主导制定了一项国家标准", as_of=AS_OF)
    assert first.estimate is None and first.follow_up
    model = DraftEchoModel(messages=iter([]))
    with llm.use_model(model):
        got = chat_turn("在天津", session_id=first.session_id, as_of=AS_OF)
    sent = model.seen[-1]  # the agent's request (an extraction request may come first)
    assert str(sent[1].content) == "我们主导制定了一项国家标准" and str(sent[2].content) == first.answer
    assert "在天津" in str(sent[-1].content) and "8万元（80,000元）" in str(sent[-1].content)
    assert got.answer.startswith("整理如下：") and "8万元（80,000元）" in got.answer


def test_a_model_that_lies_about_a_number_is_overruled(caplog: pytest.LogCaptureFixture) -> None:
    model = scripted(
        calls(("estimate", TIANJIN_REQUEST)), "好消息：主导制定国家标准可得 80万元（800,000元），依据第七条。"
    )
    with llm.use_model(model), caplog.at_level(logging.WARNING, logger="assistant.agent"):
        got = chat_turn(QUESTION, as_of=AS_OF)
    assert "80万元" not in got.answer and got.answer == deterministic()
    assert any("guardrail rejected" in r.message for r in caplog.records)
    event = sessions.history(got.session_id)[-1]["event"]
    assert any("800,000元" in p for p in event["guardrail"])


def test_a_model_that_calls_a_tool_that_does_not_exist_is_overruled() -> None:
    model = scripted(calls(("transfer_money", {"to": "me"})), "已为您转账 8万元（80,000元）。")
    with llm.use_model(model):
        got = chat_turn(QUESTION, as_of=AS_OF)
    assert got.answer == deterministic()
    assert "unknown tool 'transfer_money'" in sessions.history(got.session_id)[-1]["event"]["agent"]


def test_a_tool_error_falls_back_naming_the_field() -> None:
    model = scripted(calls(("estimate", {**TIANJIN_REQUEST, "city": "火星"})), "8万元（80,000元）")
    with llm.use_model(model):
        got = chat_turn(QUESTION, as_of=AS_OF)
    assert got.answer == deterministic()
    assert "tool estimate: city" in sessions.history(got.session_id)[-1]["event"]["agent"]


def test_tool_calls_per_turn_are_bounded() -> None:
    loop = [calls(("policies", {"city": "天津"}), ("policies", {"city": "天津"})) for _ in range(10)]
    model = scripted(*loop)
    with llm.use_model(model):
        got = chat_turn(QUESTION, as_of=AS_OF)
    assert got.answer == deterministic()
    assert (
        f"more than {agent.MAX_TOOL_CALLS} tool calls"
        in sessions.history(got.session_id)[-1]["event"]["agent"]
    )
    assert len(model.seen) <= agent.MAX_MODEL_CALLS


SLOW_MODEL_SECONDS = 4.0  # far beyond the 0.2 s deadline, so a busy machine cannot blur the difference


class SlowModel(ScriptedToolModel):
    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        time.sleep(SLOW_MODEL_SECONDS)
        return super()._generate(messages, *args, **kwargs)


def test_a_model_that_takes_too_long_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent, "deadline_seconds", lambda: 0.2)
    model = SlowModel(messages=iter(["主导制定国家标准给予 8万元（80,000元），第七条。"]))
    started = time.perf_counter()
    with llm.use_model(model):
        got = chat_turn(QUESTION, as_of=AS_OF)
    assert time.perf_counter() - started < SLOW_MODEL_SECONDS - 1  # the turn did not wait for the model
    assert got.answer == deterministic()
    event = sessions.history(got.session_id)[-1]["event"]["agent"]
    # out of time while waiting for the model, or (on a busy machine) before even calling it
    assert "timed out" in event or "time is up" in event


def test_without_a_model_nothing_changes() -> None:
    assert llm.chat_model() is None
    got = chat_turn(QUESTION, as_of=AS_OF)
    event = sessions.history(got.session_id)[-1]["event"] or {}
    assert not {"agent", "agent_tools", "guardrail"} & set(event)
