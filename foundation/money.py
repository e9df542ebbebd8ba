"""Amounts as every face writes them: 80000 → 8万元, 80,000元, 8万元（80,000元）.

One implementation for the plain-text answers (prompts/) and the HTML pages (subsidy/templates/);
the pages set the unit off with a space (8 万元), the answers do not (8万元).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

MISSING = "—"


def wan(yuan: int | None, gap: str = "") -> str:
    """80000 → 8万元, 15000 → 1.5万元, 12345 → 1.2345万元; no amount → —."""
    if yuan is None:
        return MISSING
    value = Decimal(int(yuan)) / 10000
    return f"{value.normalize():f}{gap}万元"


def yuan(value: int | None, gap: str = "") -> str:
    """80000 → 80,000元; no amount → —."""
    return MISSING if value is None else f"{int(value):,}{gap}元"


def money(value: int | None, gap: str = "") -> str:
    """80000 → 8万元（80,000元）; no amount → nothing."""
    if value is None:
        return ""
    return f"{wan(value, gap)}（{yuan(value, gap)}）"


def filters(gap: str = "") -> dict[str, Callable[[Any], str]]:
    """The Jinja filters `wan`, `yuan` and `money`, with `gap` between the number and the unit."""
    return {"wan": partial(wan, gap=gap), "yuan": partial(yuan, gap=gap), "money": partial(money, gap=gap)}
