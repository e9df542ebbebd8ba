"""Answers rendered from the Jinja2 templates in prompts/: the Estimate is the only source of amounts."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2

from assistant.models import AchievementFacts
from calculators.achievement_types import achievement_types
from calculators.models import Citation, Estimate, Item, distinct_citations
from foundation import money
from knowledge.regions import all_regions

QUOTE_CHARS = 110
MAX_NOTES = 6  # conditions shown per item; the citations carry the rest
MAX_SOURCES = 6
# a `same_for` key: its facts were left open because the total, not the clause, is the same
SAME_TOTAL = "*total"
_MONEY_IN_QUOTE = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|万|元|%)")


def short_quote(quote: str) -> str:
    """A verbatim span of at most QUOTE_CHARS characters, around the first amount it states."""
    quote = quote.strip()
    if len(quote) <= QUOTE_CHARS:
        return quote
    found = _MONEY_IN_QUOTE.search(quote)
    start = 0 if found is None else max(0, min(found.start() - QUOTE_CHARS // 2, len(quote) - QUOTE_CHARS))
    window = quote[start : start + QUOTE_CHARS]
    return ("…" if start else "") + window + ("…" if start + QUOTE_CHARS < len(quote) else "")


def book(title: str) -> str:
    """《title》, unless the title already carries its own book-title marks."""
    return title if "《" in title else f"《{title}》"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("prompts", "."),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(money.filters())  # 8万元（80,000元）: plain text sets the unit solid
    env.filters["short_quote"] = short_quote
    env.filters["book"] = book
    return env


def render(template: str, **context: Any) -> str:
    text = environment().get_template(template).render(**context)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ---------------------------------------------------------------- describing facts
def display_value(type_name: str, field_name: str, value: Any) -> str:
    """How an answer names one field value (省地方标准, 国家级, 技术委员会（TC）, 中国质量奖): the
    type registry's label, the one table the forms, menus and answers share."""

    spec = achievement_types().get(type_name)
    field = spec.field(field_name) if spec else None
    return field.label(value) if field is not None else str(value)


def describe(facts: AchievementFacts) -> str:
    """The achievement in the user's words: 主导修订行业标准, 国家级企业标准“领跑者”."""

    f = {k: v for k, v in facts.fields.items() if k not in facts.same_for}  # not said: not named
    spec = achievement_types().get(facts.type)
    label = spec.label if spec else facts.type
    if facts.type == "standard":
        level = display_value("standard", "level", f["level"]) if "level" in f else "标准（级别待确认）"
        action = "制（修）订" if "action" in facts.same_for else ""
        if "action" in f:
            action = display_value("standard", "action", f["action"])
        return f"{display_value('standard', 'role', f.get('role', '')) if 'role' in f else ''}{action}{level}"
    if facts.type == "tc_secretariat":
        scope = display_value("tc_secretariat", "scope", f["scope"]) if "scope" in f else ""
        body = display_value("tc_secretariat", "body", f["body"]) if "body" in f else "技术组织"
        return f"承担{scope}{body}秘书处"
    if facts.type in ("standard_leader", "pilot_project"):
        level = display_value(facts.type, "level", f["level"]) if "level" in f else ""
        return f"{level}{label}"
    if facts.type == "innovation_award":
        prefix = {"national": "中国", "provincial": "省级"}.get(f.get("level", ""), "")
        grade = display_value("innovation_award", "grade", f["grade"]) if "grade" in f else ""
        return f"{prefix}标准创新贡献奖{grade}"
    if facts.type == "good_behavior":
        grade = f"（{display_value('good_behavior', 'grade', f['grade'])}）" if "grade" in f else ""
        return f"标准化良好行为企业{grade}"
    if facts.said:
        return f"{label}：{facts.said}"
    named = [display_value(facts.type, k, v) for k, v in f.items() if k not in ("cross_department",)]
    if facts.type == "standard_adopted_abroad" and "role" in f:
        named = [display_value(facts.type, "role", f["role"]) + "单位"]
    return f"{label}：{'、'.join(named)}" if named else label


# ---------------------------------------------------------------- the amount answer
def _steps(item: Item) -> str:
    ops = [s for s in item.trace if s.op in ("factor", "count", "cap", "adjust")]
    if not ops:
        return ""
    return " → ".join(s.detail for s in item.trace if s.op != "status")


