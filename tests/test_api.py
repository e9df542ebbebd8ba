"""The HTTP API (CONTRACT.md) in process: shapes, 422s naming the field, limits, key, CORS, headers.

The chat assistant is replaced by `FakeAssistant` (tests/fakes.py: deterministic, remembers its sessions) so
these tests pin the service's behaviour, not the assistant's; tests/test_load.py and
tests/test_browser.py drive the real one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from calculators.engine import estimate
from foundation.errors import Unavailable
from foundation.settings import parse_rate
from subsidy.security import RateLimiter
from tests import fakes
from tests.fakes import FakeAssistant, install_fake_assistant, install_search, make_client

TIANJIN = {
    "city": "天津",
    "as_of": "2022-06-01",
    "achievements": [{"type": "standard", "level": "national", "role": "lead", "action": "draft"}],
}


@pytest.fixture
def client() -> TestClient:
    return make_client()


# ---------------------------------------------------------------- health, docs
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_and_docs_list_every_endpoint(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/estimate", "/api/chat", "/api/search", "/api/policies", "/healthz"):
        assert path in schema["paths"], path
    assert "EstimateRequest" in schema["components"]["schemas"]
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/api/estimate" in page.text and "/openapi.json" in page.text
    assert "cdn" not in page.text.lower()


# ---------------------------------------------------------------- estimate
def test_estimate_is_the_engine_estimate(client):
    response = client.post("/api/estimate", json=TIANJIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body == estimate(TIANJIN).model_dump(mode="json")
    item = body["items"][0]
    assert (item["amount_yuan"], item["basis"], item["policy_status"]) == (80000, "fixed", "in_force")
    assert "8 万元" in item["citation"]["quote"]
    assert body["total_yuan"] == 80000


def test_estimate_portfolio_array_keeps_order(client):
    weihai = {**TIANJIN, "city": "weihai"}
    response = client.post("/api/estimate", json=[TIANJIN, weihai, TIANJIN])
    assert response.status_code == 200
    assert [e["city"] for e in response.json()] == ["tianjin", "weihai", "tianjin"]


def test_large_portfolio_runs_off_the_event_loop(client):
    response = client.post("/api/estimate", json=[TIANJIN] * 50)
    assert response.status_code == 200
    assert len(response.json()) == 50


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**TIANJIN, "city": "atlantis"}, "city", ["atlantis", "tianjin"]),
        ({**TIANJIN, "as_of": "2022-13-45"}, "as_of", ["YYYY-MM-DD"]),
        ({**TIANJIN, "achievements": []}, "achievements", []),
        ({**TIANJIN, "achievements": [{"type": "patent_troll"}]}, "achievements[0].type", ["standard"]),
        (
            {
                **TIANJIN,
                "achievements": [
                    {"type": "standard", "level": "galactic", "role": "lead", "action": "draft"}
                ],
            },
            "achievements[0].level",
            ["national", "galactic"],
        ),
        (
            {**TIANJIN, "achievements": [{"type": "standard", "level": "national", "action": "draft"}]},
            "achievements[0].role",
            ["lead", "participate"],
        ),
        ({**TIANJIN, "colour": "red"}, "colour", []),
        ([TIANJIN, {**TIANJIN, "city": "nowhere"}], "[1].city", ["nowhere"]),
        ("just a string", "request", []),
    ],
)
def test_estimate_errors_are_422_naming_the_field(client, body, field, words):
    response = client.post("/api/estimate", json=body)
    assert response.status_code == 422
    data = response.json()
    assert data["field"] == field
    assert data["detail"].startswith(field)
    for word in words:
        assert word in data["detail"]


def test_invalid_json_is_422_naming_the_body(client):
    response = client.post(
        "/api/estimate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body"
    assert "JSON" in response.json()["detail"]


def test_missing_body_is_422(client):
    response = client.post("/api/estimate")
    assert response.status_code == 422
    assert response.json()["field"] == "body"


# ---------------------------------------------------------------- limits
def test_body_over_the_limit_is_413(client):
    big = json.dumps({**TIANJIN, "padding": "x" * (1024 * 1024)}).encode()
    response = client.post("/api/estimate", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_streamed_body_over_the_limit_is_413():
    client = make_client(max_body_bytes=1000)

    def chunks():
        for _ in range(20):
            yield b" " * 100

    response = client.post("/api/estimate", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_message_length_limit(client, fake_assistant):
    response = client.post("/api/chat", json={"message": "标" * 4001})
    assert response.status_code == 422
    assert response.json()["field"] == "message"
    assert "4000" in response.json()["detail"]
    assert client.post("/api/chat", json={"message": "标" * 4000}).status_code == 200


# ---------------------------------------------------------------- chat
def test_chat_answer_has_the_contract_fields(client, fake_assistant):
    response = client.post(
        "/api/chat", json={"message": "我们在天津，主导制定了一项国家标准", "as_of": "2022-06-01"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer", "citations", "estimate", "follow_up", "session_id"}
    assert body["estimate"]["items"][0]["amount_yuan"] == 80000
    assert "8 万元" in body["answer"]


def test_chat_session_continues(client, fake_assistant):
    first = client.post("/api/chat", json={"message": "我们主导制定了一项国家标准"}).json()
    assert first["follow_up"]
    second = client.post(
        "/api/chat", json={"message": "在郑州，国家标准", "session_id": first["session_id"]}
    ).json()
    assert second["session_id"] == first["session_id"]
    assert second["estimate"]["city"] == "zhengzhou"
    assert second["answer"].startswith("第 2 轮")
    other = client.post("/api/chat", json={"message": "国家标准"}).json()
    assert other["session_id"] != first["session_id"]
    assert other["follow_up"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": "   "}, "message"),
        ({"message": 42}, "message"),
        ({"message": "hi", "session_id": "../../etc/passwd"}, "session_id"),
        ({"message": "hi", "session_id": "x" * 65}, "session_id"),
        ({"message": "hi", "as_of": "tomorrow"}, "as_of"),
    ],
)
def test_chat_errors_are_422_naming_the_field(client, fake_assistant, body, field):
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_chat_without_the_assistant_is_503(client, monkeypatch):
    class NoModel(FakeAssistant):  # the assistant's embedding model cannot be loaded: a server fault
        def turn(self, *args: Any, **kwargs: Any) -> Any:
            raise Unavailable("SUBSIDY_EMBEDDING_MODEL", "cannot be loaded")

    monkeypatch.setitem(fakes._active, "assistant", NoModel())
    response = client.post("/api/chat", json={"message": "你好"})
    assert response.status_code == 503
    assert "not available" in response.json()["detail"]


def test_chat_rate_limit_per_client(fake_assistant):
    client = make_client(chat_rate_limit=3, chat_rate_seconds=60)
    codes = [client.post("/api/chat", json={"message": "你好"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.post("/api/chat", json={"message": "你好"})
    assert int(limited.headers["retry-after"]) >= 1
    assert "too many" in limited.json()["detail"]
    assert client.post("/api/estimate", json=TIANJIN).status_code == 200  # only chat is limited


def test_rate_limiter_refills_and_keeps_clients_apart():
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") is None
    wait = limiter.acquire("a")
    assert wait == pytest.approx(5.0)
    assert limiter.acquire("b") is None
    now[0] = 5.0
    assert limiter.acquire("a") is None


@pytest.mark.parametrize(
    ("text", "expected"), [("600/60", (600, 60.0)), ("10/second", (10, 1.0)), ("100/minute", (100, 60.0))]
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "0/60", "10/0", "10/fortnight"])
def test_parse_rate_rejects_nonsense(text):
    with pytest.raises(ValueError, match="SUBSIDY_CHAT_RATE"):
        parse_rate(text)


def test_settings_come_from_the_environment(monkeypatch):
    from foundation.settings import Settings

    monkeypatch.setenv("SUBSIDY_API_KEY", "k")
    monkeypatch.setenv("SUBSIDY_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("SUBSIDY_CHAT_RATE", "5/10")
    monkeypatch.setenv("SUBSIDY_MAX_MESSAGE_CHARS", "100")
    settings = Settings.from_env().service
    assert settings.api_key == "k"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert (settings.chat_rate_limit, settings.chat_rate_seconds) == (5, 10.0)
    assert settings.max_message_chars == 100
    monkeypatch.setenv("SUBSIDY_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValueError, match="SUBSIDY_MAX_BODY_BYTES"):
        Settings.from_env()


# ---------------------------------------------------------------- API key, CORS, headers
def test_api_key_guards_the_api_and_the_pages(fake_assistant):
    client = make_client(api_key="s3cret")
    assert client.post("/api/estimate", json=TIANJIN).status_code == 401
    wrong = client.post("/api/estimate", json=TIANJIN, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401
    assert "X-API-Key" in wrong.json()["detail"]
    assert client.post("/api/estimate", json=TIANJIN, headers={"X-API-Key": "s3cret"}).status_code == 200
    assert client.get("/api/policies", headers={"X-API-Key": "s3cret"}).status_code == 200
    assert client.get("/api/policies").status_code == 401
    assert client.get("/healthz").status_code == 200
    # issue 14 item 7: the pages need the key too (tests/test_hardening.py: the login form)
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"X-API-Key": "s3cret"}).status_code == 200


def test_cors_is_off_by_default(client):
    response = client.options(
        "/api/estimate",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers
    response = client.post("/api/estimate", json=TIANJIN, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_the_configured_origins():
    client = make_client(cors_origins=("https://consultant.example",))
    preflight = client.options(
        "/api/estimate",
        headers={"Origin": "https://consultant.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://consultant.example"
    other = client.post("/api/estimate", json=TIANJIN, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    "path", ["/healthz", "/api/policies", "/api/nowhere", "/", "/estimate", "/static/style.css"]
)
def test_security_headers_everywhere(client, path):
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_unexpected_errors_are_one_line_without_a_stack_trace(client, monkeypatch):
    import calculators.engine

    def explode(_: Any) -> Any:
        raise RuntimeError('secret path /srv/x.py line 3\nTraceback (most recent call last):\n  File "x"')

    monkeypatch.setattr(calculators.engine, "estimate", explode)
    response = client.post("/api/estimate", json=TIANJIN)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error (RuntimeError)", "field": None, "allowed": []}
    assert "Traceback" not in response.text and "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_unknown_routes_and_methods(client):
    assert client.get("/api/nowhere").status_code == 404
    assert client.get("/api/estimate").status_code == 405
    assert (
        client.get("/nowhere", headers={"accept": "text/html"})
        .headers["content-type"]
        .startswith("text/html")
    )


# ---------------------------------------------------------------- policies, search
def test_policies_match_the_cli_library(client):
    from knowledge.policies import list_policies

    response = client.get("/api/policies", params={"city": "天津", "as_of": "2022-06-01"})
    assert response.status_code == 200
    assert response.json() == list_policies(city="天津", as_of="2022-06-01")
    row = next(r for r in response.json() if r["id"] == "tianjin-subsidy-measures")
    assert (row["status"], row["effective_to"], row["has_amounts"]) == ("in_force", "2024-08-28", True)
    expired = client.get("/api/policies", params={"city": "tianjin", "as_of": "2024-08-29"}).json()
    assert next(r for r in expired if r["id"] == "tianjin-subsidy-measures")["status"] == "expired"


def test_policies_errors_name_the_field(client):
    assert client.get("/api/policies", params={"city": "atlantis"}).json()["field"] == "city"
    assert client.get("/api/policies", params={"as_of": "soon"}).json()["field"] == "as_of"


def test_policy_detail_lists_articles(client):
    body = client.get("/api/policies/tianjin-subsidy-measures").json()
    assert body["title"].startswith("天津")
    assert any(a["article"] == "第七条" for a in body["articles"])
    assert client.get("/api/policies/no-such-doc").status_code == 404


def test_search_passes_query_k_and_city(client, fake_search):
    response = client.get("/api/search", params={"q": "领跑者 奖励", "k": 3, "city": "天津"})
    assert response.status_code == 200
    assert set(response.json()[0]) >= {"document", "article", "city", "text", "score"}
    assert fake_search[-1] == ("领跑者 奖励", 3, "天津", False)
    client.get("/api/search", params={"q": "x", "k": 500})
    assert fake_search[-1][1] == 50


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": " "}, "q"), ({"q": "x", "k": "five"}, "k"), ({"q": "x", "k": 0}, "k")],
)
def test_search_errors_name_the_field(client, fake_search, params, field):
    response = client.get("/api/search", params=params)
    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.integration
def test_real_search_through_the_api(client, tmp_path, monkeypatch):
    from knowledge.search import reset_searcher
    from tests.test_load import shared_index_data_dir

    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(shared_index_data_dir(tmp_path / "data")))
    reset_searcher()
    response = client.get("/api/search", params={"q": "天津 主导制定国家标准 资助", "k": 5})
    assert response.status_code == 200, response.text
    hits = response.json()
    assert 1 <= len(hits) <= 5
    assert all(set(h) >= {"document", "article", "city", "text", "score"} for h in hits)
    assert any(h["city"] == "tianjin" and "第七条" in h["article"] for h in hits)
    reset_searcher()


def run_serve(port: int, **env: str) -> subprocess.CompletedProcess:
    """`subsidy serve` with these variables set, expected to refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "subsidy.cli", "serve", "--port", str(port)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.integration
