"""The documents' aggregate rules (年度总额不超过…, 从高不重复, 每年类别数…), applied to counted amounts.

Each cap kind is a small named function; the data (calculators/rules/*.yaml) says which
caps a city has, what they select and their limits. Caps only ever lower amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calculators.rulebook import (
    AnnualTotalCap,
    Cap,
    HighestOnlyCap,
    MaxCategoriesCap,
    MaxUnitsPerClassCap,
    Rule,
    strict_matches,
)


@dataclass
class Counted:
    """An item as the caps see it: what it pays now, and how it got there."""

    index: int
    rule: Rule
    fields: dict[str, Any]
    count: int
    amount: int  # the clause amount for all units, before caps
    counted: int  # what still counts after the caps so far


@dataclass(frozen=True)
class CapEffect:
    cap: Cap
    reduced_by_yuan: int
    indexes: tuple[int, ...]
    explanation: str


def _reduce_from_smallest(entries: list[Counted], excess: int) -> list[int]:
    """Take `excess` yuan off, smallest items first, so the largest items stay whole."""
    touched = []
    for entry in sorted(entries, key=lambda e: (e.counted, e.index)):
        if excess <= 0:
            break
        cut = min(entry.counted, excess)
        if cut:
            entry.counted -= cut
            excess -= cut
            touched.append(entry.index)
    return touched


def apply_annual_total(cap: AnnualTotalCap, entries: list[Counted]) -> CapEffect | None:
    limit = cap.limit_yuan
    if cap.raised_limit_yuan is not None and any(strict_matches(cap.raised_if, e.fields) for e in entries):
        limit = cap.raised_limit_yuan
    total = sum(e.counted for e in entries)
    if total <= limit:
        return None
    touched = _reduce_from_smallest(entries, total - limit)
    return CapEffect(
        cap, total - limit, tuple(sorted(touched)), f"合计 {total} 元超过上限 {limit} 元，按上限计"
    )


def _group_key(cap: HighestOnlyCap | MaxUnitsPerClassCap, entry: Counted) -> tuple[Any, ...]:
    return tuple(entry.rule.category if g == "category" else entry.fields.get(g) for g in cap.group_by)


def apply_highest_only(cap: HighestOnlyCap, entries: list[Counted]) -> CapEffect | None:
    """从高不重复, compared per unit: within a group, a unit of a lower item may be the same product
    as a unit of a higher one, so each higher unit takes away at most one unit of every lower item.

    Items naming different `project`s are different items. Items that name none are read as
    overlapping as far as their counts allow (the applicant can name projects to say otherwise):
    3 provincial titles and 1 national one are at least 3 products — 1 national + 2 provincial.
    """
    groups: dict[tuple[Any, ...], list[Counted]] = {}
    for entry in entries:
        groups.setdefault((*_group_key(cap, entry), entry.fields.get("project")), []).append(entry)
    reduced, touched = 0, []
    for members in groups.values():
        if len(members) < 2:
            continue
        higher_units = 0  # the most units any higher-paying item of the group has
        for entry in sorted(members, key=lambda e: (-_per_unit(e), e.index)):
            overlap = min(entry.count, higher_units)
            higher_units = max(higher_units, entry.count)
            if not overlap or not entry.counted:
                continue
            kept = round(_per_unit(entry) * (entry.count - overlap))
            if kept < entry.counted:
                reduced += entry.counted - kept
                entry.counted = kept
                touched.append(entry.index)
    if not reduced:
        return None
    return CapEffect(cap, reduced, tuple(sorted(touched)), "同一事项从高计奖，不重复计算")


def _per_unit(entry: Counted) -> float:
    return entry.counted / max(entry.count, 1)


def apply_max_categories(cap: MaxCategoriesCap, entries: list[Counted]) -> CapEffect | None:
    sums: dict[str, int] = {}
    for entry in entries:
        if entry.counted:  # an item that pays nothing (a prior award, an earlier grade) is no application
            key = entry.rule.category or entry.rule.id
            sums[key] = sums.get(key, 0) + entry.counted
    if len(sums) <= cap.limit:
        return None
    ranked = sorted(sums, key=lambda k: (-sums[k], k))
    keep = set(ranked[: cap.limit])
    reduced, touched = 0, []
    for entry in entries:
        if (entry.rule.category or entry.rule.id) not in keep and entry.counted:
            reduced += entry.counted
            entry.counted = 0
            touched.append(entry.index)
    chosen = "、".join(f"{k}（{sums[k]} 元）" for k in ranked[: cap.limit])
    dropped = "、".join(ranked[cap.limit :])
    return CapEffect(
        cap,
        reduced,
        tuple(sorted(touched)),
        f"每年最多 {cap.limit} 类；已为申请人选择金额最高的类别：{chosen}；不计：{dropped}",
    )


def apply_max_units_per_class(cap: MaxUnitsPerClassCap, entries: list[Counted]) -> CapEffect | None:
    groups: dict[tuple[Any, ...], list[Counted]] = {}
    for entry in entries:
        groups.setdefault(_group_key(cap, entry), []).append(entry)
    reduced, touched = 0, []
    for members in groups.values():
        units_left = cap.limit
        # keep the units that pay most per unit
        for entry in sorted(members, key=lambda e: (-(e.counted / max(e.count, 1)), e.index)):
            per_unit = entry.counted / max(entry.count, 1)
            keep_units = min(entry.count, units_left)
            units_left -= keep_units
            kept = round(per_unit * keep_units)
            if kept < entry.counted:
                reduced += entry.counted - kept
                entry.counted = kept
                touched.append(entry.index)
    if not reduced:
        return None
    return CapEffect(cap, reduced, tuple(sorted(touched)), f"同类最多计 {cap.limit} 项（次），超出部分不计")


def apply_cap(cap: Cap, entries: list[Counted]) -> CapEffect | None:
    if isinstance(cap, AnnualTotalCap):
        return apply_annual_total(cap, entries)
    if isinstance(cap, HighestOnlyCap):
        return apply_highest_only(cap, entries)
    if isinstance(cap, MaxCategoriesCap):
        return apply_max_categories(cap, entries)
    return apply_max_units_per_class(cap, entries)


def apply_caps(caps: tuple[Cap, ...], entries: list[Counted]) -> list[CapEffect]:
    """Apply each cap in the order the city file lists them to the entries it selects."""
    effects = []
    for cap in caps:
        selected = [e for e in entries if cap.selects(e.rule, e.fields)]
        if not selected:
            continue
        effect = apply_cap(cap, selected)
        if effect is not None:
            effects.append(effect)
    return effects
