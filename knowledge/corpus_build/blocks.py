"""A document's lines as blocks: cleaned, page-break splits joined, each with its numbering marker.

Lines are cleaned (leading stray spaces stripped) and page-break splits are joined: a line that
does not end a sentence (。；：！？, a closing bracket, or a title word such as 意见 / 办法), is at
least 20 characters long (a wrapped line, not a title) and is not a heading joins the next line
unless that line starts a new numbered unit, a table row or a "key:" line. Page footers ("— 1 —")
stay verbatim on their own line, so that every text remains a span of the seed. A section heading
glued to the end of a sentence (郑州 point 8 "…奖励。二、标准化") is split off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.corpus_build.policy_text import CN_NUM, PUBLISHED_LINE, collapse

LEAD_NOISE = re.compile(r"^(?:[-•]\s+)?(?:\*\*)?\s*")
TERMINAL = re.compile(
    r"(?:[。；;！？!?：:…）)》][”’」』）)】\]]*|意见|通知|公告|决定|办法|方案|规划|纲要|细则)$"
)
PAGE_FOOTER = re.compile(r"^[—–-]\s*\d+\s*[—–-]$")  # "— 1 —": kept verbatim, never joined
OWN_LINE = re.compile(r"^(?:-\s+)?(?:[A-Z][.．]\s|[^，。,、\s]{1,6}\s?[:：])")  # "B. 选项", "联系电话:"
GLUED_SECTION = re.compile(rf"^(?P<text>.*[。；;])(?P<heading>[{CN_NUM}]+、[^\s。，,；;、]{{1,10}})$")

# numbering levels, outermost first
CHAPTER, ARTICLE, SECTION, ITEM, POINT, SUBPOINT = range(6)
MARKERS = (
    (CHAPTER, re.compile(rf"^第[{CN_NUM}]+章")),
    (CHAPTER, re.compile(r"^附件\s*(\d+)(?![\d.．:：])")),
    (ARTICLE, re.compile(rf"^第[{CN_NUM}]+[条條]")),
    (SECTION, re.compile(rf"^([{CN_NUM}]+)、")),
    (ITEM, re.compile(rf"^[（(]\s*([{CN_NUM}]+)\s*[）)]")),
    (POINT, re.compile(r"^(\d{1,2})\s*[.．、](?![\d.．])")),
    (SUBPOINT, re.compile(r"^(?:[（(](\d{1,2})[）)]|([①②③④⑤⑥⑦⑧⑨⑩]))")),
)
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


@dataclass(frozen=True)
class Marker:
    level: int
    label: str
    heading: bool  # the block only names what follows (一、总体要求), it states nothing
    short: str = ""  # chapters and annexes: 第三章 / 附件1, used to prefix the labels inside them


@dataclass
class Block:
    text: str
    line_start: int
    line_end: int
    last_line: str
    marker: Marker | None
    table: bool = False
    meta: bool = False  # the （发布时间：…） line

    @property
    def heading_only(self) -> bool:
        return self.meta or (self.marker is not None and self.marker.heading)


def marker_of(text: str) -> Marker | None:
    s = LEAD_NOISE.sub("", text)
    for level, pattern in MARKERS:
        m = pattern.match(s)
        if not m:
            continue
        rest = s[m.end() :].replace("**", "").strip()
        if level == CHAPTER:
            short = f"附件{m[1]}" if s.startswith("附件") else m.group(0)
            return Marker(level, collapse(s), True, short)
        if level == ARTICLE:
            return Marker(level, m.group(0), False)
        if level == SECTION:
            label = f"{m[1]}、"
            body = rest.rstrip("。：:")
            return Marker(
                level, label, bool(body) and len(body) <= 60 and not re.search(r"[。；;！？]", body)
            )
        if level == ITEM:
            label = f"（{m[1]}）"
        elif level == POINT:
            label = f"{m[1]}."
        else:
            label = f"（{m[1] or CIRCLED.index(m[2]) + 1}）"
        body = rest.rstrip("。：:")
        plain = bool(body) and len(body) <= 40 and not re.search(r"[。；;，,、：:！？]", body)
        return Marker(level, label, plain)
    return None


def physical_lines(lines: list[str], start: int, end: int) -> list[tuple[int, str]]:
    """Non-blank cleaned lines; a section heading glued to the end of a sentence is split off."""
    out: list[tuple[int, str]] = []
    for i in range(start, end + 1):
        line = lines[i].strip()
        if not line:
            continue
        m = GLUED_SECTION.match(line)
        if m and marker_of(m["heading"]) is not None:
            out += [(i, m["text"]), (i, m["heading"])]
        else:
            out.append((i, line))
    return out


def continues(prev: Block, line: str) -> bool:
    """Does `line` continue `prev` across a page break (the sentence was cut)?"""
    if prev.table or prev.meta or "\t" in line or (prev.marker is not None and prev.marker.heading):
        return False
    if PAGE_FOOTER.match(prev.last_line) or PAGE_FOOTER.match(line) or OWN_LINE.match(line):
        return False
    if TERMINAL.search(prev.last_line) or len(prev.last_line) < 20:
        return False
    return marker_of(line) is None and not PUBLISHED_LINE.match(line)


def joiner(left: str, right: str) -> str:
    """Chinese joins without a space; two Latin letters or digits keep one apart."""

    def latin(char: str) -> bool:
        return char.isascii() and char.isalnum()

    return " " if latin(left[-1:]) and latin(right[:1]) else ""


def build_blocks(lines: list[str], start: int, end: int) -> list[Block]:
    blocks: list[Block] = []
    for i, line in physical_lines(lines, start, end):
        if blocks and continues(blocks[-1], line):
            prev = blocks[-1]
            prev.text += joiner(prev.text, line) + line
            prev.line_end, prev.last_line = i, line
            continue
        blocks.append(
            Block(
                text=line,
                line_start=i,
                line_end=i,
                last_line=line,
                marker=marker_of(line),
                table="\t" in line,
                meta=bool(PUBLISHED_LINE.match(line)),
            )
        )
    # A short numbered line is a heading only if something deeper follows it: "（一）总体思路。"
    # followed by a paragraph is one, "（三）拥有经认定的省部级以上研发机构。" followed by "（四）…" is a
    # list item and keeps its place in the text.
    for block, nxt in zip(blocks, [*blocks[1:], None], strict=True):
        m = block.marker
        if m is None or not m.heading or m.level < SECTION:
            continue
        if nxt is None or (nxt.marker is not None and nxt.marker.level <= m.level):
            block.marker = Marker(m.level, m.label, False, m.short)
    return blocks
