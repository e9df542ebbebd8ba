"""Chinese numerals as users and documents write them (两项, 三等奖, 一百万)."""

from __future__ import annotations

import re

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}


def chinese_integer(text: str) -> int | None:
    """One well-formed numeral: 十二 → 12, 一百二十 → 120, 一百零五 → 105, 两千 → 2000, 一万 → 10000,
    and the spoken short forms 一百二 → 120, 一万二 → 12000. None for anything else: 两三 and 一两
    say a range, not a number; 百 needs its digit."""
    total, section = 0, 0
    digit: int | None = None
    last_unit = 0  # the unit read last within the section (a following digit is one unit below it)
    after_zero = False
    spoken_unit = 0  # the unit right before a final digit: 一百二 = 120, 一万二 = 12000
    for position, ch in enumerate(text):
        if ch in DIGITS:
            if digit is not None and not after_zero:
                return None  # 两三: two digits in a row
            digit, after_zero = DIGITS[ch], DIGITS[ch] == 0
        elif ch in UNITS:
            unit = UNITS[ch]
            if last_unit and unit >= last_unit:
                return None  # 十百
            if digit is None and not (unit == 10 and position == 0):
                return None  # 百 without its digit (十 alone is 一十)
            section += (digit if digit is not None else 1) * unit
            digit, last_unit, after_zero = None, unit, False
            spoken_unit = unit
        elif ch in BIG_UNITS:
            if section == 0 and digit is None:
                return None
            total += (section + (digit or 0)) * BIG_UNITS[ch]
            section, digit, last_unit, after_zero = 0, None, 0, False
            spoken_unit = BIG_UNITS[ch]
        else:
            return None
    if not text:
        return None
    if digit is not None and spoken_unit > 10 and not after_zero and text[-2] not in DIGITS:
        digit *= spoken_unit // 10
    return total + section + (digit or 0)


def whole_number(text: str) -> int | None:
    """A whole number written in digits (15, 1,000) or in Chinese numerals (十, 两, 二十三, 一百二十);
    None when `text` is not one (1.5, 上百)."""
    if re.fullmatch(r"\d+|\d{1,3}(?:,\d{3})+", text):
        return int(text.replace(",", ""))
    return chinese_integer(text)
