"""Traditional → simplified folding for matching (knowledge/simplified.py)."""

from __future__ import annotations

import pytest

from knowledge.simplified import to_simplified


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("臨沂單位修訂國家標準", "临沂单位修订国家标准"),
        ("對冒用企業標準“領跑者”稱號", "对冒用企业标准“领跑者”称号"),
        ("ISO/TC 秘書處 8萬元", "ISO/TC 秘书处 8万元"),
    ],
)
def test_traditional_is_folded(text: str, folded: str) -> None:
    assert to_simplified(text) == folded


@pytest.mark.parametrize("text", ["天津主导制定国家标准能拿多少钱", "郑州 标准化 后补助 范围", "abc 123", ""])
def test_simplified_and_ascii_stay_as_they_are(text: str) -> None:
    assert to_simplified(text) == text
