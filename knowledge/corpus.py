"""The policy corpus as data: documents, their articles, and whether a document is in force.

Reads the committed output of `python -m knowledge.corpus_build` (knowledge/data/documents.json
and articles.jsonl), which writes it through `document_row` and `article_row`. Stdlib only (region lookups go through knowledge.regions, which reads
regions.yaml), so the calculators and the CLI can import it cheaply.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from foundation.errors import UserInputError
from knowledge.ingested import ingested_documents, ingested_text
from knowledge.regions import resolve_region
from knowledge.user_data import follows_user_data

INGESTED_SEED_PREFIX = "ingested:"  # Document.seed of a document the user ingested: "ingested:<file name>"
PolicyStatus = Literal["in_force", "expired", "not_yet_in_force"]


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    seed: str
    part: str | None  # 一 / 二 in the compilation (seed 001), else None
    toc_number: int | None  # the number printed before the heading
    in_toc: bool  # listed in the compilation's table of contents
    region: str  # 国家, or the province / city / district name (天津市, 广州市黄埔区)
    region_id: str | None  # city id of knowledge/data/regions.yaml; None = national
    issuer: str | None
    published: dt.date | None
    effective_from: dt.date | None
    effective_to: dt.date | None  # last day in force (inclusive); None = no end stated
    validity_quote: str | None  # the verbatim sentence stating the validity
    has_amounts: bool  # sets money amounts (the nine subsidy documents)
    note: str | None
    # another document with the same text (the compilation reprints seed 004): it is listed, but
    # only the other copy is searched, so one clause never fills two of the top hits
    same_text_as: str | None
    draft: bool  # a draft for comment (征求意见稿): never in force
    line_start: int  # 1-based lines of the seed
    line_end: int


@dataclass(frozen=True)
class Article:
    id: str  # f"{document_id}#{position}"
    document_id: str
    position: int  # 1-based order within the document
    article: str  # the text's own label: 第七条, 10., （一）, 第二章 …, 引言
    unit: str  # 条 / point / item / section / paragraph
    heading: str | None  # enclosing chapter / section headings, " / "-separated
    text: str  # verbatim (page-break splits joined)
    line_start: int
    line_end: int


def _data(name: str) -> str:
    return resources.files("knowledge").joinpath(f"data/{name}").read_text(encoding="utf-8")


_DATE_FIELDS = ("published", "effective_from", "effective_to")  # ISO text in a document's row


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def document_from_row(row: dict[str, Any]) -> Document:
    return Document(**{**row, **{name: _date(row[name]) for name in _DATE_FIELDS}})


def document_row(doc: Document) -> dict[str, Any]:
    """The JSON record of a document (documents.json, an ingested document's file), in field order."""
    row = asdict(doc)
    for name in _DATE_FIELDS:
        row[name] = row[name].isoformat() if row[name] else None
    return row


def article_row(article: Article) -> dict[str, Any]:
    """The JSON record of an article (a line of articles.jsonl), in field order."""
    return asdict(article)


@cache
def _shipped_documents() -> tuple[Document, ...]:
    return tuple(document_from_row(row) for row in json.loads(_data("documents.json")))


@cache
def _shipped_articles() -> tuple[Article, ...]:
    return tuple(Article(**json.loads(line)) for line in _data("articles.jsonl").splitlines() if line)


@follows_user_data
def load_documents() -> tuple[Document, ...]:
    """Every document, in corpus order (the compilation's body order, then the other seeds), then
    the ones the user ingested (`subsidy ingest`, knowledge/ingested.py)."""

    shipped = _shipped_documents()
    ids = {doc.id for doc in shipped}
    return shipped + tuple(document_from_row(row) for row, _ in ingested_documents() if row["id"] not in ids)


@follows_user_data
def load_articles() -> tuple[Article, ...]:
    """Every article, grouped by document in corpus order, in text order within a document."""

    ids = {doc.id for doc in _shipped_documents()}
    extra = tuple(
        Article(**a) for row, articles in ingested_documents() if row["id"] not in ids for a in articles
    )
    return _shipped_articles() + extra


def document_text(doc_id: str) -> str:
    """The text a document's quotes are checked against: its lines of the seed, or the ingested text."""
    doc = document(doc_id)
    if doc.seed.startswith(INGESTED_SEED_PREFIX):
        return ingested_text(doc_id)
    seed = resources.files("knowledge").joinpath(f"seeds/{doc.seed}").read_text("utf-8")
    return "\n".join(seed.splitlines()[doc.line_start - 1 : doc.line_end])


@follows_user_data
def searchable_articles() -> tuple[Article, ...]:
    """The retrieval units: every article but those of a reprint (`same_text_as`)."""
    reprints = {doc.id for doc in load_documents() if doc.same_text_as}
    return tuple(a for a in load_articles() if a.document_id not in reprints)


@follows_user_data
def _documents_by_id() -> dict[str, Document]:
    return {doc.id: doc for doc in load_documents()}


@follows_user_data
def _articles_by_document() -> dict[str, tuple[Article, ...]]:
    table: dict[str, list[Article]] = {}
    for article in load_articles():
        table.setdefault(article.document_id, []).append(article)
    return {k: tuple(v) for k, v in table.items()}


def document(doc_id: str) -> Document:
    try:
        return _documents_by_id()[doc_id]
    except KeyError:
        raise UserInputError(
            "document", f"unknown document {doc_id!r} (`subsidy policies` lists the ids)"
        ) from None


def articles_of(doc_id: str) -> tuple[Article, ...]:
    document(doc_id)  # unknown ids are a user error, not an empty result
    return _articles_by_document().get(doc_id, ())


def documents_for_region(region_id: str) -> tuple[Document, ...]:
    """The documents of one region (any spelling resolve_region accepts); national ones are not included."""

    region = resolve_region(region_id)
    return tuple(doc for doc in load_documents() if doc.region_id == region.id)


def policy_status_on(doc: Document, on: dt.date) -> PolicyStatus:
    """Both ends inclusive; no start stated → in force; no end stated → never expires."""
    if doc.draft:
        return "not_yet_in_force"
    if doc.effective_from is not None and on < doc.effective_from:
        return "not_yet_in_force"
    if doc.effective_to is not None and on > doc.effective_to:
        return "expired"
    return "in_force"


def policy_record(doc: Document, on: dt.date) -> dict[str, Any]:
    """The contract's *Policy* (plus region_id, issuer, validity_quote) as JSON-ready values."""

    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day else None

    return {
        "id": doc.id,
        "title": doc.title,
        "region": doc.region,
        "region_id": doc.region_id,
        "issuer": doc.issuer,
        "published": iso(doc.published),
        "effective_from": iso(doc.effective_from),
        "effective_to": iso(doc.effective_to),
        "status": policy_status_on(doc, on),
        "has_amounts": doc.has_amounts,
        "validity_quote": doc.validity_quote,
    }
