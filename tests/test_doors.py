"""The doors other software uses, against a real `subsidy serve` started here (with an API key):
the OpenAI-compatible endpoint through the official `openai` SDK, MCP through the official `mcp`
SDK's client (Streamable HTTP at /mcp, and `subsidy mcp` on stdio), the README's copy-paste
examples, and one question asked through all four doors giving the same Answer.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import openai
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.test_load import ROOT, Server, free_port, shared_index_data_dir

# A real server, its MCP and OpenAI doors, and subprocess clients.
pytestmark = pytest.mark.integration

KEY = "door-key-7f3a"
AS_OF = "2022-06-01"
QUESTION = "天津主导制定国家标准能拿多少？"
TIANJIN = {
    "city": "天津",
    "as_of": AS_OF,
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = shared_index_data_dir(tmp_path_factory.mktemp("doors") / "data")
    started = Server(port=free_port(), data_dir=data_dir, env_extra={"SUBSIDY_API_KEY": KEY})
    started.start()
    yield started
    started.kill(signal.SIGTERM)


@pytest.fixture(scope="module")
def client(server: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base + "/v1", api_key=KEY, max_retries=0, timeout=60)


def mcp_http(server: Server, key: str = KEY) -> Client:
    return remote_mcp(server.base + "/mcp", {"Authorization": f"Bearer {key}"})


def remote_mcp(url: str, headers: dict[str, str]) -> Client:
    """The SDK's Streamable HTTP client with headers (the first search may load the embedding model)."""
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120))
    return Client(streamable_http_client(url, http_client=http))


def amounts(answer: dict[str, Any]) -> list[Any]:
    est = answer["estimate"]
    return [est["total_yuan"], [(i["rule_id"], i["amount_yuan"]) for i in est["items"]]]


# ---------------------------------------------------------------- OpenAI-compatible
def test_models_lists_the_assistant(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["subsidy-assistant"]


def test_chat_completion_plain(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="subsidy-assistant",
        messages=[{"role": "system", "content": "你是助手"}, {"role": "user", "content": QUESTION}],
        extra_body={"as_of": AS_OF},
    )
    text = reply.choices[0].message.content or ""
    assert reply.choices[0].finish_reason == "stop"
    assert "8万元（80,000元）" in text and "第七条" in text  # the citation is in the text …
    extra = reply.model_extra or {}
    assert extra["citations"][0]["article"] == "第七条"  # … and in the extra field
    assert extra["subsidy"]["answer"] == text and extra["subsidy"]["estimate"]["total_yuan"] == 80000


def test_chat_completion_streamed_is_the_same_text(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(
        model="subsidy-assistant", messages=messages, extra_body={"as_of": AS_OF}
    )
    stream = client.chat.completions.create(
        model="subsidy-assistant",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"as_of": AS_OF},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1  # it streamed
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finals) == 1 and (finals[0].model_extra or {})["citations"][0]["article"] == "第七条"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len(text)


def test_chat_completion_multi_turn_history_gives_the_facts(client: openai.OpenAI) -> None:
    question = "主导制定了一项国家标准，能拿多少？"
    alone = client.chat.completions.create(
        model="subsidy-assistant",
        messages=[{"role": "user", "content": question}],
        extra_body={"as_of": AS_OF},
    )
    assert (alone.model_extra or {})["subsidy"]["estimate"] is None  # no city: it asks
    assert "哪个城市" in (alone.choices[0].message.content or "")
    first = client.chat.completions.create(
        model="subsidy-assistant",
        messages=[{"role": "user", "content": "我们公司在天津"}],
        extra_body={"as_of": AS_OF},
    )
    asked = first.choices[0].message.content or ""
    second = client.chat.completions.create(
        model="subsidy-assistant",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "我们公司在天津"},
            {"role": "assistant", "content": asked},
            {"role": "user", "content": [{"type": "text", "text": question}]},
        ],
        extra_body={"as_of": AS_OF},
    )
    answer = (second.model_extra or {})["subsidy"]
    assert answer["estimate"]["city"] == "tianjin" and answer["estimate"]["total_yuan"] == 80000
    # the returned session continues with the last message alone
    third = client.chat.completions.create(
        model="subsidy-assistant",
        messages=[{"role": "user", "content": "换成行业标准呢？"}],
        extra_body={"as_of": AS_OF, "session_id": answer["session_id"]},
    )
    followed = (third.model_extra or {})["subsidy"]
    assert followed["session_id"] == answer["session_id"]
    assert followed["estimate"]["city"] == "tianjin"  # the stored conversation's city
    assert "行业标准" in followed["answer"]


