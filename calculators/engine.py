"""The city-agnostic calculation engine: request → Estimate.

It matches each achievement to the most specific rule of the city's rule file, derives
percentages from other rules, multiplies by count, checks the document's validity on
the grant date, applies the city's aggregate caps and explains every step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from calculators.achievement_types import (
    Achievement,
    AchievementType,
    achievement_types,
    refinements,
)
from calculators.adjustments import Item as AdjustedItem
from calculators.adjustments import apply_adjustment
from calculators.caps import Counted, apply_caps
from calculators.models import (
    STATUS_ZH,
    ApplyInfo,
    Basis,
    CapApplied,
    Citation,
    Estimate,
    Item,
    Provenance,
    TraceStep,
)
from calculators.request import EstimateRequest
from calculators.rulebook import (
    ADJUSTMENT_FACT,
    Adjustment,
    AtLeast,
    Cap,
    CityRules,
    Condition,
    Quote,
    Rule,
    load_city_rules,
)
from knowledge import corpus
from knowledge.regions import Region
from knowledge.user_data import follows_user_data

DEFAULT_COMPILATION = "2022年全国企标“领跑者”标准化工作补助汇编"
DEFAULT_POLICIES_AS_OF = "2022-12-05"


def _wan(yuan: int | Decimal) -> str:
    wan = Decimal(yuan) / 10000
    return f"{wan.normalize():f} 万元"


@follows_user_data
def _rules_by_type(city: str) -> dict[str, tuple[Rule, ...]]:
    rules = load_city_rules(city)
    table: dict[str, list[Rule]] = {}
    for rule in rules.rules if rules else ():
        for type_name in rule.types:
            table.setdefault(type_name, []).append(rule)
    return {k: tuple(v) for k, v in table.items()}


def _document_title(city: CityRules, doc_id: str) -> str:
    if doc_id in city.documents:
        return city.documents[doc_id]
    return corpus.document(doc_id).title


def clause_citation(city: CityRules, quote: Quote | Rule | Cap | Adjustment) -> Citation:
    return Citation(
        document=_document_title(city, quote.document),
        article=quote.article,
        quote=quote.quote,
        document_id=quote.document,
    )


def resolve_amount(city: CityRules, rule: Rule) -> tuple[Decimal, list[Rule]]:
    """The per-unit amount of a rule, following `derive` links; returns the chain used."""
    chain = [rule]
    amount = Decimal(1)
    current = rule
    while current.derive_from is not None:
        amount *= current.factor if current.factor is not None else Decimal(1)
        current = city.rule(current.derive_from)
        chain.append(current)
        if len(chain) > 10:
            raise ValueError(f"derivation loop at {rule.id}")
    assert current.amount_yuan is not None
    return amount * current.amount_yuan, chain


def rule_basis(city: CityRules, rule: Rule) -> Basis:
    current = rule
    while current.basis is None and current.derive_from:
        current = city.rule(current.derive_from)
    assert current.basis is not None, f"{rule.id}: no basis (the loader checks this)"
    return current.basis


def _best_rule(city: CityRules, candidates: list[Rule]) -> Rule:
    return max(candidates, key=lambda r: (r.specificity, resolve_amount(city, r)[0]))


def _matching(city_id: str, fields: dict[str, Any]) -> list[Rule]:
    refined = refinements()
    return [r for r in _rules_by_type(city_id).get(fields["type"], ()) if r.matches(fields, refined)]


def _price(city: CityRules, fields: dict[str, Any]) -> tuple[Rule, Decimal] | None:
    """The rule this city would pay for these fields, and its per-unit amount."""
    found = _matching(city.city, fields)
    if not found:
        return None
    best = _best_rule(city, found)
    return best, resolve_amount(city, best)[0]


def _to_yuan(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def document_status(doc_id: str, on: dt.date) -> tuple[str, str | None, str | None]:
    doc = corpus.document(doc_id)
    start, end = _as_date(doc.effective_from), _as_date(doc.effective_to)
    status = corpus.policy_status_on(doc, on)
    return status, start.isoformat() if start else None, end.isoformat() if end else None


def _describe_when(spec: AchievementType, when: dict[str, Condition]) -> str:
    """A rule's condition in words: 国家标准 主导 制定; open values stay as they are."""
    parts = []
    for name, values in when.items():
        if name == "type":
            continue
        field = spec.field(name)
        if field is not None and isinstance(values, tuple):
            parts.append("/".join(field.label(v) for v in values))
            continue
        fact = spec.fact(name)  # an optional fact is named, its values alone would not say what they are
        if fact is None:
            continue
        if isinstance(values, AtLeast):
            parts.append(f"{fact.title} {values.at_least} 及以上")
        else:
            parts.append(f"{fact.title} " + "/".join(fact.label(v) for v in values))
    return " ".join(parts)


