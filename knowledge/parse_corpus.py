"""Parse the seed texts into the committed corpus: documents.json and articles.jsonl.

    python -m knowledge.parse_corpus           # rewrite knowledge/data/documents.json + articles.jsonl
    python -m knowledge.parse_corpus --check   # exit 1 when the committed files are stale

What is a document (seed 001, the compilation):
- Every entry of the table of contents (lines ~16-58) is one document. Its heading is found in
  the body by searching forward for a line with the same number whose normalised title matches
  the TOC title (a shared prefix, or a similarity of at least 0.6: the TOC and the body spell
  some titles differently, e.g. 国家标准化委员会 / 国家标准化管理委员会).
- A numbered heading in the body that the TOC skipped (8, 12, 13, 18) is a document too,
  with `in_toc: false`. It is recognised by the （发布时间：…） line right under it, which no
  numbered point inside a document has.
- One heading has neither a number nor a date line (优质中小企业梯度培育管理暂行办法, in the
  slot of the TOC's missing 14); document_meta.yaml declares it with `unnumbered: true`.
- A document runs from its heading to the line before the next document heading (or part
  heading). The other seeds are one document each.
`toc_number` is the number printed before the heading (the TOC and the body agree on it for
every TOC entry); the two TOC entries numbered 20 are distinct documents (20a, 20b).

What the parser takes from document_meta.yaml (hand-curated, reviewed like code): the id, the
region, the issuer, the validity sentence and the dates it states, `has_amounts`, and a
publication date where the （发布时间：…） line is missing or gives no year, and `same_text_as` for a
document that reprints another (the compilation's #9 is seed 004: listed, but only seed 004 is
searched). It checks that every
validity quote is verbatim in its document and that a curated publication date agrees with
the date line when there is one.

What is an article (the retrieval and citation unit):
- Lines are cleaned (leading stray spaces stripped) and page-break splits are joined: a line
  that does not end a sentence (。；：！？, a closing bracket, or a title word such as 意见 / 办法),
  is at least 20 characters long (a wrapped line, not a title) and is not a heading joins the
  next line unless that line starts a new numbered unit, a table row or a "key:" line. Page
  footers ("— 1 —") stay verbatim on their own line, so that every text remains a span of the seed.
  A section heading glued to the end of a sentence (郑州 point 8 "…奖励。二、标准化") is split off.
- Each document has a leaf unit: 第X条 when it has three or more; else its （一） items or its
  `1.` points when their numbers are unique in the document (e.g. 郑州's points `10.`); or what
  document_meta.yaml sets in `units` (北京's 补助资金管理办法 lost its article numbers, so its
  chapters are the unit, labelled with the chapter heading). Everything outside the leaves
  (preambles, sections without leaves, annexes) and every document without such structure is
  cut into section- or paragraph-sized chunks of at most ~800 characters, splitting at the
  highest-level numbering present (一、 > （一） > 1. > （1）), then between paragraphs.
  An article longer than 800 characters is cut at its （一） items (聊城 第四条 → 第四条 and
  第四条（一）…（十三）), so that no retrieval unit holds a dozen unrelated clauses; the lead-in
  sentence (often a cap, e.g. 黄埔 第十条) keeps the bare label.
- Labels are the text's own numbering, normalised (`第七条`, `一、`, `（一）`, `10.`, `（1）`) and
  prefixed with the enclosing label when the same number recurs in a document (`四、（一）`).
  Unlabelled text before any numbering is `引言` (`正文` in a document without numbering); a chunk
  continuing the previous one with the same label gets `（续1）`, `（续2）`, ….
- Every article text is verbatim: with all whitespace removed it is a substring of the seed
  with all whitespace removed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from foundation.text import squash
from knowledge.corpus import Document

PACKAGE_DIR = Path(__file__).resolve().parent
SEEDS_DIR = PACKAGE_DIR / "seeds"
DATA_DIR = PACKAGE_DIR / "data"
META_PATH = PACKAGE_DIR / "document_meta.yaml"
REGIONS_PATH = DATA_DIR / "regions.yaml"
DOCUMENTS_PATH = DATA_DIR / "documents.json"
ARTICLES_PATH = DATA_DIR / "articles.jsonl"

MAIN_SEED = "001_9dbe9052b049e00e.txt"
MAX_CHUNK_CHARS = 800
MAX_ARTICLE_CHARS = MAX_CHUNK_CHARS
NATIONAL = "国家"

# the fields of a document record: corpus.Document's, in its order (the one home of that list)
DOCUMENT_FIELDS = tuple(f.name for f in dataclasses.fields(Document))
META_FIELDS = {
    "id",
    "seed",
    "heading",
    "unnumbered",
    "title",
    "region_id",
    "issuer",
    "published",
    "effective_from",
    "effective_to",
    "validity_quote",
    "has_amounts",
    "units",
    "note",
    "same_text_as",
    "draft",
}

# ---------------------------------------------------------------- text helpers

CN_NUM = "一二三四五六七八九十百零〇两"
TOC_ENTRY = re.compile(r"^(?P<number>\d{1,2})\s*[.．]\s*(?P<title>.+?)\t+(?P<page>\d+)\s*$")
TOC_PART = re.compile(rf"^(?P<part>[{CN_NUM}])、(?P<title>.+?)\t+(?P<page>\d+)\s*$")
HEADING = re.compile(r"^(?P<number>\d{1,2})\s*[.．]\s*(?P<title>\S.*)$")
PUBLISHED_LINE = re.compile(r"^[（(]\s*(?:发布|召开)(?:时间|日期)\s*[：:]")
FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
TOC_DATE_SUFFIX = re.compile(r"[（(](?:发布|召开)(?:时间|日期)[：:][^）)]*[）)]\s*$")

LEAD_NOISE = re.compile(r"^(?:[-•]\s+)?(?:\*\*)?\s*")
TERMINAL = re.compile(
    r"(?:[。；;！？!?：:…）)》][”’」』）)】\]]*|意见|通知|公告|决定|办法|方案|规划|纲要|细则)$"
)
PAGE_FOOTER = re.compile(r"^[—–-]\s*\d+\s*[—–-]$")  # "— 1 —": kept verbatim, never joined
OWN_LINE = re.compile(r"^(?:-\s+)?(?:[A-Z][.．]\s|[^，。,、\s]{1,6}\s?[:：])")  # "B. 选项", "联系电话:"
GLUED_SECTION = re.compile(rf"^(?P<text>.*[。；;])(?P<heading>[{CN_NUM}]+、[^\s。，,；;、]{{1,10}})$")

CHAPTER, ARTICLE, SECTION, ITEM, POINT, SUBPOINT = range(6)
UNIT_NAMES = {
    CHAPTER: "section",
    ARTICLE: "条",
    SECTION: "section",
    ITEM: "item",
    POINT: "point",
    SUBPOINT: "point",
}
UNITS_OVERRIDE = {"条": ARTICLE, "chapter": CHAPTER, "item": ITEM, "point": POINT, "chunks": None}
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


def normalise(text: str) -> str:
    """For matching titles: NFKC (full-width → half-width), no whitespace, no markdown bold."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("*", "").lower()


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def parse_cn_date(text: str) -> dt.date | None:
    m = FULL_DATE.search(text)
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None