def test_serve_with_a_bad_setting_is_one_line(tmp_path):
    result = run_serve(1, SUBSIDY_CHAT_RATE="lots", SUBSIDY_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: SUBSIDY_CHAT_RATE: not a rate: 'lots'; use N/SECONDS, e.g. 600/60"
    ]


# ---------------------------------------------------------------- QA robustness (counts, bodies, HEAD, data dir)
STANDARD_ROW = {"type": "standard", "level": "national", "role": "lead", "action": "draft"}


@pytest.mark.parametrize("count", [10_001, 10**27, 10**100])
def test_count_above_the_bound_is_422_naming_the_field(client, count):
    body = {**TIANJIN, "achievements": [{**STANDARD_ROW, "count": count}]}
    response = client.post("/api/estimate", json=body)
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["field"] == "achievements[0].count"
    assert "10,000" in data["detail"]
    portfolio = client.post("/api/estimate", json=[TIANJIN, body])
    assert portfolio.status_code == 422
    assert portfolio.json()["field"] == "[1].achievements[0].count"


def test_count_at_the_bound_is_an_exact_safe_integer(client):
    from calculators.models import MAX_COUNT

    body = {**TIANJIN, "achievements": [{**STANDARD_ROW, "count": MAX_COUNT}]}
    response = client.post("/api/estimate", json=body)
    assert response.status_code == 200
    amount = response.json()["items"][0]["amount_yuan"]
    assert amount == 80000 * MAX_COUNT
    assert amount < 2**53  # a JavaScript client holds it exactly