def _uncovered_note(
    region: Region, city: CityRules | None, achievement: Achievement, type_label: str, as_of: dt.date
) -> list[str]:
    if city is None or not city.rules:
        notes = [f"{region.name}的政策文件没有规定资助金额，以下是文件规定的条件和非资金激励："]
        if city is not None:
            for doc_id, title in city.documents.items():
                status, start, end = document_status(doc_id, as_of)
                if status != "in_force":
                    when = f"自 {start} 起施行" if status == "not_yet_in_force" else f"已于 {end} 失效"
                    notes.append(f"注意：《{title}》{when}，{as_of.isoformat()} 时{STATUS_ZH[status]}。")
            notes += [
                f"{c.quote}（{_document_title(city, c.document)} {c.article}）" for c in city.conditions
            ]
        return notes
    titles = "、".join(f"《{t}》" for t in city.documents.values())
    notes = [f"已核查{titles}：没有条款为这一项{type_label}给予资助。"]
    for gap in city.uncovered:
        if gap.matches(achievement.fields):
            where = f"（{gap.article}：“{gap.quote}”）" if gap.quote and gap.article else ""
            notes.append(f"{gap.reading}{where}")
    same_type = _rules_by_type(city.city).get(achievement.type, ())
    if same_type:
        spec = achievement_types()[achievement.type]
        paid = "；".join(dict.fromkeys(f"{r.article} {_describe_when(spec, r.when)}" for r in same_type))
        notes.append(f"该市对{type_label}资助的情形是：{paid}。")
    else:
        paid_types = sorted({t for rule in city.rules for t in rule.types})
        labels = "、".join(achievement_types()[t].label for t in paid_types if t in achievement_types())
        notes.append(f"该市政策资助的事项包括：{labels}。")
    return notes


def _apply_info(city: CityRules, rule: Rule) -> ApplyInfo | None:
    table = city.apply.get(rule.apply or "default")
    if table is None:
        return None
    return ApplyInfo(
        window=table.window,
        deadline=table.deadline,
        office=table.office,
        materials=list(table.materials),
        citations=[clause_citation(city, q) for q in table.citations],
    )


def _assumption_notes(city: CityRules, achievement: Achievement, chosen: Rule) -> list[str]:
    """When a field was defaulted and another value would change the rule, say so."""
    notes = []
    spec = achievement_types()[achievement.type]
    for fact in spec.facts:
        condition = chosen.when.get(fact.name)
        if condition is not None and achievement.fields.get(fact.name) is None:
            wanted = (
                f"{condition.at_least} 及以上"
                if isinstance(condition, AtLeast)
                else "、".join(fact.label(v) for v in condition)
            )
            notes.append(
                f"未说明{fact.title}：按{chosen.article}的条件（{fact.title} {wanted}）计算；不符合的，本条不适用。"
            )
    for name in achievement.assumed:
        field = spec.field(name)
        if field is None:
            continue
        for other in field.values:
            if other == achievement.fields[name]:
                continue
            alt_fields = {**achievement.fields, name: other}
            alt = _matching(city.city, alt_fields)
            if alt:
                best = _best_rule(city, alt)
                if best.id != chosen.id:
                    amount, _ = resolve_amount(city, best)
                    notes.append(
                        f"按 {name}={achievement.fields[name]} 计算；若 {name}={other}"
                        f"（{field.ask}），适用 {best.article}，每项 {_wan(amount)}。"
                    )
    return notes


