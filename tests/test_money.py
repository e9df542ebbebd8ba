"""One way to write an amount (foundation/money.py), for the plain-text answers and the HTML pages."""

from __future__ import annotations

import pytest

from foundation import money


@pytest.mark.parametrize(
    ("yuan", "wan", "spaced"),
    [
        (80000, "8万元", "8 万元"),
        (15000, "1.5万元", "1.5 万元"),
        (12345, "1.2345万元", "1.2345 万元"),
        (5, "0.0005万元", "0.0005 万元"),
        (0, "0万元", "0 万元"),
        (1_000_000_000, "100000万元", "100000 万元"),
        (None, "—", "—"),
    ],
)
def test_wan(yuan, wan, spaced):
    assert money.wan(yuan) == wan
    assert money.wan(yuan, gap=" ") == spaced


def test_yuan_and_money():
    assert money.yuan(80000) == "80,000元" and money.yuan(80000, gap=" ") == "80,000 元"
    assert money.yuan(None) == "—"
    assert money.money(80000) == "8万元（80,000元）"
    assert money.money(None) == ""


def test_both_template_environments_use_it():
    from assistant import answers
    from subsidy.web import rendering

    text = answers.environment().from_string("{{ 80000 | money }} {{ 15000 | wan }}").render()
    assert text == "8万元（80,000元） 1.5万元"
    html = rendering.environment().from_string("{{ 80000 | wan }}（{{ 80000 | yuan }}）").render()
    assert html == "8 万元（80,000 元）"
    assert rendering.environment().autoescape and not answers.environment().autoescape