def read_lines(seed: str) -> list[str]:
    """The seed's lines, 1-based positions matching `sed -n`, line ends removed."""
    text = (SEEDS_DIR / seed).read_text(encoding="utf-8")
    return [""] + [line.rstrip("\r") for line in text.split("\n")]


# ---------------------------------------------------------------- table of contents


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
    a, b = normalise(body_title), normalise(toc_title)
    k = min(len(a), len(b), 12)
    if k and a[:k] == b[:k]:
        return True
    return difflib.SequenceMatcher(None, a[: len(b)], b).ratio() >= 0.6


# ---------------------------------------------------------------- documents


@dataclass
class Located:
    """A document heading found in seed 001."""

    line: int
    part: str
    number: int | None
    title: str
    in_toc: bool
    meta: dict[str, Any] | None = None


def next_nonblank(lines: list[str], i: int) -> int | None:
    for j in range(i + 1, len(lines)):
        if lines[j].strip():
            return j
    return None


def locate_main_documents(lines: list[str], meta: list[dict[str, Any]]) -> tuple[list[Located], list[int]]:
    """Document headings of seed 001 (in line order) and the body lines of its part headings."""
    parts, toc, toc_end = parse_toc(lines)
    part_lines: dict[str, int] = {}
    cursor = toc_end + 1
    for part in parts:
        for i in range(cursor, len(lines)):
            if normalise(lines[i]) == normalise(f"{part.part}、{part.title}"):
                part_lines[part.part] = i
                cursor = i + 1
                break
        else:
            raise ValueError(f"part heading {part.title!r} not found in the body")

    found: list[Located] = []
    cursor = part_lines[parts[0].part] + 1
    for entry in toc:
        cursor = max(cursor, part_lines[entry.part] + 1)
        for i in range(cursor, len(lines)):
            m = HEADING.match(lines[i].strip())
            if m and int(m["number"]) == entry.number and titles_match(m["title"], entry.title):
                found.append(Located(i, entry.part, entry.number, collapse(m["title"]), True))
                cursor = i + 1
                break
        else:
            raise ValueError(f"TOC entry {entry.number}. {entry.title!r} not found in the body")

    def part_of(line: int) -> str:
        return max((p for p in part_lines.items() if p[1] < line), key=lambda p: p[1])[0]

    matched = {d.line for d in found}
    for i in range(part_lines[parts[0].part] + 1, len(lines)):
        m = HEADING.match(lines[i].strip())
        nxt = next_nonblank(lines, i)
        if m and i not in matched and nxt is not None and PUBLISHED_LINE.match(lines[nxt].strip()):
            found.append(Located(i, part_of(i), int(m["number"]), collapse(m["title"]), False))

    for declared in meta:
        if declared.get("seed") != MAIN_SEED or not declared.get("unnumbered"):
            continue
        body = range(part_lines[parts[0].part] + 1, len(lines))
        hits = [i for i in body if normalise(lines[i]) == normalise(declared["heading"])]
        if len(hits) != 1:
            raise ValueError(f"{declared['id']}: unnumbered heading found {len(hits)} times")
        found.append(Located(hits[0], part_of(hits[0]), None, collapse(declared["heading"]), False, declared))

    found.sort(key=lambda d: d.line)
    return found, sorted(part_lines.values())