def test_openai_errors_have_the_api_shape(server: Server, client: openai.OpenAI) -> None:
    wrong = openai.OpenAI(base_url=server.base + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as denied:
        wrong.models.list()
    assert denied.value.body == {
        "detail": "X-API-Key: missing or wrong API key",
        "field": "X-API-Key",
        "allowed": [],
    }
    with pytest.raises(openai.UnprocessableEntityError) as too_long:
        client.chat.completions.create(
            model="subsidy-assistant", messages=[{"role": "user", "content": "标" * 4001}]
        )
    assert isinstance(too_long.value.body, dict) and too_long.value.body["field"] == "messages[0].content"
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": QUESTION}])
    assert isinstance(unknown.value.body, dict) and unknown.value.body["allowed"] == ["subsidy-assistant"]
    same_key_header = httpx.get(server.base + "/v1/models", headers={"X-API-Key": KEY}, timeout=10)
    assert same_key_header.status_code == 200


# ---------------------------------------------------------------- MCP
def test_mcp_over_http_lists_and_calls_tools(server: Server) -> None:
    async def session() -> None:
        async with mcp_http(server) as mcp:
            listed = await mcp.list_tools()
            by_name = {t.name: t for t in listed.tools}
            assert set(by_name) == {
                "estimate",
                "compare",
                "city_menu",
                "search",
                "policies",
                "apply_info",
                "ask",
            }
            assert by_name["estimate"].input_schema["required"] == ["city", "achievements"]

            estimate = await mcp.call_tool("estimate", TIANJIN)
            assert not estimate.is_error
            assert estimate.structured_content["total_yuan"] == 80000
            assert estimate.structured_content["items"][0]["citation"]["article"] == "第七条"

            search = await mcp.call_tool("search", {"query": "主导制定国家标准 资助", "city": "天津", "k": 2})
            hits = search.structured_content["hits"]
            assert len(hits) == 2 and all(h["city"] == "tianjin" and h["text"] for h in hits)

            bad = await mcp.call_tool(
                "estimate", {**TIANJIN, "achievements": [{"type": "standard", "level": "x"}]}
            )
            assert bad.is_error and bad.content[0].text.startswith("achievements[0].level: unknown value 'x'")
            compared = await mcp.call_tool(
                "compare",
                {"achievements": TIANJIN["achievements"], "cities": ["天津", "郑州"], "as_of": AS_OF},
            )
            assert [r["city"] for r in compared.structured_content["rows"]] == ["zhengzhou", "tianjin"]
            missing = await mcp.call_tool("search", {"city": "天津"})
            assert missing.is_error and missing.content[0].text == "query: is required"

    anyio.run(session)


def test_mcp_over_http_needs_the_key(server: Server) -> None:
    response = httpx.post(
        server.base + "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["field"] == "X-API-Key"


def test_mcp_on_stdio(server: Server) -> None:
    params = StdioServerParameters(
        command=str(BIN / "subsidy"),
        args=["mcp"],
        env={**os.environ, "SUBSIDY_DATA_DIR": str(server.data_dir)},
    )

    async def session() -> None:
        async with Client(params) as mcp:
            names = [t.name for t in (await mcp.list_tools()).tools]
            assert "estimate" in names and "ask" in names
            got = await mcp.call_tool("estimate", TIANJIN)
            assert got.structured_content["total_yuan"] == 80000

    anyio.run(session)


# ---------------------------------------------------------------- one question, four doors
def test_one_question_through_every_door_is_the_same_answer(server: Server, client: openai.OpenAI) -> None:
    env = {**os.environ, "SUBSIDY_DATA_DIR": str(server.data_dir)}
    cli = subprocess.run(
        [str(BIN / "subsidy"), "ask", QUESTION, "--as-of", AS_OF, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    by_cli = json.loads(cli.stdout)
    by_api = httpx.post(
        server.base + "/api/chat",
        json={"message": QUESTION, "as_of": AS_OF},
        headers={"X-API-Key": KEY},
        timeout=60,
    ).json()
    completion = client.chat.completions.create(
        model="subsidy-assistant",
        messages=[{"role": "user", "content": QUESTION}],
        extra_body={"as_of": AS_OF},
    )
    by_openai = (completion.model_extra or {})["subsidy"]

    async def ask() -> dict[str, Any]:
        async with mcp_http(server) as mcp:
            got = await mcp.call_tool("ask", {"message": QUESTION, "as_of": AS_OF})
            return dict(got.structured_content)

    by_mcp = anyio.run(ask)
    answers = {"cli": by_cli, "api": by_api, "openai": by_openai, "mcp": by_mcp}
    for door, answer in answers.items():
        assert amounts(answer) == amounts(by_cli), door
        assert answer["citations"] == by_cli["citations"], door
        assert answer["answer"] == by_cli["answer"], door
    assert by_cli["estimate"]["total_yuan"] == 80000 and by_cli["citations"]
    assert completion.choices[0].message.content == by_cli["answer"]
    assert len({a["session_id"] for a in answers.values()}) == 4  # four separate conversations


# ---------------------------------------------------------------- the README's examples, run
def readme_block(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- door: {re.escape(name)} -->\n```\w+\n(.*?)```", text, re.S)
    assert match, f"README has no '{name}' example"
    return match.group(1)


def on_server(code: str, server: Server) -> str:
    return code.replace("http://127.0.0.1:8000", server.base).replace("YOUR_KEY", KEY)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_example(server: Server) -> None:
    command = on_server(readme_block("curl"), server).replace("\\\n", " ")
    result = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60, check=True)
    body = json.loads(result.stdout)
    assert body["object"] == "chat.completion"
    assert body["subsidy"]["estimate"]["total_yuan"] == 80000
    assert "8万元（80,000元）" in body["choices"][0]["message"]["content"]


def test_readme_openai_example(server: Server) -> None:
    code = on_server(readme_block("openai"), server)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    lines = result.stdout.strip().splitlines()
    assert "8万元（80,000元）" in result.stdout and lines[-1] == "第七条"


def test_readme_mcp_configurations(server: Server) -> None:
    stdio = json.loads(readme_block("mcp-stdio"))["mcpServers"]["subsidy"]
    http = json.loads(on_server(readme_block("mcp-http"), server))["mcpServers"]["subsidy"]
    command = shutil.which(stdio["command"]) or str(BIN / stdio["command"])  # as a client resolves it
    params = StdioServerParameters(
        command=command, args=stdio["args"], env={**os.environ, "SUBSIDY_DATA_DIR": str(server.data_dir)}
    )

    async def both() -> None:
        async with Client(params) as mcp:
            got = await mcp.call_tool("policies", {"city": "天津", "as_of": AS_OF})
            assert got.structured_content["policies"][0]["status"] == "in_force"
        async with remote_mcp(http["url"], http["headers"]) as mcp:
            got = await mcp.call_tool("apply_info", {"city": "天津"})
            assert got.structured_content["routes"][0]["citations"]

    anyio.run(both)