@dataclass(frozen=True)
class _History:
    """What the clauses on an item's history (adjustments) did to it."""

    amount: int
    steps: list[TraceStep]
    notes: list[str]
    clauses: list[Adjustment]


HISTORY_FACTS = tuple(ADJUSTMENT_FACT.values())


def _history(
    city: CityRules, rule: Rule, achievement: Achievement, per_unit: Decimal, units: int, amount: int
) -> _History | None:
    """Apply the city's adjustments the stated history facts call for; say so when a fact changes nothing."""
    fields = achievement.fields
    if all(fields.get(name) is None for name in HISTORY_FACTS):
        return None
    spec = achievement_types()[achievement.type]
    steps: list[TraceStep] = []
    clauses: list[Adjustment] = []
    used: set[str] = set()
    for clause in city.adjustments:
        fact_name = ADJUSTMENT_FACT[clause.kind]
        value = fields.get(fact_name)
        if value is None or not clause.selects(rule, fields):
            continue
        used.add(fact_name)
        fact = spec.fact(fact_name)
        assert fact is not None
        seen = AdjustedItem(rule=rule, fields=fields, units=units, per_unit=per_unit, amount=amount)
        effect = apply_adjustment(
            clause, seen, value, fact.same_as, fact.label(value), lambda f: _price(city, f)
        )
        if effect is None:
            continue
        amount = min(amount, effect.amount)
        steps.append(TraceStep(op="adjust", detail=effect.detail, yuan=amount, rule_id=clause.id))
        clauses.append(clause)
    notes = [
        f"{spec.fact(name).title}（{fields[name]}）：{_document_titles(city)}没有据此调整金额的条款，金额未作调整。"  # type: ignore[union-attr]
        for name in HISTORY_FACTS
        if fields.get(name) not in (None, 0) and name not in used
    ]
    return _History(amount, steps, notes, clauses)


def _document_titles(city: CityRules) -> str:
    return "、".join(f"《{t}》" for t in city.documents.values())


def _item(
    index: int, region: Region, city: CityRules | None, achievement: Achievement, as_of: dt.date
) -> tuple[Item, Rule | None]:
    spec = achievement_types()[achievement.type]
    base: dict[str, Any] = {"input_index": index, "type": achievement.type, "label": spec.label}
    candidates = _matching(city.city, achievement.fields) if city else []
    if not candidates:
        return Item(
            **base, covered=False, notes=_uncovered_note(region, city, achievement, spec.label, as_of)
        ), None
    assert city is not None
    rule = _best_rule(city, candidates)
    per_unit, chain = resolve_amount(city, rule)
    units = achievement.count if rule.per_unit else 1
    amount = _to_yuan(per_unit * units)
    history = _history(city, rule, achievement, per_unit, units, amount)
    trace = []
    root = chain[-1]
    trace.append(
        TraceStep(
            op="base",
            detail=f"{root.article}：每项 {_wan(root.amount_yuan or 0)}",
            yuan=root.amount_yuan,
            rule_id=root.id,
        )
    )
    for link in reversed(chain[:-1]):
        trace.append(
            TraceStep(
                op="factor",
                detail=f"{link.article}：按 {((link.factor or Decimal(1)) * 100).normalize():f}% 计",
                value=float(link.factor or 1),
                rule_id=link.id,
            )
        )
    if units != 1 or not rule.per_unit:
        trace.append(
            TraceStep(
                op="count",
                detail=f"× {units} 项" if rule.per_unit else "一次性，不按数量累加",
                value=units,
                yuan=amount,
            )
        )
    if history is not None:
        amount = history.amount
        trace += history.steps
    status, start, end = document_status(rule.document, as_of)
    trace.append(TraceStep(op="status", detail=f"{as_of.isoformat()} 政策状态：{STATUS_ZH[status]}"))
    notes = list(rule.notes) + _assumption_notes(city, achievement, rule)
    if history is not None:
        notes += history.notes
    notes += [f"{n.quote}（{_document_title(city, n.document)} {n.article}）" for n in city.notes]
    for other in candidates:
        if other.id != rule.id and other.specificity == rule.specificity:
            notes.append(f"另有条款 {other.article}（{other.id}）也适用；已按金额较高者计算。")
    item = Item(
        **base,
        covered=True,
        amount_yuan=amount,
        basis=rule_basis(city, rule),
        rule_id=rule.id,
        citation=clause_citation(city, rule),
        citations=[clause_citation(city, r) for r in chain]
        + ([clause_citation(city, c) for c in history.clauses] if history else []),
        policy_status=status,  # type: ignore[arg-type]
        effective_from=start,
        effective_to=end,
        notes=notes,
        trace=trace,
        apply=_apply_info(city, rule),
        counted_yuan=amount,
        verified_on=city.verified_on or None,
    )
    return item, rule