def attach_meta(located: list[Located], lines: list[str], meta: list[dict[str, Any]]) -> None:
    """Pair each located heading with exactly one yaml entry (its `heading` is a prefix)."""
    entries = [e for e in meta if e.get("seed") == MAIN_SEED and not e.get("unnumbered")]
    used: set[str] = set()
    for doc in located:
        if doc.meta is not None:
            used.add(doc.meta["id"])
            continue
        heading = normalise(lines[doc.line])
        hits = [e for e in entries if heading.startswith(normalise(str(e["heading"])))]
        if len(hits) != 1:
            raise ValueError(f"line {doc.line} {lines[doc.line]!r}: {len(hits)} yaml entries match")
        doc.meta = hits[0]
        used.add(hits[0]["id"])
    unused = [e["id"] for e in entries if e["id"] not in used]
    if unused:
        raise ValueError(f"document_meta.yaml entries that match no heading: {unused}")


def trim(lines: list[str], start: int, end: int) -> tuple[int, int]:
    while start <= end and not lines[start].strip():
        start += 1
    while end >= start and not lines[end].strip():
        end -= 1
    return start, end


# ---------------------------------------------------------------- blocks


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


# ---------------------------------------------------------------- articles


@dataclass
class Unit:
    label: str
    unit: str
    heading: str | None
    blocks: list[Block] = field(default_factory=list)


def prefixed(prefix: str | None, label: str) -> str:
    if not prefix:
        return label
    return f"{prefix} {label}" if prefix[-1:].isascii() and prefix[-1:].isalnum() else f"{prefix}{label}"


def choose_leaf_level(blocks: list[Block], override: str | None) -> int | None:
    if override is not None:
        return UNITS_OVERRIDE[override]
    counts = Counter((b.marker.level, b.marker.label) for b in blocks if b.marker)
    if sum(n for (level, _), n in counts.items() if level == ARTICLE) >= 3:
        return ARTICLE
    for level, minimum in ((ITEM, 3), (POINT, 5)):
        labels = {label: n for (lv, label), n in counts.items() if lv == level}
        if len(labels) >= minimum and all(n == 1 for n in labels.values()):
            return level
    return None


