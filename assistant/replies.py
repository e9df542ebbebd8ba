"""The answers that are not one city's amount: compare, city menu, eligibility, definitions, out of scope.

Each function computes with the library (calculators.compare, calculators.menu, the eligibility
clauses, retrieval) and renders one template of prompts/; numbers come only from the calculators
and quotes only from the policy texts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from assistant import answers, evidence
from assistant.definitions import define, related_sentences, word_pairs
from assistant.eligibility import assess
from assistant.models import AchievementFacts, CompareRow, Reply
from calculators.achievement_types import achievement_types
from calculators.compare import compare
from calculators.menu import city_menu
from calculators.models import Citation, distinct_citations
from knowledge import corpus
from knowledge.hit import Search
from knowledge.regions import money_regions

MAX_MENU_LINES = 40


def _requests(facts: list[AchievementFacts]) -> list[dict[str, Any]]:
    return [{"type": a.type, **a.fields, "count": a.count or 1} for a in facts]


def compare_reply(
    facts: list[AchievementFacts], cities: list[str] | None, as_of: dt.date, notices: list[str], english: bool
) -> Reply:
    table = compare(_requests(facts), cities, as_of.isoformat())
    rows = table.rows
    citations = [c for row in rows if row.covered for c in row.citations]
    text = answers.render(
        "chat_compare.j2",
        rows=rows,
        subject="、".join(
            answers.describe(a) + (f"（{a.count} 项）" if (a.count or 1) > 1 else "") for a in facts
        ),
        as_of=table.as_of,
        named=bool(cities),
        notices=notices,
        english=english,
    )
    return Reply(
        answer=text,
        citations=distinct_citations(citations),
        comparison=[CompareRow.of(r) for r in rows],
    )


def menu_reply(
    city: str,
    as_of: dt.date,
    notices: list[str],
    english: bool,
    types: list[str] | None = None,
    besides: bool = False,
    question: str = "",
    *,
    search: Search,
) -> Reply:
    """What a region pays; with `types`, only those kinds of achievement (对标委会、创新基地有什么
    奖励), or with `besides` everything but them (除了制修订标准，还有哪些) — unless nothing is left."""
    menu = city_menu(city, as_of)
    elsewhere: list[Citation] = []
    if types:
        kept = [g for g in menu.groups if (g.type in types) != besides]
        if kept:
            menu.groups = kept
        elif not besides and question:
            # 北京的领跑者有哪些政策倾斜: the money document pays nothing for it; the region's other
            # texts may offer measures instead, quoted as they are
            elsewhere = related_sentences(search, question, city, limit=3)
    if question and menu.conditions:  # 广元怎么帮领跑者卖产品: the measures that speak of it first
        asked = word_pairs(question)
        menu.conditions = sorted(menu.conditions, key=lambda c: -len(asked & word_pairs(c.quote)))
    citations = [g.citation for g in menu.groups] or menu.conditions
    lines = sum(len(g.lines) for g in menu.groups)
    text = answers.render(
        "chat_menu.j2",
        menu=menu,
        notices=notices,
        english=english,
        compact=lines > MAX_MENU_LINES,
        elsewhere=elsewhere,
        unpaid=[achievement_types()[t].label for t in types or []] if elsewhere else [],
    )
    return Reply(answer=text, citations=distinct_citations(elsewhere + citations), menu=menu)


def eligibility_reply(
    city: str | None,
    situations: list[str],
    facts: list[AchievementFacts],
    achieved: str | None,
    as_of: dt.date,
    notices: list[str],
    english: bool,
) -> Reply:
    result = assess(city, situations, achieved, as_of)
    text = answers.render("chat_eligibility.j2", result=result, notices=notices, english=english)
    return Reply(answer=text, citations=distinct_citations(result.citations), verdict=result.verdict)


def definition_reply(
    message: str,
    city: str | None,
    notices: list[str],
    english: bool,
    quotes: list[Citation] | None = None,
    *,
    search: Search,
) -> Reply:
    quotes = define(search, message, city) if quotes is None else quotes
    text = answers.render("chat_definition.j2", quotes=quotes, notices=notices, english=english)
    return Reply(answer=text, citations=quotes)


def status_reply(
    city: str | None, as_of: dt.date, notices: list[str], english: bool, message: str = ""
) -> Reply:
    """Is the policy still in force: one line per document the message names by title, else per
    document of the city (or of every money city)."""

    named = evidence.documents_named_in(message) if message else []
    cities = [city] if city else [r.id for r in money_regions()]
    pairs: list[tuple[str | None, str]] = [(corpus.document(d).region_id, d) for d in named]
    pairs = pairs or [(c, d) for c in cities for d in evidence.city_documents(c)]
    lines, citations = [], []
    for c, doc_id in pairs:
        v = evidence.validity(c, doc_id, as_of)
        lines.append(v)
        if v.citation:
            citations.append(v.citation)
    text = answers.render(
        "chat_status.j2",
        docs=lines,
        as_of=as_of.isoformat(),
        notices=notices,
        english=english,
        all_cities=not city and not named,
    )
    return Reply(answer=text, citations=distinct_citations(citations))
