"""Reading money and percentages as the documents write them (100 万元, 5千元, 3000元, 7.5万, 50%)."""

from __future__ import annotations

import re
from decimal import Decimal

AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|千)?\s*元?")
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
UNIT = {"万": Decimal(10000), "千": Decimal(1000), None: Decimal(1)}


def parse_amount_yuan(text: str) -> int:
    """'20 万元' → 200000; '5千元' → 5000; '3000元' → 3000."""
    match = AMOUNT.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    return int(Decimal(match.group(1)) * UNIT[match.group(2)])


def parse_percent(text: str) -> Decimal:
    """'50%' → Decimal('0.5')."""
    match = PERCENT.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not a percentage: {text!r}")
    return Decimal(match.group(1)) / 100