class Segmenter:
    """Cuts one document's blocks into articles (see the module docstring)."""

    def __init__(self, blocks: list[Block], leaf: int | None):
        self.blocks = [b for b in blocks if not b.meta]
        self.leaf = leaf
        self.counts = Counter((b.marker.level, b.marker.label) for b in self.blocks if b.marker)
        self.context: dict[int, str] = {}

    def qualify(self, marker: Marker, parent: str | None) -> str:
        if marker.level == CHAPTER or self.counts[(marker.level, marker.label)] <= 1 or not parent:
            return marker.label
        return prefixed(parent, marker.label)

    def heading_above(self, level: int) -> str | None:
        chain = [text for lv, text in sorted(self.context.items()) if lv < level]
        return " / ".join(chain) if chain else None

    def note_heading(self, block: Block) -> None:
        assert block.marker is not None
        level = block.marker.level
        self.context = {lv: t for lv, t in self.context.items() if lv < level}
        self.context[level] = collapse(LEAD_NOISE.sub("", block.text))

    def units(self) -> list[Unit]:
        out: list[Unit] = []
        run: list[Block] = []
        run_heading: list[str | None] = [None]
        current: Unit | None = None

        def flush_run() -> None:
            if run:
                out.extend(self.chunk(list(run), None, None, run_heading[0]))
                run.clear()

        for block in self.blocks:
            marker = block.marker
            starts_leaf = self.leaf is not None and marker is not None and marker.level == self.leaf
            higher = self.leaf is not None and marker is not None and marker.level < self.leaf
            ends_leaf = starts_leaf or higher or block.text.lstrip("- ").startswith("附件")
            if ends_leaf and current is not None:
                out.append(current)
                current = None
            if marker is not None and marker.heading and not starts_leaf:
                self.note_heading(block)
            if starts_leaf:
                assert marker is not None
                flush_run()
                label = marker.label if self.leaf == CHAPTER else self.qualify(marker, self.parent_label())
                if self.leaf == CHAPTER:
                    self.note_heading(block)
                current = Unit(label, UNIT_NAMES[marker.level], self.heading_above(marker.level), [block])
            elif current is not None:
                current.blocks.append(block)
            else:
                if not run:
                    run_heading[0] = self.heading_above(SECTION)
                run.append(block)
        if current is not None:
            out.append(current)
        flush_run()
        out.sort(key=lambda u: u.blocks[0].line_start)
        return [part for unit in out for part in self.split_long_article(unit)]

    @staticmethod
    def split_long_article(unit: Unit) -> list[Unit]:
        """An article longer than MAX_ARTICLE_CHARS is cut at its （一） items: 第四条, 第四条（一）, …"""
        cuts = [i for i, b in enumerate(unit.blocks) if b.marker is not None and b.marker.level == ITEM]
        too_long = sum(len(b.text) for b in unit.blocks) > MAX_ARTICLE_CHARS
        if unit.unit != "条" or not too_long or len(cuts) < 2:
            return [unit]
        parts = [Unit(unit.label, unit.unit, unit.heading, unit.blocks[: cuts[0]])] if cuts[0] else []
        for a, b in zip(cuts, [*cuts[1:], len(unit.blocks)], strict=True):
            marker = unit.blocks[a].marker
            assert marker is not None
            parts.append(Unit(f"{unit.label}{marker.label}", "item", unit.heading, unit.blocks[a:b]))
        return parts

    def parent_label(self) -> str | None:
        for level in sorted(self.context, reverse=True):
            if level >= SECTION:
                marker = marker_of(self.context[level])
                return marker.label if marker else None
        return None

    def chunk(
        self, blocks: list[Block], label: str | None, prefix: str | None, heading: str | None
    ) -> list[Unit]:
        """Section- or paragraph-sized units for text outside the leaves.

        `label` names the span's own first unit, `prefix` qualifies the labels of its children.
        """
        while (
            blocks
            and blocks[-1].heading_only
            and (blocks[-1].marker is None or blocks[-1].marker.level <= ITEM)
        ):
            blocks = blocks[:-1]  # a heading that only announces the next unit
        if not any(not b.heading_only for b in blocks):
            return []
        first = blocks[0].marker
        if label is None and first is not None and first.level != ARTICLE:
            label = first.label
            prefix = first.short or first.label
        name = label or self.unlabelled(heading)
        kind = UNIT_NAMES[first.level] if first is not None and label else "paragraph"
        own_level = first.level if first is not None and label else len(MARKERS)
        siblings = any(
            b.marker is not None and b.marker.level <= min(own_level, ITEM) and b.marker.level != ARTICLE
            for b in blocks[1:]
        )
        if (sum(len(b.text) for b in blocks) <= MAX_CHUNK_CHARS and not siblings) or len(blocks) == 1:
            return [Unit(name, kind, heading, blocks)]
        levels = [b.marker.level for b in blocks[1:] if b.marker is not None and b.marker.level != ARTICLE]
        if not levels:
            return self.paragraphs(blocks, name, kind, heading)
        top = min(levels)
        cuts = [i for i, b in enumerate(blocks) if i > 0 and b.marker is not None and b.marker.level == top]
        markers = [blocks[i].marker for i in cuts]
        clash = bool(prefix) and any(
            m is not None and m.level != CHAPTER and self.counts[(m.level, m.label)] > 1 for m in markers
        )
        out = self.chunk(blocks[: cuts[0]], label, prefix, heading) if cuts[0] > 0 else []
        for a, b in zip(cuts, [*cuts[1:], len(blocks)], strict=True):
            marker = blocks[a].marker
            assert marker is not None
            sub_heading = heading
            if blocks[a].heading_only:
                sub_heading = " / ".join(x for x in (heading, collapse(blocks[a].text)) if x)
            if marker.level == CHAPTER:
                sub_heading = collapse(blocks[a].text)
                out += self.chunk(blocks[a:b], marker.label, marker.short, sub_heading)
                continue
            sub_label = prefixed(prefix, marker.label) if clash else marker.label
            out += self.chunk(blocks[a:b], sub_label, sub_label, sub_heading)
        return out

    def unlabelled(self, heading: str | None) -> str:
        """Text before any numbering: 引言, or 正文 in a document without numbering."""
        if heading is not None:
            return heading.split(" / ")[-1]
        return "引言" if any(level != CHAPTER for level, _ in self.counts) else "正文"

    @staticmethod
    def paragraphs(blocks: list[Block], label: str, kind: str, heading: str | None) -> list[Unit]:
        groups: list[list[Block]] = [[]]
        for block in blocks:
            size = sum(len(b.text) for b in groups[-1])
            if groups[-1] and size + len(block.text) > MAX_CHUNK_CHARS:
                groups.append([])
            groups[-1].append(block)
        return [
            Unit(label if n == 0 else f"{label}（续{n}）", kind if n == 0 else "paragraph", heading, g)
            for n, g in enumerate(groups)
        ]


