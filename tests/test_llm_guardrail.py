"""The optional LLM: LangChain fakes for units, and the real ChatOpenAI client against a loopback stub."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant import guardrail, llm
from assistant.extraction import extract
from assistant.tools import AGENT_TOOL_NAMES
from assistant.turn import chat_turn
from calculators.engine import estimate


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    for name in ("SUBSIDY_LLM_BASE_URL", "SUBSIDY_LLM_MODEL", "SUBSIDY_LLM_API_KEY", "SUBSIDY_LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def draft_of(prompt: str) -> str:
    """The template answer inside the phrasing prompt (after 计算结果：)."""
    return prompt.split("计算结果：", 1)[1].strip()


# ---------------------------------------------------------------- the guardrail alone
TIANJIN = {
    "city": "天津",
    "as_of": "2022-06-01",
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}


def tianjin_reply() -> tuple[str, Any]:
    got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
    return got.answer, got


def test_guardrail_accepts_a_faithful_rephrasing() -> None:
    draft, got = tianjin_reply()
    text = "根据《天津市标准化资助项目与资金管理办法（试行）》第七条，主导制定国家标准可获 8万元（80,000元）资助，政策在 2022-06-01 有效。"
    assert guardrail.check(text, draft, got.estimate, got.citations) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("主导制定国家标准可获 1000万元 资助。", "1000"),
        ("主导制定国家标准可获八十万元资助，另有 8万元（80,000元）。", "八十万元"),
        ("依据第九条，可获 8万元（80,000元）。", "第九条"),
        ("依据《北京市补助办法》，可获 8万元（80,000元）。", "北京市补助办法"),
        ("可以申请资助，具体以通知为准。", "missing"),
        ("", "empty"),
        ("可获 8万元（80,000元），另外每年还有 9 次追加。", "number 9"),
    ],
)
def test_guardrail_rejects_what_the_estimate_does_not_say(text: str, problem: str) -> None:
    draft, got = tianjin_reply()
    problems = guardrail.check(text, draft, got.estimate, got.citations)
    assert problems and any(problem in p for p in problems), problems


def test_guardrail_insists_on_stating_an_expiry() -> None:
    got = chat_turn("天津主导制定国家标准能拿多少", as_of="2025-01-01")
    text = "主导制定国家标准可获 8万元（80,000元），依据第七条。"
    assert any("expiry" in p for p in guardrail.check(text, got.answer, got.estimate, got.citations))


def test_money_parsing() -> None:
    assert [v for _, v in guardrail.money_yuan("给予 8 万元、80,000元、八万元、一百五十万元、2.5万")] == [
        80000,
        80000,
        80000,
        1500000,
        25000,
    ]
    assert guardrail.estimate_amounts(estimate(TIANJIN)) >= {80000}


# ---------------------------------------------------------------- LangChain fake models
def test_rephrasing_with_a_fake_model_passes_the_guardrail() -> None:
    draft, _ = tianjin_reply()
    honest = FakeListChatModel(responses=["您好！" + draft])
    with llm.use_model(honest):
        got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
    assert got.answer.startswith("您好！")


def test_a_lying_fake_model_falls_back_to_the_template(caplog: pytest.LogCaptureFixture) -> None:
    liar = GenericFakeChatModel(
        messages=iter([AIMessage(content="好消息：您可以拿到 1000万元（10,000,000元）！")])
    )
    with llm.use_model(liar), caplog.at_level(logging.WARNING, logger="assistant.llm"):
        got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
    assert "1000万" not in got.answer and "8万元（80,000元）" in got.answer
    assert any("guardrail rejected" in r.message for r in caplog.records)


def test_fact_extraction_with_a_text_only_fake_model() -> None:
    reply = json.dumps(
        {
            "city": "天津",
            "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
        }
    )
    model = FakeListChatModel(responses=[reply])
    ext, event = llm.fill_facts(
        model, "我们那个国家级的标准是牵头搞的，新弄的", extract("我们那个国家级的标准是牵头搞的，新弄的")
    )
    assert event == {"llm_extract": "used"}
    assert ext.city == "tianjin"
    assert ext.achievements[0].fields == {"level": "national", "role": "lead", "action": "draft"}


def test_model_facts_outside_the_registry_are_dropped() -> None:
    reply = json.dumps(
        {
            "city": "火星",
            "achievements": [{"type": "standard", "level": "galactic", "role": "lead"}, {"type": "bogus"}],
        }
    )
    ext, _ = llm.fill_facts(FakeListChatModel(responses=[reply]), "随便说说", extract("随便说说"))
    assert ext.city is None
    assert [(a.type, a.fields) for a in ext.achievements] == [("standard", {"role": "lead"})]


def test_the_lexicon_wins_over_the_model() -> None:
    reply = json.dumps(
        {"achievements": [{"type": "standard", "level": "group", "role": "participate", "action": "revise"}]}
    )
    message = "天津主导制定了国家级的标准"
    ext, _ = llm.fill_facts(FakeListChatModel(responses=[reply]), message, extract(message))
    assert ext.achievements[0].fields == {"level": "national", "role": "lead", "action": "draft"}


def test_model_failures_keep_the_deterministic_answer() -> None:
    broken = FakeListChatModel(responses=["this is not json"])
    with llm.use_model(broken):
        got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
    assert "8万元（80,000元）" in got.answer


# ---------------------------------------------------------------- the real client against a stub server
class Stub:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 with canned replies."""

    def __init__(
        self,
        facts: dict[str, Any] | None,
        phrase: Callable[[str], str],
        agent_calls: list[dict[str, Any]] | None = None,
    ):
        """`facts`: the extraction's tool call; `phrase`: the answer from the last user message;
        `agent_calls`: tool calls the agent makes (one per request) before it answers."""
        self.facts = facts
        self.phrase = phrase
        self.agent_calls = list(agent_calls or [])
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    self.send_response(404)
                    self.end_headers()
                    return
                message: dict[str, Any] = {"role": "assistant", "content": None}
                tools = [t["function"]["name"] for t in body.get("tools") or []]
                call = None
                if tools == ["LLMFacts"]:
                    call = {"name": "LLMFacts", "arguments": stub.facts or {}}
                elif tools and stub.agent_calls:
                    call = stub.agent_calls.pop(0)
                if call is not None:
                    arguments = json.dumps(call["arguments"], ensure_ascii=False)
                    message["tool_calls"] = [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": call["name"], "arguments": arguments},
                        }
                    ]
                    finish = "tool_calls"
                else:
                    last_user = next(m for m in reversed(body["messages"]) if m["role"] == "user")
                    message["content"] = stub.phrase(last_user["content"])
                    finish = "stop"
                payload = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "stub"),
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> Stub:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Stub], None]]:
    def use(stub: Stub) -> None:
        monkeypatch.setenv("SUBSIDY_LLM_BASE_URL", stub.url)
        monkeypatch.setenv("SUBSIDY_LLM_MODEL", "stub-model")
        monkeypatch.setenv("SUBSIDY_LLM_API_KEY", "test-key")
        monkeypatch.setenv("SUBSIDY_LLM_TIMEOUT", "10")

    yield use
    llm._client.cache_clear()