def estimate_citations(est: Estimate) -> list[Citation]:
    cited = [c for item in est.items for c in item.citations or ([item.citation] if item.citation else [])]
    return distinct_citations(cited + [cap.citation for cap in est.caps_applied])


def _uncovered_notes(item: Item, alternatives: list[str]) -> list[str]:
    """The engine's notes for an item no clause pays; its listing of paid rule ids is replaced by
    the same cases in words when we have them."""
    notes = list(dict.fromkeys(item.notes))
    if alternatives:
        notes = [n for n in notes if not n.startswith("该市对")]  # the engine's rule-id listing
    return notes[:MAX_NOTES]


def alternatives_in_words(type_name: str, combos: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """第七条：主导制定国际标准、参与制定国际标准 … (no amounts: those are only in the citations)."""
    by_article: dict[str, list[str]] = {}
    for article, fields in combos:
        text = describe(AchievementFacts(type=type_name, fields=fields))
        by_article.setdefault(article, [])
        if text not in by_article[article]:
            by_article[article].append(text)
    return [f"{article}：{'、'.join(texts)}" for article, texts in by_article.items()]


def _same_for_notes(fact: AchievementFacts) -> list[str]:
    """Say which open fact was not asked, and why: the clause pays every value alike, or (marked
    SAME_TOTAL) the values pay differently but the question's total comes out the same."""

    notes = []
    spec = achievement_types().get(fact.type)
    why = "这几种情形下合计金额相同" if SAME_TOTAL in fact.same_for else "该条款对这几种情形给予相同金额"
    for name, options in fact.same_for.items():
        if name == SAME_TOTAL:
            continue
        fspec = spec.field(name) if spec else None
        values = options or (list(fspec.values) if fspec else [])
        names = "、".join(display_value(fact.type, name, v) for v in values)
        notes.append(f"未区分{names}：{why}，故未追问。")
    return notes


def money_text(yuan: int) -> str:
    """An amount as the answers write it (8万元（80,000元）)."""
    return str(environment().filters["money"](yuan))


def render_estimate(
    est: Estimate,
    facts: list[AchievementFacts],
    notices: list[str],
    extra_notes: dict[int, list[str]] | None = None,
    instead: dict[int, list[str]] | None = None,
    english: bool = False,
) -> str:
    rows: list[dict[str, Any]] = []
    for item in est.items:
        fact = facts[item.input_index] if item.input_index < len(facts) else None
        others = (instead or {}).get(item.input_index, [])
        rows.append(
            {
                "item": item,
                "description": describe(fact) if fact else item.label,
                "count": (fact.count or 1) if fact else 1,
                "steps": _steps(item),
                "notes": (
                    list(dict.fromkeys(item.notes))[:MAX_NOTES]
                    if item.covered
                    else _uncovered_notes(item, others)
                ),
                "instead": others,
                "extra": (extra_notes or {}).get(item.input_index, [])
                + (_same_for_notes(fact) if fact else []),
            }
        )
    conditions = list(dict.fromkeys(n for row in rows if row["item"].covered for n in row["notes"]))
    return render(
        "chat_estimate_en.j2" if english else "chat_estimate.j2",
        est=est,
        rows=rows,
        notices=notices,
        conditions=conditions[: MAX_NOTES * 2],
    )


def render_follow_up(understood: list[str], questions: list[str], notices: list[str]) -> str:
    return render("chat_follow_up.j2", understood=understood, questions=questions, notices=notices)


def render_info(
    subject: str | None, sections: list[dict[str, Any]], sources: list[Citation], notices: list[str]
) -> str:
    return render("chat_info.j2", subject=subject, sections=sections, sources=sources, notices=notices)


def render_retrieval(hits: list[Citation], notices: list[str]) -> str:
    return render("chat_retrieval.j2", hits=hits, notices=notices)


def render_help(kind: str, notices: list[str], **context: Any) -> str:

    regions = [r.name for r in all_regions() if r.has_amounts]
    others = [r.name for r in all_regions() if not r.has_amounts]
    context.setdefault("place", "")
    context.setdefault("english", False)
    return render(
        "chat_help.j2", kind=kind, notices=notices, regions=regions, other_regions=others, **context
    )
