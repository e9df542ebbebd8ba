"""The table of contents of the compilation (seed 001, lines ~16-58): its parts (一、…) and its
numbered entries, each one document."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from knowledge.corpus_build.policy_text import CN_NUM, heading_key

TOC_ENTRY = re.compile(r"^(?P<number>\d{1,2})\s*[.．]\s*(?P<title>.+?)\t+(?P<page>\d+)\s*$")
TOC_PART = re.compile(rf"^(?P<part>[{CN_NUM}])、(?P<title>.+?)\t+(?P<page>\d+)\s*$")
TOC_DATE_SUFFIX = re.compile(r"[（(](?:发布|召开)(?:时间|日期)[：:][^）)]*[）)]\s*$")


@dataclass(frozen=True)
class TocEntry:
    part: str
    number: int
    title: str
    line: int


@dataclass(frozen=True)
class TocPart:
    part: str
    title: str
    line: int


def parse_toc(lines: list[str]) -> tuple[list[TocPart], list[TocEntry], int]:
    """The TOC of seed 001: its parts, its entries and the last TOC line."""
    start = next(i for i, line in enumerate(lines) if line.strip() == "目录")
    parts: list[TocPart] = []
    entries: list[TocEntry] = []
    last = start
    for i in range(start + 1, len(lines)):
        line = lines[i].strip()
        if not line:
            continue
        if m := TOC_PART.match(lines[i]):
            parts.append(TocPart(m["part"], m["title"].strip(), i))
        elif m := TOC_ENTRY.match(lines[i]):
            title = TOC_DATE_SUFFIX.sub("", m["title"]).strip()
            entries.append(TocEntry(parts[-1].part, int(m["number"]), title, i))
        else:
            break
        last = i
    return parts, entries, last


def titles_match(body_title: str, toc_title: str) -> bool:
    """A shared prefix, or a similarity of at least 0.6: the TOC and the body spell some titles
    differently (国家标准化委员会 / 国家标准化管理委员会)."""
    a, b = heading_key(body_title), heading_key(toc_title)
    k = min(len(a), len(b), 12)
    if k and a[:k] == b[:k]:
        return True
    return difflib.SequenceMatcher(None, a[: len(b)], b).ratio() >= 0.6
