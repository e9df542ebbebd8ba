"""Clauses about an item's own history, applied to its amount before the caps.

已获得…资助的不再重复 / 可以补齐 (`prior_award_yuan`), 称号升级只补差额 (`upgraded_from`),
先高后低不再奖励 (`previous_grade`). Each kind is a small named function; the city file says which
clauses a city has and which items they select (calculators/rules/*.yaml `adjustments`).
Every function only ever lowers an amount: a stated history never raises what an item pays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from calculators.rulebook import (
    Adjustment,
    EarlierGradeAdjustment,
    PriorAwardAdjustment,
    Rule,
    UpgradeAdjustment,
)

# The rule and per-unit amount the city would pay for these fields (None: no clause pays them).
Price = Callable[[dict[str, Any]], tuple[Rule, Decimal] | None]


@dataclass(frozen=True)
class Adjusted:
    amount: int  # what the item pays after this clause
    detail: str  # the step, in words, for the trace


@dataclass(frozen=True)
class Item:
    """What an adjustment sees of one achievement."""

    rule: Rule
    fields: dict[str, Any]
    units: int  # count, or 1 for a rule paid once
    per_unit: Decimal
    amount: int  # the amount so far


def _yuan(amount: Decimal) -> int:
    return int(amount.to_integral_value())


def adjust_prior_award(clause: PriorAwardAdjustment, item: Item, prior: int) -> Adjusted | None:
    if prior <= 0:
        return None
    if clause.mode == "block":
        return Adjusted(0, f"已获其他资助 {prior} 元，{clause.article}：不再重复资助 → 0 元")
    paid = max(0, item.amount - prior)
    if paid == 0:
        return Adjusted(
            0, f"已获其他资助 {prior} 元，不低于本项 {item.amount} 元，{clause.article}：不再重复 → 0 元"
        )
    return Adjusted(
        paid, f"已获其他资助 {prior} 元，{clause.article}：补齐差额 {item.amount} − {prior} = {paid} 元"
    )


def adjust_upgrade(
    clause: UpgradeAdjustment, item: Item, earlier_fields: dict[str, Any], earlier_label: str, price: Price
) -> Adjusted | None:
    earlier = price(earlier_fields)
    if earlier is None or earlier[0].category != item.rule.category:
        return Adjusted(
            item.amount,
            f"升级前为{earlier_label}：本办法对该级别没有奖励，{clause.article}无差额可扣，按新级别全额",
        )
    earlier_rule, earlier_per_unit = earlier
    if earlier_per_unit >= item.per_unit:
        return Adjusted(0, f"升级前为{earlier_label}，其奖励标准不低于现级别：{clause.article}差额为 0 元")
    paid = min(item.amount, _yuan((item.per_unit - earlier_per_unit) * item.units))
    return Adjusted(
        paid,
        f"{clause.article}：由{earlier_label}升级，只补差额 (每项 {_yuan(item.per_unit)} − "
        f"{_yuan(earlier_per_unit)} 元) × {item.units} = {paid} 元",
    )


def adjust_earlier_grade(
    clause: EarlierGradeAdjustment,
    item: Item,
    earlier_fields: dict[str, Any],
    earlier_label: str,
    price: Price,
) -> Adjusted | None:
    earlier = price(earlier_fields)
    if earlier is None or earlier[0].category != item.rule.category:
        return None  # not the same kind of award: the clause does not compare them
    if earlier[1] >= item.per_unit:
        return Adjusted(
            0, f"以前年度已获{earlier_label}（不低于本次）：{clause.article}不再对低级别奖励 → 0 元"
        )
    return Adjusted(
        item.amount, f"以前年度获{earlier_label}（较低），{clause.article}：各年度分别奖励，本次全额"
    )


def apply_adjustment(
    clause: Adjustment, item: Item, value: Any, twin: str | None, label: str, price: Price
) -> Adjusted | None:
    """`value` is the stated fact the clause reads; `twin` the field it stands for (upgraded_from → level)."""
    if isinstance(clause, PriorAwardAdjustment):
        return adjust_prior_award(clause, item, int(value))
    assert twin is not None, f"{clause.id}: the fact needs same_as in achievement_types.yaml"
    earlier_fields = {**item.fields, twin: value}
    if isinstance(clause, UpgradeAdjustment):
        return adjust_upgrade(clause, item, earlier_fields, label, price)
    return adjust_earlier_grade(clause, item, earlier_fields, label, price)
