"""A document's blocks cut into articles, the retrieval and citation unit.

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

from collections import Counter
from dataclasses import dataclass, field

from knowledge.corpus import Article
from knowledge.corpus_build.blocks import (
    ARTICLE,
    CHAPTER,
    ITEM,
    LEAD_NOISE,
    MARKERS,
    POINT,
    SECTION,
    SUBPOINT,
    Block,
    Marker,
    build_blocks,
    marker_of,
)
from knowledge.corpus_build.policy_text import collapse

MAX_CHUNK_CHARS = 800
MAX_ARTICLE_CHARS = MAX_CHUNK_CHARS
UNIT_NAMES = {
    CHAPTER: "section",
    ARTICLE: "条",
    SECTION: "section",
    ITEM: "item",
    POINT: "point",
    SUBPOINT: "point",
}
UNITS_OVERRIDE = {"条": ARTICLE, "chapter": CHAPTER, "item": ITEM, "point": POINT, "chunks": None}


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


def articles_for(doc_id: str, lines: list[str], start: int, end: int, units: str | None) -> list[Article]:
    """The articles of lines `start`..`end`; `units` overrides the leaf unit (UNITS_OVERRIDE)."""
    blocks = build_blocks(lines, start, end)
    segmenter = Segmenter(blocks, choose_leaf_level(blocks, units))
    return [
        Article(
            id=f"{doc_id}#{position}",
            document_id=doc_id,
            position=position,
            article=unit.label,
            unit=unit.unit,
            heading=unit.heading,
            text="\n".join(b.text for b in unit.blocks),
            line_start=unit.blocks[0].line_start,
            line_end=unit.blocks[-1].line_end,
        )
        for position, unit in enumerate(segmenter.units(), start=1)
    ]
