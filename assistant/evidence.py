"""Evidence beside the Estimate: validity clauses, how-to-apply tables, retrieved articles.

Everything returned is a verbatim span of the policy text (a Citation), so answers built
from it can quote it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from calculators.models import Citation
from calculators.rulebook import load_city_rules
from foundation.text import squash
from knowledge import corpus
from knowledge.hit import Search
from knowledge.simplified import to_simplified
from knowledge.user_data import follows_user_data

log = logging.getLogger("assistant.evidence")
EXCERPT_CHARS = 150


@dataclass(frozen=True)
class Validity:
    title: str
    status: str
    effective_from: str | None
    effective_to: str | None
    citation: Citation | None


@dataclass
class CityApply:
    window: str | None = None
    deadline: str | None = None
    office: str | None = None
    materials: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)


def _title(city_id: str | None, doc_id: str) -> str:
    rules = load_city_rules(city_id) if city_id else None
    if rules is not None and doc_id in rules.documents:
        return rules.documents[doc_id]
    return corpus.document(doc_id).title


def citation(city_id: str | None, doc_id: str, article: str, quote: str) -> Citation:
    return Citation(document=_title(city_id, doc_id), article=article, quote=quote, document_id=doc_id)


@follows_user_data
def _validity_article(doc_id: str) -> str | None:
    doc = corpus.document(doc_id)
    needle = squash(doc.validity_quote)[:15]
    if not needle:
        return None
    for article in corpus.articles_of(doc_id):
        if needle in squash(article.text):
            return article.article
    return None


def validity(city_id: str | None, doc_id: str, on: dt.date) -> Validity:
    doc = corpus.document(doc_id)
    article = _validity_article(doc_id)
    cite = citation(city_id, doc_id, article, doc.validity_quote) if doc.validity_quote and article else None
    return Validity(
        title=_title(city_id, doc_id),
        status=corpus.policy_status_on(doc, on),
        effective_from=doc.effective_from.isoformat() if doc.effective_from else None,
        effective_to=doc.effective_to.isoformat() if doc.effective_to else None,
        citation=cite,
    )


def documents_named_in(message: str) -> list[str]:
    """The documents a message names by title (《企业标准化促进办法》, 总局83号令企业标准化促进办法):
    a title's own name, without the issuing region, written in the message; longest names first."""
    said = squash(to_simplified(message))
    found: dict[str, int] = {}
    for doc in corpus.load_documents():
        if doc.draft or doc.same_text_as:
            continue
        name = squash(re.sub(r"^.*?(印发|发布|公布)", "", doc.title).strip("《》“”"))
        name = re.sub(r"^(.{0,6}?[省市区])(?=.{4})", "", name) if doc.region_id else name
        if len(name) >= 6 and name in said:
            found[doc.id] = len(name)
    return sorted(found, key=lambda d: -found[d])[:3]


def city_documents(city_id: str) -> list[str]:
    """The ids of the documents a region's rule file reads (its money documents first)."""
    rules = load_city_rules(city_id)
    if rules is not None and rules.documents:
        return list(rules.documents)
    return [d.id for d in corpus.documents_for_region(city_id)]


def city_apply(city_id: str) -> CityApply | None:
    rules = load_city_rules(city_id)
    if rules is None or not rules.apply:
        return None
    table = rules.apply.get("default") or next(iter(rules.apply.values()))
    return CityApply(
        window=table.window,
        deadline=table.deadline,
        office=table.office,
        materials=list(table.materials),
        citations=[citation(city_id, q.document, q.article, q.quote) for q in table.citations],
    )


def city_conditions(city_id: str) -> list[Citation]:
    """Regions without amounts: the qualification conditions and non-cash incentives their texts set."""
    rules = load_city_rules(city_id)
    if rules is None:
        return []
    return [citation(city_id, c.document, c.article, c.quote) for c in rules.conditions]


def paid_values(city_id: str, type_name: str, field_name: str) -> set[Any]:
    """The values of one field that some rule of the city pays for."""
    rules = load_city_rules(city_id)
    values: set[Any] = set()
    for rule in rules.rules if rules else ():
        if type_name in rule.when.get("type", ()):
            values.update(rule.when.get(field_name, ()))
    return values


def same_type_rules(city_id: str, type_name: str, limit: int = 4) -> list[Citation]:
    """What a city pays for the same kind of achievement (for a not-covered answer)."""
    rules = load_city_rules(city_id)
    seen: dict[tuple[str, str], Citation] = {}
    for rule in rules.rules if rules else ():
        if type_name in rule.when.get("type", ()):
            key = (rule.article, rule.quote)
            seen.setdefault(key, citation(city_id, rule.document, rule.article, rule.quote))
    return list(seen.values())[:limit]


def paid_alternatives(city_id: str, type_name: str) -> list[tuple[str, dict[str, Any]]]:
    """Each (article, fields) combination the city pays for this type: 第七条 + 主导制定国家标准 …"""

    rules = load_city_rules(city_id)
    out: list[tuple[str, dict[str, Any]]] = []
    for rule in rules.rules if rules else ():
        if type_name not in rule.when.get("type", ()):
            continue
        names = [k for k in rule.when if k != "type"]
        for values in itertools.product(*(rule.when[k] for k in names)):
            combo = (rule.article, dict(zip(names, values, strict=True)))
            if combo not in out:
                out.append(combo)
    return out


def excerpt(text: str, keywords: tuple[str, ...] = ()) -> str:
    """A verbatim window of `text`, around the first keyword it contains."""
    text = text.strip()
    if len(text) <= EXCERPT_CHARS:
        return text
    start = 0
    for word in keywords:
        at = text.find(word)
        if at >= 0:
            start = max(0, at - 30)
            break
    window = text[start : start + EXCERPT_CHARS]
    return window


def retrieve(
    search: Search, query: str, city_id: str | None, k: int = 4, keywords: tuple[str, ...] = ()
) -> list[Citation]:
    """Top articles of the search, as citations; empty when retrieval fails."""
    try:
        hits = search(query[:500], k=k, city=city_id)
    except Exception:  # retrieval is evidence, not a requirement: the answer says it found nothing
        log.exception("retrieval failed")
        return []
    out = []
    for hit in hits:
        text = getattr(hit, "text", "") or ""
        if not text:
            continue
        out.append(
            Citation(
                document=getattr(hit, "document", "") or "",
                article=getattr(hit, "article", "") or "",
                quote=excerpt(text, keywords),
                document_id=getattr(hit, "document_id", None),
            )
        )
    return out