def test_count_bound_is_documented_in_the_schema(client):
    request = client.get("/openapi.json").json()["components"]["schemas"]["EstimateRequest"]
    for achievement in request["properties"]["achievements"]["items"]["oneOf"]:  # one per type
        count = achievement["properties"]["count"]
        assert count["maximum"] == 10_000 and count["minimum"] == 1
        assert "10,000" in count["description"]


def test_a_number_too_long_to_read_is_422_naming_the_body(client):
    text = json.dumps(TIANJIN).replace('"draft"}', '"draft", "count": ' + "9" * 5000 + "}")
    response = client.post("/api/estimate", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["field"] == "body"


@pytest.mark.parametrize("path", ["/api/estimate", "/api/chat"])
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "application/json; charset=gbk", None]
)
def test_json_endpoints_refuse_other_content_types_with_415(client, fake_assistant, path, content_type):
    body = json.dumps(TIANJIN if path == "/api/estimate" else {"message": "你好"}).encode()
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json() == {
        "detail": "Content-Type must be application/json (UTF-8)",
        "field": "content-type",
        "allowed": ["application/json"],
    }


@pytest.mark.parametrize("content_type", ["application/json; charset=UTF-8", "application/problem+json"])
def test_json_content_types_are_accepted(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/estimate", content=json.dumps(TIANJIN).encode(), headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/api/estimate", "/api/chat"])
def test_a_body_that_is_not_utf8_is_422_naming_the_body(client, fake_assistant, path):
    body = '{"message": "你好", "city": "天津"}'.encode("gbk")
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["field"] == "body"
    assert "UTF-8" in data["detail"]


