"""The documents' aggregate rules (年度总额不超过…, 从高不重复, 每年类别数…), applied to counted amounts.

Each cap kind is a small named function; the data (calculators/rules/*.yaml) says which
caps a city has, what they select and their limits. Caps only ever lower amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calculators.rulebook import Cap, Rule


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


def apply_annual_total(cap: Cap, entries: list[Counted]) -> CapEffect | None:
    limit = cap.limit_yuan
    if cap.raised_limit_yuan is not None and any(
        all(e.fields.get(k) in v for k, v in cap.raised_if.items()) for e in entries
    ):
        limit = cap.raised_limit_yuan
    assert limit is not None, f"{cap.id}: annual_total needs limit_yuan"
    total = sum(e.counted for e in entries)
    if total <= limit:
        return None
    touched = _reduce_from_smallest(entries, total - limit)
    return CapEffect(
        cap, total - limit, tuple(sorted(touched)), f"合计 {total} 元超过上限 {limit} 元，按上限计"
    )


def _group_key(cap: Cap, entry: Counted) -> tuple[Any, ...]:
    return tuple(entry.rule.category if g == "category" else entry.fields.get(g) for g in cap.group_by)


def apply_highest_only(cap: Cap, entries: list[Counted]) -> CapEffect | None:
    """Same item at several levels → only the highest. Items naming different `project`s are
    different items; items that name none are taken to be the same one (the applicant can say otherwise)."""
    groups: dict[tuple[Any, ...], list[Counted]] = {}
    for entry in entries:
        groups.setdefault((*_group_key(cap, entry), entry.fields.get("project")), []).append(entry)
    reduced, touched = 0, []
    for members in groups.values():
        if len(members) < 2:
            continue
        best = max(members, key=lambda e: (e.counted, -e.index))
        for entry in members:
            if entry is not best and entry.counted:
                reduced += entry.counted
                entry.counted = 0
                touched.append(entry.index)
    if not reduced:
        return None
    return CapEffect(cap, reduced, tuple(sorted(touched)), "同一事项从高计奖，不重复计算")


def apply_max_categories(cap: Cap, entries: list[Counted]) -> CapEffect | None:
    assert cap.limit is not None, f"{cap.id}: max_categories needs limit"
    sums: dict[str, int] = {}
    for entry in entries:
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
    chosen = "、".join(ranked[: cap.limit])
    return CapEffect(
        cap,
        reduced,
        tuple(sorted(touched)),
        f"每年最多 {cap.limit} 类；已为申请人选择金额最高的类别：{chosen}",
    )


def apply_max_units_per_class(cap: Cap, entries: list[Counted]) -> CapEffect | None:
    assert cap.limit is not None, f"{cap.id}: max_units_per_class needs limit"
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


CAP_KINDS: dict[str, Callable[[Cap, list[Counted]], CapEffect | None]] = {
    "annual_total": apply_annual_total,
    "highest_only": apply_highest_only,
    "max_categories": apply_max_categories,
    "max_units_per_class": apply_max_units_per_class,
}


def apply_caps(caps: tuple[Cap, ...], entries: list[Counted]) -> list[CapEffect]:
    """Apply each cap in the order the city file lists them to the entries it selects."""
    effects = []
    for cap in caps:
        selected = [e for e in entries if cap.selects(e.rule, e.fields)]
        if not selected:
            continue
        effect = CAP_KINDS[cap.kind](cap, selected)
        if effect is not None:
            effects.append(effect)
    return effects
