"""Which money amounts in the money documents the rule files account for (`subsidy rules --coverage`).

Every amount (万元 / 元 / 万) written in a city's money documents must lie inside the
quote of a rule, cap, adjustment, note, apply citation or an explicit out_of_scope entry; the
clauses the engine cannot state yet are listed with their reason (`inexpressible`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from calculators.rulebook import CityRules, all_city_rules
from foundation.text import squash
from knowledge import corpus

AMOUNT_IN_TEXT = re.compile(r"\d+(?:\.\d+)?(?:万元|千元|元|万)")


@dataclass(frozen=True)
class AmountMention:
    city: str
    document: str
    amount: str
    context: str
    accounted_by: tuple[str, ...]  # rule / cap / out_of_scope ids or reasons; empty = unaccounted


def _document_text(doc_id: str) -> str:
    return squash(corpus.document_text(doc_id))  # a seed's lines, or an ingested document's text


def _spans(city: CityRules, doc_id: str, text: str) -> list[tuple[int, int, str]]:
    """Where each quote of the city file sits in the document's (squashed) text."""
    quoted: list[tuple[str, str]] = [(r.id, r.quote) for r in city.rules if r.document == doc_id]
    quoted += [(c.id, c.quote) for c in city.caps if c.document == doc_id]
    quoted += [(a.id, a.quote) for a in city.adjustments if a.document == doc_id]
    quoted += [(f"inexpressible: {i.reason}", i.quote) for i in city.inexpressible if i.document == doc_id]
    quoted += [("note", n.quote) for n in city.notes if n.document == doc_id]
    quoted += [(f"out_of_scope: {o.reason}", o.quote) for o in city.out_of_scope if o.document == doc_id]
    quoted += [
        (f"apply/{key}", q.quote)
        for key, table in city.apply.items()
        for q in table.citations
        if q.document == doc_id
    ]
    spans = []
    for label, quote in quoted:
        needle = squash(quote)
        start = text.find(needle)
        while start != -1:
            spans.append((start, start + len(needle), label))
            start = text.find(needle, start + 1)
    return spans


@dataclass(frozen=True)
class InexpressibleClause:
    city: str
    document: str
    article: str
    quote: str
    reason: str


def inexpressible_clauses() -> list[InexpressibleClause]:
    """The money clauses the engine cannot state yet, with why (the files' `inexpressible`)."""
    return [
        InexpressibleClause(city.city, i.document, i.article, i.quote, i.reason)
        for city in all_city_rules()
        for i in city.inexpressible
    ]


def amount_coverage() -> list[AmountMention]:
    mentions = []
    for city in all_city_rules():
        if not city.rules:
            continue
        for doc_id in city.documents:
            text = _document_text(doc_id)
            spans = _spans(city, doc_id, text)
            for match in AMOUNT_IN_TEXT.finditer(text):
                inside = tuple(
                    dict.fromkeys(label for s, e, label in spans if s <= match.start() and match.end() <= e)
                )
                context = text[max(0, match.start() - 24) : match.end() + 8]
                mentions.append(AmountMention(city.city, doc_id, match.group(0), context, inside))
    return mentions
