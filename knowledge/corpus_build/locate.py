"""Where each document of the compilation (seed 001) stands.

- Every entry of the table of contents is one document. Its heading is found in the body by
  searching forward for a line with the same number whose title matches the TOC title
  (knowledge/corpus_build/toc.py).
- A numbered heading in the body that the TOC skipped (8, 12, 13, 18) is a document too,
  with `in_toc: false`. It is recognised by the （发布时间：…） line right under it, which no
  numbered point inside a document has.
- One heading has neither a number nor a date line (优质中小企业梯度培育管理暂行办法, in the
  slot of the TOC's missing 14); document_meta.yaml declares it with `unnumbered: true`.
- A document runs from its heading to the line before the next document heading (or part
  heading). The other seeds are one document each.
`toc_number` is the number printed before the heading (the TOC and the body agree on it for
every TOC entry); the two TOC entries numbered 20 are distinct documents (20a, 20b).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from knowledge.corpus_build.policy_text import PUBLISHED_LINE, collapse, heading_key
from knowledge.corpus_build.sources import MAIN_SEED
from knowledge.corpus_build.toc import parse_toc, titles_match

HEADING = re.compile(r"^(?P<number>\d{1,2})\s*[.．]\s*(?P<title>\S.*)$")


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
            if heading_key(lines[i]) == heading_key(f"{part.part}、{part.title}"):
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
        hits = [i for i in body if heading_key(lines[i]) == heading_key(declared["heading"])]
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
        heading = heading_key(lines[doc.line])
        hits = [e for e in entries if heading.startswith(heading_key(str(e["heading"])))]
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
