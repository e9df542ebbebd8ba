"""How many of an achievement a message states: 两项, 3个, 国标x2, 各一项 (to each); and the count
phrases it says that state no usable count (上百个, 十几项, 1.5项, 0项)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from foundation.chinese_numerals import whole_number
from foundation.limits import MAX_COUNT

_COUNT_UNIT = (
    r"(?:项|个(?!月|事|问题)|部(?!分|门)|份|件(?!事)|本|次(?!性)|套|种(?!类)|款)"  # 三件事: no achievement
)
_COUNT = re.compile(
    r"(?<![第\d])(?<!\d\.)(各)?"
    r"((?:好几|几|数|上|近)[十百千万]+"  # 几十项, 上百个: a rough number
    r"|\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?"  # 1,000 / 1000 / 1.5
    r"|(?<![唯统同万逐单之其])[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*)"  # 唯一一项
    rf"(多|余|来|几)?\s*{_COUNT_UNIT}"  # 一百多项, 十几个: a rough number too
    r"|(?<![a-z0-9])(各)?[x×*]\s*(\d+(?:\.\d+)?)(?![\d.])"  # 国标x2, 行标×3
)
_ORDINAL = re.compile(r"第[零〇一二两三四五六七八九十百千万亿]*$")  # 第一百二十项 is no count


@dataclass(frozen=True)
class Count:
    start: int
    end: int
    value: int
    each: bool  # 各一项: the count of every achievement named


def _count_value(match: re.Match[str]) -> int | None:
    """The count a count phrase states, or None when it states no usable one: a rough number (上百项,
    十几个, 两三项), a fraction (1.5项), none (0项) or more than the calculator takes."""
    if match.group(3) or (match.group(2) and match.group(2)[0] in "好几数上近"):
        return None
    number = whole_number(match.group(2) or match.group(5))
    return number if number is not None and 1 <= number <= MAX_COUNT else None


def read_counts(text: str, taken: list[tuple[int, int]]) -> tuple[list[Count], list[str]]:
    """The counts of the message, and the count phrases it says but no count can be read from, as
    written. A number inside a span of `taken` (a phrase of the lexicon) or after 第 is no count."""
    counts, unread = [], []
    for match in _COUNT.finditer(text):
        inside_phrase = any(s < match.end() and match.start() < e for s, e in taken)
        if inside_phrase or _ORDINAL.search(text, 0, match.start()):
            continue
        number = _count_value(match)
        if number is None:
            unread.append(match.group(0))
            continue
        each = bool(match.group(1) or match.group(4))
        counts.append(Count(match.start(), match.end(), number, each))
    return counts, unread