@pytest.mark.parametrize("path", ["/healthz", "/api/policies", "/", "/docs"])
def test_head_is_answered_on_get_routes(client, path):
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == 200 == get.status_code
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["x-content-type-options"] == "nosniff"


def test_head_on_a_post_route_is_405(client):
    assert client.head("/api/estimate").status_code == 405


def test_healthy_healthz_is_exactly_the_contract(client, tmp_path, monkeypatch):
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path / "data"))
    body = client.get("/healthz").json()
    assert set(body) == {"status", "warm"} and body["status"] == "ok"


@pytest.fixture
def unusable_data_dir(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(blocker))
    return blocker


def test_healthz_reports_an_unusable_data_dir(client, unusable_data_dir):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "SUBSIDY_DATA_DIR" in body["detail"] and "not a directory" in body["detail"]
    assert str(unusable_data_dir) not in body["detail"]  # no server paths to the world
    assert client.head("/healthz").status_code == 503


def test_chat_with_an_unusable_data_dir_is_503_not_a_forgotten_turn(client, unusable_data_dir, monkeypatch):
    install_fake_assistant(monkeypatch)
    response = client.post("/api/chat", json={"message": "你好"})
    assert response.status_code == 503
    assert "SUBSIDY_DATA_DIR" in response.json()["detail"]


