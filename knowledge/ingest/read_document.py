"""A new policy document's title, issuer, dates, validity and articles, read with the corpus parser.

The articles come from `knowledge.corpus_build.articles.articles_for`, the same segmenter the
shipped corpus goes through (第X条, （一） items, `1.` points, chunks), so an ingested document is
cited, searched and quoted exactly like a shipped one: every article text is a verbatim span.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from foundation.errors import UserInputError
from foundation.text import squash
from knowledge.corpus import Article
from knowledge.corpus_build.articles import articles_for
from knowledge.corpus_build.policy_text import FULL_DATE, PUBLISHED_LINE, collapse, parse_cn_date
from knowledge.ingest.validity import find_validity

TITLE_WORDS = re.compile(r"(办法|细则|规定|意见|通知|方案|政策|措施|规则|决定)(（[^）]*）|\([^)]*\))?$")
DOCUMENT_NUMBER = re.compile(
    r"^[\u4e00-\u9fff]{1,12}[〔\[（(【]\d{4}[〕\]）)】]\s*\d+\s*号$"
)  # 苏市监规〔2023〕1号
ISSUER = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,40}(人民政府|人民政府办公室|人民政府办公厅|市场监督管理局|市场监管局|财政局|"
    r"委员会|管理委员会|办公室|厅|局)$"
)
INNER_TITLE = re.compile(r"《(?P<title>[^》]+)》")
DATE_ONLY = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|千元|元|万)")
HEAD_LINES = 8  # the title, a document number and an issuer sit in the first lines
TAIL_LINES = 6  # the signature (落款) and its date in the last ones
LABELLED_UNITS = ("条", "item", "point", "section")


class NoArticlesError(UserInputError):
    """The text has no numbered structure the parser recognises."""


@dataclass
class ReadDocument:
    title: str
    issuer: str | None
    published: dt.date | None
    effective_from: dt.date | None
    effective_to: dt.date | None
    validity_quote: str | None
    draft: bool
    has_amounts: bool
    lines: list[str]  # 1-based: lines[0] is ""
    body_start: int  # first line after the title block
    articles: list[Article] = field(default_factory=list)


def read_document(text: str, doc_id: str, *, source_name: str, title: str | None = None) -> ReadDocument:
    lines = [""] + text.split("\n")
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    head = [(i, lines[i].strip()) for i in range(1, min(len(lines), HEAD_LINES + 1)) if lines[i].strip()]
    found_title, title_end = _title(head)
    issuer = _issuer(head, lines, found_title)
    published = _published(lines, head)
    chosen = (title or found_title or source_name).strip()
    validity = find_validity(text, published)
    articles = articles_for(doc_id, lines, title_end + 1, _body_end(lines), None)
    if not any(a.unit in LABELLED_UNITS for a in articles):
        raise NoArticlesError(
            source_name, "no articles found (no 第X条, no numbered points 1. 2. …, no items （一）（二）…)"
        )
    if validity.quote is not None:
        assert squash(validity.quote) in squash(text)
    return ReadDocument(
        title=chosen,
        issuer=issuer,
        published=published,
        effective_from=validity.effective_from,
        effective_to=validity.effective_to,
        validity_quote=validity.quote,
        draft="征求意见稿" in chosen,
        has_amounts=bool(AMOUNT.search(text)),
        lines=lines,
        body_start=title_end + 1,
        articles=articles,
    )


def _body_end(lines: list[str]) -> int:
    """The last line before the signature block (issuer names and the date under them)."""
    end = len(lines) - 1
    while end > 1 and (not lines[end].strip() or DATE_ONLY.match(lines[end]) or _is_signature(lines[end])):
        end -= 1
    return end


def _is_signature(line: str) -> bool:
    return all(ISSUER.match(part) for part in line.split()) if line.strip() else False


def _title(head: list[tuple[int, str]]) -> tuple[str | None, int]:
    """The first line (or run of short lines) ending in a document word (办法, 细则, 通知 …)."""
    run: list[tuple[int, str]] = []
    for i, line in head:
        if DOCUMENT_NUMBER.match(line) or DATE_ONLY.match(line) or PUBLISHED_LINE.match(line):
            run = []
            continue
        if line.startswith("第") and re.match(r"^第[一二三四五六七八九十百]+[条章]", line):
            break
        run.append((i, line))
        joined = "".join(part for _, part in run)
        if TITLE_WORDS.search(joined):
            inner = INNER_TITLE.search(joined)
            title = inner["title"] if inner and "印发" in joined else joined
            return collapse(title), i
        if len(run) > 3:
            run = run[1:]
    return None, 0


def _issuer(head: list[tuple[int, str]], lines: list[str], title: str | None) -> str | None:
    tail = [lines[i].strip() for i in range(max(1, len(lines) - TAIL_LINES), len(lines))]
    for line in [line for _, line in head] + tail:
        if _is_signature(line):
            return line
    if title is None:
        return None
    for _, line in head:  # 苏州市市场监督管理局关于印发《…》的通知
        if "关于" in line and ISSUER.match(line.split("关于", 1)[0]):
            return line.split("关于", 1)[0]
    return None


def _published(lines: list[str], head: list[tuple[int, str]]) -> dt.date | None:
    """（发布时间：…）, else the date under the signature, else a date line in the head."""
    for line in lines:
        if PUBLISHED_LINE.match(line.strip()):
            return parse_cn_date(line)
    for line in reversed(lines[-TAIL_LINES:]):
        if DATE_ONLY.match(line):
            return parse_cn_date(line)
    for _, line in head:
        if DATE_ONLY.match(line) or (FULL_DATE.search(line) and len(line) < 30 and "施行" not in line):
            return parse_cn_date(line)
    return None