@pytest.mark.integration
def test_stub_extracts_a_fact_and_phrases_faithfully(configure: Callable[[Stub], None]) -> None:
    facts = {
        "city": None,
        "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
    }
    with Stub(facts, lambda prompt: "整理如下：\n" + draft_of(prompt)) as stub:
        configure(stub)
        got = chat_turn("我们天津那个国家级的标准是牵头搞的，新弄的，能拿多少", as_of="2022-06-01")
    assert got.follow_up is None
    assert got.answer.startswith("整理如下：")
    assert got.estimate is not None and got.estimate.items[0].amount_yuan == 80000
    extraction, phrasing = stub.requests
    assert extraction["tools"][0]["function"]["name"] == "LLMFacts"
    assert extraction["model"] == "stub-model"
    assert "计算结果" in phrasing["messages"][-1]["content"]


@pytest.mark.integration
def test_stub_that_invents_a_number_is_overruled(
    configure: Callable[[Stub], None], caplog: pytest.LogCaptureFixture
) -> None:
    def liar(prompt: str) -> str:
        return re.sub(r"8万元（80,000元）", "80万元（800,000元）", draft_of(prompt))

    with Stub({"achievements": []}, liar) as stub, caplog.at_level(logging.WARNING, logger="assistant.llm"):
        configure(stub)
        got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
        history = __import__("assistant.sessions", fromlist=["history"]).history(got.session_id)
    assert "80万元" not in got.answer and "8万元（80,000元）" in got.answer
    assert any("guardrail rejected" in r.message for r in caplog.records)
    assert history[-1]["event"]["guardrail"]


@pytest.mark.integration
def test_stub_naming_an_uncited_article_is_overruled(configure: Callable[[Stub], None]) -> None:
    with Stub({"achievements": []}, lambda p: draft_of(p).replace("第七条", "第十二条")) as stub:
        configure(stub)
        got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
    assert "第十二条" not in got.answer and "第七条" in got.answer


def test_an_unreachable_endpoint_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSIDY_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SUBSIDY_LLM_MODEL", "nothing")
    monkeypatch.setenv("SUBSIDY_LLM_TIMEOUT", "2")
    try:
        got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
    finally:
        llm._client.cache_clear()
    assert "8万元（80,000元）" in got.answer


def test_off_by_default() -> None:
    assert llm.settings() is None and llm.chat_model() is None


@pytest.mark.integration
def test_stub_agent_calls_a_tool_over_the_openai_protocol(configure: Callable[[Stub], None]) -> None:
    zhengzhou = {**TIANJIN, "city": "郑州"}
    calls = [{"name": "estimate", "arguments": zhengzhou}]
    with Stub(
        None, lambda p: draft_of(p) + "\n郑州的主要起草单位最高 100万元（1,000,000元）。", calls
    ) as stub:
        configure(stub)
        got = chat_turn("天津主导制定国家标准能拿多少", as_of="2022-06-01")
    assert got.answer.endswith("100万元（1,000,000元）。") and "8万元（80,000元）" in got.answer
    first, second = stub.requests  # the lexicon read every fact: no extraction request
    assert [t["function"]["name"] for t in first["tools"]] == list(AGENT_TOOL_NAMES)
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and json.loads(tool_message["content"])["city"] == "zhengzhou"


@pytest.mark.parametrize(
    ("spoken", "yuan"),
    [("一万二", 12_000), ("一百二", 120), ("一百零五", 105), ("三十", 30), ("八", 8), ("两千", 2_000)],
)
def test_the_guardrail_reads_spoken_amounts_as_the_extraction_does(spoken: str, yuan: int) -> None:
    from assistant.guardrail import money_yuan
    from foundation.chinese_numerals import chinese_integer

    assert chinese_integer(spoken) == yuan
    assert [value for _, value in money_yuan(f"可获{spoken}元")] == [yuan]