def test_search_with_an_unusable_data_dir_is_503(client, unusable_data_dir, monkeypatch):
    from foundation.errors import ConfigError

    def search(*_: Any, **__: Any) -> list[Any]:  # a setting, not the client's input (issue 18.7)
        raise ConfigError("SUBSIDY_DATA_DIR", f"{unusable_data_dir} is not a directory")

    install_search(monkeypatch, search)
    response = client.get("/api/search", params={"q": "领跑者"})
    assert response.status_code == 503
    assert response.json()["field"] is None
    assert "SUBSIDY_DATA_DIR" in response.json()["detail"]


@pytest.mark.integration
def test_serve_refuses_an_unusable_data_dir_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_serve(8799, SUBSIDY_DATA_DIR=str(blocker))
    assert result.stdout == ""  # refused before it announces itself
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: SUBSIDY_DATA_DIR: {blocker}")


@pytest.mark.parametrize(
    ("request_", "path"),
    [
        ("post", "/api/chat"),  # pydantic's errors
        ("post", "/api/estimate"),  # the engine's
        ("get", "/api/search?k=0&q=x"),
        ("get", "/api/nowhere"),
        ("get", "/api/estimate"),
    ],
)
def test_every_error_has_the_same_shape(client, request_, path):
    response = client.request(
        request_.upper(), path, json={"city": "atlantis"} if request_ == "post" else None
    )
    assert response.status_code >= 400
    assert set(response.json()) == {"detail", "field", "allowed"}


def test_api_key_error_has_the_same_shape():
    body = make_client(api_key="k").get("/api/policies").json()
    assert body == {"detail": "X-API-Key: missing or wrong API key", "field": "X-API-Key", "allowed": []}


def test_portfolio_errors_keep_the_allowed_values(client):
    single = client.post("/api/estimate", json={**TIANJIN, "city": "nowhere"}).json()
    portfolio = client.post("/api/estimate", json=[TIANJIN, {**TIANJIN, "city": "nowhere"}]).json()
    assert portfolio["field"] == "[1].city"
    assert portfolio["allowed"] == single["allowed"] != []
    assert portfolio["detail"] == "[1]." + single["detail"]


@pytest.mark.parametrize(
    ("field", "value"), [("city", ["天津"]), ("city", {"a": 1}), ("city", 12), ("as_of", 20220601)]
)
def test_present_but_wrong_type_says_must_be_a_string(client, field, value):
    response = client.post("/api/estimate", json={**TIANJIN, field: value})
    assert response.status_code == 422
    data = response.json()
    assert data["field"] == field
    assert "must be a string" in data["detail"] and "required" not in data["detail"]


def test_search_length_error_names_the_parameter_q(client, monkeypatch):
    from knowledge.search import MAX_QUERY_CHARS, clean_query

    def search(query: str, **_: Any) -> list[Any]:
        clean_query(query)
        return []

    install_search(monkeypatch, search)
    response = client.get("/api/search", params={"q": "x" * (MAX_QUERY_CHARS + 1)})
    assert response.status_code == 422
    assert response.json()["field"] == "q"
    assert response.json()["detail"].startswith("q: too long")


def test_search_with_national_is_passed_on(client, fake_search):
    client.get("/api/search", params={"q": "领跑者", "city": "临沂", "with_national": "true"})
    assert fake_search[-1] == ("领跑者", 5, "临沂", True)
    client.get("/api/search", params={"q": "领跑者", "city": "临沂"})
    assert fake_search[-1][3] is False
    assert (
        client.get("/api/search", params={"q": "x", "with_national": "maybe"}).json()["field"]
        == "with_national"
    )


def test_search_city_national_is_the_cli_error(client, fake_search):
    from foundation.errors import UserInputError
    from knowledge.regions import resolve_region

    with pytest.raises(UserInputError) as cli_error:
        resolve_region("national", "--city")  # what `subsidy search --city national` says
    response = client.get("/api/search", params={"q": "领跑者", "city": "national"})
    assert response.status_code == 422
    data = response.json()
    assert data["field"] == "city"
    assert data["detail"] == "city" + str(cli_error.value).removeprefix("--city")
    assert data["allowed"] == cli_error.value.allowed
    assert fake_search == []  # refused before the search ran
