"""When the message says the achievement was obtained (2021年, 2022年6月, 去年), and the day it asks
the award for (按2022年6月申报)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_FULL_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*[日号]?")
_YEAR_MONTH = re.compile(r"(20\d{2}|19\d{2})\s*(?:年\s*(\d{1,2})\s*月|[\-/.]\s*(\d{1,2})(?![\d\-/.]))")
_YEAR = re.compile(r"(20\d{2}|19\d{2}|(?<!\d)[12]\d)\s*年(?:度)?")  # 2021年, 21年
_RELATIVE_YEAR = {
    "前年": -2,
    "去年": -1,
    "上一年": -1,
    "上年度": -1,
    "上年": -1,
    "今年": 0,
    "本年度": 0,
    "本年": 0,
}
_GRANT_BEFORE = re.compile(r"(按照?|截至|截止|如果在|假如在|要是在|现在是|今天是)\s*$")
_GRANT_AFTER = re.compile(r"^\s*(的政策|政策|申报|申请|去申报|去申请|来申报|拿|领|兑现|发放)")


@dataclass(frozen=True)
class DatesSaid:
    achieved: str | None = None  # the first date not about the award, as said: "2021", "2022-06"
    grant_date: str | None = None  # ISO date the user asks the award for (the last one said)


def read_dates(text: str, today: dt.date) -> DatesSaid:
    """`today` anchors 去年/今年/前年; a year alone stands for its 30 June, a month for its first day."""
    spans: list[tuple[int, int, str, dt.date]] = []
    for regex in (_FULL_DATE, _YEAR_MONTH, _YEAR):
        for m in regex.finditer(text):
            if any(s <= m.start() < e for s, e, _, _ in spans):
                continue
            try:
                year = int(m.group(1))
                year += 2000 if year < 100 else 0
                month = None
                if regex is _FULL_DATE:
                    month = int(m.group(2))
                elif regex is _YEAR_MONTH:
                    month = int(m.group(2) or m.group(3))
                day = int(m.group(3)) if regex is _FULL_DATE else None
                date = dt.date(year, month or 6, day or (1 if month else 30))
            except (ValueError, IndexError):
                continue
            label = f"{year}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")
            spans.append((m.start(), m.end(), label, date))
    for word, delta in _RELATIVE_YEAR.items():
        for m in re.finditer(word, text):
            if not any(s <= m.start() < e for s, e, _, _ in spans):
                year = today.year + delta
                spans.append((m.start(), m.end(), str(year), today if delta == 0 else dt.date(year, 6, 30)))
    achieved: str | None = None
    grant_date: str | None = None
    for start, end, label, date in sorted(spans):
        before, after = text[max(0, start - 4) : start], text[end : end + 6]
        if _GRANT_BEFORE.search(before) or _GRANT_AFTER.search(after):
            grant_date = date.isoformat()
        elif achieved is None:
            achieved = label
    return DatesSaid(achieved, grant_date)
