"""Every document of the corpus as a `corpus.Document`, with its articles, in corpus order: the
compilation's documents in body order, then the other seeds, one document each.

A document's record joins what its text states (its lines, its （发布时间：…） line) with its entry
in document_meta.yaml, and checks them against each other: every validity quote is verbatim in
its document, and a curated publication date agrees with the date line when there is one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from foundation.text import squash
from knowledge.corpus import Article, Document
from knowledge.corpus_build.articles import articles_for
from knowledge.corpus_build.locate import attach_meta, locate_main_documents, trim
from knowledge.corpus_build.policy_text import PUBLISHED_LINE, parse_cn_date
from knowledge.corpus_build.sources import DATA_DIR, MAIN_SEED, load_meta, read_lines

REGIONS_PATH = DATA_DIR / "regions.yaml"
NATIONAL = "国家"  # the region of a document without region_id


def region_names() -> dict[str, str]:
    """The shipped regions' names by id (regions.yaml alone: a user's regions never enter the build)."""
    return {r["id"]: r["name"] for r in yaml.safe_load(REGIONS_PATH.read_text(encoding="utf-8"))}


def as_date(value: Any) -> dt.date | None:
    """A date of document_meta.yaml: YAML reads 2020-01-01 as a date, a quoted one as text."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


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
) -> Document:
    doc_id = meta["id"]
    body = "\n".join(lines[start : end + 1])
    date_line = next((line for line in lines[start : end + 1] if PUBLISHED_LINE.match(line.strip())), None)
    stated = parse_cn_date(date_line) if date_line else None
    curated = as_date(meta.get("published"))
    if stated and curated and stated != curated:
        raise ValueError(f"{doc_id}: published {curated} disagrees with its date line {date_line!r}")
    published = curated or stated
    quote = meta.get("validity_quote")
    if quote is not None and squash(quote) not in squash(body):
        raise ValueError(f"{doc_id}: validity_quote is not verbatim in lines {start}-{end}")
    effective_from = as_date(meta.get("effective_from")) or published
    effective_to = as_date(meta.get("effective_to"))
    if effective_from and effective_to and effective_to < effective_from:
        raise ValueError(f"{doc_id}: effective_to before effective_from")
    region_id = meta.get("region_id")
    names = region_names()
    if region_id is not None and region_id not in names:
        raise ValueError(f"{doc_id}: region_id {region_id!r} is not in regions.yaml")
    return Document(
        id=doc_id,
        title=meta.get("title") or title,
        seed=seed,
        part=part,
        toc_number=number,
        in_toc=in_toc,
        region=names[region_id] if region_id else NATIONAL,
        region_id=region_id,
        issuer=meta.get("issuer"),
        published=published,
        effective_from=effective_from,
        effective_to=effective_to,
        validity_quote=quote,
        has_amounts=bool(meta.get("has_amounts", False)),
        note=meta.get("note"),
        same_text_as=meta.get("same_text_as"),
        draft=bool(meta.get("draft", False)),
        line_start=start,
        line_end=end,
    )


def build() -> tuple[list[Document], list[Article]]:
    """Parse every seed: (documents, articles), in corpus order."""
    meta = load_meta()
    documents: list[Document] = []
    articles: list[Article] = []

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
    ids = {d.id for d in documents}
    for record in documents:
        twin = record.same_text_as
        if twin is not None and (twin not in ids or twin == record.id):
            raise ValueError(f"{record.id}: same_text_as {twin!r} is not another document")
    return documents, articles