def articles_for(
    doc_id: str, lines: list[str], start: int, end: int, units: str | None
) -> list[dict[str, Any]]:
    blocks = build_blocks(lines, start, end)
    segmenter = Segmenter(blocks, choose_leaf_level(blocks, units))
    out = []
    for position, unit in enumerate(segmenter.units(), start=1):
        out.append(
            {
                "id": f"{doc_id}#{position}",
                "document_id": doc_id,
                "position": position,
                "article": unit.label,
                "unit": unit.unit,
                "heading": unit.heading,
                "text": "\n".join(b.text for b in unit.blocks),
                "line_start": unit.blocks[0].line_start,
                "line_end": unit.blocks[-1].line_end,
            }
        )
    return out


# ---------------------------------------------------------------- assembling


def load_meta() -> list[dict[str, Any]]:
    raw = yaml.safe_load(META_PATH.read_text(encoding="utf-8"))
    entries = raw["documents"]
    ids = Counter(e["id"] for e in entries)
    if dup := [i for i, n in ids.items() if n > 1]:
        raise ValueError(f"duplicate ids in document_meta.yaml: {dup}")
    for e in entries:
        if extra := set(e) - META_FIELDS:
            raise ValueError(f"{e['id']}: unknown keys {sorted(extra)}")
        if e.get("units") is not None and e["units"] not in UNITS_OVERRIDE:
            raise ValueError(f"{e['id']}: units must be one of {sorted(UNITS_OVERRIDE)}")
    return entries


def region_names() -> dict[str, str]:
    return {r["id"]: r["name"] for r in yaml.safe_load(REGIONS_PATH.read_text(encoding="utf-8"))}


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value)).isoformat()