def parse_request(raw: Any) -> tuple[Region, dt.date, list[Achievement]]:
    """Region, grant date and validated achievements of a request (an EstimateRequest or its JSON)."""
    request = EstimateRequest.parse(raw)
    return request.region, request.day, list(request.parsed_achievements)


def estimate(raw: EstimateRequest | Any) -> Estimate:
    """The one calculation core: the CLI, the API, the assistant and the eval all call this."""
    region, as_of, achievements = parse_request(raw)
    city = load_city_rules(region.id)
    items: list[Item] = []
    entries: list[Counted] = []
    for i, achievement in enumerate(achievements):
        item, rule = _item(i, region, city, achievement, as_of)
        items.append(item)
        if rule is not None and item.amount_yuan is not None:
            entries.append(
                Counted(i, rule, achievement.fields, achievement.count, item.amount_yuan, item.amount_yuan)
            )
    caps_applied = []
    if city is not None and entries:
        for effect in apply_caps(city.caps, entries):
            caps_applied.append(
                CapApplied(
                    id=effect.cap.id,
                    kind=effect.cap.kind,
                    description=f"{effect.cap.description}：{effect.explanation}",
                    citation=clause_citation(city, effect.cap),
                    reduced_by_yuan=effect.reduced_by_yuan,
                    input_indexes=list(effect.indexes),
                )
            )
            for index in effect.indexes:
                items[index].trace.append(
                    TraceStep(
                        op="cap", detail=f"{effect.cap.article} {effect.explanation}", rule_id=effect.cap.id
                    )
                )
    for entry in entries:
        items[entry.index].counted_yuan = entry.counted
    counted = [items[e.index] for e in entries]
    total = sum(e.counted for e in entries)
    in_force = sum(e.counted for e in entries if items[e.index].policy_status == "in_force")
    warnings = []
    for item in counted:
        if item.policy_status == "expired":
            warnings.append(
                f"{item.citation.document if item.citation else ''} 已于 {item.effective_to} 失效："
                f"第 {item.input_index + 1} 项金额仅为该政策有效时的标准。"
            )
        elif item.policy_status == "not_yet_in_force":
            warnings.append(
                f"{item.citation.document if item.citation else ''} 自 {item.effective_from} 起施行，"
                f"{as_of.isoformat()} 尚未生效（第 {item.input_index + 1} 项）。"
            )
    return Estimate(
        city=region.id,
        city_name=region.name,
        as_of=as_of.isoformat(),
        items=items,
        total_yuan=total,
        total_basis="fixed" if all(i.basis == "fixed" for i in counted) else "up_to",
        total_in_force_yuan=in_force,
        caps_applied=caps_applied,
        warnings=list(dict.fromkeys(warnings)),
        provenance=Provenance(
            compilation=(city.compilation if city and city.compilation else DEFAULT_COMPILATION),
            policies_as_of=(city.policies_as_of if city and city.policies_as_of else DEFAULT_POLICIES_AS_OF),
            verified_on=city.verified_on if city else None,
        ),
    )
