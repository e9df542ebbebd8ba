"""Chat turns for messages that name several regions or a count the assistant cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.dialogue import chat_turn


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions in a fresh directory and no LLM: only the deterministic path answers."""
    monkeypatch.setenv("SUBSIDY_DATA_DIR", str(tmp_path))
    for name in ("SUBSIDY_LLM_BASE_URL", "SUBSIDY_LLM_MODEL", "SUBSIDY_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def ask(message: str, session: str | None = None) -> dict:
    return chat_turn(message, session_id=session, as_of="2022-06-01").model_dump(mode="json")


@pytest.mark.parametrize(
    "message",
    ["北京和天津主导制定国家标准分别能拿多少", "比较一下北京和天津，主导制定国家标准能拿多少"],
)
def test_two_cities_are_asked_about_not_guessed(message: str) -> None:
    first = ask(message)
    assert first["estimate"] is None
    assert "北京" in first["follow_up"] and "天津" in first["follow_up"]
    second = ask("天津", first["session_id"])
    assert second["follow_up"] is None
    assert second["estimate"]["items"][0]["amount_yuan"] == 80000


@pytest.mark.parametrize(
    ("message", "city"),
    [
        ("不是北京，是天津，主导制定国家标准能拿多少", "tianjin"),
        ("天津滨海新区，主导制定国家标准能拿多少", "tianjin"),
        ("天津主导制定国家标准，天津能拿多少", "tianjin"),
        ("山东临沂，主导制定国家标准能拿多少", "linyi"),
    ],
)
def test_one_city_named_in_several_ways_is_answered(message: str, city: str) -> None:
    got = ask(message)
    assert got["follow_up"] is None and got["estimate"]["city"] == city


@pytest.mark.parametrize(
    ("message", "count"), [("天津主导制定了1000项国家标准", 1000), ("天津主导制定一百项国标", 100)]
)
def test_large_counts_reach_the_calculator(message: str, count: int) -> None:
    got = ask(message)
    assert got["estimate"]["items"][0]["amount_yuan"] == count * 80000  # 天津 第七条: 8 万元 each


def test_an_unread_count_is_said_in_the_answer() -> None:
    got = ask("我们在天津主导制定了1.5项国家标准")
    assert "1.5项" in got["answer"] and "无法识别" in got["answer"]
