"""When a document is in force, read from its own validity sentence.

本办法自2020年1月1日起施行，有效期至2024年12月31日。   → 2020-01-01 .. 2024-12-31
本办法自 2018 年 12 月 1 日起实施，有效期 5 年。          → 2018-12-01 .. 2023-11-30
本办法自公布之日起 30 日后施行，有效期三年。              → published + 30 days, 3 years
本政策自印发之日起实施。 / 施行日期：2023年3月1日          → from the publication date / that day
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from foundation.chinese_numerals import whole_number
from foundation.text import squash
from knowledge.corpus_build.policy_text import parse_cn_date

NUMBER = r"(\d+|[一二两三四五六七八九十]+)"
STARTS = re.compile(r"(施行|实施|执行|生效)")
SELF_REFERENCE = re.compile(r"本(办法|细则|规定|政策|措施|通知|意见|方案|规则)|施行日期|实施日期|有效期")
FROM_DAY = re.compile(r"自\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起")
STATED_DAY = re.compile(r"(?:施行|实施)日期\s*[:：]\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
FROM_PUBLICATION = re.compile(rf"自\s*(?:发布|公布|印发|颁布)之日起(?:\s*{NUMBER}\s*日后)?")
UNTIL_DAY = re.compile(r"有效期(?:至|到)\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
FOR_YEARS = re.compile(rf"有效期(?:为)?\s*{NUMBER}\s*年")


def cn_number(text: str) -> int:
    """'30' → 30, '三' → 3, '十' → 10, '十五' → 15, '二十' → 20 (the numerals the patterns above match)."""
    value = whole_number(text)
    if value is None:
        raise ValueError(f"not a number: {text!r}")
    return value


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Validity:
    quote: str | None  # the verbatim sentence
    effective_from: dt.date | None
    effective_to: dt.date | None


def sentences(text: str) -> list[str]:
    """Sentences ending in 。 (or a line end), each as written, whitespace kept."""
    out = []
    for line in text.split("\n"):
        out += [s.strip() for s in re.findall(r"[^。]*。|[^。]+$", line) if s.strip()]
    return out


def find_validity(text: str, published: dt.date | None) -> Validity:
    """The last sentence that states when the document itself takes effect or ends."""
    for sentence in reversed(sentences(text)):
        flat = squash(sentence)
        if not SELF_REFERENCE.search(flat):
            continue
        if not (STARTS.search(flat) or "有效期" in flat):
            continue
        start = _start(flat, published)
        end = _end(flat, start)
        if start is None and end is None and not FROM_PUBLICATION.search(flat):
            continue
        quote = re.sub(
            r"^[^，。；]{0,8}?(?=本(?:办法|细则|规定|政策|措施|通知|意见|方案|规则))", "", sentence
        )
        return Validity(quote, start or published, end)
    return Validity(None, published, None)


def _start(flat: str, published: dt.date | None) -> dt.date | None:
    if m := FROM_DAY.search(flat) or STATED_DAY.search(flat):
        return parse_cn_date(m.group(1))
    if (m := FROM_PUBLICATION.search(flat)) and published is not None:
        return published + dt.timedelta(days=cn_number(m.group(1))) if m.group(1) else published
    return None


def _end(flat: str, start: dt.date | None) -> dt.date | None:
    if m := UNTIL_DAY.search(flat):
        return parse_cn_date(m.group(1))
    if (m := FOR_YEARS.search(flat)) and start is not None:
        return add_years(start, cn_number(m.group(1))) - dt.timedelta(days=1)
    return None


__all__ = ["Validity", "cn_number", "find_validity"]
