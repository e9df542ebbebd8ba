"""Judges: compare what the product returned with a gold case (same rules as shared/tools/contract_check.py)."""

from __future__ import annotations

import re
from typing import Any


def squash(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def judge_calc(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    items = got.get("items") or []
    for i, want in enumerate(expect.get("items", [])):
        have = next((it for it in items if it.get("input_index") == i), None)
        if have is None:
            problems.append(f"item {i}: missing")
            continue
        if bool(have.get("covered")) != bool(want["covered"]):
            problems.append(f"item {i}: covered={have.get('covered')} want {want['covered']}")
            continue
        if not want["covered"]:
            if have.get("amount_yuan") not in (None, 0):
                problems.append(f"item {i}: uncovered but amount_yuan={have.get('amount_yuan')}")
            continue
        ok_amounts = want.get("accept") or [want["amount_yuan"]]
        if have.get("amount_yuan") not in ok_amounts:
            problems.append(f"item {i}: amount_yuan={have.get('amount_yuan')} want {ok_amounts}")
        if want.get("basis") and have.get("basis") != want["basis"]:
            problems.append(f"item {i}: basis={have.get('basis')} want {want['basis']}")
        if want.get("policy_status") and have.get("policy_status") != want["policy_status"]:
            problems.append(
                f"item {i}: policy_status={have.get('policy_status')} want {want['policy_status']}"
            )
        quote = squash((have.get("citation") or {}).get("quote"))
        for frag in want.get("quote_has", []):
            if squash(frag) not in quote:
                problems.append(f"item {i}: citation.quote lacks {frag!r}")
        if want.get("rule_id") and have.get("rule_id") != want["rule_id"]:
            problems.append(f"item {i}: rule_id={have.get('rule_id')} want {want['rule_id']}")
    if "total_yuan" in expect:
        accept = expect.get("accept_total") or [expect["total_yuan"]]
        if got.get("total_yuan") not in accept:
            problems.append(f"total_yuan={got.get('total_yuan')} want {accept}")
    if "caps_applied" in expect:
        have_caps = sorted(c.get("id") for c in got.get("caps_applied") or [])
        if have_caps != sorted(expect["caps_applied"]):
            problems.append(f"caps_applied={have_caps} want {sorted(expect['caps_applied'])}")
    return problems