def make_document(
    meta: dict[str, Any],
    lines: list[str],
    *,
    title: str,
    seed: str,
    part: str | None,
    number: int | None,
    in_toc: bool,
    start: int,
    end: int,
) -> dict[str, Any]:
    doc_id = meta["id"]
    body = "\n".join(lines[start : end + 1])
    date_line = next((line for line in lines[start : end + 1] if PUBLISHED_LINE.match(line.strip())), None)
    stated = parse_cn_date(date_line) if date_line else None
    curated = iso(meta.get("published"))
    if stated and curated and stated.isoformat() != curated:
        raise ValueError(f"{doc_id}: published {curated} disagrees with its date line {date_line!r}")
    published = curated or (stated.isoformat() if stated else None)
    quote = meta.get("validity_quote")
    if quote is not None and squash(quote) not in squash(body):
        raise ValueError(f"{doc_id}: validity_quote is not verbatim in lines {start}-{end}")
    effective_from = iso(meta.get("effective_from")) or published
    effective_to = iso(meta.get("effective_to"))
    if effective_from and effective_to and effective_to < effective_from:
        raise ValueError(f"{doc_id}: effective_to before effective_from")
    region_id = meta.get("region_id")
    names = region_names()
    if region_id is not None and region_id not in names:
        raise ValueError(f"{doc_id}: region_id {region_id!r} is not in regions.yaml")
    values = {
        "id": doc_id,
        "title": meta.get("title") or title,
        "seed": seed,
        "part": part,
        "toc_number": number,
        "in_toc": in_toc,
        "region": names[region_id] if region_id else NATIONAL,
        "region_id": region_id,
        "issuer": meta.get("issuer"),
        "published": published,
        "effective_from": effective_from,
        "effective_to": effective_to,
        "validity_quote": quote,
        "has_amounts": bool(meta.get("has_amounts", False)),
        "note": meta.get("note"),
        "same_text_as": meta.get("same_text_as"),
        "draft": bool(meta.get("draft", False)),
        "line_start": start,
        "line_end": end,
    }
    return {k: values[k] for k in DOCUMENT_FIELDS}


def build() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Parse every seed: (documents, articles), in corpus order."""
    meta = load_meta()
    documents: list[dict[str, Any]] = []
    articles: list[dict[str, Any]] = []

    lines = read_lines(MAIN_SEED)
    located, part_lines = locate_main_documents(lines, meta)
    attach_meta(located, lines, meta)
    boundaries = sorted({d.line for d in located} | set(part_lines) | {len(lines)})
    for doc in located:
        assert doc.meta is not None
        nxt = next(b for b in boundaries if b > doc.line)
        start, end = trim(lines, doc.line, nxt - 1)
        documents.append(
            make_document(
                doc.meta,
                lines,
                title=doc.title,
                seed=MAIN_SEED,
                part=doc.part,
                number=doc.number,
                in_toc=doc.in_toc,
                start=start,
                end=end,
            )
        )
        articles += articles_for(doc.meta["id"], lines, start + 1, end, doc.meta.get("units"))

    for entry in meta:
        if entry["seed"] == MAIN_SEED:
            continue
        lines = read_lines(entry["seed"])
        start, end = trim(lines, 1, len(lines) - 1)
        documents.append(
            make_document(
                entry,
                lines,
                title=entry["title"],
                seed=entry["seed"],
                part=None,
                number=None,
                in_toc=False,
                start=start,
                end=end,
            )
        )
        articles += articles_for(entry["id"], lines, start, end, entry.get("units"))
    ids = {d["id"] for d in documents}
    for record in documents:
        twin = record["same_text_as"]
        if twin is not None and (twin not in ids or twin == record["id"]):
            raise ValueError(f"{record['id']}: same_text_as {twin!r} is not another document")
    return documents, articles


def render(documents: list[dict[str, Any]], articles: list[dict[str, Any]]) -> dict[Path, str]:
    return {
        DOCUMENTS_PATH: json.dumps(documents, ensure_ascii=False, indent=2) + "\n",
        ARTICLES_PATH: "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.parse_corpus", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed output is stale")
    args = parser.parse_args(argv)
    documents, articles = build()
    outputs = render(documents, articles)
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"stale: {path.relative_to(PACKAGE_DIR.parent)} (run python -m knowledge.parse_corpus)")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(documents)} documents, {len(articles)} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
