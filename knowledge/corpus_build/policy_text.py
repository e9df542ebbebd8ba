"""Line forms of Chinese policy text that both the corpus build and `subsidy ingest` read: Chinese
numerals, the （发布时间：…） line, a full date (2023年3月1日), headings compared and text collapsed."""

from __future__ import annotations

import datetime as dt
import re

from foundation.text import fold

CN_NUM = "一二三四五六七八九十百零〇两"
PUBLISHED_LINE = re.compile(r"^[（(]\s*(?:发布|召开)(?:时间|日期)\s*[：:]")
FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")


def parse_cn_date(text: str) -> dt.date | None:
    """The first full date written in `text` (2023年3月1日), or None."""
    m = FULL_DATE.search(text)
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None


def heading_key(text: str) -> str:
    """For matching titles and headings: folded (NFKC, lower case, no whitespace), no markdown bold."""
    return fold(text).replace("*", "")


def collapse(text: str) -> str:
    """One line: whitespace runs become one space, markdown bold goes."""
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()
