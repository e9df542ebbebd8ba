"""The policy documents as the contract's *Policy* records, for the CLI, the API and the web pages."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from foundation.dates import parse_iso_date
from knowledge.corpus import articles_of, document, documents_for_region, load_documents, policy_record
from knowledge.regions import resolve_region


class Policy(BaseModel):
    """CONTRACT.md's Policy, plus region_id, issuer and the sentence that states the validity."""

    id: str
    title: str
    region: str
    published: str | None
    effective_from: str | None
    effective_to: str | None
    status: Literal["in_force", "expired", "not_yet_in_force"]
    has_amounts: bool
    region_id: str | None = None
    issuer: str | None = None
    validity_quote: str | None = None


class PolicyArticle(BaseModel):
    id: str
    article: str
    heading: str | None
    text: str


class PolicyDetail(Policy):
    articles: list[PolicyArticle]


def list_policies(city: str | None = None, as_of: str | None = None) -> list[dict[str, Any]]:
    """Every document (or one city's, national ones excluded) with its status on `as_of` (default today)."""
    day = parse_iso_date(as_of, "as_of")
    documents = load_documents() if not city else documents_for_region(resolve_region(city, "city").id)
    return [policy_record(doc, day) for doc in documents]


def policy_detail(doc_id: str, as_of: str | None = None) -> dict[str, Any]:
    """One document's Policy record with its articles in text order; unknown ids are a user error."""
    day = parse_iso_date(as_of, "as_of")
    doc = document(doc_id)
    articles = [
        {"id": a.id, "article": a.article, "heading": a.heading, "text": a.text} for a in articles_of(doc_id)
    ]
    return {**policy_record(doc, day), "articles": articles}
